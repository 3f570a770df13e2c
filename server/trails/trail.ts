/**
 * Data-sharing trails: each department's share records in its own sequence order, and their
 * verification as named steps. Nothing stored is trusted: leaf hashes are recomputed from the
 * stored log entries, record roots from the stored bodies, signers from the signatures, the
 * anchored root and key registrations are read from the chain.
 */
import { toHex0x } from '../crypto/bytes';
import { chainLogId } from '../anchoring/worker';
import type { ChainReader } from '../chain/reader';
import { AppError } from '../errors';
import { Appender } from '../ledger/appender';
import { InvariantError } from '../ledger/errors';
import { ProofError, equalBytes, fromHex, leafHash, toHex, verifyInclusion, type Hash } from '../ledger/rfc6962';
import { LogTree, type NodeId, type NodeReader } from '../ledger/tree';
import { GENESIS_PREV_HASH, SHARE_STEP_TYPES, instantToSeconds, isInNamespace, publicFieldNames, type RecordType, type ShareStep } from '../records';
import type { LogId, ParticipantKey, Store, StoredRecord } from '../store/types';
import type { Params } from '../verification/messages';
import { trailMessageText as messageText, type TrailMessageCode } from '../verification/trail-messages';
import { recordRootOfParsed } from '../records';
import { ShareSignatureChecker, isShareType } from './recompute';

/** The log that holds every share record. */
export const TRAIL_LOG: LogId = 'data-sharing';

// ---------------------------------------------------------------------------
// Reading.

/** A department and its trail at a glance. */
export interface DepartmentTrailSummary {
  departmentId: string;
  /** From the participant registry (mirrored); null for a department id the registry does not know. */
  name: string | null;
  uscc: string | null;
  /** False once the registry revoked the department; null when unknown. */
  active: boolean | null;
  records: number;
  /** 0 for a department without records. */
  lastSeq: number;
  lastIssuedAt: string | null;
}

/** Every registered department and every department id with share records, with record counts and last seq, by name. */
export async function listDepartments(store: Store): Promise<DepartmentTrailSummary[]> {
  const summaries = new Map((await store.trailSummaries()).map((s) => [s.departmentId, s]));
  const out: DepartmentTrailSummary[] = [];
  for (const p of await store.listParticipants('department')) {
    const s = summaries.get(p.id);
    summaries.delete(p.id);
    out.push({ departmentId: p.id, name: p.name, uscc: p.code, active: p.active, records: s?.records ?? 0, lastSeq: s?.lastSeq ?? 0, lastIssuedAt: s?.lastIssuedAt ?? null });
  }
  for (const s of summaries.values()) {
    out.push({ departmentId: s.departmentId, name: null, uscc: null, active: null, records: s.records, lastSeq: s.lastSeq, lastIssuedAt: s.lastIssuedAt });
  }
  return out;
}

/** Where a record stands: waiting to be sequenced, in the log, or in an anchored checkpoint. */
export type TrailEntryStatus = 'accepted' | 'sequenced' | 'anchored';

/** One record of a trail, with its public fields only. */
export interface TrailEntry {
  seq: number;
  recordId: string;
  type: string;
  step: ShareStep;
  issuedAt: string;
  prevHash: string;
  leafIndex: number | null;
  leafHash: string;
  status: TrailEntryStatus;
  /** The record's PUBLIC fields (officers and other private fields are withheld). */
  fields: Record<string, unknown>;
}

export interface Trail {
  departmentId: string;
  department: { name: string; uscc: string } | null;
  /** Size of the log's latest confirmed checkpoint (entries below it are anchored). */
  anchoredSize: number;
  entries: TrailEntry[];
  /** The seq to ask `from` for the next page, or null when this page reached the end. */
  next: number | null;
}

export interface TrailRange {
  /** First seq (inclusive). */
  from?: number;
  /** Last seq (inclusive). */
  to?: number;
  /** Most entries returned: default 1000, at most 10,000. */
  limit?: number;
}

