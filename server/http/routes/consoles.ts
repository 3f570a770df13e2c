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

/** These routes in OpenAPI 3.1 (merged into ../openapi.ts's paths; component names are that document's). */
export const CONSOLE_OPENAPI_PATHS = {
  '/api/v1/keys/{address}': {
    get: {
      operationId: 'getKeyOwner',
      summary: 'The registered participant a signing key belongs to',
      description: 'For the lab and department consoles, which know only the address of the keystore file they opened.',
      tags: ['participants'],
      parameters: [{ name: 'address', in: 'path' as const, required: true, schema: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' } }],
      responses: {
        '200': { description: 'The participant and its keys.', content: { 'application/json': { schema: { $ref: '#/components/schemas/ParticipantDetail' } } } },
        '400': { $ref: '#/components/responses/InvalidInput' },
        '404': { $ref: '#/components/responses/NotFound' },
      },
    },
  },
  '/api/v1/labs/{id}/reports': {
    get: {
      operationId: 'listLabReports',
      summary: "A lab's selenium test reports, with their anchoring and revocation state",
      description: "In arrival order; pass the answer's `next` as `after` to read on.",
      tags: ['reports'],
      parameters: [
        { name: 'id', in: 'path' as const, required: true, description: "The lab's participant id.", schema: { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' } },
        { name: 'limit', in: 'query' as const, schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
        { name: 'after', in: 'query' as const, description: 'The `next` cursor of the previous page.', schema: { type: 'string', pattern: '^\\d{1,15}$' } },
      ],
      responses: {
        '200': {
          description: 'A page of reports.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['items', 'next'],
                properties: { items: { type: 'array', items: { $ref: '#/components/schemas/ReportView' } }, next: { type: ['string', 'null'] } },
              },
            },
          },
        },
        '400': { $ref: '#/components/responses/InvalidInput' },
        '404': { $ref: '#/components/responses/NotFound' },
      },
    },
  },
};
