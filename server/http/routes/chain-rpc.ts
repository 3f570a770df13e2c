/**
 * POST /api/v1/chain/rpc: a read-only JSON-RPC endpoint for the consumer's browser. It forwards to the chain node
 * only what the verifier (server/verification/json-rpc.ts) asks: eth_chainId, eth_blockNumber, and eth_call of the
 * verifier's view functions on the TraceLedger and its two registries at 'latest'. Everything else (transactions,
 * anvil_*, debug_*, other contracts, other functions) is refused with a JSON-RPC error and never reaches the node.
 * Bodies are small, batches short, and each client address has its own rate limit.
 */
import express, { type IRouter, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Api } from '../contract';
import { JsonRpcAnswer } from '../responses';
import { addressKey, minuteLimit } from '../rate-limit';
import { VERIFIER_CALL_SELECTORS } from '../../verification/json-rpc';
import { CHAIN_RPC_ROUTE } from '../context';
import { API_PREFIX, type RouteDeps } from './deps';

/** Largest request body: an eth_call of the verifier is well under 1 KB. */
export const CHAIN_RPC_BODY_LIMIT = '16kb';
/** Most calls in one batch. */
export const CHAIN_RPC_MAX_BATCH = 20;
/** How long the node gets to answer. */
const UPSTREAM_TIMEOUT_MS = 10_000;

type Id = string | number | null;
interface RpcCall {
  jsonrpc: '2.0';
  id: Id;
  method: string;
  params: unknown[];
}
type RpcAnswer = { jsonrpc: '2.0'; id: Id } & ({ result: unknown } | { error: { code: number; message: string } });

const refuse = (id: Id, code: number, message: string): RpcAnswer => ({ jsonrpc: '2.0', id, error: { code, message } });

const isId = (v: unknown): v is Id => v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** Why `call` may not be forwarded (a JSON-RPC error), or null when it may. `contracts`: lower-case addresses. */
export function refusal(call: unknown, contracts: ReadonlySet<string>): { id: Id; code: number; message: string } | null {
  if (typeof call !== 'object' || call === null || Array.isArray(call)) return { id: null, code: -32600, message: 'invalid request: not a JSON-RPC call object' };
  const c = call as Record<string, unknown>;
  const id = isId(c.id) ? c.id : null;
  if (c.jsonrpc !== '2.0' || typeof c.method !== 'string' || !isId(c.id)) return { id, code: -32600, message: 'invalid request: needs jsonrpc "2.0", a method and an id' };
  const params = c.params ?? [];
  if (!Array.isArray(params)) return { id, code: -32602, message: 'invalid params: must be an array' };
  switch (c.method) {
    case 'eth_chainId':
    case 'eth_blockNumber':
      return params.length === 0 ? null : { id, code: -32602, message: `invalid params: ${c.method} takes none` };
    case 'eth_call': {
      const [tx, block, ...rest] = params as [unknown, unknown, ...unknown[]];
      if (rest.length > 0 || block !== 'latest') return { id, code: -32602, message: 'invalid params: eth_call takes [{ to, data }, "latest"]' };
      if (typeof tx !== 'object' || tx === null || Array.isArray(tx)) return { id, code: -32602, message: 'invalid params: eth_call takes [{ to, data }, "latest"]' };
      const t = tx as Record<string, unknown>;
      if (Object.keys(t).some((k) => k !== 'to' && k !== 'data')) return { id, code: -32602, message: 'invalid params: only "to" and "data" may be given' };
      if (typeof t.to !== 'string' || !contracts.has(t.to.toLowerCase())) return { id, code: -32602, message: "not allowed: eth_call only to this ledger's TraceLedger and its registries" };
      if (typeof t.data !== 'string' || !/^0x(?:[0-9a-fA-F]{2})*$/.test(t.data) || t.data.length < 10 || !VERIFIER_CALL_SELECTORS.has(t.data.slice(2, 10).toLowerCase())) {
        return { id, code: -32602, message: 'not allowed: only the view functions verification reads' };
      }
      return null;
    }
    default:
      return { id, code: -32601, message: `method ${c.method} is not available here: this endpoint is read-only and serves only what verification needs (eth_chainId, eth_blockNumber, eth_call)` };
  }
}

