/**
 * Revoking (recalling) a record as the regulator: the reason goes on chain against the record's
 * leaf hash, and the mirror picks it up so every view and verification shows it at once.
 */
import { AppError } from '../errors';
import { toHex } from '../ledger/rfc6962';
import { revocationReasonNumber, revocationReasonOf, type RevocationReason } from '../records';
import type { Revocation, Store, StoredRecord } from '../store/types';
import type { Services } from './context';
import { onChain } from './chain-errors';

export interface RevocationView {
  recordId: string;
  leafHash: string;
  /** A name from REVOCATION_REASONS; "unknown" for a code this version does not know. */
  reason: RevocationReason | 'unknown';
  reasonCode: number;
  revokedAt: string;
  revokedBy: string;
  /** The revoking lab; null when the regulator revoked. */
  participantId: string | null;
  txHash: string | null;
}

export const leafHashHex = (rec: StoredRecord): string => '0x' + toHex(rec.leafHash);

export const revocationView = (recordId: string, r: Revocation): RevocationView => ({
  recordId,
  leafHash: r.leafHash,
  reason: revocationReasonOf(r.reasonCode) ?? 'unknown',
  reasonCode: r.reasonCode,
  revokedAt: new Date(r.revokedAt * 1000).toISOString(),
  revokedBy: r.revokedBy,
  participantId: r.participantId,
  txHash: r.txHash,
});

/** Revokes a stored record for `reason`, as the regulator. Throws 'not-found', or 'conflict' when already revoked. */
export async function revokeRecord(sys: Pick<Services, 'store' | 'registries' | 'mirror'>, input: { recordId: string; reason: RevocationReason }): Promise<RevocationView> {
  const rec = await findRecord(sys.store, input.recordId);
  const leafHash = leafHashHex(rec);
  await assertNotRevoked(sys.store, rec.id, leafHash);
  const txHash = await onChain(`revoking record ${rec.id}`, () => sys.registries.revokeRecord(leafHash, revocationReasonNumber(input.reason)));
  await sys.mirror.sync();
  const mirrored = await sys.store.getRevocation(leafHash);
  if (!mirrored) throw new AppError('internal', `revocation of ${rec.id} was mined in ${txHash} but is not mirrored yet`);
  return revocationView(rec.id, mirrored);
}

/** The revocation of a stored record. Throws 'not-found' for an unknown or unrevoked record. */
export async function revocationOfRecord(store: Store, recordId: string): Promise<RevocationView> {
  const rec = await findRecord(store, recordId);
  const r = await store.getRevocation(leafHashHex(rec));
  if (!r) throw new AppError('not-found', `record ${recordId} is not revoked`);
  return revocationView(rec.id, r);
}

async function findRecord(store: Store, recordId: string): Promise<StoredRecord> {
  const rec = await store.getRecord(recordId);
  if (!rec) throw new AppError('not-found', `no record ${recordId}`);
  return rec;
}

async function assertNotRevoked(store: Store, recordId: string, leafHash: string): Promise<void> {
  const r = await store.getRevocation(leafHash);
  if (r) throw new AppError('conflict', `record ${recordId} was already revoked at ${new Date(r.revokedAt * 1000).toISOString()}`);
}
