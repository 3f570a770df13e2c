/**
 * The verifier: one list of named steps, each a small function that either returns its outcome or throws a
 * step-named error carrying a message code (see ./messages). The result lists every step with its status
 * and names the first failure. Isomorphic: the server, the CLI and the consumer's browser run this code.
 */
import { ProofError, fromHex, leafHash, toHex, verifyInclusion } from '../ledger/rfc6962';
import { canonicalBytes } from '../records/canonical';
import { verifyDisclosures } from '../records/disclosure';
import { instantToSeconds, recoverSigner, requiredSignedFields, typedDataFor, type SignedView } from '../records/eip712';
import { isRecordError } from '../records/errors';
import type { LogEntry } from '../records/log-entry';
import { isInNamespace, RECORD_ROUTING, recordIdNamespace, revocationReasonOf, type RecordType } from '../records/record-types';
import { secondsToInstant } from '../records/time';
import { classify, type Classification } from '../standards/classify';
import { BundleReadError, readBundle, type ProofBundle } from './bundle';
import { blockTimeSeconds, countingRevocation, NOT_REVOKED, REGULATOR_REVOKER_ID, type ChainReader } from './chain';
import { messageText, type MessageCode, type Params } from './messages';

/** The steps of one bundle, in order. */
export const STEPS = [
  'parseBundle',
  'checkTrustRoot',
  'checkFieldDisclosures',
  'checkSigner',
  'checkRecordId',
  'checkProductOwner',
  'computeLeafHash',
  'checkInclusion',
  'checkCheckpointOnChain',
  'checkLabIdentity',
  'checkNotRevoked',
  'classifySelenium',
] as const;
export type StepName = (typeof STEPS)[number];

/** Producer records the operator attests for producers that have no wallet (their batches, their lab commissions). */
const OPERATOR_ATTESTED: ReadonlySet<RecordType> = new Set(['Batch', 'LabCommission']);

/** Steps that read the chain: skipped without an endpoint. */
const CHAIN_STEPS: ReadonlySet<StepName> = new Set(['checkRecordId', 'checkProductOwner', 'checkCheckpointOnChain', 'checkLabIdentity', 'checkNotRevoked']);

export type StepStatus = 'passed' | 'failed' | 'pending' | 'skipped';
export type Verdict = 'valid' | 'invalid' | 'pending' | 'revoked';

export interface StepResult {
  step: string;
  status: StepStatus;
  /** Key into the message table (./messages); render it in the reader's language. */
  code: MessageCode;
  params: Params;
  /** The English sentence (for logs, the API and the CLI). */
  message: string;
}

export interface RevocationInfo {
  reasonCode: number;
  reason: string;
  revokedAt: string;
  revokedBy: string;
  /** Where the verifier learnt it: read on chain, or the server's word (a browser without a chain endpoint). */
  source: 'chain' | 'server';
}

export interface VerificationResult {
  verdict: Verdict;
  steps: StepResult[];
  /** The first step that failed, if any (checkNotRevoked for a revoked record). */
  failedStep: string | null;
  record: { type: string; id: string; fields: Record<string, unknown> } | null;
  anchor: { size: number; root: string; leafIndex: number | null; txHash: string | null; blockNumber: number | null; blockTime: number | null } | null;
  signer: string | null;
  revocation: RevocationInfo | null;
  classification: Classification | null;
  /** True when every chain step was read from a chain endpoint (false without one, or when it failed). */
  chainChecked: boolean;
  /** The lab as registered on chain for the signing key, when its identity checked out. */
  lab: { name: string; code: string } | null;
}

/** What a verifier is configured to trust: one chain and one TraceLedger; every other address is read from it. */
export interface TrustRoot {
  chainId: number;
  traceLedger: string;
}

