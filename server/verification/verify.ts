/**
 * The verifier: a list of named steps, each a small function that throws a step-named error
 * with a plain sentence. The result lists every step with its status and names the first failure.
 * Used by the server, the CLI and (the integrity steps) the consumer's browser.
 */
import { ProofError, fromHex, toHex, verifyInclusion } from '../ledger/rfc6962';
import {
  EIP712_SIGNED_FIELDS,
  isRecordType,
  logEntryLeafHash,
  parseLogEntry,
  recoverSigner,
  revocationReasonOf,
  typedDataFor,
  verifyDisclosures,
  instantToSeconds,
  type LogEntry,
  type RecordType,
  type SignedView,
} from '../records';
import { classify, type Classification } from '../standards';
import type { ChainReader, OnChainRevocation } from '../chain/reader';
import { RECORD_ROUTING } from '../service/routing';
import { BUNDLE_FORMAT, ProofBundleSchema, type ProofBundle } from './bundle';

export const STEPS = [
  'parseBundle',
  'checkFieldDisclosures',
  'computeLeafHash',
  'checkInclusion',
  'checkCheckpointOnChain',
  'checkSigner',
  'checkNotRevoked',
  'classifySelenium',
] as const;
export type StepName = (typeof STEPS)[number];

export type StepStatus = 'passed' | 'failed' | 'pending' | 'skipped';
export interface StepResult {
  step: StepName;
  status: StepStatus;
  message: string;
}

export type Verdict = 'valid' | 'invalid' | 'pending' | 'revoked';

export interface VerificationResult {
  verdict: Verdict;
  steps: StepResult[];
  /** The first step that failed, if any. */
  failedStep: StepName | null;
  record: { type: string; id: string; fields: Record<string, unknown> } | null;
  anchor: { size: number; root: string; leafIndex: number | null; txHash: string | null; blockNumber: number | null; blockTime: number | null } | null;
  signer: string | null;
  revocation: { reasonCode: number; reason: string; revokedAt: string; revokedBy: string } | null;
  classification: Classification | null;
}

/** A step failed; `step` names it. */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    readonly step: StepName,
    message: string,
    readonly status: 'failed' | 'pending' = 'failed',
  ) {
    super(message);
  }
}

export interface VerifyOptions {
  /** Product category of the batch a report is for (from the verified batch), to classify its result. */
  category?: string;
  /** Skip the steps that need the chain (the browser does its own; the server can pass a reader). */
  chain?: ChainReader;
}

interface Context {
  bundle: ProofBundle;
  fields: Record<string, unknown>;
  entry: LogEntry;
  leaf: Uint8Array;
  type: RecordType;
  revocation: OnChainRevocation | null;
  classification: Classification | null;
}

type Step = (ctx: Context, opts: VerifyOptions) => Promise<string>;

const fail = (step: StepName, message: string): never => {
  throw new StepError(step, message);
};