/** The department's records in seq order (from..to), public fields only, with leaf index, leaf hash and status. */
export async function getTrail(store: Store, departmentId: string, range: TrailRange = {}): Promise<Trail> {
  const limit = Math.min(Math.max(1, range.limit ?? 1000), 10_000);
  const [participant, checkpoint, records] = await Promise.all([
    store.getParticipant(departmentId),
    store.latestCheckpoint(TRAIL_LOG, 'confirmed'),
    store.trailRecords(departmentId, { fromSeq: range.from, toSeq: range.to, limit: limit + 1 }),
  ]);
  const anchoredSize = checkpoint?.size ?? 0;
  const page = records.slice(0, limit);
  return {
    departmentId,
    department: participant && participant.kind === 'department' ? { name: participant.name, uscc: participant.code } : null,
    anchoredSize,
    entries: page.map((r) => trailEntryOf(r, anchoredSize)),
    next: records.length > limit ? Number(records[limit]!.body.seq) : null,
  };
}

function trailEntryOf(r: StoredRecord, anchoredSize: number): TrailEntry {
  const names = isShareType(r.type) ? publicFieldNames(r.type as RecordType) : [];
  const fields: Record<string, unknown> = {};
  for (const name of names) if (r.body[name] !== undefined) fields[name] = r.body[name];
  return {
    seq: Number(r.body.seq),
    recordId: r.id,
    type: r.type,
    step: r.body.step as ShareStep,
    issuedAt: r.issuedAt,
    prevHash: String(r.body.prevHash),
    leafIndex: r.leafIndex,
    leafHash: `0x${toHex(r.leafHash)}`,
    status: r.leafIndex === null ? 'accepted' : r.leafIndex < anchoredSize ? 'anchored' : 'sequenced',
    fields,
  };
}

// ---------------------------------------------------------------------------
// Verification.

/** The checks, in the order they are reported. */
export const TRAIL_STEPS = ['allEntriesAnchored', 'sequenceHasNoGap', 'hashLinksUnbroken', 'signaturesValid'] as const;
export type TrailStepName = (typeof TRAIL_STEPS)[number];

export type TrailStepStatus = 'passed' | 'failed' | 'pending';

/** The message codes of trail verification (keys of MESSAGES in server/verification/messages). */
export type { TrailMessageCode };

/** What a step says: a message code and its parameters (values only: ids, counts, hashes, ISO times). */
export interface TrailSaid {
  code: TrailMessageCode;
  params: Params;
}

export interface TrailStepResult {
  step: TrailStepName;
  status: TrailStepStatus;
  /** Key into the message table (server/verification/messages); render it in the reader's language. */
  code: TrailMessageCode;
  params: Params;
  /** The English sentence (for logs, the API and the CLI). */
  message: string;
  /** The same sentence in Chinese (for the auditor console's script, which has no copy of the table). */
  message_zh: string;
}

/** The first record a failed step names (seq and recordId are null when the problem is not one record of the trail). */
export interface TrailProblem {
  step: TrailStepName;
  seq: number | null;
  recordId: string | null;
}

export interface TrailVerification {
  departmentId: string;
  /** invalid: a step failed; pending: none failed but some entries are not anchored yet; valid otherwise. */
  verdict: 'valid' | 'invalid' | 'pending';
  steps: TrailStepResult[];
  /** Records in the trail. */
  entries: number;
  firstProblem?: TrailProblem;
  /** The chain's latest checkpoint of the data-sharing log, which the trail was checked against. */
  checkpoint: { size: number; root: string } | null;
  /** Milliseconds spent: reading and hashing the records, record roots, signatures, the anchored tree, key registrations. */
  timingsMs: Record<'read' | 'leaves' | 'recordRoots' | 'signatures' | 'anchoring' | 'keys', number>;
}

export interface TrailDeps {
  store: Store;
  /** Chain reads; pass a CachedChainReader on the server (answers that never change are cached). */
  reader: ChainReader;
  /** The chain and TraceLedger the records were signed for (their EIP-712 domain). */
  deployment: { chainId: number; traceLedger: string };
}

