/** Batches: producers submit them with their API token, one by one or as a CSV; anyone reads their public fields. */
import type { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { IRouter, Request } from 'express';
import { AppError } from '../../errors';
import { importBatchesCsv, MAX_CSV_BYTES, MAX_CSV_ROWS, type CsvImportReport } from '../../service/csv-import';
import { getRecordView, listBatches } from '../../service/records';
import { participantIdOf } from '../../service/references';
import { authOf, producerOf } from '../auth';
import { listCommissions } from '../../service/commissions';
import { BatchListQuery, CommissionBody, ImportQuery, RecordIdParams } from '../schemas';
import { API_PREFIX, type RouteDeps } from './deps';

/** The decompressor of each Content-Encoding a CSV upload may use. */
const DECODERS: Record<string, () => Transform> = { gzip: zlib.createGunzip, 'x-gzip': zlib.createGunzip, deflate: zlib.createInflate, br: zlib.createBrotliDecompress };

/**
 * The CSV upload of `req` as a stream of its (decompressed) bytes, not yet read. Throws 'invalid-input' when it is not
 * sent as text/csv, 'payload-too-large' when its Content-Length is over {@link MAX_CSV_BYTES}, 'unsupported-encoding'
 * for a Content-Encoding other than identity, gzip, deflate or br.
 */
function csvUpload(req: Request): Readable {
  if (!req.is(['text/csv', 'application/csv'])) throw new AppError('invalid-input', 'send the CSV file as the request body with Content-Type: text/csv');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_CSV_BYTES) throw new AppError('payload-too-large', `the CSV is larger than the limit of ${MAX_CSV_BYTES} bytes; import at most ${MAX_CSV_ROWS} rows at a time`);
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity') return req;
  const decoder = DECODERS[encoding];
  if (!decoder) throw new AppError('unsupported-encoding', `the CSV's Content-Encoding ${encoding} is not supported: send it as identity, gzip, deflate or br`);
  const stream = decoder();
  req.on('error', (e) => stream.destroy(e));
  return req.pipe(stream);
}

export function batchRoutes(r: IRouter, { ctx, auth, writeLimit, metrics }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;

  r.post('/batches', auth.requireProducer, writeLimit, async (req, res) => {
    const ack = await sys.ingest.submitBatchForProducer(producerOf(res).producerId, req.body);
    metrics.accepted(ack.type);
    res.status(201).location(`${API_PREFIX}/batches/${encodeURIComponent(ack.id)}`).json(ack);
  });

  // The body is streamed to a worker thread with its limits checked while reading (server/service/csv-import.ts).
  r.post('/batches/import', auth.requireProducer, writeLimit, async (req, res) => {
    let report: CsvImportReport;
    try {
      const { partial } = ImportQuery.parse(req.query);
      report = await importBatchesCsv(ctx, producerOf(res).producerId, csvUpload(req), { partial });
    } catch (e) {
      // Refused before the whole body was read: close the connection rather than read the rest.
      if (!req.readableEnded) res.set('Connection', 'close');
      throw e;
    }
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
    // A text search over every producer's batches reads them all: the operator's, or one producer's (or GTIN's) at a time.
    const searching = [q.q, q.lot, q.category, q.from, q.to].some((v) => v !== undefined);
    if (caller?.role !== 'admin' && producerId === undefined && q.gtin === undefined && searching) {
      throw new AppError('invalid-input', 'searching (q, lot, category, from, to) needs a producer: use your producer token, or give producer= (its id or credit code) or gtin=');
    }
    const page = await listBatches(sys.store, publicBaseUrl, {
      producerId,
      limit: q.limit,
      after: q.after,
      order: q.order,
      text: q.q,
      lot: q.lot,
      gtin: q.gtin,
      category: q.category,
      from: q.from,
      to: q.to,
    });
    // A producer's token lists only its own batches; the answer names that producer (the console shows who it acts for).
    const producer = caller?.role === 'producer' ? await sys.store.getParticipant(caller.producerId) : undefined;
    res.json(producer ? { ...page, producer: { id: producer.id, uscc: producer.code, name: producer.name } } : page);
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