/** Sends `calls` to the node in batches of at most `batchMax` (RPC_BATCH_MAX: FISCO BCOS refuses longer ones); the answers of all. */
async function forward(url: string, calls: RpcCall[], batchMax: number): Promise<RpcAnswer[]> {
  const batches: RpcCall[][] = [];
  for (let i = 0; i < calls.length; i += batchMax) batches.push(calls.slice(i, i + batchMax));
  return (await Promise.all(batches.map((b) => forwardBatch(url, b)))).flat();
}

async function forwardBatch(url: string, calls: RpcCall[]): Promise<RpcAnswer[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(calls),
    signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
  });
  const body = (await res.json()) as unknown;
  if (!Array.isArray(body)) throw new Error('the chain node did not answer the batch');
  return body as RpcAnswer[];
}

function cors(res: Response): void {
  // Read-only, no credentials: any page (the one served under another host name too) may read through it.
  res.set({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'content-type', 'Access-Control-Max-Age': '600' });
}

function limiter(perMinute: number): RequestHandler {
  return minuteLimit(perMinute, addressKey, (_req, res) => {
    cors(res);
    res.status(429).json(refuse(null, -32005, `too many requests: at most ${perMinute} a minute; try again shortly`));
  });
}

/** A body: one call, a batch, or any other JSON value (answered with a JSON-RPC error, as the protocol says). */
const RpcBody = z.union([
  z.record(z.string(), z.unknown()).describe('One JSON-RPC call: { jsonrpc: "2.0", id, method, params }.'),
  z.array(z.unknown()).min(1, { error: `a batch holds 1 to ${CHAIN_RPC_MAX_BATCH} calls` }).max(CHAIN_RPC_MAX_BATCH, { error: `a batch holds 1 to ${CHAIN_RPC_MAX_BATCH} calls` }).describe('A batch of calls, answered in order.'),
  z.union([z.string(), z.number(), z.boolean(), z.null()]).describe('Anything else: answered 200 with a JSON-RPC error -32600.'),
]);

const rpcError = (description: string) => ({ description, content: { 'application/json': JsonRpcAnswer } });