/** A step found a problem; the step's status is `status`. Its message is the English rendering of `code`. */
export class TrailStepError extends Error {
  override readonly name = 'TrailStepError';
  constructor(
    readonly step: TrailStepName,
    readonly code: TrailMessageCode,
    readonly params: Params = {},
    readonly status: 'failed' | 'pending' = 'failed',
    readonly entry: { seq: number | null; recordId: string | null } = { seq: null, recordId: null },
  ) {
    super(messageText(code, params, 'en'));
  }
}

/** A step result saying `said`, in English and Chinese. */
function stepResult(step: TrailStepName, status: TrailStepStatus, said: TrailSaid): TrailStepResult {
  return { step, status, code: said.code, params: said.params, message: messageText(said.code, said.params, 'en'), message_zh: messageText(said.code, said.params, 'zh') };
}

/** What verification keeps of one stored record (the body is dropped once checked). */
interface CheckedEntry {
  seq: number;
  recordId: string;
  leafIndex: number | null;
  /** Recomputed from the stored log entry. */
  leaf: Hash;
  /** prevHash as the body states it. */
  prevHash: string;
  /** Signer and time as the log entry states them (when readable). */
  signer: string | null;
  at: number | null;
  /** The first problem of the entry itself (unreadable entry, body not matching it), for hashLinksUnbroken. */
  linkProblem: TrailSaid | null;
  /** The signature did not recover to the entry's signer, for signaturesValid. */
  signatureProblem: TrailSaid | null;
}

/** What the anchored log says about the trail. */
interface AnchorView {
  head: { size: number; root: string };
  /** Trail entries not in the anchored checkpoint. */
  waiting: CheckedEntry[];
  /** Trail entries whose leaf is not at their index in the anchored tree. */
  notIncluded: { entry: CheckedEntry; why: TrailSaid }[];
  /** The whole stored log (entries recomputed) reproduces the anchored root. */
  logReproduced: boolean;
  /** Leaf indices below the anchored size with no stored record. */
  holes: number[];
  holeCount: number;
  /** Records outside this trail whose signer is a key of this department. */
  strays: { recordId: string; leafIndex: number; subject: string | null }[];
  chainProblem: TrailSaid | null;
}

interface VerifyContext {
  departmentId: string;
  entries: CheckedEntry[];
  anchor: AnchorView;
  deps: TrailDeps;
  timings: TrailVerification['timingsMs'];
}

const PAGE = 5000;
const LOG_PAGE = 20_000;
/** Records checked between two yields to the event loop, so a long verification does not stall the server. */
const SLICE = 500;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** A seq as a message parameter (a number when it is one). */
const seqParam = (seq: number): string | number => (Number.isSafeInteger(seq) ? seq : String(seq));
/** The message parameters naming a record of the trail (`recordId`, `seq`; prefixed, e.g. `prevRecordId`, `prevSeq`). */
const recordParams = (e: { seq: number; recordId: string }, prefix = ''): Params =>
  prefix ? { [`${prefix}RecordId`]: e.recordId, [`${prefix}Seq`]: seqParam(e.seq) } : { recordId: e.recordId, seq: seqParam(e.seq) };
const said = (code: TrailMessageCode, params: Params = {}): TrailSaid => ({ code, params });
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * Verifies a department's trail: every entry anchored on chain, its sequence 1..n without gap
 * (and no record of the department missing from it), each record matching its signed log entry
 * and linking to the previous one, each signature by a key registered on chain for the
 * department and valid when it signed. Reads the trail in pages; one chain read per distinct
 * key window and per checkpoint, none per entry.
 */
