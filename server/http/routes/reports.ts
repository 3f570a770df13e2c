/** Selenium test reports: a lab submits one signed with its registered key (no token); anyone reads its public fields. */
import { getReportView } from '../../service/records';
import { errorAnswer, jsonAnswer, type Api } from '../contract';
import { Acceptance, ReportView } from '../responses';
import { RecordIdParams, ReportBody, signedBodyRefusal } from '../schemas';
import { API_PREFIX, LOCATION, type RouteDeps } from './deps';

export function reportRoutes(api: Api, { ctx, metrics }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;

  api.route({
    method: 'post',
    path: `${API_PREFIX}/reports`,
    operationId: 'submitReport',
    summary: 'Submit a selenium test report signed by a lab key',
    description:
      'No token: the EIP-712 signature is the credential. The signer must be a key registered on chain for an accredited lab, ' +
      'valid (key and accreditation) both at `issuedAt` and when the server receives the report, and not revoked. `issuedAt` must lie between ' +
      'ISSUED_AT_MAX_AGE_SECONDS (default 72 h) before and ISSUED_AT_MAX_AHEAD_SECONDS (default 5 min) after the receipt time. ' +
      "The report's `lab.name`, `lab.cmaNumber` and `lab.cmaValidUntil` must be those registered for the signing key's lab " +
      '(`cmaValidUntil` = the UTC date of its accreditation end). Each salt must be 16 random bytes: not all zero, at least 8 distinct byte values, ' +
      'none shared with another field. A record id or signature seen before is refused as a replay (409).',
    tags: ['reports'],
    auth: ['anyone'],
    limit: 'write',
    body: { schema: ReportBody, invalid: signedBodyRefusal('SeleniumTestReport') },
    responses: {
      201: jsonAnswer('Accepted: durably stored, waiting to be anchored.', Acceptance, LOCATION('The report.')),
      400: errorAnswer('Malformed (invalid-input, invalid-record, bad-signature), a weak salt (weak-salt), or `issuedAt` outside the window of receipt (issued-at-too-old, issued-at-in-future).'),
      403: errorAnswer(
        'The signer may not submit it: unknown-signer, wrong-role, key-not-yet-valid, key-expired, key-revoked, participant-revoked, not-accredited, ' +
          "key-not-valid-at-receipt, accreditation-lapsed, lab-identity-mismatch (the report names another lab than the signing key's; the message names the registered lab), " +
          "id-not-in-namespace (the report id must be `{the lab's CMA number}-{local}`), " +
          "or lab-not-commissioned (the batch's producer did not commission the lab, and the regulator did not designate it for spot checks).",
      ),
      409: errorAnswer('A record id or signature seen before (replay).'),
      422: errorAnswer('The report names a batch that is not on record (unknown-batch).'),
    },
    handler: async ({ body: { salts, signature } }, req, res) => {
      // The record exactly as it was signed (the schema checked it; the signature covers the bytes the lab sent).
      const { record } = req.body as { record: Record<string, unknown> };
      const ack = await sys.ingest.submitSigned({ type: 'SeleniumTestReport', record, salts, signature });
      metrics.accepted(ack.type);
      res.status(201).location(`${API_PREFIX}/reports/${encodeURIComponent(ack.id)}`).json(ack);
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/reports/:id`,
    operationId: 'getReport',
    summary: "A report's public fields, status, and the tier its result gets",
    tags: ['reports'],
    auth: ['anyone'],
    params: RecordIdParams,
    responses: { 200: jsonAnswer('The report.', ReportView), 404: errorAnswer('No such report (not-found).') },
    handler: async ({ params: { id } }, _req, res) => {
      res.json(await getReportView(sys.store, publicBaseUrl, id));
    },
  });
}
