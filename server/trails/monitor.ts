/**
 * The log monitor: replays a whole log from storage, every leaf hash recomputed from its stored
 * entry (the stored hashes and tree nodes are not trusted), rebuilds the root at every anchored
 * checkpoint and compares it with the root on chain, reporting the first divergence. `followLog`
 * keeps watching as new checkpoints are anchored. Works for every log ('products', 'data-sharing').
 */
import { toHex0x } from '../crypto/bytes';
import { chainLogId } from '../anchoring/worker';
import type { ChainReader } from '../chain/reader';
import { Appender } from '../ledger/appender';
import { InvalidArgumentError, InvariantError } from '../ledger/errors';
import { ProofError, equalBytes, fromHex, leafHash, verifyConsistency } from '../ledger/rfc6962';
import { LogTree, planRoot } from '../ledger/tree';
import type { LogId, Store } from '../store/types';

export interface MonitorDeps {
  store: Store;
  /** Chain reads; a CachedChainReader saves one read per checkpoint on later runs. */
  reader: ChainReader;
}

/** Why the stored log and the chain part ways. */
export type DivergenceReason =
  /** An index below an anchored size has no stored record (a record was deleted). */
  | 'entry-missing'
  /** Two stored records claim one index. */
  | 'entry-duplicated'
  /** The root rebuilt from the stored entries is not the root anchored on chain. */
  | 'root-mismatch'
  /** The store's own copy of a checkpoint has another root than the one rebuilt. */
  | 'stored-checkpoint-mismatch'
  /** The store holds a confirmed checkpoint the chain does not have. */
  | 'checkpoint-not-on-chain';

export interface MonitorOk {
  ok: true;
  logId: LogId;
  /** Stored entries replayed (up to the largest anchored size). */
  entries: number;
  /** Anchored checkpoints whose root was rebuilt and compared. */
  checkpointsChecked: number;
  /** The chain's latest checkpoint, or null when nothing is anchored yet. */
  latest: { size: number; root: string } | null;
  /** Whether every entry was replayed (full) or only those after a kept run's checkpoint (incremental), and from which. */
  basis: MonitorBasis;
}

/** What a monitor run rests on (see {@link monitorLog}). */
export interface MonitorBasis {
  mode: 'full' | 'incremental';
  /** Incremental: the checkpoint the kept run reached, proven consistent with today's (RFC 9162). */
  from: { size: number; root: string; verifiedAt: string } | null;
  /** Full: why ('asked': the default; 'nothing-kept'; 'kept-checkpoint-not-on-chain'; 'inconsistent': the stored tree does not prove today's checkpoint consistent with it; 'chain-shrank'). */
  fullBecause?: 'asked' | 'nothing-kept' | 'kept-checkpoint-not-on-chain' | 'inconsistent' | 'chain-shrank';
}

export interface MonitorDivergence {
  ok: false;
  logId: LogId;
  /** The checkpoint size at which the stored log first fails to reproduce the chain. */
  size: number;
  /** The first index found wrong, when it can be named: missing, duplicated, or whose stored entry no longer hashes to its stored leaf. */
  leafIndex: number | null;
  /** The root rebuilt from the stored entries (null when it cannot be rebuilt). */
  expected: string | null;
  onChain: string | null;
  stored: string | null;
  reason: DivergenceReason;
  message: string;
}

export type MonitorReport = MonitorOk | MonitorDivergence;

const PAGE = 20_000;

/** Checkpoint roots read from the chain at once. */
const ROOTS_AT_ONCE = 64;

/** Rebuilds a log from its stored entries, page by page, in O(log n) memory. */
class LogReplayer {
  /** First index whose recomputed leaf differs from the stored leaf hash: where an edit is. */
  firstAltered: number | null = null;

  /** Replays from `appender` (the empty tree, or a kept run's compact range, proven against the chain). */
  constructor(
    private readonly store: Store,
    readonly logId: LogId,
    private readonly appender: Appender = new Appender(),
  ) {}

  get size(): number {
    return this.appender.size;
  }

  root(): string {
    return toHex0x(this.appender.root());
  }

  /** Appends the stored entries [size, target); returns a problem at the first missing or doubled index, else null. */
  async advanceTo(target: number): Promise<{ reason: 'entry-missing' | 'entry-duplicated'; leafIndex: number } | null> {
    while (this.size < target) {
      const from = this.size;
      const to = Math.min(target, from + PAGE);
      await new Promise<void>((resolve) => setImmediate(resolve)); // let the server breathe between pages
      const [entries, stored] = await Promise.all([this.store.logEntries(this.logId, from, to), this.store.leafHashes(this.logId, from, to)]);
      let index = from;
      for (const e of entries) {
        if (e.leafIndex < index) return { reason: 'entry-duplicated', leafIndex: e.leafIndex };
        if (e.leafIndex > index) return { reason: 'entry-missing', leafIndex: index };
        const leaf = leafHash(Buffer.from(e.entry, 'utf8'));
        const storedLeaf = stored[index - from];
        if (this.firstAltered === null && (storedLeaf === undefined || !equalBytes(leaf, storedLeaf))) this.firstAltered = index;
        this.appender.append(leaf);
        index++;
      }
      if (index < to) return { reason: 'entry-missing', leafIndex: index };
    }
    return null;
  }
}

