/**
 * The CPU-heavy, stateless half of accepting a signed record: schema validation, the record root
 * from the given salts (which must look random: ingest-rules.ts), the EIP-712 digest and the
 * signer's recovery. Pure, so it can run on a worker thread (see verify-pool.ts); errors are
 * AppErrors with their codes.
 */
import { AppError } from '../errors';
import {
  RecordError,
  commitRecord,
  parseRecord,
  recoverSigner,
  traceledgerDomain,
  typedDataWithDomain,
  type ChainBinding,
  type RecordOf,
  type RecordType,
  type SignedView,
  type TraceledgerDomain,
} from '../records';
import { assertStorableText, assertStrongSalts } from './ingest-rules';

export interface SignedSubmission {
  type: RecordType;
  record: unknown;
  /** Salt of every field, as the signer's tooling chose them (it signed the root they give). */
  salts: Record<string, string>;
  signature: string;
}

export interface VerifiedSubmission<T extends RecordType = RecordType> {
  type: T;
  record: RecordOf<T>;
  root: string;
  salts: Record<string, string>;
  /** Checksummed address recovered from the signature. */
  signer: string;
  signature: string;
}

export function parseAs<T extends RecordType>(type: T, input: unknown): RecordOf<T> {
  try {
    return parseRecord(type, input);
  } catch (e) {
    if (e instanceof RecordError) throw new AppError('invalid-record', e.message, { issues: e.issues }, { cause: e });
    throw e;
  }
}

/** The domain of the last binding seen (a process verifies for one chain and contract): built and checked once, and its separator cached by object. */
let lastDomain: { chainId: bigint | number; verifyingContract: string; domain: TraceledgerDomain } | undefined;

function domainOf(binding: ChainBinding): TraceledgerDomain {
  if (lastDomain === undefined || lastDomain.chainId !== binding.chainId || lastDomain.verifyingContract !== binding.verifyingContract) {
    lastDomain = { chainId: binding.chainId, verifyingContract: binding.verifyingContract, domain: Object.freeze(traceledgerDomain(binding)) };
  }
  return lastDomain.domain;
}

/** Validates the record, recomputes its root from the salts (refusing weak ones: 'weak-salt') and recovers who signed it. Throws AppError. */
export function verifySubmission(sub: SignedSubmission, binding: ChainBinding): VerifiedSubmission {
  const record = parseAs(sub.type, sub.record);
  assertStorableText(sub.type, record);
  let committed: { root: string; salts: Record<string, string> };
  try {
    committed = commitRecord(record, sub.salts);
  } catch (e) {
    if (e instanceof RecordError) throw new AppError('invalid-input', `salts: ${e.message}`, undefined, { cause: e });
    throw e;
  }
  assertStrongSalts(committed.salts);
  let signer: string;
  try {
    // typedDataFor(…) with the binding's domain built once.
    signer = recoverSigner(typedDataWithDomain(sub.type, record as SignedView<RecordType>, committed.root, domainOf(binding)), sub.signature);
  } catch (e) {
    throw new AppError('bad-signature', (e as Error).message, undefined, { cause: e });
  }
  return { type: sub.type, record, root: committed.root, salts: committed.salts, signer, signature: sub.signature };
}
