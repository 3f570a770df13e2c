/**
 * The proof bundle `traceledger-proof-v1`: everything needed to verify a record with nothing but a
 * JSON-RPC endpoint, and its one reader (isomorphic). The reader rejects a format or log-entry version
 * it does not know, and names the first malformed field.
 */
import { ADDRESS_PATTERN_ANY_CASE, BYTES32_PATTERN_ANY_CASE } from '../crypto/bytes';
import { UnsupportedVersionError, isRecordError } from '../records/errors';
import { parseLogEntry, type LogEntry } from '../records/log-entry';
import { isRecordType, type RecordType } from '../records/record-types';
import type { MessageCode, Params } from './messages';

export const BUNDLE_FORMAT = 'traceledger-proof-v1';

/** One disclosed field of the record. */
export interface BundleDisclosure {
  name: string;
  value: unknown;
  salt: string;
  index: number;
  path: string[];
}

export interface ProofBundle {
  format: typeof BUNDLE_FORMAT;
  record: {
    type: string;
    id: string;
    recordRoot: string;
    leafCount: number;
    /** The disclosed (public) fields; private fields are withheld yet the root still verifies. */
    disclosures: BundleDisclosure[];
  };
  /** The log entry exactly as hashed into the log (the leaf data). */
  entry: Record<string, unknown>;
  log: {
    logId: string;
    /** bytes32 log id used on chain. */
    chainLogId: string;
    leafIndex: number | null;
    leafHash: string;
    inclusionProof: string[];
  };
  /** The anchored checkpoint the inclusion proof is against; null while the record waits to be anchored. */
  checkpoint: {
    size: number;
    root: string;
    txHash: string | null;
    blockNumber: number | null;
    blockTime: number | null;
  } | null;
  chain: {
    chainId: number;
    traceLedger: string;
    participantRegistry: string;
    revocationRegistry: string;
  };
}

/** A bundle that passed the reader: its record type is known and its log entry is a valid v1 entry. */
export interface ReadBundle {
  bundle: ProofBundle;
  type: RecordType;
  entry: LogEntry;
}

/** The reader's refusal: a message code and its parameters (see ./messages). */
export class BundleReadError extends Error {
  override readonly name = 'BundleReadError';
  constructor(
    readonly code: MessageCode,
    readonly params: Params,
  ) {
    super(`${code} ${JSON.stringify(params)}`);
  }
}

type Check = (v: unknown) => boolean;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString: Check = (v) => typeof v === 'string';
const isCount: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isPositive: Check = (v) => isCount(v) && (v as number) > 0;
const isHex32: Check = (v) => typeof v === 'string' && BYTES32_PATTERN_ANY_CASE.test(v);
const isAddressHex: Check = (v) => typeof v === 'string' && ADDRESS_PATTERN_ANY_CASE.test(v);
const orNull =
  (c: Check): Check =>
  (v) =>
    v === null || c(v);
const listOf =
  (c: Check, max: number): Check =>
  (v) =>
    Array.isArray(v) && v.length <= max && v.every(c);

/** The most hashes a proof of a log of up to 2^53 entries can hold (and a little room). */
const MAX_PROOF = 64;
/** Far more fields than any record type has. */
const MAX_DISCLOSURES = 256;

function requireShape(obj: Record<string, unknown>, at: string, shape: Readonly<Record<string, Check>>): void {
  for (const [key, ok] of Object.entries(shape)) {
    if (!Object.hasOwn(obj, key) || !ok(obj[key])) throw new BundleReadError('bundleMalformed', { path: `${at}${key}` });
  }
}

/**
 * Reads a proof bundle from any JSON value. Throws {@link BundleReadError}: `bundleUnknownFormat` for a
 * format string other than {@link BUNDLE_FORMAT}, `bundleNotABundle` for no format at all,
 * `bundleMalformed` naming the first bad field, `unknownRecordType`, `entryUnknownVersion` for a log
 * entry version other than 1, and `entryMalformed` naming the entry's bad field.
 */
export function readBundle(input: unknown): ReadBundle {
  if (!isObject(input)) throw new BundleReadError('bundleNotABundle', { expected: BUNDLE_FORMAT });
  const format = input.format;
  if (typeof format !== 'string') throw new BundleReadError('bundleNotABundle', { expected: BUNDLE_FORMAT });
  if (format !== BUNDLE_FORMAT) throw new BundleReadError('bundleUnknownFormat', { format: format.slice(0, 64), expected: BUNDLE_FORMAT });
  requireShape(input, '', { record: isObject, entry: isObject, log: isObject, checkpoint: orNull(isObject), chain: isObject });
  const record = input.record as Record<string, unknown>;
  requireShape(record, 'record.', { type: isString, id: isString, recordRoot: isHex32, leafCount: isPositive, disclosures: listOf(isObject, MAX_DISCLOSURES) });
  (record.disclosures as Record<string, unknown>[]).forEach((d, i) =>
    requireShape(d, `record.disclosures[${i}].`, { name: (v) => typeof v === 'string' && v !== '', salt: isString, index: isCount, path: listOf(isString, MAX_PROOF) }),
  );
  (record.disclosures as Record<string, unknown>[]).forEach((d, i) => {
    if (!Object.hasOwn(d, 'value')) throw new BundleReadError('bundleMalformed', { path: `record.disclosures[${i}].value` });
  });
  requireShape(input.log as Record<string, unknown>, 'log.', { logId: isString, chainLogId: isHex32, leafIndex: orNull(isCount), leafHash: isHex32, inclusionProof: listOf(isHex32, MAX_PROOF) });
  if (input.checkpoint !== null) {
    requireShape(input.checkpoint as Record<string, unknown>, 'checkpoint.', { size: isPositive, root: isHex32, txHash: orNull(isString), blockNumber: orNull(isCount), blockTime: orNull(isCount) });
  }
  requireShape(input.chain as Record<string, unknown>, 'chain.', { chainId: isPositive, traceLedger: isAddressHex, participantRegistry: isAddressHex, revocationRegistry: isAddressHex });
  const type = record.type as string;
  if (!isRecordType(type)) throw new BundleReadError('unknownRecordType', { type: type.slice(0, 64) });
  let entry: LogEntry;
  try {
    entry = parseLogEntry(input.entry as object);
  } catch (e) {
    if (e instanceof UnsupportedVersionError) throw new BundleReadError('entryUnknownVersion', { version: JSON.stringify(e.version) ?? String(e.version) });
    if (isRecordError(e)) throw new BundleReadError('entryMalformed', { path: e.issues[0]?.path || 'v' });
    throw e;
  }
  return { bundle: input as unknown as ProofBundle, type, entry };
}
