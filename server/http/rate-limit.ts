/**
 * The per-caller limits: one on write requests, one (a separate bucket) on expensive reads. Both key on
 * the caller's token hash once authenticated, else on the client address.
 */
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
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
export function minuteLimit(perMinute: number, key: (req: Request, res: Response) => string, onLimit: RequestHandler): RequestHandler {
  if (perMinute === 0) return (_req, _res, next) => next();
  return rateLimit({ windowMs: 60_000, limit: perMinute, standardHeaders: 'draft-8', legacyHeaders: false, keyGenerator: key, handler: onLimit });
}

/** The bucket of a client by its address alone (routes without tokens). */
export const addressKey = (req: Request): string => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;

/** A limit of `perMinute` requests per caller; over it, 429 'rate-limited' with Retry-After. Requires perMinute >= 0; 0 turns it off. */
function perCallerLimit(perMinute: number, what: string): RequestHandler {
  return minuteLimit(perMinute, callerKey, (_req, _res, next) => next(new AppError('rate-limited', `too many ${what}: at most ${perMinute} a minute; try again shortly`)));
}

/** Requires perMinute >= 0; 0 turns the limit off. */
export const createWriteLimit = (perMinute: number): RequestHandler => perCallerLimit(perMinute, 'write requests');

/**
 * The limit on expensive reads (QR images, label sheets, trail verifications, receipts), a bucket apart
 * from the writes'. Mount it after an auth middleware so token holders get their own bucket.
 * Requires perMinute >= 0; 0 turns the limit off.
 */
export const createExpensiveReadLimit = (perMinute: number): RequestHandler => perCallerLimit(perMinute, 'expensive reads (QR images, label sheets, trail verifications, receipts)');
