/** Producer API tokens: the operator issues one (shown once) and revokes it by its hash. */
import type { IRouter } from 'express';
import { participantIdOf } from '../../service/references';
import { issueApiToken, revokeApiToken } from '../../service/tokens';
import { TokenBody, TokenParams } from '../schemas';
import type { RouteDeps } from './deps';

export function tokenRoutes(r: IRouter, { ctx, auth, writeLimit }: RouteDeps): void {
  const { sys } = ctx;

  r.post('/tokens', auth.requireAdmin, writeLimit, async (req, res) => {
    const { producerId, label } = TokenBody.parse(req.body);
    const issued = await issueApiToken(sys.store, { role: 'producer', participantId: participantIdOf('producer', producerId), label });
    res.status(201).set('Cache-Control', 'no-store').json(issued);
  });

  r.delete('/tokens/:hash', auth.requireAdmin, writeLimit, async (req, res) => {
    const { hash } = TokenParams.parse(req.params);
    res.json(await revokeApiToken(sys.store, hash));
  });
}
