/** What a verifier asks the chain: the interface the server (ethers), the CLI and the browser (plain JSON-RPC) implement. */
import type { ParticipantKind } from '../records/record-types';

/**
 * Block times above this count milliseconds: FISCO BCOS stamps its blocks (and `block.timestamp`) in milliseconds.
 * In seconds it is the year 5138; in milliseconds 1973-03-03, before any block of a chain we run on.
 */
export const MILLISECOND_BLOCK_TIMES_ABOVE = 1e11;

/**
 * A block header's (or `block.timestamp`'s) time in whole seconds, whether the chain counts seconds (Ethereum,
 * anvil, Besu) or milliseconds (FISCO BCOS): the rule the contracts' ChainClock._now() applies on chain.
 * Requires `t` to be a non-negative integer.
 */
export function blockTimeSeconds(t: number): number {
  return t > MILLISECOND_BLOCK_TIMES_ABOVE ? Math.floor(t / 1000) : t;
}

/** The revoker id of the regulator in RevocationRegistry: zero, which no participant can have. */
export const REGULATOR_REVOKER_ID = `0x${'0'.repeat(64)}`;

/** One party's revocation of a record, as RevocationRegistry holds it (all zero when that party did not revoke it). */
export interface OnChainRevocation {
  revoked: boolean;
  reasonCode: number;
  /** Block time, seconds. */
  revokedAt: number;
  /** The address that sent the revocation. */
  revokedBy: string;
}

/** No revocation: what `revocationBy` answers for a party that did not revoke. */
export const NOT_REVOKED: Readonly<OnChainRevocation> = Object.freeze({ revoked: false, reasonCode: 0, revokedAt: 0, revokedBy: '0x0000000000000000000000000000000000000000' });

/** Who may revoke a record with effect: the lab that issued it (the owner of its signing key) or the regulator. */
export type RevokingParty = 'issuer' | 'regulator';

/**
 * The revocation that counts, given the issuer's and the regulator's (either may be absent): the earliest,
 * since the record is revoked from then on; on a tie, the regulator's. Nobody else's revocation is ever an
 * argument here: a lab that did not issue the record cannot revoke it, nor block its revocation.
 */
export function countingRevocation<R extends { revokedAt: number }>(issuer: R | null | undefined, regulator: R | null | undefined): { by: RevokingParty; revocation: R } | null {
  if (regulator && (!issuer || regulator.revokedAt <= issuer.revokedAt)) return { by: 'regulator', revocation: regulator };
  if (issuer) return { by: 'issuer', revocation: issuer };
  return null;
}

/** A participant as ParticipantRegistry holds it. Times are seconds; 0 = never (revokedAt) or not a lab. */
export interface OnChainParticipant {
  id: string;
  kind: ParticipantKind;
  name: string;
  /** The lab's CMA number, or the producer's / department's unified social credit code. */
  code: string;
  registeredAt: number;
  revokedAt: number;
  accreditedFrom: number;
  accreditedUntil: number;
}

/** Read-only chain access for verifiers. Every method may reject when the endpoint fails. */
export interface ChainReader {
  chainId(): Promise<number>;
  /** The root TraceLedger anchored for log `chainLogId` at `size`, or null. */
  rootAt(chainLogId: string, size: number): Promise<string | null>;
  /** Whether `address` was a valid signing key of a participant of kind `role` at `atSeconds`. */
  isValidSigner(address: string, role: ParticipantKind, atSeconds: number): Promise<boolean>;
  /** Whether `address` holds TraceLedger's ANCHORER role (the operator, which registers producers' batches). */
  isAnchorer(address: string): Promise<boolean>;
  /** The participant id a signing key belongs to, or null. */
  participantOf(address: string): Promise<string | null>;
  /** The participant with id `id`, or null. */
  participant(id: string): Promise<OnChainParticipant | null>;
  /**
   * The producer (participant id) whose product key in ParticipantRegistry covers the GTIN-14 `gtin14`: the GTIN
   * itself, or a GS1 company prefix it starts with after its indicator digit; null when none does.
   */
  productKeyOwner(gtin14: string): Promise<string | null>;
  /**
   * The revocation of the record with leaf hash `leafHash` by the party `revokerId`: a lab's participant id, or
   * REGULATOR_REVOKER_ID. Each party's revocation is kept apart; `revoked` is false when that party did not revoke.
   */
  revocationBy(leafHash: string, revokerId: string): Promise<OnChainRevocation>;
  /**
   * The window (seconds, inclusive) in which the regulator designated the lab `labId` for official spot checks
   * (监督抽检), from ParticipantRegistry.spotCheckWindow; null when it was never designated.
   */
  spotCheckWindow(labId: string): Promise<{ from: number; until: number } | null>;
}
