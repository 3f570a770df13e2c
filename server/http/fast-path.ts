/**
 * The fast dispatch of the hot signed-write routes (POST /api/v1/reports, POST /api/v1/shares; issue 14): a request for
 * one of them, at its exact path, runs the very middleware Express would run for it — the same instances, in the same
 * order (security headers, request deadline, request log, metrics, the JSON body parser, the depth limit, then the
 * handlers the route table registered: auth, rate limit, contract validation, handler), and errors go to the same error
 * handler — without walking the router's layers. A plain JSON body (`application/json`, optionally `charset=utf-8`, no
 * Content-Encoding, a Content-Length within the limit) is read here as body-parser would; every other body goes to the
 * body parser itself. Any other request (another method, path, trailing slash, case…) goes to Express unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type express from 'express';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';

/** Requests the fast dispatch served, by app (for tests and diagnostics). */
const SERVED = new WeakMap<object, { count: number }>();

/** How many requests `app`'s fast dispatch served (0 for an app without one). */
export const fastDispatched = (app: object): number => SERVED.get(app)?.count ?? 0;

type Handle = (req: IncomingMessage, res: ServerResponse, callback?: unknown) => void;

/** A route the fast dispatch serves: `POST {mount}{path}`, with the handlers its router would run after the mount's own. */
export interface FastRoute {
  /** The path under the mount, as the route table registered it on the mount's router (`/reports`). */
  path: string;
  handlers: readonly RequestHandler[];
}

export interface FastPathOptions {
  /** The app-wide middleware that runs before any router (helmet, exposure headers, deadline, log, metrics). */
  front: readonly RequestHandler[];
  /** Where the routes' router is mounted (`/api/v1`), and that router's own middleware before the JSON parser (its route labels). */
  mount: string;
  mountFront: readonly RequestHandler[];
  /** The router's JSON body parser (express.json), for every body {@link readPlainJson} does not take. */
  json: RequestHandler;
  /** Its limit in bytes. */
  jsonLimit: number;
  /** The router's middleware after the JSON parser (the depth limit). */
  afterJson: readonly RequestHandler[];
  routes: readonly FastRoute[];
  /** What Express would answer a request with when the chain ends without an answer (the 404). */
  notFound: RequestHandler;
  errors: ErrorRequestHandler;
}

/** Content-Type values whose body is read here; any other (a charset other than UTF-8, extra parameters…) goes to body-parser. */
const PLAIN_JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

const DIGITS = /^[0-9]{1,9}$/;

/** The first character of `text` that is not JSON's insignificant whitespace (RFC 8259: space, tab, LF, CR), as body-parser's strict mode finds it. */
function firstNonWhitespace(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return text[i];
  }
  return undefined;
}

/** True when `req`'s body is plain JSON that {@link readPlainJson} reads exactly as body-parser would. */
function isPlainJson(req: IncomingMessage, limit: number): boolean {
  const h = req.headers;
  if (h['content-encoding'] !== undefined || h['transfer-encoding'] !== undefined) return false;
  const type = h['content-type'];
  if (type === undefined || !PLAIN_JSON_TYPES.has(type.toLowerCase())) return false;
  const length = h['content-length'];
  return length !== undefined && DIGITS.test(length) && Number(length) <= limit;
}

/** An error as body-parser raises it (http-errors' `status` and `type`), which the error handler maps (./errors.ts toAppError). */
function bodyError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type });
}

/**
 * body-parser's JSON parse of a decoded body: empty is `{}`; strict (the first non-whitespace character must open an
 * object or an array); any syntax error is `entity.parse.failed`.
 */
function parseJsonBody(text: string): unknown {
  if (text.length === 0) return {};
  const first = firstNonWhitespace(text);
  if (first !== '{' && first !== '[') throw bodyError(400, 'entity.parse.failed', 'the body is not a JSON object or array');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw bodyError(400, 'entity.parse.failed', (e as Error).message);
  }
}

/**
 * Reads a plain JSON body ({@link isPlainJson}) into `req.body` as body-parser does: UTF-8 decoded with a leading BOM
 * dropped (iconv-lite's default), parsed by {@link parseJsonBody}; a client that aborts gets `request.aborted`.
 */
