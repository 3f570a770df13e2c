/**
 * The per-record checks of trail verification, pure and synchronous, so they run alike on the calling thread
 * and on worker threads (./worker-pool.ts, `checkStoredBatch`): the log entry read and hashed (the leaf), the
 * stored body matched against the entry (its record root recomputed from the body and salts), and the
 * signature recovered from the EIP-712 digest. A batch goes in as the stored texts (parsed here, off the
 * calling thread) and comes back packed in a few arrays, most of them moved rather than copied between threads.
 */
import { leafHash } from '../ledger/rfc6962';
import { SHARE_STEP_TYPES, instantToSeconds, recordRootOfParsed, type ChainBinding, type ShareStep } from '../records';
import { jsonObjectColumn } from '../store/rows';
import { readTrailRange } from '../store/trail-reader';
import type { TrailRange, TrailReadSource } from '../store/types';
import type { Params } from '../verification/messages';
import type { TrailMessageCode } from '../verification/trail-messages';
import { ShareSignatureChecker, isShareType } from './recompute';

/** What a step says: a message code and its parameters (values only: ids, counts, hashes, ISO times). */
export interface TrailSaid {
  code: TrailMessageCode;
  params: Params;
}

export const said = (code: TrailMessageCode, params: Params = {}): TrailSaid => ({ code, params });

/** What a record check needs of a stored record, parsed. */
interface StoredForCheck {
  /** The stored log entry (canonical JSON): the leaf data. */
  entry: string;
  body: Record<string, unknown>;
  salts: Record<string, string>;
}

/** What the check found: the signer and time the entry states (null when unreadable) and the first problems. */
export interface RecordCheck {
  signer: string | null;
  at: number | null;
  /** The first problem of the entry itself (unreadable entry, body not matching it). */
  linkProblem: TrailSaid | null;
  /** The signature did not recover to the entry's signer. */
  signatureProblem: TrailSaid | null;
}

interface ReadEntry {
  type: string;
  id: string;
  recordRoot: string;
  signer: string;
  signature: string;
  issuedAt: string;
  at: number;
}

/** The fields of a v1 log entry, exactly. */
const ENTRY_KEYS: ReadonlySet<string> = new Set(['id', 'issuedAt', 'recordRoot', 'signature', 'signer', 'type', 'v']);

/** True when the parsed entry `e` has exactly the fields of ENTRY_KEYS as its own keys (JSON.parse gives each once). */
function hasEntryKeys(e: object): boolean {
  let n = 0;
  for (const key in e) {
    if (!Object.hasOwn(e, key)) continue;
    if (!ENTRY_KEYS.has(key)) return false;
    n++;
  }
  return n === ENTRY_KEYS.size;
}

/** Why a stored log entry cannot be read: a reason code (see trailEntryUnreadable in MESSAGES), with the value at fault. */
type EntryProblem =
  | {
      reason: 'not-json' | 'not-object' | 'wrong-fields' | 'not-text' | 'bad-record-root' | 'bad-signer' | 'bad-signature';
    }
  | { reason: 'unknown-version'; version: string }
  | { reason: 'bad-instant'; issuedAt: string };

/** The fields of a v1 log entry, or why it cannot be read. */
function readEntry(text: string): ReadEntry | EntryProblem {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { reason: 'not-json' };
  }
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return { reason: 'not-object' };
  if (e.v !== 1) return { reason: 'unknown-version', version: JSON.stringify(e.v ?? null) };
  if (!hasEntryKeys(e)) return { reason: 'wrong-fields' };
  const { type, id, recordRoot, signer, signature, issuedAt } = e;
  if (typeof type !== 'string' || typeof id !== 'string' || typeof issuedAt !== 'string') return { reason: 'not-text' };
  if (typeof recordRoot !== 'string' || !/^0x[0-9a-f]{64}$/.test(recordRoot)) return { reason: 'bad-record-root' };
  if (typeof signer !== 'string' || !/^0x[0-9a-f]{40}$/.test(signer)) return { reason: 'bad-signer' };
  if (typeof signature !== 'string' || !/^0x[0-9a-f]{130}$/.test(signature)) return { reason: 'bad-signature' };
  let at: number;
  try {
    at = instantToSeconds(issuedAt);
  } catch {
    return { reason: 'bad-instant', issuedAt };
  }
  return { type, id, recordRoot, signer, signature, issuedAt, at };
}

