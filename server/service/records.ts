/**
 * What the API shows of a stored record: its public fields, its place in the log and whether an
 * anchored checkpoint covers it yet, and any revocation. Private fields never leave through here.
 */
import { AppError } from '../errors';
import { isRecordType, publicFieldNames, type RecordType } from '../records';
import { classify, type Classification } from '../standards';
import type { Checkpoint, LogId, Store, StoredRecord } from '../store/types';
import { labelUri } from '../records/digital-link';
import { countingRevocationOf, leafHashHex, type RevocationView } from './revocations';

export interface CheckpointView {
  size: number;
  root: string;
  txHash: string | null;
  blockNumber: number | null;
  blockTime: string | null;
}

export interface RecordView {
  id: string;
  type: RecordType;
  logId: LogId;
  /** The record's public fields only. */
  fields: Record<string, unknown>;
  recordRoot: string;
  leafHash: string;
  signer: string;
  issuedAt: string;
  receivedAt: string;
  /** Position in its log; null until the worker appends it. */
  leafIndex: number | null;
  /** 'anchored' once a checkpoint confirmed on chain covers the record. */
  status: 'pending' | 'anchored';
  checkpoint: CheckpointView | null;
  revocation: RevocationView | null;
  links: { self: string; bundle: string; scan?: string };
}

export interface ReportView extends RecordView {
  /** The tier the standards table gives the result, next to the lab's own conclusion; null without a known batch. */
  classification: Classification | null;
}

export interface Page<T> {
  items: T[];
  /** Cursor for the next page (pass as `after`); null on the last page. */
  next: string | null;
}

/** Reads of a record that depend on the log it is in: its latest anchored checkpoint. */
type AnchorLookup = (logId: LogId) => Promise<Checkpoint | undefined>;

const anchorLookup = (store: Store): AnchorLookup => {
  const cache = new Map<LogId, Promise<Checkpoint | undefined>>();
  return (logId) => {
    let hit = cache.get(logId);
    if (!hit) cache.set(logId, (hit = store.latestCheckpoint(logId, 'confirmed')));
    return hit;
  };
};

/** A stored record of any type, as the API shows it. Throws 'not-found' (also when `type` is given and differs). */
export async function getRecordView(store: Store, baseUrl: string, id: string, type?: RecordType): Promise<RecordView> {
  const rec = await store.getRecord(id);
  if (!rec || (type !== undefined && rec.type !== type)) throw new AppError('not-found', `no ${type ?? 'record'} ${id}`);
  return describeRecord(store, baseUrl, rec, anchorLookup(store));
}

/** A selenium test report with the computed classification of its result for its batch's category. */
export async function getReportView(store: Store, baseUrl: string, id: string): Promise<ReportView> {
  const view = await getRecordView(store, baseUrl, id, 'SeleniumTestReport');
  const rec = (await store.getRecord(id))!;
  return { ...view, classification: await classifyReport(store, rec) };
}

/** What a batch list may be narrowed by (public fields only); see store/types BatchSearch. */
export interface BatchFilters {
  /** GTIN-14. */
  gtin?: string;
  lot?: string;
  /** Part of the lot, id, GTIN or product name. */
  text?: string;
  category?: string;
  /** YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
}

export interface BatchPage extends Page<RecordView> {
  /** How many batches match in all (every page). */
  total: number;
}

/**
 * Batches in arrival order (oldest first, or newest first with `order: 'desc'`), optionally of one producer and
 * narrowed by `filters`; `after` is the `next` cursor of the previous page (of the same order and filters).
 */
export async function listBatches(
  store: Store,
  baseUrl: string,
  q: { producerId?: string; limit: number; after?: string; order?: 'asc' | 'desc' } & BatchFilters,
): Promise<BatchPage> {
  const afterArrival = q.after === undefined ? undefined : parseCursor(q.after);
  const { records, total } = await store.searchBatches({
    participantId: q.producerId,
    gtin: q.gtin,
    lot: q.lot,
    text: q.text,
    category: q.category,
    dateFrom: q.from,
    dateTo: q.to,
    order: q.order ?? 'asc',
    afterArrival,
    limit: q.limit,
  });
  const lookup = anchorLookup(store);
  const items = await Promise.all(records.map((r) => describeRecord(store, baseUrl, r, lookup)));
  const last = records.at(-1);
  return { items, next: records.length === q.limit && last ? String(last.arrival) : null, total };
}

function parseCursor(after: string): number {
  if (!/^\d{1,15}$/.test(after)) throw new AppError('invalid-input', 'after must be the `next` cursor of a previous page');
  return Number(after);
}

async function describeRecord(store: Store, baseUrl: string, rec: StoredRecord, anchorOf: AnchorLookup): Promise<RecordView> {
  if (!isRecordType(rec.type)) throw new AppError('internal', `stored record ${rec.id} has unknown type ${rec.type}`);
  const cp = rec.leafIndex === null ? undefined : await anchorOf(rec.logId);
  const anchored = cp !== undefined && rec.leafIndex !== null && cp.size > rec.leafIndex;
  const leafHash = leafHashHex(rec);
  const revocation = await countingRevocationOf(store, rec);
  const self = `${baseUrl}/api/v1/records/${encodeURIComponent(rec.id)}`;
  return {
    id: rec.id,
    type: rec.type,
    logId: rec.logId,
    fields: publicFields(rec.type, rec.body),
    recordRoot: rec.recordRoot,
    leafHash,
    signer: rec.signer,
    issuedAt: rec.issuedAt,
    receivedAt: new Date(rec.receivedAt).toISOString(),
    leafIndex: rec.leafIndex,
    status: anchored ? 'anchored' : 'pending',
    checkpoint: anchored ? checkpointView(cp) : null,
    revocation: revocation ?? null,
    links: { self, bundle: `${self}/bundle`, ...scanLink(baseUrl, rec) },
  };
}

function publicFields(type: RecordType, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of publicFieldNames(type)) if (body[name] !== undefined) out[name] = body[name];
  return out;
}

const checkpointView = (cp: Checkpoint): CheckpointView => ({
  size: cp.size,
  root: cp.root,
  txHash: cp.txHash,
  blockNumber: cp.blockNumber,
  blockTime: cp.blockTime === null ? null : new Date(cp.blockTime * 1000).toISOString(),
});

function scanLink(baseUrl: string, rec: StoredRecord): { scan?: string } {
  if (rec.type !== 'Batch') return {};
  const body = rec.body as { gtin?: string; lot: string };
  return { scan: labelUri(baseUrl, { id: rec.id, gtin: body.gtin, lot: body.lot }) };
}

async function classifyReport(store: Store, rec: StoredRecord): Promise<Classification | null> {
  const report = rec.body as { batchId: string; result: number; unit: string; issueDate: string };
  const batch = await store.getRecord(report.batchId);
  if (!batch || batch.type !== 'Batch') return null;
  try {
    return classify({ category: String(batch.body.productCategory), result: report.result, unit: report.unit, date: report.issueDate });
  } catch {
    return null; // a category the standards table does not know: nothing to compare against
  }
}
