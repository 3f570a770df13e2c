import path from 'node:path';
import { toHex0x } from '../crypto/bytes';
import { chainLogId } from '../anchoring/worker';
import type { ChainReader } from '../chain/reader';
import { AppError } from '../errors';
import { Appender } from '../ledger/appender';
import { InvalidArgumentError, InvariantError } from '../ledger/errors';
import { ProofError, equalBytes, fromHex, leafHash, toHex, verifyConsistency, verifyInclusion, type Hash } from '../ledger/rfc6962';
import { LogTree, planRoot, type NodeId, type NodeReader } from '../ledger/tree';
import { GENESIS_PREV_HASH, isInNamespace, publicFieldNames, type ChainBinding, type RecordType, type ShareStep } from '../records';
import { trailRanges } from '../store/trail-reader';
import type { LogId, ParticipantKey, Store, StoredRecord, TrailRange as StoredTrailRange, TrailReadSource } from '../store/types';
import type { Params } from '../verification/messages';
import { trailMessageText as messageText, type TrailMessageCode } from '../verification/trail-messages';
import { checkStoredBatch, checkTask, checkedRecord, said, type CheckBatch, type CheckRange, type CheckedBatch, type CheckedRange, type TrailSaid } from './record-check';
import { isShareType } from './recompute';
import { WorkerPool, coreCount } from '../worker-pool';

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
export type { TrailSaid };

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
  /**
   * Milliseconds spent: reading the records (read: on SQLite, summed over the threads that read their ranges, with
   * finding where the ranges end; else the calling thread's reads), then, summed over the threads that checked them, leaf hashes (leaves),
   * record roots (recordRoots) and signature recoveries (signatures), and in wall time: checking the records on every core
   * (checks), the anchored tree (anchoring), the kept verification's consistency with today's checkpoint (consistency),
   * key registrations (keys).
   */
  timingsMs: Record<TrailTiming, number>;
  /** Whether every record was checked now (full) or only those since a kept verification (incremental), and from which checkpoint. */
  basis: TrailBasis;
}

export type TrailTiming = 'read' | 'leaves' | 'recordRoots' | 'signatures' | 'checks' | 'anchoring' | 'consistency' | 'keys';

/** Why a verification checked every record rather than only the new ones. */
export type FullReason =
  /** The caller asked for it (verifyTrail's default; an oversight request, `fresh`, through CachedTrailVerifier). */
  | 'asked'
  /** No verification is kept for this trail (never verified, or the last one failed). */
  | 'nothing-kept'
  /** The mirror's view of the department or its keys changed since. */
  | 'registry-changed'
  /** The kept checkpoint is not the chain's root at that size (a forged or stale kept state). */
  | 'kept-checkpoint-not-on-chain'
  /** The stored tree does not prove today's checkpoint consistent with the kept one. */
  | 'inconsistent'
  /** The last record verified then is no longer stored as it was (edited, moved or deleted). */
  | 'kept-record-changed'
  /** A record below the kept checkpoint is gone from the store (deleted: its leaf or record row). */
  | 'record-lost'
  /** The chain's checkpoint is smaller than the kept one (another chain or deployment). */
  | 'chain-shrank';

/** What a verification rests on. */
export interface TrailBasis {
  mode: 'full' | 'incremental';
  /**
   * Incremental: the kept verification it extends: the anchored checkpoint that one was checked against (proven
   * consistent with today's, RFC 9162), the records it covered (seq 1..entries), and when.
   */
  from: { size: number; root: string; entries: number; verifiedAt: string } | null;
  /** Full: why (the kept verification could not be used, or none was asked for). */
  fullBecause?: FullReason;
}

export interface TrailDeps {
  store: Store;
  /** Chain reads; pass a CachedChainReader on the server (answers that never change are cached). */
  reader: ChainReader;
  /** The chain and TraceLedger the records were signed for (their EIP-712 domain). */
  deployment: { chainId: number; traceLedger: string };
  /** Worker threads checking records (default: one per core); 0 checks them on the calling thread. */
  checkThreads?: number;
  /**
   * Leaves of the anchored log read at a time when its tree is rebuilt (default LOG_PAGE), and at most how many of
   * them are read ahead while the check threads work (default READ_AHEAD_LEAVES). The answer does not depend on
   * either; the tests set them small to go through several windows.
   */
  logWindow?: { leaves?: number; readAhead?: number };
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
  /** The stored log (entries recomputed) reproduces the anchored root (from the kept verification's checkpoint on, when incremental). */
  logReproduced: boolean;
  /** Leaf indices below the anchored size with no stored record. */
  holes: number[];
  holeCount: number;
  /** Records outside this trail whose signer is a key of this department. */
  strays: { recordId: string; leafIndex: number; subject: string | null }[];
  chainProblem: TrailSaid | null;
}

