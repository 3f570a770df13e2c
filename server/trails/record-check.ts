/**
 * The per-record checks of trail verification, pure and synchronous, so they run alike on the calling thread
 * and on worker threads (./worker-pool.ts, `checkStoredBatch`): the log entry read and hashed (the leaf), the
 * stored body matched against the entry (its record root recomputed from the body and salts), and the
 * signature recovered from the EIP-712 digest.
 */
import { leafHash, type Hash } from '../ledger/rfc6962';
import { SHARE_STEP_TYPES, instantToSeconds, recordRootOfParsed, type ChainBinding, type ShareStep } from '../records';
import type { Params } from '../verification/messages';
import type { TrailMessageCode } from '../verification/trail-messages';
import { ShareSignatureChecker, isShareType } from './recompute';

/** What a step says: a message code and its parameters (values only: ids, counts, hashes, ISO times). */
export interface TrailSaid {
  code: TrailMessageCode;
  params: Params;
}

export const said = (code: TrailMessageCode, params: Params = {}): TrailSaid => ({ code, params });

/** What a record check needs of a stored record. */
export interface StoredForCheck {
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

const ENTRY_KEYS = 'id,issuedAt,recordRoot,signature,signer,type,v';

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
  if (Object.keys(e).sort().join(',') !== ENTRY_KEYS) return { reason: 'wrong-fields' };
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

/** Why the signature does not recover to the entry's signer, or null. */
function signatureProblem(checker: ShareSignatureChecker, r: StoredForCheck, entry: ReadEntry): TrailSaid | null {
  if (!isShareType(entry.type)) return said('trailSignatureNotShare', { type: entry.type });
  try {
    const recovered = checker.signerOf(checker.digest(entry.type, r.body, entry.recordRoot, entry.at), entry.signature);
    return recovered === entry.signer ? null : said('trailSignatureWrongSigner', { recovered, signer: entry.signer });
  } catch {
    return said('trailSignatureUnchecked');
  }
}

/** Milliseconds a batch spent on leaf hashes (with reading the entry), record roots (with the body's other checks) and signatures. */
export interface CheckTimings {
  leaves: number;
  recordRoots: number;
  signatures: number;
}

/** The leaf hash of a stored record's entry, and what its checks found; adds the time of each part to `ms`. */
export function checkStoredRecord(checker: ShareSignatureChecker, r: StoredForCheck, departmentId: string, ms: CheckTimings): { leaf: Hash; check: RecordCheck } {
  const t0 = performance.now();
  const leaf = leafHash(Buffer.from(r.entry, 'utf8'));
  const entry = readEntry(r.entry);
  const t1 = performance.now();
  ms.leaves += t1 - t0;
  if ('reason' in entry) {
    return {
      leaf,
      check: {
        signer: null,
        at: null,
        linkProblem: said('trailEntryUnreadable', entry),
        signatureProblem: said('trailSignatureNoEntry'),
      },
    };
  }
  const linkProblem = bodyProblem(r, entry, departmentId);
  const t2 = performance.now();
  ms.recordRoots += t2 - t1;
  const sigProblem = signatureProblem(checker, r, entry);
  ms.signatures += performance.now() - t2;
  return {
    leaf,
    check: {
      signer: entry.signer,
      at: entry.at,
      linkProblem,
      signatureProblem: sigProblem,
    },
  };
}

/** A batch of one department's stored records to check. */
export interface CheckBatch {
  departmentId: string;
  /** The chain and TraceLedger the records were signed for (their EIP-712 domain). */
  binding: ChainBinding;
  records: StoredForCheck[];
}

/** The leaf hashes of a batch (32 bytes each, in order, in one buffer) and each record's checks. */
export interface CheckedBatch {
  leaves: Uint8Array;
  checks: RecordCheck[];
  ms: CheckTimings;
  /** The buffers to move rather than copy when the answer crosses threads. */
  transfer: ArrayBuffer[];
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

/** Checks every record of `batch` (the worker entry point, also run inline). */
export function checkStoredBatch(batch: CheckBatch): CheckedBatch {
  const checker = checkerFor(batch.binding);
  const leaves = new Uint8Array(32 * batch.records.length);
  const checks: RecordCheck[] = [];
  const ms: CheckTimings = { leaves: 0, recordRoots: 0, signatures: 0 };
  batch.records.forEach((r, i) => {
    const { leaf, check } = checkStoredRecord(checker, r, batch.departmentId, ms);
    leaves.set(leaf, 32 * i);
    checks.push(check);
  });
  return { leaves, checks, ms, transfer: [leaves.buffer as ArrayBuffer] };
}
