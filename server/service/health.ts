/** Liveness of the parts the service needs: the chain node, the store, and the anchoring worker. */
import { LOG_IDS } from '../store/types';
import type { Services } from './context';

export interface Health {
  status: 'ok' | 'degraded';
  chain: { ok: boolean; block: number | null; error?: string };
  store: { ok: boolean; error?: string };
  /** ok is false only when the worker halted; lastError may name a transient failure it is retrying. */
  anchoring: { ok: boolean; lastError?: string };
}

const CHAIN_TIMEOUT_MS = 2000;

/** Checks the chain (latest block), the store (a trivial query) and the worker. Never throws. */
export async function checkHealth(sys: Pick<Services, 'provider' | 'store' | 'worker'>): Promise<Health> {
  const [chain, store, anchoring] = await Promise.all([checkChain(sys), checkStore(sys), checkAnchoring(sys)]);
  const ok = chain.ok && store.ok && anchoring.ok;
  return { status: ok ? 'ok' : 'degraded', chain, store, anchoring };
}

async function checkChain(sys: Pick<Services, 'provider'>): Promise<Health['chain']> {
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

async function checkStore(sys: Pick<Services, 'store'>): Promise<Health['store']> {
  try {
    await sys.store.ping();
    return { ok: true };
  } catch (e) {
    return { ok: false, error: `store unreachable: ${firstLine(e)}` };
  }
}

async function checkAnchoring(sys: Pick<Services, 'store' | 'worker'>): Promise<Health['anchoring']> {
  if (sys.worker.fatalError) return { ok: false, lastError: sys.worker.fatalError.message };
  try {
    for (const logId of LOG_IDS) {
      const inflight = [...(await sys.store.listCheckpoints(logId, 'submitted')), ...(await sys.store.listCheckpoints(logId, 'pending'))];
      const failing = inflight.find((cp) => cp.lastError !== null);
      if (failing) return { ok: true, lastError: `${logId} checkpoint ${failing.size}: ${failing.lastError}` };
    }
  } catch {
    // The store check reports an unreachable store.
  }
  return { ok: true };
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 200);