/** The records verified before (none for a full verification): the steps go on from its last record. */
interface Base {
  /** Records seq 1..entries, verified and anchored within `size`. */
  entries: number;
  size: number;
  last: CheckedEntry | null;
  signers: ReadonlySet<string>;
}

const NOTHING_BEFORE: Base = { entries: 0, size: 0, last: null, signers: new Set() };

interface VerifyContext {
  departmentId: string;
  /** The records checked now, in seq order (for an incremental verification, those after the kept last record). */
  entries: CheckedEntry[];
  base: Base;
  anchor: AnchorView;
  deps: TrailDeps;
  timings: TrailVerification['timingsMs'];
}

/**
 * Records read from the store at a time. Small enough that the workers start on the first page while the next
 * ones are read (a trail read in one page leaves them idle until it is all parsed: a second per 20,000 records).
 */
const PAGE = 2_000;
const LOG_PAGE = 20_000;
/** Records per task sent to a worker thread, and per slice checked on the calling thread between two yields. */
const WORKER_CHUNK = 250;
const INLINE_SLICE = 100;
/** Below this many records per page, the calling thread checks them (starting or waking workers would cost more). */
const INLINE_BELOW = 1000;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** A seq as a message parameter (a number when it is one). */
const seqParam = (seq: number): string | number => (Number.isSafeInteger(seq) ? seq : String(seq));
/** The message parameters naming a record of the trail (`recordId`, `seq`; prefixed, e.g. `prevRecordId`, `prevSeq`). */
const recordParams = (e: { seq: number; recordId: string }, prefix = ''): Params =>
  prefix ? { [`${prefix}RecordId`]: e.recordId, [`${prefix}Seq`]: seqParam(e.seq) } : { recordId: e.recordId, seq: seqParam(e.seq) };
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

// --- the kept verification ---------------------------------------------------------

/**
 * What the last successful verification of a trail leaves in the store (getKv/setKv) for the next one to go on
 * from: the anchored checkpoint it was checked against, how many records (seq 1..entries, all anchored within it)
 * it covered and the last of them, the keys that signed them, and the mirror's view of the registry then.
 */
interface KeptVerification {
  v: 1;
  checkpoint: { size: number; root: string };
  entries: number;
  last: { seq: number; recordId: string; leafIndex: number; leaf: string };
  signers: string[];
  registry: string;
  verifiedAt: string;
}

const keptKey = (departmentId: string) => `trail-verified-v1:${departmentId}`;

/** The kept verification of a trail, or null (none, cleared, or not a v1 state this code reads). */
async function readKept(store: Store, departmentId: string): Promise<KeptVerification | null> {
  const text = await store.getKv(keptKey(departmentId));
  if (!text) return null;
  try {
    const k = JSON.parse(text) as KeptVerification;
    const ok =
      k.v === 1 &&
      Number.isSafeInteger(k.checkpoint?.size) &&
      /^0x[0-9a-f]{64}$/.test(k.checkpoint.root) &&
      Number.isSafeInteger(k.entries) &&
      k.entries > 0 &&
      k.last?.seq === k.entries &&
      Number.isSafeInteger(k.last.leafIndex) &&
      k.last.leafIndex < k.checkpoint.size &&
      /^0x[0-9a-f]{64}$/.test(k.last.leaf) &&
      typeof k.last.recordId === 'string' &&
      Array.isArray(k.signers) &&
      typeof k.registry === 'string';
    return ok ? k : null;
  } catch {
    return null;
  }
}

/**
 * The mirror's view of the department and its keys (active, revocation, every key's window), which a verification's
 * key checks and messages depend on: when it moves, a kept verification no longer holds and the next one is full.
 */
export async function registryFingerprint(store: Store, departmentId: string): Promise<string> {
  const [keys, participant] = await Promise.all([store.keysOfParticipant(departmentId), store.getParticipant(departmentId)]);
  return JSON.stringify([participant?.active ?? null, participant?.data.revokedAt ?? null, keys.map((k) => [k.address, k.validFrom, k.validTo, k.revokedAt])]);
}

/** A kept verification to go on from, with the tree state at its checkpoint, or why there is none. */
type Start = { base: Base; appender: Appender; kept: KeptVerification } | { fullBecause: FullReason };

/**
 * Checks a kept verification against the chain and the stored tree: its checkpoint must be the chain's root at
 * that size, today's checkpoint must be proven consistent with it (RFC 9162, the proof read from the stored tree
 * and checked against both roots from the chain), and the stored compact range at its size must rebuild its root
 * (the new leaves are appended to it).
 */