export async function verifyTrail(deps: TrailDeps, departmentId: string): Promise<TrailVerification> {
  const timings: TrailVerification['timingsMs'] = { read: 0, leaves: 0, recordRoots: 0, signatures: 0, anchoring: 0, keys: 0 };
  const entries = await checkRecords(deps, departmentId, timings);
  let t = performance.now();
  const anchor = await anchorView(deps, departmentId, entries);
  timings.anchoring = performance.now() - t;
  const ctx: VerifyContext = { departmentId, entries, anchor, deps, timings };

  const steps: TrailStepResult[] = [];
  let firstProblem: TrailProblem | undefined;
  for (const step of TRAIL_STEPS) {
    t = performance.now();
    try {
      steps.push(stepResult(step, 'passed', await STEP_FNS[step](ctx)));
    } catch (e) {
      if (!(e instanceof TrailStepError)) throw e;
      steps.push(stepResult(step, e.status, { code: e.code, params: e.params }));
      if (e.status === 'failed' && !firstProblem) firstProblem = { step, seq: e.entry.seq, recordId: e.entry.recordId };
    }
    if (step === 'signaturesValid') timings.keys = performance.now() - t;
  }
  const verdict = steps.some((s) => s.status === 'failed') ? 'invalid' : steps.some((s) => s.status === 'pending') ? 'pending' : 'valid';
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    departmentId,
    verdict,
    steps,
    entries: entries.length,
    ...(firstProblem ? { firstProblem } : {}),
    checkpoint: anchor.head.size > 0 ? anchor.head : null,
    timingsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, round(v)])) as TrailVerification['timingsMs'],
  };
}

type Step = (ctx: VerifyContext) => Promise<TrailSaid>;

const STEP_FNS: Record<TrailStepName, Step> = {
  async allEntriesAnchored({ entries, anchor }) {
    const step = 'allEntriesAnchored';
    if (anchor.chainProblem) throw new TrailStepError(step, anchor.chainProblem.code, anchor.chainProblem.params);
    const bad = anchor.notIncluded[0];
    if (bad) {
      throw new TrailStepError(step, bad.why.code, { ...recordParams(bad.entry), ...bad.why.params, count: anchor.notIncluded.length }, 'failed', bad.entry);
    }
    const { head } = anchor;
    const first = anchor.waiting[0];
    if (first) {
      throw new TrailStepError(step, 'trailNotAnchoredYet', { waiting: anchor.waiting.length, entries: entries.length, ...recordParams(first), size: head.size }, 'pending', first);
    }
    if (entries.length === 0) return said('trailNoRecordsYet');
    return said('trailAllAnchored', { entries: entries.length, size: head.size, root: head.root });
  },

  async sequenceHasNoGap({ entries, anchor }) {
    const step = 'sequenceHasNoGap';
    let expected = 1;
    for (const e of entries) {
      if (e.seq !== expected) {
        if (e.seq < expected) throw new TrailStepError(step, 'trailSeqRepeated', recordParams(e), 'failed', e);
        if (Number.isSafeInteger(e.seq)) throw new TrailStepError(step, 'trailSeqSkipped', { ...recordParams(e), expected, last: e.seq - 1 }, 'failed', e);
        throw new TrailStepError(step, 'trailSeqInvalid', recordParams(e), 'failed', e);
      }
      expected++;
    }
    // Records are admitted in seq order and sequenced in arrival order, so leaf indices rise with seq.
    let before: CheckedEntry | undefined;
    for (const e of entries) {
      if (e.leafIndex === null) continue;
      if (before && e.leafIndex <= before.leafIndex!) {
        throw new TrailStepError(step, 'trailOutOfOrder', { ...recordParams(e), leafIndex: e.leafIndex, ...recordParams(before, 'before'), beforeLeafIndex: before.leafIndex! }, 'failed', e);
      }
      before = e;
    }
    if (anchor.holeCount > 0) throw new TrailStepError(step, 'trailLogHoles', { count: anchor.holeCount, first: anchor.holes[0]! });
    const stray = anchor.strays[0];
    if (stray) {
      throw new TrailStepError(step, 'trailStrayRecord', { recordId: stray.recordId, leafIndex: stray.leafIndex, ...(stray.subject === null ? {} : { subject: stray.subject }) }, 'failed', {
        seq: null,
        recordId: stray.recordId,
      });
    }
    if (!anchor.logReproduced && anchor.head.size > 0 && anchor.notIncluded.length === 0 && !anchor.chainProblem) {
      throw new TrailStepError(step, 'trailLogNotReproduced', { size: anchor.head.size });
    }
    return entries.length === 0 ? said('trailNoRecordsAnywhere') : said('trailSequenceOk', { entries: entries.length });
  },

  async hashLinksUnbroken({ entries }) {
    const step = 'hashLinksUnbroken';
    let prev: CheckedEntry | undefined;
    for (const e of entries) {
      if (e.linkProblem) throw new TrailStepError(step, e.linkProblem.code, { ...recordParams(e), ...e.linkProblem.params }, 'failed', e);
      const want = prev ? toHex0x(prev.leaf) : GENESIS_PREV_HASH;
      if (e.prevHash !== want) {
        throw new TrailStepError(step, 'trailPrevHashMismatch', { ...recordParams(e), prevHash: e.prevHash, want, ...(prev ? recordParams(prev, 'prev') : {}) }, 'failed', e);
      }
      prev = e;
    }
    return entries.length === 0 ? said('trailNoRecords') : said('trailLinksOk');
  },

  async signaturesValid(ctx) {
    const step = 'signaturesValid';
    const { entries } = ctx;
    const bad = entries.find((e) => e.signatureProblem);
    if (bad) throw new TrailStepError(step, bad.signatureProblem!.code, { ...recordParams(bad), ...bad.signatureProblem!.params }, 'failed', bad);
    const problem = await keyProblems(ctx);
    if (problem) throw new TrailStepError(step, problem.said.code, problem.said.params, 'failed', problem.entry);
    const keys = new Set(entries.map((e) => e.signer)).size;
    return entries.length === 0 ? said('trailNoRecords') : said('trailSignaturesOk', { entries: entries.length, keys });
  },
};

