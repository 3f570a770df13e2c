/**
 * Fast recomputation, for verifying many stored share records: the record root of a stored body
 * and the EIP-712 digest and signer of a share step. Same results as `commitRecord`,
 * `typedDataDigest(typedDataFor(…))` and `recoverSigner` of server/records (tested on every share
 * type and on random values), without their per-call set-up: the domain separator and type
 * hashes are computed once per verifier, and canonical JSON is written directly.
 */
import { leafHash, rootHash, type Hash } from '../ledger/rfc6962';
import {
  RecordError,
  parseSignature,
  recoverAddressFromDigest,
  traceledgerDomain,
  typedDataDigestBytes,
  typedDataWithDomain,
  type ChainBinding,
  type SignedView,
  type TraceledgerDomain,
} from '../records';
import { toHex0x, type Hex } from '../records/hex';

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

/** Why a signature could not be checked. */
export class SignatureCheckError extends Error {
  override readonly name = 'SignatureCheckError';
}

/** EIP-712 digests and signers of share steps under one chain binding (the records module's encoder, domain built once). */
export class ShareSignatureChecker {
  private readonly domain: TraceledgerDomain;

  constructor(binding: ChainBinding) {
    this.domain = traceledgerDomain(binding);
  }

  /**
   * The EIP-712 digest a department signed for share step `body` of `type` with record root `root`.
   * Throws SignatureCheckError when a signed field is missing or malformed.
   */
  digest(type: ShareType, body: Record<string, unknown>, root: string, issuedAtSeconds: number): Uint8Array {
    try {
      const td = typedDataWithDomain(type, { ...body, issuedAt: '1970-01-01T00:00:00Z' } as unknown as SignedView<ShareType>, root, this.domain);
      td.message.issuedAt = issuedAtSeconds;
      return typedDataDigestBytes(td);
    } catch (cause) {
      if (cause instanceof SignatureCheckError) throw cause;
      throw new SignatureCheckError(`a signed field of this ${type} is missing or malformed: ${(cause as Error).message}`, { cause });
    }
  }

  /** The lowercase address that made `signature` over `digest`. Throws SignatureCheckError (or RecordError('bad-signature')). */
  signerOf(digest: Uint8Array, signature: string): string {
    const parsed = parseSignature(signature);
    try {
      return recoverAddressFromDigest(digest, parsed);
    } catch (cause) {
      if (cause instanceof RecordError) throw new SignatureCheckError('no public key can be recovered from this signature', { cause });
      throw cause;
    }
  }
}
