/** Producer API tokens: the operator issues one (shown once) and revokes it by its hash. */
import { participantIdOf } from '../../service/references';
import { issueApiToken, revokeApiToken } from '../../service/tokens';
import { errorAnswer, jsonAnswer, type Api } from '../contract';
import { IssuedToken, Token } from '../responses';
import { TokenBody, TokenParams } from '../schemas';
import { API_PREFIX, type RouteDeps } from './deps';

export function tokenRoutes(api: Api, { ctx }: RouteDeps): void {
  const { sys } = ctx;

  api.route({
    method: 'post',
    path: `${API_PREFIX}/tokens`,
    operationId: 'issueToken',
    summary: 'Issue an API token for a producer',
    description: 'The token is in this answer only; the server keeps its SHA-256 hash.',
    tags: ['tokens'],
    auth: ['admin'],
    limit: 'write',
    body: { schema: TokenBody },
    responses: { 201: jsonAnswer('Issued.', IssuedToken), 404: errorAnswer('No such producer (not-found).') },
    handler: async ({ body: { producerId, label } }, _req, res) => {
      const issued = await issueApiToken(sys.store, { role: 'producer', participantId: participantIdOf('producer', producerId), label });
      res.status(201).set('Cache-Control', 'no-store').json(issued);
    },
  });

  api.route({
    method: 'delete',
    path: `${API_PREFIX}/tokens/:hash`,
    operationId: 'revokeToken',
    summary: 'Revoke an API token by its hash',
    tags: ['tokens'],
    auth: ['admin'],
    limit: 'write',
    params: TokenParams,
    responses: { 200: jsonAnswer('Revoked (revoking again changes nothing).', Token), 404: errorAnswer('No such token (not-found).') },
    handler: async ({ params: { hash } }, _req, res) => {
      res.json(await revokeApiToken(sys.store, hash));
    },
  });
}
