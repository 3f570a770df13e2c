/* The JavaScript SHA-256 for short messages gives node:crypto's bytes at every length, block boundaries included. */
import { hash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { nativePrimitives } from '../../../server/crypto/native';
import { SMALL_SHA256_LIMIT, sha256Small } from '../../../server/crypto/sha256-small';

const reference = (data: Uint8Array): string => hash('sha256', data, 'hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('server/crypto: sha256Small', () => {
  it('When every length from 0 to 300 bytes is hashed (random and all-0xff data), Then the bytes equal node:crypto', () => {
    for (let len = 0; len <= 300; len++) {
      for (const data of [randomBytes(len), new Uint8Array(len).fill(0xff), new Uint8Array(len)]) {
        expect(hex(sha256Small(data)), `length ${len}`).to.equal(reference(data));
      }
    }
  });

  it('When random data of random length (block boundaries 55/56/63/64/119/120 weighted) is hashed, Then the bytes equal node:crypto', () => {
    const boundary = fc.constantFrom(0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 183, 184, 191, 192);
    const length = fc.oneof(boundary, fc.integer({ min: 0, max: 300 }));
    fc.assert(
      fc.property(
        length.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        (data) => {
          expect(hex(sha256Small(data))).to.equal(reference(data));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('When a view into a larger buffer is hashed, Then only the view is hashed, and each result is fresh bytes', () => {
    const big = randomBytes(400);
    const view = big.subarray(17, 17 + 100);
    const a = sha256Small(view);
    expect(hex(a)).to.equal(reference(view));
    const b = sha256Small(new Uint8Array(0));
    expect(hex(a)).to.equal(reference(view)); // not overwritten by the next call
    expect(a.buffer).to.not.equal(b.buffer);
  });

  it('When the native primitives hash on either side of the JavaScript limit, Then both sides give node:crypto bytes', () => {
    for (const len of [SMALL_SHA256_LIMIT - 1, SMALL_SHA256_LIMIT, SMALL_SHA256_LIMIT + 1, 1000, 100_000]) {
      const data = randomBytes(len);
      expect(hex(nativePrimitives.sha256(data)), `length ${len}`).to.equal(reference(data));
    }
  });
});
