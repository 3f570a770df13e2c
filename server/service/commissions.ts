/** The labs a batch's producer commissions: named on the batch (commissionedLabs) or attached afterwards (LabCommission records). */
import { AppError } from '../errors';
import type { Store } from '../store/types';
import { bundleUrl } from './consumer';

export interface CommissionList {
  batchId: string;
  /** CMA numbers the batch itself names. */
  commissionedLabs: string[];
  /** Labs commissioned afterwards, oldest first. */
  commissions: { id: string; issuedAt: string; labCmaNumber: string; bundle: string }[];
}

/** The commissions of batch `batchId`. Throws 'not-found' for a batch not on record. */
export async function listCommissions(store: Store, baseUrl: string, batchId: string): Promise<CommissionList> {
  const batch = await store.getRecord(batchId);
  if (!batch || batch.type !== 'Batch') throw new AppError('not-found', `no batch ${batchId}`);
  const named = Array.isArray(batch.body.commissionedLabs) ? (batch.body.commissionedLabs as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  const later = await store.listRecords({ type: 'LabCommission', subject: batchId, limit: 1000 });
  return {
    batchId,
    commissionedLabs: named,
    commissions: later.map((c) => ({ id: c.id, issuedAt: c.issuedAt, labCmaNumber: String(c.body.labCmaNumber), bundle: bundleUrl(baseUrl, c.id) })),
  };
}
