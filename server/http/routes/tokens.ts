/**
 * API tokens of every role (../../service/tokens.ts): the operator issues any, the registrar those of producers, labs
 * and departments; each is shown once and revoked by its hash.
 */
import type { Response } from 'express';
import { participantIdOf } from '../../service/references';
import { issueApiToken, listApiTokens, revokeApiToken, type Issuer } from '../../service/tokens';
import { authOf } from '../auth';
import { errorAnswer, jsonAnswer, type Api } from '../contract';
import { IssuedToken, itemsOf, Token } from '../responses';
import { TokenBody, TokenParams } from '../schemas';
import { API_PREFIX, type RouteDeps } from './deps';

/** Who issues or revokes: the registrar as itself, the operator as the operator. */
const issuerOf = (res: Response): Issuer => (authOf(res)?.role === 'registrar' ? 'registrar' : 'operator');

export function tokenRoutes(api: Api, { ctx }: RouteDeps): void {
  const { sys } = ctx;

  api.route({
    method: 'post',
    path: `${API_PREFIX}/tokens`,
    operationId: 'issueToken',
    summary: 'Issue an API token of a role (producer by default)',
    description:
      'The token is in this answer only; the server keeps its SHA-256 hash. A producer, lab or department token acts for one active participant of that kind (`participantId`: its id or code); registrar, regulator and auditor tokens for none, and only the operator issues them (the registrar: 403 forbidden). A revoked participant gets none (participant-revoked, 403).',
    tags: ['tokens'],
    auth: ['registrar'],
    limit: 'write',
    body: { schema: TokenBody },
    responses: { 201: jsonAnswer('Issued.', IssuedToken), 404: errorAnswer('No such participant of that kind (not-found).') },
    handler: async ({ body: { role, participantId, producerId, label } }, _req, res) => {
      const ref = participantId ?? producerId;
      const kind = role === 'lab' || role === 'department' ? role : 'producer';
      const issued = await issueApiToken(sys.store, { role, participantId: ref === undefined ? undefined : participantIdOf(kind, ref), label }, issuerOf(res));
      res.status(201).set('Cache-Control', 'no-store').json(issued);
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/tokens`,
    operationId: 'listTokens',
    summary: 'Every token issued: hashes, roles, participants, labels, revocations (never a token)',
    tags: ['tokens'],
    auth: ['registrar'],
    responses: { 200: jsonAnswer('Tokens, oldest first.', itemsOf(Token)) },
    handler: async (_input, _req, res) => {
      res.json({ items: await listApiTokens(sys.store) });
    },
  });

  api.route({
    method: 'delete',
    path: `${API_PREFIX}/tokens/:hash`,
    operationId: 'revokeToken',
    summary: 'Revoke an API token by its hash',
    tags: ['tokens'],
    auth: ['registrar'],
    limit: 'write',
    params: TokenParams,
    responses: { 200: jsonAnswer('Revoked (revoking again changes nothing).', Token), 404: errorAnswer('No such token (not-found).') },
    handler: async ({ params: { hash } }, _req, res) => {
      res.json(await revokeApiToken(sys.store, hash, issuerOf(res)));
    },
  });
}