export interface VerifyOptions {
  /**
   * The chain id and TraceLedger this verifier trusts. A bundle naming another is refused at checkTrustRoot;
   * without one, the bundle's own TraceLedger is used (and said so). Registries are never taken from a bundle:
   * the chain reader reads them from the TraceLedger.
   */
  trustRoot?: TrustRoot | undefined;
  /** Product category of the batch a report is for (from the verified batch), to classify its result. */
  category?: string | undefined;
  /** Read the chain through this; without it the chain steps are skipped and `chainChecked` is false. */
  chain?: ChainReader | undefined;
  /** Without a chain: a revocation the server reported (a claim against itself, so it is shown). */
  reportedRevocation?: { reasonCode: number; revokedAt: string } | null | undefined;
}

/** A step's outcome other than passing. */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    readonly step: string,
    readonly code: MessageCode,
    readonly params: Params = {},
    readonly status: 'failed' | 'pending' | 'skipped' = 'failed',
  ) {
    super(messageText(code, params, 'en'));
  }
}

/** A chain read that failed (the endpoint, not the record). */
class ChainReadError extends Error {}

interface Outcome {
  code: MessageCode;
  params?: Params;
}

interface Context {
  bundle: ProofBundle;
  type: RecordType;
  entry: LogEntry;
  fields: Record<string, unknown>;
  leaf: Uint8Array;
  opts: VerifyOptions;
  result: VerificationResult;
}

type Step = (ctx: Context) => Promise<Outcome>;

const fail = (step: StepName, code: MessageCode, params: Params = {}): never => {
  throw new StepError(step, code, params);
};

async function read<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw new ChainReadError((e as Error)?.message ?? String(e));
  }
}


function chainOf(ctx: Context, step: StepName): ChainReader {
  if (!ctx.opts.chain) throw new StepError(step, 'noChainEndpoint', {}, 'skipped');
  return ctx.opts.chain;
}