/** Why the stored body does not match its log entry (or the trail it is filed in), or null. */
function bodyProblem(r: StoredForCheck, entry: ReadEntry, departmentId: string): TrailSaid | null {
  const b = r.body;
  if (b.id !== entry.id)
    return said('trailBodyOtherRecord', {
      bodyId: String(b.id),
      entryId: entry.id,
    });
  if (!isShareType(entry.type) || SHARE_STEP_TYPES[b.step as ShareStep] !== entry.type)
    return said('trailBodyOtherStep', {
      bodyStep: String(b.step),
      entryType: entry.type,
    });
  if (b.issuedAt !== entry.issuedAt)
    return said('trailBodyOtherTime', {
      bodyIssuedAt: String(b.issuedAt),
      entryIssuedAt: entry.issuedAt,
    });
  if (b.departmentId !== departmentId)
    return said('trailBodyOtherDepartment', {
      bodyDepartment: String(b.departmentId),
    });
  const root = recordRootOfParsed(b, r.salts);
  if (root !== entry.recordRoot) return said('trailBodyAltered', { recordRoot: entry.recordRoot });
  return null;
}

/** The EIP-712 digest the entry's signer signed for this body, or why it cannot be built. */
function signedDigest(checker: ShareSignatureChecker, r: StoredForCheck, entry: ReadEntry): Uint8Array | TrailSaid {
  if (!isShareType(entry.type)) return said('trailSignatureNotShare', { type: entry.type });
  try {
    return checker.digest(entry.type, r.body, entry.recordRoot, entry.at);
  } catch {
    return said('trailSignatureUnchecked');
  }
}

/** Why the signature over `digest` does not recover to the entry's signer, or null. */
function signerProblem(checker: ShareSignatureChecker, digest: Uint8Array, entry: ReadEntry): TrailSaid | null {
  try {
    const recovered = checker.signerOf(digest, entry.signature);
    return recovered === entry.signer ? null : said('trailSignatureWrongSigner', { recovered, signer: entry.signer });
  } catch {
    return said('trailSignatureUnchecked');
  }
}

/** Milliseconds a batch spent reading its records (a range only), on leaf hashes (with reading the entry), record roots (with the body's other checks) and signatures (digests and recoveries). */
export interface CheckTimings {
  read: number;
  leaves: number;
  recordRoots: number;
  signatures: number;
}

/** A batch of one department's stored records to check: their texts as stored (Store.trailRecordTexts), in order. */
export interface CheckBatch {
  departmentId: string;
  /** The chain and TraceLedger the records were signed for (their EIP-712 domain). */
  binding: ChainBinding;
  /** Each record's log entry, body and salts, as stored (JSON text). */
  entries: string[];
  bodies: string[];
  salts: string[];
}

/** What a batch's checks found, packed: per record i, see {@link checkedRecord}. */
export interface CheckedBatch {
  /** The leaf hashes, 32 bytes each, in order. */
  leaves: Uint8Array;
  /** The body's seq (NaN when it is not a number) and the entry's time (NaN when the entry is unreadable). */
  seqs: Float64Array;
  ats: Float64Array;
  /** The distinct signers the entries state, and each record's index into them (-1: the entry is unreadable). */
  signers: string[];
  signerIndex: Int32Array;
  /** The body's prevHash, as text. */
  prevHashes: string[];
  /** Only the records with a problem: their index in the batch and what is wrong. */
  problems: { index: number; linkProblem: TrailSaid | null; signatureProblem: TrailSaid | null }[];
  ms: CheckTimings;
  /** The buffers to move rather than copy when the answer crosses threads. */
  transfer: ArrayBuffer[];
}

/** Record i of a checked batch: what its checks found, with the body's seq and prevHash. */
export function checkedRecord(done: CheckedBatch, i: number, problems?: ReadonlyMap<number, CheckedBatch['problems'][number]>): RecordCheck & { leaf: Uint8Array; seq: number; prevHash: string } {
  const s = done.signerIndex[i]!;
  const at = done.ats[i]!;
  const problem = problems ? problems.get(i) : done.problems.find((p) => p.index === i);
  return {
    leaf: done.leaves.subarray(32 * i, 32 * i + 32),
    seq: done.seqs[i]!,
    prevHash: done.prevHashes[i]!,
    signer: s < 0 ? null : done.signers[s]!,
    at: Number.isNaN(at) ? null : at,
    linkProblem: problem?.linkProblem ?? null,
    signatureProblem: problem?.signatureProblem ?? null,
  };
}

const checkers = new Map<string, ShareSignatureChecker>();

/** One checker per chain binding (its EIP-712 domain built once). */
export function checkerFor(binding: ChainBinding): ShareSignatureChecker {
  const key = `${binding.chainId}:${binding.verifyingContract.toLowerCase()}`;
  let checker = checkers.get(key);
  if (!checker) {
    checker = new ShareSignatureChecker(binding);
    checkers.set(key, checker);
  }
  return checker;
}

/**
 * Checks every record of `batch` (the worker entry point, also run inline), in two passes: first each record's
 * leaf hash, entry, body and record root, and the digest its signer signed; then every signature recovery in
 * one tight loop, where libsecp256k1's precomputed tables stay in the processor's caches (interleaved with the
 * hashing, a recovery cost ≈ 20 % more).
 */
