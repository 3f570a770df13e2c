/** Selenium test reports: a lab submits one signed with its registered key (no token); anyone reads its public fields. */
import type { IRouter } from 'express';
import { getReportView } from '../../service/records';
import { RecordIdParams, ReportBody } from '../schemas';
import { API_PREFIX, type RouteDeps } from './deps';

export function reportRoutes(r: IRouter, { ctx, writeLimit, metrics }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;

  r.post('/reports', writeLimit, async (req, res) => {
    const { record, salts, signature } = ReportBody.parse(req.body);
    const ack = await sys.ingest.submitSigned({ type: 'SeleniumTestReport', record, salts, signature });
    metrics.accepted(ack.type);
    res.status(201).location(`${API_PREFIX}/reports/${encodeURIComponent(ack.id)}`).json(ack);
  });

  r.get('/reports/:id', async (req, res) => {
    const { id } = RecordIdParams.parse(req.params);
    res.json(await getReportView(sys.store, publicBaseUrl, id));
  });
}
