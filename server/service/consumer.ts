/**
 * The consumer's view of a batch: the batch's proof bundle and the bundles of its lab reports,
 * each verified with named steps, their public fields, the selenium tier computed against the
 * batch's own (verified) product category, and one overall verdict. Results are cached briefly and
 * dropped as soon as a new checkpoint is confirmed or one of the records is revoked.
 */
import { AppError } from '../errors';
import type { ServiceContext as AppContext } from './context';
import { publicFieldNames } from '../records';
import type { Classification } from '../standards';
import type { StoredRecord } from '../store/types';
import type { ReportBasis } from '../verification/batch';
import { mergeVerdicts, messageText, verifyBatch, type BatchClaim, type BatchVerification, type MessageCode, type Params, type ProofBundle, type StepResult, type StepStatus, type VerificationResult, type Verdict } from '../verification';
import { labelUri, type DigitalLink } from '../records/digital-link';
import { bundleOf } from './bundles';
import { batchSubject } from './ingest';

export const CONSUMER_VIEW_FORMAT = 'traceledger-consumer-v1';

export interface ConsumerStep {
  step: string;
  status: StepStatus;
  /** Message code and parameters (server/verification/messages), to render in the reader's language. */
  code: MessageCode;
  params: Params;
  message: string;
}

export type ConsumerAnchor = NonNullable<VerificationResult['anchor']>;

export interface ConsumerReport {
  id: string;
  verdict: Verdict;
  failedStep: string | null;
  steps: ConsumerStep[];
  /** Verified public fields only. */
  fields: Record<string, unknown>;
  classification: Classification | null;
  /** The lab as the report names it; `registeredName` is the name on chain when its identity checked out. */
  lab: { name: string; cmaNumber: string; cnasNumber: string | null; registeredName: string | null } | null;
  revocation: VerificationResult['revocation'];
  anchor: ConsumerAnchor | null;
  signer: string | null;
  /** How the report is tied to the batch: listed in the batch's reportIds, and/or naming the batch itself. */
  linkedBy: ('batch' | 'report')[];
  /** Why it counts on the batch (listed, its lab commissioned by the producer, an official spot check), or null. */
  basis: ReportBasis | null;
  /** False for a report nothing ties to the producer or the regulator: it affects neither the verdict nor the claim. */
  counted: boolean;
}

export interface ConsumerView {
  format: typeof CONSUMER_VIEW_FORMAT;
  /** invalid if any record is invalid; else revoked if any is revoked; else pending if any waits; else valid. */
  verdict: Verdict;
  /** What the label may claim (the page's headline): see server/verification/claim. */
  claim: BatchClaim;
  /** The batch's own verification steps. */
  steps: ConsumerStep[];
  failedStep: string | null;
  batchVerdict: Verdict;
  /** The batch's verified public fields (id always present). */
  batch: Record<string, unknown> & { id: string };
  reports: ConsumerReport[];
  /** Report ids the batch lists that are not on record (yet): they never reached the log. */
  missingReportIds: string[];
  /** Records of the batch the store accepted and then lost, or can no longer read: each makes the verdict invalid. */
  lostRecords: { id: string; reason: string }[];
  /** The batch's own revocation (a recall), if any; reports carry theirs. */
  revocation: VerificationResult['revocation'];
  /** The batch's anchored checkpoint. */
  anchor: ConsumerAnchor | null;
  links: {
    /** The page printed on the label: the Digital Link, or /b/{id} without a GTIN. */
    page: string;
    linkset: string;
    bundles: { batch: string; reports: Record<string, string> };
  };
  bundles: { batch: ProofBundle; reports: ProofBundle[]; commissions: ProofBundle[] };
  checkedAt: string;
}

/** After this, a cached result that is still unchanged is served once more while it is recomputed in the background. */
const MAX_AGE_MS = 10_000;
/** How long a Digital Link → batch id lookup is remembered. */
const LOOKUP_TTL_MS = 5_000;
const MAX_ENTRIES = 2_000;
/** Reports naming a batch that are looked at; more are refused as abuse. */
const MAX_SUBJECT_REPORTS = 200;

