/**
 * Label routes (public batch data only, no authentication):
 * - `GET /api/v1/batches/:id/qr.png[?size=512]` — the QR code of the batch's label URI;
 * - `GET /api/v1/batches/:id/qr.svg`;
 * - `GET /api/v1/labels.pdf?ids=a,b,c[&columns=3&rows=8]` — an A4 label sheet of those batches.
 * Errors are AppErrors passed on to the app's error handler.
 */
import { Router, type IRouter, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors';
import { getBatchRecord, labelItemOfBatch, labelItemsOf, labelSheetPdf, qrPng, qrSvg } from '../../labels';
import type { AppContext } from '../context';
import { API_PREFIX } from './deps';

/** Most batches on one requested sheet PDF (10 pages of 24). */
export const MAX_LABELS_PER_REQUEST = 240;

/** Batches are immutable, but the URI printed depends on PUBLIC_BASE_URL: cache for an hour. */
const CACHE = 'public, max-age=3600';

const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: `must be from ${min} to ${max}` })
    .optional();

const QrQuery = z.object({ size: intIn(64, 2048) });
const SheetQuery = z.object({
  ids: z.string({ error: 'ids is required: a comma-separated list of batch ids' }),
  columns: intIn(1, 10),
  rows: intIn(1, 20),
});

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError('invalid-input', parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
  return parsed.data;
}

const idOf = (req: Request): string => String(req.params.id);

/** Registers the label routes on `r`, relative to the API prefix (for a router mounted at /api/v1). */
export function labelRoutes(r: IRouter, ctx: AppContext): void {
  const { store } = ctx.sys;

  r.get('/batches/:id/qr.png', async (req, res) => {
    const { size } = parse(QrQuery, req.query);
    const item = labelItemOfBatch(await getBatchRecord(store, idOf(req)), ctx.publicBaseUrl);
    res.set('Cache-Control', CACHE).type('image/png').send(await qrPng(item.uri, { size: size ?? 512 }));
  });

  r.get('/batches/:id/qr.svg', async (req, res) => {
    const item = labelItemOfBatch(await getBatchRecord(store, idOf(req)), ctx.publicBaseUrl);
    res.set('Cache-Control', CACHE).type('image/svg+xml').send(await qrSvg(item.uri));
  });

  r.get('/labels.pdf', async (req, res) => {
    const q = parse(SheetQuery, req.query);
    const ids = q.ids.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (ids.length === 0) throw new AppError('invalid-input', 'ids: give at least one batch id');
    if (ids.length > MAX_LABELS_PER_REQUEST) throw new AppError('invalid-input', `ids: at most ${MAX_LABELS_PER_REQUEST} batches per sheet request`);
    const items = await labelItemsOf(store, ids, ctx.publicBaseUrl);
    const pdf = await labelSheetPdf(items, { columns: q.columns, rows: q.rows, logger: ctx.sys.logger });
    res.set('Content-Disposition', 'inline; filename="labels.pdf"').type('application/pdf').send(pdf);
  });
}

/** A router with the label routes at their full paths (/api/v1/…), to mount at the app's root. */
export function createLabelRouter(ctx: AppContext): Router {
  const api = Router();
  labelRoutes(api, ctx);
  const root = Router();
  root.use(API_PREFIX, api);
  return root;
}
