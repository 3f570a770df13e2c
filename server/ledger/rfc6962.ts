/**
 * RFC 6962 / RFC 9162 Merkle Tree Hash, inclusion and consistency proofs over SHA-256.
 * Isomorphic (the browser verifier runs this same code): SHA-256 comes from the installed primitives,
 * native OpenSSL on the server (server/crypto/native), @noble in the browser.
 */
import { equalBytes, fromHex as parseHex, toHex } from '../crypto/bytes';
import { sha256 as primitiveSha256 } from '../crypto/primitives';
import { InvalidArgumentError, ProofError } from './errors';

export { InvalidArgumentError, ProofError } from './errors';
export type { ProofErrorReason } from './errors';

/** A 32-byte SHA-256 digest. */
export type Hash = Uint8Array;

/** Size in bytes of every hash in the log. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

function sha256(data: Uint8Array): Hash {
  return primitiveSha256(data);
}

/** SHA-256 of the empty string: the root of the empty tree. */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

// Scratch input of leafHash for data up to 4 KiB (every log entry): as NODE_INPUT below, the hash is synchronous and
// returns fresh bytes, so the input is written here rather than into a fresh buffer per leaf.
const LEAF_INPUT = new Uint8Array(4096);
LEAF_INPUT[0] = LEAF_PREFIX;

/** MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(data: Uint8Array): Hash {
  if (data.length < LEAF_INPUT.length) {
    LEAF_INPUT.set(data, 1);
    return sha256(LEAF_INPUT.subarray(0, data.length + 1));
  }
  const buf = new Uint8Array(data.length + 1);
  buf[0] = LEAF_PREFIX;
  buf.set(data, 1);
  return sha256(buf);
}

// Scratch input for the 32 + 32 byte case of nodeHash: the hash is synchronous and returns fresh
// bytes, so reusing the input saves one allocation per node on the hot path.
const NODE_INPUT = new Uint8Array(1 + 2 * HASH_SIZE);
NODE_INPUT[0] = NODE_PREFIX;

/** SHA-256(0x01 || left || right). Meant for 32-byte hashes; other lengths are hashed as given, not rejected. */
export function nodeHash(left: Hash, right: Hash): Hash {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    NODE_INPUT.set(left, 1);
    NODE_INPUT.set(right, 1 + HASH_SIZE);
    return sha256(NODE_INPUT);
  }
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = NODE_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256(buf);
}

/**
 * MTH(D[n]) of the given leaf hashes (empty → SHA-256("")).
 * Bottom-up pairing, carrying an unpaired last node up unchanged, is the same tree as
 * RFC 6962's split at the largest power of two below n.
 */
export function rootHash(leafHashes: readonly Hash[]): Hash {
  return rangeRoot(leafHashes, 0, leafHashes.length);
}

/** MTH(D[start:end]); pairs level by level in one scratch array. Requires 0 <= start <= end <= leaves.length. */
function rangeRoot(leaves: readonly Hash[], start: number, end: number): Hash {
  if (end === start) return EMPTY_ROOT;
  const level: Hash[] = leaves.slice(start, end);
  let len = level.length;
  while (len > 1) {
    let j = 0;
    for (let i = 0; i + 1 < len; i += 2) level[j++] = nodeHash(level[i]!, level[i + 1]!);
    if (len % 2 === 1) level[j++] = level[len - 1]!;
    len = j;
  }
  return level[0]!;
}

/** Largest power of two strictly less than n. Requires n >= 2. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** PATH(m, D[n]) (RFC 9162 §2.1.3.1). Requires 0 <= index < leafHashes.length. */
export function inclusionProof(leafHashes: readonly Hash[], index: number): Hash[] {
  const n = leafHashes.length;
  requireIndex(index, n);
  const proof: Hash[] = [];
  path(leafHashes, 0, n, index, proof);
  return proof;
}

function path(leaves: readonly Hash[], start: number, end: number, m: number, out: Hash[]): void {
  const n = end - start;
  if (n <= 1) return;
  const k = splitPoint(n);
  if (m < k) {
    path(leaves, start, start + k, m, out);
    out.push(rangeRoot(leaves, start + k, end));
  } else {
    path(leaves, start + k, end, m - k, out);
    out.push(rangeRoot(leaves, start, start + k));
  }
}

