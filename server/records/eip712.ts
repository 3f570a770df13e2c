/**
 * EIP-712 typed data of every signed record, its digest, and signer recovery: written once, isomorphic
 * (no ethers, no `node:*`), so the server, the CLI and the consumer's browser run the same code. keccak-256
 * and secp256k1 recovery come from the installed primitives (server/crypto): native libkeccak and
 * libsecp256k1 on the server, @noble in the browser. Digests equal ethers' `TypedDataEncoder.hash`
 * (tested on every record type and on random values).
 *
 * Each record type is its own primary type (named like the record type) with the same head:
 * `string id, bytes32 recordRoot, uint64 issuedAt` — the record root commits to every field,
 * private ones included, through the salted field tree, so a proof bundle proves the signature
 * with the root alone — followed by the few fields a wallet user should see. Those fields are all
 * PUBLIC (see VISIBILITY), so a verifier holding only a bundle's disclosures can rebuild the message.
 * Domain: `{ name: "traceledger", version: "1", chainId, verifyingContract }`.
 *
 * Numbers: `uint64` values are JavaScript numbers (safe integers) so the typed data stays JSON;
 * `issuedAt` is the record's instant in whole seconds since the Unix epoch. Decimal results are
 * strings in RFC 8785 number form (0.35 → "0.35"). An absent optional string field is "".
 */
import { addressOfPublicKey, checksumAddress, isAddress } from '../crypto/address';
import { fromHex, toHex0x, uint256Word, utf8 } from '../crypto/bytes';
import { keccak256, primitives } from '../crypto/primitives';
import { canonicalNumber } from './canonical';
import { instantToSeconds } from './time';
import { RecordError } from './errors';
import type { Hex } from './hex';
import type { RecordType } from './record-types';
import type { RecordOf } from './schemas';

/** One member of an EIP-712 struct. */
export interface TypedDataField {
  name: string;
  type: string;
}

/** What can sign typed data: an ethers `Wallet` or JSON-RPC signer, or anything with the same method. */
export interface TypedDataSigner {
  signTypedData(domain: TraceledgerDomain, types: Record<string, TypedDataField[]>, value: Record<string, string | number>): Promise<string>;
}

/** EIP-712 domain name and version of every traceledger signature. */
export const EIP712_DOMAIN_NAME = 'traceledger';
export const EIP712_DOMAIN_VERSION = '1';

/** Which chain and contract a signature is bound to. */
export interface ChainBinding {
  chainId: bigint | number;
  verifyingContract: string;
}

/** The full EIP-712 domain of traceledger signatures. */
export interface TraceledgerDomain {
  name: typeof EIP712_DOMAIN_NAME;
  version: typeof EIP712_DOMAIN_VERSION;
  chainId: bigint;
  verifyingContract: string;
}

/** Everything a signer or verifier needs, in the shape of `eth_signTypedData_v4` (without EIP712Domain in `types`). */
export interface RecordTypedData<T extends RecordType = RecordType> {
  domain: TraceledgerDomain;
  types: Record<string, TypedDataField[]>;
  primaryType: T;
  message: Record<string, string | number>;
}

const HEAD: TypedDataField[] = [
  { name: 'id', type: 'string' },
  { name: 'recordRoot', type: 'bytes32' },
  { name: 'issuedAt', type: 'uint64' },
];

const SHARE_HEAD: TypedDataField[] = [
  ...HEAD,
  { name: 'step', type: 'string' },
  { name: 'departmentId', type: 'string' },
  { name: 'seq', type: 'uint64' },
  { name: 'prevHash', type: 'bytes32' },
];