const STEP_FNS: Record<Exclude<StepName, 'parseBundle'>, Step> = {
  async checkTrustRoot(ctx): Promise<Outcome> {
    const named = ctx.bundle.chain;
    const root = ctx.opts.trustRoot;
    if (!root) return { code: 'noTrustRoot', params: { chainId: named.chainId, contract: named.traceLedger } };
    if (named.chainId !== root.chainId || named.traceLedger.toLowerCase() !== root.traceLedger.toLowerCase()) {
      return fail('checkTrustRoot', 'untrustedContract', { bundleChainId: named.chainId, bundleContract: named.traceLedger, chainId: root.chainId, contract: root.traceLedger });
    }
    return { code: 'trustRootOk', params: { chainId: root.chainId, contract: root.traceLedger } };
  },

  async checkFieldDisclosures(ctx): Promise<Outcome> {
    const { record } = ctx.bundle;
    try {
      ctx.fields = verifyDisclosures(record.disclosures as never, record.leafCount, record.recordRoot.toLowerCase() as `0x${string}`);
    } catch (e) {
      if (!isRecordError(e)) throw e;
      const field = e.field ?? '?';
      if (/out of order/.test(e.message)) return fail('checkFieldDisclosures', 'disclosureOrder', { field });
      if (/does not verify|not JSON/.test(e.message)) return fail('checkFieldDisclosures', 'disclosureMismatch', { field });
      return fail('checkFieldDisclosures', 'disclosureMalformed', { field });
    }
    if (ctx.fields.id !== undefined && ctx.fields.id !== record.id) fail('checkFieldDisclosures', 'disclosureIdMismatch', { disclosed: String(ctx.fields.id), id: record.id });
    return { code: 'disclosuresMatch', params: { disclosed: record.disclosures.length, hidden: record.leafCount - record.disclosures.length } };
  },

  async checkSigner(ctx): Promise<Outcome> {
    const missing = requiredSignedFields(ctx.type).filter((f) => !(f in ctx.fields));
    if (missing.length > 0) fail('checkSigner', 'signedFieldsWithheld', { fields: missing.join(', ') });
    const { chain } = ctx.bundle;
    let recovered: string;
    try {
      const typed = typedDataFor(ctx.type, ctx.fields as unknown as SignedView<RecordType>, ctx.bundle.record.recordRoot.toLowerCase(), { chainId: chain.chainId, verifyingContract: chain.traceLedger });
      recovered = recoverSigner(typed, ctx.entry.signature).toLowerCase();
    } catch (e) {
      if (!isRecordError(e)) throw e;
      return fail('checkSigner', 'signatureMalformed');
    }
    if (recovered !== ctx.entry.signer) fail('checkSigner', 'signatureWrongSigner', { recovered, signer: ctx.entry.signer });
    ctx.result.signer = recovered;
    if (!ctx.opts.chain) return { code: 'signatureNoChain', params: { signer: recovered } };
    const role = RECORD_ROUTING[ctx.type].role;
    const at = ctx.entry.issuedAt;
    if (await read(ctx.opts.chain.isValidSigner(recovered, role, instantToSeconds(at)))) return { code: 'signerRegistered', params: { signer: recovered, role, at } };
    if (OPERATOR_ATTESTED.has(ctx.type) && (await read(ctx.opts.chain.isAnchorer(recovered)))) return { code: 'signerOperator', params: { signer: recovered } };
    return fail('checkSigner', 'signerNotRegistered', { signer: recovered, role, at });
  },

  /**
   * A record's id is in the namespace of the participant that submitted it (`{code}-{local}`): a batch in
   * its disclosed producer's USCC (the operator attests it; no chain needed), any other record in the code
   * of the participant owning its signing key (read from the chain).
   */
  async checkRecordId(ctx): Promise<Outcome> {
    const id = ctx.bundle.record.id;
    if (ctx.type === 'Batch') {
      const producer = ctx.fields.producer as { uscc?: unknown; name?: unknown } | undefined;
      if (!producer || typeof producer.uscc !== 'string') return fail('checkRecordId', 'recordIdProducerNotDisclosed', { id });
      const name = typeof producer.name === 'string' ? producer.name : producer.uscc;
      if (!isInNamespace(id, producer.uscc)) return fail('checkRecordId', 'recordIdOutsideNamespace', { id, name, code: producer.uscc });
      return { code: 'recordIdInNamespace', params: { id, name, code: producer.uscc } };
    }
    if (ctx.type === 'LabCommission') {
      // Attested by the operator for the batch's producer, like its batches: in the namespace of the batch it names.
      const batchId = ctx.fields.batchId;
      const code = typeof batchId === 'string' ? recordIdNamespace(batchId) : null;
      if (code === null) return fail('checkRecordId', 'recordIdProducerNotDisclosed', { id });
      if (!isInNamespace(id, code)) return fail('checkRecordId', 'recordIdOutsideNamespace', { id, name: code, code });
      return { code: 'recordIdInNamespace', params: { id, name: code, code } };
    }
    const reader = chainOf(ctx, 'checkRecordId');
    const signer = ctx.entry.signer;
    const pid = await read(reader.participantOf(signer));
    const participant = pid === null ? null : await read(reader.participant(pid));
    if (participant === null) return fail('checkRecordId', 'labSignerUnknown', { signer });
    if (!isInNamespace(id, participant.code)) return fail('checkRecordId', 'recordIdOutsideNamespace', { id, name: participant.name, code: participant.code });
    return { code: 'recordIdInNamespace', params: { id, name: participant.name, code: participant.code } };
  },

  /**
   * A batch's GTIN must be covered by a product key (GS1 company prefix or GTIN) the registrar assigned on chain to
   * the producer the batch names: otherwise anyone could register batches under another producer's GTIN, and that
   * producer's printed QR codes would open them (a label hijack). A batch without a GTIN is legitimate (its label
   * links to /b/{id}); a bundle cannot hide a GTIN the batch has, since the signature covers it (checkSigner).
   */
  async checkProductOwner(ctx): Promise<Outcome> {
    if (ctx.type !== 'Batch') throw new StepError('checkProductOwner', 'notABatch', {}, 'skipped');
    const gtin = ctx.fields.gtin;
    if (gtin === undefined) throw new StepError('checkProductOwner', 'noGtin', {}, 'skipped');
    const uscc = String((ctx.fields.producer as { uscc?: unknown } | undefined)?.uscc ?? '?');
    const reader = chainOf(ctx, 'checkProductOwner');
    const ownerId = await read(reader.productKeyOwner(String(gtin)));
    if (ownerId === null) return fail('checkProductOwner', 'gtinNotRegistered', { gtin: String(gtin) });
    const owner = await read(reader.participant(ownerId));
    const name = owner?.name ?? ownerId;
    const code = owner?.code ?? '?';
    if (owner === null || owner.kind !== 'producer' || owner.code !== uscc) return fail('checkProductOwner', 'gtinOtherProducer', { gtin: String(gtin), name, code, uscc });
    return { code: 'gtinOwnerOk', params: { gtin: String(gtin), name, code } };
  },

  async computeLeafHash(ctx): Promise<Outcome> {
    const { bundle, entry } = ctx;
    if (entry.recordRoot !== bundle.record.recordRoot.toLowerCase() || entry.id !== bundle.record.id || entry.type !== bundle.record.type) fail('computeLeafHash', 'entryOtherRecord');
    ctx.leaf = leafHash(canonicalBytes(entry));
    const computed = `0x${toHex(ctx.leaf)}`;
    if (computed !== bundle.log.leafHash.toLowerCase()) fail('computeLeafHash', 'leafHashMismatch', { computed, stated: bundle.log.leafHash });
    return { code: 'leafHashOk', params: { leaf: computed } };
  },

  async checkInclusion(ctx): Promise<Outcome> {
    const { checkpoint, log } = ctx.bundle;
    if (!checkpoint || log.leafIndex === null) throw new StepError('checkInclusion', 'notAnchored', {}, 'pending');
    try {
      verifyInclusion({ index: log.leafIndex, size: checkpoint.size, leafHash: ctx.leaf, proof: log.inclusionProof.map(fromHex), root: fromHex(checkpoint.root) });
    } catch (e) {
      if (!(e instanceof ProofError)) throw e;
      return fail('checkInclusion', 'inclusionFailed', { reason: e.reason });
    }
    return { code: 'included', params: { position: log.leafIndex + 1, size: checkpoint.size, root: checkpoint.root.toLowerCase() } };
  },

  async checkCheckpointOnChain(ctx): Promise<Outcome> {
    const { checkpoint, log, chain } = ctx.bundle;
    if (!checkpoint) throw new StepError('checkCheckpointOnChain', 'notAnchored', {}, 'pending');
    const reader = chainOf(ctx, 'checkCheckpointOnChain');
    const chainId = await read(reader.chainId());
    if (chainId !== chain.chainId) fail('checkCheckpointOnChain', 'wrongChain', { endpoint: chainId, expected: chain.chainId });
    const root = await read(reader.rootAt(log.chainLogId, checkpoint.size));
    if (root === null) fail('checkCheckpointOnChain', 'checkpointMissing', { size: checkpoint.size, contract: chain.traceLedger });
    if (root!.toLowerCase() !== checkpoint.root.toLowerCase()) fail('checkCheckpointOnChain', 'checkpointRootMismatch', { size: checkpoint.size });
    return { code: 'checkpointOnChain', params: { chainId, size: checkpoint.size } };
  },

  async checkLabIdentity(ctx): Promise<Outcome> {
    if (ctx.type !== 'SeleniumTestReport') throw new StepError('checkLabIdentity', 'notAReport', {}, 'skipped');
    const lab = ctx.fields.lab as { name?: unknown; cmaNumber?: unknown; cmaValidUntil?: unknown } | undefined;
    if (!lab || typeof lab.cmaNumber !== 'string') return fail('checkLabIdentity', 'labNotDisclosed');
    const reader = chainOf(ctx, 'checkLabIdentity');
    const signer = ctx.entry.signer;
    const id = await read(reader.participantOf(signer));
    const participant = id === null ? null : await read(reader.participant(id));
    if (participant === null) return fail('checkLabIdentity', 'labSignerUnknown', { signer });
    if (participant.kind !== 'lab' || participant.code !== lab.cmaNumber) {
      return fail('checkLabIdentity', 'labIdentityMismatch', { named: lab.cmaNumber, name: participant.name, role: participant.kind, code: participant.code });
    }
    // The lab's name and CMA validity in the report are claims too: they must be the registered ones.
    const until = secondsToInstant(participant.accreditedUntil).slice(0, 10);
    const differing = [lab.name !== participant.name ? 'name' : null, lab.cmaValidUntil !== undefined && lab.cmaValidUntil !== until ? 'cmaValidUntil' : null].filter((x): x is string => x !== null);
    if (differing.length > 0) return fail('checkLabIdentity', 'labDetailsMismatch', { fields: differing.join(','), name: participant.name, code: participant.code, until });
    ctx.result.lab = { name: participant.name, code: participant.code };
    return { code: 'labIdentityOk', params: { name: participant.name, code: participant.code } };
  },

  async checkNotRevoked(ctx): Promise<Outcome> {
    const leafHex = `0x${toHex(ctx.leaf)}`;
    if (!ctx.opts.chain) {
      const claim = ctx.opts.reportedRevocation;
      if (!claim) throw new StepError('checkNotRevoked', 'noChainEndpoint', {}, 'skipped');
      const reason = revocationReasonOf(claim.reasonCode) ?? 'unknown';
      ctx.result.revocation = { reasonCode: claim.reasonCode, reason, revokedAt: claim.revokedAt, revokedBy: 'server', source: 'server' };
      return fail('checkNotRevoked', 'revokedPerServer', { at: claim.revokedAt, reason });
    }
    // Only the issuer's revocation (the lab owning the signing key) and the regulator's count; nobody else's is read.
    // The issuer is the participant owning the signing key (none for the operator's batches: then only the regulator).
    const chain = ctx.opts.chain;
    const [byRegulator, byIssuer] = await Promise.all([
      read(chain.revocationBy(leafHex, REGULATOR_REVOKER_ID)),
      read(chain.participantOf(ctx.entry.signer)).then((issuer) => (issuer === null ? NOT_REVOKED : read(chain.revocationBy(leafHex, issuer)))),
    ]);
    const counting = countingRevocation(byIssuer.revoked ? byIssuer : null, byRegulator.revoked ? byRegulator : null);
    if (counting === null) return { code: 'notRevoked' };
    const r = counting.revocation;
    const reason = revocationReasonOf(r.reasonCode) ?? 'unknown';
    const at = secondsToInstant(r.revokedAt);
    ctx.result.revocation = { reasonCode: r.reasonCode, reason, revokedAt: at, revokedBy: r.revokedBy, source: 'chain' };
    return fail('checkNotRevoked', 'revokedOnChain', { at, by: counting.by === 'regulator' ? 'regulator' : 'lab', reason });
  },

  async classifySelenium(ctx): Promise<Outcome> {
    if (ctx.type !== 'SeleniumTestReport') throw new StepError('classifySelenium', 'notAReport', {}, 'skipped');
    const f = ctx.fields as { result?: unknown; unit?: unknown; issueDate?: unknown };
    if (typeof f.result !== 'number' || typeof f.unit !== 'string' || typeof f.issueDate !== 'string') return fail('classifySelenium', 'resultNotDisclosed');
    if (!ctx.opts.category) throw new StepError('classifySelenium', 'noCategory', {}, 'skipped');
    ctx.result.classification = classifyOrNoStandard(ctx.opts.category, f.result, f.unit, f.issueDate);
    return { code: 'classified', params: { en: ctx.result.classification.reason_en, zh: ctx.result.classification.reason_zh } };
  },
};

