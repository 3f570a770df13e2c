/** Tests of server/ledger/rfc6962.ts: upstream vectors, properties of proofs, and typed errors. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { InvalidArgumentError, ProofError } from '../../../server/ledger/errors';
import type { ProofErrorReason } from '../../../server/ledger/errors';
import {
  EMPTY_ROOT,
  HASH_SIZE,
  consistencyProof,
  decomposeInclusionProof,
  equalBytes,
  fromHex,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  rootHash,
  splitPoint,
  toHex,
  verifyConsistency,
  verifyInclusion,
  verifyMatch,
} from '../../../server/ledger/rfc6962';
import type { Hash } from '../../../server/ledger/rfc6962';
import {
  ceilLog2,
  flipBit,
  hexes,
  loadConsistencyProbes,
  loadInclusionProbes,
  loadReferenceTree,
  makeLeaves,
  unhex,
} from './helpers';

// Hot loops assert with node:assert: chai under hardhat's matchers costs ~0.25 ms per assertion.

/** Runs `f` and returns the ProofError it throws; fails on success and rethrows any other error. */
function proofErrorOf(f: () => void): ProofError {
  try {
    f();
  } catch (e) {
    if (e instanceof ProofError) return e;
    throw e;
  }
  assert.fail('expected a ProofError, but verification passed');
}

function expectReason(f: () => void, reason: ProofErrorReason): void {
  assert.equal(proofErrorOf(f).reason, reason);
}