/** The struct of each record type (the primary type has the record type's name). */
export const EIP712_TYPES: { readonly [T in RecordType]: readonly TypedDataField[] } = {
  Batch: [
    ...HEAD,
    { name: 'lot', type: 'string' },
    { name: 'gtin', type: 'string' },
    { name: 'productCategory', type: 'string' },
    { name: 'producerUscc', type: 'string' },
  ],
  SeleniumTestReport: [
    ...HEAD,
    { name: 'reportNumber', type: 'string' },
    { name: 'batchId', type: 'string' },
    { name: 'result', type: 'string' },
    { name: 'unit', type: 'string' },
    { name: 'conclusion', type: 'string' },
  ],
  ShareRequest: [
    ...SHARE_HEAD,
    { name: 'providingDepartmentUscc', type: 'string' },
    { name: 'catalogueItemId', type: 'string' },
    { name: 'purpose', type: 'string' },
  ],
  ShareReply: [
    ...SHARE_HEAD,
    { name: 'requestId', type: 'string' },
    { name: 'decision', type: 'string' },
  ],
  ShareDelivery: [
    ...SHARE_HEAD,
    { name: 'requestId', type: 'string' },
    { name: 'dataSha256', type: 'bytes32' },
    { name: 'rowCount', type: 'uint64' },
  ],
  ShareReceipt: [
    ...SHARE_HEAD,
    { name: 'deliveryId', type: 'string' },
    { name: 'dataSha256', type: 'bytes32' },
    { name: 'rowCount', type: 'uint64' },
  ],
  Revocation: [
    ...HEAD,
    { name: 'targetRecordId', type: 'string' },
    { name: 'targetLeafHash', type: 'bytes32' },
    { name: 'reasonCode', type: 'string' },
  ],
  LabCommission: [
    ...HEAD,
    { name: 'batchId', type: 'string' },
    { name: 'labCmaNumber', type: 'string' },
  ],
};

/**
 * Signed fields a record may lack: the message then carries "" for them, so a verifier rebuilds the same
 * message from the disclosures without them (and a withheld value would break the signature).
 */
export const EIP712_OPTIONAL_FIELDS: { readonly [T in RecordType]: readonly string[] } = {
  Batch: ['gtin'],
  SeleniumTestReport: [],
  ShareRequest: [],
  ShareReply: [],
  ShareDelivery: [],
  ShareReceipt: [],
  Revocation: [],
  LabCommission: [],
};

/** The signed fields a disclosure must include for `type`'s message to be rebuilt. */
export function requiredSignedFields(type: RecordType): string[] {
  const optional = EIP712_OPTIONAL_FIELDS[type];
  return (EIP712_SIGNED_FIELDS[type] as readonly string[]).filter((f) => !optional.includes(f));
}

/** The record fields each type's message is built from (all PUBLIC). */
export const EIP712_SIGNED_FIELDS = {
  Batch: ['id', 'issuedAt', 'lot', 'gtin', 'productCategory', 'producer'],
  SeleniumTestReport: ['id', 'issuedAt', 'reportNumber', 'batchId', 'result', 'unit', 'conclusion'],
  ShareRequest: ['id', 'issuedAt', 'step', 'departmentId', 'seq', 'prevHash', 'providingDepartment', 'catalogueItem', 'purpose'],
  ShareReply: ['id', 'issuedAt', 'step', 'departmentId', 'seq', 'prevHash', 'requestId', 'reply'],
  ShareDelivery: ['id', 'issuedAt', 'step', 'departmentId', 'seq', 'prevHash', 'requestId', 'delivery'],
  ShareReceipt: ['id', 'issuedAt', 'step', 'departmentId', 'seq', 'prevHash', 'deliveryId', 'received'],
  Revocation: ['id', 'issuedAt', 'targetRecordId', 'targetLeafHash', 'reasonCode'],
  LabCommission: ['id', 'issuedAt', 'batchId', 'labCmaNumber'],
} as const satisfies { readonly [T in RecordType]: readonly (keyof RecordOf<T>)[] };

/** The part of a record its signature message shows: a full record, or the verified public disclosures. */
export type SignedView<T extends RecordType> = Pick<RecordOf<T>, Extract<(typeof EIP712_SIGNED_FIELDS)[T][number], keyof RecordOf<T>>>;

type MessageOf = { readonly [T in RecordType]: (r: SignedView<T>) => Record<string, string | number> };