/** PROOF(m, D[n]) (RFC 9162 §2.1.4.1). Requires 0 <= size1 <= leafHashes.length; empty for size1 in {0, n}. */
export function consistencyProof(leafHashes: readonly Hash[], size1: number): Hash[] {
  const n = leafHashes.length;
  if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > n) {
    throw new InvalidArgumentError(`size1 ${size1} must be an integer in [0, ${n}]`);
  }
  const proof: Hash[] = [];
  if (size1 === 0 || size1 === n) return proof;
  subproof(leafHashes, 0, n, size1, true, proof);
  return proof;
}

function subproof(leaves: readonly Hash[], start: number, end: number, m: number, complete: boolean, out: Hash[]): void {
  const n = end - start;
  if (m === n) {
    if (!complete) out.push(rangeRoot(leaves, start, end));
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproof(leaves, start, start + k, m, complete, out);
    out.push(rangeRoot(leaves, start + k, end));
  } else {
    subproof(leaves, start + k, end, m - k, false, out);
    out.push(rangeRoot(leaves, start, start + k));
  }
}

// ---------------------------------------------------------------------------
// Verification (RFC 9162 §2.1.3.2 and §2.1.4.2, as in transparency-dev/merkle).
// Sizes are JavaScript safe integers; bit operations are done arithmetically so
// that sizes beyond 2^32 work.

/** Inputs of {@link verifyInclusion}. */
export interface InclusionClaim {
  index: number;
  size: number;
  leafHash: Hash;
  proof: readonly Hash[];
  root: Hash;
}

/** Inputs of {@link verifyConsistency}. */
export interface ConsistencyClaim {
  size1: number;
  size2: number;
  root1: Hash;
  root2: Hash;
  proof: readonly Hash[];
}

/**
 * Root implied by an inclusion proof (compute only; compare with {@link verifyMatch}).
 * Requires size, and an index below it, to be non-negative safe integers ({@link InvalidArgumentError}).
 * Throws {@link ProofError} when index >= size (any number, e.g. 2^64 - 1 read from untrusted data),
 * when the leaf hash or a proof element is not 32 bytes, or when the proof has the wrong length.
 */
export function rootFromInclusionProof(index: number, size: number, leaf: Hash, proof: readonly Hash[]): Hash {
  requireSize(size, 'size');
  // Before the index's own check: an index read from untrusted data (e.g. 2^64 - 1) is a failed proof.
  if (index >= size) throw new ProofError('index-out-of-range', `index ${index} is beyond the tree size ${size}`);
  requireSize(index, 'index');
  requireHash(leaf, 'leaf hash');
  proof.forEach((h, i) => requireHash(h, `proof[${i}]`));
  const { inner, border } = decomposeInclusionProof(index, size);
  if (proof.length !== inner + border) {
    throw new ProofError('wrong-proof-size', `proof has ${proof.length} hashes, want ${inner + border}`);
  }
  const res = chainInner(leaf, proof.slice(0, inner), index);
  return chainBorderRight(res, proof.slice(inner));
}

/** Checks that `leafHash` is at `index` of the tree of `size` leaves whose root is `root`. Throws {@link ProofError}. */
export function verifyInclusion(claim: InclusionClaim): void {
  const computed = rootFromInclusionProof(claim.index, claim.size, claim.leafHash, claim.proof);
  verifyMatch(computed, claim.root);
}

/**
 * Checks that the tree of size2 with root2 extends the tree of size1 with root1.
 * size1 == 0 is rejected (a proof from the empty tree proves nothing); size1 == size2 needs an
 * empty proof and equal roots (roots are not length-checked in that branch). Throws {@link ProofError}.
 */
