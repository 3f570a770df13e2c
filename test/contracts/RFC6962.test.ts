/** RFC6962.sol against the transparency-dev/merkle probes, the CT reference tree, and random trees. */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import fc from 'fast-check';
import { ethers } from 'hardhat';

import type { RFC6962Harness } from '../../typechain-types';
import { ReferenceTree, fromHex, leafHash, nodeHash, toHex } from '../support/rfc6962-reference';
import {
  consistencyProbeFitsBytes32,
  hex32,
  inclusionProbeFitsBytes32,
  loadConsistencyProbes,
  loadInclusionProbes,
  loadReferenceTree,
} from '../support/rfc6962-vectors';

interface Fixture {
  readonly rfc6962: RFC6962Harness;
}

async function deployHarness(): Promise<Fixture> {
  const rfc6962 = await ethers.deployContract('RFC6962Harness');
  return { rfc6962 };
}

const ZERO = ethers.ZeroHash;

/** A copy of `proof` with bit `bit` (0 = most significant of the first byte) of node `node` flipped. */
function flipBit(proof: readonly string[], node: number, bit: number): string[] {
  return proof.map((hash, i) => {
    if (i !== node) return hash;
    const bytes = fromHex(hash);
    const byteIndex = Math.floor(bit / 8);
    bytes[byteIndex] = (bytes[byteIndex] ?? 0) ^ (0x80 >> bit % 8);
    return toHex(bytes);
  });
}