const MESSAGES: MessageOf = {
  Batch: (r) => ({ lot: r.lot, gtin: r.gtin ?? '', productCategory: r.productCategory, producerUscc: r.producer.uscc }),
  SeleniumTestReport: (r) => ({
    reportNumber: r.reportNumber,
    batchId: r.batchId,
    result: canonicalNumber(r.result),
    unit: r.unit,
    conclusion: r.conclusion,
  }),
  // Written out, not spread from a shared head: a spread costs a few µs a message, and trails verify every record.
  ShareRequest: (r) => ({
    step: r.step,
    departmentId: r.departmentId,
    seq: r.seq,
    prevHash: r.prevHash,
    providingDepartmentUscc: r.providingDepartment.uscc,
    catalogueItemId: r.catalogueItem.id,
    purpose: r.purpose,
  }),
  ShareReply: (r) => ({ step: r.step, departmentId: r.departmentId, seq: r.seq, prevHash: r.prevHash, requestId: r.requestId, decision: r.reply.decision }),
  ShareDelivery: (r) => ({
    step: r.step,
    departmentId: r.departmentId,
    seq: r.seq,
    prevHash: r.prevHash,
    requestId: r.requestId,
    dataSha256: r.delivery.dataSha256,
    rowCount: r.delivery.rowCount,
  }),
  ShareReceipt: (r) => ({
    step: r.step,
    departmentId: r.departmentId,
    seq: r.seq,
    prevHash: r.prevHash,
    deliveryId: r.deliveryId,
    dataSha256: r.received.dataSha256,
    rowCount: r.received.rowCount,
  }),
  Revocation: (r) => ({ targetRecordId: r.targetRecordId, targetLeafHash: r.targetLeafHash, reasonCode: r.reasonCode }),
  LabCommission: (r) => ({ batchId: r.batchId, labCmaNumber: r.labCmaNumber }),
};

/** The traceledger domain for a chain and contract. Requires a valid address; the chain id must be a positive integer. */
export function traceledgerDomain(binding: ChainBinding): TraceledgerDomain {
  let chainId: bigint;
  try {
    chainId = BigInt(binding.chainId);
  } catch (cause) {
    throw new RecordError('invalid-argument', `chainId must be a positive integer, got ${String(binding.chainId)}`, { cause });
  }
  if (chainId <= 0n) throw new RecordError('invalid-argument', `chainId must be a positive integer, got ${chainId}`);
  // An address checksummed before was checked then (the EIP-55 check of a mixed-case address costs a keccak).
  if (typeof binding.verifyingContract !== 'string' || (!checksums.has(binding.verifyingContract) && !isAddress(binding.verifyingContract))) {
    throw new RecordError('invalid-argument', `verifyingContract is not an address: ${String(binding.verifyingContract)}`);
  }
  return { name: EIP712_DOMAIN_NAME, version: EIP712_DOMAIN_VERSION, chainId, verifyingContract: checksummed(binding.verifyingContract) };
}

/** checksumAddress, remembered: every typedDataFor builds a domain, and the contract address rarely changes. Requires isAddress(address). */
function checksummed(address: string): string {
  let sum = checksums.get(address);
  if (sum === undefined) {
    sum = checksumAddress(address);
    remember(checksums, address, sum);
  }
  return sum;
}

export { instantToSeconds } from './time';

/**
 * The EIP-712 typed data a signer signs for `record` of `type` whose record root is `root`.
 * Does not recompute the root (it needs the salts): the caller checks `commitRecord(record, salts).root === root`.
 * Requires a record valid for `type` (see parseRecord), or its verified public fields.
 */
export function typedDataFor<T extends RecordType>(type: T, record: SignedView<T>, root: Hex | string, binding: ChainBinding): RecordTypedData<T> {
  return typedDataWithDomain(type, record, root, traceledgerDomain(binding));
}

