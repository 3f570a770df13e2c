import { createHash } from 'node:crypto';
import { expect } from 'chai';
import canonicalizeJcs from 'canonicalize';
import fc from 'fast-check';
import type { Wallet } from 'ethers';
import { canonicalString, commitRecord, newSalt, recoverSigner, typedDataDigest } from '../../../server/records';
import { canonicalStringOfParsed as canonicalJsonOfParsed, recordRootOfParsed as recordRootOfStored } from '../../../server/records';
import { rootHash } from '../../../server/ledger/rfc6962';
import { ShareSignatureChecker, type ShareType } from '../../../server/trails/recompute';
import { TEST_BINDING, buildShareTrail } from '../records/fixtures';

/** The RFC 6962 root (the ledger's tree code) over leaves SHA-256(UTF-8 of each text), texts given with their U+0000 prefix: hashed by node:crypto, not the module under test. */
const recordRootViaTexts = (texts: string[]): string => `0x${Buffer.from(rootHash(texts.map((t) => new Uint8Array(createHash('sha256').update(t, 'utf8').digest())))).toString('hex')}`;

/** A stored body: what the store gives back after JSON.stringify / JSON.parse. */
const stored = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('server/trails/recompute', () => {
  describe('recordRootOfStored', () => {
    it('When a share record of each type is stored and read back, Then its record root equals commitRecord’s', async () => {
      const trail = await buildShareTrail();
      for (const step of [trail.request, trail.reply, trail.delivery, trail.receipt]) {
        expect(recordRootOfStored(stored(step.record) as Record<string, unknown>, step.commitment.salts), step.type).to.equal(step.commitment.root);
      }
    });

    it('When any JSON record is committed, Then the fast root of its stored form equals commitRecord’s (property)', () => {
      fc.assert(
        fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue(), { minKeys: 1, maxKeys: 8 }), (record) => {
          let commitment;
          try {
            commitment = commitRecord(record);
          } catch {
            return; // not canonicalisable (e.g. a lone surrogate): refused at ingest anyway
          }
          expect(recordRootOfStored(stored(record), commitment.salts)).to.equal(commitment.root);
        }),
        { numRuns: 300 },
      );
    });

    it('When the canonical JSON of a parsed value is written directly, Then it is RFC 8785’s, as the canonicalize package writes it (property)', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          let plain: string;
          try {
            plain = canonicalString(stored(value)); // refuses what canonical JSON cannot hold (e.g. a lone surrogate)
          } catch {
            return;
          }
          // Against an implementation independent of canonical.ts (canonicalString itself uses canonicalStringOfParsed).
          expect(canonicalJsonOfParsed(stored(value))).to.equal(canonicalizeJcs(stored(value))).and.equal(plain);
        }),
        { numRuns: 500 },
      );
    });

    it('When a parsed object or array is flat, its keys in order, out of order, integer-like ("9" before "10"), empty, "__proto__" or beyond the BMP, Then its canonical JSON is still RFC 8785’s (property)', () => {
      const key = fc.oneof(
        fc.constantFrom('', '0', '1', '2', '9', '10', '01', '-1', '1.5', '4294967294', '4294967295', '__proto__', 'a', 'B', 'é', '😀', '\u{ff21}'),
        fc.string({ maxLength: 4 }),
      );
      const primitive = fc.oneof(fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 6, unit: 'grapheme' }));
      const flat = fc.oneof(fc.dictionary(key, primitive, { maxKeys: 6 }), fc.array(primitive, { maxLength: 5 }));
      const value = fc.oneof(flat, fc.dictionary(key, fc.oneof(primitive, flat), { maxKeys: 4 }), fc.array(fc.oneof(primitive, flat), { maxLength: 4 }));
      fc.assert(
        fc.property(value, (v) => {
          // As a store reads it back: JSON.parse makes "__proto__" an own key, as it does for a stored body.
          const parsed = JSON.parse(JSON.stringify(v)) as unknown;
          expect(canonicalJsonOfParsed(parsed)).to.equal(canonicalizeJcs(parsed));
        }),
        { numRuns: 2000 },
      );
    });

    it('When a salt is not 32 hex digits (uppercase, a quote, a backslash, a control character), Then the stored root is the one canonical JSON gives, not one written around it', () => {
      const body = { a: 1, b: 'x' };
      for (const odd of ['ABCDEF0123456789ABCDEF0123456789', 'abc"def', 'a\\b', 'tab\there', '', 'x'.repeat(40)]) {
        const salts = { a: odd, b: newSalt() };
        const leaf = (name: 'a' | 'b') => `\u0000${canonicalString([salts[name], name, body[name]])}`;
        expect(leaf('a')).to.contain(JSON.stringify(odd));
        // The same text committed leaf by leaf: what commitRecord would write for these salts, were they allowed.
        expect(recordRootOfStored(body, salts), JSON.stringify(odd)).to.equal(recordRootViaTexts([leaf('a'), leaf('b')]));
      }
    });

    it('When the salts do not name exactly the body’s fields, Then there is no root (null)', () => {
      const body = { a: 1, b: 'x' };
      const salts = { a: newSalt(), b: newSalt() };
      expect(recordRootOfStored(body, { a: salts.a })).to.equal(null);
      expect(recordRootOfStored(body, { ...salts, c: newSalt() })).to.equal(null);
      expect(recordRootOfStored(body, salts)).to.equal(commitRecord(body, salts).root);
    });
  });

  describe('ShareSignatureChecker', () => {
    it('When each share step is signed, Then the fast digest and signer equal typedDataDigest and recoverSigner', async () => {
      const trail = await buildShareTrail();
      const checker = new ShareSignatureChecker(TEST_BINDING);
      for (const step of [trail.request, trail.reply, trail.delivery, trail.receipt]) {
        const body = stored(step.record) as unknown as Record<string, unknown>;
        const digest = checker.digest(step.type as ShareType, body, step.commitment.root, Number(step.typedData.message.issuedAt));
        expect(`0x${Buffer.from(digest).toString('hex')}`, step.type).to.equal(typedDataDigest(step.typedData));
        expect(checker.signerOf(digest, step.signature)).to.equal(recoverSigner(step.typedData, step.signature).toLowerCase());
      }
    });

    it('When a signed value or the chain binding differs, Then the recovered signer is another address', async () => {
      const trail = await buildShareTrail();
      const { delivery } = trail;
      const body = stored(delivery.record) as unknown as Record<string, unknown>;
      const at = Number(delivery.typedData.message.issuedAt);
      const signer = (trail.provider as Wallet).address.toLowerCase();
      const checker = new ShareSignatureChecker(TEST_BINDING);
      expect(checker.signerOf(checker.digest('ShareDelivery', body, delivery.commitment.root, at), delivery.signature)).to.equal(signer);
      const changed = { ...body, delivery: { ...(body.delivery as object), rowCount: 1288 } };
      expect(checker.signerOf(checker.digest('ShareDelivery', changed, delivery.commitment.root, at), delivery.signature)).to.not.equal(signer);
      const otherChain = new ShareSignatureChecker({ ...TEST_BINDING, chainId: 1 });
      expect(otherChain.signerOf(otherChain.digest('ShareDelivery', body, delivery.commitment.root, at), delivery.signature)).to.not.equal(signer);
    });

    it('When a signed field is missing or malformed, Then the digest is refused rather than guessed', async () => {
      const { reply } = await buildShareTrail();
      const checker = new ShareSignatureChecker(TEST_BINDING);
      const body = stored(reply.record) as unknown as Record<string, unknown>;
      expect(() => checker.digest('ShareReply', { ...body, seq: -1 }, reply.commitment.root, 0)).to.throw(/uint64/);
      expect(() => checker.digest('ShareReply', { ...body, prevHash: '0x12' }, reply.commitment.root, 0)).to.throw(/bytes32/);
      expect(() => checker.digest('ShareReply', { ...body, requestId: undefined }, reply.commitment.root, 0)).to.throw(/text/);
    });
  });
});