// --- reading and recomputing the records ------------------------------------------

/** Reads the trail page by page, recomputing each leaf hash, record root and signer; keeps only what the steps need. */
async function checkRecords(deps: TrailDeps, departmentId: string, timings: TrailVerification['timingsMs']): Promise<CheckedEntry[]> {
  const checker = new ShareSignatureChecker({ chainId: deps.deployment.chainId, verifyingContract: deps.deployment.traceLedger });
  const out: CheckedEntry[] = [];
  let after: { seq: number; arrival: number } | undefined;
  for (;;) {
    let t = performance.now();
    const page = await deps.store.trailRecords(departmentId, { after, limit: PAGE });
    timings.read += performance.now() - t;
    for (const r of page) {
      t = performance.now();
      const leaf = leafHash(Buffer.from(r.entry, 'utf8'));
      const entry = readEntry(r.entry);
      const checked: CheckedEntry = {
        seq: typeof r.body.seq === 'number' ? r.body.seq : Number.NaN,
        recordId: r.id,
        leafIndex: r.leafIndex,
        leaf,
        prevHash: String(r.body.prevHash),
        signer: 'reason' in entry ? null : entry.signer,
        at: 'reason' in entry ? null : entry.at,
        linkProblem: null,
        signatureProblem: null,
      };
      timings.leaves += performance.now() - t;
      if ('reason' in entry) {
        checked.linkProblem = said('trailEntryUnreadable', entry);
        checked.signatureProblem = said('trailSignatureNoEntry');
      } else {
        t = performance.now();
        checked.linkProblem = bodyProblem(r, entry, departmentId);
        timings.recordRoots += performance.now() - t;
        t = performance.now();
        checked.signatureProblem = signatureProblem(checker, r, entry);
        timings.signatures += performance.now() - t;
      }
      out.push(checked);
      if (out.length % SLICE === 0) await yieldToEventLoop();
    }
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) return out;
    after = { seq: Number(last.body.seq), arrival: last.arrival };
  }
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
  | { reason: 'not-json' | 'not-object' | 'wrong-fields' | 'not-text' | 'bad-record-root' | 'bad-signer' | 'bad-signature' }
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
function bodyProblem(r: StoredRecord, entry: ReadEntry, departmentId: string): TrailSaid | null {
  const b = r.body;
  if (b.id !== entry.id) return said('trailBodyOtherRecord', { bodyId: String(b.id), entryId: entry.id });
  if (!isShareType(entry.type) || SHARE_STEP_TYPES[b.step as ShareStep] !== entry.type) return said('trailBodyOtherStep', { bodyStep: String(b.step), entryType: entry.type });
  if (b.issuedAt !== entry.issuedAt) return said('trailBodyOtherTime', { bodyIssuedAt: String(b.issuedAt), entryIssuedAt: entry.issuedAt });
  if (b.departmentId !== departmentId) return said('trailBodyOtherDepartment', { bodyDepartment: String(b.departmentId) });
  const root = recordRootOfParsed(b, r.salts);
  if (root !== entry.recordRoot) return said('trailBodyAltered', { recordRoot: entry.recordRoot });
  return null;
}

