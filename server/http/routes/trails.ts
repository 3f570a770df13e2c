/**
 * Data-sharing trails: departments submit signed share steps (no token: the signature is the
 * credential) and get the operator's receipt; anyone reads a department's trail (its skeleton: ids, steps, times,
 * hashes; the details of each step need the admin token, see trails/details.ts), its head and
 * its verification, and the log's inclusion and consistency proofs; the auditor (admin token)
 * sees the alerts, exports audit reports, checks a dataset against its delivery and runs the log
 * monitor.
 */
import type { IRouter, Request, Response } from 'express';
import { AppError } from '../../errors';
import { auditReport, auditReportCsv } from '../../service/audit-report';
import { DATASET_UPLOAD_LIMIT, checkDeliveryUpload, departmentRef, getShareReceipt, getShareView, logConsistency, logInclusion, submitShare } from '../../service/shares';
import { CachedReceipts, CachedTrailVerifier, assertKnownDepartment, checkDelivery, getTrail, listAlerts, listDepartments, monitorLog, trailHead, withholdShareDetails } from '../../trails';
import { authOf } from '../auth';
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
} from '../schemas';
import { API_PREFIX, type RouteDeps } from './deps';

/** Seconds a client waits before asking again for a receipt that is not issued yet. */
const RECEIPT_RETRY_SECONDS = 1;

/** `view` as the caller may read it: whole for the admin (auditor) token, else its `fields` cut to the trail's skeleton, naming what was withheld. */
export function shareDetailsFor<T extends { fields: Record<string, unknown> }>(res: Response, view: T): T & { withheld?: string[] } {
  if (authOf(res)?.role === 'admin') return view;
  const { fields, withheld } = withholdShareDetails(view.fields);
  return { ...view, fields, withheld };
}

/** True when the request body is JSON (already parsed by the API's JSON parser). */
const isJson = (req: Request) => typeof req.is('application/json') === 'string';

