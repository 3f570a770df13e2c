/** Naive RFC 6962 §2.1 reference for tests: MTH, PATH and PROOF by recursion, SHA-256 from node:crypto. */
import { createHash } from 'node:crypto';

/** A 32-byte hash as `0x`-prefixed lowercase hex, the form ethers takes for `bytes32`. */
export type Hex32 = string;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

function sha256(...parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** `0x`-prefixed hex of `bytes`. */
export function toHex(bytes: Uint8Array): Hex32 {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

/** Bytes of a hex string, with or without `0x`. */
export function fromHex(hex: string): Buffer {
  return Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex');
}

/** RFC 6962 leaf hash: SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Buffer {
  return sha256(LEAF_PREFIX, data);
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

/** The largest power of two smaller than `n`. Requires n > 1. */
export function splitPoint(n: number): number {
  if (!(n > 1)) throw new RangeError(`splitPoint needs n > 1, got ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * An RFC 6962 tree over a list of leaf hashes, computed naively from the definitions of RFC 6962 §2.1.
 * Subtree hashes of 64 leaves or more are memoised, so a tree of a million leaves stays affordable.
 */
export class ReferenceTree {
  private readonly memo = new Map<string, Buffer>();

  constructor(private readonly leafHashes: readonly Buffer[]) {}

  /** A tree of `size` leaves whose leaf `i` is the leaf hash of the 8-byte big-endian encoding of `i`. */
  static ofCounter(size: number): ReferenceTree {
    const leaves: Buffer[] = [];
    const data = Buffer.alloc(8);
    for (let i = 0; i < size; i++) {
      data.writeBigUInt64BE(BigInt(i));
      leaves.push(leafHash(data));
    }
    return new ReferenceTree(leaves);
  }

  get size(): number {
    return this.leafHashes.length;
  }

  /** Leaf hash at `index`. Requires 0 <= index < size. */
  leaf(index: number): Buffer {
    const hash = this.leafHashes[index];
    if (hash === undefined) throw new RangeError(`no leaf ${index} in a tree of ${this.size}`);
    return hash;
  }

  /** MTH(D[0:size]). Requires 0 <= size <= this.size; MTH({}) = SHA-256(""). */
  root(size: number = this.size): Buffer {
    this.checkSize(size);
    return size === 0 ? sha256() : this.mth(0, size);
  }

  /** PATH(index, D[0:size]), from the leaf up. Requires 0 <= index < size <= this.size. */
  inclusionProof(index: number, size: number = this.size): Buffer[] {
    this.checkSize(size);
    if (!(index >= 0 && index < size)) throw new RangeError(`index ${index} not in a tree of ${size}`);
    return this.path(index, 0, size);
  }

  /** PROOF(size1, D[0:size2]). Requires 0 < size1 <= size2 <= this.size. */
  consistencyProof(size1: number, size2: number = this.size): Buffer[] {
    this.checkSize(size2);
    if (!(size1 > 0 && size1 <= size2)) throw new RangeError(`no consistency proof from ${size1} to ${size2}`);
    return this.subproof(size1, 0, size2, true);
  }

  private checkSize(size: number): void {
    if (!(Number.isInteger(size) && size >= 0 && size <= this.size)) {
      throw new RangeError(`size ${size} not in 0..${this.size}`);
    }
  }

  /** MTH(D[lo:hi]), hi > lo. */
  private mth(lo: number, hi: number): Buffer {
    const n = hi - lo;
    if (n === 1) return this.leaf(lo);
    const key = n >= 64 ? `${lo}:${hi}` : undefined;
    const cached = key === undefined ? undefined : this.memo.get(key);
    if (cached !== undefined) return cached;
    const k = splitPoint(n);
    const hash = nodeHash(this.mth(lo, lo + k), this.mth(lo + k, hi));
    if (key !== undefined) this.memo.set(key, hash);
    return hash;
  }

  /** PATH(m, D[lo:hi]) with m relative to lo. */
  private path(m: number, lo: number, hi: number): Buffer[] {
    const n = hi - lo;
    if (n === 1) return [];
    const k = splitPoint(n);
    return m < k
      ? [...this.path(m, lo, lo + k), this.mth(lo + k, hi)]
      : [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  /** SUBPROOF(m, D[lo:hi], b) with m relative to lo. */
  private subproof(m: number, lo: number, hi: number, complete: boolean): Buffer[] {
    const n = hi - lo;
    if (m === n) return complete ? [] : [this.mth(lo, hi)];
    const k = splitPoint(n);
    return m <= k
      ? [...this.subproof(m, lo, lo + k, complete), this.mth(lo + k, hi)]
      : [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }
}
