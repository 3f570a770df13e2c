/* checkNotRevoked: only the issuer's and the regulator's revocations count; a stranger's is never even read. */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { countingRevocation, NOT_REVOKED, REGULATOR_REVOKER_ID, type ChainReader, type OnChainRevocation } from '../../../server/verification/chain';
import { verifyBundle } from '../../../server/verification/verify';

const vector = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '../../vectors/bundles', `${name}.json`), 'utf8')) as { bundle: { checkpoint: { root: string }; record: { disclosures: { name: string; value: unknown }[] } } };

const ISSUER = `0x${'1a'.repeat(32)}`;
const STRANGER = `0x${'5e'.repeat(32)}`;
const PRODUCER_ID = `0x${'9d'.repeat(32)}`;
const at = (revokedAt: number, reasonCode = 1): OnChainRevocation => ({ revoked: true, reasonCode, revokedAt, revokedBy: '0x00000000000000000000000000000000000000b0' });

/**
 * A chain on which every signer is a registered key of the lab the report names (`ISSUER`, or no one for
 * `issuer: null`), every checkpoint is anchored, and `revocations` holds each party's revocation.
 */
function fakeChain(opts: { root: string; cma: string; issuer: string | null; revocations: Record<string, OnChainRevocation> }): ChainReader & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    chainId: async () => 31337,
    rootAt: async () => opts.root,
    isValidSigner: async () => opts.issuer !== null,
    isAnchorer: async () => true,
    // The vectors' batches carry the GTIN of the world's producer, which holds it.
    productKeyOwner: async () => PRODUCER_ID,
    participantOf: async () => opts.issuer,
    participant: async (id) => id === PRODUCER_ID ? { id, kind: 'producer', name: '紫阳县富硒茶业有限公司', code: '91610924MA6YAB3K2L', registeredAt: 1, revokedAt: 0, accreditedFrom: 0, accreditedUntil: 0 } : ({ id, kind: 'lab', name: '安康市富硒产品质量检验检测中心', code: opts.cma, registeredAt: 1, revokedAt: 0, accreditedFrom: 1, accreditedUntil: Date.parse('2028-05-31T00:00:00Z') / 1000 }), // as the report fixture states its lab
    revocationBy: async (_leafHash, revokerId) => {
      asked.push(revokerId);
      return opts.revocations[revokerId] ?? NOT_REVOKED;
    },
    spotCheckWindow: async () => null,
  };
}

describe('server/verification checkNotRevoked: recalls that cannot be blocked or faked', () => {
  describe('countingRevocation', () => {
    it('When nobody who counts revoked, Then there is none', () => {
      expect(countingRevocation(null, undefined)).to.equal(null);
    });

    it('When only the issuer or only the regulator revoked, Then that one counts', () => {
      expect(countingRevocation(at(5), null)).to.deep.equal({ by: 'issuer', revocation: at(5) });
      expect(countingRevocation(null, at(7))).to.deep.equal({ by: 'regulator', revocation: at(7) });
    });

    it('When both revoked, Then the earliest counts, and the regulator on a tie', () => {
      expect(countingRevocation(at(5), at(7))?.by).to.equal('issuer');
      expect(countingRevocation(at(9), at(7))?.by).to.equal('regulator');
      expect(countingRevocation(at(7), at(7))?.by).to.equal('regulator');
    });
  });

  describe('verifyBundle', () => {
    const report = vector('valid-report').bundle;
    const cma = (report.record.disclosures.find((d) => d.name === 'lab')!.value as { cmaNumber: string }).cmaNumber;
    const root = report.checkpoint.root;

    it("When a stranger lab revoked a report, Then it is valid and the stranger's revocation is never read", async () => {
      const chain = fakeChain({ root, cma, issuer: ISSUER, revocations: { [STRANGER]: at(5, 4) } });

      const r = await verifyBundle(report, { chain });

      expect(r.verdict, JSON.stringify(r.steps)).to.equal('valid');
      expect(r.revocation).to.equal(null);
      expect([...chain.asked].sort()).to.deep.equal([REGULATOR_REVOKER_ID, ISSUER].sort());
    });

    it("When the issuer recalls it after a stranger's revocation, Then it is revoked at checkNotRevoked, with the issuer's reason", async () => {
      const chain = fakeChain({ root, cma, issuer: ISSUER, revocations: { [STRANGER]: at(5, 4), [ISSUER]: at(1_760_000_000, 3) } });

      const r = await verifyBundle(report, { chain });

      expect(r.verdict).to.equal('revoked');
      expect(r.failedStep).to.equal('checkNotRevoked');
      expect(r.revocation).to.include({ reasonCode: 3, revokedAt: '2025-10-09T08:53:20Z', source: 'chain' });
      expect(r.steps.find((s) => s.step === 'checkNotRevoked')?.params).to.include({ by: 'lab' });
    });

    it('When the issuer and then the regulator recalled it, Then the earliest (the issuer) is reported', async () => {
      const chain = fakeChain({ root, cma, issuer: ISSUER, revocations: { [ISSUER]: at(100, 3), [REGULATOR_REVOKER_ID]: at(200, 2) } });

      const r = await verifyBundle(report, { chain });

      expect(r.verdict).to.equal('revoked');
      expect(r.revocation?.reasonCode).to.equal(3);
    });

    it("When the signer belongs to no participant (the operator's batch), Then only the regulator's revocation is read", async () => {
      const batch = vector('valid-batch').bundle;
      const chain = fakeChain({ root: batch.checkpoint.root, cma, issuer: null, revocations: { [REGULATOR_REVOKER_ID]: at(100, 5) } });

      const r = await verifyBundle(batch, { chain });

      expect(r.verdict, JSON.stringify(r.steps)).to.equal('revoked');
      expect(r.steps.find((s) => s.step === 'checkNotRevoked')?.params).to.include({ by: 'regulator' });
      expect(chain.asked).to.deep.equal([REGULATOR_REVOKER_ID]);
    });
  });
});