/** The URL of a record's proof bundle (served by the REST API). */
export const bundleUrl = (baseUrl: string, id: string): string => `${baseUrl}/api/v1/records/${encodeURIComponent(id)}/bundle`;

// ---------------------------------------------------------------------------
// Entry points.

/**
 * The verified consumer view of batch `batchId` (cached). Throws AppError 'not-found' for an unknown batch, and
 * 'stored-data-fault' naming it when the batch's own row is damaged beyond building a bundle.
 */
export async function verifyBatchForConsumer(ctx: AppContext, batchId: string): Promise<ConsumerView> {
  return cacheOf(ctx).view(batchId);
}

/** The id of the batch a Digital Link names (by GTIN-14 and lot, which the store keeps unique for batches). Throws 'not-found'. */
export async function findBatchIdByDigitalLink(ctx: AppContext, link: DigitalLink): Promise<string> {
  if (link.lot === undefined) {
    throw new AppError('not-found', `the link names product ${link.gtin14} but no lot (/10/…), so no batch can be shown`);
  }
  const id = await cacheOf(ctx).lookup(batchSubject(link.gtin14, link.lot));
  if (id === undefined) throw new AppError('not-found', `no batch with GTIN ${link.gtin14} and lot ${link.lot}`);
  return id;
}

/** Digital Link → verified consumer view. */
export async function verifyDigitalLinkForConsumer(ctx: AppContext, link: DigitalLink): Promise<ConsumerView> {
  return verifyBatchForConsumer(ctx, await findBatchIdByDigitalLink(ctx, link));
}

// ---------------------------------------------------------------------------
// Verification (uncached).

