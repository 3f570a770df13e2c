/** Batches: producers submit them with their API token, one by one or as a CSV; anyone reads their public fields. */
import express, { type IRouter, type Request } from 'express';
import { AppError } from '../../errors';
import { importBatchesCsv } from '../../service/csv-import';
import { getRecordView, listBatches } from '../../service/records';
import { participantIdOf } from '../../service/references';
import { authOf, producerOf } from '../auth';
import { listCommissions } from '../../service/commissions';
import { BatchListQuery, CommissionBody, ImportQuery, RecordIdParams } from '../schemas';
import { API_PREFIX, type RouteDeps } from './deps';

/** Largest CSV import body. */
export const CSV_LIMIT = '10mb';

const csvBody = express.text({ type: ['text/csv', 'application/csv'], limit: CSV_LIMIT });

function csvText(req: Request): string {
  if (typeof req.body !== 'string') throw new AppError('invalid-input', 'send the CSV file as the request body with Content-Type: text/csv');
  return req.body;
}

export function batchRoutes(r: IRouter, { ctx, auth, writeLimit, metrics }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;

  r.post('/batches', auth.requireProducer, writeLimit, async (req, res) => {
    const ack = await sys.ingest.submitBatchForProducer(producerOf(res).producerId, req.body);
    metrics.accepted(ack.type);
    res.status(201).location(`${API_PREFIX}/batches/${encodeURIComponent(ack.id)}`).json(ack);
  });

  r.post('/batches/import', auth.requireProducer, writeLimit, csvBody, async (req, res) => {
    const { partial } = ImportQuery.parse(req.query);
    const report = await importBatchesCsv(ctx, producerOf(res).producerId, csvText(req), { partial });
    if (!report.committed) {
      // A row under another producer's GTIN is refused as a label hijack attempt (403), not as bad data.
      const notOwned = report.refused.flatMap((r) => r.errors).filter((e) => e.code === 'gtin-not-owned').length;
      if (notOwned > 0) {
        res.status(403).json({ error: { code: 'gtin-not-owned', message: `${notOwned} row(s) name a GTIN not registered to your producer, so nothing was imported; the registrar must assign your GS1 company prefix (or those GTINs) first` }, ...report });
        return;
      }
      const message =
        report.refused.length === 0 ? 'the CSV has no data rows; nothing was imported' : `${report.refused.length} row(s) were refused, so nothing was imported; fix them or import with ?partial=1`;
      res.status(422).json({ error: { code: 'invalid-record', message }, ...report });
      return;
    }
    metrics.accepted('Batch', report.accepted.length);
    res.status(201).json(report);
  });

  r.get('/batches', auth.optional, async (req, res) => {
    const q = BatchListQuery.parse(req.query);
    const caller = authOf(res);
    const producerId = caller?.role === 'producer' ? caller.producerId : q.producer === undefined ? undefined : participantIdOf('producer', q.producer);
    res.json(await listBatches(sys.store, publicBaseUrl, { producerId, limit: q.limit, after: q.after }));
  });

  r.post('/batches/:id/commissions', auth.requireProducer, writeLimit, async (req, res) => {
    const { id } = RecordIdParams.parse(req.params);
    const { labCmaNumber } = CommissionBody.parse(req.body);
    const ack = await sys.ingest.submitCommissionForProducer(producerOf(res).producerId, id, labCmaNumber);
    metrics.accepted(ack.type);
    res.status(201).location(`${API_PREFIX}/batches/${encodeURIComponent(id)}/commissions`).json(ack);
  });

  r.get('/batches/:id/commissions', async (req, res) => {
    const { id } = RecordIdParams.parse(req.params);
    res.json(await listCommissions(sys.store, publicBaseUrl, id));
  });

  r.get('/batches/:id', async (req, res) => {
    const { id } = RecordIdParams.parse(req.params);
    res.json(await getRecordView(sys.store, publicBaseUrl, id, 'Batch'));
  });
}
