/**
 * Who is calling. The operator holds the admin token (configured); everyone else an API token of a role
 * (../service/tokens.ts: producer, lab, department, registrar, regulator, auditor), as `Authorization: Bearer …`.
 * Each route's contract names the callers it lets in; the operator passes every route but those that act for one
 * producer. Labs and departments submit records with no token: their EIP-712 signature is their credential; their
 * tokens let them read what is theirs.
 */
import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors';
import { authenticateToken, type ProducerAuth, type TokenAuth } from '../service/tokens';
import type { Store } from '../store/types';
import type { Caller } from './contract';

export type Auth = { role: 'operator' } | TokenAuth;
export type Role = Auth['role'];

/** Roles that read everything an audit needs (share details, fresh verifications, alerts of every department). */
export const OVERSIGHT_ROLES: readonly Role[] = ['operator', 'auditor', 'regulator'];

/** Whether the caller is the operator, an auditor or a regulator. */
export const isOversight = (auth: Auth | undefined): boolean => auth !== undefined && OVERSIGHT_ROLES.includes(auth.role);

export interface Authenticator {
  /** Exactly these callers ('anyone' lets every caller in, a token given must be valid: 401). */
  require(callers: readonly Caller[]): RequestHandler;
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
  if (auth?.role !== 'producer') throw new AppError('internal', "route mounted without the 'producer' caller");
  return { producerId: auth.producerId, tokenHash: auth.tokenHash };
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

const ROLE_WORDS: Record<Role, string> = {
  operator: 'the admin token',
  producer: "a producer's API token",
  lab: "a lab's token",
  department: "a department's token",
  registrar: "the registrar's token",
  regulator: "the regulator's token",
  auditor: "an auditor's token",
};

/** Who a route's callers are, in words ("the registrar's token or the admin token"). */
function whoMay(roles: readonly Role[]): string {
  const words = roles.map((r) => ROLE_WORDS[r]);
  return words.length <= 1 ? (words[0] ?? 'nobody') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`;
}

export function createAuthenticator(store: Store, adminToken: string): Authenticator {
  const adminDigest = sha256(adminToken);
  const isAdmin = (token: string) => crypto.timingSafeEqual(sha256(token), adminDigest);

  async function identify(req: Request): Promise<Auth | undefined> {
    const token = bearerToken(req);
    if (token === undefined) return undefined;
    if (isAdmin(token)) return { role: 'operator' };
    return authenticateToken(store, token);
  }

  return {
    require(callers) {
      const anyone = callers.includes('anyone');
      const roles = callers.filter((c): c is Role => c !== 'anyone' && c !== 'metrics');
      // The operator may do what any role may, except act for one producer (it has no producer to act for).
      const allowed = new Set<Role>(roles.length === 1 && roles[0] === 'producer' ? roles : [...roles, 'operator']);
      return async (req, res, next) => {
        const auth = await identify(req);
        if (!anyone) {
          if (!auth) throw new AppError('unauthorized', `this route needs ${whoMay([...allowed])} (Authorization: Bearer <token>)`);
          if (!allowed.has(auth.role)) {
            const hint = roles.length === 1 && roles[0] === 'producer' ? ": it acts for one producer, so use that producer's API token" : '';
            throw new AppError('forbidden', `${ROLE_WORDS[auth.role]} may not do this; this route is for ${whoMay([...allowed])}${hint}`);
          }
        }
        res.locals.auth = auth;
        next();
      };
    },
  };
}

/**
 * The middleware that lets exactly `callers` in: none for anyone when no token changes the answer; the
 * authenticator's guard otherwise; `metrics` (given) for the monitoring system's token or the admin token.
 */
export function authMiddleware(auth: Authenticator, extra: { metrics?: RequestHandler }): (callers: readonly Caller[]) => RequestHandler[] {
  return (callers) => {
    if (callers.includes('metrics')) {
      if (!extra.metrics) throw new Error('no metrics guard given');
      return [extra.metrics];
    }
    if (callers.length === 1 && callers[0] === 'anyone') return [];
    return [auth.require(callers)];
  };
}
