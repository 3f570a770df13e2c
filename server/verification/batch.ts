/**
 * What a consumer's scan checks: a batch's bundle and its lab reports' bundles, each through the verifier,
 * each report classified with the batch's own verified product category and checked to name this batch,
 * one verdict for the label, and the claim the label may make (./claim). Isomorphic: the server's page and
 * the phone's browser run this code.
 *
 * A report counts on the batch only by consent or by authority (ARCHITECTURE.md, "Trust model"): the batch lists it,
 * or the producer commissioned its lab (on the batch, `commissionedLabs`, or afterwards, a LabCommission bundle
 * attested by the same key as the batch), or its lab was designated by the regulator for official spot checks
 * (监督抽检) when it issued the report (read on chain). Any other report is shown as not counted: it changes
 * neither the verdict nor the claim, so a stranger lab cannot spoil a batch's page. A report that fails
 * verification still counts: a tampered bundle cannot show whose report it is, and tampering must show.
 */
import { listCategories } from '../standards/classify';
import { instantToSeconds } from '../records/time';
import type { ChainReader } from './chain';
import { claimOf, type BatchClaim } from './claim';
import { messageText, type MessageCode, type Params } from './messages';
import { mergeVerdicts, verifyBundle, type StepResult, type TrustRoot, type VerificationResult, type Verdict } from './verify';

/** The batch-level steps each report gets after the verifier's own. */
export const BATCH_REPORT_STEPS = ['checkReportSubject', 'checkReportBasis'] as const;

/** Why a report counts on a batch: listed by it, its lab commissioned by the producer, or an official spot check. */
export type ReportBasis = 'listed' | 'commissioned' | 'spot-check';

export interface BatchReportResult {
  /** The verifier's result with the batch-level steps appended, and the verdict they give. */
  result: VerificationResult;
  /** Listed in the batch's signed reportIds. */
  listedByBatch: boolean;
  /** Why the report counts on the batch; null when nothing ties it to the batch's producer or the regulator. */
  basis: ReportBasis | null;
  /**
   * False when `basis` is null and the report verifies (valid, pending or revoked): it then affects neither the
   * verdict nor the claim. An invalid report always counts (its bundle cannot show whose it is).
   */
  counted: boolean;
}

export interface BatchVerification {
  verdict: Verdict;
  batch: VerificationResult;
  reports: BatchReportResult[];
  /** The lab commissions given, each verified; only valid ones naming this batch, attested like it, count. */
  commissions: { result: VerificationResult; counted: boolean }[];
  /** Report ids the batch lists that are not among the bundles (not on record yet), and not reported lost. */
  missingReportIds: string[];
  /** Records the server reported lost or damaged (VerifyBatchOptions.lostRecords): each makes the verdict invalid. */
  lostRecords: { id: string; reason: string }[];
  /** The batch's verified product category, and whether the threshold table knows it. */
  category: { key: string; known: boolean } | null;
  /** True when every record was checked against a chain endpoint. */
  chainChecked: boolean;
  /** What the label may claim: the consumer page's headline (rules in ./claim). */
  claim: BatchClaim;
}

export interface BatchBundles {
  batch: unknown;
  reports: readonly unknown[];
  /** LabCommission bundles of the batch (the producer commissioning labs after registering it). */
  commissions?: readonly unknown[] | undefined;
}

export interface VerifyBatchOptions {
  chain?: ChainReader | undefined;
  /** The chain id and TraceLedger trusted (see VerifyOptions.trustRoot). */
  trustRoot?: TrustRoot | undefined;
  /** Without a chain: revocations the server reported, by record id. */
  reportedRevocations?: Readonly<Record<string, { reasonCode: number; revokedAt: string }>>;
  /**
   * Records of this batch the server reports it accepted and then lost, or can no longer read (record id → what
   * is wrong): the server's word against itself, so each one makes the verdict invalid (never pending: a record
   * the log accepted cannot "arrive later").
   */
  lostRecords?: Readonly<Record<string, string>>;
}

const step = (name: string, status: StepResult['status'], code: MessageCode, params: Params): StepResult => ({ step: name, status, code, params, message: messageText(code, params, 'en') });

