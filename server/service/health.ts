/** Liveness of the parts the service needs: the chain node, the store (and the disk under DATA_DIR), and the anchoring worker. */
import fs from 'node:fs';
import { lastStorageFault } from '../store/storage-faults';
import { LOG_IDS } from '../store/types';
import type { Services } from './context';
import type { VerifierStatus } from './verify-pool';

export interface Health {
  status: 'ok' | 'degraded';
  /**
   * With the embedded node, `node` says whether it runs or is restarting after it died (error then says
   * so), and `durableBlock` the head of its last state save; a failed save makes chain not ok.
   */
  chain: { ok: boolean; block: number | null; error?: string; node?: 'running' | 'restarting' | 'stopped'; durableBlock?: number };
  /**
   * ok is false when the store does not answer, when a write failed with a storage fault (disk full, I/O error)
   * since the last successful one, or when DATA_DIR has less than DISK_FREE_MIN_MB free (diskFreeMb).
   */
  store: { ok: boolean; error?: string; diskFreeMb?: number };
  /**
   * ok is false when the worker halted, or anchoring lags: the oldest accepted record not yet anchored
   * waited longer than ANCHOR_LAG_DEGRADED_SECONDS (lagSeconds), or a checkpoint stayed submitted that
   * long. lastError names the failure behind it (or a transient one being retried while ok).
   */
  anchoring: { ok: boolean; lagSeconds?: number; lastError?: string };
  /** This instance among those sharing its database: whether it leads anchoring, and who does. */
  instance?: { id: string; leader: boolean; leaderId: string | null; term: number | null };
  /**
   * Where the work kept off the event loop runs: signature checks (INGEST_THREADS) and the embedded chain's state saves.
   * A fallback to the main thread (its threads could not start) is slower with the same answers, and threads that
   * stopped were replaced: neither makes the status degraded, `warning` says so.
   */
  threads?: {
    signatures: VerifierStatus;
    chainStateSaves?: { onMainThread: boolean };
    /** SQLite's WAL checkpoints (absent with PostgreSQL). */
    walCheckpoints?: { onMainThread: boolean };
    warning?: string;
  };
}

const DEFAULT_LAG_DEGRADED_SECONDS = 120;
const DEFAULT_DISK_FREE_MIN_MB = 64;

const CHAIN_TIMEOUT_MS = 2000;

/** Checks the chain (latest block), the store (a trivial query) and the worker. Never throws. */
export async function checkHealth(
  sys: Pick<Services, 'provider' | 'store' | 'worker' | 'embeddedChain' | 'leadership'> & Partial<Pick<Services, 'ingest'>> & { config?: Services['config'] },
): Promise<Health> {
  const [chain, store, anchoring] = await Promise.all([checkChain(sys), checkStore(sys), checkAnchoring(sys)]);
  const ok = chain.ok && store.ok && anchoring.ok;
  const part = sys.leadership?.();
  const instance = part && { id: part.instance, leader: part.leader, leaderId: part.holder, term: part.term };
  const threads =
    sys.ingest &&
    checkThreads(sys.ingest.verifierStatus(), { chainStateSaves: sys.embeddedChain?.status().savesOnMainThread, walCheckpoints: sys.store.walCheckpointsOnMainThread?.() });
  return { status: ok ? 'ok' : 'degraded', chain, store, anchoring, ...(instance ? { instance } : {}), ...(threads ? { threads } : {}) };
}

/**
 * The threads part of the health: where signatures are checked, the chain state saved and the WAL checkpointed (each
 * of the last two: on the main thread or not, undefined when there is none), with a warning for a fallback or a thread that stopped.
 */
export function checkThreads(signatures: VerifierStatus, onMainThread: { chainStateSaves?: boolean; walCheckpoints?: boolean }): NonNullable<Health['threads']> {
  const warnings: string[] = [];
  if (signatures.threads > 0 && signatures.onMainThread) {
    warnings.push(`signatures are checked on the main thread: the signature threads could not start (${signatures.lastFailure?.error ?? 'unknown'}); ingest is slower, with the same answers`);
  } else if (signatures.stopped > 0) {
    warnings.push(
      `${signatures.stopped} signature thread(s) stopped since the start (last at ${signatures.lastFailure?.at}: ${signatures.lastFailure?.error}) and were replaced; ` +
        `the ${signatures.refused} submission(s) they held were refused as unavailable (nothing stored) and can be sent again`,
    );
  }
  const { chainStateSaves, walCheckpoints } = onMainThread;
  if (chainStateSaves) warnings.push('the chain state is saved on the main thread (the writing thread could not start): each save holds up requests for its fsyncs; saves stay durable');
  if (walCheckpoints) warnings.push("the database's WAL is checkpointed on the main thread (the checkpoint thread could not start): each checkpoint holds up requests for its copy and fsyncs");
  return {
    signatures,
    ...(chainStateSaves === undefined ? {} : { chainStateSaves: { onMainThread: chainStateSaves } }),
    ...(walCheckpoints === undefined ? {} : { walCheckpoints: { onMainThread: walCheckpoints } }),
    ...(warnings.length > 0 ? { warning: warnings.join('; ') } : {}),
  };
}