/** What a monitor run that found no divergence keeps in the store for the next incremental run. */
interface KeptRun {
  v: 1;
  size: number;
  root: string;
  /** Checkpoints checked up to `size`, by this run and the kept ones it went on from. */
  checkpointsChecked: number;
  verifiedAt: string;
}

const keptKey = (logId: LogId) => `log-monitored-v1:${logId}`;

async function readKept(store: Store, logId: LogId): Promise<KeptRun | null> {
  const text = await store.getKv(keptKey(logId));
  if (!text) return null;
  try {
    const k = JSON.parse(text) as KeptRun;
    return k.v === 1 && Number.isSafeInteger(k.size) && k.size > 0 && /^0x[0-9a-f]{64}$/.test(k.root) && Number.isSafeInteger(k.checkpointsChecked) ? k : null;
  } catch {
    return null;
  }
}

/**
 * Where an incremental run starts: the kept run's checkpoint, if it is the chain's root at its size, today's
 * checkpoint is proven consistent with it (RFC 9162, the proof from the stored tree, checked against both roots
 * from the chain), and the stored compact range at its size rebuilds its root; else why not.
 */
async function startFromKept(deps: MonitorDeps, logId: LogId, kept: KeptRun | null, head: { size: number; root: string }): Promise<{ kept: KeptRun; appender: Appender } | { fullBecause: NonNullable<MonitorBasis['fullBecause']> }> {
  if (!kept) return { fullBecause: 'nothing-kept' };
  if (head.size < kept.size) return { fullBecause: 'chain-shrank' };
  const nodes = deps.store.nodeReader(logId);
  // The kept root on chain and the proof from the stored tree are fetched together; the proof is used only if the root matches.
  const [onChain, proofOrError] = await Promise.all([
    kept.size === head.size ? head.root : deps.reader.rootAt(chainLogId(logId), kept.size),
    new LogTree(nodes, head.size).consistencyProof(kept.size, head.size).catch((e: unknown) => ({ failed: e })),
  ]);
  if (onChain?.toLowerCase() !== kept.root) return { fullBecause: 'kept-checkpoint-not-on-chain' };
  try {
    if ('failed' in proofOrError) throw proofOrError.failed;
    const proof = proofOrError;
    verifyConsistency({ size1: kept.size, size2: head.size, root1: fromHex(kept.root), root2: fromHex(head.root), proof });
    const appender = Appender.fromState({ size: kept.size, hashes: await nodes.readNodes(planRoot(kept.size).ids) });
    return equalBytes(appender.root(), fromHex(kept.root)) ? { kept, appender } : { fullBecause: 'inconsistent' };
  } catch (e) {
    if (e instanceof ProofError || e instanceof InvariantError || e instanceof InvalidArgumentError) return { fullBecause: 'inconsistent' };
    throw e;
  }
}

/**
 * Replays log `logId` from storage and checks the root at every anchored checkpoint (the store's
 * confirmed ones, and the chain's latest) against the chain. One chain read per checkpoint.
 *
 * With `incremental`, goes on from the checkpoint the last run without divergence reached (kept in the
 * store) when today's checkpoint is proven consistent with it: only the entries after it are replayed.
 * The chain holds both roots, so the anchored history before it cannot have changed; what such a run
 * does not see is a stored entry below it edited in place since (the stored copy then disagrees with the
 * chain): a full run (the default) replays and names it. The report's `basis` says which it was.
 */
export async function monitorLog(deps: MonitorDeps, logId: LogId, opts: { incremental?: boolean } = {}): Promise<MonitorReport> {
  // The chain's head and the kept run are read together (one round trip to each, not one after the other).
  const [head, kept] = await Promise.all([deps.reader.latest(chainLogId(logId)), opts.incremental ? readKept(deps.store, logId) : null]);
  const start = opts.incremental ? await startFromKept(deps, logId, kept, head) : ({ fullBecause: 'asked' } as const);
  const replayer = new LogReplayer(deps.store, logId, 'kept' in start ? start.appender : undefined);
  const basis: MonitorBasis = 'kept' in start ? { mode: 'incremental', from: { size: start.kept.size, root: start.kept.root, verifiedAt: start.kept.verifiedAt } } : { mode: 'full', from: null, fullBecause: start.fullBecause };
  const report = await checkUpTo(deps, replayer, head, basis, 'kept' in start ? start.kept.checkpointsChecked : 0);
  if (!report.ok) await deps.store.setKv(keptKey(logId), '');
  else if (report.latest) {
    const kept: KeptRun = { v: 1, size: report.latest.size, root: report.latest.root.toLowerCase(), checkpointsChecked: report.checkpointsChecked, verifiedAt: new Date().toISOString() };
    await deps.store.setKv(keptKey(logId), JSON.stringify(kept));
  }
  return report;
}

