/** Any record by id, and its proof bundle (traceledger-proof-v1) to verify it without trusting this server. */
import type { IRouter } from 'express';
import { AppError } from '../../errors';
import { buildBundle } from '../../service/bundles';
import { isShareType } from '../../trails';
import { authOf } from '../auth';
import { shareDetailsFor } from './trails';
import { getRecordView } from '../../service/records';
import { BundleQuery, RecordIdParams } from '../schemas';
import type { RouteDeps } from './deps';

export function recordRoutes(r: IRouter, { ctx, auth }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;

  r.get('/records/:id', auth.optional, async (req, res) => {
    const { id } = RecordIdParams.parse(req.params);
    const view = await getRecordView(sys.store, publicBaseUrl, id);
    res.json(isShareType(view.type) ? shareDetailsFor(res, view) : view);
  });

  r.get('/records/:id/bundle', auth.optional, async (req, res) => {
    const { id } = RecordIdParams.parse(req.params);
    const { download } = BundleQuery.parse(req.query);
    const bundle = await buildBundle(sys.store, sys.deployment, id);
    // A share step's bundle discloses its details (trails/details.ts): the auditor's only.
    if (isShareType(bundle.record.type) && authOf(res)?.role !== 'admin') {
      throw new AppError('unauthorized', "the proof bundle of a data-sharing step discloses its details: it needs the admin (auditor) token");
    }
    if (download) res.attachment(`${id}.traceledger-proof.json`);
    res.json(bundle);
  });
}
