/**
 * Data-sharing for the API and the consoles: share steps submitted (the record type told by its
 * `step`) and shown, their signed receipts, department references, the log's inclusion and
 * consistency proofs, and dataset checks of an uploaded file, hashed as it streams in.
 */
import { toHex0x } from '../crypto/bytes';
import type { Readable } from 'node:stream';
import { AppError } from '../errors';
import { LogTree } from '../ledger/tree';
import { SHARE_STEPS, SHARE_STEP_TYPES, type ShareStep } from '../records';
import type { LogId, Store } from '../store/types';
import type { Services } from './context';
import { checkDelivery, getReceipt, isShareType, sha256Stream, type DeliveryCheck, type SignedReceipt } from '../trails';
import type { Acceptance } from './ingest';
import { getRecordView, type RecordView } from './records';
import { participantIdOf } from './references';

/** A share step as its department's tooling sends it. `type`, when given, must be the one its `step` implies. */
export interface ShareSubmission {
  type?: string;
  record: Record<string, unknown>;
  salts: Record<string, string>;
  signature: string;
}

/** The record type of a share step, from its `step`. Throws 'invalid-input' for anything else, or when `type` names another one. */
export function shareTypeOf(record: Record<string, unknown>, type?: string): (typeof SHARE_STEP_TYPES)[ShareStep] {
  const step = record.step;
  if (typeof step !== 'string' || !(SHARE_STEPS as readonly string[]).includes(step)) {
    throw new AppError('invalid-input', `record.step must be one of ${SHARE_STEPS.join(', ')}`);
  }
  const inferred = SHARE_STEP_TYPES[step as ShareStep];
  if (type !== undefined && type !== inferred) throw new AppError('invalid-input', `type ${type} does not match record.step "${step}" (a ${inferred})`);
  return inferred;
}

/** Accepts a department-signed share step; the acceptance carries the operator's receipt once the record is sequenced. */
export function submitShare(sys: Pick<Services, 'ingest'>, sub: ShareSubmission): Promise<Acceptance> {
  const type = shareTypeOf(sub.record, sub.type);
  return sys.ingest.submitSigned({ type, record: sub.record, salts: sub.salts, signature: sub.signature });
}

/** A share step as the API shows it: its public fields, place in the log and status, its department and seq. */
export interface ShareView extends RecordView {
  step: ShareStep;
  departmentId: string;
  seq: number;
  links: RecordView['links'] & { receipt: string; trail: string };
}

/** The share step `id`. Throws 'not-found' when there is none (or the record is not a share step). */
export async function getShareView(store: Store, baseUrl: string, id: string): Promise<ShareView> {
  const view = await getRecordView(store, baseUrl, id);
  if (!isShareType(view.type)) throw new AppError('not-found', `no share record ${id}`);
  const departmentId = String(view.fields.departmentId);
  return {
    ...view,
    step: view.fields.step as ShareStep,
    departmentId,
    seq: Number(view.fields.seq),
    links: {
      ...view.links,
      receipt: `${baseUrl}/api/v1/shares/${encodeURIComponent(id)}/receipt`,
      trail: `${baseUrl}/api/v1/departments/${departmentId}/trail`,
    },
  };
}

/**
 * The signed receipt of share step `id`, or null while it waits to be sequenced (moments).
 * Throws 'not-found' when there is no such share step.
 */
export async function getShareReceipt(sys: Pick<Services, 'store' | 'operator' | 'deployment'>, id: string): Promise<SignedReceipt | null> {
  const rec = await sys.store.getRecord(id);
  if (!rec || !isShareType(rec.type)) throw new AppError('not-found', `no share record ${id}`);
  return getReceipt({ store: sys.store, operator: sys.operator, binding: { chainId: sys.deployment.chainId, traceLedger: sys.deployment.traceLedger } }, id);
}

