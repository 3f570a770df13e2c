/* The two implementations of the primitives agree byte for byte: @noble (the browser's) and native (the server's). */
import { expect } from 'chai';
import fc from 'fast-check';
import { SigningKey, getAddress, keccak256 as ethersKeccak, sha256 as ethersSha256, hexlify } from 'ethers';
import { checksumAddress, isAddress } from '../../../server/crypto/address';
import { fromHex, toHex, toHex0x, uint256Word } from '../../../server/crypto/bytes';
import { nativePrimitives } from '../../../server/crypto/native';
import { noblePrimitives, primitives } from '../../../server/crypto/primitives';

describe('server/crypto: primitives and bytes', () => {
  it('When the records module is loaded on the server, Then the native primitives are installed', async () => {
    await import('../../../server/records');
    expect(primitives().name).to.match(/^native/);
  });

  it('When random data is hashed, Then @noble and native SHA-256 and keccak-256 agree with ethers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const sha = toHex0x(nativePrimitives.sha256(data));
        expect(toHex0x(noblePrimitives.sha256(data))).to.equal(sha);
        expect(sha).to.equal(ethersSha256(data));
        const k = toHex0x(nativePrimitives.keccak256(data));
        expect(toHex0x(noblePrimitives.keccak256(data))).to.equal(k);
        expect(k).to.equal(ethersKeccak(data));
      }),
      { numRuns: 200 },
    );
  });

  it('When random digests are signed, Then both recover the same public key as the signer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (keyBytes, digest) => {
        fc.pre(keyBytes.some((b) => b !== 0));
        let key: SigningKey;
        try {
          key = new SigningKey(hexlify(keyBytes));
        } catch {
          return; // outside the curve order
        }
        const sig = key.sign(digest);
        const rs = fromHex(sig.r.slice(2) + sig.s.slice(2));
        const want = key.publicKey.slice(4); // 0x04 || x || y
        expect(toHex(nativePrimitives.recoverPublicKey(digest, rs, sig.yParity))).to.equal(want);
        expect(toHex(noblePrimitives.recoverPublicKey(digest, rs, sig.yParity))).to.equal(want);
      }),
      { numRuns: 40 },
    );
  });

  it('When addresses are checksummed, Then EIP-55 matches ethers, and a wrong mixed case is refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (b) => {
        const lower = toHex0x(b);
        expect(checksumAddress(lower)).to.equal(getAddress(lower));
        expect(isAddress(getAddress(lower))).to.equal(true);
      }),
      { numRuns: 200 },
    );
    const good = getAddress('0x5fbdb2315678afecb367f032d93f642f64180aa3');
    const bad = good.replace(/[a-f]/, (c) => c.toUpperCase());
    expect(isAddress(bad)).to.equal(false);
    expect(() => checksumAddress(bad)).to.throw(TypeError, /checksum/);
  });

  it('When hex is malformed or a number does not fit 256 bits, Then the helpers refuse it', () => {
    expect(() => fromHex('0x123')).to.throw(TypeError, /odd/);
    expect(() => fromHex('0xzz')).to.throw(TypeError, /not a hex/);
    expect(toHex(uint256Word(258))).to.equal('0'.repeat(60) + '0102');
    expect(() => uint256Word(-1)).to.throw(RangeError);
    expect(() => uint256Word(1n << 256n)).to.throw(RangeError);
  });
});
