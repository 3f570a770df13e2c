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

export const CLAIM_KINDS = ['selenium-rich', 'selenium-containing', 'below-range', 'above-range', 'no-standard', 'no-report', 'report-revoked', 'batch-revoked', 'pending', 'invalid'] as const;
export type ClaimKind = (typeof CLAIM_KINDS)[number];
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

const TONES: Record<ClaimKind, ClaimTone> = {
  'selenium-rich': 'good',
  'selenium-containing': 'good',
  'below-range': 'warn',
  'above-range': 'warn',
  'no-standard': 'warn',
  'no-report': 'warn',
  pending: 'warn',
  'report-revoked': 'bad',
  'batch-revoked': 'bad',
  invalid: 'bad',
};

/** The headline and its line of detail, as message codes (server/verification/messages). */
const CLAIM_MESSAGES: Record<ClaimKind, { headline: MessageCode; detail: MessageCode }> = {
  'selenium-rich': { headline: 'claimSeleniumRich', detail: 'classified' },
  'selenium-containing': { headline: 'claimSeleniumContaining', detail: 'classified' },
  'below-range': { headline: 'claimBelowRange', detail: 'classified' },
  'above-range': { headline: 'claimAboveRange', detail: 'classified' },
  'no-standard': { headline: 'claimNoStandard', detail: 'claimNoStandardDetail' },
  'no-report': { headline: 'claimNoReport', detail: 'claimNoReportDetail' },
  'report-revoked': { headline: 'claimReportRevoked', detail: 'claimReportRevokedDetail' },
  'batch-revoked': { headline: 'claimBatchRevoked', detail: 'claimBatchRevokedDetail' },
  pending: { headline: 'claimPending', detail: 'claimPendingDetail' },
  invalid: { headline: 'claimInvalid', detail: 'claimInvalidDetail' },
};

const make = (kind: ClaimKind, more: Partial<Omit<BatchClaim, 'kind' | 'tone'>> = {}): BatchClaim => ({ kind, tone: TONES[kind], reportId: null, standard: null, revokedAt: null, reason: null, detail: null, ...more });

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Newest first: issue date, then log position (not yet anchored = newest), then signed issuedAt, then id. */
function newestFirst(a: VerificationResult, b: VerificationResult): number {
  const fa = a.record?.fields ?? {};
  const fb = b.record?.fields ?? {};
  const pos = (r: VerificationResult) => r.anchor?.leafIndex ?? Number.MAX_SAFE_INTEGER;
  return str(fb.issueDate).localeCompare(str(fa.issueDate)) || pos(b) - pos(a) || str(fb.issuedAt).localeCompare(str(fa.issuedAt)) || str(a.record?.id).localeCompare(str(b.record?.id));
}

/** The claim of a verified batch and its verified reports (see the rules above). */
export function claimOf(batch: VerificationResult, reports: readonly VerificationResult[], missingReportIds: readonly string[]): BatchClaim {
  if (batch.verdict === 'invalid' || reports.some((r) => r.verdict === 'invalid')) return make('invalid');
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

/** The claim's headline and line of detail in `lang`, from the one message table. */
export function claimText(claim: BatchClaim, lang: Lang): { headline: string; detail: string } {
  const codes = CLAIM_MESSAGES[claim.kind];
  const params: Params = { standard: claim.standard?.code ?? '?', at: claim.revokedAt ?? '?', reason: claim.reason ?? 'unknown', zh: claim.detail?.zh ?? '', en: claim.detail?.en ?? '' };
  return { headline: messageText(codes.headline, params, lang), detail: messageText(codes.detail, params, lang) };
}
