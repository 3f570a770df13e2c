/** Tests of server/ledger/appender.ts: the compact-range appender against the reference tree and rootHash. */
import assert from 'node:assert/strict';
import { expect } from 'chai';
import fc from 'fast-check';
import { Appender } from '../../../server/ledger/appender';
import { InvalidArgumentError } from '../../../server/ledger/errors';
import { EMPTY_ROOT, fromHex, leafHash, rootHash, toHex } from '../../../server/ledger/rfc6962';
import type { Hash } from '../../../server/ledger/rfc6962';
import { flipBit, hexes, loadReferenceTree, makeLeaves } from './helpers';

interface Reported {
  level: number;
  index: number;
  hash: string;
}

function appendReporting(appender: Appender, leaves: readonly Hash[]): Reported[] {
  const reported: Reported[] = [];
  appender.appendAll(leaves, (level, index, hash) => reported.push({ level, index, hash: toHex(hash) }));
  return reported;
}

function popCount(x: number): number {
  let c = 0;
  for (; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

const reference = loadReferenceTree();
const pool = makeLeaves(4096, 2);

describe('ledger/appender', () => {
  it('When nothing is appended, Then the size is 0, the root is SHA-256("") and the compact range is empty', () => {
    const appender = new Appender();
    expect(appender.size).to.equal(0);
    expect(toHex(appender.root())).to.equal(toHex(EMPTY_ROOT));
    expect(appender.state()).to.deep.equal({ size: 0, hashes: [] });
  });

  it('When the reference leaves are appended one by one, Then the root after each is the reference root of that size', () => {
    const appender = new Appender();
    const roots = [toHex(appender.root())];
    for (const input of reference.leafInputs) {
      appender.append(leafHash(fromHex(input)));
      roots.push(toHex(appender.root()));
    }
    expect(roots).to.deep.equal(reference.rootHashes);
  });

  it('When the reference leaves are appended, Then every perfect node is reported once, bottom-up, with its reference hash', () => {
    const reported = appendReporting(new Appender(), reference.leafHashes.map(fromHex));
    const expected: Reported[] = [];
    // Leaf i completes the leaf, then one parent per trailing one bit of i.
    for (let i = 0; i < 8; i++) {
      for (let level = 0, index = i; ; level++, index = (index - 1) / 2) {
        expected.push({ level, index, hash: reference.nodeHashes[level]![index]! });
        if (index % 2 === 0) break;
      }
    }
    expect(reported).to.deep.equal(expected);
  });

  it('When sizes 0..300 are reached, Then the root at each equals rootHash of the leaves so far', () => {
    const appender = new Appender();
    for (let size = 0; size <= 300; size++) {
      // node:assert in loops: chai under hardhat's matchers costs ~0.25 ms per assertion.
      assert.equal(toHex(appender.root()), toHex(rootHash(pool.slice(0, size))), `size ${size}`);
      appender.append(pool[size]!);
    }
  });

  it('When up to 4096 random leaves are appended, Then the root equals rootHash, the range holds popcount(n) hashes and 2n - popcount(n) nodes were completed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4096 }), (n) => {
        const appender = new Appender();
        const reported = appendReporting(appender, pool.slice(0, n));
        assert.equal(appender.size, n);
        assert.equal(toHex(appender.root()), toHex(rootHash(pool.slice(0, n))));
        assert.equal(appender.state().hashes.length, popCount(n));
        // One nodeHash per reported parent: amortised one hash per leaf.
        assert.equal(reported.length, 2 * n - popCount(n));
        assert.equal(reported.filter((r) => r.level > 0).length, n - popCount(n));
      }),
      { numRuns: 40 },
    );
  });

  it('When the state is saved and restored at any size, Then appending continues to the same roots', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2048 }), fc.integer({ min: 0, max: 300 }), (cut, more) => {
        const whole = new Appender();
        whole.appendAll(pool.slice(0, cut + more));
        const first = new Appender();
        first.appendAll(pool.slice(0, cut));
        const saved = JSON.parse(JSON.stringify({ size: first.size, hashes: hexes(first.state().hashes) })) as { size: number; hashes: string[] };
        const restored = Appender.fromState({ size: saved.size, hashes: saved.hashes.map(fromHex) });
        assert.equal(toHex(restored.root()), toHex(first.root()));
        restored.appendAll(pool.slice(cut, cut + more));
        assert.equal(restored.size, whole.size);
        assert.equal(toHex(restored.root()), toHex(whole.root()));
      }),
      { numRuns: 40 },
    );
  });

  it('When the state is taken, Then its hashes are the roots of the perfect subtrees covering the leaves, largest first', () => {
    const appender = new Appender();
    appender.appendAll(pool.slice(0, 13)); // 13 = 8 + 4 + 1
    const { size, hashes } = appender.state();
    expect(size).to.equal(13);
    expect(hexes(hashes)).to.deep.equal(hexes([rootHash(pool.slice(0, 8)), rootHash(pool.slice(8, 12)), pool[12]!]));
  });

  it('When a caller mutates the appended leaf, a returned state or a clone, Then the appender is unchanged', () => {
    const appender = new Appender();
    appender.appendAll(pool.slice(0, 6));
    const leaf = new Uint8Array(pool[6]!);
    appender.append(leaf);
    const root = toHex(appender.root());
    leaf.fill(0);
    const state = appender.state();
    (state.hashes[0] as Uint8Array).fill(0);
    const clone = appender.clone();
    clone.append(pool[7]!);
    expect(toHex(appender.root())).to.equal(root);
    expect(appender.size).to.equal(7);
    expect(clone.size).to.equal(8);
  });

  it('When the node callback throws, Then the appender is unchanged and the leaf can be appended again', () => {
    const appender = new Appender();
    appender.appendAll(pool.slice(0, 7));
    const before = hexes(appender.state().hashes);
    expect(() =>
      appender.append(pool[7]!, (level) => {
        if (level === 2) throw new Error('storage failed');
      }),
    ).to.throw('storage failed');
    expect(appender.size).to.equal(7);
    expect(hexes(appender.state().hashes)).to.deep.equal(before);
    appender.append(pool[7]!);
    expect(toHex(appender.root())).to.equal(toHex(rootHash(pool.slice(0, 8))));
  });

  it('When a leaf hash is not 32 bytes, Then append throws InvalidArgumentError and the size is unchanged', () => {
    const appender = new Appender();
    expect(() => appender.append(new Uint8Array(31))).to.throw(InvalidArgumentError);
    expect(() => appender.append(new Uint8Array(33))).to.throw(InvalidArgumentError);
    expect(appender.size).to.equal(0);
  });

  it('When a saved state is malformed, Then fromState throws InvalidArgumentError', () => {
    const h = pool[0]!;
    const bad = [
      { size: -1, hashes: [] },
      { size: 1.5, hashes: [h] },
      { size: 2 ** 53, hashes: [h] },
      { size: 3, hashes: [h] }, // popcount(3) = 2
      { size: 1, hashes: [h, h] },
      { size: 0, hashes: [h] },
      { size: 1, hashes: [h.subarray(1)] },
    ];
    for (const state of bad) expect(() => Appender.fromState(state), `size ${state.size}`).to.throw(InvalidArgumentError);
  });

  it('When a restored state has a flipped bit, Then its root differs', () => {
    const appender = new Appender();
    appender.appendAll(pool.slice(0, 11));
    const { size, hashes } = appender.state();
    const tampered = Appender.fromState({ size, hashes: hashes.map((x, i) => (i === 1 ? flipBit(x, 7) : x)) });
    expect(toHex(tampered.root())).not.to.equal(toHex(appender.root()));
  });
});
