/**
 * The audit report of one department for a period (`traceledger-audit-report-v1`): its share
 * records issued in the period, the verification of its whole trail (named steps and verdict),
 * and the alerts it answers for that arose in the period; as JSON, or as CSV for Excel (UTF-8
 * with a byte order mark, one table whose first column names the part of the report).
 */
import type { ServiceContext } from './context';
import { AppError } from '../errors';
import { assertKnownDepartment, getTrail, listAlerts, verifyTrail, type Alert, type TrailEntry, type TrailVerification } from '../trails';
import { signAuditCsv, signAuditJson, type AuditSignature } from '../trails/audit-signature';

/** The only audit report format this code writes. */
export const AUDIT_REPORT_FORMAT = 'traceledger-audit-report-v1';

export interface AuditPeriod {
  /** First instant (inclusive), ms since the epoch; undefined = from the first record. */
  fromMs?: number;
  /** Instant the period ends before (exclusive), ms since the epoch; undefined = up to now. */
  toMs?: number;
}

export interface AuditReport {
  format: typeof AUDIT_REPORT_FORMAT;
  generatedAt: string;
  department: { id: string; name: string | null; uscc: string | null };
  period: { from: string | null; to: string | null };
  chain: { chainId: number; traceLedger: string };
  /** The verification of the department's WHOLE trail (completeness cannot be shown for a slice). */
  verification: Pick<TrailVerification, 'verdict' | 'steps' | 'entries' | 'firstProblem' | 'checkpoint'>;
  /** The department's records issued in the period, in seq order, public fields only. */
  entries: TrailEntry[];
  /** The alerts the department answers for, detected in the period, newest first. */
  alerts: Alert[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const inPeriod = (ms: number, p: AuditPeriod) => (p.fromMs === undefined || ms >= p.fromMs) && (p.toMs === undefined || ms < p.toMs);

/** Builds the audit report of `departmentId`. Throws 'not-found' for an unknown department, 'invalid-input' for an empty period. */
export async function auditReport(ctx: Pick<ServiceContext, 'sys' | 'reader'>, departmentId: string, period: AuditPeriod, now = Date.now()): Promise<AuditReport> {
  const { sys } = ctx;
  if (period.fromMs !== undefined && period.toMs !== undefined && period.fromMs >= period.toMs) throw new AppError('invalid-input', 'from must be before to');
  await assertKnownDepartment(sys.store, departmentId);
  const [verification, alerts] = await Promise.all([
    verifyTrail({ store: sys.store, reader: ctx.reader, deployment: sys.deployment }, departmentId),
    listAlerts({ store: sys.store }, { countersignDays: sys.config.COUNTERSIGN_DAYS, now, departmentId }),
  ]);

  const entries: TrailEntry[] = [];
  let department: AuditReport['department'] = { id: departmentId, name: null, uscc: null };
  for (let from: number | null = 1; from !== null; ) {
    const page = await getTrail(sys.store, departmentId, { from, limit: 5000 });
    if (page.department) department = { id: departmentId, ...page.department };
    for (const e of page.entries) if (inPeriod(Date.parse(e.issuedAt), period)) entries.push(e);
    from = page.next;
  }

  const { verdict, steps, firstProblem, checkpoint } = verification;
  return {
    format: AUDIT_REPORT_FORMAT,
    generatedAt: iso(now),
    department,
    period: { from: period.fromMs === undefined ? null : iso(period.fromMs), to: period.toMs === undefined ? null : iso(period.toMs) },
    chain: { chainId: sys.deployment.chainId, traceLedger: sys.deployment.traceLedger },
    verification: { verdict, steps, entries: verification.entries, ...(firstProblem ? { firstProblem } : {}), checkpoint },
    entries,
    alerts: alerts.filter((a) => inPeriod(Date.parse(a.detectedAt), period)),
  };
}

// ---------------------------------------------------------------------------
// CSV.

/** The columns of the CSV form, bilingual so that the sheet reads in Chinese and parses in English. */
export const AUDIT_CSV_COLUMNS = [
  '部分 section',
  '序号 seq',
  '记录 record',
  '环节 step',
  '时间 time',
  '状态 status',
  '申请部门 requesting',
  '提供部门 providing',
  '目录项 catalogue item',
  '共享类型 share class',
  '字段 fields',
  '数据哈希 data SHA-256',
  '行数 rows',
  '告警 alerts',
  '说明 message',
] as const;

type Row = Record<(typeof AUDIT_CSV_COLUMNS)[number], string | number | null>;

/**
 * An ISO 8601 UTC instant as Beijing time with its offset (2026-04-01T18:00:00+08:00): the time zone the audit page
 * shows, so that the sheet and the page read the same (the JSON keeps UTC). Anything else unchanged.
 */
export function beijingTime(instant: string | null): string | null {
  if (instant === null) return null;
  const ms = Date.parse(instant);
  if (!/Z$/.test(instant) || Number.isNaN(ms)) return instant;
  return `${new Date(ms + 8 * 3600_000).toISOString().replace(/\.\d{3}Z$/, '')}+08:00`;
}

/**
 * One CSV cell: quoted when it holds a separator, quote or line break; a leading =, +, -, @, tab or
 * CR is neutralised with an apostrophe so that a spreadsheet never runs it as a formula.
 */
export function csvCell(value: string | number | null): string {
  let s = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const blank = (): Row => Object.fromEntries(AUDIT_CSV_COLUMNS.map((c) => [c, null])) as Row;
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});
const list = (v: unknown): string => (Array.isArray(v) ? v.join(' ') : '');

/** What a record row says in its message column: the request's purpose, the reply's decision, nothing otherwise. */
function entryMessage(e: TrailEntry): string | null {
  if (e.step === 'request') return typeof e.fields.purpose === 'string' ? e.fields.purpose : null;
  if (e.step === 'reply') {
    const reply = obj(e.fields.reply);
    return reply.decision === 'refuse' ? `拒绝 refused: ${String(reply.refusalReason ?? '')}` : '同意 approved';
  }
  return null;
}

function entryRow(e: TrailEntry, alertsOf: Map<string, Alert[]>): Row {
  const f = e.fields;
  const item = obj(f.catalogueItem);
  const data = obj(e.step === 'receipt' ? f.received : f.delivery);
  const fields = e.step === 'request' ? f.fieldsRequested : e.step === 'reply' ? f.fieldsApproved : e.step === 'delivery' ? f.fieldsDelivered : undefined;
  return {
    ...blank(),
    '部分 section': 'record',
    '序号 seq': e.seq,
    '记录 record': e.recordId,
    '环节 step': e.step,
    '时间 time': beijingTime(e.issuedAt),
    '状态 status': e.status,
    '申请部门 requesting': String(obj(f.requestingDepartment).name ?? ''),
    '提供部门 providing': String(obj(f.providingDepartment).name ?? ''),
    '目录项 catalogue item': item.id === undefined ? null : `${String(item.id)} v${String(item.version)}`,
    '共享类型 share class': typeof f.shareClass === 'string' ? f.shareClass : null,
    '字段 fields': list(fields),
    '数据哈希 data SHA-256': typeof data.dataSha256 === 'string' ? data.dataSha256 : null,
    '行数 rows': typeof data.rowCount === 'number' ? data.rowCount : null,
    '告警 alerts': (alertsOf.get(e.recordId) ?? []).map((a) => a.kind).join(' '),
    '说明 message': entryMessage(e),
  };
}

/**
 * The report as CSV: a summary row, one row per verification step, per record, per alert; times in Beijing time
 * (+08:00) as on the audit page. Starts with a UTF-8 byte order mark.
 */
export function auditReportCsv(r: AuditReport): string {
  const alertsOf = new Map<string, Alert[]>();
  for (const a of r.alerts) for (const id of a.recordIds) alertsOf.set(id, [...(alertsOf.get(id) ?? []), a]);
  const period = `${beijingTime(r.period.from) ?? '…'} – ${beijingTime(r.period.to) ?? '…'}`;
  const cp = r.verification.checkpoint;
  const rows: Row[] = [
    {
      ...blank(),
      '部分 section': 'summary',
      '时间 time': beijingTime(r.generatedAt),
      '状态 status': r.verification.verdict,
      '告警 alerts': r.alerts.length,
      '说明 message': `${r.department.name ?? '?'} (${r.department.uscc ?? '?'}, ${r.department.id}) · period ${period} · ${r.entries.length} of ${r.verification.entries} records in the period · chain ${r.chain.chainId} TraceLedger ${r.chain.traceLedger}${cp ? ` · checkpoint ${cp.size} root ${cp.root}` : ''}`,
    },
    ...r.verification.steps.map((s): Row => ({ ...blank(), '部分 section': 'step', '环节 step': s.step, '状态 status': s.status, '说明 message': s.message })),
    ...r.entries.map((e) => entryRow(e, alertsOf)),
    ...r.alerts.map(
      (a): Row => ({
        ...blank(),
        '部分 section': 'alert',
        '记录 record': a.recordIds.join(' '),
        '环节 step': a.kind,
        '时间 time': beijingTime(a.detectedAt),
        '状态 status': a.severity,
        '告警 alerts': a.id,
        '说明 message': `${a.message_zh} / ${a.message_en}`,
      }),
    ),
  ];
  const lines = [AUDIT_CSV_COLUMNS.map(csvCell).join(','), ...rows.map((row) => AUDIT_CSV_COLUMNS.map((c) => csvCell(row[c])).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** An audit report as exported: signed by the operator's key (../trails/audit-signature.ts), as JSON or CSV. */
export type AuditExport = { format: 'json'; report: AuditReport & { signature: AuditSignature } } | { format: 'csv'; csv: string; report: AuditReport };

/** The audit report of `departmentId` for `period`, signed, as JSON or CSV (see {@link auditReport}). */
export async function exportAuditReport(ctx: Pick<ServiceContext, 'sys' | 'reader'>, departmentId: string, period: AuditPeriod, format: 'json' | 'csv', now = Date.now()): Promise<AuditExport> {
  const report = await auditReport(ctx, departmentId, period, now);
  const subject = { departmentId, generatedAt: report.generatedAt, chainId: report.chain.chainId, traceLedger: report.chain.traceLedger };
  if (format === 'csv') return { format, csv: await signAuditCsv(ctx.sys.operator, subject, auditReportCsv(report)), report };
  return { format, report: await signAuditJson(ctx.sys.operator, subject, report) };
}
