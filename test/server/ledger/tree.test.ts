/** Tests of server/ledger/tree.ts: node store, planning, the stored tree's roots and proofs, and the writer. */
import assert from 'node:assert/strict';
import { expect } from 'chai';
import fc from 'fast-check';
import { Appender } from '../../../server/ledger/appender';
import { InvalidArgumentError, InvariantError, ProofError } from '../../../server/ledger/errors';
import {
  EMPTY_ROOT,
  consistencyProof,
  fromHex,
  inclusionProof,
  leafHash,
  rootHash,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from '../../../server/ledger/rfc6962';
import type { Hash } from '../../../server/ledger/rfc6962';
import {
  LogTree,
  LogWriter,
  MemoryNodeStore,
  assembleProof,
  assembleRoot,
  perfectSubtrees,
  planConsistency,
  planInclusion,
  planRoot,
} from '../../../server/ledger/tree';
import type { NodeId, NodePlan, NodeReader, NodeStore, StoredNode } from '../../../server/ledger/tree';
import { CountingReader, ceilLog2, hexes, loadReferenceTree, makeLeaves } from './helpers';

const N = 4096;
const pool = makeLeaves(N, 3);
const reference = loadReferenceTree();

/** Roots of pool[0:size] for every size 0..N, from the appender (independent of the tree's planning). */
function allRoots(leaves: readonly Hash[]): string[] {
  const appender = new Appender();
  const roots = [toHex(appender.root())];
  for (const leaf of leaves) {
    appender.append(leaf);
    roots.push(toHex(appender.root()));
  }
  return roots;
}

/** The log-size bound on node reads per root or proof. */
function readBound(size: number): number {
  return 2 * ceilLog2(Math.max(size, 1)) + 2;
}

// Hot loops assert with node:assert: chai under hardhat's matchers costs ~0.25 ms per assertion.

function assertValidPlan(plan: NodePlan, size: number): void {
  const keys = plan.ids.map((id) => `${id.level}:${id.index}`);
  assert.equal(new Set(keys).size, keys.length, `ids are distinct for size ${size}`);
  for (const id of plan.ids) assert.ok((id.index + 1) * 2 ** id.level <= size, `node ${id.level}:${id.index} is complete in size ${size}`);
  assert.equal(
    plan.groupSizes.reduce((a, b) => a + b, 0),
    plan.ids.length,
  );
  assert.ok(plan.ids.length <= readBound(size), `${plan.ids.length} nodes for size ${size}`);
}

async function rejects(p: Promise<unknown>, type: new (...args: never[]) => Error): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(type);
    return e as Error;
  }
  expect.fail(`expected a ${type.name}`);
}

/** A store that counts writeNodes calls and can be told to fail the next one. */
class ObservedStore implements NodeStore {
  readonly inner = new MemoryNodeStore();
  writes = 0;
  written = 0;
  failNext = false;

  readNodes(ids: readonly NodeId[]): Promise<Hash[]> {
    return this.inner.readNodes(ids);
  }

  async writeNodes(nodes: readonly StoredNode[]): Promise<void> {
    this.writes++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database unavailable');
    }
    this.written += nodes.length;
    await this.inner.writeNodes(nodes);
  }
}