export function trailRoutes(r: IRouter, { ctx, auth, writeLimit, expensiveReadLimit, metrics }: RouteDeps): void {
  const { sys, publicBaseUrl } = ctx;
  const trailDeps = { store: sys.store, reader: ctx.reader, deployment: sys.deployment };
  // Costly answers, cached: a verification per trail head, a receipt per record.
  const verifier = new CachedTrailVerifier(trailDeps);
  const receipts = new CachedReceipts((id) => getShareReceipt(sys, id));

  /** The department a path names; 'not-found' unless it is registered or has records. */
  async function department(req: Request): Promise<string> {
    const id = departmentRef(DepartmentParams.parse(req.params).id);
    await assertKnownDepartment(sys.store, id);
    return id;
  }

  // --- share steps -------------------------------------------------------------

  r.post('/shares', writeLimit, async (req, res) => {
    const ack = await submitShare(sys, ShareBody.parse(req.body));
    metrics.accepted(ack.type);
    res.status(201).location(`${API_PREFIX}/shares/${encodeURIComponent(ack.id)}`).json(ack);
  });

  // A share step's details (purpose, fields, conditions…) for the auditor only; anyone else gets the trail's skeleton.
  r.get('/shares/:id', auth.optional, async (req, res) => {
    const { id } = RecordIdParams.parse(req.params);
    res.json(shareDetailsFor(res, await getShareView(sys.store, publicBaseUrl, id)));
  });

  r.get('/shares/:id/receipt', auth.optional, expensiveReadLimit, async (req, res) => {
    const { id } = RecordIdParams.parse(req.params);
    const receipt = await receipts.receipt(id);
    if (receipt === null) {
      res
        .status(202)
        .set('Retry-After', String(RECEIPT_RETRY_SECONDS))
        .json({ recordId: id, status: 'accepted', message: `record ${id} is accepted and waits to be sequenced; its receipt is issued within moments: ask again` });
      return;
    }
    res.json(receipt);
  });

  // --- departments and their trails -----------------------------------------------

  r.get('/departments', async (_req, res) => {
    res.json({ items: await listDepartments(sys.store) });
  });

  r.get('/departments/:id/head', async (req, res) => {
    res.json(await trailHead(sys.store, await department(req)));
  });

  r.get('/departments/:id/trail', auth.optional, async (req, res) => {
    const id = await department(req);
    const { from, to, limit } = TrailQuery.parse(req.query);
    const trail = await getTrail(sys.store, id, { from, to, limit });
    res.json({ ...trail, entries: trail.entries.map((e) => shareDetailsFor(res, e)) });
  });

  r.get('/departments/:id/trail/verify', auth.optional, expensiveReadLimit, async (req, res) => {
    // The auditor (admin token) always gets a fresh verification: only it can catch a stored record edited since.
    res.json(await verifier.verify(await department(req), { fresh: authOf(res)?.role === 'admin' }));
  });

  r.get('/departments/:id/audit-report', auth.requireAdmin, async (req, res) => {
    const id = await department(req);
    const { format, fromMs, toMs } = AuditReportQuery.parse(req.query);
    const report = await auditReport(ctx, id, { fromMs, toMs });
    const name = `audit-report-${report.department.uscc ?? id.slice(0, 10)}-${report.generatedAt.slice(0, 10)}`;
    if (format === 'csv') {
      res.type('text/csv; charset=utf-8').attachment(`${name}.csv`).send(auditReportCsv(report));
      return;
    }
    res.json(report);
  });

  r.get('/alerts', auth.requireAdmin, async (req, res) => {
    const { department: ref } = AlertQuery.parse(req.query);
    const departmentId = ref === undefined ? undefined : departmentRef(ref);
    const countersignDays = sys.config.COUNTERSIGN_DAYS;
    res.json({ countersignDays, items: await listAlerts({ store: sys.store }, { countersignDays, departmentId }) });
  });

  // --- dataset checks --------------------------------------------------------------

  r.post('/deliveries/:id/check', auth.requireAdmin, async (req, res) => {
    const { id } = RecordIdParams.parse(req.params);
    if (isJson(req)) {
      res.json(await checkDelivery(sys.store, id, DeliveryCheckBody.parse(req.body)));
      return;
    }
    if (!req.headers['content-type']) {
      throw new AppError('invalid-input', 'send JSON { "sha256", "rowCount"? } with Content-Type: application/json, or the file itself with Content-Type: application/octet-stream');
    }
    await checkUpload(req, res, id);
  });

  /** Hashes the request body as it streams in; on a refusal before the body is read, the connection closes instead of draining it. */
  async function checkUpload(req: Request, res: Response, id: string): Promise<void> {
    try {
      const { rowCount } = DeliveryCheckQuery.parse(req.query);
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > DATASET_UPLOAD_LIMIT) throw new AppError('payload-too-large', `the file is larger than the limit of ${DATASET_UPLOAD_LIMIT} bytes`);
      res.json(await checkDeliveryUpload(sys.store, id, req, { rowCount }));
    } catch (e) {
      if (!req.readableEnded) res.set('Connection', 'close');
      throw e;
    }
  }

  // --- the logs ----------------------------------------------------------------------

  r.get('/logs/:logId/inclusion', async (req, res) => {
    const { logId } = LogParams.parse(req.params);
    const { index, size } = InclusionQuery.parse(req.query);
    res.json(await logInclusion(sys.store, logId, index, size));
  });

  r.get('/logs/:logId/consistency', async (req, res) => {
    const { logId } = LogParams.parse(req.params);
    const { size1, size2 } = ConsistencyQuery.parse(req.query);
    res.json(await logConsistency(sys.store, logId, size1, size2));
  });

  r.get('/logs/:logId/monitor', auth.requireAdmin, async (req, res) => {
    const { logId } = LogParams.parse(req.params);
    res.json(await monitorLog({ store: sys.store, reader: ctx.reader }, logId));
  });
}
