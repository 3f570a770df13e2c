/**
 * The HTTP service: security headers, request log and metrics, the REST API under /api/v1, the
 * operations endpoints, then the web pages; one error handler answers every failure.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import express, { Router, type RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import { AppError, type ErrorCode } from '../errors';
import { ensureAdminToken } from '../service/admin-token';
import { createWebRouter } from '../web/router';
import { authMiddleware, createAuthenticator } from './auth';
import { RouteTable, type RouteContract } from './contract';
import type { AppContext } from './context';
import { errorHandler, notFound } from './errors';
import { installFastPath } from './fast-path';
import { hstsOverHttps, noStoreWhenAuthenticated, requireOneOf } from './exposure';
import { createMetrics } from './metrics';
import { createExpensiveReadLimit, createWriteLimit } from './rate-limit';
import { requestLog } from './request-log';
import { batchRoutes } from './routes/batches';
import { chainRpcRoute } from './routes/chain-rpc';
import { consoleRoutes } from './routes/consoles';
import { API_PREFIX, type RouteDeps } from './routes/deps';
import { labelRoutes } from './routes/labels';
import { chainRoutes, operationRoutes } from './routes/operations';
import { participantRoutes } from './routes/participants';
import { recordRoutes } from './routes/records';
import { reportRoutes } from './routes/reports';
import { revocationRoutes } from './routes/revocations';
import { tokenRoutes } from './routes/tokens';
import { trailRoutes } from './routes/trails';

/** Largest JSON request body, in bytes (256 kB; body-parser and the fast dispatch's reader both take this number). */
export const JSON_LIMIT = 256 * 1024;

/** Deepest nesting of arrays and objects a JSON body may have; deeper bodies are refused before any schema or canonicalisation recurses into them. */
export const JSON_MAX_DEPTH = 64;

/** Routes that take a long upload, and so get UPLOAD_TIMEOUT_SECONDS instead of REQUEST_TIMEOUT_SECONDS to send it. */
const UPLOAD_ROUTES: readonly { method: string; path: RegExp }[] = [{ method: 'POST', path: /^\/api\/v1\/deliveries\/[^/]+\/check\/?$/ }];

/** True when `value` nests arrays and objects deeper than `max` (walked with an explicit stack, never recursion). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** Refuses a parsed JSON body nested deeper than {@link JSON_MAX_DEPTH} with 400 invalid-input. */
const limitJsonDepth: RequestHandler = (req, _res, next) => {
  if (nestedDeeperThan(req.body, JSON_MAX_DEPTH)) next(new AppError('invalid-input', `the JSON body nests arrays and objects deeper than ${JSON_MAX_DEPTH} levels`));
  else next();
};

/**
 * Gives each request a time limit for the client to finish sending it: `uploadMs` on {@link UPLOAD_ROUTES}, `requestMs`
 * on every other route. When it passes with the request still incomplete, the answer is 408 request-timeout and the
 * connection is closed (a client dripping one byte every few seconds cannot hold it). Handlers that are still working
 * on a complete request are not cut.
 */
