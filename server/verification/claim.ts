/**
 * The claim a label can make, from the verified batch and its verified reports: the one sentence the
 * consumer page puts at the top, computed here so that the server's page and the phone's own check agree.
 *
 * Rules, in order (the first that applies):
 * 1. `invalid`: the batch or any report attached to it failed a step (forged, tampered, another batch's).
 * 2. `batch-revoked`: the batch itself was revoked (a recall), with its date and reason.
 * 3. `pending`: the batch is not proven yet (not anchored, or the chain could not be read).
 * 4. The reports left (each valid, pending or revoked) are ordered newest first: by the lab's issue date,
 *    then by log position (the server's receipt order; a report not yet in an anchored checkpoint counts
 *    as the newest), then by the signed issuedAt, then by id. The newest one decides:
 *    - revoked: `report-revoked`, with its date and reason (a revoked report with a valid newer one does
 *      not decide: the newer one does);
 *    - pending: `pending`;
 *    - valid: its computed tier (`selenium-rich`, `selenium-containing`, `below-range`, `above-range`,
 *      or `no-standard` when no standard covers the result or the batch's category).
 * 5. No report: `pending` when the batch lists reports that are not on record yet, else `no-report`.
 *
 * Only `selenium-rich` and `selenium-containing` are good news (green); a revoked or invalid claim is bad
 * (red); everything else is a warning (amber).
 */
import type { StandardRef } from '../standards/classify';
import { messageText, type Lang, type MessageCode, type Params } from './messages';
import type { VerificationResult } from './verify';

/** The tier kinds rest on the deciding report's classification; the others on what was (not) proven. */
export type ClaimKind = 'selenium-rich' | 'selenium-containing' | 'below-range' | 'above-range' | 'no-standard' | 'no-report' | 'report-revoked' | 'batch-revoked' | 'pending' | 'invalid';
export type ClaimTone = 'good' | 'warn' | 'bad';

export interface BatchClaim {
  kind: ClaimKind;
  tone: ClaimTone;
  /** The report the claim rests on (the newest one that is not invalid), if any. */
  reportId: string | null;
  /** The standard the deciding report was classified under (tier kinds). */
  standard: StandardRef | null;
  /** For `report-revoked` and `batch-revoked`: when (ISO instant) and why (a REVOCATION_REASONS name). */
  revokedAt: string | null;
  reason: string | null;
  /** The deciding report's classification, in both languages (tier kinds). */
  detail: { zh: string; en: string } | null;
}

const toneOf = (kind: ClaimKind): ClaimTone => (kind === 'selenium-rich' || kind === 'selenium-containing' ? 'good' : kind === 'invalid' || kind.endsWith('-revoked') ? 'bad' : 'warn');

const make = (kind: ClaimKind, more: Partial<Omit<BatchClaim, 'kind' | 'tone'>> = {}): BatchClaim => ({ kind, tone: toneOf(kind), reportId: null, standard: null, revokedAt: null, reason: null, detail: null, ...more });

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Newest first: issue date, then log position (not yet anchored = newest), then signed issuedAt, then id. */
function newestFirst(a: VerificationResult, b: VerificationResult): number {
  const fa = a.record?.fields ?? {};
  const fb = b.record?.fields ?? {};
  const pos = (r: VerificationResult) => r.anchor?.leafIndex ?? Number.MAX_SAFE_INTEGER;
  return str(fb.issueDate).localeCompare(str(fa.issueDate)) || pos(b) - pos(a) || str(fb.issuedAt).localeCompare(str(fa.issuedAt)) || str(a.record?.id).localeCompare(str(b.record?.id));
}

/** The claim of a verified batch and its verified reports (see the rules above); any lost record makes it invalid. */
export function claimOf(batch: VerificationResult, reports: readonly VerificationResult[], missingReportIds: readonly string[], lostRecords = 0): BatchClaim {
  if (lostRecords > 0 || batch.verdict === 'invalid' || reports.some((r) => r.verdict === 'invalid')) return make('invalid');
  if (batch.verdict === 'revoked') return make('batch-revoked', { revokedAt: batch.revocation?.revokedAt ?? null, reason: batch.revocation?.reason ?? 'unknown' });
  if (batch.verdict === 'pending') return make('pending');
  const newest = [...reports].sort(newestFirst)[0];
  if (!newest) return make(missingReportIds.length > 0 ? 'pending' : 'no-report');
  const reportId = newest.record?.id ?? null;
  if (newest.verdict === 'revoked') return make('report-revoked', { reportId, revokedAt: newest.revocation?.revokedAt ?? null, reason: newest.revocation?.reason ?? 'unknown' });
  if (newest.verdict === 'pending') return make('pending', { reportId });
  const c = newest.classification;
  if (!c || c.tier === 'no-standard') return make('no-standard', { reportId });
  return make(c.tier, { reportId, standard: c.standard, detail: { zh: c.reason_zh, en: c.reason_en } });
}

/** Standard codes, dates and amounts in a claim's sentences that a narrow screen must not break (NY/T 600-|2002). */
export const UNBREAKABLE = /[A-Z][A-Z0-9]*\/?T? ?\d[\d.]*-\d{4}|\d{4}-\d{2}-\d{2}|\d[\d.–]* ?mg\/kg/g;

/**
 * The claim's headline and line of detail in `lang`, from the one message table: the headline's code is
 * `claim` + the kind in PascalCase (claimSeleniumRich…), its detail the classification for the tier kinds
 * (`classified`), else the headline's code + `Detail`.
 */
export function claimText(claim: BatchClaim, lang: Lang): { headline: string; detail: string } {
  const headline = `claim${claim.kind.replace(/(?:^|-)(\w)/g, (_, c: string) => c.toUpperCase())}` as MessageCode;
  const detail = (claim.detail ? 'classified' : `${headline}Detail`) as MessageCode;
  const params: Params = { standard: claim.standard?.code ?? '?', at: claim.revokedAt ?? '?', reason: claim.reason ?? 'unknown', zh: claim.detail?.zh ?? '', en: claim.detail?.en ?? '' };
  return { headline: messageText(headline, params, lang), detail: messageText(detail, params, lang) };
}
