/** Revocations (recalls) of records: the regulator revokes with the admin token; anyone reads them. */
import type { IRouter } from 'express';
import { revocationOfRecord, revokeRecord } from '../../service/revocations';
import { RevocationBody, RevocationParams } from '../schemas';
import { API_PREFIX, type RouteDeps } from './deps';

export function revocationRoutes(r: IRouter, { ctx, auth, writeLimit }: RouteDeps): void {
  const { sys } = ctx;

  r.post('/revocations', auth.requireAdmin, writeLimit, async (req, res) => {
    const revocation = await revokeRecord(sys, RevocationBody.parse(req.body));
    res.status(201).location(`${API_PREFIX}/revocations/${encodeURIComponent(revocation.recordId)}`).json(revocation);
  });

  r.get('/revocations/:recordId', async (req, res) => {
    const { recordId } = RevocationParams.parse(req.params);
    res.json(await revocationOfRecord(sys.store, recordId));
  });
}
