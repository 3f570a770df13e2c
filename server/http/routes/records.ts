/** Any record by id, and its proof bundle (traceledger-proof-v1) to verify it without trusting this server. */
import type { IRouter } from 'express';
import { buildBundle } from '../../service/bundles';
import { getRecordView } from '../../service/records';
import { BundleQuery, RecordIdParams } from '../schemas';
import type { RouteDeps } from './deps';

export function recordRoutes(r: IRouter, { ctx }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;

  r.get('/records/:id', async (req, res) => {
    const { id } = RecordIdParams.parse(req.params);
    res.json(await getRecordView(sys.store, publicBaseUrl, id));
  });

  r.get('/records/:id/bundle', async (req, res) => {
    const { id } = RecordIdParams.parse(req.params);
    const { download } = BundleQuery.parse(req.query);
    const bundle = await buildBundle(sys.store, sys.deployment, id);
    if (download) res.attachment(`${id}.traceledger-proof.json`);
    res.json(bundle);
  });
}
