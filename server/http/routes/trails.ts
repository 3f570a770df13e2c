/**
 * Data-sharing trails: departments submit signed share steps (no token: the signature is the
 * credential) and get the operator's receipt; anyone reads a department's trail (its skeleton: ids, steps, times,
 * hashes; the details of each step are for its departments and oversight, see mayReadShareDetails), its head and
 * its verification, and the log's inclusion and consistency proofs; an auditor (or the regulator, or the operator)
 * sees the alerts (a department its own), exports audit reports, checks a dataset against its delivery and runs the log
 * monitor.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors';
import { AUDIT_CSV_COLUMNS, AUDIT_REPORT_FORMAT, exportAuditReport } from '../../service/audit-report';
import { DATASET_UPLOAD_LIMIT, checkDeliveryUpload, departmentRef, getShareReceipt, getShareView, logConsistency, logInclusion, submitShare } from '../../service/shares';
import { ALERT_KINDS, CachedReceipts, CachedTrailVerifier, TRAIL_STEPS, assertKnownDepartment, checkDelivery, getTrail, listAlerts, listDepartments, monitorLog, trailHead, withholdShareDetails } from '../../trails';
import { authOf, isOversight } from '../auth';
import { ANY_CALLER, errorAnswer, jsonAnswer, type Api } from '../contract';
import {
  Acceptance,
  Alerts,
  AuditReport,
  Binary,
  ConsistencyProof,
  DeliveryCheck,
  DepartmentSummary,
  InclusionProof,
  itemsOf,
  MonitorReport,
  Receipt,
  ReceiptPending,
  ShareView,
  Text,
  Trail,
  TrailHead,
  TrailVerification,
} from '../responses';
import {
  AlertQuery,
  AuditReportQuery,
  ConsistencyQuery,
  DeliveryCheckBody,
  DeliveryCheckQuery,
  DepartmentParams,
  InclusionQuery,
  LogParams,
  RecordIdParams,
  ShareBody,
  TrailQuery,
  signedBodyRefusal,
} from '../schemas';
import { API_PREFIX, LOCATION, type RouteDeps } from './deps';

/** Seconds a client waits before asking again for a receipt that is not issued yet. */
const RECEIPT_RETRY_SECONDS = 1;

/** The participant ids of the departments a share step's fields name (requesting and providing). */
function sharePartiesOf(fields: Record<string, unknown>): string[] {
  const ids: string[] = [];
  for (const name of ['requestingDepartment', 'providingDepartment']) {
    const uscc = (fields[name] as { uscc?: unknown } | undefined)?.uscc;
    if (typeof uscc !== 'string') continue;
    try {
      ids.push(departmentRef(uscc));
    } catch {
      // Not a code a participant id can be made of: no department's token reads it.
    }
  }
  return ids;
}

/**
 * Whether the caller may read a share step's details: the operator, an auditor or a regulator; a department for a
 * share it takes part in (谁管理谁负责、谁使用谁负责: the two departments of a share and the auditors, no one else).
 */
export function mayReadShareDetails(res: Response, fields: Record<string, unknown>): boolean {
  const auth = authOf(res);
  if (isOversight(auth)) return true;
  return auth?.role === 'department' && sharePartiesOf(fields).includes(auth.participantId);
}

/** `view` as the caller may read it: whole for {@link mayReadShareDetails}, else its `fields` cut to the trail's skeleton, naming what was withheld. */
export function shareDetailsFor<T extends { fields: Record<string, unknown> }>(res: Response, view: T): T & { withheld?: string[] } {
  if (mayReadShareDetails(res, view.fields)) return view;
  const { fields, withheld } = withholdShareDetails(view.fields);
  return { ...view, fields, withheld };
}

/** Throws 'forbidden' when a department's token asks for another department's `what`. */
function ownDepartmentOnly(res: Response, departmentId: string, what: string): void {
  const auth = authOf(res);
  if (auth?.role === 'department' && auth.participantId !== departmentId) throw new AppError('forbidden', `a department's token reads ${what} of its own trail only`);
}