/** Builds the bundles of a batch and of its reports from the store, and verifies them. */
export async function computeConsumerView(ctx: AppContext, batchId: string): Promise<ConsumerView> {
  const { store, deployment } = ctx.sys;
  const rec = await store.getRecord(batchId);
  if (!rec || rec.type !== 'Batch') throw new AppError('not-found', `no batch ${batchId}`);
  const batchBundle = await bundleOf(store, deployment, rec);

  // Reports the (stored) batch lists, and reports that name the batch. Which ones really belong is
  // decided on verified fields below; this only gathers candidates.
  const listed = Array.isArray(rec.body.reportIds) ? (rec.body.reportIds as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  const naming = await store.listRecords({ type: 'SeleniumTestReport', subject: batchId, limit: MAX_SUBJECT_REPORTS });
  const records = new Map<string, StoredRecord>(naming.map((r) => [r.id, r]));
  for (const id of listed) {
    if (records.has(id)) continue;
    const r = await store.getRecord(id);
    if (r && r.type === 'SeleniumTestReport') records.set(id, r);
  }
  const lost: Record<string, string> = {};
  const reportBundles = await bundlesOrFaults(ctx, [...records.values()], lost);
  // The labs the producer commissioned after registering the batch: the verifier decides which commissions count.
  const commissions = await store.listRecords({ type: 'LabCommission', subject: batchId, limit: MAX_SUBJECT_REPORTS });
  const commissionBundles = await bundlesOrFaults(ctx, commissions, lost);
  await findLostReports(ctx, rec, listed.filter((id) => !records.has(id)), lost);
  return verifyConsumerBundles(ctx, { batch: batchBundle, reports: reportBundles, commissions: commissionBundles, lost });
}

/** The bundles of `recs`; a record no bundle can be built from (a stored-data fault) goes into `lost` instead, named. */
async function bundlesOrFaults(ctx: AppContext, recs: readonly StoredRecord[], lost: Record<string, string>): Promise<ProofBundle[]> {
  const out = await Promise.all(
    recs.map(async (r) => {
      try {
        return await bundleOf(ctx.sys.store, ctx.sys.deployment, r);
      } catch (e) {
        if (!(e instanceof AppError && e.code === 'stored-data-fault')) throw e;
        lost[r.id] = e.message;
        return null;
      }
    }),
  );
  return out.filter((b): b is ProofBundle => b !== null);
}

/**
 * Which of the report ids the batch lists, absent from the store, were accepted and then lost (they go into `lost`)
 * rather than not sent yet (they stay pending). The store forgets what it accepted together with the row, so the
 * log decides. The rule: an absent listed report is lost when the store's log has a hole, a leaf position below
 * the latest confirmed checkpoint whose record is gone. A report the log accepted cannot arrive again; a hole
 * proves the store has lost accepted data, and nothing left in the store shows the absent report is not what
 * the hole held, so the safe verdict is invalid. Without a hole every accepted record is still there, so an
 * absent listed report never reached the log and may still arrive: pending.
 * Limits: a hole makes every absent listed report lost, whichever record it held. A lost report the batch does
 * not list cannot be tied to the batch at all (its subject was in the row), so it is not reported here.
 */
async function findLostReports(ctx: AppContext, batch: StoredRecord, absent: readonly string[], lost: Record<string, string>): Promise<void> {
  if (absent.length === 0) return;
  const { store } = ctx.sys;
  const cp = await store.latestCheckpoint(batch.logId, 'confirmed');
  const hole = cp ? await store.firstLostLeaf(batch.logId, cp.size) : null;
  if (hole === null) return;
  for (const id of absent) {
    lost[id] = `lab report ${id}, listed by batch ${batch.id}, is not on record, and the log has lost the record at leaf ${hole} (below its anchored size ${cp!.size}): the report was accepted and then lost`;
  }
}

/**
 * Verifies a batch bundle and report bundles (as given: tests pass tampered ones) into the consumer
 * view, with the shared verifier (server/verification/batch: the same code the phone runs). Reports are
 * classified with the batch's verified product category; a report that names another batch, or whose
 * signer is not the lab it names, is invalid.
 */
export async function verifyConsumerBundles(
  ctx: AppContext,
  bundles: { batch: ProofBundle; reports: ProofBundle[]; commissions?: ProofBundle[]; lost?: Readonly<Record<string, string>> },
): Promise<ConsumerView> {
  const checked = await verifyBatch(bundles, { chain: ctx.reader, trustRoot: { chainId: ctx.sys.deployment.chainId, traceLedger: ctx.sys.deployment.traceLedger }, lostRecords: bundles.lost });
  const batchResult = checked.batch;
  const batchId = bundles.batch.record.id;
  const batchFields = disclosedOk(batchResult) ? batchResult.record!.fields : {};

  const reports = checked.reports.map((r) => ({ ...toConsumerReport(r.result, r.listedByBatch, batchId, checked.category), basis: r.basis, counted: r.counted }));
  // Newest issue first.
  reports.sort((a, b) => String(b.fields.issueDate ?? '').localeCompare(String(a.fields.issueDate ?? '')) || a.id.localeCompare(b.id));

  const base = ctx.publicBaseUrl;
  const page = pageUrl(base, batchId, batchFields);
  return {
    format: CONSUMER_VIEW_FORMAT,
    verdict: checked.verdict,
    claim: checked.claim,
    steps: batchResult.steps.map(plainStep),
    failedStep: batchResult.failedStep,
    batchVerdict: batchResult.verdict,
    batch: { ...pickPublic('Batch', batchFields), id: batchId },
    reports,
    missingReportIds: checked.missingReportIds,
    lostRecords: checked.lostRecords,
    revocation: batchResult.revocation,
    anchor: batchResult.anchor,
    links: {
      page,
      linkset: `${page}?linkType=linkset`,
      bundles: { batch: bundleUrl(base, batchId), reports: Object.fromEntries(reports.map((r) => [r.id, bundleUrl(base, r.id)])) },
    },
    bundles: { batch: bundles.batch, reports: bundles.reports, commissions: bundles.commissions ?? [] },
    checkedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/** Overall verdict: invalid > revoked > pending > valid. */
export const worst = mergeVerdicts;

function pageUrl(base: string, batchId: string, fields: Record<string, unknown>): string {
  const { gtin, lot } = fields;
  if (typeof gtin === 'string' && typeof lot === 'string') {
    try {
      return labelUri(base, { id: batchId, gtin, lot });
    } catch {
      // A signed lot outside the Digital Link rules: fall back to the plain link.
    }
  }
  return labelUri(base, { id: batchId, lot: '' });
}

const disclosedOk = (r: VerificationResult): boolean => r.record !== null && r.steps.some((s) => s.step === 'checkFieldDisclosures' && s.status === 'passed');

const plainStep = (s: StepResult): ConsumerStep => ({ step: s.step, status: s.status, code: s.code, params: s.params, message: s.message });

/** Defence in depth: only fields the visibility table marks public ever leave through this view. */
function pickPublic(type: 'Batch' | 'SeleniumTestReport', fields: Record<string, unknown>): Record<string, unknown> {
  const allowed = new Set(publicFieldNames(type));
  return Object.fromEntries(Object.entries(fields).filter(([k]) => allowed.has(k)));
}

function toConsumerReport(result: VerificationResult, listedByBatch: boolean, batchId: string, category: BatchVerification['category']): Omit<ConsumerReport, 'basis' | 'counted'> {
  const fields = disclosedOk(result) ? pickPublic('SeleniumTestReport', result.record!.fields) : {};
  const steps = result.steps.map(plainStep);
  if (category !== null && !category.known) {
    const i = steps.findIndex((s) => s.step === 'classifySelenium' && s.status === 'skipped');
    if (i >= 0) steps[i] = { step: 'classifySelenium', status: 'skipped', code: 'categoryWithoutStandard', params: { category: category.key }, message: messageText('categoryWithoutStandard', { category: category.key }, 'en') };
  }
  const labField = fields.lab as { name?: unknown; cmaNumber?: unknown; cnasNumber?: unknown } | undefined;
  return {
    id: result.record?.id ?? '',
    verdict: result.verdict,
    failedStep: result.failedStep,
    steps,
    fields,
    classification: result.classification,
    lab:
      labField && typeof labField.name === 'string' && typeof labField.cmaNumber === 'string'
        ? { name: labField.name, cmaNumber: labField.cmaNumber, cnasNumber: typeof labField.cnasNumber === 'string' ? labField.cnasNumber : null, registeredName: result.lab?.name ?? null }
        : null,
    revocation: result.revocation,
    anchor: result.anchor,
    signer: result.signer,
    linkedBy: [...(listedByBatch ? (['batch'] as const) : []), ...(fields.batchId === batchId ? (['report'] as const) : [])],
  };
}

// ---------------------------------------------------------------------------
// Cache: one per AppContext. A cached view is served while no other checkpoint is confirmed and none
// of its records got a revocation since, by any party (checked once per event-loop turn); past MAX_AGE_MS it is also
// recomputed in the background (to pick up reports that arrived since). Concurrent misses share one computation.

interface Entry {
  view: ConsumerView;
  /** The latest confirmed products checkpoint when computed (see checkpointKey). */
  checkpoint: string;
  leafHashes: string[];
  /** Revocations of these records by any party when computed (see revokedCount). */
  revoked: number;
  at: number;
  /** The event-loop turn in which the entry was last found fresh. */
  freshInTurn: number;
}

class ConsumerCache {
  private readonly views = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly lookups = new Map<string, { id: string; at: number }>();
  /**
   * Event-loop turns: requests handled in the same turn (under load, many) share one freshness check,
   * so a hit costs no query at all; a change is seen from the next turn on.
   */
  private turn = 0;
  private turnEnding = false;
  private checkpoint: { turn: number; key: string } | undefined;

  constructor(private readonly ctx: AppContext) {}

  async view(batchId: string): Promise<ConsumerView> {
    const hit = this.views.get(batchId);
    if (hit && (await this.unchanged(hit))) {
      // Old but unchanged (only a newly arrived report could be missing): serve it, refresh behind.
      if (Date.now() - hit.at > MAX_AGE_MS) this.compute(batchId).catch(() => this.views.delete(batchId));
      return hit.view;
    }
    return (await this.compute(batchId)).view;
  }

  async lookup(subject: string): Promise<string | undefined> {
    const hit = this.lookups.get(subject);
    if (hit && Date.now() - hit.at < LOOKUP_TTL_MS) return hit.id;
    // At most one batch holds a subject (migration 4's unique index).
    const [batch] = await this.ctx.sys.store.listRecords({ type: 'Batch', subject, limit: 1 });
    if (!batch) return undefined;
    bounded(this.lookups).set(subject, { id: batch.id, at: Date.now() });
    return batch.id;
  }

  private currentTurn(): number {
    if (!this.turnEnding) {
      this.turnEnding = true;
      setImmediate(() => {
        this.turn++;
        this.turnEnding = false;
      });
    }
    return this.turn;
  }

  /** No newer confirmed checkpoint, and none of the entry's records revoked since it was computed. */
  private async unchanged(e: Entry): Promise<boolean> {
    const turn = this.currentTurn();
    if (e.freshInTurn === turn) return true;
    if ((await this.checkpointKey()) !== e.checkpoint) return false;
    if ((await this.revokedCount(e.leafHashes)) !== e.revoked) return false;
    e.freshInTurn = turn;
    return true;
  }

  private compute(batchId: string): Promise<Entry> {
    const running = this.inflight.get(batchId);
    if (running) return running;
    const p = (async () => {
      // Read the invalidation keys first: a change during the computation then forces a recompute.
      const checkpoint = await this.checkpointKey(true);
      const view = await computeConsumerView(this.ctx, batchId);
      const leafHashes = [view.bundles.batch, ...view.bundles.reports, ...view.bundles.commissions].map((b) => b.log.leafHash);
      const revoked = await this.revokedCount(leafHashes);
      const entry: Entry = { view, checkpoint, leafHashes, revoked, at: Date.now(), freshInTurn: -1 };
      bounded(this.views).set(batchId, entry);
      return entry;
    })().finally(() => this.inflight.delete(batchId));
    this.inflight.set(batchId, p);
    return p;
  }

  /**
   * The latest confirmed products checkpoint as `size:txHash:block`, read once per turn (or now, when `exact`): a
   * checkpoint the chain lost and the worker anchored again has the same size but another transaction or block.
   */
  private async checkpointKey(exact = false): Promise<string> {
    const turn = this.currentTurn();
    if (!exact && this.checkpoint?.turn === turn) return this.checkpoint.key;
    const cp = await this.ctx.sys.store.latestCheckpoint('products', 'confirmed');
    const key = cp ? `${cp.size}:${cp.txHash ?? ''}:${cp.blockNumber ?? ''}` : '0';
    this.checkpoint = { turn, key };
    return key;
  }

  /**
   * Revocations of these records by any party: it only grows, so any new revocation (the issuer's after a
   * stranger's included) forces a recompute; the verifier then decides which ones count.
   */
  private async revokedCount(leafHashes: readonly string[]): Promise<number> {
    return this.ctx.sys.store.countRevocations(leafHashes);
  }
}

/** Evicts the oldest entry of a map used as a cache once it is full; returns the map. */
function bounded<K, V>(m: Map<K, V>): Map<K, V> {
  if (m.size >= MAX_ENTRIES) {
    const oldest = m.keys().next();
    if (!oldest.done) m.delete(oldest.value);
  }
  return m;
}

const caches = new WeakMap<AppContext, ConsumerCache>();
function cacheOf(ctx: AppContext): ConsumerCache {
  let c = caches.get(ctx);
  if (!c) caches.set(ctx, (c = new ConsumerCache(ctx)));
  return c;
}