async function startFromKept(deps: TrailDeps, kept: KeptVerification | null, head: { size: number; root: string }, registry: string): Promise<Start> {
  if (!kept) return { fullBecause: 'nothing-kept' };
  if (kept.registry !== registry) return { fullBecause: 'registry-changed' };
  const { size, root } = kept.checkpoint;
  if (head.size < size) return { fullBecause: 'chain-shrank' };
  const onChain = size === head.size ? head.root : await deps.reader.rootAt(chainLogId(TRAIL_LOG), size);
  if (onChain?.toLowerCase() !== root) return { fullBecause: 'kept-checkpoint-not-on-chain' };
  const reader = deps.store.nodeReader(TRAIL_LOG);
  let appender: Appender;
  try {
    const tree = new LogTree(reader, head.size);
    const proof = await tree.consistencyProof(size, head.size);
    verifyConsistency({ size1: size, size2: head.size, root1: fromHex(root), root2: fromHex(head.root), proof });
    appender = Appender.fromState({ size, hashes: await reader.readNodes(planRoot(size).ids) });
    if (!equalBytes(appender.root(), fromHex(root))) return { fullBecause: 'inconsistent' };
  } catch (e) {
    if (e instanceof ProofError || e instanceof InvariantError || e instanceof InvalidArgumentError) return { fullBecause: 'inconsistent' };
    throw e;
  }
  const last: CheckedEntry = { ...kept.last, leaf: fromHex(kept.last.leaf), prevHash: '', signer: null, at: null, linkProblem: null, signatureProblem: null };
  return { base: { entries: kept.entries, size, last, signers: new Set(kept.signers) }, appender, kept };
}

/** Keeps what the next verification goes on from (the anchored prefix of the trail), or clears it after a failure. */
async function keepVerification(deps: TrailDeps, departmentId: string, ctx: VerifyContext, failed: boolean, registry: string): Promise<void> {
  const { base, entries, anchor } = ctx;
  const anchored = failed || anchor.chainProblem ? [] : entries.filter((e) => e.leafIndex !== null && e.leafIndex < anchor.head.size);
  const last = anchored[anchored.length - 1] ?? base.last;
  if (failed || anchor.chainProblem || !last || last.leafIndex === null) {
    await deps.store.setKv(keptKey(departmentId), '');
    return;
  }
  const signers = new Set(base.signers);
  for (const e of anchored) if (e.signer) signers.add(e.signer);
  const kept: KeptVerification = {
    v: 1,
    checkpoint: anchor.head,
    entries: base.entries + anchored.length,
    last: { seq: last.seq, recordId: last.recordId, leafIndex: last.leafIndex, leaf: toHex0x(last.leaf) },
    signers: [...signers].sort(),
    registry,
    verifiedAt: new Date().toISOString(),
  };
  await deps.store.setKv(keptKey(departmentId), JSON.stringify(kept));
}

// --- verifying ----------------------------------------------------------------------

/**
 * Verifies a department's trail: every entry anchored on chain, its sequence 1..n without gap
 * (and no record of the department missing from it), each record matching its signed log entry
 * and linking to the previous one, each signature by a key registered on chain for the
 * department and valid when it signed. Reads the trail in pages and checks the records on every
 * core; one chain read per distinct key window and per checkpoint, none per entry.
 *
 * Every record is checked (full) unless `incremental` is asked for: then, when the last successful
 * verification of this trail is kept (see KeptVerification; every verification that finds no failure
 * keeps one, full or incremental) and still holds — its checkpoint is the chain's root at its size, today's
 * checkpoint is proven consistent with it from the stored tree, the registry view is unchanged,
 * its last record is still stored as it was, and the trail holds exactly its records plus the new
 * ones — only the records after its last one are checked (signatures, roots, seq and prevHash
 * continuing from that record, inclusion in today's checkpoint by rebuilding the log from the kept
 * checkpoint's compact range). Otherwise every record is checked again, and the answer's `basis` says why.
 *
 * What an incremental verification cannot see: a record verified before and edited in place since (its
 * body, salts or entry), other than the last one. The anchored log cannot change (the chain holds the
 * root and the consistency proof covers every earlier leaf), so such an edit makes the stored copy
 * disagree with the chain rather than rewrite history, and any full verification names it (the
 * default here, and every oversight request through CachedTrailVerifier). A kept state is only as
 * trustworthy as the database it is kept in: the full verification never reads it.
 */
