/**
 * Signed receipts (`traceledger-receipt-v1`): the operator's signed promise that a record sits at
 * `leafIndex` of its log with `leafHash`. A receipt is issued once the record is sequenced, and it
 * is deterministic: `logSize` is leafIndex + 1 (the prefix of the log that ends with the record)
 * and `issuedAt` the second the record was accepted, so asking again returns the same bytes.
 * {@link checkReceipt} holds the operator to it against the chain: if the anchored log does not
 * have that leaf at that index, the signed receipt and the on-chain root prove the omission.
 */
import { msToInstant } from '../records/time';
import { z } from 'zod';
import { chainLogId } from '../anchoring/worker';
import type { ChainReader } from '../chain/reader';
import { AppError } from '../errors';
import { InvalidArgumentError, ProofError, fromHex, toHex, verifyInclusion } from '../ledger/rfc6962';
import { LogTree } from '../ledger/tree';
import { instantToSeconds, recoverSigner, traceledgerDomain, type ChainBinding, type RecordTypedData, type TraceledgerDomain } from '../records';
import { LOG_IDS, type LogId, type Store } from '../store/types';

/** The only receipt format this code writes and reads. */
export const RECEIPT_FORMAT = 'traceledger-receipt-v1';

/** A field of an EIP-712 struct. */
interface TypedDataField {
  name: string;
  type: string;
}

