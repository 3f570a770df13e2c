/**
 * Least exposure in HTTP answers: nothing answered to an authenticated request is kept by a cache, HSTS only over
 * HTTPS (a plain-HTTP deployment must not pin browsers to an HTTPS that does not exist), and /metrics for its token.
 */
import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../errors';
import { bearerToken } from './auth';

/** What HSTS asks of a browser that reached us over HTTPS: one year, subdomains included. */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * `Cache-Control: no-store` on every answer to a request carrying credentials (an Authorization header), whatever a
 * route set: applied as the headers are written.
 */
export const noStoreWhenAuthenticated: RequestHandler = (req, res, next) => {
  if (req.get('authorization') === undefined) return next();
  const writeHead = res.writeHead;
  res.writeHead = function (this: typeof res, ...args: unknown[]) {
    if (!this.headersSent) this.setHeader('Cache-Control', 'no-store');
    return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
  } as typeof res.writeHead;
  next();
};

/** Strict-Transport-Security only on answers to requests that came over HTTPS (req.secure, TRUST_PROXY aware). */
export const hstsOverHttps: RequestHandler = (req, res, next) => {
  if (req.secure) res.setHeader('Strict-Transport-Security', HSTS);
  next();
};

const digest = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

/** Admits a bearer token equal to one of `tokens` (METRICS_TOKEN, the admin token): 401 otherwise. */
export function requireOneOf(tokens: readonly (string | undefined)[], what: string): RequestHandler {
  const digests = tokens.filter((t): t is string => t !== undefined && t !== '').map(digest);
  return (req, _res, next) => {
    const token = bearerToken(req);
    if (token === undefined) throw new AppError('unauthorized', `${what} needs a token (Authorization: Bearer <METRICS_TOKEN or the admin token>)`);
    const d = digest(token);
    // Every digest compared, in constant time each.
    const ok = digests.reduce((found, x) => crypto.timingSafeEqual(d, x) || found, false);
    if (!ok) throw new AppError('unauthorized', `${what}: the token is not valid`);
    next();
  };
}