function sha256(...parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

const inclusionProbes = loadInclusionProbes();
const consistencyProbes = loadConsistencyProbes();
const reference = loadReferenceTree();

describe('ledger/rfc6962', () => {
  describe('upstream transparency-dev/merkle inclusion probes', () => {
    it('When the probe file is loaded, Then it holds 98 probes of which 6 must verify', () => {
      expect(inclusionProbes).to.have.length(98);
      expect(inclusionProbes.filter((p) => !p.wantErr)).to.have.length(6);
      expect(new Set(inclusionProbes.map((p) => p.file)).size).to.equal(98);
    });

    for (const probe of inclusionProbes) {
      const verdict = probe.wantErr ? 'Then verification fails with a ProofError' : 'Then verification passes';
      it(`When probe ${probe.file} (${probe.desc}) is verified, ${verdict}`, () => {
        const verify = (): void =>
          verifyInclusion({
            index: probe.leafIdx,
            size: probe.treeSize,
            leafHash: fromHex(probe.leafHash),
            proof: unhex(probe.proof),
            root: fromHex(probe.root),
          });
        if (probe.wantErr) proofErrorOf(verify);
        else expect(verify).not.to.throw();
      });
    }
  });

  describe('upstream transparency-dev/merkle consistency probes', () => {
    it('When the probe file is loaded, Then it holds 98 probes of which 6 must verify', () => {
      expect(consistencyProbes).to.have.length(98);
      expect(consistencyProbes.filter((p) => !p.wantErr)).to.have.length(6);
      expect(new Set(consistencyProbes.map((p) => p.file)).size).to.equal(98);
    });

    for (const probe of consistencyProbes) {
      const verdict = probe.wantErr ? 'Then verification fails with a ProofError' : 'Then verification passes';
      it(`When probe ${probe.file} (${probe.desc}) is verified, ${verdict}`, () => {
        const verify = (): void =>
          verifyConsistency({
            size1: probe.size1,
            size2: probe.size2,
            root1: fromHex(probe.root1),
            root2: fromHex(probe.root2),
            proof: unhex(probe.proof),
          });
        if (probe.wantErr) proofErrorOf(verify);
        else expect(verify).not.to.throw();
      });
    }
  });

  describe('the CT reference tree of 8 leaves', () => {
    const leaves = reference.leafInputs.map((input) => leafHash(fromHex(input)));

    it('When the leaf inputs are hashed, Then the leaf hashes are the reference ones', () => {
      expect(hexes(leaves)).to.deep.equal(reference.leafHashes);
    });

    it('When the roots of sizes 0..8 are computed, Then they are the reference roots (size 0 is SHA-256 of the empty string)', () => {
      expect(reference.rootHashes).to.have.length(9);
      reference.rootHashes.forEach((want, size) => expect(toHex(rootHash(leaves.slice(0, size)))).to.equal(want));
      expect(toHex(EMPTY_ROOT)).to.equal(sha256(new Uint8Array(0)));
    });

    it('When each perfect subtree is hashed, Then it is the reference node hash at its level and index', () => {
      reference.nodeHashes.forEach((level, l) =>
        level.forEach((want, i) => expect(toHex(rootHash(leaves.slice(i * 2 ** l, (i + 1) * 2 ** l)))).to.equal(want)),
      );
    });

    for (const v of reference.inclusion) {
      it(`When the inclusion proof of leaf ${v.leafIndex} in size ${v.treeSize} is generated, Then it is the reference proof and verifies`, () => {
        const tree = leaves.slice(0, v.treeSize);
        const proof = inclusionProof(tree, v.leafIndex);
        expect(hexes(proof)).to.deep.equal(v.proof);
        const root = rootHash(tree);
        expect(() => verifyInclusion({ index: v.leafIndex, size: v.treeSize, leafHash: leaves[v.leafIndex]!, proof, root })).not.to.throw();
      });
    }

    for (const v of reference.consistency) {
      it(`When the consistency proof from size ${v.size1} to ${v.size2} is generated, Then it is the reference proof and verifies`, () => {
        const proof = consistencyProof(leaves.slice(0, v.size2), v.size1);
        expect(hexes(proof)).to.deep.equal(v.proof);
        const root1 = rootHash(leaves.slice(0, v.size1));
        const root2 = rootHash(leaves.slice(0, v.size2));
        expect(() => verifyConsistency({ size1: v.size1, size2: v.size2, root1, root2, proof })).not.to.throw();
      });
    }

    it('When the Rekor consistency vector (1 → 2) is verified, Then it passes, and fails with its roots swapped', () => {
      const r = reference.rekorConsistency;
      const claim = { size1: r.size1, size2: r.size2, root1: fromHex(r.root1), root2: fromHex(r.root2), proof: unhex(r.proof) };
      expect(() => verifyConsistency(claim)).not.to.throw();
      expectReason(() => verifyConsistency({ ...claim, root1: claim.root2, root2: claim.root1 }), 'root-mismatch');
    });
  });

  describe('hashing', () => {
    it('When a leaf is hashed, Then it is SHA-256(0x00 || data)', () => {
      const data = Buffer.from('traceledger');
      expect(toHex(leafHash(data))).to.equal(sha256(Uint8Array.of(0), data));
    });

    it('When leaves of any length are hashed in a row, Then each is SHA-256(0x00 || data), the data is left as it was and an earlier result is not overwritten', () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 9000 }), { minLength: 2, maxLength: 4 }), (inputs) => {
          const copies = inputs.map((d) => Uint8Array.from(d));
          const hashes = inputs.map((d) => leafHash(d));
          inputs.forEach((d, i) => {
            expect(toHex(hashes[i]!)).to.equal(sha256(Uint8Array.of(0), d));
            expect(equalBytes(d, copies[i]!)).to.equal(true);
          });
        }),
        { numRuns: 200 },
      );
      // Both sides of the 4 KiB scratch input, and a view into a larger buffer.
      for (const n of [4094, 4095, 4096, 4097]) {
        const d = new Uint8Array(n).map((_, i) => i * 7);
        expect(toHex(leafHash(d)), `${n} bytes`).to.equal(sha256(Uint8Array.of(0), d));
      }
      const big = new Uint8Array(100).map((_, i) => i);
      expect(toHex(leafHash(big.subarray(10, 20)))).to.equal(sha256(Uint8Array.of(0), big.subarray(10, 20)));
    });

    it('When two 32-byte nodes are hashed in a row, Then each is SHA-256(0x01 || left || right) and the first result is not overwritten', () => {
      const [a, b, c] = makeLeaves(3);
      const ab = nodeHash(a!, b!);
      const abHex = toHex(ab);
      const bc = nodeHash(b!, c!);
      expect(abHex).to.equal(sha256(Uint8Array.of(1), a!, b!));
      expect(toHex(ab)).to.equal(abHex);
      expect(toHex(bc)).to.equal(sha256(Uint8Array.of(1), b!, c!));
    });

    it('When nodes of other lengths are hashed, Then they are hashed as given', () => {
      const left = Uint8Array.of(1, 2, 3);
      const right = new Uint8Array(40).fill(9);
      expect(toHex(nodeHash(left, right))).to.equal(sha256(Uint8Array.of(1), left, right));
    });

    it('When the split point is asked for, Then it is the largest power of two strictly below n', () => {
      const cases: [number, number][] = [[2, 1], [3, 2], [4, 2], [5, 4], [8, 4], [9, 8], [2 ** 40 + 1, 2 ** 40]];
      for (const [n, k] of cases) expect(splitPoint(n), `n = ${n}`).to.equal(k);
    });

    it('When bytes round-trip through hex, Then they are unchanged, and equalBytes compares them', () => {
      const h = makeLeaves(1)[0]!;
      expect(equalBytes(fromHex(toHex(h)), h)).to.equal(true);
      expect(equalBytes(fromHex(`0x${toHex(h)}`), h)).to.equal(true);
      expect(equalBytes(flipBit(h, 255), h)).to.equal(false);
      expect(equalBytes(h.subarray(1), h)).to.equal(false);
      expect(toHex(h.subarray(30))).to.equal(toHex(h).slice(60));
    });
  });

  describe('errors', () => {
    const leaves = makeLeaves(5);
    const root = rootHash(leaves);
    const proof = inclusionProof(leaves, 2);
    const claim = { index: 2, size: 5, leafHash: leaves[2]!, proof, root };

    it('When a proof is asked for a leaf outside the tree, Then InvalidArgumentError', () => {
      for (const index of [-1, 5, 1.5, Number.NaN]) {
        expect(() => inclusionProof(leaves, index), `index ${index}`).to.throw(InvalidArgumentError);
      }
      expect(() => inclusionProof([], 0)).to.throw(InvalidArgumentError);
    });

    it('When a consistency proof is asked from a size outside [0, n], Then InvalidArgumentError', () => {
      for (const size1 of [-1, 6, 2.5]) {
        expect(() => consistencyProof(leaves, size1), `size1 ${size1}`).to.throw(InvalidArgumentError);
      }
    });

    it('When a consistency proof is asked from size 0 or n, Then it is empty', () => {
      expect(consistencyProof(leaves, 0)).to.deep.equal([]);
      expect(consistencyProof(leaves, 5)).to.deep.equal([]);
    });

    it('When hex is malformed, Then InvalidArgumentError', () => {
      for (const s of ['abc', 'zz', '0x1', 'g0']) expect(() => fromHex(s), s).to.throw(InvalidArgumentError);
    });

    it('When a verifier gets a negative or fractional size or index, Then InvalidArgumentError (a caller mistake)', () => {
      expect(() => verifyInclusion({ ...claim, index: -1 })).to.throw(InvalidArgumentError);
      expect(() => verifyInclusion({ ...claim, index: 0.5 })).to.throw(InvalidArgumentError);
      expect(() => verifyInclusion({ ...claim, size: -5 })).to.throw(InvalidArgumentError);
      expect(() => verifyConsistency({ size1: 1.5, size2: 5, root1: root, root2: root, proof: [] })).to.throw(InvalidArgumentError);
    });

    it('When the index is at or beyond the size (even 2^64 - 1 from JSON), Then index-out-of-range', () => {
      expectReason(() => verifyInclusion({ ...claim, index: 5 }), 'index-out-of-range');
      expectReason(() => verifyInclusion({ ...claim, index: Number('18446744073709551615') }), 'index-out-of-range');
      expectReason(() => verifyInclusion({ ...claim, index: 0, size: 0 }), 'index-out-of-range');
    });

    it('When the proof is truncated or extended, Then verification fails with wrong-proof-size', () => {
      expectReason(() => verifyInclusion({ ...claim, proof: proof.slice(1) }), 'wrong-proof-size');
      expectReason(() => verifyInclusion({ ...claim, proof: [...proof, root] }), 'wrong-proof-size');
    });

    it('When a proof element, the leaf hash or root1 is not 32 bytes, Then verification fails with bad-hash-length', () => {
      expectReason(() => verifyInclusion({ ...claim, proof: [proof[0]!.subarray(1), ...proof.slice(1)] }), 'bad-hash-length');
      expectReason(() => verifyInclusion({ ...claim, leafHash: new Uint8Array(33) }), 'bad-hash-length');
      const cproof = consistencyProof(leaves, 3);
      const root3 = rootHash(leaves.slice(0, 3));
      expectReason(() => verifyConsistency({ size1: 3, size2: 5, root1: root3.subarray(0, 31), root2: root, proof: cproof }), 'bad-hash-length');
      expectReason(
        () => verifyConsistency({ size1: 3, size2: 5, root1: root3, root2: root, proof: [new Uint8Array(31), ...cproof.slice(1)] }),
        'bad-hash-length',
      );
    });

    it('When the root is another tree’s, Then verification fails with root-mismatch naming both roots', () => {
      const other = rootHash(leaves.slice(0, 4));
      const err = proofErrorOf(() => verifyInclusion({ ...claim, root: other }));
      expect(err.reason).to.equal('root-mismatch');
      expect(err.message).to.contain(toHex(root)).and.to.contain(toHex(other));
      expectReason(() => verifyMatch(root, other), 'root-mismatch');
    });

    it('When a consistency proof starts from the empty tree, Then empty-tree', () => {
      expectReason(() => verifyConsistency({ size1: 0, size2: 5, root1: EMPTY_ROOT, root2: root, proof: [] }), 'empty-tree');
      expectReason(() => verifyConsistency({ size1: 0, size2: 0, root1: EMPTY_ROOT, root2: EMPTY_ROOT, proof: [] }), 'empty-tree');
    });

    it('When size2 is below size1, Then size-shrunk', () => {
      expectReason(() => verifyConsistency({ size1: 5, size2: 3, root1: root, root2: root, proof: [] }), 'size-shrunk');
    });

    it('When the sizes are equal, Then the proof must be empty and the roots equal', () => {
      expect(() => verifyConsistency({ size1: 5, size2: 5, root1: root, root2: root, proof: [] })).not.to.throw();
      expectReason(() => verifyConsistency({ size1: 5, size2: 5, root1: root, root2: root, proof: [root] }), 'wrong-proof-size');
      expectReason(() => verifyConsistency({ size1: 5, size2: 5, root1: root, root2: EMPTY_ROOT, proof: [] }), 'root-mismatch');
    });

    it('When a consistency proof between different sizes is empty or truncated, Then wrong-proof-size', () => {
      const root3 = rootHash(leaves.slice(0, 3));
      const cproof = consistencyProof(leaves, 3);
      expectReason(() => verifyConsistency({ size1: 3, size2: 5, root1: root3, root2: root, proof: [] }), 'wrong-proof-size');
      expectReason(() => verifyConsistency({ size1: 3, size2: 5, root1: root3, root2: root, proof: cproof.slice(0, -1) }), 'wrong-proof-size');
    });
  });

  describe('properties', () => {
    // Pure generators are O(n) per proof, so these trees stay small; the 4096-leaf properties are in tree.test.ts.
    const leafPool = makeLeaves(160, 1);
    const tree = fc.integer({ min: 1, max: 160 }).map((n) => leafPool.slice(0, n));

    it('When a random tree is built, Then every one of its leaves is provable against its root', () => {
      fc.assert(
        fc.property(tree, (leaves) => {
          const root = rootHash(leaves);
          leaves.forEach((leaf, index) => {
            const proof = inclusionProof(leaves, index);
            assert.ok(equalBytes(rootFromInclusionProof(index, leaves.length, leaf, proof), root), `leaf ${index} of ${leaves.length}`);
          });
        }),
        { numRuns: 15 },
      );
    });

    it('When any single bit of a proof element, the leaf hash or the root is flipped, Then verification fails with root-mismatch', () => {
      const claimArb = tree.chain((leaves) => fc.record({ leaves: fc.constant(leaves), index: fc.nat({ max: leaves.length - 1 }) }));
      fc.assert(
        fc.property(claimArb, ({ leaves, index }) => {
          const size = leaves.length;
          const claim = { index, size, leafHash: leaves[index]!, proof: inclusionProof(leaves, index), root: rootHash(leaves) };
          for (let bit = 0; bit < 8 * HASH_SIZE; bit++) {
            claim.proof.forEach((_, i) => {
              const proof = claim.proof.map((p, j) => (i === j ? flipBit(p, bit) : p));
              expectReason(() => verifyInclusion({ ...claim, proof }), 'root-mismatch');
            });
            expectReason(() => verifyInclusion({ ...claim, leafHash: flipBit(claim.leafHash, bit) }), 'root-mismatch');
            expectReason(() => verifyInclusion({ ...claim, root: flipBit(claim.root, bit) }), 'root-mismatch');
          }
        }),
        { numRuns: 15 },
      );
    });

    it('When any single bit of the index is flipped, Then verification fails', () => {
      const claimArb = tree.chain((leaves) => fc.record({ leaves: fc.constant(leaves), index: fc.nat({ max: leaves.length - 1 }) }));
      fc.assert(
        fc.property(claimArb, ({ leaves, index }) => {
          const size = leaves.length;
          const claim = { index, size, leafHash: leaves[index]!, proof: inclusionProof(leaves, index), root: rootHash(leaves) };
          for (let bit = 0; bit <= ceilLog2(size) + 1; bit++) {
            proofErrorOf(() => verifyInclusion({ ...claim, index: index ^ (1 << bit) }));
          }
        }),
        { numRuns: 40 },
      );
    });

    it('When any single bit of the size is flipped, Then verification fails unless both sizes give the leaf the same path shape', () => {
      // RFC 6962 verification binds the size only through the proof's shape: e.g. leaf 0's proof in size 5 also
      // "verifies" with size 7 because both paths are three left-child steps. The anchored checkpoint pins the size.
      // Which side the running hash is on at each step of the verifier's chain: the whole computation.
      const shape = (index: number, size: number): string => {
        const { inner, border } = decomposeInclusionProof(index, size);
        let sides = '';
        for (let j = 0; j < inner; j++) sides += Math.floor(index / 2 ** j) % 2 === 0 ? 'L' : 'R';
        return sides + 'R'.repeat(border);
      };
      const claimArb = tree.chain((leaves) => fc.record({ leaves: fc.constant(leaves), index: fc.nat({ max: leaves.length - 1 }) }));
      fc.assert(
        fc.property(claimArb, ({ leaves, index }) => {
          const size = leaves.length;
          const claim = { index, size, leafHash: leaves[index]!, proof: inclusionProof(leaves, index), root: rootHash(leaves) };
          for (let bit = 0; bit <= ceilLog2(size) + 1; bit++) {
            const flipped = size ^ (1 << bit);
            const sameShape = index < flipped && shape(index, flipped) === shape(index, size);
            const verify = (): void => verifyInclusion({ ...claim, size: flipped });
            if (sameShape) verify();
            else proofErrorOf(verify);
          }
        }),
        { numRuns: 40 },
      );
      expect(() => verifyInclusion({ ...inclusionClaimFor(makeLeaves(5), 0), size: 7 })).not.to.throw();
    });

    const growth = tree
      .filter((leaves) => leaves.length >= 2)
      .chain((leaves) => fc.record({ leaves: fc.constant(leaves), size1: fc.integer({ min: 1, max: leaves.length - 1 }), changed: fc.nat({ max: leaves.length - 1 }) }));

    it('When a tree grows from size1 to size2, Then its consistency proof verifies, and fails with the roots swapped', () => {
      fc.assert(
        fc.property(growth, ({ leaves, size1 }) => {
          const size2 = leaves.length;
          const root1 = rootHash(leaves.slice(0, size1));
          const root2 = rootHash(leaves);
          const proof = consistencyProof(leaves, size1);
          verifyConsistency({ size1, size2, root1, root2, proof });
          expectReason(() => verifyConsistency({ size1, size2, root1: root2, root2: root1, proof }), 'root-mismatch');
        }),
        { numRuns: 60 },
      );
    });

    it('When any single bit of a consistency proof element or either root is flipped, Then verification fails with root-mismatch', () => {
      fc.assert(
        fc.property(growth, fc.nat({ max: 8 * HASH_SIZE - 1 }), ({ leaves, size1 }, bit) => {
          const size2 = leaves.length;
          const claim = { size1, size2, root1: rootHash(leaves.slice(0, size1)), root2: rootHash(leaves), proof: consistencyProof(leaves, size1) };
          claim.proof.forEach((_, i) => {
            const proof = claim.proof.map((p, j) => (i === j ? flipBit(p, bit) : p));
            expectReason(() => verifyConsistency({ ...claim, proof }), 'root-mismatch');
          });
          expectReason(() => verifyConsistency({ ...claim, root1: flipBit(claim.root1, bit) }), 'root-mismatch');
          expectReason(() => verifyConsistency({ ...claim, root2: flipBit(claim.root2, bit) }), 'root-mismatch');
        }),
        { numRuns: 100 },
      );
    });

    it('When one leaf is changed, Then the changed tree is not consistent with the original', () => {
      fc.assert(
        fc.property(growth, ({ leaves, size1, changed }) => {
          const size2 = leaves.length;
          const forged = leaves.slice();
          forged[changed] = leafHash(Buffer.from(`forged ${changed}`));
          const root1 = rootHash(leaves.slice(0, size1));
          const forgedRoot2 = rootHash(forged);
          // The original proof cannot lead to the changed tree's root.
          proofErrorOf(() => verifyConsistency({ size1, size2, root1, root2: forgedRoot2, proof: consistencyProof(leaves, size1) }));
          if (changed < size1) {
            // Rewriting history: the changed tree's own proof cannot lead back to the original root1.
            proofErrorOf(() => verifyConsistency({ size1, size2, root1, root2: forgedRoot2, proof: consistencyProof(forged, size1) }));
          }
        }),
        { numRuns: 60 },
      );
    });
  });
});

function inclusionClaimFor(leaves: Hash[], index: number): { index: number; size: number; leafHash: Hash; proof: Hash[]; root: Hash } {
  return { index, size: leaves.length, leafHash: leaves[index]!, proof: inclusionProof(leaves, index), root: rootHash(leaves) };
}