export async function verifyTrail(deps: TrailDeps, departmentId: string, opts: { incremental?: boolean } = {}): Promise<TrailVerification> {
  const timings: TrailVerification['timingsMs'] = { read: 0, leaves: 0, recordRoots: 0, signatures: 0, checks: 0, anchoring: 0, consistency: 0, keys: 0 };
  let t = performance.now();
  const chainId = await deps.reader.chainId();
  const chainProblem = chainId === deps.deployment.chainId ? null : said('trailWrongChain', { endpoint: chainId, expected: deps.deployment.chainId });
  const [head, registry, kept] = chainProblem
    ? [{ size: 0, root: '' }, '', null]
    : await Promise.all([deps.reader.latest(chainLogId(TRAIL_LOG)), registryFingerprint(deps.store, departmentId), opts.incremental ? readKept(deps.store, departmentId) : null]);
  let start: Start = !opts.incremental || chainProblem ? { fullBecause: 'asked' } : await startFromKept(deps, kept, head, registry);
  timings.consistency = performance.now() - t;

  let entries: CheckedEntry[] | null = null;
  if ('base' in start) {
    const fresh = await checkNewRecords(deps, departmentId, timings, start);
    if (Array.isArray(fresh)) entries = fresh;
    else start = fresh;
  }
  const base = 'base' in start ? start.base : NOTHING_BEFORE;
  // The other records of the anchored log are read and hashed while the check threads work (the calling thread waits then).
  const others = new OtherRecords(deps.store, departmentId, { from: 'base' in start ? start.base.size : 0, size: head.size }, deps.logWindow);
  if (entries === null) [entries] = await Promise.all([checkRecords(deps, departmentId, timings, 0), others.readAhead()]);

  t = performance.now();
  const anchor: AnchorView = chainProblem
    ? { head: { size: 0, root: '' }, waiting: [], notIncluded: [], logReproduced: false, holes: [], holeCount: 0, strays: [], chainProblem }
    : await anchorView(deps, others, entries, head, 'base' in start ? { size: start.base.size, appender: start.appender } : { size: 0, appender: new Appender() });
  timings.anchoring = performance.now() - t;
  const ctx: VerifyContext = { departmentId, entries, base, anchor, deps, timings };

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
  if (!chainProblem) await keepVerification(deps, departmentId, ctx, verdict === 'invalid', registry);
  const round = (n: number) => Math.round(n * 10) / 10;
  const basis: TrailBasis =
    'base' in start
      ? { mode: 'incremental', from: { size: start.kept.checkpoint.size, root: start.kept.checkpoint.root, entries: start.kept.entries, verifiedAt: start.kept.verifiedAt } }
      : { mode: 'full', from: null, fullBecause: start.fullBecause };
  return {
    departmentId,
    verdict,
    steps,
    entries: base.entries + entries.length,
    ...(firstProblem ? { firstProblem } : {}),
    checkpoint: anchor.head.size > 0 ? anchor.head : null,
    timingsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, round(v)])) as TrailVerification['timingsMs'],
    basis,
  };
}

type Step = (ctx: VerifyContext) => Promise<TrailSaid>;

const STEP_FNS: Record<TrailStepName, Step> = {
  async allEntriesAnchored({ entries, base, anchor }) {
    const step = 'allEntriesAnchored';
    const total = base.entries + entries.length;
    if (anchor.chainProblem) throw new TrailStepError(step, anchor.chainProblem.code, anchor.chainProblem.params);
    const bad = anchor.notIncluded[0];
    if (bad) {
      throw new TrailStepError(step, bad.why.code, { ...recordParams(bad.entry), ...bad.why.params, count: anchor.notIncluded.length }, 'failed', bad.entry);
    }
    const { head } = anchor;
    const first = anchor.waiting[0];
    if (first) {
      throw new TrailStepError(step, 'trailNotAnchoredYet', { waiting: anchor.waiting.length, entries: total, ...recordParams(first), size: head.size }, 'pending', first);
    }
    if (total === 0) return said('trailNoRecordsYet');
    return said('trailAllAnchored', { entries: total, size: head.size, root: head.root });
  },

  async sequenceHasNoGap({ entries, base, anchor }) {
    const step = 'sequenceHasNoGap';
    let expected = base.entries + 1;
    for (const e of entries) {
      if (e.seq !== expected) {
        if (e.seq < expected) throw new TrailStepError(step, 'trailSeqRepeated', recordParams(e), 'failed', e);
        if (Number.isSafeInteger(e.seq)) throw new TrailStepError(step, 'trailSeqSkipped', { ...recordParams(e), expected, last: e.seq - 1 }, 'failed', e);
        throw new TrailStepError(step, 'trailSeqInvalid', recordParams(e), 'failed', e);
      }
      expected++;
    }
    // Records are admitted in seq order and sequenced in arrival order, so leaf indices rise with seq.
    let before: CheckedEntry | undefined = base.last ?? undefined;
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
    const total = base.entries + entries.length;
    return total === 0 ? said('trailNoRecordsAnywhere') : said('trailSequenceOk', { entries: total });
  },

  async hashLinksUnbroken({ entries, base }) {
    const step = 'hashLinksUnbroken';
    let prev: CheckedEntry | undefined = base.last ?? undefined;
    for (const e of entries) {
      if (e.linkProblem) throw new TrailStepError(step, e.linkProblem.code, { ...recordParams(e), ...e.linkProblem.params }, 'failed', e);
      const want = prev ? toHex0x(prev.leaf) : GENESIS_PREV_HASH;
      if (e.prevHash !== want) {
        throw new TrailStepError(step, 'trailPrevHashMismatch', { ...recordParams(e), prevHash: e.prevHash, want, ...(prev ? recordParams(prev, 'prev') : {}) }, 'failed', e);
      }
      prev = e;
    }
    return base.entries + entries.length === 0 ? said('trailNoRecords') : said('trailLinksOk');
  },

  async signaturesValid(ctx) {
    const step = 'signaturesValid';
    const { entries, base } = ctx;
    const bad = entries.find((e) => e.signatureProblem);
    if (bad) throw new TrailStepError(step, bad.signatureProblem!.code, { ...recordParams(bad), ...bad.signatureProblem!.params }, 'failed', bad);
    const problem = await keyProblems(ctx);
    if (problem) throw new TrailStepError(step, problem.said.code, problem.said.params, 'failed', problem.entry);
    const keys = new Set([...base.signers, ...entries.map((e) => e.signer)]).size;
    return base.entries + entries.length === 0 ? said('trailNoRecords') : said('trailSignaturesOk', { entries: base.entries + entries.length, keys });
  },
};