const STEP_FNS: Record<Exclude<StepName, 'parseBundle'>, Step> = {
  async checkFieldDisclosures(ctx) {
    const { record } = ctx.bundle;
    try {
      ctx.fields = verifyDisclosures(record.disclosures as never, record.leafCount, record.recordRoot as `0x${string}`);
    } catch (e) {
      return fail('checkFieldDisclosures', `A disclosed field does not match the signed record: ${(e as Error).message}`);
    }
    if (ctx.fields.id !== undefined && ctx.fields.id !== record.id) fail('checkFieldDisclosures', `The disclosed id ${String(ctx.fields.id)} is not the record's id ${record.id}.`);
    return `${record.disclosures.length} disclosed fields match the record root; ${record.leafCount - record.disclosures.length} private fields stay hidden.`;
  },

  async computeLeafHash(ctx) {
    const { bundle } = ctx;
    try {
      ctx.entry = parseLogEntry(bundle.entry);
    } catch (e) {
      return fail('computeLeafHash', `The log entry is not readable: ${(e as Error).message}`);
    }
    const e = ctx.entry;
    if (e.recordRoot !== bundle.record.recordRoot.toLowerCase()) fail('computeLeafHash', 'The log entry commits to another record root.');
    if (e.id !== bundle.record.id || e.type !== bundle.record.type) fail('computeLeafHash', 'The log entry is for another record.');
    ctx.leaf = logEntryLeafHash(e);
    const leafHex = '0x' + toHex(ctx.leaf);
    if (leafHex !== bundle.log.leafHash.toLowerCase()) fail('computeLeafHash', `The log entry hashes to ${leafHex}, not the bundle's leaf hash ${bundle.log.leafHash}.`);
    return `Leaf hash ${leafHex}.`;
  },

  async checkInclusion(ctx) {
    const { checkpoint, log } = ctx.bundle;
    if (!checkpoint || log.leafIndex === null) throw new StepError('checkInclusion', 'The record is accepted but not yet in an anchored checkpoint.', 'pending');
    try {
      verifyInclusion({ index: log.leafIndex, size: checkpoint.size, leafHash: ctx.leaf, proof: log.inclusionProof.map(fromHex), root: fromHex(checkpoint.root) });
    } catch (e) {
      const why = e instanceof ProofError ? e.message : (e as Error).message;
      return fail('checkInclusion', `The inclusion proof does not lead to the checkpoint root: ${why}`);
    }
    return `Entry ${log.leafIndex} is in the log of ${checkpoint.size} entries with root ${checkpoint.root}.`;
  },

  async checkCheckpointOnChain(ctx, opts) {
    const { checkpoint, log, chain } = ctx.bundle;
    if (!checkpoint) throw new StepError('checkCheckpointOnChain', 'No checkpoint yet: the record waits to be anchored.', 'pending');
    if (!opts.chain) throw new StepError('checkCheckpointOnChain', 'No chain endpoint was given, so the checkpoint was not read from the chain.', 'pending');
    const chainId = await opts.chain.chainId();
    if (chainId !== chain.chainId) fail('checkCheckpointOnChain', `The endpoint is chain ${chainId}, but the record was anchored on chain ${chain.chainId}.`);
    const root = await opts.chain.rootAt(log.chainLogId, checkpoint.size);
    if (root === null) fail('checkCheckpointOnChain', `TraceLedger ${chain.traceLedger} holds no checkpoint of size ${checkpoint.size}.`);
    if (root!.toLowerCase() !== checkpoint.root.toLowerCase()) fail('checkCheckpointOnChain', `The chain's root at size ${checkpoint.size} is ${root}, not ${checkpoint.root}.`);
    const where = checkpoint.blockNumber !== null ? ` (block ${checkpoint.blockNumber})` : '';
    return `TraceLedger on chain ${chainId} anchored this root at size ${checkpoint.size}${where}.`;
  },

  async checkSigner(ctx, opts) {
    const needed = EIP712_SIGNED_FIELDS[ctx.type] as readonly string[];
    const missing = needed.filter((f) => !(f in ctx.fields));
    if (missing.length > 0) fail('checkSigner', `The bundle withholds signed fields: ${missing.join(', ')}.`);
    const { chain } = ctx.bundle;
    let recovered: string;
    try {
      const typed = typedDataFor(ctx.type, ctx.fields as unknown as SignedView<RecordType>, ctx.entry.recordRoot, { chainId: chain.chainId, verifyingContract: chain.traceLedger });
      recovered = recoverSigner(typed, ctx.entry.signature).toLowerCase();
    } catch (e) {
      return fail('checkSigner', `The signature cannot be checked: ${(e as Error).message}`);
    }
    if (recovered !== ctx.entry.signer) fail('checkSigner', `The signature is by ${recovered}, not the stated signer ${ctx.entry.signer}.`);
    const role = RECORD_ROUTING[ctx.type].role;
    if (!opts.chain) throw new StepError('checkSigner', `Signed by ${recovered}; its registration was not read from the chain.`, 'pending');
    const at = instantToSeconds(ctx.entry.issuedAt);
    if (await opts.chain.isValidSigner(recovered, role, at)) return `Signed by ${recovered}, a ${role} key valid at ${ctx.entry.issuedAt}.`;
    if (ctx.type === 'Batch' && (await opts.chain.isAnchorer(recovered))) return `Registered by its producer through the operator ${recovered}.`;
    return fail('checkSigner', `${recovered} was not a registered ${role} key valid at ${ctx.entry.issuedAt}.`);
  },

  async checkNotRevoked(ctx, opts) {
    if (!opts.chain) throw new StepError('checkNotRevoked', 'Revocations were not read from the chain.', 'pending');
    const leafHex = '0x' + toHex(ctx.leaf);
    const r = await opts.chain.revocationOf(leafHex);
    if (!r.revoked) return 'Not revoked.';
    // Any lab key can call revoke(); only the issuing lab's revocation, or a regulator's, counts.
    if (r.participantId !== null && r.participantId !== (await opts.chain.participantOf(ctx.entry.signer))) {
      return `Not revoked (a revocation by ${r.revokedBy}, who did not issue it, is ignored).`;
    }
    ctx.revocation = r;
    const reason = revocationReasonOf(r.reasonCode) ?? `code ${r.reasonCode}`;
    return fail('checkNotRevoked', `Revoked on ${new Date(r.revokedAt * 1000).toISOString()} by ${r.participantId === null ? 'the regulator' : 'the issuing lab'}: ${reason}.`);
  },

  async classifySelenium(ctx, opts) {
    if (ctx.type !== 'SeleniumTestReport') throw new StepError('classifySelenium', 'Not a selenium test report.', 'pending');
    const f = ctx.fields as { result?: number; unit?: string; issueDate?: string };
    if (f.result === undefined || f.unit === undefined || f.issueDate === undefined) return fail('classifySelenium', 'The result, unit or issue date is not disclosed.');
    if (!opts.category) throw new StepError('classifySelenium', 'No product category given, so the result was not classified.', 'pending');
    ctx.classification = classify({ category: opts.category, result: f.result, unit: f.unit, date: f.issueDate });
    return ctx.classification.reason_en;
  },
};

