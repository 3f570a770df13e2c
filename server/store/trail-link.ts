/** The trail link rule both stores enforce for a record inserted with a trailLink (see NewRecord.trailLink). */
import { toHex, type Hash } from '../ledger/rfc6962';
import { StoreConflictError, type NewRecord } from './types';

const GENESIS = `0x${'0'.repeat(64)}`;

/** The last record of a trail, as the rule needs it. */
export interface TrailTail {
  id: string;
  seq: number;
  leafHash: Hash;
}

/**
 * The StoreConflictError 'seq' that refuses `rec` (which has a trailLink) after `last`, the last record of its
 * trail (undefined when the trail is empty), or null when `rec` is the next of that trail.
 */
export function trailLinkConflict(rec: NewRecord, last: TrailTail | undefined): StoreConflictError | null {
  const link = rec.trailLink;
  if (!link) return null;
  const subject = rec.subject ?? '';
  const wantSeq = last ? last.seq + 1 : 1;
  const wantPrev = last ? `0x${toHex(last.leafHash)}` : GENESIS;
  if (link.seq === wantSeq && link.prevHash.toLowerCase() === wantPrev) return null;
  return new StoreConflictError(
    'seq',
    `record ${rec.id} (seq ${link.seq}) is not the next of trail ${subject}: expected seq ${wantSeq} with prevHash ${wantPrev}`,
    subject,
    last?.id,
  );
}
