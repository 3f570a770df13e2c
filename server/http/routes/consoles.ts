/**
 * Public reads for the lab and department consoles (/lab, /department): who a signing key belongs to, and a lab's
 * own reports with their anchoring state. Mounted with one line in ../app.ts.
 */
import type { IRouter } from 'express';
import { z } from 'zod';
import { isAddress } from '../../crypto/address';
import { participantOfKey, reportsOfLab } from '../../service/console-reads';
import type { RouteDeps } from './deps';

/** GET /keys/{address}: a signing key's address. */
export const KeyOwnerParams = z.strictObject({ address: z.string().refine((s) => isAddress(s), { error: 'must be a 0x address of 40 hex digits' }) });

/** GET /labs/{id}/reports: a lab's participant id (bytes32 hex). */
export const LabReportsParams = z.strictObject({ id: z.string().regex(/^0x[0-9a-fA-F]{64}$/, { error: 'must be a participant id: 0x and 64 hex digits' }) });

/** GET /labs/{id}/reports?limit=&after=: a page of at most `limit` reports after the `next` cursor `after`. */
export const LabReportsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  after: z.string().regex(/^\d{1,15}$/, { error: 'after must be the `next` cursor of a previous page' }).optional(),
});

export function consoleRoutes(r: IRouter, { ctx }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;

  r.get('/keys/:address', async (req, res) => {
    const { address } = KeyOwnerParams.parse(req.params);
    res.json(await participantOfKey(sys.store, address));
  });

  r.get('/labs/:id/reports', async (req, res) => {
    const { id } = LabReportsParams.parse(req.params);
    const { limit, after } = LabReportsQuery.parse(req.query);
    res.json(await reportsOfLab(sys.store, publicBaseUrl, id.toLowerCase(), { limit, after }));
  });
}
