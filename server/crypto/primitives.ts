/**
 * The three cryptographic primitives every verifier needs — SHA-256, keccak-256 and secp256k1 public-key
 * recovery — behind one small registry, so the same verification code runs in Node (native bindings,
 * registered by `./native`) and in the browser (the audited @noble implementations, the default).
 * Isomorphic: no `node:*`, no ethers. Both implementations give the same bytes (tested on random inputs).
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2';
import { keccak_256 as nobleKeccak256 } from '@noble/hashes/sha3';
import { secp256k1 } from '@noble/curves/secp256k1';

/** The primitives. Every function is synchronous and returns fresh bytes. */
export interface Primitives {
  /** Which implementation this is, for diagnostics and benchmarks. */
  readonly name: string;
  sha256(data: Uint8Array): Uint8Array;
  keccak256(data: Uint8Array): Uint8Array;
  /**
   * The uncompressed public key (64 bytes, x || y, no 0x04 prefix) that produced the compact signature
   * `rs` (64 bytes r || s) with recovery id `recid` (0 or 1) over the 32-byte `digest`.
   * Throws when no key can be recovered. Callers check r, s and v ranges first (see `parseSignature`).
   */
  recoverPublicKey(digest: Uint8Array, rs: Uint8Array, recid: number): Uint8Array;
  /**
   * Optional, a faster path for a record's field tree: the RFC 6962 root (node SHA-256(0x01 || left || right), an
   * odd last node promoted) of the leaves SHA-256(UTF-8 of text) for `texts` in order, the 0x00 leaf prefix written
   * by the caller as U+0000, a lone surrogate encoded as U+FFFD; or null when it does not take these texts (the
   * caller then hashes leaf by leaf with `sha256`, the same bytes).
   */
  rootOfLeafTexts?(texts: readonly string[]): Uint8Array | null;
}

/** @noble/hashes and @noble/curves: pure JavaScript, audited, no `crypto.subtle` needed (plain http:// pages work). */
export const noblePrimitives: Primitives = {
  name: 'noble',
  sha256: (data) => nobleSha256(data),
  keccak256: (data) => nobleKeccak256(data),
  recoverPublicKey(digest, rs, recid) {
    const point = secp256k1.Signature.fromCompact(rs).addRecoveryBit(recid).recoverPublicKey(digest);
    return point.toRawBytes(false).subarray(1);
  },
};

let current: Primitives = noblePrimitives;

/** Installs `p` as the primitives every verifier uses from now on (the server installs native bindings). */
export function installPrimitives(p: Primitives): void {
  current = p;
}

/** The primitives in use. */
export function primitives(): Primitives {
  return current;
}

/** SHA-256 with the installed primitives. */
export const sha256 = (data: Uint8Array): Uint8Array => current.sha256(data);

/** keccak-256 with the installed primitives. */
export const keccak256 = (data: Uint8Array): Uint8Array => current.keccak256(data);
