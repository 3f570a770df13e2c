/**
 * The consumer's view of a batch: the batch's proof bundle and the bundles of its lab reports,
 * each verified with named steps, their public fields, the selenium tier computed against the
 * batch's own (verified) product category, and one overall verdict. Results are cached briefly and
 * dropped as soon as a new checkpoint is confirmed or one of the records is revoked.
 */
import type { ChainReader } from '../chain/reader';
import { AppError } from '../errors';
import type { ServiceContext as AppContext } from './context';
import { publicFieldNames } from '../records';
import { listCategories, type Classification } from '../standards';
import type { Store, StoredRecord } from '../store/types';
import type { ProofBundle } from '../verification/bundle';
import { verifyBundle, type StepStatus, type VerificationResult, type Verdict } from '../verification/verify';
import { labelUri, type DigitalLink } from '../records/digital-link';
import { bundleOf } from './bundles';
import { batchSubject } from './ingest';

export const CONSUMER_VIEW_FORMAT = 'traceledger-consumer-v1';

/** The consumer's own checks, after the verifier's steps: does the report name this batch, and is its lab the one that signed. */
export const CONSUMER_STEPS = ['checkReportSubject', 'checkLabIdentity'] as const;

export interface ConsumerStep {
  step: string;
  status: StepStatus;
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
}

export interface ConsumerView {
  format: typeof CONSUMER_VIEW_FORMAT;
  /** invalid if any record is invalid; else revoked if any is revoked; else pending if any waits; else valid. */
  verdict: Verdict;
  /** The batch's own verification steps. */
  steps: ConsumerStep[];
  failedStep: string | null;
  batchVerdict: Verdict;
  /** The batch's verified public fields (id always present). */
  batch: Record<string, unknown> & { id: string };
  reports: ConsumerReport[];
  /** Report ids the batch lists that are not on record (yet). */
  missingReportIds: string[];
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
  bundles: { batch: ProofBundle; reports: ProofBundle[] };
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

/** The verified consumer view of batch `batchId` (cached). Throws AppError 'not-found' for an unknown batch. */
export async function verifyBatchForConsumer(ctx: AppContext, batchId: string): Promise<ConsumerView> {
  return cacheOf(ctx).view(batchId);
}

/** The id of the batch a Digital Link names (by GTIN-14 and lot; the first one registered wins). Throws 'not-found'. */
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
  const reportBundles = await Promise.all([...records.values()].map((r) => bundleOf(store, deployment, r)));
  return verifyConsumerBundles(ctx, { batch: batchBundle, reports: reportBundles });
}

/**
 * Verifies a batch bundle and report bundles (as given: tests pass tampered ones) into the consumer
 * view. Reports are classified with the batch's verified product category; a report that names
 * another batch, or whose signer is not the lab it names, is invalid.
 */
