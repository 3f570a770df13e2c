/** The per-caller limit on write requests: keyed by the caller's token hash once authenticated, else by client address. */
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { AppError } from '../errors';
import { authOf } from './auth';

/** Requires perMinute >= 0; 0 turns the limit off. */
export function createWriteLimit(perMinute: number): RequestHandler {
  if (perMinute === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req, res) => {
      const auth = authOf(res);
      if (auth?.role === 'producer') return `token:${auth.tokenHash}`;
      if (auth?.role === 'admin') return 'admin';
      return `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
    handler: (_req, _res, next) => next(new AppError('rate-limited', `too many write requests: at most ${perMinute} a minute; try again shortly`)),
  });
}
