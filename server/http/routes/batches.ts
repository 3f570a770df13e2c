/** Batches: producers submit them with their API token, one by one or as a CSV; anyone reads their public fields. */
import type { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { Request } from 'express';
import { AppError } from '../../errors';
import { declaredCsvEncoding } from '../../service/csv-encoding';
import { importBatchesCsv, MAX_CSV_BYTES, MAX_CSV_ROWS, type CsvImportReport } from '../../service/csv-import';
import { getRecordView, listBatches } from '../../service/records';
import { participantIdOf } from '../../service/references';
import { listCommissions } from '../../service/commissions';
import { authOf, producerOf } from '../auth';
import { errorAnswer, jsonAnswer, type Api } from '../contract';
import { Acceptance, BatchPage, Commissions, CsvImportRefusal, CsvImportReport as CsvImportReportSchema, RecordView, Text } from '../responses';
import { BatchBody, BatchListQuery, CommissionBody, ImportQuery, RecordIdParams, recordRefusal } from '../schemas';
import { API_PREFIX, LOCATION, type RouteDeps } from './deps';

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

export function batchRoutes(api: Api, { ctx, metrics }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;

  api.route({
    method: 'post',
    path: `${API_PREFIX}/batches`,
    operationId: 'createBatch',
    summary: 'Submit a batch as a producer',
    description:
      "The batch's producer must be the token's producer, and its `issuedAt` within the window of receipt (issued-at-too-old, issued-at-in-future: 400). " +
      "Its GTIN, if any, must be covered by a product key assigned to the producer (gtin-not-owned: 403). " +
      'The operator attests it with its own key: the producer needs no wallet.',
    tags: ['batches'],
    auth: ['producer'],
    limit: 'write',
    body: { schema: BatchBody, invalid: (err) => recordRefusal('Batch', err) },
    responses: {
      201: jsonAnswer('Accepted: durably stored, waiting to be anchored.', Acceptance, LOCATION('The batch.')),
      400: errorAnswer('Malformed (invalid-input), the batch fails its schema (invalid-record), or `issuedAt` outside the window of receipt (issued-at-too-old, issued-at-in-future).'),
      403: errorAnswer("The token is not a producer's (forbidden), or the batch's GTIN is not covered by a product key of its producer (gtin-not-owned)."),
      409: errorAnswer('A replayed id (replay), or a GTIN + lot already registered as another batch (duplicate-batch; `error.details.existingBatchId`).'),
    },
    handler: async ({ body }, _req, res) => {
      const ack = await sys.ingest.submitBatchForProducer(producerOf(res).producerId, body);
      metrics.accepted(ack.type);
      res.status(201).location(`${API_PREFIX}/batches/${encodeURIComponent(ack.id)}`).json(ack);
    },
  });

  // The body is streamed to a worker thread with its limits checked while reading (server/service/csv-import.ts).
  api.route({
    method: 'post',
    path: `${API_PREFIX}/batches/import`,
    operationId: 'importBatches',
    summary: 'Import batches from a CSV file',
    description:
      'All or nothing by default: any refused row means nothing is imported (422, with the report; 403 gtin-not-owned when a row names a GTIN ' +
      "not covered by the producer's product keys, that row's error carrying `code`). " +
      'With `partial=1` the valid rows are imported and the refused ones reported.',
    tags: ['batches'],
    auth: ['producer'],
    limit: 'write',
    query: ImportQuery,
    uploads: [
      {
        contentType: 'text/csv',
        description: `UTF-8, or GBK as Excel saves it (detected; a charset in Content-Type is taken at its word); at most ${MAX_CSV_BYTES / 1024 / 1024} MB and ${MAX_CSV_ROWS} rows (refused with 413 as soon as either is passed, while reading); may be sent with Content-Encoding gzip, deflate or br.`,
        schema: Text,
      },
    ],
    responses: {
      201: jsonAnswer('Imported.', CsvImportReportSchema),
      400: errorAnswer('Not sent as text/csv, or a malformed query (invalid-input).'),
      403: { description: "A row names a GTIN not covered by the producer's product keys (gtin-not-owned): nothing was imported; with the report.", content: { 'application/json': CsvImportRefusal } },
      413: errorAnswer(`The CSV is over ${MAX_CSV_BYTES} bytes or ${MAX_CSV_ROWS} rows (payload-too-large).`),
      415: errorAnswer('A Content-Encoding other than identity, gzip, deflate or br (unsupported-encoding).'),
      422: { description: 'Rows were refused and nothing was imported (invalid-record); with the report.', content: { 'application/json': CsvImportRefusal } },
      503: errorAnswer('Two CSV imports are already being read; try again in a moment (unavailable).'),
    },
    handler: async ({ query }, req, res) => {
      let report: CsvImportReport;
      try {
        // A charset in Content-Type is taken at its word; without one, UTF-8 or GBK (as Excel saves it) is detected.
        const encoding = declaredCsvEncoding(req.headers['content-type']);
        report = await importBatchesCsv(ctx, producerOf(res).producerId, csvUpload(req), { partial: query.partial, encoding });
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
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/batches`,
    operationId: 'listBatches',
    summary: 'List and search batches (oldest first, or newest with order=desc)',
    description:
      "With a producer's token, that producer's batches only (the answer names the producer); otherwise all, or those of `producer` or `gtin`. " +
      'Search (q, lot, category, from, to) reads public fields only; without a producer token it needs `producer` or `gtin` (400), but the operator may search every batch.',
    tags: ['batches'],
    auth: ['anyone', 'producer'],
    query: BatchListQuery,
    responses: { 200: jsonAnswer('A page of batches, with the total that match.', BatchPage) },
    handler: async ({ query: q }, _req, res) => {
      const caller = authOf(res);
      const producerId = caller?.role === 'producer' ? caller.producerId : q.producer === undefined ? undefined : participantIdOf('producer', q.producer);
      // A text search over every producer's batches reads them all: the operator's, or one producer's (or GTIN's) at a time.
      const searching = [q.q, q.lot, q.category, q.from, q.to].some((v) => v !== undefined);
      if (caller?.role !== 'operator' && producerId === undefined && q.gtin === undefined && searching) {
        throw new AppError('invalid-input', 'searching (q, lot, category, from, to) needs a producer: use your producer token, or give producer= (its id or credit code) or gtin=');
      }
      const page = await listBatches(sys.store, publicBaseUrl, { producerId, limit: q.limit, after: q.after, order: q.order, text: q.q, lot: q.lot, gtin: q.gtin, category: q.category, from: q.from, to: q.to });
      // A producer's token lists only its own batches; the answer names that producer (the console shows who it acts for).
      const producer = caller?.role === 'producer' ? await sys.store.getParticipant(caller.producerId) : undefined;
      res.json(producer ? { ...page, producer: { id: producer.id, uscc: producer.code, name: producer.name } } : page);
    },
  });

  api.route({
    method: 'post',
    path: `${API_PREFIX}/batches/:id/commissions`,
    operationId: 'commissionLab',
    summary: 'Commission a lab to test a batch, as its producer',
    description:
      "Only the batch's own producer (403 forbidden otherwise); the batch must be on record (422 unknown-batch). The operator attests a LabCommission " +
      "record for the producer, as for its batches; the lab's reports then count on the batch (DESIGN.md, trust model). A lab already commissioned: 409 conflict.",
    tags: ['batches'],
    auth: ['producer'],
    limit: 'write',
    params: RecordIdParams,
    body: { schema: CommissionBody },
    responses: {
      201: jsonAnswer('Accepted: durably stored, waiting to be anchored.', Acceptance, LOCATION("The batch's commissions.")),
      409: errorAnswer('The lab is already commissioned (conflict), or a replayed record (replay).'),
      422: errorAnswer('The batch is not on record (unknown-batch).'),
    },
    handler: async ({ params: { id }, body: { labCmaNumber } }, _req, res) => {
      const ack = await sys.ingest.submitCommissionForProducer(producerOf(res).producerId, id, labCmaNumber);
      metrics.accepted(ack.type);
      res.status(201).location(`${API_PREFIX}/batches/${encodeURIComponent(id)}/commissions`).json(ack);
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/batches/:id/commissions`,
    operationId: 'listCommissions',
    summary: "The labs a batch's producer commissions: named on the batch, and attached afterwards",
    tags: ['batches'],
    auth: ['anyone'],
    params: RecordIdParams,
    responses: { 200: jsonAnswer('The commissions.', Commissions), 404: errorAnswer('No such batch (not-found).') },
    handler: async ({ params: { id } }, _req, res) => {
      res.json(await listCommissions(sys.store, publicBaseUrl, id));
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/batches/:id`,
    operationId: 'getBatch',
    summary: "A batch's public fields and anchoring status",
    tags: ['batches'],
    auth: ['anyone'],
    params: RecordIdParams,
    responses: { 200: jsonAnswer('The batch.', RecordView), 404: errorAnswer('No such batch (not-found).') },
    handler: async ({ params: { id } }, _req, res) => {
      res.json(await getRecordView(sys.store, publicBaseUrl, id, 'Batch'));
    },
  });
}
