import { expect } from 'chai';
import { parseEther, type Wallet } from 'ethers';
import { RpcChainReader } from '../../../server/chain/reader';
import { Registries } from '../../../server/chain/registry';
import { revocationReasonNumber } from '../../../server/records';
import { bundleOf } from '../../../server/service/bundles';
import {
  computeConsumerView,
  findBatchIdByDigitalLink,
  verifyBatchForConsumer,
  verifyConsumerBundles,
  worst,
} from '../../../server/service/consumer';
import { revocationOfRecord, revokeRecord } from '../../../server/service/revocations';
import type { ProofBundle } from '../../../server/verification/bundle';
import { JsonRpcChainReader } from '../../../server/verification/json-rpc';
import { verifyBundle, type Verdict } from '../../../server/verification/verify';
import { anchorAll, bootConsumerSystem, DEFAULT_LAB_CMA, GTIN14, submitBatch, submitReport, type ConsumerFixture } from '../../support/batches';
import { registerLab } from '../../support/system';
import type { SqliteStore } from '../../../server/store/sqlite';
import { createApp } from '../../../server/http/app';
import request from 'supertest';

/** Values of private fields in the fixtures (certificateIssuer, client, sampling, signatories). */
const PRIVATE_VALUES = ['张伟', '+86 915 4321 000', '0915-4321000', '陕西省安康市紫阳县城关镇茶园路8号', '李娜', 'GB/T 8302 取样', '王芳', '陈强', '刘洋'];
const PRIVATE_NAMES = ['certificateIssuer', 'client', 'sampling', 'signatories'];

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('server/service/consumer (real anvil node)', function () {
  this.timeout(180_000);
  let f: ConsumerFixture;

  before(async () => {
    f = await bootConsumerSystem();
  });
  after(async () => f?.sys.stop());

  async function bundles(batchId: string, reportIds: string[]): Promise<{ batch: ProofBundle; reports: ProofBundle[] }> {
    const get = async (id: string) => bundleOf(f.sys.store, f.sys.deployment, (await f.sys.store.getRecord(id))!);
    return { batch: await get(batchId), reports: await Promise.all(reportIds.map(get)) };
  }

  it('When a batch and its report are anchored, Then the consumer view is valid, with the tier, the lab and the anchor', async () => {
    const batch = await submitBatch(f);
    const report = await submitReport(f, batch.id);
    await anchorAll(f.sys);

    const view = await verifyBatchForConsumer(f.ctx, batch.id);

    expect(view.verdict, JSON.stringify(view.steps)).to.equal('valid');
    expect(view.claim).to.deep.include({ kind: 'selenium-rich', tone: 'good', reportId: report.id });
    expect(view.claim.standard?.code).to.equal('NY/T 600-2002');
    expect(view.steps.map((s) => s.step)).to.include.members(['checkFieldDisclosures', 'checkInclusion', 'checkCheckpointOnChain', 'checkSigner', 'checkNotRevoked']);
    expect(view.batch.id).to.equal(batch.id);
    expect(view.batch.lot).to.equal(batch.lot);
    expect(view.anchor?.blockNumber).to.be.a('number');
    expect(view.anchor?.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(view.reports).to.have.length(1);
    const r = view.reports[0]!;
    expect(r.id).to.equal(report.id);
    expect(r.verdict, JSON.stringify(r.steps)).to.equal('valid');
    expect(r.classification?.tier).to.equal('selenium-rich');
    expect(r.classification?.standard?.code).to.equal('NY/T 600-2002');
    expect(r.lab).to.deep.include({ cmaNumber: '202727050123', registeredName: '安康市富硒产品质量检验检测中心' });
    expect(r.steps.find((s) => s.step === 'checkReportSubject')?.status).to.equal('passed');
    expect(r.steps.find((s) => s.step === 'checkLabIdentity')?.status).to.equal('passed');
    expect(r.linkedBy).to.deep.equal(['report']);
    expect(view.links.page).to.equal(`${f.ctx.publicBaseUrl}/01/${GTIN14}/10/${batch.lot}`);
    expect(view.links.bundles.reports[report.id]).to.equal(`${f.ctx.publicBaseUrl}/api/v1/records/${report.id}/bundle`);
    expect(view.bundles.reports).to.have.length(1);
  });

  it('When a batch is looked up by its Digital Link (GTIN-14 and lot), Then its id is found; an unknown lot is not-found', async () => {
    const batch = await submitBatch(f);
    expect(await findBatchIdByDigitalLink(f.ctx, { gtin14: GTIN14, lot: batch.lot })).to.equal(batch.id);
    let code: string | undefined;
    await findBatchIdByDigitalLink(f.ctx, { gtin14: GTIN14, lot: 'NO-SUCH-LOT' }).catch((e: { code: string }) => (code = e.code));
    expect(code).to.equal('not-found');
  });

  it('When the batch is accepted but not yet anchored, Then the verdict is pending; once anchored, the cached view turns valid', async () => {
    const batch = await submitBatch(f);
    await submitReport(f, batch.id);

    const before = await verifyBatchForConsumer(f.ctx, batch.id);
    expect(before.verdict).to.equal('pending');
    expect(before.anchor).to.equal(null);
    expect(before.steps.find((s) => s.step === 'checkInclusion')?.status).to.equal('pending');

    await anchorAll(f.sys);
    const after = await verifyBatchForConsumer(f.ctx, batch.id);
    expect(after.verdict, JSON.stringify(after.steps)).to.equal('valid');
  });

  it('When the regulator revokes the report, Then the view is revoked with the reason and date', async () => {
    const batch = await submitBatch(f);
    const report = await submitReport(f, batch.id);
    await anchorAll(f.sys);
    expect((await verifyBatchForConsumer(f.ctx, batch.id)).verdict).to.equal('valid'); // cached now

    await f.sys.registries.revokeRecord(report.leafHash, revocationReasonNumber('sample-mismatch'));
    await f.sys.mirror.sync();
    const view = await verifyBatchForConsumer(f.ctx, batch.id);

    expect(view.verdict).to.equal('revoked');
    expect(view.claim).to.deep.include({ kind: 'report-revoked', tone: 'bad', reportId: report.id, reason: 'sample-mismatch' });
    const r = view.reports[0]!;
    expect(r.verdict).to.equal('revoked');
    expect(r.revocation?.reason).to.equal('sample-mismatch');
    expect(Date.parse(r.revocation!.revokedAt)).to.be.closeTo(Date.now(), 10 * 60_000);
    expect(view.batchVerdict).to.equal('valid');
  });

  it('When the regulator recalls the batch itself, Then the view is revoked with the batch revocation', async () => {
    const batch = await submitBatch(f);
    await anchorAll(f.sys);
    await f.sys.registries.revokeRecord(batch.leafHash, revocationReasonNumber('product-recall'));
    await f.sys.mirror.sync();

    const view = await verifyBatchForConsumer(f.ctx, batch.id);

    expect(view.verdict).to.equal('revoked');
    expect(view.batchVerdict).to.equal('revoked');
    expect(view.revocation?.reason).to.equal('product-recall');
    expect(view.claim).to.deep.include({ kind: 'batch-revoked', tone: 'bad', reason: 'product-recall' });
  });

  it('When the issuing lab revokes its own report with its key, Then the view is revoked', async () => {
    const batch = await submitBatch(f);
    const report = await submitReport(f, batch.id);
    await anchorAll(f.sys);
    const labSigner = f.lab.key.connect(f.sys.provider);
    await (await f.sys.operator.sendTransaction({ to: f.lab.key.address, value: parseEther('1') })).wait();

    await new Registries(f.sys.deployment, labSigner).revokeRecord(report.leafHash, revocationReasonNumber('issued-in-error'));
    await f.sys.mirror.sync();
    const view = await verifyBatchForConsumer(f.ctx, batch.id);

    expect(view.verdict).to.equal('revoked');
    expect(view.reports[0]!.revocation?.reason).to.equal('issued-in-error');
  });

  describe('recalls that cannot be blocked or faked', () => {
    /** A lab that did not issue the reports below, with a funded key. */
    let stranger: Wallet;
    before(async () => {
      stranger = (await registerLab(f.sys, '202761070456')).key;
      await (await f.sys.operator.sendTransaction({ to: f.lab.key.address, value: parseEther('1') })).wait();
      await (await f.sys.operator.sendTransaction({ to: stranger.address, value: parseEther('1') })).wait();
    });

    const revokeAs = async (key: Wallet, leafHash: string, reason: Parameters<typeof revocationReasonNumber>[0]) => {
      await new Registries(f.sys.deployment, key.connect(f.sys.provider)).revokeRecord(leafHash, revocationReasonNumber(reason));
      await f.sys.mirror.sync();
    };

    /** The report's verdict through the ethers reader (the server) and the plain JSON-RPC reader (the CLI and the browser). */
    async function verdictsOnChain(recordId: string): Promise<Verdict[]> {
      const bundle = await bundleOf(f.sys.store, f.sys.deployment, (await f.sys.store.getRecord(recordId))!);
      const ethersReader = RpcChainReader.fromUrl(f.sys.rpcUrl, f.sys.deployment);
      try {
        return [(await verifyBundle(bundle, { chain: ethersReader })).verdict, (await verifyBundle(bundle, { chain: JsonRpcChainReader.fromUrl(f.sys.rpcUrl, f.sys.deployment) })).verdict];
      } finally {
        ethersReader.destroy();
      }
    }

    it("When a stranger lab revokes a report, Then it stays valid everywhere; when the issuing lab then recalls it, Then it turns revoked with the issuer's reason", async () => {
      const batch = await submitBatch(f);
      const report = await submitReport(f, batch.id);
      await anchorAll(f.sys);
      expect((await verifyBatchForConsumer(f.ctx, batch.id)).verdict).to.equal('valid'); // cached now

      await revokeAs(stranger, report.leafHash, 'fraud-suspected');

      const faked = await verifyBatchForConsumer(f.ctx, batch.id);
      expect(faked.verdict, JSON.stringify(faked.reports[0]?.steps)).to.equal('valid');
      expect(faked.reports[0]!.revocation).to.equal(null);
      expect(faked.reports[0]!.steps.find((s) => s.step === 'checkNotRevoked')).to.include({ status: 'passed', code: 'notRevoked' });
      expect(await verdictsOnChain(report.id)).to.deep.equal(['valid', 'valid']);
      let code: string | undefined;
      await revocationOfRecord(f.sys.store, report.id).catch((e: { code: string }) => (code = e.code));
      expect(code, 'GET /revocations/:id of a stranger-only revocation').to.equal('not-found');

      await revokeAs(f.lab.key, report.leafHash, 'issued-in-error');

      const recalled = await verifyBatchForConsumer(f.ctx, batch.id);
      expect(recalled.verdict).to.equal('revoked');
      expect(recalled.reports[0]!.revocation).to.include({ reason: 'issued-in-error', revokedBy: f.lab.key.address, source: 'chain' });
      expect(recalled.reports[0]!.steps.find((s) => s.step === 'checkNotRevoked')?.params).to.include({ by: 'lab', reason: 'issued-in-error' });
      expect(await verdictsOnChain(report.id)).to.deep.equal(['revoked', 'revoked']);
      expect(await revocationOfRecord(f.sys.store, report.id)).to.deep.include({ by: 'issuer', reason: 'issued-in-error', participantId: f.lab.id });
    });

    it('When a stranger lab revokes a report first, Then the regulator still recalls it through the service and the view turns revoked', async () => {
      const batch = await submitBatch(f);
      const report = await submitReport(f, batch.id);
      await anchorAll(f.sys);
      await revokeAs(stranger, report.leafHash, 'fraud-suspected');

      const view = await revokeRecord(f.sys, { recordId: report.id, reason: 'sample-mismatch' });

      expect(view).to.deep.include({ by: 'regulator', reason: 'sample-mismatch', participantId: null });
      expect(view.revocations.map((r) => r.by)).to.deep.equal(['regulator']);
      const after = await verifyBatchForConsumer(f.ctx, batch.id);
      expect(after.verdict).to.equal('revoked');
      expect(after.reports[0]!.revocation?.reason).to.equal('sample-mismatch');
      expect(await verdictsOnChain(report.id)).to.deep.equal(['revoked', 'revoked']);
    });

    it("When the issuing lab recalled a report, Then the regulator's later recall is still accepted; the earliest one is shown, both are listed, and a second one by the regulator is a conflict", async () => {
      const batch = await submitBatch(f);
      const report = await submitReport(f, batch.id);
      await anchorAll(f.sys);
      await revokeAs(f.lab.key, report.leafHash, 'issued-in-error');
      await f.sys.provider.send('evm_increaseTime', [2]); // a later block time (on a tie, the regulator's is shown)

      const view = await revokeRecord(f.sys, { recordId: report.id, reason: 'sample-mismatch' });

      expect(view).to.deep.include({ by: 'issuer', reason: 'issued-in-error' });
      expect(view.revocations.map((r) => [r.by, r.reason])).to.deep.equal([
        ['issuer', 'issued-in-error'],
        ['regulator', 'sample-mismatch'],
      ]);
      expect((await verifyBatchForConsumer(f.ctx, batch.id)).reports[0]!.revocation?.reason).to.equal('issued-in-error');
      let code: string | undefined;
      await revokeRecord(f.sys, { recordId: report.id, reason: 'other' }).catch((e: { code: string }) => (code = e.code));
      expect(code).to.equal('conflict');
    });

    it("When a lab revokes a batch (the operator's record, issued by no lab), Then it does not count: the batch stays valid", async () => {
      const batch = await submitBatch(f);
      await anchorAll(f.sys);

      await revokeAs(f.lab.key, batch.leafHash, 'product-recall');

      const view = await verifyBatchForConsumer(f.ctx, batch.id);
      expect(view.batchVerdict).to.equal('valid');
      expect(view.revocation).to.equal(null);
    });
  });

  it('When a report bundle is tampered with (a disclosed result changed), Then the view is invalid at checkFieldDisclosures', async () => {
    const batch = await submitBatch(f);
    const report = await submitReport(f, batch.id);
    await anchorAll(f.sys);
    const b = await bundles(batch.id, [report.id]);
    const tampered = clone(b);
    const result = tampered.reports[0]!.record.disclosures.find((d) => d.name === 'result')!;
    result.value = 0.9;

    const view = await verifyConsumerBundles(f.ctx, tampered);

    expect(view.verdict).to.equal('invalid');
    expect(view.reports[0]!.verdict).to.equal('invalid');
    expect(view.reports[0]!.failedStep).to.equal('checkFieldDisclosures');
    expect(view.reports[0]!.classification).to.equal(null);
    expect(view.batchVerdict).to.equal('valid');
  });

  it('When the batch bundle has a forged inclusion proof, Then the view is invalid at checkInclusion', async () => {
    const batch = await submitBatch(f);
    await anchorAll(f.sys);
    const tampered = clone(await bundles(batch.id, []));
    tampered.batch.log.inclusionProof.push(`0x${'11'.repeat(32)}`);

    const view = await verifyConsumerBundles(f.ctx, tampered);

    expect(view.verdict).to.equal('invalid');
    expect(view.failedStep).to.equal('checkInclusion');
  });

  it('When a batch lists a report the lab signed for another batch, Then that report is invalid at checkReportSubject', async () => {
    const other = await submitBatch(f);
    const report = await submitReport(f, other.id);
    const batch = await submitBatch(f, { reportIds: [report.id] });
    await anchorAll(f.sys);

    const view = await computeConsumerView(f.ctx, batch.id);

    expect(view.verdict).to.equal('invalid');
    expect(view.reports[0]!.failedStep).to.equal('checkReportSubject');
    expect(view.reports[0]!.linkedBy).to.deep.equal(['batch']);
  });

  describe('stored-data faults: every fault in the stored data yields a verdict, never a 500', () => {
    // Its own system: deleting a record leaves a hole in the log, which the other tests must not see.
    let f: ConsumerFixture;
    before(async () => {
      f = await bootConsumerSystem();
    });
    after(async () => f?.sys.stop());
    const db = () => (f.sys.store as SqliteStore).db;
    /** The consumer route's JSON, over HTTP. */
    const viewJson = (batchId: string) => request(createApp(f.ctx)).get(`/b/${encodeURIComponent(batchId)}?format=json`);
    const bundleJson = (id: string) => request(createApp(f.ctx)).get(`/api/v1/records/${encodeURIComponent(id)}/bundle`);
    const setSalt = (id: string, field: string, salt: string) => db().prepare("UPDATE records SET salts = json_set(salts, '$.' || ?, ?) WHERE id = ?").run(field, salt, id);
    const deleteRecord = (id: string) =>
      db().transaction(() => {
        db().prepare('DELETE FROM log_leaves WHERE record_id = ?').run(id);
        db().prepare('DELETE FROM records WHERE id = ?').run(id);
      })();
    let n = 0;
    const reportId = () => `${DEFAULT_LAB_CMA}-RPT-LOST-${Date.now()}-${++n}`;

    it('stored-data fault (none): a listed report that never arrived stays pending while the log has no hole', async () => {
      const batch = await submitBatch(f, { reportIds: [reportId()] });
      await anchorAll(f.sys);

      const view = await computeConsumerView(f.ctx, batch.id);

      expect(view.verdict).to.equal('pending');
      expect(view.lostRecords).to.deep.equal([]);
      expect(await f.sys.store.firstLostLeaf('products', (await f.sys.store.logHead('products')).size)).to.equal(null);
    });

    it('stored-data fault: a malformed salt of a report gives an invalid verdict at checkFieldDisclosures naming the field, never 500', async () => {
      const batch = await submitBatch(f);
      const report = await submitReport(f, batch.id);
      await anchorAll(f.sys);
      setSalt(report.id, 'result', 'not-a-salt');

      const view = await computeConsumerView(f.ctx, batch.id);

      expect(view.verdict).to.equal('invalid');
      expect(view.claim.kind).to.equal('invalid');
      expect(view.batchVerdict).to.equal('valid');
      const r = view.reports.find((x) => x.id === report.id)!;
      expect(r.verdict).to.equal('invalid');
      expect(r.failedStep).to.equal('checkFieldDisclosures');
      const step = r.steps.find((s) => s.step === 'checkFieldDisclosures')!;
      expect(step.code).to.equal('disclosureMalformed');
      expect(step.params.field).to.equal('result');

      const http = await viewJson(batch.id).expect(200);
      expect(http.body.verdict).to.equal('invalid');
      expect(http.body.reports.find((x: { id: string }) => x.id === report.id).failedStep).to.equal('checkFieldDisclosures');
      const bundle = await bundleJson(report.id).expect(200);
      const alone = await verifyBundle(bundle.body, { chain: f.ctx.reader });
      expect(alone.verdict).to.equal('invalid');
      expect(alone.failedStep).to.equal('checkFieldDisclosures');
    });

    it("stored-data fault: a salt changed to another valid salt, or one of a hidden field malformed, gives invalid at checkFieldDisclosures", async () => {
      const batch = await submitBatch(f);
      const changed = await submitReport(f, batch.id);
      const hidden = await submitReport(f, batch.id);
      await anchorAll(f.sys);
      setSalt(changed.id, 'result', '0'.repeat(31) + '1');
      setSalt(hidden.id, 'client', 'XYZ');

      const view = await computeConsumerView(f.ctx, batch.id);

      for (const id of [changed.id, hidden.id]) {
        const r = view.reports.find((x) => x.id === id)!;
        expect(r.verdict, id).to.equal('invalid');
        expect(r.failedStep, id).to.equal('checkFieldDisclosures');
      }
      expect(view.verdict).to.equal('invalid');
    });

    it('stored-data fault: a malformed salt of the batch itself gives the batch invalid at checkFieldDisclosures', async () => {
      const batch = await submitBatch(f);
      await anchorAll(f.sys);
      setSalt(batch.id, 'lot', 'zz');

      const view = await computeConsumerView(f.ctx, batch.id);

      expect(view.verdict).to.equal('invalid');
      expect(view.batchVerdict).to.equal('invalid');
      expect(view.failedStep).to.equal('checkFieldDisclosures');
    });

    it('stored-data fault: a report body that no longer parses makes the view invalid, naming the report, never 500', async () => {
      const batch = await submitBatch(f);
      const report = await submitReport(f, batch.id);
      await anchorAll(f.sys);
      db().prepare('UPDATE records SET body = ? WHERE id = ?').run('{"broken', report.id);

      const view = await computeConsumerView(f.ctx, batch.id);

      expect(view.verdict).to.equal('invalid');
      expect(view.claim.kind).to.equal('invalid');
      expect(view.lostRecords.map((r) => r.id)).to.deep.equal([report.id]);
      expect(view.lostRecords[0]!.reason).to.contain(report.id).and.to.contain('body is not a JSON object');
      expect(view.missingReportIds).to.deep.equal([]);

      const http = await viewJson(batch.id).expect(200);
      expect(http.body.verdict).to.equal('invalid');
      expect(http.body.lostRecords.map((r: { id: string }) => r.id)).to.deep.equal([report.id]);
      const bundle = await bundleJson(report.id).expect(422);
      expect(bundle.body.error.code).to.equal('stored-data-fault');
      expect(bundle.body.error.message).to.contain(report.id);
    });

    it("stored-data fault: a batch whose body no longer parses is answered 'stored-data-fault' naming it (no bundle can be built), not internal", async () => {
      const batch = await submitBatch(f);
      await anchorAll(f.sys);
      db().prepare('UPDATE records SET salts = ? WHERE id = ?').run('[not json', batch.id);

      const err = await computeConsumerView(f.ctx, batch.id).then(
        () => null,
        (e: { code: string; message: string }) => e,
      );

      expect(err?.code).to.equal('stored-data-fault');
      expect(err?.message).to.contain(batch.id).and.to.contain('salts');
      const http = await viewJson(batch.id).expect(422);
      expect(http.body.error.code).to.equal('stored-data-fault');
      expect(http.body.error.message).to.contain(batch.id);
    });

    it('stored-data fault: a deleted report the batch lists, accepted and anchored, is invalid (a hole in the log), not pending', async () => {
      const id = reportId();
      const batch = await submitBatch(f, { reportIds: [id] });
      await submitReport(f, batch.id, { id });
      await anchorAll(f.sys);
      expect((await computeConsumerView(f.ctx, batch.id)).verdict).to.equal('valid');
      deleteRecord(id);

      const view = await computeConsumerView(f.ctx, batch.id);

      expect(view.verdict).to.equal('invalid');
      expect(view.claim.kind).to.equal('invalid');
      expect(view.missingReportIds).to.deep.equal([]);
      expect(view.lostRecords.map((r) => r.id)).to.deep.equal([id]);
      expect(view.lostRecords[0]!.reason).to.contain(id).and.to.match(/lost the record at leaf \d+/);
      const http = await viewJson(batch.id).expect(200);
      expect(http.body.verdict).to.equal('invalid');
      expect(http.body.lostRecords[0].id).to.equal(id);
      const page = await request(createApp(f.ctx)).get(`/b/${encodeURIComponent(batch.id)}?lang=en`).expect(200);
      expect(page.text).to.contain('id="lost-records"').and.to.contain(id);
    });

  });

  it('When a batch lists a report that is not on record, Then the view is pending and names it', async () => {
    const batch = await submitBatch(f, { reportIds: ['RPT-NOT-YET-SENT'] });
    await anchorAll(f.sys);

    const view = await verifyBatchForConsumer(f.ctx, batch.id);

    expect(view.verdict).to.equal('pending');
    expect(view.batchVerdict).to.equal('valid');
    expect(view.missingReportIds).to.deep.equal(['RPT-NOT-YET-SENT']);
  });

  it('When the view is serialised, Then no private field name or value appears in it', async () => {
    const batch = await submitBatch(f);
    await submitReport(f, batch.id);
    await anchorAll(f.sys);

    const json = JSON.stringify(await verifyBatchForConsumer(f.ctx, batch.id));

    for (const v of PRIVATE_VALUES) expect(json, v).not.to.contain(v);
    for (const n of PRIVATE_NAMES) expect(json, n).not.to.contain(`"${n}"`);
  });

  it('When an unknown batch id is asked for, Then it is not-found', async () => {
    let code: string | undefined;
    await verifyBatchForConsumer(f.ctx, 'NO-SUCH-BATCH').catch((e: { code: string }) => (code = e.code));
    expect(code).to.equal('not-found');
  });

  it('When verdicts combine, Then invalid beats revoked beats pending beats valid', () => {
    expect(worst(['valid', 'pending', 'revoked'])).to.equal('revoked');
    expect(worst(['revoked', 'invalid'])).to.equal('invalid');
    expect(worst(['valid', 'pending'])).to.equal('pending');
    expect(worst(['valid'])).to.equal('valid');
  });
});