// --- reading and recomputing the records ------------------------------------------

type CheckTask = CheckBatch | CheckRange;

let sharedPool: WorkerPool<CheckTask, CheckedBatch | CheckedRange> | undefined;

/** The process's pool of record-checking threads (started on first use, kept: starting threads costs more than a page of records). */
function checkPool(threads: number): WorkerPool<CheckTask, CheckedBatch | CheckedRange> {
  if (sharedPool?.size !== threads) {
    void sharedPool?.close();
    sharedPool = new WorkerPool<CheckTask, CheckedBatch | CheckedRange>(path.join(__dirname, 'record-check'), 'checkTask', threads);
  }
  return sharedPool;
}

/** Runs `task` on the pool; a pool that cannot run (its threads failed to start) must not fail the audit: the calling thread checks instead. */
function runChecked<T extends CheckTask>(threads: number, task: T): Promise<T extends CheckRange ? CheckedRange : CheckedBatch> {
  type Out = T extends CheckRange ? CheckedRange : CheckedBatch;
  return checkPool(threads)
    .run(task)
    .then((done) => done as Out)
    .catch(() => checkTask(task) as Out);
}

/** At most this many tasks per thread in flight: enough that no thread waits for the next, few enough that pages read ahead stay small. */
const IN_FLIGHT_PER_THREAD = 3;

/**
 * Tasks in flight: the caller waits for room until fewer than `limit` are. The first task to fail is kept and thrown
 * to the caller (by {@link room}, {@link slot} or {@link check}), so a failed read or check stops the verification
 * rather than leave it waiting for a slot that never frees; tracked tasks never reject (nothing goes unhandled).
 */