export function checkStoredBatch(batch: CheckBatch): CheckedBatch {
  const checker = checkerFor(batch.binding);
  const n = batch.entries.length;
  const leaves = new Uint8Array(32 * n);
  const seqs = new Float64Array(n);
  const ats = new Float64Array(n).fill(Number.NaN);
  const signers: string[] = [];
  const signerIndex = new Int32Array(n).fill(-1);
  const prevHashes: string[] = [];
  const checks: RecordCheck[] = [];
  const ms: CheckTimings = { read: 0, leaves: 0, recordRoots: 0, signatures: 0 };
  const toRecover: { check: RecordCheck; digest: Uint8Array; entry: ReadEntry }[] = [];
  for (let i = 0; i < n; i++) {
    // A damaged JSON column reads as {} (as the store reads it): the body then matches no entry.
    const faults: string[] = [];
    const r: StoredForCheck = {
      entry: batch.entries[i]!,
      body: jsonObjectColumn(batch.bodies[i]!, 'body', faults),
      salts: jsonObjectColumn(batch.salts[i]!, 'salts', faults) as Record<string, string>,
    };
    seqs[i] = typeof r.body.seq === 'number' ? r.body.seq : Number.NaN;
    prevHashes.push(String(r.body.prevHash));
    const t0 = performance.now();
    leaves.set(leafHash(Buffer.from(r.entry, 'utf8')), 32 * i);
    const entry = readEntry(r.entry);
    const t1 = performance.now();
    ms.leaves += t1 - t0;
    if ('reason' in entry) {
      checks.push({ signer: null, at: null, linkProblem: said('trailEntryUnreadable', entry), signatureProblem: said('trailSignatureNoEntry') });
      continue;
    }
    ats[i] = entry.at;
    let s = signers.indexOf(entry.signer);
    if (s < 0) s = signers.push(entry.signer) - 1;
    signerIndex[i] = s;
    const check: RecordCheck = { signer: entry.signer, at: entry.at, linkProblem: bodyProblem(r, entry, batch.departmentId), signatureProblem: null };
    checks.push(check);
    const t2 = performance.now();
    ms.recordRoots += t2 - t1;
    const digest = signedDigest(checker, r, entry);
    if (digest instanceof Uint8Array) toRecover.push({ check, digest, entry });
    else check.signatureProblem = digest;
    ms.signatures += performance.now() - t2;
  }
  const t3 = performance.now();
  for (const { check, digest, entry } of toRecover) check.signatureProblem = signerProblem(checker, digest, entry);
  ms.signatures += performance.now() - t3;
  const problems: CheckedBatch['problems'] = [];
  checks.forEach((c, index) => {
    if (c.linkProblem || c.signatureProblem) problems.push({ index, linkProblem: c.linkProblem, signatureProblem: c.signatureProblem });
  });
  return {
    leaves,
    seqs,
    ats,
    signers,
    signerIndex,
    prevHashes,
    problems,
    ms,
    transfer: [leaves.buffer, seqs.buffer, ats.buffer, signerIndex.buffer] as ArrayBuffer[],
  };
}

/** A range of one department's trail for a thread to read from the store itself (Store.trailReadSource), then check. */
export interface CheckRange {
  binding: ChainBinding;
  source: TrailReadSource;
  range: TrailRange;
}

/** What a range's checks found (as a batch's, record i the range's i-th record), with the records' ids and leaf indexes (NaN: not yet in the log). */
export interface CheckedRange extends CheckedBatch {
  ids: string[];
  leafIndexes: Float64Array;
}

/** Reads the records of `task.range` (one statement: one snapshot) and checks them as {@link checkStoredBatch}. */
export function checkStoredRange(task: CheckRange): CheckedRange {
  const t0 = performance.now();
  const rows = readTrailRange(task.source, task.range);
  const read = performance.now() - t0;
  const done = checkStoredBatch({
    departmentId: task.range.departmentId,
    binding: task.binding,
    entries: rows.map((r) => r.entry),
    bodies: rows.map((r) => r.body),
    salts: rows.map((r) => r.salts),
  });
  done.ms.read = read;
  const leafIndexes = Float64Array.from(rows, (r) => r.leafIndex ?? Number.NaN);
  return { ...done, ids: rows.map((r) => r.id), leafIndexes, transfer: [...done.transfer, leafIndexes.buffer as ArrayBuffer] };
}

/** The record-checking threads' entry point: a batch of stored texts, or a range of the trail to read first. */
export function checkTask(task: CheckBatch | CheckRange): CheckedBatch | CheckedRange {
  return 'range' in task ? checkStoredRange(task) : checkStoredBatch(task);
}
