/** Cross-check: merkletreejs 0.6 set up in the RFC 6962 shape gives our roots and inclusion paths (the record field tree relies on it). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { MerkleTree } from 'merkletreejs';
import { EMPTY_ROOT, leafHash, toHex, verifyInclusion } from '../../../server/ledger/rfc6962';
import { LogWriter, MemoryNodeStore } from '../../../server/ledger/tree';
import type { LogTree } from '../../../server/ledger/tree';
import { hexes } from './helpers';

const MAX_SIZE = 300;

/**
 * RFC 6962 in merkletreejs terms: leaves are given already hashed with the 0x00 prefix (our leafHash), pairs are
 * hashed as SHA-256(0x01 || left || right) through the concatenator, nothing is sorted, and an unpaired last node
 * is carried up unchanged (merkletreejs's default when neither duplicateOdd nor isBitcoinTree is set; see
 * createHashes in merkletreejs/dist/MerkleTree.js), which is the same tree as RFC 6962's split at the largest
 * power of two below n.
 */
function rfc6962MerkleTree(leaves: readonly Uint8Array[]): MerkleTree {
  return new MerkleTree(
    leaves.map((l) => Buffer.from(l)),
    (data: Buffer) => createHash('sha256').update(data).digest(),
    {
      hashLeaves: false,
      sortPairs: false,
      sortLeaves: false,
      sort: false,
      duplicateOdd: false,
      isBitcoinTree: false,
      concatenator: (bufs: Buffer[]) => Buffer.concat([Buffer.from([1]), ...bufs]),
    },
  );
}

describe('ledger/merkletreejs cross-check', () => {
  // Leaf data like a record field tree's: distinct byte strings, hashed with our leafHash.
  const leaves = Array.from({ length: MAX_SIZE }, (_, i) => leafHash(Buffer.from(JSON.stringify(['salt', `field${i}`, i]))));
  let tree: LogTree;

  before(async () => {
    const writer = new LogWriter(new MemoryNodeStore());
    await writer.appendLeaves(leaves);
    tree = writer.tree();
  });

  it('When the tree is empty, Then merkletreejs gives an empty buffer where RFC 6962 (and we) give SHA-256("")', () => {
    // merkletreejs's getRoot() returns Buffer.from([]) for an empty tree; RFC 6962 defines MTH({}) = SHA-256("").
    // The two differ by design, so size 0 is the one root not compared between them.
    expect(rfc6962MerkleTree([]).getRoot()).to.have.length(0);
    expect(toHex(EMPTY_ROOT)).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it(`When trees of every size 1..${MAX_SIZE} are built, Then merkletreejs gives our root and, for every index, our inclusion path`, async () => {
    let checked = 0;
    for (let size = 1; size <= MAX_SIZE; size++) {
      const theirs = rfc6962MerkleTree(leaves.slice(0, size));
      const root = await tree.rootAt(size);
      // node:assert in this 45,150-iteration loop: chai under hardhat's matchers costs ~0.25 ms per assertion.
      assert.equal(theirs.getHexRoot(), `0x${toHex(root)}`, `root of size ${size}`);
      for (let index = 0; index < size; index++) {
        const path = theirs.getProof(Buffer.from(leaves[index]!), index);
        const ours = await tree.inclusionProof(index, size);
        assert.deepEqual(path.map((p) => toHex(p.data)), hexes(ours), `path of leaf ${index} in size ${size}`);
        // Their positions are the sides our verifier derives from index and size.
        verifyInclusion({ index, size, leafHash: leaves[index]!, proof: path.map((p) => new Uint8Array(p.data)), root });
        checked++;
      }
    }
    expect(checked).to.equal((MAX_SIZE * (MAX_SIZE + 1)) / 2);
  });

  it('When merkletreejs verifies one of our proofs, Then it accepts it', async () => {
    const size = 213;
    const theirs = rfc6962MerkleTree(leaves.slice(0, size));
    const index = 150;
    const proof = theirs.getProof(Buffer.from(leaves[index]!), index);
    expect(theirs.verify(proof, Buffer.from(leaves[index]!), theirs.getRoot())).to.equal(true);
    expect(hexes(await tree.inclusionProof(index, size))).to.deep.equal(proof.map((p) => toHex(p.data)));
  });
});
