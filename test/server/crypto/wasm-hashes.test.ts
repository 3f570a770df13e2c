/*
 * The WebAssembly hashes give node:crypto's SHA-256 and @noble's keccak-256 at every length (block and rate
 * boundaries included), the ledger's RFC 6962 root for whole field trees, and refuse what they cannot take.
 */
import { hash, randomBytes } from 'node:crypto';
import { keccak_256 as nobleKeccak } from '@noble/hashes/sha3';
import { expect } from 'chai';
import fc from 'fast-check';
import { nativePrimitives, wasmHashesAvailable } from '../../../server/crypto/native';
import { loadWasmHashes } from '../../../server/crypto/wasm-hashes';
import { rootHash } from '../../../server/ledger/rfc6962';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha = (data: Uint8Array): string => hash('sha256', data, 'hex');
const keccak = (data: Uint8Array): string => hex(nobleKeccak(data));
/** The root leaf by leaf: SHA-256 of each text's UTF-8 (Buffer.from), then the ledger's tree. */
const referenceRoot = (texts: readonly string[]): string => hex(rootHash(texts.map((t) => new Uint8Array(hash('sha256', Buffer.from(t, 'utf8'), 'buffer')))));

describe('server/crypto: WebAssembly hashes', () => {
  const wasm = loadWasmHashes()!;

  it('When the module is loaded in Node, Then it instantiates and the native primitives use it', () => {
    expect(wasm).to.not.equal(undefined);
    expect(wasmHashesAvailable).to.equal(true);
    expect(nativePrimitives.name).to.match(/wasm/);
    expect(nativePrimitives.rootOfLeafTexts).to.be.a('function');
  });

  it('When every length from 0 to 700 bytes is hashed (random, all-0xff and all-zero data), Then SHA-256 equals node:crypto and keccak-256 equals @noble', () => {
    for (let len = 0; len <= 700; len++) {
      for (const data of [randomBytes(len), new Uint8Array(len).fill(0xff), new Uint8Array(len)]) {
        expect(hex(wasm.sha256(data)), `sha256, length ${len}`).to.equal(sha(data));
        expect(hex(wasm.keccak256(data)), `keccak256, length ${len}`).to.equal(keccak(data));
      }
    }
  });

  it('When random data of random length (SHA-256 blocks and keccak rate boundaries weighted) is hashed, Then the bytes equal the references', () => {
    const boundary = fc.constantFrom(55, 56, 63, 64, 119, 120, 135, 136, 137, 271, 272, 273, 4095, 4096, 4097, 65_536);
    const length = fc.oneof(boundary, fc.integer({ min: 0, max: 3000 }));
    fc.assert(
      fc.property(
        length.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        (data) => {
          expect(hex(wasm.sha256(data))).to.equal(sha(data));
          expect(hex(wasm.keccak256(data))).to.equal(keccak(data));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('When the input is the largest the module takes, Then it is hashed; one byte more is refused, and the native primitives hash it outside the module', () => {
    const max = randomBytes(wasm.maxInput);
    expect(hex(wasm.sha256(max))).to.equal(sha(max));
    expect(hex(wasm.keccak256(max))).to.equal(keccak(max));
    const over = randomBytes(wasm.maxInput + 1);
    expect(() => wasm.keccak256(over)).to.throw(RangeError, /more than/);
    expect(() => wasm.sha256(over)).to.throw(RangeError, /more than/);
    expect(hex(nativePrimitives.keccak256(over))).to.equal(keccak(over));
    expect(hex(nativePrimitives.sha256(over))).to.equal(sha(over));
  });

  it('When results are kept across calls, Then each is fresh bytes, not a view of the module memory', () => {
    const a = wasm.keccak256(new Uint8Array([1]));
    const before = hex(a);
    wasm.keccak256(new Uint8Array([2]));
    wasm.sha256(new Uint8Array([3]));
    expect(hex(a)).to.equal(before);
    const view = randomBytes(300).subarray(7, 107);
    expect(hex(wasm.sha256(view))).to.equal(sha(view));
  });

  it('When trees of 1 to 70 leaves of random text are rooted (non-ASCII, empty, lone surrogates), Then the root equals the ledger tree over per-leaf hashes', () => {
    const text = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('', '\u0000', '\ud800', 'a\udc00b', '安康富硒茶'));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 70 }), (texts) => {
        const prefixed = texts.map((t) => `\u0000${t}`);
        expect(hex(wasm.rootOfLeafTexts(prefixed)!)).to.equal(referenceRoot(prefixed));
      }),
      { numRuns: 300 },
    );
  });

  // fieldRoot hashes four messages at once (one per SIMD lane): leaves grouped by block count, lanes that end
  // before the others in their group, groups of fewer than four, and each level's pairs four at a time.
  describe('four hashes at once', () => {
    /** A leaf of exactly `len` UTF-8 bytes (the 0x00 prefix included), its bytes varying with `seed`. */
    const leafOf = (len: number, seed: number): string =>
      len === 0 ? '' : '\u0000' + Array.from({ length: len - 1 }, (_, k) => String.fromCharCode(33 + ((seed * 31 + k * 7) % 90))).join('');
    const boundaries = [0, 1, 55, 56, 63, 64, 119, 120, 300];

    it('When the leaves of one tree have every block count from 1 to 6 mixed (lengths 0, 55, 56, 63, 64, 119, 120, 300 bytes), Then the root equals the ledger tree', () => {
      for (let shift = 0; shift < boundaries.length; shift++) {
        const lengths = boundaries.map((_, k) => boundaries[(k + shift) % boundaries.length]!);
        const texts = lengths.map((len, k) => leafOf(len, k + shift));
        expect(texts.map((t) => Buffer.byteLength(t))).to.deep.equal(lengths);
        expect(hex(wasm.rootOfLeafTexts(texts)!), `lengths ${lengths.join(',')}`).to.equal(referenceRoot(texts));
      }
    });

    it('When a tree has 1 to 9 leaves (groups of four with 1, 2 or 3 left over, at the leaves and at every level), Then the root equals the ledger tree', () => {
      for (let n = 1; n <= 9; n++) {
        for (let round = 0; round < 20; round++) {
          const texts = Array.from({ length: n }, (_, k) => leafOf(boundaries[(k * 5 + round) % boundaries.length]!, round * 10 + k));
          expect(hex(wasm.rootOfLeafTexts(texts)!), `${n} leaves, round ${round}`).to.equal(referenceRoot(texts));
        }
      }
    });

    it('When one leaf of several KB is among small ones (in the same group of four), Then the root equals the ledger tree', () => {
      for (const big of [4095, 4096, 5000, 8191]) {
        for (let n = 2; n <= 9; n++) {
          for (let at = 0; at < n; at++) {
            const texts = Array.from({ length: n }, (_, k) => leafOf(k === at ? big : 40 + 11 * k, big + k));
            expect(hex(wasm.rootOfLeafTexts(texts)!), `${big} bytes at ${at} of ${n}`).to.equal(referenceRoot(texts));
          }
        }
      }
    });

    it('When random trees mix leaf lengths across block boundaries (1 to 40 leaves), Then the root equals the ledger tree', () => {
      const length = fc.oneof(fc.constantFrom(...boundaries, 127, 128, 183, 184), fc.integer({ min: 0, max: 700 }));
      fc.assert(
        fc.property(fc.array(fc.tuple(length, fc.nat()), { minLength: 1, maxLength: 40 }), (leaves) => {
          const texts = leaves.map(([len, seed]) => leafOf(len, seed));
          expect(hex(wasm.rootOfLeafTexts(texts)!)).to.equal(referenceRoot(texts));
        }),
        { numRuns: 300 },
      );
    });
  });

  it('When leaves lack their U+0000 prefix or hold another U+0000, Then the root is still the per-leaf one', () => {
    const cases = [
      ['\u0000a\u0000b', ''], // one leaf holding a second prefix, then an empty one: as many prefixes as leaves
      ['\u0000a\u0000b', '\u0000c'],
      ['no prefix', '\u0000x'],
      ['\u0000x', 'no prefix'],
      ['\u0000', '\u0000', '\u0000'],
      ['\u0000\u0000', 'x', '\u0000'],
    ];
    for (const texts of cases) expect(hex(wasm.rootOfLeafTexts(texts)!), JSON.stringify(texts)).to.equal(referenceRoot(texts));
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '\u0000', 'a\u0000', '\u0000\u0000b'));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 30 }), fc.boolean(), (texts, prefix) => {
        const leaves = prefix ? texts.map((t) => `\u0000${t}`) : texts;
        expect(hex(wasm.rootOfLeafTexts(leaves)!)).to.equal(referenceRoot(leaves));
      }),
      { numRuns: 500 },
    );
  });

  it('When a tree has no leaves, more leaves than the module holds, or more text than its I/O area, Then it answers null (the caller hashes leaf by leaf)', () => {
    expect(wasm.rootOfLeafTexts([])).to.equal(null);
    expect(wasm.rootOfLeafTexts(Array.from({ length: 4097 }, (_, i) => `\u0000${i}`))).to.equal(null);
    const atMost = Array.from({ length: 4096 }, (_, i) => `\u0000${i}`);
    expect(hex(wasm.rootOfLeafTexts(atMost)!)).to.equal(referenceRoot(atMost));
    // 3 bytes per UTF-16 unit could not fit, even if these ASCII characters would: refused before writing.
    const big = ['\u0000' + 'x'.repeat(Math.ceil(wasm.maxInput / 3) + 1)];
    expect(wasm.rootOfLeafTexts(big)).to.equal(null);
    const fits = ['\u0000' + '界'.repeat(Math.floor(wasm.maxInput / 3) - 1)];
    expect(hex(wasm.rootOfLeafTexts(fits)!)).to.equal(referenceRoot(fits));
  });
});
