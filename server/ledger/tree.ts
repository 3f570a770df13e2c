/** Storage-backed log tree: immutable perfect-subtree nodes in a store, roots and proofs for any past size in one batched read. */
import { Appender } from './appender';
import type { CompactRange } from './appender';
import { InvalidArgumentError, InvariantError } from './errors';
import { EMPTY_ROOT, HASH_SIZE, equalBytes, nodeHash, splitPoint } from './rfc6962';
import type { Hash } from './rfc6962';

// ---------------------------------------------------------------------------
// Nodes and their storage.

/**
 * The PERFECT subtree at `level` covering leaves [index·2^level, (index+1)·2^level).
 * Level 0 holds leaf hashes. Once all its leaves exist a node never changes.
 */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** A node and its hash, as written to a {@link NodeStore}. */
export interface StoredNode {
  readonly id: NodeId;
  readonly hash: Hash;
}

/** Batched read access to stored nodes: one call per root or proof, so a database answers in one round-trip. */
export interface NodeReader {
  /** The hashes of `ids`, in the same order. Throws {@link InvariantError} if any of them is not stored. */
  readNodes(ids: readonly NodeId[]): Promise<Hash[]>;
}

/** A {@link NodeReader} that also stores nodes. */
export interface NodeStore extends NodeReader {
  /**
   * Stores complete perfect-subtree nodes. Requires 32-byte hashes. Writing a stored node again with
   * the same hash is a no-op (so a crashed batch can be replayed); with another hash it throws {@link InvariantError}.
   */
  writeNodes(nodes: readonly StoredNode[]): Promise<void>;
}

/** A {@link NodeStore} in memory, for tests and the embedded default. Keeps its own copies of hashes. */
export class MemoryNodeStore implements NodeStore {
  readonly #levels: Map<number, Uint8Array>[] = [];

  /** Number of nodes stored. */
  get nodeCount(): number {
    return this.#levels.reduce((n, level) => n + level.size, 0);
  }

  /** Requires every id to be stored; throws {@link InvariantError} naming the first missing one. */
  async readNodes(ids: readonly NodeId[]): Promise<Hash[]> {
    return ids.map((id) => {
      const hash = this.#levels[id.level]?.get(id.index);
      if (hash === undefined) throw new InvariantError(`node ${formatId(id)} is not stored`);
      return new Uint8Array(hash);
    });
  }

  /** Requires valid ids and 32-byte hashes; see {@link NodeStore.writeNodes}. */
  async writeNodes(nodes: readonly StoredNode[]): Promise<void> {
    for (const { id, hash } of nodes) {
      requireNodeId(id);
      if (hash.length !== HASH_SIZE) throw new InvalidArgumentError(`node ${formatId(id)} hash must be ${HASH_SIZE} bytes`);
    }
    // Check everything before storing anything, so a rejected batch leaves the store unchanged.
    for (const { id, hash } of nodes) {
      const stored = this.#levels[id.level]?.get(id.index);
      if (stored !== undefined && !equalBytes(stored, hash)) {
        throw new InvariantError(`node ${formatId(id)} is already stored with a different hash`);
      }
    }
    for (const { id, hash } of nodes) {
      let level = this.#levels[id.level];
      if (level === undefined) {
        for (let l = this.#levels.length; l <= id.level; l++) this.#levels.push(new Map());
        level = this.#levels[id.level]!;
      }
      level.set(id.index, new Uint8Array(hash));
    }
  }
}

// ---------------------------------------------------------------------------
// Planning: which perfect nodes a root or proof needs, without touching storage.

/**
 * The perfect nodes a root or proof is made of. Output hash i is the fold, right to left,
 * of the next `groupSizes[i]` hashes of `ids`: `nodeHash(a, nodeHash(b, c))` for [a, b, c].
 * The ids are pairwise distinct.
 */
export interface NodePlan {
  readonly ids: readonly NodeId[];
  readonly groupSizes: readonly number[];
}

/**
 * The perfect subtrees covering leaves [start, end), largest (leftmost) first: one per set bit of
 * end - start. Their right-to-left fold is MTH(D[start:end]). Requires 0 <= start <= end and start
 * a multiple of the largest power of two <= end - start (true of every subtree RFC 6962 splits out).
 */
export function perfectSubtrees(start: number, end: number): NodeId[] {
  requireCount(start, 'start');
  requireCount(end, 'end');
  if (end < start) throw new InvalidArgumentError(`range [${start}, ${end}) is reversed`);
  const ids: NodeId[] = [];
  let level = 0;
  while (2 ** (level + 1) <= end - start) level++;
  if (end > start && start % 2 ** level !== 0) {
    throw new InvalidArgumentError(`range [${start}, ${end}) does not start on a multiple of ${2 ** level}`);
  }
  let pos = start;
  for (; level >= 0; level--) {
    const width = 2 ** level;
    if (end - pos >= width) {
      ids.push({ level, index: pos / width });
      pos += width;
    }
  }
  return ids;
}

/** The nodes of MTH(D[0:size]), i.e. of the compact range of `size`. Requires size >= 0. Empty plan for size 0. */
export function planRoot(size: number): NodePlan {
  requireCount(size, 'size');
  const ids = perfectSubtrees(0, size);
  return { ids, groupSizes: size === 0 ? [] : [ids.length] };
}

/** The nodes of PATH(index, D[size]) (RFC 9162 §2.1.3.1), bottom-up. Requires 0 <= index < size. */
export function planInclusion(index: number, size: number): NodePlan {
  requireCount(size, 'size');
  requireCount(index, 'index');
  if (index >= size) throw new InvalidArgumentError(`index ${index} must be below size ${size}`);
  const topDown: NodeId[][] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      topDown.push(perfectSubtrees(start + k, end));
      end = start + k;
    } else {
      topDown.push(perfectSubtrees(start, start + k));
      start += k;
    }
  }
  return fromGroups(topDown.reverse());
}

