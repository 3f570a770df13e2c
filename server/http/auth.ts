/**
 * Who is calling. Admin routes need the operator's admin token; producer routes a producer API
 * token; both as `Authorization: Bearer …`. Labs and departments need neither: their EIP-712
 * signature on the record is their credential.
 */
import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors';
import { authenticateProducerToken, type ProducerAuth } from '../service/tokens';
import type { Store } from '../store/types';
import type { Caller } from './contract';

export type Auth = { role: 'admin' } | ({ role: 'producer' } & ProducerAuth);

export interface Authenticator {
  /** Admin token only: 401 without a valid token, 403 with a producer's. */
  requireAdmin: RequestHandler;
  /** A producer API token only: 401 without a valid token, 403 with the admin token. */
  requireProducer: RequestHandler;
  /** No token is fine; a token given must be valid (401). */
  optional: RequestHandler;
}

const BEARER = /^Bearer +([^\s]+)$/i;

/** The bearer token of a request; undefined without an Authorization header, 401 for another scheme. */
export function bearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header === undefined || header === '') return undefined;
  const m = BEARER.exec(header.trim());
  if (!m) throw new AppError('unauthorized', 'the Authorization header must be "Bearer <token>"');
  return m[1];
}

/** The caller, once an auth middleware ran; undefined for an anonymous caller. */
export const authOf = (res: Response): Auth | undefined => res.locals.auth as Auth | undefined;

/** The producer a producer-only route acts for. */
export function producerOf(res: Response): ProducerAuth {
  const auth = authOf(res);
  if (auth?.role !== 'producer') throw new AppError('internal', 'route mounted without requireProducer');
  return auth;
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

export function createAuthenticator(store: Store, adminToken: string): Authenticator {
  const adminDigest = sha256(adminToken);
  const isAdmin = (token: string) => crypto.timingSafeEqual(sha256(token), adminDigest);

  async function identify(req: Request): Promise<Auth | undefined> {
    const token = bearerToken(req);
    if (token === undefined) return undefined;
    if (isAdmin(token)) return { role: 'admin' };
    return { role: 'producer', ...(await authenticateProducerToken(store, token)) };
  }

  const guard =
    (check: (auth: Auth | undefined) => void): RequestHandler =>
    async (req, res, next) => {
      const auth = await identify(req);
      check(auth);
      res.locals.auth = auth;
      next();
    };

  return {
    requireAdmin: guard((auth) => {
      if (!auth) throw new AppError('unauthorized', 'this route needs the admin token (Authorization: Bearer <admin token>)');
      if (auth.role !== 'admin') throw new AppError('forbidden', 'this route is for the operator; a producer token cannot use it');
    }),
    requireProducer: guard((auth) => {
      if (!auth) throw new AppError('unauthorized', "this route needs a producer's API token (Authorization: Bearer <token>)");
      if (auth.role !== 'producer') throw new AppError('forbidden', "this route acts for one producer: use that producer's API token, not the admin token");
    }),
    optional: guard(() => undefined),
  };
}

/**
 * The middleware that lets exactly `callers` in: none for anyone; `optional` when anyone may call but a token changes
 * the answer; `requireProducer` or `requireAdmin` for one role; `metrics` (given) for the monitoring system's token or
 * the admin token. Throws at registration for a list it cannot enforce.
 */
export function authMiddleware(auth: Authenticator, extra: { metrics?: RequestHandler }): (callers: readonly Caller[]) => RequestHandler[] {
  return (callers) => {
    const key = [...callers].sort().join(',');
    switch (key) {
      case 'anyone':
        return [];
      case 'anyone,producer':
      case 'admin,anyone':
      case 'admin,anyone,producer':
        return [auth.optional];
      case 'producer':
        return [auth.requireProducer];
      case 'admin':
        return [auth.requireAdmin];
      case 'admin,metrics':
        if (extra.metrics) return [extra.metrics];
        break;
    }
    throw new Error(`no auth middleware for the callers ${key}`);
  };
}
