/**
 * The fast dispatch of the hot signed-write routes (POST /api/v1/reports, POST /api/v1/shares; issue 14). At start, the
 * chain of handlers Express would run for a POST to each path is read from the app's routers themselves (the app-wide
 * middleware, the API router's own, then the route's: auth, rate limit, contract validation, handler). A request for
 * one of those paths exactly then runs that chain — the same instances, in the same order, errors to the same error
 * handler — without walking the routers' layers on every request. A plain JSON body (`application/json`, optionally
 * `charset=utf-8`, no Content-Encoding, a Content-Length within the limit) is read here as body-parser would; every
 * other body goes to the body parser itself. Any other request (another method or path, a trailing slash, capitals…)
 * goes to Express unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type express from 'express';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { SPLIT_FROM_BYTES, parseSplitJson } from './split-json';

/** Requests the fast dispatch served, by app (for tests and diagnostics). */
const SERVED = new WeakMap<object, { count: number }>();

/** How many requests `app`'s fast dispatch served (0 for an app without one). */
export const fastDispatched = (app: object): number => SERVED.get(app)?.count ?? 0;

type Handle = (req: IncomingMessage, res: ServerResponse, callback?: unknown) => void;

export interface FastPathOptions {
  /** The full paths served (`/api/v1/reports`): each must be a POST route of the app. */
  paths: readonly string[];
  /** The JSON body parser instance (express.json) of the routes' router: {@link readPlainJson} stands in for it on plain bodies. */
  json: RequestHandler;
  /** Its limit in bytes. */
  jsonLimit: number;
  /** What Express would answer a request with when the chain ends without an answer (the 404). */
  notFound: RequestHandler;
  errors: ErrorRequestHandler;
}

/** What this module reads of the router package's layers (router/lib/layer.js, route.js). */
interface RouterLayer {
  name: string;
  handle: ((...args: never[]) => unknown) & { stack?: RouterLayer[] };
  route?: { path: string; stack: { handle: RequestHandler; method?: string }[]; _handlesMethod(method: string): boolean };
  match(path: string): false | { path: string; keys: string[] };
}

/** The handlers Express runs for a request, and from which one on they are the matched route's (undefined: no route took it). */
interface Chain {
  handlers: RequestHandler[];
  routeFrom?: number;
  routePath?: string;
}

/**
 * The request handlers Express runs, in order, for `POST path` on `stack` (a router's layers): the middleware whose path
 * matches, a mounted router's own (recursively; on without a route, as Express goes on), up to and including the first
 * route that takes POST; error handlers are skipped. Throws for a layer on the way that has path parameters. Middleware
 * inside a mounted router sees the full req.url here, not the rest below the mount: none of the API router's reads it.
 */
function chainFor(stack: readonly RouterLayer[], path: string): Chain {
  const handlers: RequestHandler[] = [];
  for (const layer of stack) {
    const m = layer.match(path);
    if (!m) continue;
    if (layer.route && !layer.route._handlesMethod('post')) continue;
    if (m.keys.length > 0) throw new Error(`fast dispatch of POST ${path}: layer ${layer.name} has path parameters`);
    if (layer.route) {
      const own = layer.route.stack.filter((l) => l.method === undefined || l.method === 'post').map((l) => l.handle);
      return { handlers: [...handlers, ...own], routeFrom: handlers.length, routePath: layer.route.path };
    }
    if (layer.handle.length === 4) continue;
    if (Array.isArray(layer.handle.stack)) {
      // A mounted router: its own middleware and routes, on the rest of the path.
      const inner = chainFor(layer.handle.stack, path.slice(m.path.length) || '/');
      if (inner.routeFrom !== undefined) return { handlers: [...handlers, ...inner.handlers], routeFrom: handlers.length + inner.routeFrom, routePath: inner.routePath };
      handlers.push(...inner.handlers);
      continue;
    }
    handlers.push(layer.handle as unknown as RequestHandler);
  }
  return { handlers };
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
 * dropped (iconv-lite's default), parsed by {@link parseJsonBody} (a large one of one array member element by element,
 * ./split-json.ts: the same value); a client that aborts gets `request.aborted`.
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
    // A leading UTF-8 byte order mark (U+FEFF) is not part of the text.
    const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
    if (buf.length >= SPLIT_FROM_BYTES) {
      // A bulk body: parsed element by element (./split-json.ts), or whole below when it is of another shape.
      const split = parseSplitJson(buf, start);
      if (split !== undefined) {
        req.body = split;
        return finish();
      }
    }
    try {
      req.body = parseJsonBody(buf.toString('utf8', start));
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
 * Puts the fast dispatch in front of `app` for `opts.paths`: each one's chain is read from the app's router as it
 * stands (so call this once every route and middleware is registered); a POST whose path (query string aside) is exactly
 * one of them runs that chain here; every other request is handed to Express as before.
 */
export function installFastPath(app: express.Express, opts: FastPathOptions): void {
  const jsonBody: RequestHandler = (req, res, next) => {
    if (isPlainJson(req, opts.jsonLimit)) readPlainJson(req, next);
    else opts.json(req, res, next);
  };
  const appStack = (app as unknown as { router: { stack: RouterLayer[] } }).router.stack;
  const byPath = new Map<string, readonly RequestHandler[]>();
  for (const path of opts.paths) {
    const { handlers, routeFrom, routePath } = chainFor(appStack, path);
    if (routeFrom === undefined || routePath === undefined) throw new Error(`fast dispatch of POST ${path}: no route takes it`);
    if (!handlers.includes(opts.json)) throw new Error(`fast dispatch of POST ${path}: the JSON parser given is not on its way`);
    // The router marks the request with its route once the path matched, after the routers' middleware (a body the
    // parser refused is 'unmatched' in logs and metrics).
    const matched: RequestHandler = (req, _res, next) => {
      (req as Request & { route: { path: string } }).route = { path: routePath };
      next();
    };
    const before = handlers.slice(0, routeFrom).map((h) => (h === opts.json ? jsonBody : h));
    byPath.set(path, [...before, matched, ...handlers.slice(routeFrom)]);
  }
  // The app function calls app.handle (express/lib/express.js): replacing it puts the dispatch in front of the router.
  const withHandle = app as express.Express & { handle: Handle };
  const handle = withHandle.handle.bind(app);
  const served = { count: 0 };
  SERVED.set(app, served);
  withHandle.handle = function fastHandle(req, res, callback) {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const chain = req.method === 'POST' ? byPath.get(q < 0 ? url : url.slice(0, q)) : undefined;
    if (chain === undefined) return handle(req, res, callback);
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
    runChain(chain, r, s, opts.notFound, opts.errors);
  };
}