class InFlight {
  private n = 0;
  private wake: (() => void) | undefined;
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /** Waits until fewer than `limit` tasks are in flight. */
  async room(): Promise<void> {
    while (this.n >= this.limit && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    this.check();
  }

  /** Waits for room and takes a slot, for a task given to {@link track} next. */
  async slot(): Promise<void> {
    await this.room();
    this.n++;
  }

  /** Frees the slot once `task` settles; its failure is kept, not thrown here. */
  track(task: Promise<void>): Promise<void> {
    return task.then(
      () => this.free(),
      (error: unknown) => {
        this.failure ??= { error };
        this.free();
      },
    );
  }

  /** Throws the first failure of a tracked task, if any. */
  check(): void {
    if (this.failure) throw this.failure.error;
  }

  private free(): void {
    this.n--;
    this.wake?.();
  }
}

const NO_LEAF: Hash = new Uint8Array(32);

/** Record i of a checked batch as the steps keep it. */
function checkedEntry(done: CheckedBatch, i: number, problems: ReadonlyMap<number, CheckedBatch['problems'][number]>, recordId: string, leafIndex: number | null): CheckedEntry {
  return { recordId, leafIndex, ...checkedRecord(done, i, problems) };
}

/** Adds a checked batch's times (summed over threads) to `timings`. */
function addCheckTimes(timings: TrailVerification['timingsMs'], done: CheckedBatch): void {
  timings.read += done.ms.read;
  timings.leaves += done.ms.leaves;
  timings.recordRoots += done.ms.recordRoots;
  timings.signatures += done.ms.signatures;
}

/**
 * Checks every record of the trail from seq `fromSeq` on (leaf hash, record root, signer) on worker threads, and keeps
 * only what the steps need. Where the store lets other threads read it (SQLite), each thread reads its own ranges of
 * {@link WORKER_CHUNK} records, and this thread only finds where each range ends; otherwise this thread reads page by page
 * and sends the records' text (see checkPages). A trail of fewer than {@link INLINE_BELOW} records is checked here.
 */
async function checkRecords(deps: TrailDeps, departmentId: string, timings: TrailVerification['timingsMs'], fromSeq: number): Promise<CheckedEntry[]> {
  const threads = deps.checkThreads ?? coreCount();
  const source = threads > 0 ? deps.store.trailReadSource?.() : undefined;
  if (source && deps.store.trailPageEnd) {
    const t = performance.now();
    const big = (await deps.store.trailPageEnd({ departmentId, fromSeq }, INLINE_BELOW)) !== undefined;
    timings.read += performance.now() - t;
    if (big) return checkRanges(deps, departmentId, source, threads, timings, fromSeq);
  }
  return checkPages(deps, departmentId, threads, timings, fromSeq);
}

/** checkRecords where the threads read for themselves: ranges of WORKER_CHUNK records, each read in one statement by the thread that checks it. */
async function checkRanges(deps: TrailDeps, departmentId: string, source: TrailReadSource, threads: number, timings: TrailVerification['timingsMs'], fromSeq: number): Promise<CheckedEntry[]> {
  const binding: ChainBinding = { chainId: deps.deployment.chainId, verifyingContract: deps.deployment.traceLedger };
  const parts: CheckedEntry[][] = [];
  const work: Promise<void>[] = [];
  const inFlight = new InFlight(IN_FLIGHT_PER_THREAD * threads);
  const t0 = performance.now();
  let endsMs = 0;
  const pageEnd = async (range: Omit<StoredTrailRange, 'to'>, size: number) => {
    const t = performance.now();
    try {
      return await deps.store.trailPageEnd!(range, size);
    } finally {
      endsMs += performance.now() - t;
    }
  };
  let k = 0;
  for await (const range of trailRanges(pageEnd, { departmentId, fromSeq }, WORKER_CHUNK)) {
    await inFlight.slot();
    const at = k++;
    const task: CheckRange = { binding, source, range };
    work.push(
      inFlight.track(
        runChecked(threads, task).then((done) => {
          const problems = new Map(done.problems.map((p) => [p.index, p]));
          const leafIndexOf = (j: number) => (Number.isNaN(done.leafIndexes[j]!) ? null : done.leafIndexes[j]!);
          parts[at] = done.ids.map((id, j) => checkedEntry(done, j, problems, id, leafIndexOf(j)));
          addCheckTimes(timings, done);
        }),
      ),
    );
  }
  await Promise.all(work);
  inFlight.check();
  timings.read += endsMs;
  timings.checks += performance.now() - t0 - endsMs;
  return parts.flat();
}

/**
 * checkRecords where this thread reads: page by page from seq `fromSeq` on, each page's records checked on worker
 * threads (their text sent, parsed there) while the next page is read, or here for a small page.
 */
async function checkPages(deps: TrailDeps, departmentId: string, threads: number, timings: TrailVerification['timingsMs'], fromSeq: number): Promise<CheckedEntry[]> {
  const binding: ChainBinding = { chainId: deps.deployment.chainId, verifyingContract: deps.deployment.traceLedger };
  const out: CheckedEntry[] = [];
  const work: Promise<void>[] = [];
  const inFlight = new InFlight(IN_FLIGHT_PER_THREAD * Math.max(1, threads));
  const t0 = performance.now();
  let readMs = 0;
  let after: { seq: number; arrival: number } | undefined;
  for (;;) {
    // Read ahead only while the threads have work queued: the pages read wait in memory until a thread takes them.
    await inFlight.room();
    const t = performance.now();
    // The stored texts: their JSON is parsed where they are checked, on the worker threads.
    const page = await deps.store.trailRecordTexts(departmentId, { fromSeq, after, limit: PAGE });
    readMs += performance.now() - t;
    // Threads already started take even a small page, split between them.
    const onWorkers = threads > 0 && (page.length >= INLINE_BELOW || (sharedPool?.size === threads && page.length >= 2 * INLINE_SLICE));
    const chunkSize = onWorkers ? Math.min(WORKER_CHUNK, Math.ceil(page.length / threads)) : INLINE_SLICE;
    for (let i = 0; i < page.length; i += chunkSize) {
      const chunk = page.slice(i, i + chunkSize);
      const at = out.length;
      for (const r of chunk) {
        out.push({ seq: Number.NaN, recordId: r.id, leafIndex: r.leafIndex, leaf: NO_LEAF, prevHash: '', signer: null, at: null, linkProblem: null, signatureProblem: null });
      }
      const task: CheckBatch = {
        departmentId,
        binding,
        entries: chunk.map((r) => r.entry),
        bodies: chunk.map((r) => r.body),
        salts: chunk.map((r) => r.salts),
      };
      const apply = (done: CheckedBatch) => {
        const problems = new Map(done.problems.map((p) => [p.index, p]));
        for (let j = 0; j < chunk.length; j++) out[at + j] = checkedEntry(done, j, problems, chunk[j]!.id, chunk[j]!.leafIndex);
        addCheckTimes(timings, done);
      };
      if (onWorkers) {
        await inFlight.slot();
        work.push(inFlight.track(runChecked(threads, task).then(apply)));
      } else {
        apply(checkStoredBatch(task));
        await yieldToEventLoop();
      }
    }
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) break;
    after = { seq: last.seq, arrival: last.arrival };
  }
  await Promise.all(work);
  inFlight.check();
  timings.read += readMs;
  timings.checks += performance.now() - t0 - readMs;
  return out;
}

