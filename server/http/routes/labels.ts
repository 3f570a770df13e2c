/**
 * Label routes (public batch data):
 * - `GET /api/v1/batches/:id/qr.png[?size=512]` — the QR code of the batch's label URI; a size above
 *   {@link MAX_PUBLIC_QR_SIZE} needs the batch's producer's token or the admin token;
 * - `GET /api/v1/batches/:id/qr.svg`;
 * - `GET /api/v1/labels.pdf?ids=a,b,c[&columns=3&rows=8]` — an A4 label sheet of those batches; more than
 *   {@link MAX_PUBLIC_LABELS} labels need the token of the producer of every batch, or the admin token; a sheet
 *   asked for with a producer token holds only that producer's batches (403 forbidden otherwise).
 * All three count against the caller's expensive-read limit (EXPENSIVE_READS_PER_MINUTE).
 * Errors are AppErrors passed on to the app's error handler.
 */
import crypto from 'node:crypto';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors';
import { getBatchRecord, labelItemOfBatch, labelItemsOf, labelSheetPdf, qrPng, qrSvg } from '../../labels';
import type { StoredRecord } from '../../store/types';
import { authMiddleware, authOf, createAuthenticator } from '../auth';
import { ANY_CALLER, errorAnswer, RouteTable, type Api } from '../contract';
import { Binary, Text } from '../responses';
import type { AppContext } from '../context';
import { API_PREFIX, type RouteDeps } from './deps';

/** Most batches on one requested sheet PDF (10 pages of 24). */
export const MAX_LABELS_PER_REQUEST = 240;
/** Most labels a sheet may hold without a token (half an A4 page of 24). */
export const MAX_PUBLIC_LABELS = 12;
/** Largest QR image (pixels) served without a token. */
export const MAX_PUBLIC_QR_SIZE = 512;

/** Batches are immutable, but the URI printed depends on PUBLIC_BASE_URL: cache for an hour. */
const CACHE = 'public, max-age=3600';

const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: `must be from ${min} to ${max}` })
    .optional()
    .meta({ description: `A whole number from ${min} to ${max}.` });

const QrQuery = z.object({ size: intIn(64, 2048) });
const SheetQuery = z.object({
  ids: z.string({ error: 'ids is required: a comma-separated list of batch ids' }).describe(`Comma-separated batch ids (at most ${MAX_LABELS_PER_REQUEST}).`),
  columns: intIn(1, 10),
  rows: intIn(1, 20),
});
const BatchIdParams = z.object({ id: z.string().describe('The batch id.') });

/**
 * Throws unless the caller holds the admin token or the token of the producer of every batch in `batches`:
 * 401 'unauthorized' without a token, 403 'forbidden' with another producer's. `what` names the request.
 */
function assertMayPrint(res: Response, batches: readonly StoredRecord[], what: string): void {
  const auth = authOf(res);
  if (!auth) throw new AppError('unauthorized', `${what} needs the batches' producer's API token or the admin token (Authorization: Bearer <token>)`);
  if (auth.role === 'operator') return;
  if (auth.role !== 'producer') throw new AppError('forbidden', `${what} is for the producer of the batches (or the operator), not ${auth.role} tokens`);
  const other = batches.find((b) => b.participantId !== auth.producerId);
  if (other) throw new AppError('forbidden', `${what} is for the producer of the batches; batch ${other.id} is another producer's`);
}

