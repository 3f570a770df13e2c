/**
 * Producer API tokens: issued by the operator for one producer, shown once, kept only as their
 * SHA-256 hash. A producer joins with a token, no wallet and no gas.
 */
import crypto from 'node:crypto';
import { AppError } from '../errors';
import type { ApiToken, Participant, Store } from '../store/types';

/** What the operator gets back once: the token itself is never stored nor shown again. */
export interface IssuedToken {
  token: string;
  tokenHash: string;
  producerId: string;
  label: string;
  createdAt: string;
}

export interface TokenView {
  tokenHash: string;
  producerId: string;
  label: string;
  createdAt: string;
  revokedAt: string | null;
}

/** The producer a request acts for, once its token checked out. */
export interface ProducerAuth {
  producerId: string;
  tokenHash: string;
}

/** Lower-case hex SHA-256 of a token: the form kept at rest and used to revoke it. */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

const iso = (ms: number) => new Date(ms).toISOString();

export const tokenView = (t: ApiToken): TokenView => ({
  tokenHash: t.tokenHash,
  producerId: t.producerId,
  label: t.label,
  createdAt: iso(t.createdAt),
  revokedAt: t.revokedAt === null ? null : iso(t.revokedAt),
});

/** Issues a token for an active producer. Requires the producer to be mirrored from the chain. */
export async function issueApiToken(store: Store, input: { producerId: string; label: string }): Promise<IssuedToken> {
  await assertActiveProducer(store, input.producerId);
  const token = `tlp_${crypto.randomBytes(32).toString('base64url')}`;
  const createdAt = Date.now();
  const tokenHash = hashToken(token);
  await store.insertToken({ tokenHash, producerId: input.producerId, label: input.label, createdAt, revokedAt: null });
  return { token, tokenHash, producerId: input.producerId, label: input.label, createdAt: iso(createdAt) };
}

/** The producer a bearer token acts for. Throws 'unauthorized' for an unknown or revoked token. */
export async function authenticateProducerToken(store: Store, token: string): Promise<ProducerAuth> {
  const tokenHash = hashToken(token);
  const found = await store.getToken(tokenHash);
  if (!found) throw new AppError('unauthorized', 'unknown API token');
  if (found.revokedAt !== null) throw new AppError('unauthorized', `this API token was revoked at ${iso(found.revokedAt)}`);
  return { producerId: found.producerId, tokenHash };
}

/** Revokes a token by its hash; revoking it again changes nothing. Throws 'not-found' for an unknown hash. */
export async function revokeApiToken(store: Store, tokenHash: string): Promise<TokenView> {
  const found = await store.getToken(tokenHash);
  if (!found) throw new AppError('not-found', `no API token with hash ${tokenHash}`);
  if (found.revokedAt === null) await store.revokeToken(tokenHash, Date.now());
  return tokenView((await store.getToken(tokenHash))!);
}

async function assertActiveProducer(store: Store, producerId: string): Promise<Participant> {
  const p = await store.getParticipant(producerId);
  if (!p || p.kind !== 'producer') throw new AppError('not-found', `no producer ${producerId}`);
  if (!p.active) throw new AppError('participant-revoked', `${p.name} was revoked; it gets no new token`);
  return p;
}