export function verifyConsistency(claim: ConsistencyClaim): void {
  const { size1, size2, root1, root2, proof } = claim;
  requireSize(size1, 'size1');
  requireSize(size2, 'size2');
  if (size1 === 0) throw new ProofError('empty-tree', 'a consistency proof from the empty tree proves nothing');
  if (size2 < size1) throw new ProofError('size-shrunk', `size2 ${size2} is smaller than size1 ${size1}`);
  if (size1 === size2) {
    if (proof.length > 0) throw new ProofError('wrong-proof-size', 'sizes are equal but the proof is not empty');
    verifyMatch(root1, root2);
    return;
  }
  if (proof.length === 0) throw new ProofError('wrong-proof-size', 'the proof is empty');
  proof.forEach((h, i) => requireHash(h, `proof[${i}]`));
  requireHash(root1, 'root1');

  const decomposed = decomposeInclusionProof(size1 - 1, size2);
  const shift = trailingZeros(size1);
  const inner = decomposed.inner - shift;
  const { border } = decomposed;

  // The proof starts with the root of the subtree of size 2^shift, unless size1 is that subtree.
  const size1IsSubtree = size1 === 2 ** shift;
  const seed = size1IsSubtree ? root1 : proof[0]!;
  const start = size1IsSubtree ? 0 : 1;
  if (proof.length !== start + inner + border) {
    throw new ProofError('wrong-proof-size', `proof has ${proof.length} hashes, want ${start + inner + border}`);
  }
  const rest = proof.slice(start);
  const mask = Math.floor((size1 - 1) / 2 ** shift);

  const hash1 = chainBorderRight(chainInnerRight(seed, rest.slice(0, inner), mask), rest.slice(inner));
  verifyMatch(hash1, root1, 'root1');
  const hash2 = chainBorderRight(chainInner(seed, rest.slice(0, inner), mask), rest.slice(inner));
  verifyMatch(hash2, root2, 'root2');
}

/** Throws `root-mismatch` naming both roots unless `computed` equals `expected`. */
export function verifyMatch(computed: Hash, expected: Hash, what = 'root'): void {
  if (!equalBytes(computed, expected)) {
    throw new ProofError('root-mismatch', `calculated ${what} ${toHex(computed)} does not match expected ${toHex(expected)}`);
  }
}

/** Number of proof hashes below (inner) and above (border) the point where the leaf's path leaves the left-perfect part. */
export function decomposeInclusionProof(index: number, size: number): { inner: number; border: number } {
  const inner = bitLengthOfXor(index, size - 1);
  const border = popCount(Math.floor(index / 2 ** inner));
  return { inner, border };
}

function chainInner(seed: Hash, proof: readonly Hash[], index: number): Hash {
  let h = seed;
  let bits = index;
  for (const p of proof) {
    h = bits % 2 === 0 ? nodeHash(h, p) : nodeHash(p, h);
    bits = Math.floor(bits / 2);
  }
  return h;
}

function chainInnerRight(seed: Hash, proof: readonly Hash[], index: number): Hash {
  let h = seed;
  let bits = index;
  for (const p of proof) {
    if (bits % 2 === 1) h = nodeHash(p, h);
    bits = Math.floor(bits / 2);
  }
  return h;
}

function chainBorderRight(seed: Hash, proof: readonly Hash[]): Hash {
  let h = seed;
  for (const p of proof) h = nodeHash(p, h);
  return h;
}

function bitLengthOfXor(a: number, b: number): number {
  let n = 0;
  while (a !== b) {
    a = Math.floor(a / 2);
    b = Math.floor(b / 2);
    n++;
  }
  return n;
}

function popCount(x: number): number {
  let c = 0;
  while (x > 0) {
    c += x % 2;
    x = Math.floor(x / 2);
  }
  return c;
}

function trailingZeros(x: number): number {
  let c = 0;
  while (x > 0 && x % 2 === 0) {
    x /= 2;
    c++;
  }
  return c;
}

function requireSize(x: number, what: string): void {
  if (!Number.isSafeInteger(x) || x < 0) throw new InvalidArgumentError(`${what} must be a non-negative safe integer, got ${x}`);
}

function requireIndex(index: number, n: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) {
    throw new InvalidArgumentError(`index ${index} must be an integer in [0, ${n})`);
  }
}

function requireHash(h: Uint8Array, what: string): void {
  if (h.length !== HASH_SIZE) throw new ProofError('bad-hash-length', `${what} is ${h.length} bytes, want ${HASH_SIZE}`);
}

// ---------------------------------------------------------------------------
// Byte helpers (declared once in server/crypto/bytes).

export { equalBytes, toHex };

/** Parses hex with or without 0x; requires an even number of hex digits. Throws {@link InvalidArgumentError}. */
export function fromHex(s: string): Uint8Array {
  try {
    return parseHex(s);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