/** Why the signature does not recover to the entry's signer, or null. */
function signatureProblem(checker: ShareSignatureChecker, r: StoredRecord, entry: ReadEntry): TrailSaid | null {
  if (!isShareType(entry.type)) return said('trailSignatureNotShare', { type: entry.type });
  try {
    const recovered = checker.signerOf(checker.digest(entry.type, r.body, entry.recordRoot, entry.at), entry.signature);
    return recovered === entry.signer ? null : said('trailSignatureWrongSigner', { recovered, signer: entry.signer });
  } catch {
    return said('trailSignatureUnchecked');
  }
}

// --- the anchored log ---------------------------------------------------------------

/**
 * Rebuilds the anchored tree at the chain's latest size from the stored entries, every leaf hash
 * recomputed (this trail's and every other record's); a hole takes the stored leaf node so the
 * root can still be compared, and is reported. When the root matches the chain's, every stored
 * entry is at its anchored position; otherwise each trail entry is checked on its own inclusion
 * proof from the stored tree.
 */
async function anchorView(deps: TrailDeps, departmentId: string, entries: readonly CheckedEntry[]): Promise<AnchorView> {
  const { store, reader } = deps;
  const view: AnchorView = { head: { size: 0, root: '' }, waiting: [], notIncluded: [], logReproduced: false, holes: [], holeCount: 0, strays: [], chainProblem: null };
  const chainId = await reader.chainId();
  if (chainId !== deps.deployment.chainId) {
    view.chainProblem = said('trailWrongChain', { endpoint: chainId, expected: deps.deployment.chainId });
    return view;
  }
  const head = await reader.latest(chainLogId(TRAIL_LOG));
  view.head = { size: head.size, root: head.root };
  const size = head.size;

  const byIndex = entries.filter((e) => e.leafIndex !== null && e.leafIndex < size).sort((a, b) => a.leafIndex! - b.leafIndex!);
  view.waiting = entries.filter((e) => e.leafIndex === null || e.leafIndex >= size);
  if (size === 0) {
    view.logReproduced = true;
    return view;
  }

  const appender = new Appender();
  const nodes = store.nodeReader(TRAIL_LOG);
  let rootComputable = true;
  const othersBySigner = new Map<string, { recordId: string; leafIndex: number; subject: string | null }[]>();
  const duplicates: CheckedEntry[] = [];
  let t = 0; // position in byIndex
  for (let from = 0; from < size; from += LOG_PAGE) {
    const to = Math.min(size, from + LOG_PAGE);
    await yieldToEventLoop();
    const others = await store.logEntries(TRAIL_LOG, from, to, { excludeSubject: departmentId });
    let o = 0;
    for (let index = from; index < to; index++) {
      let leaf: Hash | undefined;
      while (t < byIndex.length && byIndex[t]!.leafIndex === index) {
        if (leaf === undefined) leaf = byIndex[t]!.leaf;
        else duplicates.push(byIndex[t]!);
        t++;
      }
      while (o < others.length && others[o]!.leafIndex === index) {
        const other = others[o]!;
        if (leaf === undefined) leaf = leafHash(Buffer.from(other.entry, 'utf8'));
        const signer = signerOfEntry(other.entry);
        if (signer) {
          const list = othersBySigner.get(signer) ?? [];
          if (list.length < 3) list.push({ recordId: other.recordId, leafIndex: index, subject: other.subject });
          othersBySigner.set(signer, list);
        }
        o++;
      }
      if (leaf === undefined) {
        view.holeCount++;
        if (view.holes.length < 10) view.holes.push(index);
        leaf = rootComputable ? await storedLeaf(nodes, index) : undefined;
        if (leaf === undefined) rootComputable = false;
      }
      if (rootComputable) appender.append(leaf!);
    }
  }

  view.logReproduced = rootComputable && equalBytes(appender.root(), fromHex(head.root));
  if (view.logReproduced) {
    for (const d of duplicates) view.notIncluded.push({ entry: d, why: said('trailLeafTaken', { index: d.leafIndex! }) });
  } else {
    view.notIncluded = await inclusionFailures(store, byIndex, size, head.root);
  }
  view.notIncluded.sort((a, b) => a.entry.seq - b.entry.seq);

  for (const [signer, found] of othersBySigner) {
    if ((await reader.participantOf(signer)) === departmentId) view.strays.push(...found);
  }
  return view;
}

