/** EIP-712: typed data per record type, signing, and the fast native recovery checked against ethers. */
import { expect } from 'chai';
import fc from 'fast-check';
import secp256k1 from 'secp256k1';
import { TypedDataEncoder, Wallet, computeAddress, getBytes, hexlify, verifyTypedData } from 'ethers';
import {
  EIP712_SIGNED_FIELDS,
  EIP712_TYPES,
  RECORD_TYPES,
  commitRecord,
  disclosePublicFields,
  instantToSeconds,
  parseSignature,
  publicFieldNames,
  recoverSigner,
  signRecord,
  typedDataDigest,
  typedDataFor,
  typedDataPayload,
  verifyDisclosures,
  verifyRecordSignature,
  type Hex,
  type RecordError,
  type RecordTypedData,
  type SignedView,
} from '../../../server/records';
import {
  RECORD_BUILDERS,
  TEST_BINDING,
  buildBatch,
  buildReport,
  buildShareTrail,
  expectRecordError,
  randomWallet,
  signAndLog,
} from './fixtures';

const CURVE_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function ethersRecover(td: RecordTypedData, signature: string): string {
  return verifyTypedData(td.domain, td.types, td.message, signature);
}

/** The same signature with s replaced by n - s and v flipped: valid for ecrecover, but malleated. */
function highS(signature: string): Hex {
  const bytes = getBytes(signature);
  const s = BigInt(hexlify(bytes.slice(32, 64)));
  const out = new Uint8Array(65);
  out.set(bytes.slice(0, 32), 0);
  out.set(getBytes(`0x${(CURVE_N - s).toString(16).padStart(64, '0')}`), 32);
  out[64] = bytes[64] === 27 ? 28 : 27;
  return hexlify(out) as Hex;
}

function withByte(signature: string, index: number, value: number): Hex {
  const bytes = getBytes(signature).slice();
  bytes[index] = value;
  return hexlify(bytes) as Hex;
}

