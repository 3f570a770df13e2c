/**
 * The HTTP service: security headers, request log and metrics, the REST API under /api/v1, the
 * operations endpoints, then the web pages; one error handler answers every failure.
 */
import express, { Router } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import { ensureAdminToken } from '../service/admin-token';
import { createWebRouter } from '../web/router';
import { createAuthenticator } from './auth';
import type { AppContext } from './context';
import { errorHandler, notFound } from './errors';
import { hstsOverHttps, noStoreWhenAuthenticated } from './exposure';
import { createMetrics } from './metrics';
import { createWriteLimit } from './rate-limit';
import { requestLog } from './request-log';
import { batchRoutes } from './routes/batches';
import { chainRpcRoute } from './routes/chain-rpc';
import { API_PREFIX, type RouteDeps } from './routes/deps';
import { labelRoutes } from './routes/labels';
import { chainRoutes, operationRoutes } from './routes/operations';
import { participantRoutes } from './routes/participants';
import { recordRoutes } from './routes/records';
import { reportRoutes } from './routes/reports';
import { revocationRoutes } from './routes/revocations';
import { tokenRoutes } from './routes/tokens';
import { trailRoutes } from './routes/trails';

/** Largest JSON request body. */
export const JSON_LIMIT = '256kb';

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

function apiRouter(deps: RouteDeps): Router {
  const r = Router();
  // Route labels for logs and metrics (req.baseUrl is reset once an error leaves this router).
  r.use((_req, res, next) => {
    res.locals.mount = API_PREFIX;
    next();
  });
  r.use(express.json({ limit: JSON_LIMIT }));
  batchRoutes(r, deps);
  labelRoutes(r, deps.ctx);
  reportRoutes(r, deps);
  recordRoutes(r, deps);
  revocationRoutes(r, deps);
  participantRoutes(r, deps);
  tokenRoutes(r, deps);
  trailRoutes(r, deps);
  chainRoutes(r, deps);
  return r;
}

/**
 * The Express app over a booted system. Reads the admin token (ADMIN_TOKEN, or DATA_DIR/admin-token,
 * generated there on first use). Mounts the web router after the API, so /api/v1 always wins.
 */
export function createApp(ctx: AppContext): express.Express {
  const { sys } = ctx;
  const logger = sys.logger.child({ component: 'http' });
  const deps: RouteDeps = {
    ctx,
    auth: createAuthenticator(sys.store, ensureAdminToken(sys.config).token),
    writeLimit: createWriteLimit(sys.config.RATE_LIMIT_WRITES_PER_MINUTE),
    metrics: createMetrics(sys.store),
  };

  const app = express();
  // API answers are dynamic; hashing every body for a weak ETag costs more than it saves. (The web
  // router sets strong ETags on the pages and assets it caches.)
  app.set('etag', false);
  app.disable('x-powered-by');
  app.use(helmet(helmetOptions(ctx)), hstsOverHttps, noStoreWhenAuthenticated);
  app.use(requestLog(logger), deps.metrics.observe);

  operationRoutes(app, deps);
  // Before the API's router: its own body limit, batch limit and rate limit.
  chainRpcRoute(app, deps);
  app.use(API_PREFIX, apiRouter(deps));
  app.use(createWebRouter(ctx));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
