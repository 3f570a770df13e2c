/**
 * API tokens and the roles they carry. The operator holds the admin token (configured, never issued) and issues the
 * others; each is shown once and kept only as its SHA-256 hash. A producer, a lab or a department joins with a token
 * of its own (no wallet, no gas for a producer); the registrar, the regulator and the auditor with theirs.
 *
 * | role       | acts for         | may                                                                   | issued by            |
 * |------------|------------------|-----------------------------------------------------------------------|----------------------|
 * | operator   | the installation | everything (the admin token)                                          | configuration        |
 * | registrar  | —                | register and deactivate participants, their keys and product keys;   | operator             |
 * |            |                  | issue producer, lab and department tokens                             |                      |
 * | regulator  | —                | revoke records, designate spot checks; read what an auditor reads     | operator             |
 * | auditor    | —                | read only: trails verified afresh, share details, alerts, audit       | operator             |
 * |            |                  | reports, dataset checks                                               |                      |
 * | producer   | one producer     | submit and import its batches, print their labels                     | operator, registrar  |
 * | lab        | one lab          | read its own reports and their anchoring (it signs with its own key)  | operator, registrar  |
 * | department | one department   | read the share details of its own trail and of shares it is part of   | operator, registrar  |
 */
import crypto from 'node:crypto';
import { AppError } from '../errors';
import { PARTICIPANT_ROLES, TOKEN_ROLES, type ApiToken, type Participant, type Store, type TokenRole } from '../store/types';

export { PARTICIPANT_ROLES, TOKEN_ROLES, type TokenRole };

/** Who may issue a token of each role: the operator any; the registrar those of participants. */
export type Issuer = 'operator' | 'registrar';

/** What the issuer gets back once: the token itself is never stored nor shown again. */
export interface IssuedToken {
  token: string;
  tokenHash: string;
  role: TokenRole;
  participantId: string | null;
  /** The participant id of a producer token (kept for clients of the producer-only API). */
  producerId?: string;
  label: string;
  createdAt: string;
}

export interface TokenView {
  tokenHash: string;
  role: TokenRole;
  participantId: string | null;
  producerId?: string;
  label: string;
  createdAt: string;
  revokedAt: string | null;
}

/** The caller a token stands for, once it checked out. */
export type TokenAuth =
  | { role: 'producer'; producerId: string; participantId: string; tokenHash: string }
  | { role: 'lab' | 'department'; participantId: string; tokenHash: string }
  | { role: 'registrar' | 'regulator' | 'auditor'; tokenHash: string };

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

/** The prefix of each role's tokens: a token found in a log or a file says what it opens. */
const PREFIX: Record<TokenRole, string> = { producer: 'tlp', lab: 'tll', department: 'tld', registrar: 'tlr', regulator: 'tlg', auditor: 'tla' };

const isParticipantRole = (role: TokenRole): role is (typeof PARTICIPANT_ROLES)[number] => (PARTICIPANT_ROLES as readonly string[]).includes(role);

export const tokenView = (t: ApiToken): TokenView => ({
  tokenHash: t.tokenHash,
  role: t.role,
  participantId: t.participantId,
  ...(t.role === 'producer' && t.participantId !== null ? { producerId: t.participantId } : {}),
  label: t.label,
  createdAt: iso(t.createdAt),
  revokedAt: t.revokedAt === null ? null : iso(t.revokedAt),
});

export interface TokenRequest {
  /** Default producer. */
  role?: TokenRole;
  /** The participant a producer, lab or department token acts for (its participant id). */
  participantId?: string;
  label: string;
}

/**
 * Issues a token. A producer, lab or department token needs an active participant of that kind (mirrored from the
 * chain); the others none. The registrar issues only participants' tokens: 'forbidden' for the others.
 */
export async function issueApiToken(store: Store, input: TokenRequest, issuer: Issuer = 'operator'): Promise<IssuedToken> {
  const role = input.role ?? 'producer';
  if (!(TOKEN_ROLES as readonly string[]).includes(role)) throw new AppError('invalid-input', `role must be one of ${TOKEN_ROLES.join(', ')}`);
  if (issuer === 'registrar' && !isParticipantRole(role)) throw new AppError('forbidden', `only the operator issues ${role} tokens; the registrar issues producer, lab and department tokens`);
  let participantId: string | null = null;
  if (isParticipantRole(role)) {
    if (input.participantId === undefined) throw new AppError('invalid-input', `a ${role} token acts for one ${role}: give its participant id`);
    participantId = (await assertActiveParticipant(store, role, input.participantId)).id;
  } else if (input.participantId !== undefined) {
    throw new AppError('invalid-input', `a ${role} token acts for no participant: leave out the participant id`);
  }
  const token = `${PREFIX[role]}_${crypto.randomBytes(32).toString('base64url')}`;
  const createdAt = Date.now();
  const tokenHash = hashToken(token);
  const stored: ApiToken = { tokenHash, role, participantId, label: input.label, createdAt, revokedAt: null };
  await store.insertToken(stored);
  const { revokedAt: _revokedAt, ...view } = tokenView(stored);
  return { token, ...view };
}

/** What a bearer token stands for. Throws 'unauthorized' for an unknown or revoked token. */
export async function authenticateToken(store: Store, token: string): Promise<TokenAuth> {
  const tokenHash = hashToken(token);
  const found = await store.getToken(tokenHash);
  if (!found) throw new AppError('unauthorized', 'unknown API token');
  if (found.revokedAt !== null) throw new AppError('unauthorized', `this API token was revoked at ${iso(found.revokedAt)}`);
  if (found.role === 'producer') return { role: 'producer', producerId: found.participantId!, participantId: found.participantId!, tokenHash };
  if (found.role === 'lab' || found.role === 'department') return { role: found.role, participantId: found.participantId!, tokenHash };
  return { role: found.role, tokenHash };
}

/** The producer a producer token acts for. Throws 'unauthorized' for an unknown or revoked token, 'forbidden' for another role's. */
export async function authenticateProducerToken(store: Store, token: string): Promise<ProducerAuth> {
  const auth = await authenticateToken(store, token);
  if (auth.role !== 'producer') throw new AppError('forbidden', `this is a ${auth.role} token, not a producer's`);
  return { producerId: auth.producerId, tokenHash: auth.tokenHash };
}

/** Every token issued, oldest first (hashes and roles, never a token). */
export async function listApiTokens(store: Store): Promise<TokenView[]> {
  return (await store.listTokens()).map(tokenView);
}

/**
 * Revokes a token by its hash; revoking it again changes nothing. Throws 'not-found' for an unknown hash; the
 * registrar may revoke only participants' tokens ('forbidden').
 */
export async function revokeApiToken(store: Store, tokenHash: string, issuer: Issuer = 'operator'): Promise<TokenView> {
  const found = await store.getToken(tokenHash);
  if (!found) throw new AppError('not-found', `no API token with hash ${tokenHash}`);
  if (issuer === 'registrar' && !isParticipantRole(found.role)) throw new AppError('forbidden', `only the operator revokes ${found.role} tokens`);
  if (found.revokedAt === null) await store.revokeToken(tokenHash, Date.now());
  return tokenView((await store.getToken(tokenHash))!);
}

async function assertActiveParticipant(store: Store, kind: Participant['kind'], participantId: string): Promise<Participant> {
  const p = await store.getParticipant(participantId);
  if (!p || p.kind !== kind) throw new AppError('not-found', `no ${kind} ${participantId}`);
  if (!p.active) throw new AppError('participant-revoked', `${p.name} was revoked; it gets no new token`);
  return p;
}
