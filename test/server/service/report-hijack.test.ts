/**
 * The attack "any lab can attach a report to any batch": a report counts on a batch only by consent (the
 * producer commissioned the lab) or by authority (a lab the regulator designated for official spot checks).
 * Real anvil node and store: ingest, the consumer view and the shared verifier.
 */
import { expect } from 'chai';
import { Wallet, parseEther } from 'ethers';
import { Registries } from '../../../server/chain/registry';
import { AppError } from '../../../server/errors';
import { revocationReasonNumber, signRecord, type LabCommission } from '../../../server/records';
import { bundleOf } from '../../../server/service/bundles';
import { verifyBatchForConsumer, verifyConsumerBundles } from '../../../server/service/consumer';
import type { ProofBundle } from '../../../server/verification/bundle';
import { verifyBatch } from '../../../server/verification/batch';
import { renderConsumerPage } from '../../../server/web/page';
import { anchorAll, bootConsumerSystem, submitBatch, submitReport, type ConsumerFixture } from '../../support/batches';
import { signedReport } from '../../support/records';
import { REGISTERED_SINCE, registerLab, registerProducer } from '../../support/system';

const STRANGER_CMA = '202727059999';
const SPOT_CMA = '110012345678';

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('report hijack: a report counts on a batch only by consent or authority (real anvil node)', function () {
  this.timeout(180_000);
  let f: ConsumerFixture;
  let stranger: { id: string; key: Wallet };

  before(async () => {
    f = await bootConsumerSystem();
    stranger = await registerLab(f.sys, STRANGER_CMA, Wallet.createRandom() as unknown as Wallet, undefined, { name: '某外地检测公司' });
  });
  after(async () => f?.sys.stop());

  const bundleOfId = async (id: string): Promise<ProofBundle> => bundleOf(f.sys.store, f.sys.deployment, (await f.sys.store.getRecord(id))!);
  const strangerReport = async (batchId: string, result = 0.35) => f.sys.ingest.submitSigned(await signedReport(f.sys, stranger.key, { batchId, result }));

  it('report hijack: a lab the producer did not commission is refused at ingest (403 lab-not-commissioned)', async () => {
    const batch = await submitBatch(f);
    const e = await refusal(strangerReport(batch.id));
    expect(e.code).to.equal('lab-not-commissioned');
    expect(e.status).to.equal(403);
    expect(e.message).to.match(/producer must commission the lab first/);
  });

  it('report hijack: a report for an unknown batch is refused (422 unknown-batch)', async () => {
    const e = await refusal(submitReport(f, 'NO-SUCH-BATCH-1'));
    expect(e.code).to.equal('unknown-batch');
    expect(e.status).to.equal(422);
  });

  it('report hijack: a commissioned lab (named on the batch / attached afterwards) is accepted', async () => {
    const named = await submitBatch(f, { commissionedLabs: [STRANGER_CMA] });
    expect((await strangerReport(named.id)).status).to.equal('accepted');

    const later = await submitBatch(f);
    const commission = await f.sys.ingest.submitCommissionForProducer(f.producerId, later.id, STRANGER_CMA);
    expect(commission).to.deep.include({ type: 'LabCommission', status: 'accepted', logId: 'products' });
    expect((await strangerReport(later.id)).status).to.equal('accepted');
    await anchorAll(f.sys);

    const view = await verifyBatchForConsumer(f.ctx, later.id);
    expect(view.bundles.commissions.map((b) => b.record.id)).to.deep.equal([commission.id]);
    const strangers = view.reports.filter((r) => r.lab?.cmaNumber === STRANGER_CMA);
    expect(strangers.map((r) => [r.basis, r.counted])).to.deep.equal([['commissioned', true]]);
    expect(view.verdict).to.equal('valid');
  });

  it('only the batch\'s producer can commission a lab for it (403), and only for a batch on record', async () => {
    const batch = await submitBatch(f);
    const other = await registerProducer(f.sys, '另一家茶厂', '91610924MA6YAB4K2D'.slice(0, 17) + 'X');
    const e = await refusal(f.sys.ingest.submitCommissionForProducer(other, batch.id, STRANGER_CMA));
    expect([e.code, e.status]).to.deep.equal(['forbidden', 403]);
    const unknown = await refusal(f.sys.ingest.submitCommissionForProducer(f.producerId, 'NO-SUCH-BATCH-2', STRANGER_CMA));
    expect(unknown.code).to.equal('unknown-batch');
  });

  it('report hijack: a stranger lab\'s contradicting below-range report, without the producer\'s commission, leaves the producer\'s lab\'s 富硒 claim', async () => {
    const batch = await submitBatch(f);
    const own = await submitReport(f, batch.id, { result: 0.35 });
    // The stranger's report is on record for this batch only through a commission that the page is not given:
    // without it, nothing ties the report to the producer.
    await f.sys.ingest.submitCommissionForProducer(f.producerId, batch.id, STRANGER_CMA);
    const hostile = await strangerReport(batch.id, 0.005);
    await anchorAll(f.sys);

    const clean = await verifyConsumerBundles(f.ctx, { batch: await bundleOfId(batch.id), reports: [await bundleOfId(own.id)] });
    const hijacked = await verifyConsumerBundles(f.ctx, { batch: await bundleOfId(batch.id), reports: [await bundleOfId(own.id), await bundleOfId(hostile.id)] });

    expect(hijacked.verdict).to.equal(clean.verdict);
    expect(hijacked.claim).to.deep.equal(clean.claim);
    expect(hijacked.claim).to.deep.include({ kind: 'selenium-rich', reportId: own.id });
    const h = hijacked.reports.find((r) => r.id === hostile.id)!;
    expect([h.basis, h.counted]).to.deep.equal([null, false]);
    expect(h.steps.find((s) => s.step === 'checkReportBasis')).to.deep.include({ status: 'skipped', code: 'reportNotCommissioned' });
    const html = renderConsumerPage(hijacked, { lang: 'zh', assets: { css: '/web/style.css', js: '/web/verify.js' }, selfPath: `/b/${batch.id}`, publicRpcUrl: undefined, trustRoot: { chainId: f.sys.deployment.chainId, traceLedger: f.sys.deployment.traceLedger } });
    expect(html).to.include('id="not-counted"');
    expect(html).not.to.include(`id="report-${hostile.id}"`);

    // Without a chain, a spot check cannot be established either: the report still does not count, and says why.
    const offline = await verifyBatch({ batch: await bundleOfId(batch.id), reports: [await bundleOfId(own.id), await bundleOfId(hostile.id)] });
    const o = offline.reports.find((r) => r.result.record?.id === hostile.id)!;
    expect(o.counted).to.equal(false);
    expect(o.result.steps.find((s) => s.step === 'checkReportBasis')?.code).to.equal('reportNotCommissionedNoChain');
    expect(offline.claim.kind).to.equal('selenium-rich');
  });

  it('report hijack: a revoked report by a lab the producer did not commission does not turn the page revoked', async () => {
    const batch = await submitBatch(f);
    const own = await submitReport(f, batch.id, { result: 0.35 });
    // As above, the stranger's report gets on record only through a commission the page is not given.
    const commission = await f.sys.ingest.submitCommissionForProducer(f.producerId, batch.id, STRANGER_CMA);
    const hostile = await strangerReport(batch.id, 0.35);
    await anchorAll(f.sys);
    // The stranger revokes its own (newer) report on chain, with its own funded key: a revocation nobody can block.
    await (await f.sys.operator.sendTransaction({ to: stranger.key.address, value: parseEther('1') })).wait();
    await new Registries(f.sys.deployment, stranger.key.connect(f.sys.provider)).revokeRecord(hostile.leafHash, revocationReasonNumber('issued-in-error'));
    await f.sys.mirror.sync();

    const reports = [await bundleOfId(own.id), await bundleOfId(hostile.id)];
    const hijacked = await verifyConsumerBundles(f.ctx, { batch: await bundleOfId(batch.id), reports });

    const h = hijacked.reports.find((r) => r.id === hostile.id)!;
    expect(h.verdict, 'the revocation itself is genuine').to.equal('revoked');
    expect([h.basis, h.counted]).to.deep.equal([null, false]);
    expect(hijacked.verdict).to.equal('valid');
    expect(hijacked.claim).to.deep.include({ kind: 'selenium-rich', tone: 'good', reportId: own.id });
    const html = renderConsumerPage(hijacked, { lang: 'zh', assets: { css: '/web/style.css', js: '/web/verify.js' }, selfPath: `/b/${batch.id}`, publicRpcUrl: undefined, trustRoot: { chainId: f.sys.deployment.chainId, traceLedger: f.sys.deployment.traceLedger } });
    expect(html).to.include('id="not-counted"');
    expect(html).not.to.include(`id="report-${hostile.id}"`);
    expect(html).not.to.include('报告已撤销');

    // With the producer's commission, the same revocation counts: the lab's newest report on the batch is revoked.
    const consented = await verifyConsumerBundles(f.ctx, { batch: await bundleOfId(batch.id), reports, commissions: [await bundleOfId(commission.id)] });
    expect(consented.reports.find((r) => r.id === hostile.id)).to.deep.include({ basis: 'commissioned', counted: true, verdict: 'revoked' });
    expect(consented.verdict).to.equal('revoked');
    expect(consented.claim).to.deep.include({ kind: 'report-revoked', reportId: hostile.id, reason: 'issued-in-error' });
  });

  it('report hijack: a commission bundle naming another batch, or not attested by the batch\'s attester, does not count', async () => {
    const batch = await submitBatch(f);
    const elsewhere = await submitBatch(f);
    const commission = await f.sys.ingest.submitCommissionForProducer(f.producerId, elsewhere.id, STRANGER_CMA);
    await f.sys.ingest.submitCommissionForProducer(f.producerId, batch.id, STRANGER_CMA);
    const hostile = await strangerReport(batch.id, 0.005);
    await anchorAll(f.sys);
    const batchBundle = await bundleOfId(batch.id);
    const wrongBatch = await verifyBatch({ batch: batchBundle, reports: [await bundleOfId(hostile.id)], commissions: [await bundleOfId(commission.id)] }, { chain: f.ctx.reader });
    expect(wrongBatch.commissions.map((c) => c.counted)).to.deep.equal([false]);
    expect(wrongBatch.reports[0]!.counted).to.equal(false);

    // A commission re-signed by another key (the stranger lab's): its signer is not the batch's attester.
    const own = (await f.sys.store.listRecords({ type: 'LabCommission', subject: batch.id }))[0]!;
    const binding = { chainId: f.sys.deployment.chainId, verifyingContract: f.sys.deployment.traceLedger };
    const signature = await signRecord(stranger.key, 'LabCommission', own.body as unknown as LabCommission, own.recordRoot, binding);
    const genuine = await bundleOfId(own.id);
    const resigned = { ...genuine, entry: { ...genuine.entry, signer: stranger.key.address.toLowerCase(), signature } };
    const out = await verifyBatch({ batch: batchBundle, reports: [await bundleOfId(hostile.id)], commissions: [resigned] }, { chain: f.ctx.reader });
    expect(out.commissions.map((c) => c.counted)).to.deep.equal([false]);
    expect(out.reports[0]!.counted).to.equal(false);
    expect(out.claim.kind).to.equal('no-report');
  });

  it('report hijack: a designated spot-check lab\'s report is accepted on any batch and shown as 监督抽检', async () => {
    const spot = await registerLab(f.sys, SPOT_CMA, Wallet.createRandom() as unknown as Wallet, undefined, { name: '陕西省产品质量监督检验研究院' });
    const now = Math.floor(Date.now() / 1000);
    await f.sys.registries.designateSpotCheckLab(spot.id, now - REGISTERED_SINCE, now + 86_400);
    await f.sys.mirror.sync();
    expect(await f.ctx.reader.spotCheckWindow(spot.id)).to.deep.equal({ from: now - REGISTERED_SINCE, until: now + 86_400 });

    const batch = await submitBatch(f);
    const ack = await f.sys.ingest.submitSigned(await signedReport(f.sys, spot.key, { batchId: batch.id, result: 0.005 }));
    await anchorAll(f.sys);

    const view = await verifyBatchForConsumer(f.ctx, batch.id);
    const r = view.reports.find((x) => x.id === ack.id)!;
    expect([r.basis, r.counted]).to.deep.equal(['spot-check', true]);
    expect(view.claim).to.deep.include({ kind: 'below-range', reportId: ack.id });
    const html = renderConsumerPage(view, { lang: 'zh', assets: { css: '/web/style.css', js: '/web/verify.js' }, selfPath: `/b/${batch.id}`, publicRpcUrl: undefined, trustRoot: { chainId: f.sys.deployment.chainId, traceLedger: f.sys.deployment.traceLedger } });
    expect(html).to.include('data-basis="spot-check"');
    expect(html).to.include('监督抽检');

    // The regulator ends the designation: the mirror follows, so ingest stops accepting the lab's reports without a commission.
    await f.sys.registries.endSpotCheckDesignation(spot.id);
    await f.sys.mirror.sync();
    const window = (await f.sys.store.getParticipant(spot.id))?.data.spotCheck as { from: number; until: number };
    expect(window.from).to.equal(now - REGISTERED_SINCE);
    expect(window.until).to.be.below(now + 86_400);
  });
});