/** Verifies a batch bundle and its report bundles into one verdict. Never throws for bad input. */
export async function verifyBatch(bundles: BatchBundles, opts: VerifyBatchOptions = {}): Promise<BatchVerification> {
  const revocationOf = (b: unknown) => {
    const id = (b as { record?: { id?: unknown } } | null)?.record?.id;
    return typeof id === 'string' ? opts.reportedRevocations?.[id] : undefined;
  };
  const batch = await verifyBundle(bundles.batch, { chain: opts.chain, trustRoot: opts.trustRoot, reportedRevocation: revocationOf(bundles.batch) });
  const disclosed = batch.steps.some((s) => s.step === 'checkFieldDisclosures' && s.status === 'passed');
  const fields = disclosed ? (batch.record?.fields ?? {}) : {};
  const batchId = batch.record?.id ?? '';
  const key = typeof fields.productCategory === 'string' ? fields.productCategory : null;
  const known = key !== null && listCategories().some((c) => c.key === key);
  const listed = Array.isArray(fields.reportIds) ? (fields.reportIds as unknown[]).filter((x): x is string => typeof x === 'string') : [];

  // Commissions attached afterwards: they count when valid (or waiting to be anchored), naming this batch, and
  // attested by the key that attested the batch (the operator, for the producer).
  const commissions = await Promise.all(
    (bundles.commissions ?? []).map(async (bundle) => {
      const result = await verifyBundle(bundle, { chain: opts.chain, trustRoot: opts.trustRoot, reportedRevocation: revocationOf(bundle) });
      const counted =
        result.record?.type === 'LabCommission' &&
        (result.verdict === 'valid' || result.verdict === 'pending') &&
        result.record.fields.batchId === batchId &&
        batch.signer !== null &&
        result.signer === batch.signer;
      return { result, counted };
    }),
  );
  const named = Array.isArray(fields.commissionedLabs) ? (fields.commissionedLabs as unknown[]) : [];
  const commissionedLabs = new Set([...named, ...commissions.filter((c) => c.counted).map((c) => c.result.record?.fields.labCmaNumber)].filter((x): x is string => typeof x === 'string'));

  // Reports are independent of each other: checked concurrently (on a phone, the chain reads overlap).
  const reports: BatchReportResult[] = await Promise.all(
    bundles.reports.map(async (bundle) => {
      const result = await verifyBundle(bundle, { chain: opts.chain, trustRoot: opts.trustRoot, category: known ? key! : undefined, reportedRevocation: revocationOf(bundle) });
      if (result.verdict === 'invalid') {
        result.steps.push(step('checkReportSubject', 'skipped', 'notRun', { step: result.failedStep ?? 'parseBundle' }));
      } else if (result.record?.fields.batchId === batchId) {
        result.steps.push(step('checkReportSubject', 'passed', 'reportSubjectOk', { batch: batchId }));
      } else {
        result.steps.push(step('checkReportSubject', 'failed', 'reportOtherBatch', { named: String(result.record?.fields.batchId ?? '?'), batch: batchId }));
        result.verdict = 'invalid';
        result.failedStep = 'checkReportSubject';
      }
      const listedByBatch = listed.includes(result.record?.id ?? '');
      const basis = listedByBatch ? 'listed' : await basisOf(result, commissionedLabs, opts.chain);
      // A report that fails verification counts whatever its basis: a broken (tampered, forged) bundle cannot
      // show whose report it is, so it cannot be set aside as a stranger's; the tampering must show.
      const counted = basis !== null || result.verdict === 'invalid';
      result.steps.push(basisStep(basis, result, opts.chain !== undefined));
      return { result, listedByBatch, basis, counted };
    }),
  );
  const counted = reports.filter((r) => r.counted).map((r) => r.result);
  const have = new Set(reports.map((r) => r.result.record?.id));
  const lost = Object.entries(opts.lostRecords ?? {}).map(([id, reason]) => ({ id, reason }));
  const missingReportIds = listed.filter((id) => !have.has(id) && !Object.hasOwn(opts.lostRecords ?? {}, id));
  const verdicts: Verdict[] = [
    batch.verdict,
    ...counted.map((r) => r.verdict),
    ...(missingReportIds.length > 0 ? (['pending'] as const) : []),
    ...(lost.length > 0 ? (['invalid'] as const) : []),
  ];
  return {
    verdict: mergeVerdicts(verdicts),
    batch,
    reports,
    commissions,
    missingReportIds,
    lostRecords: lost,
    category: key === null ? null : { key, known },
    chainChecked: batch.chainChecked && counted.every((r) => r.chainChecked),
    claim: claimOf(batch, counted, missingReportIds, lost.length),
  };
}

const cmaOf = (r: VerificationResult): unknown => (r.record?.fields.lab as { cmaNumber?: unknown } | undefined)?.cmaNumber;

/**
 * Why a report not listed by the batch counts on it: its lab is commissioned (the report's CMA number, which the
 * verifier checked against the signing key's registered lab), or the signing key's lab was designated for spot
 * checks at the report's issuedAt (read on chain, so never without one). Null otherwise, or when the chain fails.
 */
async function basisOf(result: VerificationResult, commissionedLabs: ReadonlySet<string>, chain: ChainReader | undefined): Promise<ReportBasis | null> {
  const cma = cmaOf(result);
  if (typeof cma === 'string' && commissionedLabs.has(cma)) return 'commissioned';
  const issuedAt = result.record?.fields.issuedAt;
  if (!chain || result.verdict === 'invalid' || result.signer === null || typeof issuedAt !== 'string') return null;
  try {
    const labId = await chain.participantOf(result.signer);
    const window = labId === null ? null : await chain.spotCheckWindow(labId);
    const at = instantToSeconds(issuedAt);
    return window !== null && window.from <= at && at <= window.until ? 'spot-check' : null;
  } catch {
    return null;
  }
}

function basisStep(basis: ReportBasis | null, result: VerificationResult, withChain: boolean): StepResult {
  if (basis === 'listed') return step('checkReportBasis', 'passed', 'reportListed', {});
  if (basis === 'commissioned') return step('checkReportBasis', 'passed', 'reportCommissioned', { cma: String(cmaOf(result) ?? '?') });
  if (basis === 'spot-check') return step('checkReportBasis', 'passed', 'reportSpotCheck', { at: String(result.record?.fields.issuedAt ?? '?') });
  if (result.verdict === 'invalid') return step('checkReportBasis', 'skipped', 'reportBasisUnverified', {});
  return step('checkReportBasis', 'skipped', withChain ? 'reportNotCommissioned' : 'reportNotCommissionedNoChain', {});
}
