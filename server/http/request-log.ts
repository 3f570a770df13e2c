/** One structured log line per request: method, route, status, duration. Never bodies, tokens, query strings or client addresses. */
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';

/** The matched route pattern (e.g. `/api/v1/batches/:id`), or 'unmatched': a label of bounded cardinality. */
export function routeLabel(req: Request, res: Response): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (!route || typeof route.path !== 'string') return 'unmatched';
  return `${(res.locals.mount as string | undefined) ?? ''}${route.path}`;
}

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = { method: req.method, route: routeLabel(req, res), path: req.originalUrl.split('?')[0], status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (res.statusCode >= 500) logger.warn(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}
