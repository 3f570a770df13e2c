/** Compact-range appender: the O(log n) perfect-subtree roots covering leaves [0, n), grown one leaf at a time. */
import { InvalidArgumentError, InvariantError } from './errors';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './rfc6962';
import type { Hash } from './rfc6962';

/**
 * A saved compact range: `hashes` are the roots of the perfect subtrees covering [0, size),
 * left to right (largest first), one per set bit of `size`.
 */
export interface CompactRange {
  readonly size: number;
  readonly hashes: readonly Hash[];
}

/**
 * Told about every perfect-subtree node that an append completes: the leaf itself at level 0,
 * then each parent, bottom-up. The node covers leaves [index·2^level, (index+1)·2^level).
 */
export type NodeVisitor = (level: number, index: number, hash: Hash) => void;

/**
 * Appends leaf hashes to an RFC 6962 tree keeping only its compact range: O(log n) memory,
 * one nodeHash per completed node (amortised one per leaf), and the current root in O(log n).
 */
export class Appender {
  #size = 0;
  /** Left to right, largest subtree first; the last one is the lowest set bit of #size. */
  #hashes: Hash[] = [];

  /** Restores an appender from {@link Appender.state}. Requires `hashes.length` = popcount(size) and 32-byte hashes. */
  static fromState(state: CompactRange): Appender {
    const { size, hashes } = state;
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new InvalidArgumentError(`compact range size must be a non-negative safe integer, got ${size}`);
    }
    const want = popCount(size);
    if (hashes.length !== want) {
      throw new InvalidArgumentError(`a compact range of size ${size} has ${want} hashes, got ${hashes.length}`);
    }
    hashes.forEach((h, i) => requireHash(h, `compact range hash ${i}`));
    const appender = new Appender();
    appender.#size = size;
    appender.#hashes = hashes.map(copy);
    return appender;
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one leaf hash (already `leafHash(data)`) at index `size`, reporting each completed node
   * to `onNode`. Requires a 32-byte hash and size < 2^53 - 1. If `onNode` throws, the appender is unchanged.
   */
  append(leaf: Hash, onNode?: NodeVisitor): void {
    requireHash(leaf, 'leaf hash');
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError('the tree is full');
    let index = this.#size;
    let level = 0;
    let hash = copy(leaf);
    let top = this.#hashes.length;
    onNode?.(level, index, hash);
    // Each trailing one bit of the old size is a compact-range subtree that the new node completes.
    while (index % 2 === 1) {
      const left = this.#hashes[--top];
      if (left === undefined) throw new InvariantError(`compact range of size ${this.#size} is missing a subtree`);
      hash = nodeHash(left, hash);
      level++;
      index = (index - 1) / 2;
      onNode?.(level, index, hash);
    }
    // Commit only once every node has been computed and reported.
    this.#hashes.length = top;
    this.#hashes.push(hash);
    this.#size++;
  }

  /** Appends each leaf hash in order; see {@link Appender.append}. If `onNode` throws, the leaves before stay appended. */
  appendAll(leaves: readonly Hash[], onNode?: NodeVisitor): void {
    for (const leaf of leaves) this.append(leaf, onNode);
  }

  /** MTH of the leaves so far: the compact range folded right to left; EMPTY_ROOT when empty. */
  root(): Hash {
    const hashes = this.#hashes;
    let i = hashes.length - 1;
    let root = hashes[i];
    if (root === undefined) return EMPTY_ROOT;
    while (--i >= 0) root = nodeHash(hashes[i]!, root);
    return root;
  }

  /** A copy of the compact range, for persisting and {@link Appender.fromState}. */
  state(): CompactRange {
    return { size: this.#size, hashes: this.#hashes.map(copy) };
  }

  /** An independent appender at the same state. */
  clone(): Appender {
    const other = new Appender();
    other.#size = this.#size;
    other.#hashes = this.#hashes.slice(); // stored hashes are never mutated, so sharing them is safe
    return other;
  }
}

function requireHash(h: Uint8Array, what: string): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    throw new InvalidArgumentError(`${what} must be ${HASH_SIZE} bytes`);
  }
}

function copy(h: Hash): Hash {
  return new Uint8Array(h);
}

function popCount(x: number): number {
  let c = 0;
  for (; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}