describe('records/eip712', () => {
  describe('types', () => {
    it('When the struct types are encoded, Then they are pinned (changing them breaks every existing signature)', () => {
      const head = 'string id,bytes32 recordRoot,uint64 issuedAt';
      const share = `${head},string step,string departmentId,uint64 seq,bytes32 prevHash`;
      const want: Record<string, string> = {
        Batch: `Batch(${head},string lot,string gtin,string productCategory,string producerUscc)`,
        SeleniumTestReport: `SeleniumTestReport(${head},string reportNumber,string batchId,string result,string unit,string conclusion)`,
        ShareRequest: `ShareRequest(${share},string providingDepartmentUscc,string catalogueItemId,string purpose)`,
        ShareReply: `ShareReply(${share},string requestId,string decision)`,
        ShareDelivery: `ShareDelivery(${share},string requestId,bytes32 dataSha256,uint64 rowCount)`,
        ShareReceipt: `ShareReceipt(${share},string deliveryId,bytes32 dataSha256,uint64 rowCount)`,
        Revocation: `Revocation(${head},string targetRecordId,bytes32 targetLeafHash,string reasonCode)`,
        LabCommission: `LabCommission(${head},string batchId,string labCmaNumber)`,
      };
      for (const type of RECORD_TYPES) {
        expect(TypedDataEncoder.from({ [type]: [...EIP712_TYPES[type]] }).encodeType(type)).to.equal(want[type]);
      }
    });

    it('When the signed fields are listed, Then every one is PUBLIC (a bundle can rebuild the message)', () => {
      for (const type of RECORD_TYPES) {
        expect(publicFieldNames(type), type).to.include.members([...EIP712_SIGNED_FIELDS[type]]);
      }
    });

    it('When typed data is built for a report, Then the message shows seconds, the result as RFC 8785 text, and the root', () => {
      const report = buildReport({ result: 1e-7 });
      const { root } = commitRecord(report);

      const td = typedDataFor('SeleniumTestReport', report, root, TEST_BINDING);

      expect(td.primaryType).to.equal('SeleniumTestReport');
      expect(td.domain).to.deep.equal({ name: 'traceledger', version: '1', chainId: 31337n, verifyingContract: TEST_BINDING.verifyingContract });
      expect(td.message).to.deep.equal({
        id: report.id,
        recordRoot: root,
        issuedAt: 1759737600,
        reportNumber: 'AKSE-2025-01234',
        batchId: report.batchId,
        result: '1e-7',
        unit: 'mg/kg',
        conclusion: report.conclusion,
      });
      expect(instantToSeconds('2025-10-06T08:00:00Z')).to.equal(1759737600);
    });

    it('When a batch has no GTIN, Then the message shows an empty GTIN', () => {
      const { gtin: _gtin, ...batch } = buildBatch();
      const td = typedDataFor('Batch', batch, commitRecord(batch).root, TEST_BINDING);
      expect(td.message.gtin).to.equal('');
      expect(td.message.producerUscc).to.equal(batch.producer.uscc);
    });

    it('When the typed data is turned into a wallet payload, Then it is JSON with EIP712Domain', () => {
      const report = buildReport();
      const payload = typedDataPayload(typedDataFor('SeleniumTestReport', report, commitRecord(report).root, TEST_BINDING));
      const json = JSON.parse(JSON.stringify(payload)) as { types: Record<string, unknown>; primaryType: string };
      expect(json.types).to.have.property('EIP712Domain');
      expect(json.primaryType).to.equal('SeleniumTestReport');
    });

    it('When the root, chain id or contract is malformed, Then typed data is refused', () => {
      const report = buildReport();
      const { root } = commitRecord(report);
      expectRecordError(() => typedDataFor('SeleniumTestReport', report, root.toUpperCase(), TEST_BINDING), 'invalid-argument');
      expectRecordError(() => typedDataFor('SeleniumTestReport', report, root, { ...TEST_BINDING, chainId: 0 }), 'invalid-argument');
      expectRecordError(() => typedDataFor('SeleniumTestReport', report, root, { ...TEST_BINDING, verifyingContract: '0x1234' }), 'invalid-argument');
      expectRecordError(() => typedDataFor('SeleniumTestReport', report, root, { ...TEST_BINDING, chainId: 1.5 }), 'invalid-argument');
    });

    it('When typed data is not encodable (a field missing from the message), Then recovery refuses it as invalid-argument', async () => {
      const { typedData, signature } = await signAndLog('SeleniumTestReport', buildReport(), randomWallet());
      const { result: _result, ...message } = typedData.message;
      expectRecordError(() => recoverSigner({ ...typedData, message }, signature), 'invalid-argument');
    });
  });

  describe('signing and recovery', () => {
    for (const type of RECORD_TYPES) {
      it(`When a ${type} is signed, Then the fast recovery and ethers both return the signer`, async () => {
        const wallet = randomWallet();
        const signed = await signAndLog(type, RECORD_BUILDERS[type](), wallet);

        expect(recoverSigner(signed.typedData, signed.signature)).to.equal(wallet.address);
        expect(ethersRecover(signed.typedData, signed.signature)).to.equal(wallet.address);
        expect(signed.signature).to.match(/^0x[0-9a-f]{128}(1b|1c)$/);
      });
    }

    it('When many random wallets sign random reports on random chains, Then fast recovery equals ethers.verifyTypedData', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.double({ min: 0, max: 1e4, noNaN: true }),
          fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,30}$/),
          fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => s.trim() === s && s.length > 0),
          fc.integer({ min: 1, max: 2 ** 40 }),
          fc.uint8Array({ minLength: 20, maxLength: 20 }),
          async (key, result, reportNumber, conclusion, chainId, contract) => {
            fc.pre(BigInt(hexlify(key)) > 0n && BigInt(hexlify(key)) < CURVE_N);
            const wallet = new Wallet(hexlify(key));
            const binding = { chainId, verifyingContract: hexlify(contract) };
            const report = buildReport({ result, reportNumber, conclusion });
            const { root } = commitRecord(report);
            const td = typedDataFor('SeleniumTestReport', report, root, binding);

            const signature = await signRecord(wallet, 'SeleniumTestReport', report, root, binding);

            const fast = recoverSigner(td, signature);
            expect(fast).to.equal(ethersRecover(td, signature));
            expect(fast).to.equal(wallet.address);
            expect(typedDataDigest(td)).to.equal(TypedDataEncoder.hash(td.domain, td.types, td.message));
          },
        ),
        { numRuns: 120 },
      );
    });

    it('When the digest cache sees alternating domains and types, Then every digest equals TypedDataEncoder.hash', () => {
      const bindings = [TEST_BINDING, { chainId: 1, verifyingContract: TEST_BINDING.verifyingContract }, { chainId: 31337, verifyingContract: `0x${'12'.repeat(20)}` }];
      for (let round = 0; round < 3; round++) {
        for (const binding of bindings) {
          for (const type of RECORD_TYPES) {
            const record = RECORD_BUILDERS[type]();
            const td = typedDataFor(type, record, commitRecord(record).root, binding);
            expect(typedDataDigest(td)).to.equal(TypedDataEncoder.hash(td.domain, td.types, td.message));
          }
        }
      }
    });

    it('When every record type\'s message holds random text, numbers and hashes, Then every digest equals TypedDataEncoder.hash', () => {
      // The encoder writes members straight into a reused buffer (text through Buffer's UTF-8, small uints without BigInt).
      const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constant(''));
      const uint64 = fc.oneof(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => n.toString()),
      );
      const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));
      const message = (type: (typeof RECORD_TYPES)[number]) =>
        fc.record(
          Object.fromEntries(
            EIP712_TYPES[type].map((f) => [f.name, f.type === 'string' ? text : f.type === 'bytes32' ? bytes32.map((h) => (f.name === 'recordRoot' ? h : h.toUpperCase().replace('0X', '0x'))) : uint64]),
          ) as Record<string, fc.Arbitrary<string | number>>,
        );
      const binding = fc.record({ chainId: fc.integer({ min: 1, max: 2 ** 40 }), verifyingContract: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => hexlify(b)) });
      fc.assert(
        fc.property(
          fc.constantFrom(...RECORD_TYPES).chain((type) => fc.tuple(fc.constant(type), message(type), binding)),
          ([type, msg, b]) => {
            const base = typedDataFor(type, RECORD_BUILDERS[type]() as SignedView<typeof type>, `0x${'ab'.repeat(32)}`, b);
            const td: RecordTypedData = { ...base, message: msg };
            expect(typedDataDigest(td)).to.equal(TypedDataEncoder.hash(td.domain, td.types, td.message));
          },
        ),
        { numRuns: 300 },
      );
    });

    it('When one domain object or one primary type\'s members change between digests, Then the caches follow and digests equal TypedDataEncoder.hash', () => {
      const record = buildReport();
      const td = typedDataFor('SeleniumTestReport', record, commitRecord(record).root, TEST_BINDING);
      const before = typedDataDigest(td);
      expect(before).to.equal(TypedDataEncoder.hash(td.domain, td.types, td.message));

      // The same domain object, changed in place.
      td.domain.chainId += 1n;
      expect(typedDataDigest(td)).to.equal(TypedDataEncoder.hash(td.domain, td.types, td.message)).and.to.not.equal(before);
      td.domain.chainId -= 1n;
      expect(typedDataDigest(td)).to.equal(before);

      // The same primary type with a member renamed, then with a member's type changed.
      const renamed: RecordTypedData = { ...td, types: { SeleniumTestReport: td.types.SeleniumTestReport!.map((f) => (f.name === 'unit' ? { ...f, name: 'units' } : f)) }, message: { ...td.message, units: 'mg/kg' } };
      expect(typedDataDigest(renamed)).to.equal(TypedDataEncoder.hash(renamed.domain, renamed.types, renamed.message));
      const retyped: RecordTypedData = { ...td, types: { SeleniumTestReport: td.types.SeleniumTestReport!.map((f) => (f.name === 'issuedAt' ? { ...f, type: 'uint256' } : f)) } };
      expect(typedDataDigest(retyped)).to.equal(TypedDataEncoder.hash(retyped.domain, retyped.types, retyped.message));
      expect(typedDataDigest(td)).to.equal(before);
    });

    it('When a uint64 member is negative, fractional, too large or not a number, Then the digest is refused with a TypeError', () => {
      const record = buildReport();
      const td = typedDataFor('SeleniumTestReport', record, commitRecord(record).root, TEST_BINDING);
      for (const issuedAt of [-1, 1.5, 2 ** 64, '18446744073709551616', 'soon', Number.NaN]) {
        expect(() => typedDataDigest({ ...td, message: { ...td.message, issuedAt } })).to.throw(TypeError, /issuedAt must be a uint64/);
      }
    });

    it('When the chain id or the verifying contract differs, Then a different signer is recovered and verification fails', async () => {
      const wallet = randomWallet();
      const { typedData, signature } = await signAndLog('SeleniumTestReport', buildReport(), wallet);
      const otherChain: RecordTypedData = { ...typedData, domain: { ...typedData.domain, chainId: typedData.domain.chainId + 1n } };
      const otherContract: RecordTypedData = { ...typedData, domain: { ...typedData.domain, verifyingContract: `0x${'34'.repeat(20)}` } };

      for (const td of [otherChain, otherContract]) {
        const recovered = recoverSigner(td, signature);
        expect(recovered).to.not.equal(wallet.address);
        expect(recovered).to.equal(ethersRecover(td, signature));
        expectRecordError(() => verifyRecordSignature(td, signature, wallet.address), 'bad-signature');
      }
      expect(verifyRecordSignature(typedData, signature, wallet.address.toLowerCase())).to.equal(wallet.address);
    });

    it('When the record root or a shown field is changed after signing, Then the signature no longer matches the signer', async () => {
      const wallet = randomWallet();
      const { typedData, signature } = await signAndLog('SeleniumTestReport', buildReport(), wallet);
      const otherRoot = { ...typedData, message: { ...typedData.message, recordRoot: `0x${'00'.repeat(32)}` } };
      const otherResult = { ...typedData, message: { ...typedData.message, result: '0.5' } };
      for (const td of [otherRoot, otherResult]) expect(recoverSigner(td, signature)).to.not.equal(wallet.address);
    });

    it('When a signature is malleated to high s, Then the fast path rejects it as bad-signature', async () => {
      const wallet = randomWallet();
      const { typedData, signature } = await signAndLog('SeleniumTestReport', buildReport(), wallet);
      const twin = getBytes(highS(signature));
      // The twin is a second valid signature of the same key (raw libsecp256k1 recovery accepts it)…
      const digest = getBytes(typedDataDigest(typedData));
      const recovered = secp256k1.ecdsaRecover(twin.slice(0, 64), twin[64]! - 27, digest, false);
      expect(computeAddress(hexlify(recovered))).to.equal(wallet.address);
      // …which is exactly why the canonical form (low s, EIP-2) is required.
      const error = expectRecordError(() => recoverSigner(typedData, twin), 'bad-signature');
      expect(error.message).to.contain('high');
    });

    it('When a signature is malformed (length, hex, v, r or s out of range), Then it is rejected as bad-signature', async () => {
      const { typedData, signature } = await signAndLog('SeleniumTestReport', buildReport(), randomWallet());
      const zero32 = '00'.repeat(32);
      const malformed: (string | Uint8Array)[] = [
        signature.slice(0, -2),
        `${signature}00`,
        `0x${'zz'.repeat(65)}`,
        signature.slice(2),
        new Uint8Array(64),
        withByte(signature, 64, 0),
        withByte(signature, 64, 1),
        withByte(signature, 64, 29),
        `0x${zero32}${signature.slice(66)}`,
        `${signature.slice(0, 66)}${zero32}${signature.slice(-2)}`,
        `0x${CURVE_N.toString(16)}${signature.slice(66)}`,
        `${signature.slice(0, 66)}${CURVE_N.toString(16)}${signature.slice(-2)}`,
      ];
      for (const bad of malformed) expectRecordError(() => recoverSigner(typedData, bad), 'bad-signature');
      expect(() => parseSignature(signature)).to.not.throw();
    });

    it('When r and s lie at or around 0, n/2, n and 2^256 - 1, Then parseSignature accepts and refuses exactly as the range rules say, with the same message', () => {
      const HALF_N = CURVE_N >> 1n;
      /** The rules of parseSignature, written with BigInt: the message it must throw, or null. */
      const expected = (r: bigint, s: bigint, v: number): string | null => {
        if (v !== 27 && v !== 28) return `signature v must be 27 or 28, got ${v}`;
        if (r === 0n || r >= CURVE_N) return 'signature r is out of range';
        if (s === 0n || s >= CURVE_N) return 'signature s is out of range';
        if (s > HALF_N) return 'signature s is high (not canonical, EIP-2): a malleated signature';
        return null;
      };
      const near = (x: bigint) => [x - 2n, x - 1n, x, x + 1n, x + 2n].filter((y) => y >= 0n && y < 2n ** 256n);
      const edge = fc.oneof(
        fc.constantFrom(...near(0n), ...near(HALF_N), ...near(CURVE_N), ...near(2n ** 256n - 1n), 2n ** 255n, 2n ** 248n),
        fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
        // Numbers sharing the first bytes of n or n/2, differing further on.
        fc.tuple(fc.constantFrom(CURVE_N, HALF_N), fc.integer({ min: 0, max: 255 }), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n })).map(([x, shift, d]) => {
          const y = x + (d << BigInt(shift));
          return y < 0n ? 0n : y >= 2n ** 256n ? 2n ** 256n - 1n : y;
        }),
      );
      fc.assert(
        fc.property(edge, edge, fc.constantFrom(26, 27, 28, 29), fc.boolean(), (r, s, v, asBytes) => {
          const hex = `0x${r.toString(16).padStart(64, '0')}${s.toString(16).padStart(64, '0')}${v.toString(16).padStart(2, '0')}`;
          const want = expected(r, s, v);
          let got: string | null = null;
          let parsed: ReturnType<typeof parseSignature> | undefined;
          try {
            parsed = parseSignature(asBytes ? getBytes(hex) : hex);
          } catch (e) {
            expect((e as RecordError).code).to.equal('bad-signature');
            got = (e as Error).message;
          }
          expect(got, hex).to.equal(want);
          if (parsed) {
            expect(hexlify(parsed.compact)).to.equal(hex.slice(0, 130));
            expect(parsed.recid).to.equal(v - 27);
          }
        }),
        { numRuns: 3000 },
      );
    });

    it('When r is not the x coordinate of a curve point, Then recovery fails as bad-signature', async () => {
      const { typedData, signature } = await signAndLog('SeleniumTestReport', buildReport(), randomWallet());
      const messages = new Set<string>();
      for (let x = 1; x <= 40; x++) {
        const r = x.toString(16).padStart(64, '0');
        try {
          recoverSigner(typedData, `0x${r}${signature.slice(66)}`);
        } catch (e) {
          messages.add((e as Error).message);
        }
      }
      expect([...messages]).to.include('no public key can be recovered from this signature');
    });
  });

  describe('verifying with a bundle', () => {
    it('When only the public fields are disclosed, Then the signature still verifies from them and the root', async () => {
      const wallet = randomWallet();
      const signed = await signAndLog('SeleniumTestReport', buildReport(), wallet);
      const set = disclosePublicFields('SeleniumTestReport', signed.record, signed.commitment.salts);

      const fields = verifyDisclosures(set.disclosures, set.leafCount, signed.entry.recordRoot as Hex);
      const td = typedDataFor('SeleniumTestReport', fields as unknown as SignedView<'SeleniumTestReport'>, signed.entry.recordRoot, TEST_BINDING);

      expect(recoverSigner(td, signed.entry.signature)).to.equal(wallet.address);
      expect(fields).to.not.have.property('signatories');
    });

    it('When a share trail is signed by two departments, Then each step recovers its department and prevHash links its chain', async () => {
      const trail = await buildShareTrail();

      expect(recoverSigner(trail.request.typedData, trail.request.signature)).to.equal(trail.requester.address);
      expect(recoverSigner(trail.receipt.typedData, trail.receipt.signature)).to.equal(trail.requester.address);
      expect(recoverSigner(trail.reply.typedData, trail.reply.signature)).to.equal(trail.provider.address);
      expect(recoverSigner(trail.delivery.typedData, trail.delivery.signature)).to.equal(trail.provider.address);
      expect(trail.receipt.record.prevHash).to.equal(trail.request.leafHash);
      expect(trail.delivery.record.prevHash).to.equal(trail.reply.leafHash);
      expect(trail.delivery.typedData.message.prevHash).to.equal(trail.reply.leafHash);
      expect(trail.receipt.typedData.message).to.include({ step: 'receipt', seq: 2, rowCount: 1287 });
    });
  });
});