export function trailRoutes(api: Api, { ctx, metrics }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;
  const trailDeps = { store: sys.store, reader: ctx.reader, deployment: sys.deployment };
  // Costly answers, cached: a verification per trail head, a receipt per record.
  const verifier = new CachedTrailVerifier(trailDeps);
  const receipts = new CachedReceipts((id) => getShareReceipt(sys, id));

  /** The department a path names; 'not-found' unless it is registered or has records. */
  async function department(ref: string): Promise<string> {
    const id = departmentRef(ref);
    await assertKnownDepartment(sys.store, id);
    return id;
  }
  const tags = ['data-sharing'];
  const noDepartment = errorAnswer('No such department (not-found).');

  // --- share steps -------------------------------------------------------------

  api.route({
    method: 'post',
    path: `${API_PREFIX}/shares`,
    operationId: 'submitShare',
    summary: 'Submit a share step signed by a department key',
    description:
      'No token: the EIP-712 signature is the credential. The record type follows from `record.step` ' +
      '(request → ShareRequest, reply → ShareReply, delivery → ShareDelivery, receipt → ShareReceipt). ' +
      "The signer must be a key registered on chain for the department whose sequence the record is in (`departmentId`), valid at `issuedAt` and at receipt; " +
      '`issuedAt` must lie between ISSUED_AT_MAX_AGE_SECONDS (default 72 h) before and ISSUED_AT_MAX_AHEAD_SECONDS (default 5 min) after the receipt time; salts as for reports; ' +
      "the record must carry that department's next `seq` and, as `prevHash`, the leaf hash of its last record (see GET /api/v1/departments/{id}/head). " +
      "The answer carries the operator's signed receipt (traceledger-receipt-v1) once the record is sequenced, usually at once; `receipt` is null when that took " +
      'longer than a second: ask GET /api/v1/shares/{id}/receipt. Policy violations (delivering outside the validity window, fields beyond those approved…) are accepted and raise alerts.',
    tags,
    auth: ['anyone'],
    limit: 'write',
    body: { schema: ShareBody, invalid: signedBodyRefusal('share record') },
    responses: {
      201: jsonAnswer('Accepted: durably stored; with its receipt.', Acceptance, LOCATION('The share step.')),
      400: errorAnswer('Malformed (invalid-input, invalid-record, bad-signature), a weak salt (weak-salt), or `issuedAt` outside the window of receipt (issued-at-too-old, issued-at-in-future).'),
      403: errorAnswer(
        'The signer may not submit it: a key of another department (forbidden), or unknown-signer, wrong-role, key-not-yet-valid, key-expired, key-revoked, participant-revoked, key-not-valid-at-receipt.',
      ),
      404: errorAnswer('The step it answers (request, reply or delivery) does not exist (not-found).'),
      409: errorAnswer("A replayed record (replay), or not the next of the department's sequence (conflict; `error.details` has expectedSeq, expectedPrevHash and lastRecordId)."),
    },
    handler: async ({ body: { type, salts, signature } }, req, res) => {
      // The record exactly as it was signed (the schema checked it; the signature covers the bytes the department sent).
      const { record } = req.body as { record: Record<string, unknown> };
      const ack = await submitShare(sys, { type, record, salts, signature } as Parameters<typeof submitShare>[1]);
      metrics.accepted(ack.type);
      res.status(201).location(`${API_PREFIX}/shares/${encodeURIComponent(ack.id)}`).json(ack);
    },
  });

  // A share step's details (purpose, fields, conditions…) for its departments and oversight; anyone else gets the trail's skeleton.
  api.route({
    method: 'get',
    path: `${API_PREFIX}/shares/:id`,
    operationId: 'getShare',
    summary: "A share step's public fields, place in the log and status",
    description:
      'With the token of an auditor, the regulator, the operator or a department of the share, every public field. Without it, only the trail fields (id, issuedAt, departmentId, seq, prevHash, step, ' +
      'the two departments, requestId, replyId, deliveryId); `withheld` names the others (purpose, legal basis, requested, approved and delivered ' +
      'fields, conditions, scope, validity, the delivery hash…). Departments have no token: their signature is their credential. The same holds ' +
      "for `GET /api/v1/records/{id}` of a share step and the entries of a department's trail; a share step's bundle needs the admin token.",
    tags,
    auth: ANY_CALLER,
    params: RecordIdParams,
    responses: { 200: jsonAnswer('The share step.', ShareView), 404: errorAnswer('No such share step (not-found).') },
    handler: async ({ params: { id } }, _req, res) => {
      res.json(shareDetailsFor(res, await getShareView(sys.store, publicBaseUrl, id)));
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/shares/:id/receipt`,
    operationId: 'getShareReceipt',
    summary: "The operator's signed receipt of a share step (traceledger-receipt-v1)",
    description:
      'Deterministic: asking again returns the same bytes. Check it against the chain with `traceledger receipts check RECEIPT --rpc URL --server URL`. ' +
      'While the record waits to be sequenced (moments after acceptance) the answer is 202 with a Retry-After header: ask again. ' +
      'Signed once per record, then served from a cache; counts against EXPENSIVE_READS_PER_MINUTE.',
    tags,
    auth: ANY_CALLER,
    limit: 'expensive-read',
    params: RecordIdParams,
    responses: {
      200: jsonAnswer('The receipt.', Receipt),
      202: jsonAnswer('Accepted but not sequenced yet: no receipt yet.', ReceiptPending, { 'Retry-After': { description: 'Seconds to wait before asking again.', schema: z.int() } }),
      404: errorAnswer('No such share step (not-found).'),
    },
    handler: async ({ params: { id } }, _req, res) => {
      const receipt = await receipts.receipt(id);
      if (receipt === null) {
        res
          .status(202)
          .set('Retry-After', String(RECEIPT_RETRY_SECONDS))
          .json({ recordId: id, status: 'accepted', message: `record ${id} is accepted and waits to be sequenced; its receipt is issued within moments: ask again` });
        return;
      }
      res.json(receipt);
    },
  });

  // --- departments and their trails -----------------------------------------------

  api.route({
    method: 'get',
    path: `${API_PREFIX}/departments`,
    operationId: 'listDepartments',
    summary: 'Every registered department (and any department id with records), with record count and last seq',
    tags,
    auth: ['anyone'],
    responses: { 200: jsonAnswer('Departments.', itemsOf(DepartmentSummary)) },
    handler: async (_input, _req, res) => {
      res.json({ items: await listDepartments(sys.store) });
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/departments/:id/head`,
    operationId: 'getDepartmentHead',
    summary: "Where a department's sequence stands: the seq and prevHash its next record must carry",
    description: 'For signing tooling (`traceledger share sign --server URL`).',
    tags,
    auth: ['anyone'],
    params: DepartmentParams,
    responses: { 200: jsonAnswer('The head.', TrailHead), 404: noDepartment },
    handler: async ({ params }, _req, res) => {
      res.json(await trailHead(sys.store, await department(params.id)));
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/departments/:id/trail`,
    operationId: 'getDepartmentTrail',
    summary: "A department's share records in seq order, public fields only",
    description: "Pages by seq: pass the answer's `next` as `from` to read on. Each entry's details are withheld unless the caller holds an auditor's, the regulator's or the admin token, or the token of a department of the share.",
    tags,
    auth: ANY_CALLER,
    params: DepartmentParams,
    query: TrailQuery,
    responses: { 200: jsonAnswer('A page of the trail.', Trail), 404: noDepartment },
    handler: async ({ params, query: { from, to, limit } }, _req, res) => {
      const id = await department(params.id);
      const trail = await getTrail(sys.store, id, { from, to, limit });
      res.json({ ...trail, entries: trail.entries.map((e) => shareDetailsFor(res, e)) });
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/departments/:id/trail/verify`,
    operationId: 'verifyDepartmentTrail',
    summary: "Verifies a department's whole trail in named steps",
    description:
      `Steps: ${TRAIL_STEPS.join(', ')}. Nothing stored is trusted: leaf hashes, record roots and signers are recomputed, the anchored root and key registrations read from the chain. ` +
      'verdict: valid; invalid (a step failed; `firstProblem` names it); pending (nothing failed, but entries wait to be anchored). ' +
      'Cached per trail head: the same answer (timings included) until the department accepts a record or the anchored checkpoint moves; an auditor, the regulator and the operator always get a fresh one. ' +
      'Counts against EXPENSIVE_READS_PER_MINUTE.',
    tags,
    auth: ANY_CALLER,
    limit: 'expensive-read',
    params: DepartmentParams,
    responses: { 200: jsonAnswer('The verification (whatever its verdict).', TrailVerification), 404: noDepartment },
    handler: async ({ params }, _req, res) => {
      // The operator, an auditor or a regulator always gets a fresh verification: only that catches a stored record edited since.
      res.json(await verifier.verify(await department(params.id), { fresh: isOversight(authOf(res)) }));
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/departments/:id/audit-report`,
    operationId: 'getAuditReport',
    summary: "A department's audit report for a period, as JSON or CSV",
    description:
      `${AUDIT_REPORT_FORMAT}: the department's records issued in the period, the verification of its whole trail (steps and verdict), and the alerts it answers for detected in the period. ` +
      'CSV: UTF-8 with a byte order mark (Excel reads the Chinese), a header row, then one row per part of the report, the first column naming it: summary, step, record, alert. ' +
      `Columns: ${AUDIT_CSV_COLUMNS.join(', ')}.`,
    tags: ['audit'],
    auth: ['auditor', 'regulator', 'department'],
    params: DepartmentParams,
    query: AuditReportQuery,
    responses: {
      200: { description: 'The report (CSV as an attachment).', content: { 'application/json': AuditReport, 'text/csv': Text } },
      404: noDepartment,
    },
    handler: async ({ params, query: { format, fromMs, toMs } }, _req, res) => {
      const id = await department(params.id);
      ownDepartmentOnly(res, id, 'an audit report');
      const out = await exportAuditReport(ctx, id, { fromMs, toMs }, format === 'csv' ? 'csv' : 'json');
      const { department: dept, generatedAt } = out.report;
      const name = `audit-report-${dept.uscc ?? id.slice(0, 10)}-${generatedAt.slice(0, 10)}`;
      if (out.format === 'csv') {
        res.type('text/csv; charset=utf-8').attachment(`${name}.csv`).send(out.csv);
        return;
      }
      res.json(out.report);
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/alerts`,
    operationId: 'listAlerts',
    summary: 'Policy alerts raised by the share records, newest first',
    description: `Kinds: ${ALERT_KINDS.join(', ')}. A delivery waits COUNTERSIGN_DAYS days (the answer's countersignDays) for its receipt before receipt-overdue.`,
    tags: ['audit'],
    auth: ['auditor', 'regulator', 'department'],
    query: AlertQuery,
    responses: { 200: jsonAnswer('Alerts.', Alerts) },
    handler: async ({ query: { department: ref } }, _req, res) => {
      const auth = authOf(res);
      // A department's token reads the alerts it answers for; the others read any department's.
      const departmentId = auth?.role === 'department' ? auth.participantId : ref === undefined ? undefined : departmentRef(ref);
      if (auth?.role === 'department' && ref !== undefined && departmentRef(ref) !== departmentId) throw new AppError('forbidden', "a department's token reads its own alerts only");
      const countersignDays = sys.config.COUNTERSIGN_DAYS;
      res.json({ countersignDays, items: await listAlerts({ store: sys.store }, { countersignDays, departmentId }) });
    },
  });

  // --- dataset checks --------------------------------------------------------------

  api.route({
    method: 'post',
    path: `${API_PREFIX}/deliveries/:id/check`,
    operationId: 'checkDelivery',
    summary: 'Does a dataset in hand match what a delivery recorded?',
    description:
      'Either JSON `{ sha256, rowCount? }` (hash the file yourself, e.g. `traceledger dataset check`), or the file itself as the body with ' +
      `Content-Type: application/octet-stream: it is hashed as it streams in, never stored or held whole; at most ${DATASET_UPLOAD_LIMIT / 1024 ** 3} GiB ` +
      '(the JSON body limit does not apply). With an upload, `?rowCount=` adds the row count to compare. Raw data never enters the system: only the hash is compared.',
    tags: ['audit'],
    auth: ['auditor', 'regulator', 'department'],
    params: RecordIdParams,
    query: DeliveryCheckQuery,
    body: { schema: DeliveryCheckBody },
    uploads: [{ contentType: 'application/octet-stream', description: 'the dataset itself, hashed as it streams in.', schema: Binary }],
    responses: {
      200: jsonAnswer('The comparison (match true or false).', DeliveryCheck),
      404: errorAnswer('No such delivery (not-found).'),
      413: errorAnswer(`The JSON body is over 256 kB, or the upload over ${DATASET_UPLOAD_LIMIT} bytes (payload-too-large).`),
    },
    handler: async ({ params: { id }, query: { rowCount }, body }, req, res) => {
      const auth = authOf(res);
      if (auth?.role === 'department') {
        // A department checks a delivery of a share it takes part in.
        const delivery = await sys.store.getRecord(id);
        if (delivery && !mayReadShareDetails(res, delivery.body)) throw new AppError('forbidden', "a department's token checks the deliveries of its own shares only");
      }
      if (body !== undefined) {
        res.json(await checkDelivery(sys.store, id, body));
        return;
      }
      if (!req.headers['content-type']) {
        throw new AppError('invalid-input', 'send JSON { "sha256", "rowCount"? } with Content-Type: application/json, or the file itself with Content-Type: application/octet-stream');
      }
      await checkUpload(req, res, id, rowCount);
    },
  });

  /** Hashes the request body as it streams in; on a refusal before the body is read, the connection closes instead of draining it. */
  async function checkUpload(req: Request, res: Response, id: string, rowCount: number | undefined): Promise<void> {
    try {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > DATASET_UPLOAD_LIMIT) throw new AppError('payload-too-large', `the file is larger than the limit of ${DATASET_UPLOAD_LIMIT} bytes`);
      res.json(await checkDeliveryUpload(sys.store, id, req, { rowCount }));
    } catch (e) {
      if (!req.readableEnded) res.set('Connection', 'close');
      throw e;
    }
  }

  // --- the logs ----------------------------------------------------------------------

  api.route({
    method: 'get',
    path: `${API_PREFIX}/logs/:logId/inclusion`,
    operationId: 'getInclusionProof',
    summary: 'The leaf at an index and its RFC 9162 inclusion proof in the tree of `size` entries',
    description: 'What `traceledger receipts check` asks for, at the size of the checkpoint anchored on chain.',
    tags: ['logs'],
    auth: ['anyone'],
    params: LogParams,
    query: InclusionQuery,
    responses: { 200: jsonAnswer('The proof.', InclusionProof) },
    handler: async ({ params: { logId }, query: { index, size } }, _req, res) => {
      res.json(await logInclusion(sys.store, logId, index, size));
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/logs/:logId/consistency`,
    operationId: 'getConsistencyProof',
    summary: 'The RFC 9162 consistency proof between the trees of size1 and size2 entries, and both roots',
    tags: ['logs'],
    auth: ['anyone'],
    params: LogParams,
    query: ConsistencyQuery,
    responses: { 200: jsonAnswer('The proof.', ConsistencyProof) },
    handler: async ({ params: { logId }, query: { size1, size2 } }, _req, res) => {
      res.json(await logConsistency(sys.store, logId, size1, size2));
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/logs/:logId/monitor`,
    operationId: 'monitorLog',
    summary: 'Replays the whole stored log and compares its root at every anchored checkpoint with the chain',
    description:
      'Every leaf hash is recomputed from its stored entry. `ok: false` names the first divergence (entry-missing, entry-duplicated, root-mismatch, stored-checkpoint-mismatch, checkpoint-not-on-chain).',
    tags: ['audit'],
    auth: ['auditor', 'regulator'],
    params: LogParams,
    responses: { 200: jsonAnswer('The monitor report (ok or the first divergence).', MonitorReport) },
    handler: async ({ params: { logId } }, _req, res) => {
      res.json(await monitorLog({ store: sys.store, reader: ctx.reader }, logId));
    },
  });
}
