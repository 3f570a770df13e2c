/** Selenium test reports: a lab submits one signed with its registered key (no token); anyone reads its public fields. */
import type { Request } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { AppError } from '../../errors';
import { requiredFieldMessage } from '../../records';
import { getReportView } from '../../service/records';
import { errorAnswer, jsonAnswer, parseJsonBody, type Api, type JsonBodyContract } from '../contract';
import type { AppContext } from '../context';
import { errorAnswerOf } from '../errors';
import type { HttpMetrics } from '../metrics';
import { Acceptance, BulkReportOutcomes, ReportView } from '../responses';
import { BulkReportsBody, MAX_BULK_REPORTS, RecordIdParams, ReportBody, ReportEnvelope, plainReportEnvelope, signedBodyRefusal } from '../schemas';
import { API_PREFIX, LOCATION, type RouteDeps } from './deps';

type BulkReportOutcome = z.infer<typeof BulkReportOutcomes>['results'][number];

const reportLocation = (id: string): string => `${API_PREFIX}/reports/${encodeURIComponent(id)}`;

/**
 * The body of POST /api/v1/reports, and of each report of a bulk submission: the envelope checked here, the record by
 * the signature threads (ingest's verifySubmission parses it first), each refusing as ReportBody would.
 */
const REPORT_BODY: JsonBodyContract<typeof ReportEnvelope> = { schema: ReportEnvelope, whole: ReportBody, invalid: signedBodyRefusal('SeleniumTestReport'), fast: plainReportEnvelope };

/**
 * Ingests the report `body` (its envelope checked by REPORT_BODY): the record exactly as it was signed (the signature
 * covers the bytes the lab sent). A record the signature threads refuse is answered as the whole body schema refuses it,
 * so the answer is the one the route gave when it validated the record itself (e.g. an unknown field: invalid-input).
 */
async function ingestReport(sys: AppContext['sys'], body: unknown, salts: Record<string, string>, signature: string): ReturnType<AppContext['sys']['ingest']['submitSigned']> {
  const { record } = body as { record: Record<string, unknown> };
  try {
    return await sys.ingest.submitSigned({ type: 'SeleniumTestReport', record, salts, signature });
  } catch (e) {
    if (e instanceof AppError && e.code === 'invalid-record') {
      const whole = ReportBody.safeParse(body, { error: requiredFieldMessage });
      if (!whole.success) throw REPORT_BODY.invalid!(whole.error);
    }
    throw e;
  }
}

/**
 * One report of a bulk submission, as POST /api/v1/reports would take it alone: the same schema and refusal, the same
 * ingest (so it shares the group commit of the others), and the same error answer (logged the same way when unexpected).
 */
async function submitOneOfBulk(sys: AppContext['sys'], metrics: HttpMetrics, logger: Logger, req: Request, item: unknown, index: number): Promise<BulkReportOutcome> {
  try {
    const { salts, signature } = parseJsonBody(REPORT_BODY, item);
    const ack = await ingestReport(sys, item, salts, signature);
    metrics.accepted(ack.type);
    return { index, status: 201, location: reportLocation(ack.id), acceptance: ack };
  } catch (e) {
    const { status, body } = errorAnswerOf(logger, req, e);
    return { index, status, error: body.error };
  }
}

export function reportRoutes(api: Api, { ctx, metrics, writeLimit }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;
  const logger = sys.logger.child({ component: 'http' });

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
    body: REPORT_BODY,
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
      const ack = await ingestReport(sys, req.body, salts, signature);
      metrics.accepted(ack.type);
      res.status(201).location(reportLocation(ack.id)).json(ack);
    },
  });

  api.route({
    method: 'post',
    path: `${API_PREFIX}/reports/bulk`,
    operationId: 'submitReports',
    summary: `Submit up to ${MAX_BULK_REPORTS} signed selenium test reports in one request`,
    description:
      "For a lab's system sending a day's reports: each report is checked exactly as POST /api/v1/reports checks it, on its own, " +
      'and answered in `results` in the order sent, with the status and answer that route would give it alone (a malformed or refused ' +
      "report does not affect the others). The answer comes once every accepted report is durably stored. Each report counts as one write " +
      `against the caller's write limit: a request that would pass it is refused whole (429) with none of its reports checked. At most ${MAX_BULK_REPORTS} reports and 256 kB.`,
    tags: ['reports'],
    auth: ['anyone'],
    limit: 'write',
    body: { schema: BulkReportsBody },
    responses: {
      200: jsonAnswer('Every report\'s outcome (some may be refused: see each `status`).', BulkReportOutcomes),
      400: errorAnswer(`Not an object with 1 to ${MAX_BULK_REPORTS} reports (invalid-input); a malformed report is refused in its own result.`),
    },
    handler: async ({ body: { reports } }, req, res) => {
      // The request counted one write; each further report counts another, before any signature is checked.
      if (!(await writeLimit.charge(req, res, reports.length - 1))) {
        throw new AppError('rate-limited', `${reports.length} reports would pass your write limit this minute (each report counts as one write); send fewer, or try again shortly`);
      }
      const results = await Promise.all(reports.map((item, index) => submitOneOfBulk(sys, metrics, logger, req, item, index)));
      const accepted = results.filter((r) => r.status === 201).length;
      res.status(200).json({ accepted, refused: results.length - accepted, results });
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