/** {@link typedDataFor} with a domain built once (by {@link traceledgerDomain}), for verifying many records. */
export function typedDataWithDomain<T extends RecordType>(type: T, record: SignedView<T>, root: Hex | string, domain: TraceledgerDomain): RecordTypedData<T> {
  if (!/^0x[0-9a-f]{64}$/.test(root)) throw new RecordError('invalid-argument', 'record root must be 0x followed by 64 lowercase hex digits');
  const head = record as unknown as { id: string; issuedAt: string };
  const build = MESSAGES[type] as (r: SignedView<T>) => Record<string, string | number>;
  return {
    domain,
    types: { [type]: EIP712_TYPES[type].map((f) => ({ ...f })) },
    primaryType: type,
    message: { id: head.id, recordRoot: root, issuedAt: instantToSeconds(head.issuedAt), ...build(record) },
  };
}

/**
 * The digest of `typedDataWithDomain(type, record, root, domain)` (what {@link typedDataDigestBytes} gives for it)
 * without building the typed data: the same message builder and struct encoder, for verifying many records.
 * `issuedAtSeconds`, when given, stands for `instantToSeconds(record.issuedAt)` (a caller that read the instant
 * from a log entry has it already). Throws like typedDataWithDomain, then typedDataDigestBytes.
 */
export function recordDigestBytes<T extends RecordType>(type: T, record: SignedView<T>, root: Hex | string, domain: TraceledgerDomain, issuedAtSeconds?: number): Uint8Array {
  if (!/^0x[0-9a-f]{64}$/.test(root)) throw new RecordError('invalid-argument', 'record root must be 0x followed by 64 lowercase hex digits');
  const head = record as unknown as { id: string; issuedAt: string };
  const build = MESSAGES[type] as (r: SignedView<T>) => Record<string, string | number>;
  const issuedAt = issuedAtSeconds ?? instantToSeconds(head.issuedAt);
  // The type's fields, then the head's (the encoder reads members by name, so their order in the object is free).
  const message = build(record);
  message.id = head.id;
  message.recordRoot = root;
  message.issuedAt = issuedAt;
  return digestOf(domainSeparatorOf(domain), recordEncoderOf(type).hash(message));
}

/** keccak256(0x1901 || domainSeparator || structHash). */
function digestOf(separator: Uint8Array, structHash: Uint8Array): Uint8Array {
  const preimage = new Uint8Array(66);
  preimage[0] = 0x19;
  preimage[1] = 0x01;
  preimage.set(separator, 2);
  preimage.set(structHash, 34);
  return keccak256(preimage);
}

/** The struct encoder of each record type's own struct (EIP712_TYPES, which never changes), built on first use. */
const recordEncoders = new Map<RecordType, StructEncoder>();

function recordEncoderOf(type: RecordType): StructEncoder {
  let encoder = recordEncoders.get(type);
  if (encoder === undefined) {
    encoder = flatStructEncoder(type, { [type]: EIP712_TYPES[type].map((f) => ({ ...f })) });
    recordEncoders.set(type, encoder);
  }
  return encoder;
}

/**
 * The EIP-712 digest that is signed: keccak256(0x1901 || domainSeparator || hashStruct(message)),
 * exactly `TypedDataEncoder.hash(domain, types, message)` of ethers, with the domain separator and the
 * struct encoder cached (the domain separator alone is a third of the uncached cost). Caches are small
 * and bounded. Supports structs whose members are `string`, `bytes32`, `uint64`/`uint256` and `address`
 * (every record type here); throws `TypeError` for another member type or a value that does not fit.
 */
export function typedDataDigest(typedData: RecordTypedData): Hex {
  return toHex0x(typedDataDigestBytes(typedData));
}

/** {@link typedDataDigest} as bytes. */
export function typedDataDigestBytes(typedData: RecordTypedData): Uint8Array {
  const { domain, types, message } = typedData;
  return digestOf(domainSeparatorOf(domain), structEncoderOf(typedData.primaryType, types).hash(message));
}

/** The cached domain separator of `domain`: by object first (a checker reuses one domain), then by value. */
function domainSeparatorOf(domain: TraceledgerDomain): Uint8Array {
  const seen = separatorsByDomain.get(domain);
  // The object may have been changed since: its key is checked, not trusted.
  const domainKey = `${domain.name}\n${domain.version}\n${domain.chainId}\n${domain.verifyingContract}`;
  if (seen !== undefined && seen.key === domainKey) return seen.separator;
  let separator = domainSeparators.get(domainKey);
  if (separator === undefined) {
    separator = domainSeparator(domain);
    remember(domainSeparators, domainKey, separator);
  }
  separatorsByDomain.set(domain, { key: domainKey, separator });
  return separator;
}

