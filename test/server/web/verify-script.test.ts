/* The consumer page's own verifier (server/web/assets/verify.js), run in Node against the server's implementations. */
import { createHash, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'acorn';
import { expect } from 'chai';
import fc from 'fast-check';
import { Wallet } from 'ethers';
import { chainLogId } from '../../../server/anchoring/worker';
import { inclusionProof, leafHash, rootHash, toHex } from '../../../server/ledger/rfc6962';
import { canonicalString, commitRecord, createLogEntry, disclosePublicFields, logEntryLeafHash, signRecord } from '../../../server/records';
import { BUNDLE_FORMAT, type ProofBundle } from '../../../server/verification/bundle';
import { buildReport, TEST_BINDING } from '../records/fixtures';

const SCRIPT = path.join(__dirname, '../../../server/web/assets/verify.js');

interface Step {
  step: string;
  status: string;
}
interface VerifyJs {
  canonical(v: unknown): string;
  sha256Sync(b: Uint8Array): Uint8Array;
  leafHash(b: Uint8Array): Promise<Uint8Array>;
  rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: Uint8Array[]): Promise<Uint8Array>;
  verifyBundle(bundle: unknown, opts: { rpc?: string | null; revocation?: unknown; batchId?: string | null }): Promise<{ verdict: string; steps: Step[]; fields: Record<string, unknown> | null }>;
  toHex(b: Uint8Array): string;
  utf8(s: string): Uint8Array;
  env: { crypto: unknown };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const js = require(SCRIPT) as VerifyJs;
const hex0x = (b: Uint8Array) => '0x' + toHex(b);
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** A report bundle anchored in a log of `size` entries (the others random), without a chain. */
async function syntheticBundle(size = 11, index = 6): Promise<ProofBundle> {
  const report = buildReport();
  const { root, salts } = commitRecord(report);
  const signature = await signRecord(new Wallet(`0x${'42'.repeat(32)}`), 'SeleniumTestReport', report, root, TEST_BINDING);
  const entry = createLogEntry({ type: 'SeleniumTestReport', id: report.id, recordRoot: root, signer: new Wallet(`0x${'42'.repeat(32)}`).address, signature, issuedAt: report.issuedAt });
  const leaves = Array.from({ length: size }, (_, i) => (i === index ? logEntryLeafHash(entry) : leafHash(new Uint8Array([i, 1, 2]))));
  const set = disclosePublicFields('SeleniumTestReport', report, salts);
  return {
    format: BUNDLE_FORMAT,
    record: { type: 'SeleniumTestReport', id: report.id, recordRoot: root, leafCount: set.leafCount, disclosures: set.disclosures },
    entry: entry as unknown as Record<string, unknown>,
    log: { logId: 'products', chainLogId: chainLogId('products'), leafIndex: index, leafHash: hex0x(leaves[index]!), inclusionProof: inclusionProof(leaves, index).map(hex0x) },
    checkpoint: { size, root: hex0x(rootHash(leaves)), txHash: null, blockNumber: 7, blockTime: 1_700_000_000 },
    chain: { chainId: 31337, traceLedger: TEST_BINDING.verifyingContract, participantRegistry: `0x${'22'.repeat(20)}`, revocationRegistry: `0x${'33'.repeat(20)}` },
  };
}

describe('server/web/assets/verify.js (the browser verifier, in Node)', () => {
  it('When the script is parsed as ECMAScript 2019, Then it parses (old WeChat WebViews run it)', () => {
    const source = fs.readFileSync(SCRIPT, 'utf8');
    expect(() => parse(source, { ecmaVersion: 2019, sourceType: 'script' })).not.to.throw();
    expect(source).not.to.match(/\?\.|\?\?|\bBigInt\b|\bglobalThis\b/);
  });

  it('When values are canonicalised, Then the script agrees with the server RFC 8785 implementation', () => {
    const samples: unknown[] = [
      null, true, false, 0, -0, 1, -1.5, 0.35, 1e21, 1e-7, 123456789.125, 'a"b\\c\n\u2028', '富硒', '😀',
      [1, 'x', null, [true]], { b: 1, a: [2, { d: 0, c: 'é' }], '\u00e9': 1, A: 2, '10': 3, '9': 4 },
    ];
    for (const v of samples) expect(js.canonical(v), JSON.stringify(v)).to.equal(canonicalString(v));
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(js.canonical(v)).to.equal(canonicalString(v));
      }),
      { numRuns: 300 },
    );
  });

  it('When a lone surrogate or a non-finite number is canonicalised, Then the script refuses it', () => {
    expect(() => js.canonical('\uD800')).to.throw();
    expect(() => js.canonical(Infinity)).to.throw();
    expect(() => js.canonical(undefined)).to.throw();
  });

  it('When bytes are hashed with the fallback SHA-256 (no WebCrypto), Then it matches Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(toHex(js.sha256Sync(b))).to.equal(createHash('sha256').update(b).digest('hex'));
      }),
      { numRuns: 200 },
    );
    expect(toHex(js.sha256Sync(js.utf8('abc')))).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(js.utf8('富硒'))).to.equal(Buffer.from('富硒', 'utf8').toString('hex'));
  });

  it('When inclusion proofs of every leaf of random trees are checked, Then the script computes the RFC 9162 root', async () => {
    for (const size of [1, 2, 3, 5, 8, 13, 31]) {
      const leaves = Array.from({ length: size }, (_, i) => leafHash(new Uint8Array([i])));
      const root = toHex(rootHash(leaves));
      for (let i = 0; i < size; i++) {
        expect(toHex(await js.rootFromInclusionProof(i, size, leaves[i]!, inclusionProof(leaves, i)))).to.equal(root);
      }
    }
    const leaves = [leafHash(new Uint8Array([1])), leafHash(new Uint8Array([2])), leafHash(new Uint8Array([3]))];
    const proof = inclusionProof(leaves, 0);
    await js.rootFromInclusionProof(0, 3, leaves[0]!, proof.slice(1)).then(
      () => expect.fail('a truncated proof was accepted'),
      (e: Error) => expect(e.message).to.contain('want 2'),
    );
    await js.rootFromInclusionProof(3, 3, leaves[0]!, proof).then(
      () => expect.fail('an index beyond the size was accepted'),
      (e: Error) => expect(e.message).to.contain('beyond'),
    );
  });

  describe('verifyBundle (no chain endpoint)', () => {
    before(() => {
      js.env.crypto = webcrypto; // as in a browser's secure context
    });
    after(() => {
      js.env.crypto = undefined;
    });

    it('When a genuine bundle is checked, Then it is valid and its fields are the disclosed ones', async () => {
      const bundle = await syntheticBundle();
      const out = await js.verifyBundle(bundle, { rpc: null, batchId: '01JB5Q7V3M9X2K4N6P8R0T2W4Y' });
      expect(out.verdict, JSON.stringify(out.steps)).to.equal('valid');
      expect(out.fields?.result).to.equal(0.35);
      expect(out.steps.map((s) => `${s.step}:${s.status}`)).to.deep.equal([
        'checkFieldDisclosures:passed',
        'computeLeafHash:passed',
        'checkInclusion:passed',
        'checkCheckpointOnChain:skipped',
        'checkNotRevoked:passed',
        'checkReportSubject:passed',
      ]);
    });

    const tamperings: [string, string, (b: ProofBundle) => void][] = [
      ['a disclosed value is changed', 'checkFieldDisclosures', (b) => (b.record.disclosures.find((d) => d.name === 'result')!.value = 0.5)],
      ['a salt is changed', 'checkFieldDisclosures', (b) => (b.record.disclosures[0]!.salt = '0'.repeat(32))],
      ['a field path is truncated', 'checkFieldDisclosures', (b) => b.record.disclosures[1]!.path.pop()],
      ['the entry names another signer', 'computeLeafHash', (b) => ((b.entry as { signer: string }).signer = `0x${'99'.repeat(20)}`)],
      ['the record root is swapped', 'checkFieldDisclosures', (b) => (b.record.recordRoot = `0x${'ab'.repeat(32)}`)],
      ['the inclusion proof is truncated', 'checkInclusion', (b) => b.log.inclusionProof.pop()],
      ['the leaf index is moved', 'checkInclusion', (b) => (b.log.leafIndex = 5)],
      ['the checkpoint root is swapped', 'checkInclusion', (b) => (b.checkpoint!.root = `0x${'cd'.repeat(32)}`)],
      ['the format is unknown', 'parseBundle', (b) => ((b as { format: string }).format = 'traceledger-proof-v2')],
    ];
    for (const [what, step, tamper] of tamperings) {
      it(`When ${what}, Then the script finds it invalid at ${step}`, async () => {
        const bundle = clone(await syntheticBundle());
        tamper(bundle);
        const out = await js.verifyBundle(bundle, { rpc: null });
        expect(out.verdict).to.equal('invalid');
        expect(out.steps.at(-1)).to.deep.include({ step, status: 'failed' });
      });
    }

    it('When the report names another batch, Then it is invalid at checkReportSubject', async () => {
      const out = await js.verifyBundle(await syntheticBundle(), { rpc: null, batchId: 'SOME-OTHER-BATCH' });
      expect(out.verdict).to.equal('invalid');
      expect(out.steps.at(-1)).to.deep.include({ step: 'checkReportSubject', status: 'failed' });
    });

    it('When there is no checkpoint yet, Then it is pending; when the server reports a revocation, Then it is revoked', async () => {
      const pending = clone(await syntheticBundle());
      pending.checkpoint = null;
      pending.log.leafIndex = null;
      pending.log.inclusionProof = [];
      expect((await js.verifyBundle(pending, { rpc: null })).verdict).to.equal('pending');
      const revoked = await js.verifyBundle(await syntheticBundle(), { rpc: null, revocation: { reasonCode: 2, revokedAt: '2026-01-01T00:00:00Z' } });
      expect(revoked.verdict).to.equal('revoked');
    });
  });
});