/** The nodes of PROOF(size1, D[size2]) (RFC 9162 §2.1.4.1), bottom-up. Requires 0 <= size1 <= size2; empty for size1 in {0, size2}. */
export function planConsistency(size1: number, size2: number): NodePlan {
  requireCount(size1, 'size1');
  requireCount(size2, 'size2');
  if (size1 > size2) throw new InvalidArgumentError(`size1 ${size1} must not exceed size2 ${size2}`);
  const topDown: NodeId[][] = [];
  if (size1 === 0 || size1 === size2) return fromGroups(topDown);
  // SUBPROOF(m, D[start:end], complete), unrolled: it recurses into one half each step.
  let start = 0;
  let end = size2;
  let m = size1;
  let complete = true;
  for (;;) {
    const n = end - start;
    if (m === n) {
      if (!complete) topDown.push(perfectSubtrees(start, end));
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      topDown.push(perfectSubtrees(start + k, end));
      end = start + k;
    } else {
      topDown.push(perfectSubtrees(start, start + k));
      start += k;
      m -= k;
      complete = false;
    }
  }
  return fromGroups(topDown.reverse());
}

/**
 * Combines the hashes read for `plan` into its outputs (proof hashes, bottom-up).
 * Requires one 32-byte hash per id, in order; throws {@link InvariantError} otherwise (a broken store).
 */
export function assembleProof(plan: NodePlan, hashes: readonly Hash[]): Hash[] {
  if (hashes.length !== plan.ids.length) {
    throw new InvariantError(`read ${hashes.length} node hashes for a plan of ${plan.ids.length} nodes`);
  }
  hashes.forEach((h, i) => {
    if (h.length !== HASH_SIZE) throw new InvariantError(`node ${formatId(plan.ids[i]!)} has a ${h.length}-byte hash`);
  });
  const out: Hash[] = [];
  let next = 0;
  for (const count of plan.groupSizes) {
    let i = next + count - 1;
    let h = hashes[i]!;
    while (--i >= next) h = nodeHash(hashes[i]!, h);
    out.push(h);
    next += count;
  }
  return out;
}

/** The root of a {@link planRoot} plan: EMPTY_ROOT for size 0. Same requirements as {@link assembleProof}. */
export function assembleRoot(plan: NodePlan, hashes: readonly Hash[]): Hash {
  return assembleProof(plan, hashes)[0] ?? EMPTY_ROOT;
}

function fromGroups(groups: readonly NodeId[][]): NodePlan {
  return { ids: groups.flat(), groupSizes: groups.map((g) => g.length) };
}

// ---------------------------------------------------------------------------
// Reading and writing the tree.

/** A read-only view of the stored tree at `size` leaves: roots and proofs for it and every earlier size. */
export class LogTree {
  /** Requires every perfect node within [0, size) to be in `reader`, and size >= 0. */
  constructor(
    readonly reader: NodeReader,
    readonly size: number,
  ) {
    requireCount(size, 'size');
  }