async function checkUpTo(deps: MonitorDeps, replayer: LogReplayer, head: { size: number; root: string }, basis: MonitorBasis, checkedBefore = 0): Promise<MonitorReport> {
  const { store, reader } = deps;
  const { logId } = replayer;
  const id = chainLogId(logId);
  const stored = new Map((await store.listCheckpoints(logId, 'confirmed')).map((c) => [c.size, c.root]));
  const sizes = [...new Set([...stored.keys(), ...(head.size > 0 ? [head.size] : [])])].filter((s) => s > replayer.size).sort((a, b) => a - b);
  // The chain's roots are asked for ROOTS_AT_ONCE sizes at a time (the reader batches them), not one round trip per checkpoint.
  let roots: (string | null)[] = [];
  let checked = checkedBefore;
  for (const [i, size] of sizes.entries()) {
    if (i % ROOTS_AT_ONCE === 0) roots = await Promise.all(sizes.slice(i, i + ROOTS_AT_ONCE).map((s) => (s === head.size ? head.root : reader.rootAt(id, s))));
    const storedRoot = stored.get(size) ?? null;
    const onChain = roots[i % ROOTS_AT_ONCE]!;
    const gap = await replayer.advanceTo(size);
    if (gap) {
      const what = gap.reason === 'entry-missing' ? 'has no stored record (a record was deleted)' : 'is claimed by two stored records';
      return divergence(logId, size, gap.leafIndex, null, onChain, storedRoot, gap.reason, `entry ${gap.leafIndex} of log ${logId} ${what}, so the checkpoint of ${size} entries cannot be rebuilt`);
    }
    const expected = replayer.root();
    if (onChain === null) {
      return divergence(logId, size, null, expected, null, storedRoot, 'checkpoint-not-on-chain', `the store records a confirmed checkpoint of ${size} entries that the chain does not hold`);
    }
    if (onChain.toLowerCase() !== expected) {
      const where = replayer.firstAltered !== null && replayer.firstAltered < size ? `; entry ${replayer.firstAltered} no longer hashes to its stored leaf` : '';
      return divergence(
        logId,
        size,
        replayer.firstAltered !== null && replayer.firstAltered < size ? replayer.firstAltered : null,
        expected,
        onChain,
        storedRoot,
        'root-mismatch',
        `the stored entries of log ${logId} rebuild root ${expected} at size ${size}, but the chain anchored ${onChain}${where}`,
      );
    }
    if (storedRoot !== null && storedRoot.toLowerCase() !== expected) {
      return divergence(logId, size, null, expected, onChain, storedRoot, 'stored-checkpoint-mismatch', `the store's checkpoint of ${size} entries has root ${storedRoot}, but its entries rebuild ${expected} (as anchored on chain)`);
    }
    checked++;
  }
  return { ok: true, logId, entries: replayer.size, checkpointsChecked: checked, latest: head.size > 0 ? { size: head.size, root: head.root } : null, basis };
}

function divergence(
  logId: LogId,
  size: number,
  leafIndex: number | null,
  expected: string | null,
  onChain: string | null,
  stored: string | null,
  reason: DivergenceReason,
  message: string,
): MonitorDivergence {
  return { ok: false, logId, size, leafIndex, expected, onChain, stored, reason, message: message.charAt(0).toUpperCase() + message.slice(1) + '.' };
}

export interface FollowOptions {
  /** How often to poll the chain for a new checkpoint (default 5000 ms). */
  intervalMs?: number;
  /** Stops following (the iterator ends). */
  signal?: AbortSignal;
}

/**
 * Replays the log once (the first report), then polls the chain and, whenever a new checkpoint
 * is anchored, replays only the new entries and reports again. Ends after a divergence or when
 * `signal` aborts. Checking the latest root is enough for the checkpoints in between: TraceLedger
 * accepted each only with a consistency proof from the one before.
 */
export async function* followLog(deps: MonitorDeps, logId: LogId, opts: FollowOptions = {}): AsyncGenerator<MonitorReport> {
  const replayer = new LogReplayer(deps.store, logId);
  const id = chainLogId(logId);
  let report = await checkUpTo(deps, replayer, await deps.reader.latest(id), { mode: 'full', from: null, fullBecause: 'asked' });
  yield report;
  let lastSize = report.ok ? (report.latest?.size ?? 0) : 0;
  let lastRoot = report.ok ? (report.latest?.root ?? '') : '';
  while (report.ok && !opts.signal?.aborted) {
    await sleep(opts.intervalMs ?? 5000, opts.signal);
    if (opts.signal?.aborted) return;
    const head = await deps.reader.latest(id);
    if (head.size <= lastSize) continue;
    report = await checkUpTo(deps, replayer, head, { mode: 'incremental', from: { size: lastSize, root: lastRoot, verifiedAt: new Date().toISOString() } });
    if (report.ok) {
      lastSize = head.size;
      lastRoot = head.root;
    }
    yield report;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