export async function verifyConsumerBundles(ctx: AppContext, bundles: { batch: ProofBundle; reports: ProofBundle[] }): Promise<ConsumerView> {
  const reader = ctx.reader;
  const batchResult = await verifyBundle(bundles.batch, { chain: reader });
  const batchId = bundles.batch.record.id;
  const batchFields = disclosedOk(batchResult) ? batchResult.record!.fields : {};
  const category = typeof batchFields.productCategory === 'string' ? batchFields.productCategory : undefined;
  const knownCategory = category !== undefined && listCategories().some((c) => c.key === category) ? category : undefined;
  const listed = Array.isArray(batchFields.reportIds) ? (batchFields.reportIds as unknown[]).filter((x): x is string => typeof x === 'string') : [];

  const reports: ConsumerReport[] = [];
  for (const bundle of bundles.reports) {
    const result = await verifyBundle(bundle, { chain: reader, category: knownCategory });
    reports.push(await toConsumerReport(ctx.sys.store, reader, result, batchId, listed.includes(bundle.record.id), category, knownCategory));
  }
  // Newest issue first.
  reports.sort((a, b) => String(b.fields.issueDate ?? '').localeCompare(String(a.fields.issueDate ?? '')) || a.id.localeCompare(b.id));
  const have = new Set(bundles.reports.map((b) => b.record.id));
  const missingReportIds = listed.filter((id) => !have.has(id));

  const verdicts: Verdict[] = [batchResult.verdict, ...reports.map((r) => r.verdict), ...(missingReportIds.length > 0 ? (['pending'] as const) : [])];
  const base = ctx.publicBaseUrl;
  const page = pageUrl(base, batchId, batchFields);
  return {
    format: CONSUMER_VIEW_FORMAT,
    verdict: worst(verdicts),
    steps: batchResult.steps.map(plainStep),
    failedStep: batchResult.failedStep,
    batchVerdict: batchResult.verdict,
    batch: { ...pickPublic('Batch', batchFields), id: batchId },
    reports,
    missingReportIds,
    revocation: batchResult.revocation,
    anchor: batchResult.anchor,
    links: {
      page,
      linkset: `${page}?linkType=linkset`,
      bundles: { batch: bundleUrl(base, batchId), reports: Object.fromEntries(reports.map((r) => [r.id, bundleUrl(base, r.id)])) },
    },
    bundles: { batch: bundles.batch, reports: bundles.reports },
    checkedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/** Overall verdict: invalid > revoked > pending > valid. */
export function worst(verdicts: readonly Verdict[]): Verdict {
  for (const v of ['invalid', 'revoked', 'pending'] as const) if (verdicts.includes(v)) return v;
  return 'valid';
}

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

const plainStep = (s: { step: string; status: StepStatus; message: string }): ConsumerStep => ({ step: s.step, status: s.status, message: s.message });

/** Defence in depth: only fields the visibility table marks public ever leave through this view. */
function pickPublic(type: 'Batch' | 'SeleniumTestReport', fields: Record<string, unknown>): Record<string, unknown> {
  const allowed = new Set(publicFieldNames(type));
  return Object.fromEntries(Object.entries(fields).filter(([k]) => allowed.has(k)));
}

async function toConsumerReport(
  store: Store,
  reader: ChainReader,
  result: VerificationResult,
  batchId: string,
  listedByBatch: boolean,
  category: string | undefined,
  knownCategory: string | undefined,
): Promise<ConsumerReport> {
  const fields = disclosedOk(result) ? pickPublic('SeleniumTestReport', result.record!.fields) : {};
  const steps = result.steps.map(plainStep);
  if (category !== undefined && knownCategory === undefined) {
    const i = steps.findIndex((s) => s.step === 'classifySelenium' && s.status === 'skipped');
    if (i >= 0) steps[i] = { step: 'classifySelenium', status: 'skipped', message: `The batch's product category "${category}" has no selenium standard in the thresholds table.` };
  }
  let verdict = result.verdict;
  let failedStep: string | null = result.failedStep;
  const integrityBroken = verdict === 'invalid';
  const labField = fields.lab as { name?: unknown; cmaNumber?: unknown; cnasNumber?: unknown } | undefined;
  let registeredName: string | null = null;

  const extra: ConsumerStep[] = [];
  if (integrityBroken) {
    for (const step of CONSUMER_STEPS) extra.push({ step, status: 'skipped', message: `Not run: ${result.failedStep ?? 'an earlier step'} failed.` });
  } else {
    // checkReportSubject: the lab's signed batchId must be this batch.
    const named = fields.batchId;
    if (named === batchId) extra.push({ step: 'checkReportSubject', status: 'passed', message: `The lab signed this report for batch ${batchId}.` });
    else extra.push({ step: 'checkReportSubject', status: 'failed', message: `The lab signed this report for batch ${String(named)}, not for batch ${batchId}.` });

    // checkLabIdentity: the key that signed belongs to the lab whose CMA number the report carries.
    const identity = await checkLabIdentity(store, reader, result.signer, labField);
    extra.push(identity.step);
    if (identity.step.status === 'passed') registeredName = identity.registeredName;
    const failed = extra.find((s) => s.status === 'failed');
    if (failed) {
      verdict = 'invalid';
      failedStep = failed.step; // the verifier's steps all passed (or only found a revocation)
    } else if (verdict === 'valid' && extra.some((s) => s.status === 'pending')) verdict = 'pending';
  }

  return {
    id: result.record?.id ?? '',
    verdict,
    failedStep,
    steps: [...steps, ...extra],
    fields,
    classification: result.classification,
    lab:
      labField && typeof labField.name === 'string' && typeof labField.cmaNumber === 'string'
        ? { name: labField.name, cmaNumber: labField.cmaNumber, cnasNumber: typeof labField.cnasNumber === 'string' ? labField.cnasNumber : null, registeredName }
        : null,
    revocation: result.revocation,
    anchor: result.anchor,
    signer: result.signer,
    linkedBy: [...(listedByBatch ? (['batch'] as const) : []), ...(fields.batchId === batchId ? (['report'] as const) : [])],
  };
}

/** checkLabIdentity: the signing key belongs (on chain) to the lab whose CMA number the report carries. */
async function checkLabIdentity(
  store: Store,
  reader: ChainReader,
  signer: string | null,
  lab: { cmaNumber?: unknown } | undefined,
): Promise<{ step: ConsumerStep; registeredName: string | null }> {
  const out = (status: StepStatus, message: string, registeredName: string | null = null) => ({ step: { step: 'checkLabIdentity', status, message }, registeredName });
  if (!lab || typeof lab.cmaNumber !== 'string') return out('failed', 'The report does not disclose its lab.');
  if (!signer) return out('failed', 'The report has no signer.');
  const id = await reader.participantOf(signer);
  if (id === null) return out('failed', `The signer ${signer} belongs to no registered participant.`);
  const participant = await store.getParticipant(id);
  if (!participant) return out('pending', `The signer's participant ${id} is not yet in this server's mirror of the registry.`);
  if (participant.kind !== 'lab' || participant.code !== lab.cmaNumber) {
    return out('failed', `The report names CMA ${lab.cmaNumber}, but was signed by a key of ${participant.name} (${participant.kind} ${participant.code}).`);
  }
  return out('passed', `Signed by ${participant.name}, registered on chain with CMA ${participant.code}.`, participant.name);
}

// ---------------------------------------------------------------------------
// Cache: one per AppContext. A cached view is served while no newer checkpoint is confirmed and none
// of its records was revoked since (checked once per event-loop turn); past MAX_AGE_MS it is also
// recomputed in the background (to pick up reports that arrived since). Concurrent misses share one computation.

interface Entry {
  view: ConsumerView;
  checkpointSize: number;
  leafHashes: string[];
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
  private checkpoint: { turn: number; size: number } | undefined;

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
    const [first] = await this.ctx.sys.store.listRecords({ type: 'Batch', subject, limit: 1 });
    if (!first) return undefined;
    bounded(this.lookups).set(subject, { id: first.id, at: Date.now() });
    return first.id;
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
    if ((await this.checkpointSize()) !== e.checkpointSize) return false;
    if ((await this.revokedCount(e.leafHashes)) !== e.revoked) return false;
    e.freshInTurn = turn;
    return true;
  }

  private compute(batchId: string): Promise<Entry> {
    const running = this.inflight.get(batchId);
    if (running) return running;
    const p = (async () => {
      // Read the invalidation keys first: a change during the computation then forces a recompute.
      const checkpointSize = await this.checkpointSize(true);
      const view = await computeConsumerView(this.ctx, batchId);
      const leafHashes = [view.bundles.batch, ...view.bundles.reports].map((b) => b.log.leafHash);
      const revoked = await this.revokedCount(leafHashes);
      const entry: Entry = { view, checkpointSize, leafHashes, revoked, at: Date.now(), freshInTurn: -1 };
      bounded(this.views).set(batchId, entry);
      return entry;
    })().finally(() => this.inflight.delete(batchId));
    this.inflight.set(batchId, p);
    return p;
  }

  /** The size of the latest confirmed products checkpoint, read once per turn (or now, when `exact`). */
  private async checkpointSize(exact = false): Promise<number> {
    const turn = this.currentTurn();
    if (!exact && this.checkpoint?.turn === turn) return this.checkpoint.size;
    const size = (await this.ctx.sys.store.latestCheckpoint('products', 'confirmed'))?.size ?? 0;
    this.checkpoint = { turn, size };
    return size;
  }

  private async revokedCount(leafHashes: readonly string[]): Promise<number> {
    let n = 0;
    for (const h of leafHashes) if (await this.ctx.sys.store.getRevocation(h)) n++;
    return n;
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