function readPlainJson(req: Request, next: NextFunction): void {
  const chunks: Buffer[] = [];
  let settled = false;
  const finish = (err?: unknown) => {
    if (settled) return;
    settled = true;
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    req.removeListener('aborted', onAborted);
    req.removeListener('error', onError);
    if (err !== undefined) return next(err);
    next();
  };
  const onData = (c: Buffer) => chunks.push(c);
  const onEnd = () => {
    const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    let text = buf.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    try {
      req.body = parseJsonBody(text);
    } catch (e) {
      return finish(e);
    }
    finish();
  };
  const onAborted = () => finish(bodyError(400, 'request.aborted', 'request aborted'));
  const onError = (e: Error) => finish(bodyError(400, 'stream.error', e.message));
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('aborted', onAborted);
  req.on('error', onError);
}

/**
 * Runs `chain` as Express's router runs a matched stack: each handler in turn on `next()`; a handler that throws or
 * whose promise rejects passes its error on; an error skips to `errors`; the end of the chain without an answer is
 * `notFound`'s.
 */
function runChain(chain: readonly RequestHandler[], req: Request, res: Response, notFound: RequestHandler, errors: ErrorRequestHandler): void {
  let i = 0;
  const fail = (err: unknown) => {
    try {
      errors(err, req, res, () => {});
    } catch {
      res.destroy();
    }
  };
  const next: NextFunction = (err?: unknown) => {
    if (err !== undefined && err !== null && err !== 'route' && err !== 'router') return fail(err);
    const fn = err === undefined || err === null ? chain[i++] : undefined;
    const handler = fn ?? notFound;
    try {
      const ret = handler(req, res, fn ? next : (e?: unknown) => fail(e ?? new Error('no route answered')));
      if (ret !== undefined && ret !== null && typeof (ret as Promise<unknown>).then === 'function') {
        (ret as Promise<unknown>).then(undefined, (e: unknown) => next(e ?? new Error('Rejected promise')));
      }
    } catch (e) {
      next(e);
    }
  };
  next();
}

/**
 * Puts the fast dispatch in front of `app`: a POST whose path (query string aside) is exactly one of `opts.routes`
 * (under `opts.mount`) is served here; every other request is handed to Express as before.
 */
export function installFastPath(app: express.Express, opts: FastPathOptions): void {
  const byPath = new Map<string, { route: FastRoute; chain: readonly RequestHandler[] }>();
  const jsonBody: RequestHandler = (req, res, next) => {
    if (isPlainJson(req, opts.jsonLimit)) readPlainJson(req, next);
    else opts.json(req, res, next);
  };
  for (const route of opts.routes) {
    // The router marks the request with its route once the path matched, after the mount's middleware (a body refused by the parser is 'unmatched' in logs and metrics).
    const matched: RequestHandler = (req, _res, next) => {
      (req as Request & { route: { path: string } }).route = { path: route.path };
      next();
    };
    byPath.set(`${opts.mount}${route.path}`, { route, chain: [...opts.front, ...opts.mountFront, jsonBody, ...opts.afterJson, matched, ...route.handlers] });
  }
  // The app function calls app.handle (express/lib/express.js): replacing it puts the dispatch in front of the router.
  const withHandle = app as express.Express & { handle: Handle };
  const handle = withHandle.handle.bind(app);
  const served = { count: 0 };
  SERVED.set(app, served);
  withHandle.handle = function fastHandle(req, res, callback) {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const hit = req.method === 'POST' ? byPath.get(q < 0 ? url : url.slice(0, q)) : undefined;
    if (hit === undefined) return handle(req, res, callback);
    served.count++;
    // What app.handle and the routers do before the route's handlers run.
    const r = req as Request;
    const s = res as Response;
    r.res = s;
    s.req = r;
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    if (!s.locals) s.locals = Object.create(null) as Response['locals'];
    r.originalUrl = r.originalUrl || url;
    r.baseUrl = '';
    r.params = {};
    runChain(hit.chain, r, s, opts.notFound, opts.errors);
  };
}