/** Mounts POST at CHAIN_RPC_ROUTE through `api` (the app's root), and its CORS preflight on `app`, before the API's own body parser. */
export function chainRpcRoute(app: IRouter, api: Api, { ctx }: RouteDeps): void {
  const d = ctx.sys.deployment;
  const contracts = new Set([d.traceLedger, d.participantRegistry, d.revocationRegistry].map((a) => a.toLowerCase()));
  const path = CHAIN_RPC_ROUTE;
  const parse = express.json({ limit: CHAIN_RPC_BODY_LIMIT, strict: false, inflate: false });
  // The CORS preflight (a JSON POST from a page of another origin); middleware, not a route: it is no API operation.
  app.use(path, (req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    cors(res);
    res.status(204).end();
  });
  api.route({
    method: 'post',
    path,
    operationId: 'chainRpc',
    summary: "A read-only JSON-RPC relay to the chain, for the consumer's browser",
    description:
      'Forwards only what verification reads: `eth_chainId`, `eth_blockNumber`, and `eth_call` at `"latest"` of the verifier\'s view functions on ' +
      'the TraceLedger and its two registries (`to` and `data` only). Any other method, contract or function is refused with a JSON-RPC error ' +
      `(-32601 method not available, -32602 not allowed) and never reaches the node. A JSON-RPC request or a batch of at most ${CHAIN_RPC_MAX_BATCH}; ` +
      `bodies up to ${CHAIN_RPC_BODY_LIMIT.replace('kb', ' KB')}, uncompressed; \`RATE_LIMIT_CHAIN_RPC_PER_MINUTE\` per client address. \`GET /api/v1/chain\` names it as ` +
      "`publicRpcUrl` when `PUBLIC_RPC_URL` is unset. Errors are JSON-RPC error objects, not the API's error envelope.",
    tags: ['operations'],
    auth: ['anyone'],
    body: { schema: RpcBody },
    before: [
      (_req, res, next) => {
        res.locals.mount = API_PREFIX;
        cors(res);
        next();
      },
      limiter(ctx.sys.config.RATE_LIMIT_CHAIN_RPC_PER_MINUTE),
      (req, res, next) => {
        parse(req, res, (err?: unknown) => {
          if (err === undefined) return next();
          const e = err as { type?: string; status?: number };
          const tooLarge = e.type === 'entity.too.large';
          const status = tooLarge ? 413 : e.status !== undefined && e.status >= 400 && e.status < 500 ? e.status : 400;
          res.status(status).json(refuse(null, tooLarge ? -32600 : -32700, tooLarge ? `request too large: at most ${CHAIN_RPC_BODY_LIMIT}` : 'parse error: the body is not JSON (uncompressed)'));
        });
      },
      (req, res, next) => {
        if (req.is('application/json')) return next();
        res.status(415).json(refuse(null, -32600, 'the body must be JSON (Content-Type: application/json)'));
      },
    ],
    refuse: (res, e) => {
      res.status(400).json(refuse(null, -32600, `invalid request: ${e.message}`));
    },
    responses: {
      200: { description: 'The JSON-RPC answer (or answers, in order), refusals included as JSON-RPC errors.', content: { 'application/json': z.union([JsonRpcAnswer, z.array(JsonRpcAnswer)]) } },
      400: rpcError('Not JSON, or an empty or too long batch: a JSON-RPC error object.'),
      413: rpcError(`Body over ${CHAIN_RPC_BODY_LIMIT}: a JSON-RPC error object.`),
      415: rpcError('Not application/json, or compressed: a JSON-RPC error object.'),
      429: rpcError('Over the rate limit: a JSON-RPC error object.'),
      503: rpcError('The chain node does not answer: a JSON-RPC error object.'),
    },
    handler: (_input, req, res) => answer(req, res, ctx.sys.rpcUrl, contracts, ctx.sys.config.RPC_BATCH_MAX),
  });
}

async function answer(req: Request, res: Response, upstream: string, contracts: ReadonlySet<string>, batchMax: number): Promise<void> {
  const body: unknown = req.body;
  const batch = Array.isArray(body);
  const calls = batch ? (body as unknown[]) : [body];
  const answers: (RpcAnswer | undefined)[] = calls.map((c) => {
    const why = refusal(c, contracts);
    return why ? refuse(why.id, why.code, why.message) : undefined;
  });
  // Forwarded with ids of our own: the node's answers are matched back by position, whatever ids the client chose.
  const allowed = calls.flatMap((c, i) => (answers[i] ? [] : [{ i, call: c as RpcCall }]));
  if (allowed.length > 0) {
    let upstreamAnswers: RpcAnswer[];
    try {
      upstreamAnswers = await forward(
        upstream,
        allowed.map(({ call }, n) => ({ jsonrpc: '2.0', id: n, method: call.method, params: call.params ?? [] })),
        batchMax,
      );
    } catch {
      res.status(503).json(refuse(null, -32603, 'the chain node is not answering; try again shortly'));
      return;
    }
    for (const [n, { i, call }] of allowed.entries()) {
      const a = upstreamAnswers.find((x) => x.id === n);
      answers[i] = a === undefined ? refuse(call.id, -32603, 'no answer from the chain node') : 'error' in a ? refuse(call.id, a.error.code, a.error.message) : { jsonrpc: '2.0', id: call.id, result: a.result };
    }
  }
  res.set('Cache-Control', 'no-store');
  res.json(batch ? answers : answers[0]);
}