/**
 * The cached encoder of `types` with primary type `primaryType`. The cache is looked up by primary type and
 * the struct compared member by member (cheaper than serialising `types` for a key on every digest).
 */
function structEncoderOf(primaryType: string, types: Record<string, TypedDataField[]>): StructEncoder {
  const fields = types[primaryType];
  const cached = encoders.get(primaryType);
  if (cached !== undefined && fields !== undefined && sameFields(cached.fields, fields) && hasOneKey(types)) return cached.encoder;
  const encoder = flatStructEncoder(primaryType, types);
  remember(encoders, primaryType, { fields: fields!.map((f) => ({ name: f.name, type: f.type })), encoder });
  return encoder;
}

function sameFields(a: readonly TypedDataField[], b: readonly TypedDataField[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name || x.type !== y.type) return false;
  }
  return true;
}

function hasOneKey(o: object): boolean {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k) && ++n > 1) return false;
  return n === 1;
}

const DOMAIN_FIELDS: TypedDataField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];

/** hashStruct(EIP712Domain) of the traceledger domain. */
function domainSeparator(domain: TraceledgerDomain): Uint8Array {
  return flatStructEncoder('EIP712Domain', { EIP712Domain: DOMAIN_FIELDS }).hash({ ...domain, chainId: domain.chainId.toString() });
}

interface StructEncoder {
  hash(message: Record<string, unknown>): Uint8Array;
}

const FLAT_FIELD_TYPES = new Set(['string', 'bytes32', 'uint64', 'uint256', 'address']);

/** Writes the 32-byte encoding of one member's value at `at` of `out`; throws `TypeError` for a value that does not fit. */
type FieldWriter = (v: unknown, out: Uint8Array, at: number) => void;

/**
 * hashStruct for a struct whose fields are all `string`, `bytes32`, `uint64`, `uint256` or `address`:
 * keccak256(typeHash || enc(field)…) with enc(string) = keccak256(utf8), enc(bytes32) = the bytes,
 * enc(uint) = 32-byte big-endian, enc(address) = left-padded 20 bytes — EIP-712's encodeData.
 * Each member is written straight into one buffer per encoder (keccak-256 is synchronous and returns
 * fresh bytes, so the buffer is reused).
 */
function flatStructEncoder(primaryType: string, types: Record<string, TypedDataField[]>): StructEncoder {
  const fields = types[primaryType];
  if (!fields || Object.keys(types).length !== 1 || !fields.every((f) => FLAT_FIELD_TYPES.has(f.type))) {
    throw new TypeError(`unsupported EIP-712 struct ${primaryType}: only flat structs of string, bytes32, uint64, uint256 and address`);
  }
  const typeHash = keccak256(utf8(`${primaryType}(${fields.map((f) => `${f.type} ${f.name}`).join(',')})`));
  const names = fields.map((f) => f.name);
  const writers = fields.map((f) => fieldWriter(f));
  const buf = new Uint8Array(32 * (fields.length + 1));
  buf.set(typeHash, 0);
  return {
    hash(message) {
      for (let i = 0; i < writers.length; i++) writers[i]!(message[names[i]!], buf, 32 * (i + 1));
      return keccak256(buf);
    },
  };
}

/** The global Buffer where there is one (Node): its UTF-8 encoder is far cheaper than TextEncoder on short strings. */
const NodeBuffer = (globalThis as { Buffer?: { from(s: string, encoding: 'utf8'): Uint8Array } }).Buffer;

/** UTF-8 bytes of `s` (the same bytes as TextEncoder: lone surrogates become U+FFFD in both). */
const utf8Bytes: (s: string) => Uint8Array = NodeBuffer === undefined ? utf8 : (s) => NodeBuffer.from(s, 'utf8');

