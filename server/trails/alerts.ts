/**
 * Policy alerts an auditor expects (ARCHITECTURE.md, domain §5), computed from the stored share records: data
 * delivered outside the validity window, a 不予共享 item delivered, a 有条件 item approved or
 * delivered without a legal basis, fields delivered beyond those approved, a delivery not
 * countersigned within N days, and a gap in a department's own sequence. Ingest records these
 * violations instead of refusing them; this module raises them.
 */
import type { ShareDelivery, ShareReceipt, ShareRecord, ShareReply, ShareRequest } from '../records';
import type { Store, StoredRecord } from '../store/types';
import { departmentIdOf } from './lifecycle';

export const ALERT_KINDS = [
  'delivered-outside-validity',
  'not-shared-item-delivered',
  'conditional-without-legal-basis',
  'fields-beyond-approved',
  'receipt-overdue',
  'sequence-gap',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export type AlertSeverity = 'high' | 'medium';

export interface Alert {
  /** Stable: the same violation has the same id every time it is computed (`{kind}:{recordIds joined by +}`). */
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  /** The department answerable for it (谁管理谁负责、谁使用谁负责): the provider for deliveries, the requester for receipts. */
  departmentId: string;
  /** The records involved, the one that raised the alert first. */
  recordIds: string[];
  message_en: string;
  message_zh: string;
  /** When the violation happened (from the records, so it does not move between runs). */
  detectedAt: string;
}

export interface AlertOptions {
  /** Days a delivery may wait for its receipt (config COUNTERSIGN_DAYS). */
  countersignDays: number;
  /** The time to judge overdue receipts at (default: now). */
  now?: Date | number;
  /** Only alerts answerable by this department. */
  departmentId?: string;
}

const SEVERITY: Record<AlertKind, AlertSeverity> = {
  'delivered-outside-validity': 'high',
  'not-shared-item-delivered': 'high',
  'conditional-without-legal-basis': 'high',
  'fields-beyond-approved': 'high',
  'receipt-overdue': 'medium',
  'sequence-gap': 'high',
};

const DAY_MS = 24 * 3600 * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Every share record, by kind of step, and each department's trail in seq order. */
interface ShareIndex {
  requests: Map<string, ShareRequest>;
  replies: Map<string, ShareReply>;
  repliesByRequest: Map<string, ShareReply[]>;
  deliveries: ShareDelivery[];
  deliveriesByRequest: Map<string, ShareDelivery[]>;
  receiptsByDelivery: Map<string, ShareReceipt[]>;
  trails: Map<string, StoredRecord[]>;
}

async function loadShares(store: Store): Promise<ShareIndex> {
  const index: ShareIndex = { requests: new Map(), replies: new Map(), repliesByRequest: new Map(), deliveries: [], deliveriesByRequest: new Map(), receiptsByDelivery: new Map(), trails: new Map() };
  for (const { departmentId } of await store.trailSummaries()) {
    const trail: StoredRecord[] = [];
    let after: { seq: number; arrival: number } | undefined;
    for (;;) {
      const page = await store.trailRecords(departmentId, { after, limit: 5000 });
      trail.push(...page);
      const last = page[page.length - 1];
      if (!last || page.length < 5000) break;
      after = { seq: Number(last.body.seq), arrival: last.arrival };
    }
    index.trails.set(departmentId, trail);
    for (const r of trail) {
      const body = r.body as unknown as ShareRecord;
      if (body.step === 'request') index.requests.set(body.id, body);
      else if (body.step === 'reply') {
        index.replies.set(body.id, body);
        push(index.repliesByRequest, body.requestId, body);
      } else if (body.step === 'delivery') {
        index.deliveries.push(body);
        push(index.deliveriesByRequest, body.requestId, body);
      } else if (body.step === 'receipt') push(index.receiptsByDelivery, body.deliveryId, body);
    }
  }
  return index;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function alert(kind: AlertKind, departmentId: string, recordIds: string[], at: string, en: string, zh: string): Alert {
  return { id: `${kind}:${recordIds.join('+')}`, kind, severity: SEVERITY[kind], departmentId, recordIds, message_en: en, message_zh: zh, detectedAt: at };
}

/** The alerts raised by the stored share records, newest first. */
export async function listAlerts(deps: { store: Store }, opts: AlertOptions): Promise<Alert[]> {
  const now = opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  const shares = await loadShares(deps.store);
  const alerts: Alert[] = [];
  for (const delivery of shares.deliveries) alerts.push(...deliveryAlerts(shares, delivery, now, opts.countersignDays));
  for (const request of shares.requests.values()) {
    const a = legalBasisAlert(shares, request);
    if (a) alerts.push(a);
  }
  for (const [departmentId, trail] of shares.trails) alerts.push(...sequenceAlerts(departmentId, trail));
  return alerts
    .filter((a) => opts.departmentId === undefined || a.departmentId === opts.departmentId)
    .sort((a, b) => (a.detectedAt === b.detectedAt ? a.id.localeCompare(b.id) : a.detectedAt < b.detectedAt ? 1 : -1));
}

function deliveryAlerts(shares: ShareIndex, d: ShareDelivery, now: number, countersignDays: number): Alert[] {
  const out: Alert[] = [];
  const request = shares.requests.get(d.requestId);
  const reply = shares.replies.get(d.replyId);
  const at = d.issuedAt;
  const item = `${d.catalogueItem.id} v${d.catalogueItem.version}`;

  const validity = (reply?.reply.decision === 'approve' ? reply.validity : undefined) ?? request?.validity;
  const deliveredAt = d.delivery.deliveredAt;
  if (validity && (deliveredAt < validity.from || deliveredAt > validity.to)) {
    out.push(
      alert(
        'delivered-outside-validity',
        d.departmentId,
        [d.id],
        at,
        `Delivery ${d.id} of ${item} was made at ${deliveredAt}, outside the validity window ${validity.from} – ${validity.to}.`,
        `交付 ${d.id}（目录项 ${item}）的交付时间 ${deliveredAt} 不在共享有效期 ${validity.from} 至 ${validity.to} 内。`,
      ),
    );
  }

  if (request?.shareClass === 'not-shared') {
    out.push(
      alert(
        'not-shared-item-delivered',
        d.departmentId,
        [d.id, request.id],
        at,
        `Delivery ${d.id} shares catalogue item ${item}, which is classed not-shared (不予共享).`,
        `交付 ${d.id} 共享了不予共享的目录项 ${item}。`,
      ),
    );
  }

  const approved = new Set(reply?.reply.decision === 'approve' ? reply.fieldsApproved : []);
  const beyond = d.fieldsDelivered.filter((f) => !approved.has(f));
  if (beyond.length > 0) {
    const why = !reply ? 'no reply approved any field' : reply.reply.decision === 'refuse' ? 'the request was refused' : `approved: ${reply.fieldsApproved.join(', ')}`;
    out.push(
      alert(
        'fields-beyond-approved',
        d.departmentId,
        reply ? [d.id, reply.id] : [d.id],
        at,
        `Delivery ${d.id} includes fields that were not approved: ${beyond.join(', ')} (${why}).`,
        `交付 ${d.id} 包含未经批准的字段：${beyond.join('、')}。`,
      ),
    );
  }

  const receipts = shares.receiptsByDelivery.get(d.id) ?? [];
  const due = Date.parse(deliveredAt) + countersignDays * DAY_MS;
  const countersigned = receipts.some((r) => Date.parse(r.issuedAt) <= due);
  if (!countersigned && now > due) {
    const requester = request?.departmentId ?? departmentIdOf(d.requestingDepartment.uscc);
    out.push(
      alert(
        'receipt-overdue',
        requester,
        [d.id],
        iso(due),
        `Delivery ${d.id} to ${d.requestingDepartment.name} was not countersigned within ${countersignDays} days (due ${iso(due)})${receipts.length > 0 ? '; the receipt came late' : ''}.`,
        `交付 ${d.id} 在 ${countersignDays} 日内（截止 ${iso(due)}）未获${d.requestingDepartment.name}签收${receipts.length > 0 ? '（回执逾期）' : ''}。`,
      ),
    );
  }
  return out;
}

/** A conditional item approved or delivered while its request states no legal basis. */
function legalBasisAlert(shares: ShareIndex, request: ShareRequest): Alert | null {
  if (request.shareClass !== 'conditional' || request.legalBasis !== undefined) return null;
  const approvals = (shares.repliesByRequest.get(request.id) ?? []).filter((r) => r.reply.decision === 'approve');
  const deliveries = shares.deliveriesByRequest.get(request.id) ?? [];
  const acts = [...approvals, ...deliveries].sort((a, b) => (a.issuedAt < b.issuedAt ? -1 : a.issuedAt > b.issuedAt ? 1 : 0));
  const first = acts[0];
  if (!first) return null;
  const item = `${request.catalogueItem.id} v${request.catalogueItem.version}`;
  const done = deliveries.length > 0 ? 'delivered' : 'approved';
  return alert(
    'conditional-without-legal-basis',
    first.departmentId,
    [request.id, ...acts.map((a) => a.id)],
    first.issuedAt,
    `Catalogue item ${item} is conditional (有条件共享) and was ${done} for request ${request.id}, which states no legal basis.`,
    `有条件共享的目录项 ${item} 在申请 ${request.id} 未说明法律依据的情况下被${deliveries.length > 0 ? '交付' : '批准'}。`,
  );
}

/** Gaps and repeats in a department's own sequence (records deleted, or inserted around the lifecycle rules). */
function sequenceAlerts(departmentId: string, trail: readonly StoredRecord[]): Alert[] {
  const out: Alert[] = [];
  let expected = 1;
  let prev: StoredRecord | undefined;
  for (const r of trail) {
    const seq = Number(r.body.seq);
    if (seq > expected) {
      const missing = seq - 1 === expected ? `seq ${expected}` : `seq ${expected}–${seq - 1}`;
      const missingZh = seq - 1 === expected ? `第 ${expected} 号` : `第 ${expected}–${seq - 1} 号`;
      out.push(
        alert(
          'sequence-gap',
          departmentId,
          prev ? [prev.id, r.id] : [r.id],
          r.issuedAt,
          `The department's own record sequence has a gap: ${missing} missing before record ${r.id} (seq ${seq}).`,
          `部门自身记录序号不连续：记录 ${r.id}（第 ${seq} 号）之前缺少${missingZh}。`,
        ),
      );
    } else if (seq < expected) {
      out.push(
        alert(
          'sequence-gap',
          departmentId,
          prev ? [prev.id, r.id] : [r.id],
          r.issuedAt,
          `The department's own record sequence repeats seq ${seq} (record ${r.id}).`,
          `部门自身记录序号重复：第 ${seq} 号出现多次（记录 ${r.id}）。`,
        ),
      );
    }
    expected = Math.max(expected, seq + 1);
    prev = r;
  }
  return out;
}
