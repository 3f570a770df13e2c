/**
 * Public reads for the lab and department consoles (/lab, /department): who a signing key belongs to, and a lab's
 * own reports with their anchoring state.
 */
import { z } from 'zod';
import { isAddress } from '../../crypto/address';
import { participantOfKey, reportsOfLab } from '../../service/console-reads';
import { errorAnswer, jsonAnswer, type Api } from '../contract';
import { ParticipantDetail, ReportView } from '../responses';
import { API_PREFIX, type RouteDeps } from './deps';

/** GET /keys/{address}: a signing key's address. */
export const KeyOwnerParams = z.strictObject({ address: z.string().refine((s) => isAddress(s), { error: 'must be a 0x address of 40 hex digits' }) });

/** GET /labs/{id}/reports: a lab's participant id (bytes32 hex). */
export const LabReportsParams = z.strictObject({ id: z.string().regex(/^0x[0-9a-fA-F]{64}$/, { error: 'must be a participant id: 0x and 64 hex digits' }) });

/** GET /labs/{id}/reports?limit=&after=: a page of at most `limit` reports after the `next` cursor `after`. */
export const LabReportsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  after: z.string().regex(/^\d{1,15}$/, { error: 'after must be the `next` cursor of a previous page' }).optional(),
});

export function consoleRoutes(api: Api, { ctx }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;

  api.route({
    method: 'get',
    path: `${API_PREFIX}/keys/:address`,
    operationId: 'getKeyOwner',
    summary: 'The registered participant a signing key belongs to',
    description: 'For the lab and department consoles, which know only the address of the keystore file they opened.',
    tags: ['participants'],
    auth: ['anyone'],
    params: KeyOwnerParams,
    responses: { 200: jsonAnswer('The participant and its keys.', ParticipantDetail), 404: errorAnswer('No participant registered this key (not-found).') },
    handler: async ({ params: { address } }, _req, res) => {
      res.json(await participantOfKey(sys.store, address));
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/labs/:id/reports`,
    operationId: 'listLabReports',
    summary: "A lab's selenium test reports, with their anchoring and revocation state",
    description: "In arrival order; pass the answer's `next` as `after` to read on.",
    tags: ['reports'],
    auth: ['anyone'],
    params: LabReportsParams,
    query: LabReportsQuery,
    responses: { 200: jsonAnswer('A page of reports.', z.object({ items: z.array(ReportView), next: z.string().nullable() })), 404: errorAnswer('No such lab (not-found).') },
    handler: async ({ params: { id }, query: { limit, after } }, _req, res) => {
      res.json(await reportsOfLab(sys.store, publicBaseUrl, id.toLowerCase(), { limit, after }));
    },
  });
}