/**
 * The records after the kept verification's last one, checked; or why the kept verification no longer holds:
 * its last record (read and checked again: the new ones link to it) is not stored as it was, or a record below
 * the kept checkpoint was deleted (an index scan of the log, no record read). A record slipped in with an old seq
 * is seen once it is sequenced: it takes an index after the kept checkpoint that none of the new records holds.
 */
async function checkNewRecords(deps: TrailDeps, departmentId: string, timings: TrailVerification['timingsMs'], start: Extract<Start, { base: Base }>): Promise<CheckedEntry[] | { fullBecause: FullReason }> {
  const { kept } = start;
  const lost = await deps.store.firstLostLeaf(TRAIL_LOG, kept.checkpoint.size);
  if (lost !== null) return { fullBecause: 'record-lost' };
  const [last, ...fresh] = await checkRecords(deps, departmentId, timings, kept.last.seq);
  if (!last || last.recordId !== kept.last.recordId || last.seq !== kept.last.seq || last.leafIndex !== kept.last.leafIndex || toHex0x(last.leaf) !== kept.last.leaf || last.linkProblem || last.signatureProblem) {
    return { fullBecause: 'kept-record-changed' };
  }
  return fresh;
}

// --- the anchored log ---------------------------------------------------------------

/**
 * Rebuilds the anchored tree at the chain's latest size from the stored entries, every leaf hash
 * recomputed (this trail's and every other record's), starting from `start` (the empty tree, or
 * the kept verification's compact range, proven to be the chain's root at its size); a hole takes
 * the stored leaf node so the root can still be compared, and is reported. When the root matches
 * the chain's, every stored entry from `start` on is at its anchored position; otherwise each trail
 * entry is checked on its own inclusion proof from the stored tree. A trail entry checked now whose
 * index lies below `start` claims a leaf verified before as another record's.
 */
