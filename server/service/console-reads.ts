/**
 * Reads the lab and department consoles need and the general routes do not give: the participant a signing key
 * belongs to (a console knows only the address of the key it imported), and a lab's own reports with their
 * anchoring state. Public data only: the registry is public, and a report's view shows its public fields.
 */
import { AppError } from '../errors';
import type { Store } from '../store/types';
import { describeParticipant, type ParticipantDetail } from './participants';
import { getReportView, type Page, type ReportView } from './records';

/** The registered participant that holds the signing key `address`. Throws 'not-found' for a key nobody registered. */
export async function participantOfKey(store: Store, address: string): Promise<ParticipantDetail> {
  const key = (await store.keysOf(address.toLowerCase()))[0];
  if (!key) throw new AppError('not-found', `no participant has registered the signing key ${address}`);
  return describeParticipant(store, key.participantId);
}

/**
 * The selenium test reports submitted with the keys of lab `labId`, in arrival order, `limit` at a time; `after` is the
 * `next` cursor of the previous page. Throws 'not-found' when `labId` is not a registered lab.
 */
export async function reportsOfLab(store: Store, baseUrl: string, labId: string, q: { limit: number; after?: string }): Promise<Page<ReportView>> {
  const lab = await store.getParticipant(labId);
  if (!lab || lab.kind !== 'lab') throw new AppError('not-found', `no lab ${labId}`);
  const afterArrival = q.after === undefined ? undefined : Number(q.after);
  const recs = await store.listRecords({ type: 'SeleniumTestReport', participantId: labId, limit: q.limit, afterArrival });
  const items = await Promise.all(recs.map((r) => getReportView(store, baseUrl, r.id)));
  const last = recs.at(-1);
  return { items, next: recs.length === q.limit && last ? String(last.arrival) : null };
}
