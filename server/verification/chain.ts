/** What a verifier asks the chain: the interface the server (ethers), the CLI and the browser (plain JSON-RPC) implement. */
import type { ParticipantKind } from '../records/record-types';

/** A record's revocation as RevocationRegistry holds it. */
export interface OnChainRevocation {
  revoked: boolean;
  reasonCode: number;
  /** Block time, seconds. */
  revokedAt: number;
  revokedBy: string;
  /** The revoking lab's participant id; null for a regulator. */
  participantId: string | null;
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
  revocationOf(leafHash: string): Promise<OnChainRevocation>;
}