/** The leaf node stored at `index`, or undefined when it is missing too. */
async function storedLeaf(nodes: NodeReader, index: number): Promise<Hash | undefined> {
  try {
    const [leaf] = await nodes.readNodes([{ level: 0, index }]);
    return leaf;
  } catch (e) {
    if (e instanceof InvariantError) return undefined;
    throw e;
  }
}

/** The trail entries whose own inclusion proof (read from the stored tree, node reads cached) does not lead to `root`. */
async function inclusionFailures(store: Store, byIndex: readonly CheckedEntry[], size: number, root: string): Promise<AnchorView['notIncluded']> {
  const tree = new LogTree(cachingReader(store.nodeReader(TRAIL_LOG)), size);
  const rootBytes = fromHex(root);
  const failures: AnchorView['notIncluded'] = [];
  for (const e of byIndex) {
    try {
      const proof = await tree.inclusionProof(e.leafIndex!, size);
      verifyInclusion({ index: e.leafIndex!, size, leafHash: e.leaf, proof, root: rootBytes });
    } catch (err) {
      if (!(err instanceof ProofError || err instanceof InvariantError)) throw err;
      const why = err instanceof ProofError ? said('trailLeafNotAtIndex', { leaf: toHex0x(e.leaf), index: e.leafIndex! }) : said('trailNoProof', { index: e.leafIndex! });
      failures.push({ entry: e, why });
    }
  }
  return failures;
}

/** A NodeReader that remembers what it read (proofs of neighbouring leaves share most nodes). */
function cachingReader(inner: NodeReader): NodeReader {
  const cache = new Map<string, Hash>();
  return {
    async readNodes(ids: readonly NodeId[]): Promise<Hash[]> {
      const missing = ids.filter((id) => !cache.has(`${id.level}:${id.index}`));
      if (missing.length > 0) (await inner.readNodes(missing)).forEach((h, i) => cache.set(`${missing[i]!.level}:${missing[i]!.index}`, h));
      return ids.map((id) => cache.get(`${id.level}:${id.index}`)!);
    },
  };
}

const SIGNER_IN_ENTRY = /"signer":"(0x[0-9a-f]{40})"/;

/** The signer named by a stored log entry (canonical JSON), or null. */
function signerOfEntry(text: string): string | null {
  return SIGNER_IN_ENTRY.exec(text)?.[1] ?? null;
}

// --- keys ---------------------------------------------------------------------------

/**
 * The first entry whose signer was not a key of this department valid when it signed, by the
 * chain's answer. The key windows come from the store's mirror of the registry and are checked
 * per entry locally; the chain then confirms, per key, that it belongs to the department and
 * was valid at the earliest and the latest instant it signed. A key's validity is an interval
 * (inside its window, before its and its department's revocation), so it held at every instant
 * between: the same answer as asking the chain for every entry, with two reads per key. Entries
 * the mirror doubts, and keys the chain does not confirm, are asked about one by one. Every record
 * signed by the department's keys must also have its id in the department's namespace (`{its code on
 * chain}-…`, ARCHITECTURE.md "Trust model").
 */