describe('RFC6962', function () {
  describe('leafHash and nodeHash', function () {
    it('When hashing a leaf, Then it is SHA-256(0x00 || data)', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);
      const data = Buffer.from('traceledger');

      expect(await rfc6962.leafHash(data)).to.equal(toHex(leafHash(data)));
      expect(await rfc6962.leafHash('0x')).to.equal(
        '0x6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      );
    });

    it('When hashing two children, Then it is SHA-256(0x01 || left || right), in position order', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);
      const left = leafHash(Buffer.from('left'));
      const right = leafHash(Buffer.from('right'));

      expect(await rfc6962.nodeHash(left, right)).to.equal(toHex(nodeHash(left, right)));
      expect(await rfc6962.nodeHash(right, left)).to.not.equal(toHex(nodeHash(left, right)));
    });
  });

  describe('inclusion probes (transparency-dev/merkle testdata/inclusion)', function () {
    const probes = loadInclusionProbes();
    const runnable = probes.filter(inclusionProbeFitsBytes32);
    let ran = 0;

    it('When a probe is left out, Then it is only because one of its hashes is not 32 bytes', function () {
      expect(probes).to.have.lengthOf(98);
      expect(runnable.length).to.be.greaterThan(0);
      expect(runnable.filter((probe) => !probe.wantErr)).to.have.lengthOf(6);
      for (const probe of probes.filter((p) => !inclusionProbeFitsBytes32(p))) {
        expect(
          [probe.root, probe.leafHash, ...probe.proof].some((hash) => hash.length !== 64),
          probe.file,
        ).to.equal(true);
      }
    });

    for (const probe of runnable) {
      const verdict = probe.wantErr ? 'is rejected' : 'verifies';
      it(`When probing ${probe.file} (${probe.desc}), Then the proof ${verdict}`, async function () {
        const { rfc6962 } = await loadFixture(deployHarness);

        const verified = await rfc6962.verifyInclusion(
          probe.leafIdx,
          probe.treeSize,
          hex32(probe.leafHash),
          probe.proof.map(hex32),
          hex32(probe.root),
        );

        expect(verified).to.equal(!probe.wantErr);
        ran++;
      });
    }

    it('When the probes have run, Then every probe that fits bytes32 was run', function () {
      expect(ran).to.be.greaterThan(0);
      expect(ran).to.equal(runnable.length);
    });
  });

  describe('consistency probes (transparency-dev/merkle testdata/consistency)', function () {
    const probes = loadConsistencyProbes();
    const runnable = probes.filter(consistencyProbeFitsBytes32);
    let ran = 0;

    it('When a probe is left out, Then it is only because one of its hashes is not 32 bytes', function () {
      expect(probes).to.have.lengthOf(98);
      expect(runnable.length).to.be.greaterThan(0);
      expect(runnable.filter((probe) => !probe.wantErr)).to.have.lengthOf(5);
      for (const probe of probes.filter((p) => !consistencyProbeFitsBytes32(p))) {
        expect(
          [probe.root1, probe.root2, ...probe.proof].some((hash) => hash.length !== 64),
          probe.file,
        ).to.equal(true);
      }
    });

    for (const probe of runnable) {
      const verdict = probe.wantErr ? 'is rejected' : 'verifies';
      it(`When probing ${probe.file} (${probe.desc}), Then the proof ${verdict}`, async function () {
        const { rfc6962 } = await loadFixture(deployHarness);

        const verified = await rfc6962.verifyConsistency(
          probe.size1,
          probe.size2,
          hex32(probe.root1),
          hex32(probe.root2),
          probe.proof.map(hex32),
        );

        expect(verified).to.equal(!probe.wantErr);
        ran++;
      });
    }

    it('When the probes have run, Then every probe that fits bytes32 was run', function () {
      expect(ran).to.be.greaterThan(0);
      expect(ran).to.equal(runnable.length);
    });
  });

  describe('the 8-leaf CT reference tree', function () {
    const vectors = loadReferenceTree();
    const tree = new ReferenceTree(vectors.leafInputs.map((input) => leafHash(fromHex(input))));

    it('When the test helper rebuilds the reference tree, Then its leaves, roots and proofs match the vectors', function () {
      expect(vectors.leafInputs.map((_, i) => toHex(tree.leaf(i)))).to.deep.equal(vectors.leafHashes.map(hex32));
      expect(vectors.rootHashes.map((_, size) => toHex(tree.root(size)))).to.deep.equal(vectors.rootHashes.map(hex32));
      for (const { leafIndex, treeSize, proof } of vectors.inclusion) {
        expect(tree.inclusionProof(leafIndex, treeSize).map(toHex)).to.deep.equal(proof.map(hex32));
      }
      for (const { size1, size2, proof } of vectors.consistency) {
        expect(tree.consistencyProof(size1, size2).map(toHex)).to.deep.equal(proof.map(hex32));
      }
    });

    for (const { leafIndex, treeSize, proof } of vectors.inclusion) {
      it(`When proving leaf ${leafIndex} in the tree of ${treeSize}, Then the proof verifies and rebuilds the root`, async function () {
        const { rfc6962 } = await loadFixture(deployHarness);
        const leaf = hex32(vectors.leafHashes[leafIndex] ?? '');
        const root = hex32(vectors.rootHashes[treeSize] ?? '');

        expect(await rfc6962.verifyInclusion(leafIndex, treeSize, leaf, proof.map(hex32), root)).to.equal(true);
        expect(await rfc6962.rootFromInclusionProof(leafIndex, treeSize, leaf, proof.map(hex32))).to.deep.equal([
          true,
          root,
        ]);
      });
    }

    for (const { size1, size2, proof } of vectors.consistency) {
      it(`When proving ${size1} consistent with ${size2}, Then the proof verifies`, async function () {
        const { rfc6962 } = await loadFixture(deployHarness);
        const root1 = hex32(vectors.rootHashes[size1] ?? '');
        const root2 = hex32(vectors.rootHashes[size2] ?? '');

        expect(await rfc6962.verifyConsistency(size1, size2, root1, root2, proof.map(hex32))).to.equal(true);
        if (size1 < size2) {
          expect(await rfc6962.rootsFromConsistencyProof(size1, size2, root1, proof.map(hex32))).to.deep.equal([
            true,
            root1,
            root2,
          ]);
        }
      });
    }

    it('When proving the Rekor 1 → 2 vector, Then the proof verifies, and not with the roots swapped', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);
      const { size1, size2, root1, root2, proof } = vectors.rekorConsistency;

      expect(await rfc6962.verifyConsistency(size1, size2, hex32(root1), hex32(root2), proof.map(hex32))).to.equal(
        true,
      );
      expect(await rfc6962.verifyConsistency(size1, size2, hex32(root2), hex32(root1), proof.map(hex32))).to.equal(
        false,
      );
    });
  });

  describe('edge cases', function () {
    const tree = ReferenceTree.ofCounter(8);

    it('When size1 is 0, Then no proof is consistent, not even between two empty trees', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);
      const empty = toHex(tree.root(0));

      expect(await rfc6962.verifyConsistency(0, 0, empty, empty, [])).to.equal(false);
      expect(await rfc6962.verifyConsistency(0, 8, empty, toHex(tree.root()), [])).to.equal(false);
    });

    it('When size1 > size2, Then the proof is rejected', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);

      expect(await rfc6962.verifyConsistency(8, 4, toHex(tree.root(8)), toHex(tree.root(4)), [])).to.equal(false);
      expect(
        await rfc6962.verifyConsistency(8, 4, toHex(tree.root(8)), toHex(tree.root(4)), tree.consistencyProof(4, 8)),
      ).to.equal(false);
    });

    it('When the sizes are equal, Then only an empty proof between equal roots verifies', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);
      const root = toHex(tree.root(5));

      expect(await rfc6962.verifyConsistency(5, 5, root, root, [])).to.equal(true);
      expect(await rfc6962.verifyConsistency(5, 5, root, toHex(tree.root(6)), [])).to.equal(false);
      expect(await rfc6962.verifyConsistency(5, 5, root, root, [root])).to.equal(false);
    });

    it('When the index is not below the size, Then no inclusion proof is well-formed', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);
      const leaf = toHex(tree.leaf(0));

      expect(await rfc6962.rootFromInclusionProof(1, 1, leaf, [])).to.deep.equal([false, ZERO]);
      expect(await rfc6962.rootFromInclusionProof(0, 0, leaf, [])).to.deep.equal([false, ZERO]);
      expect(await rfc6962.rootFromInclusionProof(ethers.MaxUint256, ethers.MaxUint256, leaf, [])).to.deep.equal([
        false,
        ZERO,
      ]);
    });

    it('When a proof has the wrong length, Then the rebuilt roots are reported as not well-formed', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);
      const proof = tree.consistencyProof(3, 8).map(toHex);
      const root3 = toHex(tree.root(3));

      expect(await rfc6962.rootsFromConsistencyProof(3, 8, root3, proof.slice(0, -1))).to.deep.equal([
        false,
        ZERO,
        ZERO,
      ]);
      expect(await rfc6962.rootsFromConsistencyProof(3, 8, root3, [...proof, ZERO])).to.deep.equal([false, ZERO, ZERO]);
      expect(await rfc6962.rootsFromConsistencyProof(3, 8, root3, [])).to.deep.equal([false, ZERO, ZERO]);
    });

    it('When the tree has 2^255 + 1 leaves, Then proofs for its last leaf verify without overflow', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);
      const half = 2n ** 255n; // MTH of the first 2^255 leaves is some hash X; the last leaf hangs beside it.
      const x = toHex(tree.root(8));
      const leaf = toHex(tree.leaf(0));
      const root = toHex(nodeHash(fromHex(x), fromHex(leaf)));

      expect(await rfc6962.verifyInclusion(half, half + 1n, leaf, [x], root)).to.equal(true);
      expect(await rfc6962.verifyInclusion(half - 1n, half + 1n, leaf, [x], root)).to.equal(false);
      expect(await rfc6962.verifyConsistency(half, half + 1n, x, root, [leaf])).to.equal(true);
      expect(await rfc6962.verifyConsistency(half, half + 1n, x, root, [])).to.equal(false);
    });
  });

  describe('properties over random trees', function () {
    const tree = ReferenceTree.ofCounter(70);

    it('When any leaf of any tree is proved, Then the proof verifies, and not at the neighbouring index', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);

      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: tree.size }).chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1))),
          async ([size, index]) => {
            const proof = tree.inclusionProof(index, size).map(toHex);
            const root = toHex(tree.root(size));
            const leaf = toHex(tree.leaf(index));

            expect(await rfc6962.verifyInclusion(index, size, leaf, proof, root)).to.equal(true);
            if (size > 1) {
              const other = (index + 1) % size;
              expect(await rfc6962.verifyInclusion(other, size, leaf, proof, root)).to.equal(false);
            }
          },
        ),
        { numRuns: 60 },
      );
    });

    it('When any two sizes of a growing tree are compared, Then the consistency proof verifies', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);

      await fc.assert(
        fc.asyncProperty(
          fc
            .integer({ min: 1, max: tree.size })
            .chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 }), fc.constant(size2))),
          async ([size1, size2]) => {
            const proof = tree.consistencyProof(size1, size2).map(toHex);
            const root1 = toHex(tree.root(size1));
            const root2 = toHex(tree.root(size2));

            expect(await rfc6962.verifyConsistency(size1, size2, root1, root2, proof)).to.equal(true);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('When any single bit of an inclusion proof is flipped, Then the proof is rejected', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);

      await fc.assert(
        fc.asyncProperty(
          fc
            .integer({ min: 2, max: tree.size })
            .chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1), fc.nat(), fc.nat(255))),
          async ([size, index, nodeSeed, bit]) => {
            const proof = tree.inclusionProof(index, size).map(toHex);
            const tampered = flipBit(proof, nodeSeed % proof.length, bit);

            expect(
              await rfc6962.verifyInclusion(index, size, toHex(tree.leaf(index)), tampered, toHex(tree.root(size))),
            ).to.equal(false);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('When any single bit of a consistency proof is flipped, Then the proof is rejected', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);

      await fc.assert(
        fc.asyncProperty(
          fc
            .integer({ min: 2, max: tree.size })
            .chain((size2) =>
              fc.tuple(fc.integer({ min: 1, max: size2 - 1 }), fc.constant(size2), fc.nat(), fc.nat(255)),
            ),
          async ([size1, size2, nodeSeed, bit]) => {
            const proof = tree.consistencyProof(size1, size2).map(toHex);
            const tampered = flipBit(proof, nodeSeed % proof.length, bit);

            expect(
              await rfc6962.verifyConsistency(size1, size2, toHex(tree.root(size1)), toHex(tree.root(size2)), tampered),
            ).to.equal(false);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('When a consistency proof is truncated or extended, Then it is rejected', async function () {
      const { rfc6962 } = await loadFixture(deployHarness);

      await fc.assert(
        fc.asyncProperty(
          fc
            .integer({ min: 2, max: tree.size })
            .chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 - 1 }), fc.constant(size2))),
          async ([size1, size2]) => {
            const proof = tree.consistencyProof(size1, size2).map(toHex);
            const root1 = toHex(tree.root(size1));
            const root2 = toHex(tree.root(size2));

            expect(await rfc6962.verifyConsistency(size1, size2, root1, root2, proof.slice(0, -1))).to.equal(false);
            expect(await rfc6962.verifyConsistency(size1, size2, root1, root2, [...proof, root2])).to.equal(false);
            expect(await rfc6962.verifyConsistency(size1, size2, root1, root2, [root1, ...proof])).to.equal(false);
          },
        ),
        { numRuns: 40 },
      );
    });
  });
});
