/*
 * checkProductOwner against a real chain (anvil): a batch's GTIN must be covered by a product key the registrar
 * assigned on chain to the producer the batch names. The server's ethers reader and the JSON-RPC reader the
 * browser and the CLI use must agree on who owns a GTIN.
 */
import { expect } from 'chai';
import { RpcChainReader } from '../../../server/chain/reader';
import { gs1CheckDigit } from '../../../server/records/identifiers';
import { buildBundle } from '../../../server/service/bundles';
import { JsonRpcChainReader, encodeStringArgument } from '../../../server/verification/json-rpc';
import { verifyBundle, type VerificationResult } from '../../../server/verification/verify';
import { anchorAll, bootConsumerSystem, GTIN14, submitBatch, type ConsumerFixture } from '../../support/batches';
import { registerProducer } from '../../support/system';
import { uscc } from '../http/helpers';

const RIVAL = { name: '平利县富硒茶厂', uscc: uscc('91610926MA6YAB3K2') };
/** A GTIN-14 with a valid check digit from its first 13 digits. */
const gtin14 = (first13: string): string => first13 + gs1CheckDigit(first13);

const step = (r: VerificationResult, name: string) => r.steps.find((s) => s.step === name);

describe('server/verification checkProductOwner: label hijack (real anvil node)', function () {
  this.timeout(120_000);
  let f: ConsumerFixture;
  let rivalId: string;
  let ethersReader: RpcChainReader;
  let rpcReader: JsonRpcChainReader;
  const RIVAL_GTIN = gtin14('0690555500001');

  before(async () => {
    f = await bootConsumerSystem();
    // The rival holds one full GTIN-14 of its own; the fixture producer holds 6901234 (and 6972345).
    rivalId = await registerProducer(f.sys, RIVAL.name, RIVAL.uscc, [RIVAL_GTIN]);
    ethersReader = new RpcChainReader(f.sys.provider, f.sys.deployment);
    rpcReader = JsonRpcChainReader.fromUrl(f.sys.rpcUrl, { traceLedger: f.sys.deployment.traceLedger });
  });
  after(async () => f?.sys.stop());

  it('When a string argument is ABI-encoded, Then it is its offset, its length and its bytes padded to a word', () => {
    expect(encodeStringArgument('06901234567892')).to.equal(`${'0'.repeat(62)}20${'0'.repeat(63)}e${Buffer.from('06901234567892').toString('hex').padEnd(64, '0')}`);
    expect(encodeStringArgument('')).to.equal(`${'0'.repeat(62)}20${'0'.repeat(64)}`);
    expect(encodeStringArgument('x'.repeat(33))).to.have.length(64 * 4);
  });

  it('label hijack: When asked who owns a GTIN (prefix-covered, a full-GTIN key, uncovered, not 14 digits), Then the JSON-RPC reader and the ethers reader agree', async () => {
    const cases: [string, string | null][] = [
      [GTIN14, f.producerId],
      [gtin14('1690123400000'), f.producerId],
      [RIVAL_GTIN, rivalId],
      [gtin14('1690555500001'), null],
      [gtin14('0690999900001'), null],
      ['6901234567892', null],
      ['0690123456789X', null],
    ];
    for (const [gtin, want] of cases) {
      expect(await ethersReader.productKeyOwner(gtin), `ethers ${gtin}`).to.equal(want);
      expect(await rpcReader.productKeyOwner(gtin), `json-rpc ${gtin}`).to.equal(want);
    }
  });

  it("label hijack: When a batch's GTIN is its producer's, Then checkProductOwner passes with either reader; without a GTIN it is skipped, not failed", async () => {
    const own = await submitBatch(f);
    const noGtin = await submitBatch(f, { gtin: undefined });
    await anchorAll(f.sys);
    for (const chain of [ethersReader, rpcReader]) {
      const ok = await verifyBundle(await buildBundle(f.sys.store, f.sys.deployment, own.id), { chain });
      expect(ok.verdict, JSON.stringify(ok.steps)).to.equal('valid');
      expect(step(ok, 'checkProductOwner')).to.include({ status: 'passed', code: 'gtinOwnerOk' });

      const bare = await verifyBundle(await buildBundle(f.sys.store, f.sys.deployment, noGtin.id), { chain });
      expect(bare.verdict, JSON.stringify(bare.steps)).to.equal('valid');
      expect(step(bare, 'checkProductOwner')).to.include({ status: 'skipped', code: 'noGtin' });
    }
    const offline = await verifyBundle(await buildBundle(f.sys.store, f.sys.deployment, own.id));
    expect(step(offline, 'checkProductOwner')).to.include({ status: 'skipped', code: 'noChainEndpoint' });
  });

  it("label hijack: When a server whose mirror lies accepts a rival's batches under the victim's GTIN or an unassigned one, Then every verifier reading the chain fails them at checkProductOwner", async () => {
    // The server's mirror is made to say the rival holds 6901234 and 6909999: ingest (which trusts its mirror) lets the batches in.
    await f.sys.store.upsertProductKey({ key: '6901234', producerId: rivalId });
    await f.sys.store.upsertProductKey({ key: '6909999', producerId: rivalId });
    const asRival = { ...f, producerId: rivalId };
    const rivalBatch = { producer: { uscc: RIVAL.uscc, name: RIVAL.name }, certificate: undefined, certificateIssuer: undefined };
    const hijack = await submitBatch(asRival, { ...rivalBatch, id: `${RIVAL.uscc}-HIJACK-${Date.now()}` });
    const unassigned = await submitBatch(asRival, { ...rivalBatch, id: `${RIVAL.uscc}-UNASSIGNED-${Date.now()}`, gtin: gtin14('0690999900001') });
    await f.sys.store.upsertProductKey({ key: '6901234', producerId: f.producerId });
    await anchorAll(f.sys);
    const victimCode = (await f.sys.store.getParticipant(f.producerId))!.code;
    for (const chain of [ethersReader, rpcReader]) {
      const r = await verifyBundle(await buildBundle(f.sys.store, f.sys.deployment, hijack.id), { chain });
      expect(r.verdict).to.equal('invalid');
      expect(r.failedStep).to.equal('checkProductOwner');
      expect(step(r, 'checkProductOwner')).to.include({
        code: 'gtinOtherProducer',
        message: `GTIN ${GTIN14} belongs to 紫阳县富硒茶业有限公司 (${victimCode}), not to the producer named on this batch ${RIVAL.uscc}.`,
      });

      const u = await verifyBundle(await buildBundle(f.sys.store, f.sys.deployment, unassigned.id), { chain });
      expect(u.failedStep).to.equal('checkProductOwner');
      expect(step(u, 'checkProductOwner')).to.include({ code: 'gtinNotRegistered', message: `GTIN ${gtin14('0690999900001')} is not registered to any producer.` });
    }
  });
});