async function keyProblems(ctx: VerifyContext): Promise<{ said: TrailSaid; entry: { seq: number; recordId: string } } | null> {
  const { deps, departmentId, entries } = ctx;
  const [keys, participant] = await Promise.all([deps.store.keysOfParticipant(departmentId), deps.store.getParticipant(departmentId)]);
  const mirrorKeys = new Map<string, ParticipantKey>(keys.map((k) => [k.address.toLowerCase(), k]));
  const departmentRevokedAt = (participant?.data.revokedAt as number | null | undefined) ?? null;

  const bySigner = new Map<string, CheckedEntry[]>();
  for (const e of entries) {
    if (e.signer === null) continue;
    const list = bySigner.get(e.signer);
    if (list) list.push(e);
    else bySigner.set(e.signer, [e]);
  }

  let first: { said: TrailSaid; entry: CheckedEntry } | null = null;
  const note = (entry: CheckedEntry, what: TrailSaid) => {
    if (!first || entry.seq < first.entry.seq) first = { said: what, entry };
  };
  let registered: { name: string; code: string } | null | undefined;
  for (const [signer, signed] of bySigner) {
    const owner = await deps.reader.participantOf(signer);
    if (owner !== departmentId) {
      const e = signed[0]!;
      note(e, owner ? said('trailSignerOtherParticipant', { ...recordParams(e), signer, owner }) : said('trailSignerUnknown', { ...recordParams(e), signer }));
      continue;
    }
    registered ??= await deps.reader.participant(departmentId);
    const outside = registered ? signed.find((e) => !isInNamespace(e.recordId, registered!.code)) : undefined;
    if (outside && registered) note(outside, said('trailRecordIdOutsideNamespace', { ...recordParams(outside), name: registered.name, code: registered.code }));
    const key = mirrorKeys.get(signer);
    const looksValid = (at: number) => !!key && key.validFrom <= at && at <= key.validTo && (key.revokedAt === null || at < key.revokedAt) && (departmentRevokedAt === null || at < departmentRevokedAt);
    const fine = signed.filter((e) => looksValid(e.at!));
    const doubtful = signed.filter((e) => !looksValid(e.at!));
    if (fine.length > 0) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const e of fine) {
        lo = Math.min(lo, e.at!);
        hi = Math.max(hi, e.at!);
      }
      const confirmed = (await deps.reader.isValidSigner(signer, 'department', lo)) && (lo === hi || (await deps.reader.isValidSigner(signer, 'department', hi)));
      if (!confirmed) doubtful.push(...fine);
    }
    doubtful.sort((a, b) => a.seq - b.seq);
    for (const e of doubtful) {
      if (await deps.reader.isValidSigner(signer, 'department', e.at!)) continue;
      note(e, said('trailSignerNotValid', { ...recordParams(e), at: iso(e.at!), signer, ...whyNot(key, departmentRevokedAt, e.at!) }));
      break; // the first (lowest seq) of this key is enough
    }
  }
  const found = first as { said: TrailSaid; entry: CheckedEntry } | null;
  return found ? { said: found.said, entry: { seq: found.entry.seq, recordId: found.entry.recordId } } : null;
}

/** Why the mirror says the key was not valid at `at` (`why` and `since`, see trailSignerNotValid), or nothing. */
function whyNot(key: ParticipantKey | undefined, departmentRevokedAt: number | null, at: number): Params {
  if (!key) return {};
  if (key.revokedAt !== null && at >= key.revokedAt) return { why: 'key-revoked', since: iso(key.revokedAt) };
  if (at < key.validFrom) return { why: 'not-yet-valid', since: iso(key.validFrom) };
  if (at > key.validTo) return { why: 'expired', since: iso(key.validTo) };
  if (departmentRevokedAt !== null && at >= departmentRevokedAt) return { why: 'department-revoked', since: iso(departmentRevokedAt) };
  return {};
}

/** Throws AppError 'not-found' unless `departmentId` is a registered department or has records. */
export async function assertKnownDepartment(store: Store, departmentId: string): Promise<void> {
  const p = await store.getParticipant(departmentId);
  if (p?.kind === 'department') return;
  if ((await store.lastTrailRecord(departmentId)) !== undefined) return;
  throw new AppError('not-found', `no department ${departmentId}`);
}