  /** MTH(D[0:size]) (EMPTY_ROOT for 0). Requires 0 <= size <= this.size. Reads popcount(size) nodes. */
  async rootAt(size: number = this.size): Promise<Hash> {
    this.#requireStored(size, 'size');
    const plan = planRoot(size);
    return assembleRoot(plan, await this.#read(plan));
  }

  /** Inclusion proof of leaf `index` in the tree of `size` leaves. Requires 0 <= index < size <= this.size. */
  async inclusionProof(index: number, size: number = this.size): Promise<Hash[]> {
    this.#requireStored(size, 'size');
    const plan = planInclusion(index, size);
    return assembleProof(plan, await this.#read(plan));
  }

  /** Consistency proof from size1 to size2. Requires 0 <= size1 <= size2 <= this.size; empty for size1 in {0, size2}. */
  async consistencyProof(size1: number, size2: number = this.size): Promise<Hash[]> {
    this.#requireStored(size2, 'size2');
    const plan = planConsistency(size1, size2);
    return assembleProof(plan, await this.#read(plan));
  }

  /** The stored leaf hash at `index`. Requires 0 <= index < this.size. */
  async leafHashAt(index: number): Promise<Hash> {
    requireCount(index, 'index');
    if (index >= this.size) throw new InvalidArgumentError(`index ${index} must be below size ${this.size}`);
    const [hash] = await this.reader.readNodes([{ level: 0, index }]);
    if (hash?.length !== HASH_SIZE) throw new InvariantError(`leaf ${index} is missing or not ${HASH_SIZE} bytes`);
    return hash;
  }

  #requireStored(size: number, what: string): void {
    requireCount(size, what);
    if (size > this.size) throw new InvalidArgumentError(`${what} ${size} is beyond the stored tree size ${this.size}`);
  }

  /** One batched read per plan; none for a plan without nodes. */
  async #read(plan: NodePlan): Promise<Hash[]> {
    return plan.ids.length === 0 ? [] : this.reader.readNodes(plan.ids);
  }
}

/** Where an {@link LogWriter.appendLeaves} batch landed. */
export interface AppendResult {
  /** Index of the first appended leaf. */
  readonly firstIndex: number;
  /** Tree size after the batch. */
  readonly size: number;
  /** Tree root after the batch. */
  readonly root: Hash;
}

/**
 * Appends leaves to a stored tree: hashes each completed node once (through the compact range)
 * and writes a batch's nodes with one writeNodes call. Batches run one at a time, in call order.
 */
export class LogWriter {
  #appender: Appender;
  #queue: Promise<unknown> = Promise.resolve();

  /** Requires `appender` to be the compact range of the nodes already in `store` (a new Appender for an empty store). */
  constructor(
    readonly store: NodeStore,
    appender: Appender = new Appender(),
  ) {
    this.#appender = appender.clone();
  }

  /** Resumes a tree of `size` leaves from its store, reading only its compact range (popcount(size) nodes). */
  static async resume(store: NodeStore, size: number): Promise<LogWriter> {
    const plan = planRoot(size);
    const hashes = plan.ids.length === 0 ? [] : await store.readNodes(plan.ids);
    return new LogWriter(store, Appender.fromState({ size, hashes }));
  }

  /** Number of leaves written. */
  get size(): number {
    return this.#appender.size;
  }

  /** Current root, from the compact range (no reads). */
  root(): Hash {
    return this.#appender.root();
  }

  /** The compact range, to persist next to the size. */
  state(): CompactRange {
    return this.#appender.state();
  }

  /** A read-only view at the current size. */
  tree(): LogTree {
    return new LogTree(this.store, this.size);
  }

  /**
   * Appends leaf hashes (already `leafHash(data)`), in order, writing the leaves and every parent they
   * complete in one writeNodes call. Requires 32-byte hashes. If the write fails, the size is unchanged.
   */
  appendLeaves(leaves: readonly Hash[]): Promise<AppendResult> {
    const run = this.#queue.then(() => this.#append(leaves));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #append(leaves: readonly Hash[]): Promise<AppendResult> {
    const next = this.#appender.clone();
    const nodes: StoredNode[] = [];
    next.appendAll(leaves, (level, index, hash) => nodes.push({ id: { level, index }, hash }));
    if (nodes.length > 0) await this.store.writeNodes(nodes);
    const firstIndex = this.#appender.size;
    this.#appender = next;
    return { firstIndex, size: next.size, root: next.root() };
  }
}

// ---------------------------------------------------------------------------
// Helpers.

function requireCount(x: number, what: string): void {
  if (!Number.isSafeInteger(x) || x < 0) throw new InvalidArgumentError(`${what} must be a non-negative safe integer, got ${x}`);
}

function requireNodeId(id: NodeId): void {
  if (!Number.isSafeInteger(id.level) || id.level < 0 || id.level > 53) {
    throw new InvalidArgumentError(`node level must be an integer in [0, 53], got ${id.level}`);
  }
  requireCount(id.index, 'node index');
}

function formatId(id: NodeId): string {
  return `(level ${id.level}, index ${id.index})`;
}