async function anchorView(
  deps: TrailDeps,
  others: OtherRecords,
  entries: readonly CheckedEntry[],
  head: { size: number; root: string },
  start: { size: number; appender: Appender },
): Promise<AnchorView> {
  const { store, reader } = deps;
  const departmentId = others.departmentId;
  const view: AnchorView = { head, waiting: [], notIncluded: [], logReproduced: false, holes: [], holeCount: 0, strays: [], chainProblem: null };
  const size = head.size;

  const inTree = entries.filter((e) => e.leafIndex !== null && e.leafIndex < size);
  for (const e of inTree) if (e.leafIndex! < start.size) view.notIncluded.push({ entry: e, why: said('trailLeafTaken', { index: e.leafIndex! }) });
  const byIndex = inTree.filter((e) => e.leafIndex! >= start.size).sort((a, b) => a.leafIndex! - b.leafIndex!);
  view.waiting = entries.filter((e) => e.leafIndex === null || e.leafIndex >= size);
  if (size === 0 || size === start.size) {
    view.logReproduced = true;
    return view;
  }

  const appender = start.appender;
  const nodes = store.nodeReader(TRAIL_LOG);
  let rootComputable = true;
  if (others.from !== start.size || others.size !== size) throw new Error(`the other records were read for [${others.from}, ${others.size}), not [${start.size}, ${size})`);
  const duplicates: CheckedEntry[] = [];
  let t = 0; // position in byIndex
  for (let from = start.size; from < size; from += others.windowLeaves) {
    const to = Math.min(size, from + others.windowLeaves);
    await yieldToEventLoop();
    const window = await others.window(from);
    let o = 0;
    for (let index = from; index < to; index++) {
      let leaf: Hash | undefined;
      while (t < byIndex.length && byIndex[t]!.leafIndex === index) {
        if (leaf === undefined) leaf = byIndex[t]!.leaf;
        else duplicates.push(byIndex[t]!);
        t++;
      }
      while (o < window.indexes.length && window.indexes[o] === index) {
        leaf ??= window.leaves.subarray(32 * o, 32 * o + 32);
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
    view.notIncluded.push(...(await inclusionFailures(store, byIndex, size, head.root)));
  }
  view.notIncluded.sort((a, b) => a.entry.seq - b.entry.seq);

  for (const [signer, found] of others.bySigner) {
    if ((await reader.participantOf(signer)) === departmentId) view.strays.push(...found);
  }
  return view;
}

/** The other records of one window of the anchored log: their leaf indices in order and leaf hashes (32 bytes each). */
interface OtherLeaves {
  indexes: number[];
  leaves: Uint8Array;
}

/** Leaves of the anchored log read ahead, at most (32 bytes and an index each): beyond, windows are read when needed. */
const READ_AHEAD_LEAVES = 500_000;

/**
 * The records of the anchored log in [from, size) outside one trail, window by window (LOG_PAGE leaves unless set): each
 * entry's leaf hash recomputed from the stored entry, and the first records of every signer noted (a key of the
 * department signing outside its trail is a stray). Each window is read once, in order, whether read ahead
 * (while the check threads work) or when the anchored tree is rebuilt; a window is let go once it was used.
 */
class OtherRecords {
  /** Up to three records per signer stated in the entries read so far. */
  readonly bySigner = new Map<string, { recordId: string; leafIndex: number; subject: string | null }[]>();
  private readonly windows = new Map<number, Promise<OtherLeaves>>();
  readonly from: number;
  readonly size: number;
  readonly windowLeaves: number;
  private readonly readAheadLeaves: number;
  private next: number;

  constructor(
    private readonly store: Store,
    readonly departmentId: string,
    range: { from: number; size: number },
    opts: TrailDeps['logWindow'] = {},
  ) {
    this.from = range.from;
    this.size = range.size;
    this.windowLeaves = opts.leaves ?? LOG_PAGE;
    this.readAheadLeaves = opts.readAhead ?? READ_AHEAD_LEAVES;
    if (!Number.isSafeInteger(this.windowLeaves) || this.windowLeaves < 1) throw new RangeError(`a window of the log holds at least one leaf, not ${this.windowLeaves}`);
    this.next = range.from;
  }

  /** Reads the first windows, up to readAhead leaves, yielding between them (the check threads' answers come in meanwhile). */
  async readAhead(): Promise<void> {
    for (let from = this.from; from < Math.min(this.size, this.from + this.readAheadLeaves); from += this.windowLeaves) {
      await yieldToEventLoop();
      await this.read(from);
    }
  }

  /** The window starting at `from` (windows are asked for in order), read now unless read ahead; forgotten once given. */
  async window(from: number): Promise<OtherLeaves> {
    const leaves = await this.read(from);
    this.windows.delete(from);
    return leaves;
  }

  private read(from: number): Promise<OtherLeaves> {
    let window = this.windows.get(from);
    if (!window) {
      if (from !== this.next) throw new Error(`window ${from} asked for out of order (next: ${this.next})`);
      this.next = from + this.windowLeaves;
      window = this.readWindow(from, Math.min(this.size, from + this.windowLeaves));
      this.windows.set(from, window);
    }
    return window;
  }

  private async readWindow(from: number, to: number): Promise<OtherLeaves> {
    const rows = await this.store.logEntries(TRAIL_LOG, from, to, { excludeSubject: this.departmentId });
    const indexes: number[] = [];
    const leaves = new Uint8Array(32 * rows.length);
    rows.forEach((other, o) => {
      indexes.push(other.leafIndex);
      leaves.set(leafHash(Buffer.from(other.entry, 'utf8')), 32 * o);
      const signer = signerOfEntry(other.entry);
      if (signer) {
        const list = this.bySigner.get(signer) ?? [];
        if (list.length < 3) list.push({ recordId: other.recordId, leafIndex: other.leafIndex, subject: other.subject });
        this.bySigner.set(signer, list);
      }
    });
    return { indexes, leaves };
  }
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
