/** Any record by id, and its proof bundle (traceledger-proof-v1) to verify it without trusting this server. */
import { AppError } from '../../errors';
import { buildBundle } from '../../service/bundles';
import { getRecordView } from '../../service/records';
import { isShareType } from '../../trails';
import { authOf } from '../auth';
import { ANY_CALLER, errorAnswer, jsonAnswer, type Api } from '../contract';
import { AnyRecordView, ProofBundle } from '../responses';
import { BundleQuery, RecordIdParams } from '../schemas';
import type { RouteDeps } from './deps';
import { API_PREFIX } from './deps';
import { mayReadShareDetails, shareDetailsFor } from './trails';

export function recordRoutes(api: Api, { ctx }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;

  api.route({
    method: 'get',
    path: `${API_PREFIX}/records/:id`,
    operationId: 'getRecord',
    summary: 'Any record: public fields, type, leaf index and status',
    description: "A share step's details are withheld unless the caller holds an auditor's, the regulator's or the admin token, or the token of a department of the share, as in GET /api/v1/shares/{id}.",
    tags: ['records'],
    auth: ANY_CALLER,
    params: RecordIdParams,
    responses: { 200: jsonAnswer('The record.', AnyRecordView), 404: errorAnswer('No such record (not-found).') },
    handler: async ({ params: { id } }, _req, res) => {
      const view = await getRecordView(sys.store, publicBaseUrl, id);
      res.json(isShareType(view.type) ? shareDetailsFor(res, view) : view);
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/records/:id/bundle`,
    operationId: 'getRecordBundle',
    summary: "A record's proof bundle (traceledger-proof-v1)",
    description:
      "Public fields with their salts and paths, the log entry, the inclusion proof to the latest anchored checkpoint, and the contract addresses. A data-sharing step's bundle discloses its details: it needs an auditor's, the regulator's or the admin token, or the token of a department of the share (401 without a token, 403 with another).",
    tags: ['records'],
    auth: ANY_CALLER,
    params: RecordIdParams,
    query: BundleQuery,
    responses: {
      200: jsonAnswer('The bundle.', ProofBundle),
      401: errorAnswer("A data-sharing step's bundle without the admin token, or a token that is not valid (unauthorized)."),
      404: errorAnswer('No such record (not-found).'),
      422: errorAnswer(
        'The stored record is damaged (its body, salts or log entry no longer parse): no bundle can be built, so it counts as invalid (stored-data-fault, naming it). A damaged salt still gives a bundle, which fails at checkFieldDisclosures.',
      ),
    },
    handler: async ({ params: { id }, query: { download } }, _req, res) => {
      const bundle = await buildBundle(sys.store, sys.deployment, id);
      // A share step's bundle discloses its details (trails/details.ts): for the departments of the share and oversight only.
      if (isShareType(bundle.record.type) && !mayReadShareDetails(res, (await sys.store.getRecord(id))?.body ?? {})) {
        const who = "an auditor's or the regulator's token, or the token of a department of the share";
        if (authOf(res) === undefined) throw new AppError('unauthorized', `the proof bundle of a data-sharing step discloses its details: it needs ${who}`);
        throw new AppError('forbidden', `the proof bundle of a data-sharing step discloses its details: it is for ${who}`);
      }
      if (download) res.attachment(`${id}.traceledger-proof.json`);
      res.json(bundle);
    },
  });
}