/** Verifies a proof bundle (any JSON value); never throws for bad input. */
export async function verifyBundle(input: unknown, opts: VerifyOptions = {}): Promise<VerificationResult> {
  const steps: StepResult[] = [];
  const result: VerificationResult = { verdict: 'invalid', steps, failedStep: null, record: null, anchor: null, signer: null, revocation: null, classification: null };

  const parsed = ProofBundleSchema.safeParse(input);
  if (!parsed.success) {
    const format = (input as { format?: unknown } | null)?.format;
    const message =
      typeof format === 'string' && format !== BUNDLE_FORMAT
        ? `Unknown bundle format "${format}"; this verifier reads ${BUNDLE_FORMAT}.`
        : `Not a ${BUNDLE_FORMAT} bundle: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    steps.push({ step: 'parseBundle', status: 'failed', message });
    for (const s of STEPS.slice(1)) steps.push({ step: s, status: 'skipped', message: 'Not run: the bundle could not be read.' });
    result.failedStep = 'parseBundle';
    return result;
  }
  const bundle = parsed.data;
  if (!isRecordType(bundle.record.type)) {
    steps.push({ step: 'parseBundle', status: 'failed', message: `Unknown record type ${bundle.record.type}.` });
    result.failedStep = 'parseBundle';
    for (const s of STEPS.slice(1)) steps.push({ step: s, status: 'skipped', message: 'Not run: the bundle could not be read.' });
    return result;
  }
  steps.push({ step: 'parseBundle', status: 'passed', message: `A ${bundle.record.type} bundle for record ${bundle.record.id}.` });

  const ctx: Context = { bundle, fields: {}, entry: undefined as never, leaf: new Uint8Array(), type: bundle.record.type, revocation: null, classification: null };
  let broken = false;
  let pending = false;
  for (const name of STEPS.slice(1) as Exclude<StepName, 'parseBundle'>[]) {
    if (broken) {
      steps.push({ step: name, status: 'skipped', message: `Not run: ${result.failedStep} failed.` });
      continue;
    }
    try {
      steps.push({ step: name, status: 'passed', message: await STEP_FNS[name](ctx, opts) });
    } catch (e) {
      if (e instanceof StepError && e.status === 'pending') {
        steps.push({ step: name, status: name === 'classifySelenium' ? 'skipped' : 'pending', message: e.message });
        if (name !== 'classifySelenium') pending = true;
        continue;
      }
      const message = e instanceof StepError ? e.message : `Could not complete this step: ${(e as Error).message}`;
      steps.push({ step: name, status: 'failed', message });
      if (name === 'checkNotRevoked' && ctx.revocation) continue; // revoked is its own verdict
      if (!broken) result.failedStep = name;
      broken = true;
    }
  }

  result.record = { type: bundle.record.type, id: bundle.record.id, fields: ctx.fields };
  result.signer = ctx.entry?.signer ?? null;
  result.classification = ctx.classification;
  if (bundle.checkpoint) {
    result.anchor = { ...bundle.checkpoint, leafIndex: bundle.log.leafIndex };
  }
  if (ctx.revocation) {
    const r = ctx.revocation;
    result.revocation = { reasonCode: r.reasonCode, reason: revocationReasonOf(r.reasonCode) ?? 'unknown', revokedAt: new Date(r.revokedAt * 1000).toISOString(), revokedBy: r.revokedBy };
  }
  result.verdict = broken ? 'invalid' : ctx.revocation ? 'revoked' : pending ? 'pending' : 'valid';
  if (result.verdict === 'revoked') result.failedStep = 'checkNotRevoked';
  return result;
}