async function checkChain(sys: Pick<Services, 'provider' | 'embeddedChain'>): Promise<Health['chain']> {
  const rpc = await checkRpc(sys);
  const node = sys.embeddedChain?.status();
  if (!node) return rpc;
  const chain: Health['chain'] = { ...rpc, node: node.state, durableBlock: node.durableBlock };
  if (node.state === 'restarting') return { ...chain, ok: false, block: null, error: `the embedded chain node is restarting: ${node.message ?? 'it exited'}` };
  if (node.saveError) return { ...chain, ok: false, error: `chain state not durable: ${node.saveError}` };
  return chain;
}

async function checkRpc(sys: Pick<Services, 'provider'>): Promise<Health['chain']> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHAIN_TIMEOUT_MS} ms`)), CHAIN_TIMEOUT_MS);
    });
    const block = await Promise.race([sys.provider.getBlockNumber(), timeout]);
    return { ok: true, block };
  } catch (e) {
    return { ok: false, block: null, error: `chain node unreachable: ${firstLine(e)}` };
  } finally {
    clearTimeout(timer);
  }
}

async function checkStore(sys: Pick<Services, 'store'> & { config?: Services['config'] }): Promise<Health['store']> {
  const disk = diskFree(sys.config?.DATA_DIR);
  const withDisk = disk === undefined ? {} : { diskFreeMb: disk };
  try {
    await sys.store.ping();
  } catch (e) {
    return { ok: false, error: `store unreachable: ${firstLine(e)}`, ...withDisk };
  }
  const fault = lastStorageFault(sys.store);
  if (fault) {
    return { ok: false, error: `a write failed at ${new Date(fault.at).toISOString()} (${fault.code} in ${fault.operation}): check the free space and health of the disk holding DATA_DIR`, ...withDisk };
  }
  const min = sys.config?.DISK_FREE_MIN_MB ?? DEFAULT_DISK_FREE_MIN_MB;
  if (disk !== undefined && disk < min) return { ok: false, error: `DATA_DIR has ${disk} MB free (below DISK_FREE_MIN_MB ${min})`, ...withDisk };
  return { ok: true, ...withDisk };
}

/** Free MB (for unprivileged users) on the file system holding `dir`; undefined when unknown. */
function diskFree(dir: string | undefined): number | undefined {
  if (!dir) return undefined;
  try {
    const s = fs.statfsSync(dir);
    return Math.floor((s.bavail * s.bsize) / (1024 * 1024));
  } catch {
    return undefined;
  }
}

async function checkAnchoring(sys: Pick<Services, 'store' | 'worker'> & { config?: Services['config'] }): Promise<Health['anchoring']> {
  if (sys.worker.fatalError) return { ok: false, lastError: sys.worker.fatalError.message };
  const limit = sys.config?.ANCHOR_LAG_DEGRADED_SECONDS ?? DEFAULT_LAG_DEGRADED_SECONDS;
  try {
    const now = Date.now();
    let lagSeconds = 0;
    let lastError: string | undefined;
    let stuck: string | undefined;
    for (const logId of LOG_IDS) {
      const submitted = await sys.store.listCheckpoints(logId, 'submitted');
      const inflight = [...submitted, ...(await sys.store.listCheckpoints(logId, 'pending'))];
      const failing = inflight.find((cp) => cp.lastError !== null);
      if (failing && !lastError) lastError = `${logId} checkpoint ${failing.size}: ${failing.lastError}`;
      const old = submitted.find((cp) => now - cp.updatedAt > limit * 1000);
      if (old && !stuck) stuck = `${logId} checkpoint ${old.size}: transaction ${old.txHash} submitted ${Math.round((now - old.updatedAt) / 1000)} s ago and not confirmed`;
      const oldest = await oldestWaiting(sys, logId);
      if (oldest !== null) lagSeconds = Math.max(lagSeconds, Math.max(0, Math.round((now - oldest) / 1000)));
    }
    if (lagSeconds > limit || stuck) {
      return { ok: false, lagSeconds, lastError: lastError ?? stuck ?? `the oldest record waiting to be anchored is ${lagSeconds} s old (limit ${limit} s)` };
    }
    if (lastError) return { ok: true, lastError };
  } catch {
    // The store check reports an unreachable store.
  }
  return { ok: true };
}

/** When the oldest accepted record of the log not yet covered by a confirmed checkpoint was received (ms), or null. */
async function oldestWaiting(sys: Pick<Services, 'store'>, logId: (typeof LOG_IDS)[number]): Promise<number | null> {
  const head = await sys.store.logHead(logId);
  const anchored = (await sys.store.latestCheckpoint(logId, 'confirmed'))?.size ?? 0;
  if (head.size > anchored) return (await sys.store.getRecordByLeafIndex(logId, anchored))?.receivedAt ?? null;
  const unsequenced = await sys.store.countUnsequenced(logId);
  return unsequenced.count > 0 ? unsequenced.oldestReceivedAt : null;
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 200);