/** Registers the label routes (for a router mounted at /api/v1). */
export function labelRoutes(api: Api, { ctx }: Pick<RouteDeps, 'ctx'>): void {
  const { store } = ctx.sys;
  const expensive = 'Counts against EXPENSIVE_READS_PER_MINUTE.';

  api.route({
    method: 'get',
    path: `${API_PREFIX}/batches/:id/qr.png`,
    operationId: 'getBatchQrPng',
    summary: "The batch's QR code (GS1 Digital Link, or /b/{id} without a GTIN) as PNG",
    description: `A size above ${MAX_PUBLIC_QR_SIZE} pixels needs the token of the batch's producer or the admin token. ${expensive}`,
    tags: ['batches'],
    auth: ANY_CALLER,
    limit: 'expensive-read',
    params: BatchIdParams,
    query: QrQuery,
    responses: {
      200: { description: 'PNG image.', content: { 'image/png': Binary } },
      401: errorAnswer(`A size above ${MAX_PUBLIC_QR_SIZE} without a token, or a token that is not valid (unauthorized).`),
      403: errorAnswer("A size above the public limit with another producer's token (forbidden)."),
      404: errorAnswer('No such batch (not-found).'),
    },
    handler: async ({ params, query: { size } }, _req, res) => {
      const batch = await getBatchRecord(store, params.id);
      if (size !== undefined && size > MAX_PUBLIC_QR_SIZE) assertMayPrint(res, [batch], `a QR image above ${MAX_PUBLIC_QR_SIZE} pixels`);
      const item = labelItemOfBatch(batch, ctx.publicBaseUrl);
      res.set('Cache-Control', CACHE).type('image/png').send(await qrPng(item.uri, { size: size ?? 512 }));
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/batches/:id/qr.svg`,
    operationId: 'getBatchQrSvg',
    summary: "The batch's QR code as SVG",
    description: expensive,
    tags: ['batches'],
    auth: ANY_CALLER,
    limit: 'expensive-read',
    params: BatchIdParams,
    responses: { 200: { description: 'SVG image.', content: { 'image/svg+xml': Text } }, 404: errorAnswer('No such batch (not-found).') },
    handler: async ({ params }, _req, res) => {
      const item = labelItemOfBatch(await getBatchRecord(store, params.id), ctx.publicBaseUrl);
      res.set('Cache-Control', CACHE).type('image/svg+xml').send(await qrSvg(item.uri));
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/labels.pdf`,
    operationId: 'getLabelSheet',
    summary: 'A printable A4 label sheet (product, batch, producer, QR) for the chosen batches',
    description: `More than ${MAX_PUBLIC_LABELS} labels need the token of the producer of every batch, or the admin token; a producer's token prints its own batches only, however few. ${expensive}`,
    tags: ['batches'],
    auth: ANY_CALLER,
    limit: 'expensive-read',
    query: SheetQuery,
    responses: {
      200: { description: 'PDF.', content: { 'application/pdf': Binary } },
      401: errorAnswer(`More than ${MAX_PUBLIC_LABELS} labels without a token, or a token that is not valid (unauthorized).`),
      403: errorAnswer("More than the public number of labels with a token that is not every batch's producer's (forbidden)."),
      404: errorAnswer('A batch is not on record (not-found, naming it).'),
    },
    handler: async ({ query: q }, _req, res) => {
      const ids = q.ids.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (ids.length === 0) throw new AppError('invalid-input', 'ids: give at least one batch id');
      if (ids.length > MAX_LABELS_PER_REQUEST) throw new AppError('invalid-input', `ids: at most ${MAX_LABELS_PER_REQUEST} batches per sheet request`);
      // A producer's token prints only its own batches, however few: a token never reaches another producer's labels.
      if (ids.length > MAX_PUBLIC_LABELS || authOf(res)?.role === 'producer') {
        assertMayPrint(res, await Promise.all(ids.map((id) => getBatchRecord(store, id))), ids.length > MAX_PUBLIC_LABELS ? `a sheet of more than ${MAX_PUBLIC_LABELS} labels` : 'a label sheet printed with a producer token');
      }
      const items = await labelItemsOf(store, ids, ctx.publicBaseUrl);
      const pdf = await labelSheetPdf(items, { columns: q.columns, rows: q.rows, logger: ctx.sys.logger });
      res.set('Content-Disposition', 'inline; filename="labels.pdf"').type('application/pdf').send(pdf);
    },
  });
}

/**
 * A router with the label routes at their full paths (/api/v1/…), to mount at the app's root. Without
 * `deps`, it authenticates producer tokens against the store (no admin token) and has no read limit.
 */
export function createLabelRouter(ctx: AppContext, deps: Partial<Pick<RouteDeps, 'auth' | 'expensiveReadLimit'>> = {}): Router {
  const api = Router();
  const auth = deps.auth ?? createAuthenticator(ctx.sys.store, crypto.randomBytes(32).toString('hex'));
  const limit = deps.expensiveReadLimit ?? ((_req, _res, next) => next());
  const table = new RouteTable({ authFor: authMiddleware(auth, {}), limits: { write: limit, 'expensive-read': limit } });
  labelRoutes(table.on(api, API_PREFIX), { ctx });
  const root = Router();
  root.use(API_PREFIX, api);
  return root;
}
