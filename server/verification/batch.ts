/**
 * What a consumer's scan checks: a batch's bundle and its lab reports' bundles, each through the verifier,
 * each report classified with the batch's own verified product category and checked to name this batch,
 * one verdict for the label, and the claim the label may make (./claim). Isomorphic: the server's page and
 * the phone's browser run this code.
 */
import { listCategories } from '../standards/classify';
import type { ChainReader } from './chain';
import { claimOf, type BatchClaim } from './claim';
import { messageText, type MessageCode, type Params } from './messages';
import { mergeVerdicts, verifyBundle, type StepResult, type TrustRoot, type VerificationResult, type Verdict } from './verify';

/** The batch-level step each report gets after the verifier's own. */
export const BATCH_REPORT_STEPS = ['checkReportSubject'] as const;

export interface BatchReportResult {
  /** The verifier's result with the batch-level steps appended, and the verdict they give. */
  result: VerificationResult;
  /** Listed in the batch's signed reportIds. */
  listedByBatch: boolean;
}

export interface BatchVerification {
  verdict: Verdict;
  batch: VerificationResult;
  reports: BatchReportResult[];
  /** Report ids the batch lists that are not among the bundles (not on record yet). */
  missingReportIds: string[];
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
}

export interface VerifyBatchOptions {
  chain?: ChainReader | undefined;
  /** The chain id and TraceLedger trusted (see VerifyOptions.trustRoot). */
  trustRoot?: TrustRoot | undefined;
  /** Without a chain: revocations the server reported, by record id. */
  reportedRevocations?: Readonly<Record<string, { reasonCode: number; revokedAt: string }>>;
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
      return { result, listedByBatch: listed.includes(result.record?.id ?? '') };
    }),
  );
  const have = new Set(reports.map((r) => r.result.record?.id));
  const missingReportIds = listed.filter((id) => !have.has(id));
  const verdicts: Verdict[] = [batch.verdict, ...reports.map((r) => r.result.verdict), ...(missingReportIds.length > 0 ? (['pending'] as const) : [])];
  return {
    verdict: mergeVerdicts(verdicts),
    batch,
    reports,
    missingReportIds,
    category: key === null ? null : { key, known },
    chainChecked: batch.chainChecked && reports.every((r) => r.result.chainChecked),
    claim: claimOf(batch, reports.map((r) => r.result), missingReportIds),
  };
}