/** What signs receipts: any ethers signer (a Wallet, the operator's NonceManager) has this method. */
export interface TypedDataSigner {
  signTypedData(domain: TraceledgerDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

/** The EIP-712 struct the operator signs, in the traceledger domain. */
export const RECEIPT_EIP712_TYPES: Record<'Receipt', TypedDataField[]> = {
  Receipt: [
    { name: 'logId', type: 'string' },
    { name: 'recordId', type: 'string' },
    { name: 'leafIndex', type: 'uint64' },
    { name: 'leafHash', type: 'bytes32' },
    { name: 'logSize', type: 'uint64' },
    { name: 'issuedAt', type: 'uint64' },
  ],
};

const instant = z.iso.datetime({ precision: 0, error: 'must be an ISO 8601 UTC time YYYY-MM-DDTHH:mm:ssZ' });
const index = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ReceiptSchema = z
  .strictObject({
    format: z.literal(RECEIPT_FORMAT),
    logId: z.enum(LOG_IDS as [LogId, ...LogId[]]),
    recordId: z.string().min(1).max(64),
    leafIndex: index,
    leafHash: z.string().regex(/^0x[0-9a-f]{64}$/, { error: 'must be 0x followed by 64 lowercase hex digits' }),
    logSize: index,
    /** When the operator accepted the record. */
    issuedAt: instant,
    /** The chain and TraceLedger contract of the EIP-712 domain (and of the anchors to check against). */
    chainId: z.number().int().positive(),
    traceLedger: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    signature: z.string().regex(/^0x[0-9a-f]{130}$/, { error: 'must be 65 bytes r||s||v as 0x + 130 lowercase hex digits' }),
  })
  .refine((r) => r.logSize > r.leafIndex, { error: 'logSize must be greater than leafIndex', path: ['logSize'] });

/** A receipt, as issued and as read back. */
export type SignedReceipt = z.output<typeof ReceiptSchema>;

/** What the operator signs: the receipt without its signature. */
export type ReceiptFields = Omit<SignedReceipt, 'signature' | 'format'>;

/**
 * Reads a receipt. Throws AppError 'unsupported-version' for a format other than
 * traceledger-receipt-v1 (checked first: another version may have other fields) and
 * 'invalid-input' naming every other problem.
 */
export function parseReceipt(input: unknown): SignedReceipt {
  const format = typeof input === 'object' && input !== null ? (input as { format?: unknown }).format : undefined;
  if (format !== RECEIPT_FORMAT) {
    throw new AppError('unsupported-version', `not a ${RECEIPT_FORMAT} receipt (format ${JSON.stringify(format ?? null)})`);
  }
  const parsed = ReceiptSchema.safeParse(input);
  if (!parsed.success) {
    throw new AppError('invalid-input', `invalid receipt: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(receipt)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The EIP-712 domain, types and message of a receipt. */
export function receiptTypedData(fields: ReceiptFields) {
  const binding: ChainBinding = { chainId: fields.chainId, verifyingContract: fields.traceLedger };
  return {
    domain: traceledgerDomain(binding),
    types: RECEIPT_EIP712_TYPES,
    primaryType: 'Receipt' as const,
    message: {
      logId: fields.logId,
      recordId: fields.recordId,
      leafIndex: fields.leafIndex,
      leafHash: fields.leafHash,
      logSize: fields.logSize,
      issuedAt: instantToSeconds(fields.issuedAt),
    },
  };
}

/** Signs a receipt with the operator's key (any ethers signer). */
export async function signReceipt(operator: TypedDataSigner, fields: ReceiptFields): Promise<SignedReceipt> {
  const td = receiptTypedData(fields);
  const signature = (await operator.signTypedData(td.domain, td.types, td.message)).toLowerCase();
  return { format: RECEIPT_FORMAT, ...fields, signature };
}

/** The (checksummed) address that signed `receipt`. Throws AppError 'bad-signature' when none can be recovered. */
export function receiptSigner(receipt: SignedReceipt): string {
  const { signature, format: _format, ...fields } = receipt;
  const td = receiptTypedData(fields);
  try {
    // The records' EIP-712 recovery hashes any struct of string, bytes32 and uint64 fields, as Receipt is,
    // though Receipt is not a record type; it also refuses non-canonical (high s) signatures.
    return recoverSigner(td as unknown as RecordTypedData, signature);
  } catch (e) {
    throw new AppError('bad-signature', `the receipt signature is not valid: ${(e as Error).message}`, undefined, { cause: e });
  }
}

/** What issuing receipts needs: the store, the operator's key and the chain binding. */
export interface ReceiptIssuer {
  store: Store;
  operator: TypedDataSigner;
  binding: { chainId: number; traceLedger: string };
}


/**
 * The receipt of record `recordId`, or null while it waits to be sequenced (the anchoring worker
 * sequences within moments). Throws AppError 'not-found' for an unknown record.
 */
export async function getReceipt(issuer: ReceiptIssuer, recordId: string): Promise<SignedReceipt | null> {
  const rec = await issuer.store.getRecord(recordId);
  if (!rec) throw new AppError('not-found', `no record ${recordId}`);
  if (rec.leafIndex === null) return null;
  return signReceipt(issuer.operator, {
    logId: rec.logId,
    recordId: rec.id,
    leafIndex: rec.leafIndex,
    leafHash: `0x${toHex(rec.leafHash)}`,
    logSize: rec.leafIndex + 1,
    issuedAt: msToInstant(rec.receivedAt),
    chainId: issuer.binding.chainId,
    traceLedger: issuer.binding.traceLedger,
  });
}

/** {@link getReceipt}, polling until the record is sequenced or `timeoutMs` pass (then null). */
export async function awaitReceipt(issuer: ReceiptIssuer, recordId: string, timeoutMs = 1000, pollMs = 20): Promise<SignedReceipt | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await getReceipt(issuer, recordId);
    if (receipt || Date.now() >= deadline) return receipt;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** An inclusion proof as served by a log: the leaf hash at `leafIndex` and its path to the root of `size`. */
export interface ServedInclusion {
  leafHash: string;
  proof: string[];
}

/** Asks the log for the leaf at `leafIndex` and its inclusion proof in the tree of `size` leaves. */
export type FetchInclusion = (leafIndex: number, size: number) => Promise<ServedInclusion>;

/** A {@link FetchInclusion} served from this server's store (what an HTTP route would answer). */
export function storeInclusionFetcher(store: Store, logId: LogId): FetchInclusion {
  return async (leafIndex, size) => {
    const tree = new LogTree(store.nodeReader(logId), size);
    const [leaf, proof] = await Promise.all([tree.leafHashAt(leafIndex), tree.inclusionProof(leafIndex, size)]);
    return { leafHash: `0x${toHex(leaf)}`, proof: proof.map((h) => `0x${toHex(h)}`) };
  };
}

export type ReceiptStatus = 'included' | 'omitted' | 'not-yet-anchored' | 'invalid';

export interface ReceiptCheck {
  /**
   * included: the anchored log has the receipt's leaf at its index. omitted: it does not — another
   * leaf is proven there, or no valid proof of the receipt's leaf is served. not-yet-anchored: no
   * anchored checkpoint covers the index yet. invalid: the receipt is not signed by an anchorer of
   * this TraceLedger on this chain, so it proves nothing.
   */
  status: ReceiptStatus;
  message: string;
  evidence: {
    receipt: SignedReceipt;
    /** Who signed the receipt (null when no signer could be recovered). */
    operator: string | null;
    /** The anchored checkpoint read from the chain. */
    checkpoint: { chainLogId: string; size: number; root: string } | null;
    /** What the log served for the index, when it served something. */
    served: ServedInclusion | null;
    reason?: 'other-leaf' | 'no-valid-proof';
  };
}

export interface ReceiptCheckDeps {
  chain: ChainReader;
  fetchInclusion: FetchInclusion;
  /** The TraceLedger address `chain` reads; when given, a receipt naming another contract is invalid. */
  traceLedger?: string;
}

/**
 * Checks a receipt against the chain: the signature must come from an ANCHORER of TraceLedger,
 * and the latest anchored checkpoint (size > leafIndex) must include the receipt's leaf at
 * its index, by an inclusion proof (asked of the log through `fetchInclusion`) verified against
 * the root read from the chain.
 */
export async function checkReceipt(receipt: SignedReceipt, deps: ReceiptCheckDeps): Promise<ReceiptCheck> {
  const evidence: ReceiptCheck['evidence'] = { receipt, operator: null, checkpoint: null, served: null };
  const result = (status: ReceiptStatus, message: string, reason?: 'other-leaf' | 'no-valid-proof'): ReceiptCheck => ({
    status,
    message,
    evidence: reason ? { ...evidence, reason } : evidence,
  });

  const chainId = await deps.chain.chainId();
  if (chainId !== receipt.chainId) return result('invalid', `the receipt is for chain ${receipt.chainId}, but the endpoint is chain ${chainId}`);
  if (deps.traceLedger && deps.traceLedger.toLowerCase() !== receipt.traceLedger.toLowerCase()) {
    return result('invalid', `the receipt is for TraceLedger ${receipt.traceLedger}, not ${deps.traceLedger}`);
  }
  try {
    evidence.operator = receiptSigner(receipt);
  } catch (e) {
    return result('invalid', (e as Error).message);
  }
  if (!(await deps.chain.isAnchorer(evidence.operator))) {
    return result('invalid', `the receipt is signed by ${evidence.operator}, which is not an anchorer of TraceLedger ${receipt.traceLedger}`);
  }

  const id = chainLogId(receipt.logId);
  const head = await deps.chain.latest(id);
  if (head.size <= receipt.leafIndex) {
    return result('not-yet-anchored', `the chain's latest checkpoint of log ${receipt.logId} has ${head.size} entries; entry ${receipt.leafIndex} is not anchored yet`);
  }
  evidence.checkpoint = { chainLogId: id, size: head.size, root: head.root };
  const root = fromHex(head.root.replace(/^0x/, ''));

  let served: ServedInclusion;
  try {
    served = await deps.fetchInclusion(receipt.leafIndex, head.size);
    evidence.served = served;
  } catch (e) {
    return result('omitted', `the log served no inclusion proof of entry ${receipt.leafIndex} at size ${head.size} (${(e as Error).message}); the signed receipt and the anchored root ${head.root} are the evidence`, 'no-valid-proof');
  }
  if (proves(receipt.leafIndex, head.size, receipt.leafHash, served.proof, root)) {
    return result('included', `entry ${receipt.leafIndex} of log ${receipt.logId} is ${receipt.leafHash} in the checkpoint of ${head.size} entries anchored on chain with root ${head.root}`);
  }
  if (served.leafHash.toLowerCase() !== receipt.leafHash && proves(receipt.leafIndex, head.size, served.leafHash, served.proof, root)) {
    return result(
      'omitted',
      `the anchored log (size ${head.size}, root ${head.root}) has ${served.leafHash} at index ${receipt.leafIndex}, not the receipt's ${receipt.leafHash}: the log was rewritten after the receipt was signed`,
      'other-leaf',
    );
  }
  return result('omitted', `the log served no valid proof that entry ${receipt.leafIndex} is ${receipt.leafHash} in the anchored checkpoint (size ${head.size}, root ${head.root})`, 'no-valid-proof');
}

/** True when `proof` leads from `leafHash` at `index` to `root` of a tree of `size` leaves. */
function proves(index: number, size: number, leafHash: string, proof: readonly string[], root: Uint8Array): boolean {
  try {
    verifyInclusion({ index, size, leafHash: hashOf(leafHash), proof: proof.map(hashOf), root });
    return true;
  } catch (e) {
    if (e instanceof ProofError || e instanceof InvalidArgumentError) return false;
    throw e;
  }
}

function hashOf(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new InvalidArgumentError('a hash must be 0x followed by 64 hex digits');
  return fromHex(hex.slice(2));
}