function requestDeadline(requestMs: number, uploadMs: number): RequestHandler {
  return (req, res, next) => {
    const upload = UPLOAD_ROUTES.some((r) => r.method === req.method && r.path.test(req.path));
    const ms = upload ? uploadMs : requestMs;
    const timer = setTimeout(() => {
      if (req.complete || res.writableEnded) return;
      res.set('Connection', 'close');
      if (res.headersSent) {
        req.socket.destroy();
        return;
      }
      const e = new AppError('request-timeout', `the request was not sent completely within ${Math.round(ms / 1000)} s`);
      res.status(e.status).json({ error: { code: e.code, message: e.message } });
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}

/** The consumer page runs only its own script from 'self'; it may call the public JSON-RPC endpoint to verify on chain. */
function helmetOptions(ctx: AppContext): HelmetOptions {
  const connect = ["'self'"];
  if (ctx.publicRpcUrl) connect.push(new URL(ctx.publicRpcUrl).origin);
  return {
    // HSTS only over HTTPS: hstsOverHttps (./exposure.ts).
    strictTransportSecurity: false,
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'connect-src': connect,
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'frame-ancestors': ["'none'"],
        // Served over plain HTTP (the embedded default), upgrading would break the page's own assets.
        'upgrade-insecure-requests': ctx.publicBaseUrl.startsWith('https://') ? [] : null,
      },
    },
  };
}

/** The route contracts of each app {@link createApp} made, for /openapi.json and the drift test. */
const ROUTES = new WeakMap<express.Express, readonly RouteContract[]>();

/** Every route contract `app` registered (empty for an app not made by {@link createApp}). */
export const routeContractsOf = (app: express.Express): readonly RouteContract[] => ROUTES.get(app) ?? [];

function apiRouter(table: RouteTable, deps: RouteDeps, json: RequestHandler): Router {
  const r = Router();
  // Route labels for logs and metrics (req.baseUrl is reset once an error leaves this router).
  r.use((_req, res, next) => {
    res.locals.mount = API_PREFIX;
    next();
  });
  r.use(json, limitJsonDepth);
  const api = table.on(r, API_PREFIX);
  batchRoutes(api, deps);
  labelRoutes(api, deps);
  reportRoutes(api, deps);
  recordRoutes(api, deps);
  revocationRoutes(api, deps);
  participantRoutes(api, deps);
  tokenRoutes(api, deps);
  trailRoutes(api, deps);
  chainRoutes(api, deps);
  consoleRoutes(api, deps);
  return r;
}

/** The hot signed-write routes the fast dispatch serves (./fast-path.ts). */
export const FAST_ROUTES: readonly string[] = [`${API_PREFIX}/reports`, `${API_PREFIX}/reports/bulk`, `${API_PREFIX}/shares`];

export interface AppOptions {
  /** Serve {@link FAST_ROUTES} through the fast dispatch (default true); false: every request through Express's router (the parity test compares the two). */
  fastPath?: boolean;
}

/**
 * The Express app over a booted system. Reads the admin token (ADMIN_TOKEN, or DATA_DIR/admin-token,
 * generated there on first use). Mounts the web router after the API, so /api/v1 always wins.
 */
export function createApp(ctx: AppContext, opts: AppOptions = {}): express.Express {
  const { sys } = ctx;
  const logger = sys.logger.child({ component: 'http' });
  const adminToken = ensureAdminToken(sys.config).token;
  const deps: RouteDeps = {
    ctx,
    auth: createAuthenticator(sys.store, adminToken),
    writeLimit: createWriteLimit(sys.config.RATE_LIMIT_WRITES_PER_MINUTE),
    expensiveReadLimit: createExpensiveReadLimit(sys.config.EXPENSIVE_READS_PER_MINUTE),
    metrics: createMetrics(sys.store),
  };

  const app = express();
  // Behind a load balancer, the client's address (req.ip, which the write rate limit keys on) is read from
  // X-Forwarded-For only as far as TRUST_PROXY allows; unset, the header is ignored.
  app.set('trust proxy', sys.config.TRUST_PROXY);
  // API answers are dynamic; hashing every body for a weak ETag costs more than it saves. (The web
  // router sets strong ETags on the pages and assets it caches.)
  app.set('etag', false);
  app.disable('x-powered-by');
  app.use(helmet(helmetOptions(ctx)), hstsOverHttps, noStoreWhenAuthenticated);
  app.use(requestDeadline(sys.config.REQUEST_TIMEOUT_SECONDS * 1000, sys.config.UPLOAD_TIMEOUT_SECONDS * 1000));
  app.use(requestLog(logger), deps.metrics.observe);

  // Every route is registered through its contract (./contract.ts); /openapi.json is generated from them.
  const table = new RouteTable({
    authFor: authMiddleware(deps.auth, { metrics: requireOneOf([sys.config.METRICS_TOKEN, adminToken], '/metrics') }),
    limits: { write: deps.writeLimit, 'expensive-read': deps.expensiveReadLimit },
  });
  const root = table.on(app);
  operationRoutes(root, deps, table.routes);
  // Before the API's router: its own body limit, batch limit and rate limit.
  chainRpcRoute(app, root, deps);
  const json = express.json({ limit: JSON_LIMIT });
  app.use(API_PREFIX, apiRouter(table, deps, json));
  app.use(createWebRouter(ctx));

  const errors = errorHandler(logger);
  app.use(notFound);
  app.use(errors);
  ROUTES.set(app, table.routes);

  // The hot signed-write routes skip the router's walk: the same middleware and handlers, read from the routers above
  // (./fast-path.ts). The web router's error handler passes every /api/v1 error on, so the last one is all they need.
  if (opts.fastPath !== false) installFastPath(app, { paths: FAST_ROUTES, json, jsonLimit: JSON_LIMIT, notFound, errors });
  return app;
}

/**
 * The HTTP server for `app` with the service's connection limits: headers within HEADERS_TIMEOUT_SECONDS; the whole
 * request within UPLOAD_TIMEOUT_SECONDS at most (Node's own backstop; the app cuts every other route at
 * REQUEST_TIMEOUT_SECONDS); at most MAX_CONNECTIONS open connections (further ones are closed at once).
 */
export function createHttpServer(app: express.Express, config: AppContext['sys']['config']): http.Server {
  const headersMs = config.HEADERS_TIMEOUT_SECONDS * 1000;
  const requestMs = Math.max(config.UPLOAD_TIMEOUT_SECONDS, config.REQUEST_TIMEOUT_SECONDS) * 1000;
  const server = http.createServer({ requestTimeout: requestMs, headersTimeout: Math.min(headersMs, requestMs), connectionsCheckingInterval: Math.min(1000, headersMs) }, app);
  server.maxConnections = config.MAX_CONNECTIONS;
  server.on('clientError', answerClientError);
  return server;
}

/** What a request Node's HTTP parser refused gets: the error envelope, with the status Node itself would give. */
export function clientErrorAnswer(err: NodeJS.ErrnoException): { status: number; code: ErrorCode; message: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'headers-too-large', message: 'the request line and headers are larger than the server takes' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'request-timeout', message: 'the request headers were not sent in time' };
    default:
      return { status: 400, code: 'invalid-input', message: `the request is not valid HTTP/1.1${err.code?.startsWith('HPE_') ? ` (${err.code})` : ''}` };
  }
}

/**
 * Answers a request Node's HTTP parser refused (malformed request line or headers, headers too large or too slow) with
 * a JSON error envelope instead of Node's bare status line, when nothing of another answer was written to the socket
 * yet; then closes the connection. A reset connection is only closed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage;
  if (err.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    const { status, code, message } = clientErrorAnswer(err);
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
    // A client that never reads the answer does not keep the socket.
    setTimeout(() => socket.destroy(), 2000).unref();
    return;
  }
  socket.destroy();
}
