/** Waits at start for a chain node to answer (a node that starts after us, a network outage), with backoff. */
import type { Logger } from 'pino';

export interface WaitForChainOptions {
  /** Give up after this many seconds; 0 tries once. */
  seconds: number;
  /** First pause between attempts (ms), doubled after each failure up to `maxDelayMs`. Default 500. */
  initialDelayMs?: number;
  /** Default 5000. */
  maxDelayMs?: number;
  /** Each attempt's own time limit (ms). Default 5000. */
  requestTimeoutMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/** The chain node at `rpcUrl` did not answer within the wait. */
export class ChainUnreachableError extends Error {
  override readonly name = 'ChainUnreachableError';
}

/** One JSON-RPC call over plain HTTP (no provider: ethers would retry network detection on its own, forever). */
async function rpcCall(rpcUrl: string, method: string, timeoutMs: number): Promise<string> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText} for ${method}`);
  const body = (await res.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error) throw new Error(`${method} failed: ${body.error.message ?? JSON.stringify(body.error)}`);
  if (typeof body.result !== 'string' || !/^0x[0-9a-fA-F]+$/.test(body.result)) throw new Error(`${method} answered ${JSON.stringify(body.result)}, not a quantity`);
  return body.result;
}

/**
 * `url` as it may be logged: without user info, query or fragment, and with long path segments (API keys, as in
 * `https://host/v3/KEY`) shortened to their first four characters.
 */
export function redactRpcUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname
      .split('/')
      .map((seg) => (seg.length >= 16 ? `${seg.slice(0, 4)}…` : seg))
      .join('/');
    return `${u.protocol}//${u.host}${path === '/' ? '' : path}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** Why an attempt failed, in one line (fetch hides the socket error in `cause`). */
function describe(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'no answer in time';
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}

/**
 * Resolves with the chain id and head block once the node at `rpcUrl` answers eth_chainId and
 * eth_blockNumber; until then retries with exponential backoff for up to `opts.seconds`, logging each
 * failed attempt with the URL (redactRpcUrl) and the error. Throws ChainUnreachableError naming the URL, the last error
 * and CHAIN_WAIT_SECONDS when the time is up.
 */
export async function waitForChain(rpcUrl: string, opts: WaitForChainOptions): Promise<{ chainId: number; blockNumber: number; attempts: number }> {
  const deadline = Date.now() + opts.seconds * 1000;
  const shown = redactRpcUrl(rpcUrl);
  const timeout = opts.requestTimeoutMs ?? 5000;
  let delay = opts.initialDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      const chainId = Number(BigInt(await rpcCall(rpcUrl, 'eth_chainId', timeout)));
      const blockNumber = Number(BigInt(await rpcCall(rpcUrl, 'eth_blockNumber', timeout)));
      if (attempt > 1) opts.logger?.info({ rpcUrl: shown, chainId, blockNumber, attempts: attempt }, 'the chain node answers');
      return { chainId, blockNumber, attempts: attempt };
    } catch (e) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ChainUnreachableError(
          `the chain node at ${shown} did not answer eth_chainId / eth_blockNumber within CHAIN_WAIT_SECONDS=${opts.seconds} ` +
            `(${attempt} attempt${attempt === 1 ? '' : 's'}; last error: ${describe(e)}). Start the node or check RPC_URL, or raise CHAIN_WAIT_SECONDS.`,
        );
      }
      const wait = Math.min(delay, left);
      opts.logger?.warn({ rpcUrl: shown, attempt, err: describe(e), retryInMs: wait }, 'the chain node does not answer yet; will retry');
      await new Promise((r) => setTimeout(r, wait));
      delay = Math.min(opts.maxDelayMs ?? 5000, delay * 2);
    }
  }
}