describe('ledger/tree', () => {
  let store: MemoryNodeStore;
  let tree: LogTree;
  let counting: CountingReader;
  let roots: string[];

  before(async () => {
    store = new MemoryNodeStore();
    const writer = new LogWriter(store);
    // Uneven batches, so batch borders fall inside perfect subtrees.
    for (let at = 0; at < N; ) {
      const next = Math.min(N, at + 1 + ((at * 7919) % 700));
      await writer.appendLeaves(pool.slice(at, next));
      at = next;
    }
    tree = writer.tree();
    counting = new CountingReader(store);
    roots = allRoots(pool);
  });

  describe('MemoryNodeStore', () => {
    const a = pool[0]!;
    const b = pool[1]!;

    it('When a node is not stored, Then reading it throws InvariantError', async () => {
      const s = new MemoryNodeStore();
      await s.writeNodes([{ id: { level: 0, index: 0 }, hash: a }]);
      await rejects(s.readNodes([{ level: 0, index: 0 }, { level: 0, index: 1 }]), InvariantError);
      await rejects(s.readNodes([{ level: 5, index: 0 }]), InvariantError);
    });

    it('When a node is written again with the same hash, Then nothing changes; with another hash, Then InvariantError and the batch is not stored', async () => {
      const s = new MemoryNodeStore();
      await s.writeNodes([{ id: { level: 0, index: 0 }, hash: a }]);
      await s.writeNodes([{ id: { level: 0, index: 0 }, hash: new Uint8Array(a) }]);
      await rejects(
        s.writeNodes([
          { id: { level: 0, index: 1 }, hash: b },
          { id: { level: 0, index: 0 }, hash: b },
        ]),
        InvariantError,
      );
      expect(s.nodeCount).to.equal(1);
      expect(hexes(await s.readNodes([{ level: 0, index: 0 }]))).to.deep.equal([toHex(a)]);
    });

    it('When a node id or hash is malformed, Then writeNodes throws InvalidArgumentError', async () => {
      const s = new MemoryNodeStore();
      await rejects(s.writeNodes([{ id: { level: -1, index: 0 }, hash: a }]), InvalidArgumentError);
      await rejects(s.writeNodes([{ id: { level: 0, index: 0.5 }, hash: a }]), InvalidArgumentError);
      await rejects(s.writeNodes([{ id: { level: 0, index: 0 }, hash: a.subarray(1) }]), InvalidArgumentError);
    });

    it('When a caller mutates a written or read hash, Then the stored node is unchanged', async () => {
      const s = new MemoryNodeStore();
      const mine = new Uint8Array(a);
      await s.writeNodes([{ id: { level: 2, index: 7 }, hash: mine }]);
      mine.fill(0);
      const [read] = await s.readNodes([{ level: 2, index: 7 }]);
      read!.fill(1);
      expect(hexes(await s.readNodes([{ level: 2, index: 7 }]))).to.deep.equal([toHex(a)]);
    });
  });

  describe('planning', () => {
    it('When [0, 13) is decomposed, Then it is the perfect subtrees of 8, 4 and 1 leaves, largest first', () => {
      expect(perfectSubtrees(0, 13)).to.deep.equal([
        { level: 3, index: 0 },
        { level: 2, index: 2 },
        { level: 0, index: 12 },
      ]);
      expect(perfectSubtrees(8, 14)).to.deep.equal([
        { level: 2, index: 2 },
        { level: 1, index: 6 },
      ]);
      expect(perfectSubtrees(5, 5)).to.deep.equal([]);
    });

    it('When a range is reversed or not aligned to its largest subtree, Then InvalidArgumentError', () => {
      expect(() => perfectSubtrees(4, 3)).to.throw(InvalidArgumentError);
      expect(() => perfectSubtrees(2, 6)).to.throw(InvalidArgumentError);
      expect(() => perfectSubtrees(-1, 3)).to.throw(InvalidArgumentError);
    });

    it('When arguments are out of range, Then the planners throw InvalidArgumentError', () => {
      expect(() => planRoot(-1)).to.throw(InvalidArgumentError);
      expect(() => planInclusion(5, 5)).to.throw(InvalidArgumentError);
      expect(() => planInclusion(-1, 5)).to.throw(InvalidArgumentError);
      expect(() => planInclusion(0, 2 ** 53)).to.throw(InvalidArgumentError);
      expect(() => planConsistency(6, 5)).to.throw(InvalidArgumentError);
      expect(() => planConsistency(1.5, 5)).to.throw(InvalidArgumentError);
    });

    it('When plans are made for trees of up to 2^53 - 1 leaves, Then each names O(log n) distinct complete nodes', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.double({ min: 0, max: 1, noNaN: true }), (size, f) => {
          const other = Math.min(size - 1, Math.floor(f * size));
          assertValidPlan(planRoot(size), size);
          assertValidPlan(planInclusion(other, size), size);
          assertValidPlan(planConsistency(other, size), size);
        }),
        { numRuns: 300 },
      );
    });

    it('When a plan is assembled from the wrong number of hashes or a short hash, Then InvariantError', () => {
      const plan = planInclusion(5, 13);
      expect(() => assembleProof(plan, [])).to.throw(InvariantError);
      const hashes = plan.ids.map(() => pool[0]!);
      expect(() => assembleProof(plan, [...hashes.slice(1), new Uint8Array(31)])).to.throw(InvariantError);
      expect(toHex(assembleRoot(planRoot(0), []))).to.equal(toHex(EMPTY_ROOT));
    });
  });

  describe('the CT reference tree, stored', () => {
    let ref: LogTree;
    const leaves = reference.leafHashes.map(fromHex);

    before(async () => {
      const writer = new LogWriter(new MemoryNodeStore());
      await writer.appendLeaves(leaves);
      ref = writer.tree();
    });

    it('When every perfect node is read, Then it is the reference node hash', async () => {
      for (const [level, hashes] of reference.nodeHashes.entries()) {
        const ids = hashes.map((_, index) => ({ level, index }));
        expect(hexes(await ref.reader.readNodes(ids))).to.deep.equal(hashes);
      }
    });

    it('When the roots of sizes 0..8 are asked for, Then they are the reference roots', async () => {
      for (let size = 0; size <= 8; size++) expect(toHex(await ref.rootAt(size))).to.equal(reference.rootHashes[size]);
    });

    it('When the reference inclusion and consistency proofs are asked for, Then they are the reference proofs', async () => {
      for (const v of reference.inclusion) expect(hexes(await ref.inclusionProof(v.leafIndex, v.treeSize))).to.deep.equal(v.proof);
      for (const v of reference.consistency) expect(hexes(await ref.consistencyProof(v.size1, v.size2))).to.deep.equal(v.proof);
    });
  });

  describe(`a stored tree of ${N} leaves`, () => {
    it('When the root of every past size is asked for, Then it equals the appender root, in one read of popcount(size) nodes', async () => {
      for (let size = 0; size <= N; size++) {
        counting.reset();
        const root = await new LogTree(counting, N).rootAt(size);
        assert.equal(toHex(root), roots[size], `size ${size}`);
        assert.ok(counting.calls <= 1);
        assert.equal(counting.nodes, planRoot(size).ids.length);
      }
      expect(toHex(await tree.rootAt())).to.equal(toHex(rootHash(pool)));
    });

    it('When sizes are at most 64, Then every leaf is provable at every size from index + 1', async () => {
      for (let size = 1; size <= 64; size++) {
        const root = fromHex(roots[size]!);
        for (let index = 0; index < size; index++) {
          const proof = await tree.inclusionProof(index, size);
          verifyInclusion({ index, size, leafHash: pool[index]!, proof, root });
        }
      }
    });

    it('When the tree is at sizes 4096, 4095, 3000, 2049 and 1, Then every leaf is provable', async () => {
      for (const size of [4096, 4095, 3000, 2049, 1]) {
        const root = fromHex(roots[size]!);
        for (let index = 0; index < size; index++) {
          verifyInclusion({ index, size, leafHash: pool[index]!, proof: await tree.inclusionProof(index, size), root });
        }
      }
    });

    it('When a random leaf is proved at a random later size, Then the proof verifies and was read in one call of O(log n) nodes', async () => {
      const pair = fc.integer({ min: 1, max: N }).chain((size) => fc.tuple(fc.nat({ max: size - 1 }), fc.constant(size)));
      await fc.assert(
        fc.asyncProperty(pair, async ([index, size]) => {
          counting.reset();
          const proof = await new LogTree(counting, N).inclusionProof(index, size);
          assert.ok(counting.calls <= 1, `${counting.calls} reads`);
          assert.ok(counting.nodes <= readBound(size), `${counting.nodes} nodes read for size ${size}`);
          verifyInclusion({ index, size, leafHash: pool[index]!, proof, root: fromHex(roots[size]!) });
        }),
        { numRuns: 1000 },
      );
    });

    it('When the tree grows from a random size1 to a random size2, Then the consistency proof verifies from O(log n) nodes, and fails with the roots swapped', async () => {
      const pair = fc.integer({ min: 2, max: N }).chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 - 1 }), fc.constant(size2)));
      await fc.assert(
        fc.asyncProperty(pair, async ([size1, size2]) => {
          counting.reset();
          const proof = await new LogTree(counting, N).consistencyProof(size1, size2);
          assert.equal(counting.calls, 1);
          assert.ok(counting.nodes <= readBound(size2), `${counting.nodes} nodes read for size ${size2}`);
          const root1 = fromHex(roots[size1]!);
          const root2 = fromHex(roots[size2]!);
          verifyConsistency({ size1, size2, root1, root2, proof });
          assert.throws(() => verifyConsistency({ size1, size2, root1: root2, root2: root1, proof }), ProofError);
        }),
        { numRuns: 1000 },
      );
    });

    it('When one leaf of the old tree is changed, Then the old root is not consistent with the changed tree', async () => {
      const arb = fc
        .integer({ min: 2, max: 512 })
        .chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 - 1 }), fc.constant(size2)))
        .chain(([size1, size2]) => fc.tuple(fc.constant(size1), fc.constant(size2), fc.nat({ max: size1 - 1 })));
      await fc.assert(
        fc.asyncProperty(arb, async ([size1, size2, changed]) => {
          const forged = pool.slice(0, size2);
          forged[changed] = leafHash(Buffer.from(`forged ${changed}`));
          const writer = new LogWriter(new MemoryNodeStore());
          await writer.appendLeaves(forged);
          const proof = await writer.tree().consistencyProof(size1, size2);
          assert.throws(() => verifyConsistency({ size1, size2, root1: fromHex(roots[size1]!), root2: writer.root(), proof }), ProofError);
        }),
        { numRuns: 50 },
      );
    });

    it('When proofs are asked for random sizes, Then they equal the pure rfc6962 proofs', async () => {
      const arb = fc.integer({ min: 1, max: N }).chain((size) => fc.tuple(fc.nat({ max: size - 1 }), fc.nat({ max: size }), fc.constant(size)));
      await fc.assert(
        fc.asyncProperty(arb, async ([index, size1, size]) => {
          const leaves = pool.slice(0, size);
          assert.deepEqual(hexes(await tree.inclusionProof(index, size)), hexes(inclusionProof(leaves, index)));
          assert.deepEqual(hexes(await tree.consistencyProof(size1, size)), hexes(consistencyProof(leaves, size1)));
        }),
        { numRuns: 60 },
      );
    });

    it('When sizes are at most 40, Then every inclusion and consistency proof equals the pure rfc6962 proof', async () => {
      for (let size = 1; size <= 40; size++) {
        const leaves = pool.slice(0, size);
        for (let i = 0; i < size; i++) assert.deepEqual(hexes(await tree.inclusionProof(i, size)), hexes(inclusionProof(leaves, i)));
        for (let m = 0; m <= size; m++) assert.deepEqual(hexes(await tree.consistencyProof(m, size)), hexes(consistencyProof(leaves, m)));
      }
    });

    it('When a consistency proof is from size 0 or to the same size, Then it is empty and nothing is read', async () => {
      counting.reset();
      const view = new LogTree(counting, N);
      expect(await view.consistencyProof(0, 100)).to.deep.equal([]);
      expect(await view.consistencyProof(100, 100)).to.deep.equal([]);
      expect(await view.inclusionProof(0, 1)).to.deep.equal([]);
      expect(counting.calls).to.equal(0);
    });

    it('When a leaf hash is read back, Then it is the appended one', async () => {
      expect(toHex(await tree.leafHashAt(1234))).to.equal(toHex(pool[1234]!));
      await rejects(tree.leafHashAt(N), InvalidArgumentError);
    });

    it('When a size beyond the stored tree or an index outside the size is asked for, Then InvalidArgumentError', async () => {
      await rejects(tree.rootAt(N + 1), InvalidArgumentError);
      await rejects(tree.inclusionProof(0, N + 1), InvalidArgumentError);
      await rejects(tree.inclusionProof(10, 10), InvalidArgumentError);
      await rejects(tree.consistencyProof(5, N + 1), InvalidArgumentError);
      await rejects(tree.consistencyProof(6, 5), InvalidArgumentError);
      expect(() => new LogTree(store, -1)).to.throw(InvalidArgumentError);
    });

    it('When the reader is broken (a missing node or a short answer), Then InvariantError', async () => {
      const sparse = new MemoryNodeStore();
      await sparse.writeNodes([{ id: { level: 0, index: 0 }, hash: pool[0]! }]);
      await rejects(new LogTree(sparse, 3).inclusionProof(0, 3), InvariantError);
      const short: NodeReader = { readNodes: async (ids) => (await store.readNodes(ids)).slice(1) };
      await rejects(new LogTree(short, N).rootAt(N - 1), InvariantError);
    });
  });

  describe('LogWriter', () => {
    it('When batches are appended, Then each is one writeNodes call and 2n - popcount(n) nodes are written in all', async () => {
      const s = new ObservedStore();
      const writer = new LogWriter(s);
      const first = await writer.appendLeaves(pool.slice(0, 100));
      const second = await writer.appendLeaves(pool.slice(100, 1000));
      const empty = await writer.appendLeaves([]);
      expect(s.writes).to.equal(2);
      expect(s.written).to.equal(2 * 1000 - 6); // popcount(1000) = 6
      expect(s.inner.nodeCount).to.equal(s.written);
      expect(first).to.deep.include({ firstIndex: 0, size: 100 });
      expect(second).to.deep.include({ firstIndex: 100, size: 1000 });
      expect(empty).to.deep.include({ firstIndex: 1000, size: 1000 });
      expect(toHex(second.root)).to.equal(toHex(rootHash(pool.slice(0, 1000))));
      expect(toHex(writer.root())).to.equal(toHex(second.root));
    });

    it('When a write fails, Then the size is unchanged and the batch can be retried', async () => {
      const s = new ObservedStore();
      const writer = new LogWriter(s);
      await writer.appendLeaves(pool.slice(0, 5));
      s.failNext = true;
      await rejects(writer.appendLeaves(pool.slice(5, 9)), Error);
      expect(writer.size).to.equal(5);
      const retried = await writer.appendLeaves(pool.slice(5, 9));
      expect(retried).to.deep.include({ firstIndex: 5, size: 9 });
      expect(toHex(await writer.tree().rootAt())).to.equal(toHex(rootHash(pool.slice(0, 9))));
    });

    it('When batches are appended concurrently, Then they land in call order', async () => {
      const writer = new LogWriter(new MemoryNodeStore());
      const results = await Promise.all([writer.appendLeaves(pool.slice(0, 3)), writer.appendLeaves(pool.slice(3, 10)), writer.appendLeaves(pool.slice(10, 11))]);
      expect(results.map((r) => r.firstIndex)).to.deep.equal([0, 3, 10]);
      expect(toHex(await writer.tree().rootAt())).to.equal(toHex(rootHash(pool.slice(0, 11))));
    });

    it('When a writer resumes from its store, Then it reads only the compact range and continues to the same roots', async () => {
      const s = new MemoryNodeStore();
      await new LogWriter(s).appendLeaves(pool.slice(0, 777));
      const reads: number[] = [];
      const spy: NodeStore = {
        readNodes: (ids) => {
          reads.push(ids.length);
          return s.readNodes(ids);
        },
        writeNodes: (nodes) => s.writeNodes(nodes),
      };
      const resumed = await LogWriter.resume(spy, 777);
      expect(reads).to.deep.equal([planRoot(777).ids.length]);
      await resumed.appendLeaves(pool.slice(777, 1500));
      expect(toHex(resumed.root())).to.equal(toHex(rootHash(pool.slice(0, 1500))));
      expect(hexes(await resumed.tree().inclusionProof(800, 1500))).to.deep.equal(hexes(inclusionProof(pool.slice(0, 1500), 800)));
    });

    it('When a writer is built from a saved compact range, Then it continues the same tree', async () => {
      const s = new MemoryNodeStore();
      const writer = new LogWriter(s);
      await writer.appendLeaves(pool.slice(0, 300));
      const again = new LogWriter(s, Appender.fromState(writer.state()));
      await again.appendLeaves(pool.slice(300, 301));
      expect(toHex(again.root())).to.equal(toHex(rootHash(pool.slice(0, 301))));
    });

    it('When a leaf hash is not 32 bytes, Then appendLeaves throws InvalidArgumentError and writes nothing', async () => {
      const s = new ObservedStore();
      const writer = new LogWriter(s);
      await rejects(writer.appendLeaves([pool[0]!, new Uint8Array(5)]), InvalidArgumentError);
      expect(s.writes).to.equal(0);
      expect(writer.size).to.equal(0);
    });
  });
});