/** A tier, or 'no-standard' when the unit or category is one no standard covers (a genuine report stays valid). */
function classifyOrNoStandard(category: string, result: number, unit: string, date: string): Classification {
  try {
    return classify({ category, result, unit, date });
  } catch (e) {
    const why = (e as Error).message;
    return {
      tier: 'no-standard',
      standard: null,
      range: null,
      basis: null,
      valueMgPerKg: null,
      reason_en: `No standard applies: ${why}`,
      reason_zh: `无适用标准：${why}`,
      extraCondition: null,
      extraCondition_zh: null,
    };
  }
}

function stepResult(step: string, status: StepStatus, code: MessageCode, params: Params = {}): StepResult {
  return { step, status, code, params, message: messageText(code, params, 'en') };
}

/** Verifies a proof bundle (any JSON value); never throws for bad input or a failing chain endpoint. */
export async function verifyBundle(input: unknown, opts: VerifyOptions = {}): Promise<VerificationResult> {
  const steps: StepResult[] = [];
  const result: VerificationResult = { verdict: 'invalid', steps, failedStep: null, record: null, anchor: null, signer: null, revocation: null, classification: null, chainChecked: opts.chain !== undefined, lab: null };

  let read: ReturnType<typeof readBundle>;
  try {
    read = readBundle(input);
  } catch (e) {
    if (!(e instanceof BundleReadError)) throw e;
    steps.push(stepResult('parseBundle', 'failed', e.code, e.params));
    for (const s of STEPS.slice(1)) steps.push(stepResult(s, 'skipped', 'notRun', { step: 'parseBundle' }));
    result.failedStep = 'parseBundle';
    result.chainChecked = false;
    return result;
  }
  const { bundle, type, entry } = read;
  steps.push(stepResult('parseBundle', 'passed', 'bundleRead', { type, id: bundle.record.id }));

  const ctx: Context = { bundle, type, entry, fields: {}, leaf: new Uint8Array(), opts, result };
  let pending = false;
  for (const name of STEPS.slice(1) as Exclude<StepName, 'parseBundle'>[]) {
    if (result.failedStep !== null && result.failedStep !== 'checkNotRevoked') {
      steps.push(stepResult(name, 'skipped', 'notRun', { step: result.failedStep }));
      continue;
    }
    try {
      const out = await STEP_FNS[name](ctx);
      steps.push(stepResult(name, 'passed', out.code, out.params));
    } catch (e) {
      if (e instanceof ChainReadError) {
        steps.push(stepResult(name, 'pending', 'chainUnreachable'));
        result.chainChecked = false;
        pending = true;
      } else if (e instanceof StepError) {
        steps.push(stepResult(name, e.status, e.code, e.params));
        if (e.status === 'pending') pending = true;
        if (e.status === 'skipped' && CHAIN_STEPS.has(name) && e.code === 'noChainEndpoint') result.chainChecked = false;
        if (e.status === 'failed' && result.failedStep === null) result.failedStep = name;
      } else {
        steps.push(stepResult(name, 'failed', 'stepCrashed'));
        if (result.failedStep === null) result.failedStep = name;
      }
    }
  }

  result.record = { type: bundle.record.type, id: bundle.record.id, fields: ctx.fields };
  if (bundle.checkpoint) {
    const { blockTime } = bundle.checkpoint;
    result.anchor = { ...bundle.checkpoint, blockTime: blockTime === null ? null : blockTimeSeconds(blockTime), leafIndex: bundle.log.leafIndex };
  }
  const revokedOnly = result.failedStep === 'checkNotRevoked' && result.revocation !== null;
  result.verdict = result.failedStep !== null && !revokedOnly ? 'invalid' : revokedOnly ? 'revoked' : pending ? 'pending' : 'valid';
  if (!result.chainChecked && result.verdict === 'valid' && opts.chain !== undefined) result.verdict = 'pending';
  return result;
}

/** The overall verdict of several records: invalid > revoked > pending > valid. */
export function mergeVerdicts(verdicts: readonly Verdict[]): Verdict {
  for (const v of ['invalid', 'revoked', 'pending'] as const) if (verdicts.includes(v)) return v;
  return 'valid';
}