function fieldWriter(f: TypedDataField): FieldWriter {
  switch (f.type) {
    case 'string':
      return (v, out, at) => {
        if (typeof v !== 'string') throw new TypeError(`${f.name} must be text (a string)`);
        out.set(keccak256(utf8Bytes(v)), at);
      };
    case 'bytes32':
      return (v, out, at) => {
        if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw new TypeError(`${f.name} must be a bytes32 (0x + 64 hex digits)`);
        writeHex(v, out, at);
      };
    case 'address':
      return (v, out, at) => {
        if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw new TypeError(`${f.name} must be an address`);
        out.fill(0, at, at + 12);
        writeHex(v, out, at + 12);
      };
    default: {
      const bits = f.type === 'uint64' ? 64n : 256n;
      return (v, out, at) => {
        // A safe non-negative integer (every uint64 a record holds) is written without BigInt.
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
          out.fill(0, at, at + 24);
          const hi = Math.floor(v / 2 ** 32);
          const lo = v >>> 0;
          out[at + 24] = hi >>> 24;
          out[at + 25] = hi >>> 16;
          out[at + 26] = hi >>> 8;
          out[at + 27] = hi;
          out[at + 28] = lo >>> 24;
          out[at + 29] = lo >>> 16;
          out[at + 30] = lo >>> 8;
          out[at + 31] = lo;
          return;
        }
        if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'bigint') throw new TypeError(`${f.name} must be a ${f.type}`);
        let n: bigint;
        try {
          n = BigInt(v);
        } catch {
          throw new TypeError(`${f.name} must be a ${f.type}`);
        }
        if (n < 0n || n >= 1n << bits) throw new TypeError(`${f.name} must be a ${f.type}`);
        out.set(uint256Word(n), at);
      };
    }
  }
}

/** Writes the bytes of `hex` (`0x` + hex digits, already checked) at `at` of `out`. */
function writeHex(hex: string, out: Uint8Array, at: number): void {
  for (let i = 2; i < hex.length; i += 2) out[at++] = (hexValue(hex.charCodeAt(i)) << 4) | hexValue(hex.charCodeAt(i + 1));
}

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 0x20) - 87;
}

const CACHE_LIMIT = 256;
const domainSeparators = new Map<string, Uint8Array>();
const checksums = new Map<string, string>();
const separatorsByDomain = new WeakMap<TraceledgerDomain, { key: string; separator: Uint8Array }>();
const encoders = new Map<string, { fields: TypedDataField[]; encoder: StructEncoder }>();

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

/**
 * The JSON payload of `eth_signTypedData_v4` for a browser wallet: EIP712Domain added, chainId as a
 * number, uint64 values as decimal strings (the shape of ethers' `TypedDataEncoder.getPayload`).
 */
export function typedDataPayload(typedData: RecordTypedData): unknown {
  const { domain, types, primaryType, message } = typedData;
  const uints = new Set((types[primaryType] ?? []).filter((f) => f.type.startsWith('uint')).map((f) => f.name));
  return {
    types: { EIP712Domain: DOMAIN_FIELDS.map((f) => ({ ...f })), ...types },
    domain: { name: domain.name, version: domain.version, chainId: Number(domain.chainId), verifyingContract: domain.verifyingContract },
    primaryType,
    message: Object.fromEntries(Object.entries(message).map(([k, v]) => [k, uints.has(k) ? String(v) : v])),
  };
}

/**
 * Signs `record` with an ethers signer (a `Wallet`, or a JSON-RPC signer) via `signTypedData`.
 * Returns the 65-byte signature r||s||v as lowercase hex (v = 27/28, low s, as ethers produces).
 */
export async function signRecord<T extends RecordType>(
  signer: TypedDataSigner,
  type: T,
  record: SignedView<T>,
  root: Hex | string,
  binding: ChainBinding,
): Promise<Hex> {
  const td = typedDataFor(type, record, root, binding);
  const signature = await signer.signTypedData(td.domain, td.types, td.message);
  return signature.toLowerCase() as Hex;
}

