/**
 * The per-caller limits: one on write requests, one (a separate bucket) on expensive reads. Both key on
 * the caller's token hash once authenticated, else on the client address.
 */
import type { Request, RequestHandler, Response } from 'express';
import { MemoryStore, ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { AppError } from '../errors';
import { authOf } from './auth';

/** The bucket of a caller: its token, the operator, or its address. */
function callerKey(req: Request, res: Response): string {
  const auth = authOf(res);
  if (auth === undefined) return addressKey(req);
  return auth.role === 'operator' ? 'operator' : `token:${auth.tokenHash}`;
}

/**
 * `perMinute` requests a minute per bucket (`key` of the request), with standard RateLimit and Retry-After headers;
 * over it, `onLimit` answers. Requires perMinute >= 0; 0 turns it off.
 */
export function minuteLimit(perMinute: number, key: (req: Request, res: Response) => string, onLimit: RequestHandler, store = new MemoryStore()): RequestHandler {
  if (perMinute === 0) return (_req, _res, next) => next();
  return rateLimit({ windowMs: 60_000, limit: perMinute, standardHeaders: 'draft-8', legacyHeaders: false, keyGenerator: key, handler: onLimit, store });
}

/** The bucket of a client by its address alone (routes without tokens). */
export const addressKey = (req: Request): string => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;

/** A limit of `perMinute` requests per caller; over it, 429 'rate-limited' with Retry-After. Requires perMinute >= 0; 0 turns it off. */
function perCallerLimit(perMinute: number, what: string, store?: MemoryStore): RequestHandler {
  return minuteLimit(perMinute, callerKey, (_req, _res, next) => next(new AppError('rate-limited', `too many ${what}: at most ${perMinute} a minute; try again shortly`)), store);
}

/**
 * The write limit: a request counts one write, and a route that takes many records in one request (POST
 * /api/v1/reports/bulk) charges the rest with {@link WriteLimit.charge}, so sending them together buys no more
 * writes (nor signature checks) a minute than sending them one by one.
 */
export type WriteLimit = RequestHandler & {
  /**
   * Counts `units` more writes for the request's caller, after the one its request counted. False, with none of them
   * counted, when they would take the caller past the limit this minute. Always true with the limit off.
   */
  charge(req: Request, res: Response, units: number): Promise<boolean>;
};

/** Rewrites the remaining count (`r=`) of the RateLimit header the middleware set (draft 8), after a charge. */
function setRemaining(res: Response, remaining: number): void {
  const header = res.getHeader('RateLimit');
  if (res.headersSent || header === undefined) return;
  const set = (v: string) => v.replace(/\br=\d+/, `r=${Math.max(0, remaining)}`);
  res.setHeader('RateLimit', Array.isArray(header) ? header.map(set) : set(String(header)));
}

/** Requires perMinute >= 0; 0 turns the limit off. */
export function createWriteLimit(perMinute: number): WriteLimit {
  // The store the middleware counts in, so that charge() counts in the same bucket.
  const store = new MemoryStore();
  const charge = async (req: Request, res: Response, units: number): Promise<boolean> => {
    if (perMinute === 0) return true;
    const key = callerKey(req, res);
    let counted = 0;
    while (counted < units) {
      counted++;
      const { totalHits, resetTime } = await store.increment(key);
      if (totalHits > perMinute) {
        for (; counted > 0; counted--) await store.decrement(key);
        // As the middleware answers a request over the limit: when to try again.
        if (!res.headersSent && resetTime) res.setHeader('Retry-After', String(Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000))));
        return false;
      }
      if (counted === units) setRemaining(res, perMinute - totalHits);
    }
    return true;
  };
  return Object.assign(perCallerLimit(perMinute, 'write requests', store), { charge });
}

/**
 * The limit on expensive reads (QR images, label sheets, trail verifications, receipts), a bucket apart
 * from the writes'. Mount it after an auth middleware so token holders get their own bucket.
 * Requires perMinute >= 0; 0 turns the limit off.
 */
export const createExpensiveReadLimit = (perMinute: number): RequestHandler => perCallerLimit(perMinute, 'expensive reads (QR images, label sheets, trail verifications, receipts)');