/** The department id a caller's reference names: a participant id (0x + 64 hex digits) or a unified social credit code. */
export const departmentRef = (ref: string): string => participantIdOf('department', ref);

// ---------------------------------------------------------------------------
// Log proofs.

/** An inclusion proof as served to receipt checkers (the shape {@link FetchInclusion} expects, plus the root it leads to). */
export interface InclusionAnswer {
  logId: LogId;
  index: number;
  size: number;
  leafHash: string;
  proof: string[];
  root: string;
}

export interface ConsistencyAnswer {
  logId: LogId;
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[];
}


/** The log's tree, as sequenced so far. Throws 'invalid-input' when `size` is beyond it. */
async function treeUpTo(store: Store, logId: LogId, size: number): Promise<LogTree> {
  const head = await store.logHead(logId);
  if (size > head.size) throw new AppError('invalid-input', `log ${logId} has ${head.size} entries; size ${size} is beyond it`);
  return new LogTree(store.nodeReader(logId), head.size);
}

/** The leaf at `index` and its inclusion proof in the tree of the first `size` entries. Requires 0 <= index < size. */
export async function logInclusion(store: Store, logId: LogId, index: number, size: number): Promise<InclusionAnswer> {
  if (!(index < size)) throw new AppError('invalid-input', `index ${index} must be less than size ${size}`);
  const tree = await treeUpTo(store, logId, size);
  const [leaf, proof, root] = await Promise.all([tree.leafHashAt(index), tree.inclusionProof(index, size), tree.rootAt(size)]);
  return { logId, index, size, leafHash: toHex0x(leaf), proof: proof.map(toHex0x), root: toHex0x(root) };
}

/** The consistency proof between the trees of `size1` and `size2` entries, and both roots. Requires size1 <= size2. */
export async function logConsistency(store: Store, logId: LogId, size1: number, size2: number): Promise<ConsistencyAnswer> {
  if (size1 > size2) throw new AppError('invalid-input', `size1 ${size1} must not be greater than size2 ${size2}`);
  const tree = await treeUpTo(store, logId, size2);
  const [root1, root2, proof] = await Promise.all([tree.rootAt(size1), tree.rootAt(size2), tree.consistencyProof(size1, size2)]);
  return { logId, size1, size2, root1: toHex0x(root1), root2: toHex0x(root2), proof: proof.map(toHex0x) };
}

// ---------------------------------------------------------------------------
// Dataset checks.

/** Largest file the dataset check hashes from an upload. */
export const DATASET_UPLOAD_LIMIT = 64 * 1024 ** 3;

/** The bytes of `source`, failing with 'payload-too-large' past `limit`. */
async function* capped(source: AsyncIterable<Buffer | string>, limit: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    bytes += buf.length;
    if (bytes > limit) throw new AppError('payload-too-large', `the file is larger than the limit of ${limit} bytes`);
    yield buf;
  }
}

/**
 * Compares a file streamed in `body` with delivery `deliveryId`: its SHA-256 is computed chunk by
 * chunk (the file is never held whole), then compared as {@link checkDelivery} does. Checks the
 * delivery exists before reading anything. Throws 'not-found', 'payload-too-large', 'invalid-input'.
 */
export async function checkDeliveryUpload(
  store: Store,
  deliveryId: string,
  body: Readable,
  opts: { rowCount?: number; limit?: number } = {},
): Promise<DeliveryCheck & { bytes: number }> {
  const rec = await store.getRecord(deliveryId);
  if (!rec || rec.type !== 'ShareDelivery') throw new AppError('not-found', `no share delivery ${deliveryId}`);
  const digest = await sha256Stream(capped(body, opts.limit ?? DATASET_UPLOAD_LIMIT));
  const check = await checkDelivery(store, deliveryId, opts.rowCount === undefined ? { sha256: digest.sha256 } : { sha256: digest.sha256, rowCount: opts.rowCount });
  return { ...check, bytes: digest.bytes };
}