// ---------------------------------------------------------------------------
// Recovery: the cached digest, then the installed secp256k1 recovery, then keccak of the public key.

/** secp256k1 group order n, and n/2 (the largest s a canonical signature may have, EIP-2), as 32 big-endian bytes. */
const CURVE_N = fromHex('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const HALF_N = fromHex('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');

/** The 32-byte big-endian number at `at` of `bytes` against `limit`: negative, 0 or positive (no BigInt: this runs once per signature checked). */
function compare32(bytes: Uint8Array, at: number, limit: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = bytes[at + i]! - limit[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function isZero32(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < 32; i++) if (bytes[at + i] !== 0) return false;
  return true;
}

/** A signature split for recovery. */
export interface ParsedSignature {
  compact: Uint8Array;
  recid: number;
}

/**
 * Splits a 65-byte r||s||v signature, rejecting (with `RecordError('bad-signature')`) a wrong length,
 * v other than 27/28, r or s of 0 or ≥ n, and high s (> n/2, the malleable twin of a valid signature).
 */
export function parseSignature(signature: string | Uint8Array): ParsedSignature {
  let bytes: Uint8Array;
  if (typeof signature === 'string') {
    if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) throw badSignature('signature must be 0x followed by 130 hex digits (65 bytes r||s||v)');
    bytes = fromHex(signature);
  } else if (signature instanceof Uint8Array && signature.length === 65) {
    bytes = signature;
  } else {
    throw badSignature('signature must be 65 bytes r||s||v');
  }
  const v = bytes[64]!;
  if (v !== 27 && v !== 28) throw badSignature(`signature v must be 27 or 28, got ${v}`);
  if (isZero32(bytes, 0) || compare32(bytes, 0, CURVE_N) >= 0) throw badSignature('signature r is out of range');
  if (isZero32(bytes, 32) || compare32(bytes, 32, CURVE_N) >= 0) throw badSignature('signature s is out of range');
  if (compare32(bytes, 32, HALF_N) > 0) throw badSignature('signature s is high (not canonical, EIP-2): a malleated signature');
  return { compact: bytes.slice(0, 64), recid: v - 27 };
}

/** The lowercase address whose key made the compact signature over `digest`. Throws `RecordError('bad-signature')`. */
export function recoverAddressFromDigest(digest: Uint8Array, parsed: ParsedSignature): string {
  let publicKey: Uint8Array;
  try {
    publicKey = primitives().recoverPublicKey(digest, parsed.compact, parsed.recid);
  } catch (cause) {
    throw new RecordError('bad-signature', 'no public key can be recovered from this signature', { cause });
  }
  return addressOfPublicKey(publicKey);
}

/**
 * The address (EIP-55 checksummed, like ethers) that signed `typedData`.
 * Same result as `ethers.verifyTypedData` for every canonical signature; stricter: v must be 27/28 and
 * s low. Throws `RecordError('bad-signature')`, or `RecordError('invalid-argument')` for typed data that
 * cannot be encoded.
 */
export function recoverSigner(typedData: RecordTypedData, signature: string | Uint8Array): string {
  const parsed = parseSignature(signature);
  let digest: Uint8Array;
  try {
    digest = typedDataDigestBytes(typedData);
  } catch (cause) {
    throw new RecordError('invalid-argument', `typed data cannot be EIP-712 encoded: ${(cause as Error).message}`, { cause });
  }
  return checksumAddress(recoverAddressFromDigest(digest, parsed));
}

/** Throws `RecordError('bad-signature')` unless `signature` over `typedData` was made by `expectedSigner`. Returns the signer. */
export function verifyRecordSignature(typedData: RecordTypedData, signature: string | Uint8Array, expectedSigner: string): string {
  const signer = recoverSigner(typedData, signature);
  if (signer.toLowerCase() !== expectedSigner.toLowerCase()) {
    throw new RecordError('bad-signature', `signed by ${signer}, not by the expected ${expectedSigner}`);
  }
  return signer;
}

function badSignature(message: string): RecordError {
  return new RecordError('bad-signature', message);
}
