/**
 * A FISCO BCOS 3.x profile for tests: a real JSON-RPC HTTP proxy on 127.0.0.1 in front of a local anvil that
 * imitates what FISCO BCOS's Ethereum-compatible JSON-RPC does differently:
 * - a batch of more than 8 requests is refused (one JSON-RPC error answer), as its gateway does;
 * - block times count milliseconds: before each transaction the proxy sets the next block's timestamp to
 *   Date.now() in ms (evm_setNextBlockTimestamp), so `block.timestamp` in the EVM and block headers say ms
 *   (the genesis too: anvil starts at Date.now() in ms);
 * - gas is free: eth_gasPrice is 0, blocks carry no baseFeePerGas, a type-2 (EIP-1559) transaction is refused,
 *   eth_maxPriorityFeePerGas and eth_feeHistory are not available (legacy transactions only);
 * - the EVM is paris (anvil --hardfork paris), the newest FISCO BCOS runs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAnvil, type AnvilNode } from '../../server/chain/anvil';

/** FISCO BCOS's gateway refuses a JSON-RPC batch of more than this many requests. */
export const FISCO_MAX_BATCH = 8;
/** The chain id of FISCO BCOS's default group's sample chain. */
export const FISCO_CHAIN_ID = 20200;

type Id = string | number | null;
interface Call {
  jsonrpc?: string;
  id?: Id;
  method?: string;
  params?: unknown[];
}
type Answer = { jsonrpc: '2.0'; id: Id } & ({ result: unknown } | { error: { code: number; message: string } });

/** What the proxy saw: for tests that check the system kept to the profile. */
export interface FiscoProxyStats {
  /** The longest batch a client sent. */
  longestBatch: number;
  /** Batches refused for being longer than FISCO_MAX_BATCH. */
  batchesRefused: number;
  /** Transactions refused for not being legacy ones. */
  typedTransactionsRefused: number;
  /** Transactions forwarded (each mined in its own block stamped in ms). */
  transactions: number;
}

export interface FiscoProxy {
  /** The proxy's URL: the RPC_URL of the system under test. */
  readonly url: string;
  /** The anvil behind it (for test set-up only: anvil_setBalance and the like). */
  readonly upstream: AnvilNode;
  readonly stats: FiscoProxyStats;
  /** Stops the proxy and its anvil. */
  stop(): Promise<void>;
}

const answerError = (id: Id, code: number, message: string): Answer => ({ jsonrpc: '2.0', id, error: { code, message } });

/** Starts anvil (chain 20200, paris, zero base fee and gas price, genesis stamped in ms) and the proxy in front of it. */
export async function startFiscoProxy(): Promise<FiscoProxy> {
  const upstream = await startAnvil({ chainId: FISCO_CHAIN_ID, hardfork: 'paris', baseFee: 0, gasPrice: 0, genesisTimestamp: Date.now() });
  const stats: FiscoProxyStats = { longestBatch: 0, batchesRefused: 0, typedTransactionsRefused: 0, transactions: 0 };
  let nextId = 1;
  let lastStamp = 0;
  /** Transactions one at a time: the next block's timestamp and the transaction mined in it go together. */
  let sending: Promise<unknown> = Promise.resolve();

  async function upstreamCall(method: string, params: unknown[]): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }> {
    const res = await fetch(upstream.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }) });
    return (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
  }

  async function sendRaw(id: Id, params: unknown[]): Promise<Answer> {
    const raw = typeof params[0] === 'string' ? params[0] : '';
    // A typed transaction starts with its type byte (0x01…0x7f); a legacy one is an RLP list (0xc0 and above).
    const first = parseInt(raw.slice(2, 4), 16);
    if (!(first >= 0xc0)) {
      stats.typedTransactionsRefused++;
      return answerError(id, -32602, `transaction type 0x${raw.slice(2, 4)} is not supported: legacy transactions only`);
    }
    const send = sending.then(async () => {
      const stamp = Math.max(Date.now(), lastStamp + 1);
      const set = await upstreamCall('evm_setNextBlockTimestamp', [stamp]);
      if (set.error) return answerError(id, -32603, `evm_setNextBlockTimestamp: ${set.error.message}`);
      const out = await upstreamCall('eth_sendRawTransaction', params);
      if (!out.error) {
        lastStamp = stamp;
        stats.transactions++;
      }
      return toAnswer(id, out);
    });
    sending = send.catch(() => undefined);
    return send;
  }

  const toAnswer = (id: Id, out: { result?: unknown; error?: { code: number; message: string; data?: unknown } }): Answer =>
    out.error ? ({ jsonrpc: '2.0', id, error: out.error } as Answer) : { jsonrpc: '2.0', id, result: out.result ?? null };

  async function handle(call: Call): Promise<Answer> {
    const id = call.id ?? null;
    const params = Array.isArray(call.params) ? call.params : [];
    switch (call.method) {
      case 'eth_gasPrice':
        return { jsonrpc: '2.0', id, result: '0x0' };
      case 'eth_maxPriorityFeePerGas':
      case 'eth_feeHistory':
        return answerError(id, -32601, `method ${call.method} not found`);
      case 'eth_sendRawTransaction':
        return sendRaw(id, params);
      case 'eth_getBlockByNumber':
      case 'eth_getBlockByHash': {
        const out = await upstreamCall(call.method, params);
        const block = out.result as Record<string, unknown> | null | undefined;
        if (block && typeof block === 'object') {
          delete block.baseFeePerGas;
          delete block.withdrawalsRoot;
          delete block.withdrawals;
        }
        return toAnswer(id, out);
      }
      default:
        return toAnswer(id, await upstreamCall(String(call.method), params));
    }
  }

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      void (async () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          parsed = undefined;
        }
        let answer: Answer | Answer[];
        if (Array.isArray(parsed)) {
          stats.longestBatch = Math.max(stats.longestBatch, parsed.length);
          if (parsed.length > FISCO_MAX_BATCH) {
            stats.batchesRefused++;
            answer = answerError(null, -32600, `batch of ${parsed.length} requests refused: at most ${FISCO_MAX_BATCH}`);
          } else {
            answer = await Promise.all((parsed as Call[]).map(handle));
          }
        } else if (parsed && typeof parsed === 'object') {
          answer = await handle(parsed as Call);
        } else {
          answer = answerError(null, -32700, 'parse error');
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      })().catch((e: Error) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answerError(null, -32603, `proxy: ${e.message}`)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    upstream,
    stats,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.stop();
    },
  };
}
