/**
 * Revocations (recalls) of records. The regulator revokes through the operator's key: the reason goes on
 * chain against the record's leaf hash, and the mirror picks it up so every view and verification shows it at
 * once. A record has at most one revocation per party; only its issuer's (the lab owning its signing key) and
 * the regulator's count, by the verifier's rule (countingRevocation): another lab's revocation is never shown.
 */
import { AppError } from '../errors';
import { toHex } from '../ledger/rfc6962';
import { revocationReasonNumber, revocationReasonOf, type RevocationReason } from '../records';
import type { Revocation, Store, StoredRecord } from '../store/types';
import { countingRevocation, REGULATOR_REVOKER_ID, type RevokingParty } from '../verification/chain';
import type { Services } from './context';
import { onChain } from './chain-errors';

/** One counting revocation of a record: by its issuer or by the regulator. */
export interface RevocationEntry {
  /** Whose revocation: the lab that issued the record, or the regulator. */
  by: RevokingParty;
  /** A name from REVOCATION_REASONS; "unknown" for a code this version does not know. */
  reason: RevocationReason | 'unknown';
  reasonCode: number;
  revokedAt: string;
  /** The address that sent the revocation. */
  revokedBy: string;
  /** The revoking lab; null when the regulator revoked. */
  participantId: string | null;
  txHash: string | null;
}

/** A record's revocation: the one that counts (the earliest; the regulator's on a tie), and every counting one. */
export interface RevocationView extends RevocationEntry {
  recordId: string;
  leafHash: string;
  /** The issuer's and the regulator's revocations that exist, oldest first (the first is the one above). */
  revocations: RevocationEntry[];
}

export const leafHashHex = (rec: StoredRecord): string => '0x' + toHex(rec.leafHash);

const entryOf = (by: RevokingParty, r: Revocation): RevocationEntry => ({
  by,
  reason: revocationReasonOf(r.reasonCode) ?? 'unknown',
  reasonCode: r.reasonCode,
  revokedAt: new Date(r.revokedAt * 1000).toISOString(),
  revokedBy: r.revokedBy,
  participantId: by === 'regulator' ? null : r.revokerId,
  txHash: r.txHash,
});

/** The participant that issued a stored record: the owner of its signing key (none for the operator's batches). */
async function issuerOf(store: Store, rec: StoredRecord): Promise<string | null> {
  return (await store.keysOf(rec.signer))[0]?.participantId ?? null;
}

/** The revocation of a stored record that counts, with every counting one; undefined when none counts. */
export async function countingRevocationOf(store: Store, rec: StoredRecord): Promise<RevocationView | undefined> {
  const leafHash = leafHashHex(rec);
  const issuer = await issuerOf(store, rec);
  const [byRegulator, byIssuer] = await Promise.all([store.getRevocation(leafHash, REGULATOR_REVOKER_ID), issuer === null ? undefined : store.getRevocation(leafHash, issuer)]);
  const first = countingRevocation(byIssuer, byRegulator);
  if (first === null) return undefined;
  const second = first.by === 'regulator' ? byIssuer && entryOf('issuer', byIssuer) : byRegulator && entryOf('regulator', byRegulator);
  const head = entryOf(first.by, first.revocation);
  return { recordId: rec.id, leafHash, ...head, revocations: second ? [head, second] : [head] };
}

/**
 * Revokes a stored record for `reason`, as the regulator. Another party's revocation (the issuer's, or any
 * other lab's) does not stand in the way. Throws 'not-found', or 'conflict' when the regulator already revoked it.
 */
export async function revokeRecord(sys: Pick<Services, 'store' | 'registries' | 'mirror'>, input: { recordId: string; reason: RevocationReason }): Promise<RevocationView> {
  const rec = await findRecord(sys.store, input.recordId);
  const leafHash = leafHashHex(rec);
  await assertNotRevokedByRegulator(sys.store, rec.id, leafHash);
  const txHash = await onChain(`revoking record ${rec.id}`, () => sys.registries.revokeRecord(leafHash, revocationReasonNumber(input.reason)));
  await sys.mirror.sync();
  const view = (await sys.store.getRevocation(leafHash, REGULATOR_REVOKER_ID)) && (await countingRevocationOf(sys.store, rec));
  if (!view) throw new AppError('internal', `revocation of ${rec.id} was mined in ${txHash} but is not mirrored yet`);
  return view;
}

/** The revocation of a stored record that counts. Throws 'not-found' for an unknown record, or one no issuer or regulator revoked. */
export async function revocationOfRecord(store: Store, recordId: string): Promise<RevocationView> {
  const rec = await findRecord(store, recordId);
  const view = await countingRevocationOf(store, rec);
  if (!view) throw new AppError('not-found', `record ${recordId} is not revoked`);
  return view;
}

async function findRecord(store: Store, recordId: string): Promise<StoredRecord> {
  const rec = await store.getRecord(recordId);
  if (!rec) throw new AppError('not-found', `no record ${recordId}`);
  return rec;
}

async function assertNotRevokedByRegulator(store: Store, recordId: string, leafHash: string): Promise<void> {
  const r = await store.getRevocation(leafHash, REGULATOR_REVOKER_ID);
  if (r) throw new AppError('conflict', `the regulator already revoked record ${recordId} at ${new Date(r.revokedAt * 1000).toISOString()}`);
}
