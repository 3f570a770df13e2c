/**
 * Fast recomputation, for verifying many stored share records: the record root of a stored body
 * and the EIP-712 digest and signer of a share step. Same results as `commitRecord`,
 * `typedDataDigest(typedDataFor(…))` and `recoverSigner` of server/records (tested on every share
 * type and on random values), without their per-call set-up: the domain separator and type
 * hashes are computed once per verifier, and canonical JSON is written directly.
 */
import { TypedDataEncoder } from 'ethers';
import secp256k1 from 'secp256k1';
import { leafHash, rootHash, type Hash } from '../ledger/rfc6962';
import { keccakBytes } from '../records/keccak';
import { EIP712_TYPES, parseSignature, traceledgerDomain, type ChainBinding } from '../records/eip712';
import { toHex0x, type Hex } from '../records/hex';
import type { RecordType } from '../records/schemas';

/** The four share record types. */
export const SHARE_TYPES = ['ShareRequest', 'ShareReply', 'ShareDelivery', 'ShareReceipt'] as const;
export type ShareType = (typeof SHARE_TYPES)[number];

/** True for a share record type. */
export const isShareType = (type: string): type is ShareType => (SHARE_TYPES as readonly string[]).includes(type);

/**
 * RFC 8785 canonical JSON of a value read with JSON.parse (strings, finite numbers, booleans,
 * null, arrays, plain objects): JCS serialises strings and numbers exactly as JSON.stringify does
 * and sorts object keys by UTF-16 code units, which is the default string sort.
 */
export function canonicalJsonOfParsed(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJsonOfParsed).join(',')}]`;
  const obj = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of Object.keys(obj).sort()) {
    const member = obj[key];
    if (member === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJsonOfParsed(member)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * The record root of a stored body and its salts (the salted field tree of DESIGN.md), or null when
 * the salts do not name exactly the body's fields. Requires `body` to come from JSON.parse.
 */
export function recordRootOfStored(body: Record<string, unknown>, salts: Record<string, string>): Hex | null {
  const names = Object.keys(body)
    .filter((k) => body[k] !== undefined)
    .sort();
  if (names.length === 0 || Object.keys(salts).length !== names.length) return null;
  const leaves: Hash[] = [];
  for (const name of names) {
    const salt = Object.hasOwn(salts, name) ? salts[name] : undefined;
    if (typeof salt !== 'string') return null;
    leaves.push(leafHash(Buffer.from(`[${JSON.stringify(salt)},${JSON.stringify(name)},${canonicalJsonOfParsed(body[name])}]`, 'utf8')));
  }
  return toHex0x(rootHash(leaves));
}

type FieldType = 'string' | 'bytes32' | 'uint64';

/** The value of each signed field of a share step, in EIP712_TYPES order (mirrors records/eip712 MESSAGES). */
const SHARE_MESSAGE: { readonly [T in ShareType]: (r: Record<string, unknown>) => unknown[] } = {
  ShareRequest: (r) => [obj(r.providingDepartment).uscc, obj(r.catalogueItem).id, r.purpose],
  ShareReply: (r) => [r.requestId, obj(r.reply).decision],
  ShareDelivery: (r) => [r.requestId, obj(r.delivery).dataSha256, obj(r.delivery).rowCount],
  ShareReceipt: (r) => [r.deliveryId, obj(r.received).dataSha256, obj(r.received).rowCount],
};

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

/** Why a signature could not be checked. */
export class SignatureCheckError extends Error {
  override readonly name = 'SignatureCheckError';
}

/** EIP-712 digests and signers of share steps under one chain binding. */
export class ShareSignatureChecker {
  private readonly separator: Uint8Array;
  private readonly typeHashes = new Map<ShareType, { hash: Uint8Array; types: FieldType[] }>();

  constructor(binding: ChainBinding) {
    this.separator = Buffer.from(TypedDataEncoder.hashDomain(traceledgerDomain(binding)).slice(2), 'hex');
    for (const type of SHARE_TYPES) {
      const fields = EIP712_TYPES[type as RecordType];
      const hash = keccakBytes(Buffer.from(`${type}(${fields.map((f) => `${f.type} ${f.name}`).join(',')})`, 'utf8'));
      this.typeHashes.set(type, { hash, types: fields.map((f) => f.type as FieldType) });
    }
  }

  /**
   * The EIP-712 digest a department signed for share step `body` of `type` with record root `root`.
   * Throws SignatureCheckError when a signed field is missing or malformed.
   */
  digest(type: ShareType, body: Record<string, unknown>, root: string, issuedAtSeconds: number): Uint8Array {
    const spec = this.typeHashes.get(type)!;
    const values = [body.id, root, issuedAtSeconds, body.step, body.departmentId, body.seq, body.prevHash, ...SHARE_MESSAGE[type](body)];
    if (values.length !== spec.types.length) throw new SignatureCheckError(`${type} has ${values.length} signed values, expected ${spec.types.length}`);
    const buf = Buffer.alloc(32 * (values.length + 1));
    buf.set(spec.hash, 0);
    values.forEach((v, i) => encodeField(buf, 32 * (i + 1), spec.types[i]!, v));
    const pre = Buffer.alloc(66);
    pre[0] = 0x19;
    pre[1] = 0x01;
    pre.set(this.separator, 2);
    pre.set(keccakBytes(buf), 34);
    return keccakBytes(pre);
  }

  /** The lowercase address that made `signature` over `digest`. Throws SignatureCheckError (or RecordError('bad-signature')). */
  signerOf(digest: Uint8Array, signature: string): string {
    const { compact, recid } = parseSignature(signature);
    let publicKey: Uint8Array;
    try {
      publicKey = secp256k1.ecdsaRecover(compact, recid, digest, false);
    } catch (cause) {
      throw new SignatureCheckError('no public key can be recovered from this signature', { cause });
    }
    return `0x${Buffer.from(keccakBytes(publicKey.subarray(1))).subarray(12).toString('hex')}`;
  }
}

function encodeField(buf: Buffer, at: number, type: FieldType, v: unknown): void {
  if (type === 'string') {
    if (typeof v !== 'string') throw new SignatureCheckError('a signed text field is missing');
    buf.set(keccakBytes(Buffer.from(v, 'utf8')), at);
  } else if (type === 'bytes32') {
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw new SignatureCheckError('a signed bytes32 field is not 0x + 64 hex digits');
    buf.write(v.slice(2), at, 'hex');
  } else {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new SignatureCheckError('a signed uint64 field is not a non-negative integer');
    buf.writeBigUInt64BE(BigInt(v), at + 24);
  }
}
