import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { parseEther, type Wallet } from 'ethers';
import request from 'supertest';
import { RpcChainReader } from '../../../server/chain/reader';
import { Registries } from '../../../server/chain/registry';
import { namespacedId, requiredFieldMessage, revocationReasonNumber } from '../../../server/records';
import { verifyBundle } from '../../../server/verification/verify';
import { createApp } from '../../../server/http/app';
import { ReportBody, signedBodyRefusal } from '../../../server/http/schemas';
import { batchInputNow, issuedNow, randomWallet, reportInput, USCC } from '../records/fixtures';
import { registeredLabOf, signedReport } from '../../support/records';
import { FIXTURE_PRODUCT_KEYS, REGISTERED_SINCE, eventually } from '../../support/system';
import { admin, bearer, bootTestApp, expectError, producerWithToken, type TestApp } from './helpers';

const now = () => Math.floor(Date.now() / 1000);
const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const YEAR = 365 * 24 * 3600;

describe('server/http reports, records and revocations (real anvil node)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let lab: Wallet;
  let producer: { id: string; token: string };
  /** In the producer's namespace, as the server stores it: the reports name it as their batch. */
  const batchId = namespacedId(USCC.producer, `BATCH-R-${Date.now()}`);
  // The first lab gets the CMA number the report fixture names: a report's lab must be its signer's (checkLabIdentity).
  let cma = 202727050123;

  /** Registers a lab through the API with one key valid over [from, to] (and accredited over `accreditation`, default from REGISTERED_SINCE ago to 3 years ahead). */
  async function labWithKey(key: Wallet, from = now() - REGISTERED_SINCE, to = now() + YEAR, accreditation = { from: now() - REGISTERED_SINCE, to: now() + 3 * YEAR }, name = '安康市富硒产品质量检验检测中心') {
    const res = await request(t.app)
      .post('/api/v1/participants')
      .set(admin())
      .send({ kind: 'lab', name, cmaNumber: String(cma++), accreditedFrom: iso(accreditation.from), accreditedUntil: iso(accreditation.to), keys: [{ address: key.address, validFrom: iso(from), validTo: iso(to) }] });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { id: string };
  }

  before(async () => {
    t = await bootTestApp();
    lab = randomWallet();
    await labWithKey(lab);
    producer = await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS);
    // The producer registers the batch before any report for it and commissions the first lab (the one `lab` signs for).
    const res = await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(batchInputNow({ id: batchId, commissionedLabs: [reportInput().lab.cmaNumber] }));
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
  });
  after(async () => t?.sys.stop());

  describe('POST /api/v1/reports', () => {
    it('When a registered lab submits a signed report without any token, Then it answers 201 with the acceptance', async () => {
      const sub = await signedReport(t.sys, lab, { batchId });
      const res = await request(t.app).post('/api/v1/reports').send({ record: sub.record, salts: sub.salts, signature: sub.signature });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.include({ id: sub.record.id, type: 'SeleniumTestReport', signer: lab.address.toLowerCase(), status: 'accepted' });
    });

    it('When the file written by `traceledger sign-report` (with its type) is posted as is, Then it is accepted; another type answers 400', async () => {
      const sub = await signedReport(t.sys, lab, { batchId });
      const ok = await request(t.app).post('/api/v1/reports').send({ type: 'SeleniumTestReport', record: sub.record, salts: sub.salts, signature: sub.signature });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
      const other = await signedReport(t.sys, lab, { batchId });
      const ko = await request(t.app).post('/api/v1/reports').send({ type: 'Batch', record: other.record, salts: other.salts, signature: other.signature });
      expect(ko.status).to.equal(400);
      expect(ko.body.error.code).to.equal('invalid-input');
    });

    it('When the same signed report is sent twice, Then the second answers 409 replay', async () => {
      const sub = await signedReport(t.sys, lab, { batchId });
      const body = { record: sub.record, salts: sub.salts, signature: sub.signature };
      expect((await request(t.app).post('/api/v1/reports').send(body)).status).to.equal(201);
      expectError(await request(t.app).post('/api/v1/reports').send(body), 409, 'replay');
    });

    it('When the signer is not registered, Then it answers 403 unknown-signer', async () => {
      const sub = await signedReport(t.sys, randomWallet(), { batchId });
      expectError(await request(t.app).post('/api/v1/reports').send({ record: sub.record, salts: sub.salts, signature: sub.signature }), 403, 'unknown-signer');
    });

    it("When the signer's key expired, Then it answers 403 key-expired", async () => {
      const key = randomWallet();
      await labWithKey(key, now() - 1000, now() - 10);
      const sub = await signedReport(t.sys, key, { batchId });
      expectError(await request(t.app).post('/api/v1/reports').send({ record: sub.record, salts: sub.salts, signature: sub.signature }), 403, 'key-expired');
    });

    it("When the signer's key was revoked through the API, Then it answers 403 key-revoked", async () => {
      const key = randomWallet();
      const { id } = await labWithKey(key);
      expect((await request(t.app).delete(`/api/v1/participants/${id}/keys/${key.address}`).set(admin())).status).to.equal(200);
      const sub = await signedReport(t.sys, key, { batchId });
      expectError(await request(t.app).post('/api/v1/reports').send({ record: sub.record, salts: sub.salts, signature: sub.signature }), 403, 'key-revoked');
    });

    it('When the envelope is malformed, Then it answers 400 invalid-input naming the field', async () => {
      const sub = await signedReport(t.sys, lab, { batchId });
      const res = await request(t.app).post('/api/v1/reports').send({ record: sub.record, salts: sub.salts, signature: '0x1234' });
      expectError(res, 400, 'invalid-input');
      expect(res.body.error.message).to.contain('signature');
    });

    it('When the report fails its schema, Then it answers 400 invalid-record', async () => {
      const sub = await signedReport(t.sys, lab, { batchId });
      expectError(await request(t.app).post('/api/v1/reports').send({ record: { ...sub.record, analyte: 'Zn' }, salts: sub.salts, signature: sub.signature }), 400, 'invalid-record');
    });

    it('When a record fails its schema, alone or with its envelope, Then the route and a bulk item answer exactly what the whole body schema refuses (the record is validated off the event loop), and nothing is stored', async () => {
      const sub = await signedReport(t.sys, lab, { batchId });
      const { record, salts, signature } = sub;
      const cases: Record<string, unknown>[] = [
        // The record alone: checked by the signature threads.
        { record: { ...record, analyte: 'Zn', result: 'high', extra: '<script>' }, salts, signature },
        { record: { ...record, lab: { ...record.lab, cmaNumber: 42 } }, salts, signature },
        { record: { ...record, id: undefined }, salts, signature },
        // The envelope too: refused here, naming the record's issues as well.
        { record: { ...record, analyte: 'Zn' }, salts, signature: '0x12' },
        { record: { ...record, result: 'high' }, salts: 'none', signature, more: 1 },
        { record: [], salts, signature },
        { type: 'Batch', record, salts, signature },
      ];
      for (const body of cases) {
        const whole = ReportBody.safeParse(body, { error: requiredFieldMessage });
        expect(whole.success).to.equal(false);
        const expected = signedBodyRefusal('SeleniumTestReport')(whole.error!);
        const single = await request(t.app).post('/api/v1/reports').send(body);
        expect(single.status, JSON.stringify(single.body)).to.equal(400);
        expect(single.body.error, JSON.stringify(body)).to.deep.equal({ code: expected.code, message: expected.message, ...(expected.details ? { details: expected.details } : {}) });
        const bulk = await request(t.app).post('/api/v1/reports/bulk').send({ reports: [body] });
        expect(bulk.body.results[0], JSON.stringify(bulk.body)).to.deep.include({ status: 400, error: single.body.error });
      }
      expect(await t.sys.store.getRecord(record.id)).to.equal(undefined);
    });
  });

  describe('POST /api/v1/reports/bulk', () => {
    const body = (sub: { record: unknown; salts: unknown; signature: string }) => ({ record: sub.record, salts: sub.salts, signature: sub.signature });

    it("When a lab sends many reports at once, some of them bad, Then each gets the single route's answer in order, and only the good ones are stored", async () => {
      const good = await Promise.all([0, 1, 2].map(() => signedReport(t.sys, lab, { batchId })));
      const stranger = await signedReport(t.sys, randomWallet(), { batchId });
      const badSchema = await signedReport(t.sys, lab, { batchId });
      const reports = [
        body(good[0]!),
        body(stranger),
        { ...body(badSchema), record: { ...badSchema.record, analyte: 'Zn' } },
        body(good[1]!),
        { ...body(good[2]!), signature: '0x12' },
        42,
        body(good[0]!),
      ];
      const res = await request(t.app).post('/api/v1/reports/bulk').send({ reports });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const results = res.body.results as { index: number; status: number; location?: string; acceptance?: { id: string; signer: string }; error?: { code: string } }[];
      expect(results.map((r) => r.index)).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
      // The same report twice: one is stored, the other is its replay (which one depends on the signature threads' order).
      const twice = [results[0]!, results[6]!].map((r) => r.status).sort();
      expect(twice).to.deep.equal([201, 409]);
      expect([results[0]!, results[6]!].find((r) => r.status === 409)!.error!.code).to.equal('replay');
      expect(results.slice(1, 6).map((r) => [r.status, r.error?.code ?? 'accepted'])).to.deep.equal([
        [403, 'unknown-signer'],
        [400, 'invalid-record'],
        [201, 'accepted'],
        [400, 'invalid-input'],
        [400, 'invalid-input'],
      ]);
      expect(res.body).to.include({ accepted: 2, refused: 5 });
      for (const r of results.filter((x) => x.status === 201)) {
        expect(r.acceptance).to.include({ signer: lab.address.toLowerCase(), status: 'accepted' });
        expect(r.location).to.equal(`/api/v1/reports/${encodeURIComponent(r.acceptance!.id)}`);
        // Stored durably before the answer: the store has it, and the report reads back.
        expect(await t.sys.store.getRecord(r.acceptance!.id)).to.not.equal(undefined);
        expect((await request(t.app).get(r.location!)).status).to.equal(200);
      }
      expect(await t.sys.store.getRecord(good[2]!.record.id)).to.equal(undefined);
      expect(await t.sys.store.getRecord(badSchema.record.id)).to.equal(undefined);
      // Each accepted report is anchored like any other.
      await eventually(async () => (await request(t.app).get(`/api/v1/records/${encodeURIComponent(good[1]!.record.id)}`)).body.status === 'anchored');
    });

    it('When the envelope is not 1 to 100 reports in an object, Then the whole request answers 400 invalid-input and nothing is checked', async () => {
      const sub = await signedReport(t.sys, lab, { batchId });
      const one = body(sub);
      for (const bad of [{ reports: [] }, { reports: Array.from({ length: 101 }, () => one) }, { reports: [one], extra: 1 }, [one], { reports: one }]) {
        expectError(await request(t.app).post('/api/v1/reports/bulk').send(bad), 400, 'invalid-input');
      }
      expect(await t.sys.store.getRecord(sub.record.id)).to.equal(undefined);
    });

    it('When a caller sends more reports in one request than its write limit leaves, Then the request answers 429 with none checked, and the writes it did not use stay available', async () => {
      const limited = createApp({ ...t.ctx, sys: { ...t.sys, config: { ...t.sys.config, RATE_LIMIT_WRITES_PER_MINUTE: 5 } } });
      const subs = await Promise.all([0, 1, 2, 3, 4, 5].map(() => signedReport(t.sys, lab, { batchId })));
      // Six reports are six writes: over the limit of five.
      const over = await request(limited).post('/api/v1/reports/bulk').send({ reports: subs.map(body) });
      expectError(over, 429, 'rate-limited');
      expect(Number(over.headers['retry-after'])).to.be.within(1, 60);
      for (const s of subs) expect(await t.sys.store.getRecord(s.record.id)).to.equal(undefined);
      // The refused request counted one write, not six: four reports (four writes) still fit this minute.
      const ok = await request(limited).post('/api/v1/reports/bulk').send({ reports: subs.slice(0, 4).map(body) });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      expect(ok.body.accepted, JSON.stringify(ok.body.results.filter((r: { status: number }) => r.status !== 201))).to.equal(4);
      // Its RateLimit header counts all four: none remains.
      expect(String(ok.headers['ratelimit'])).to.match(/\br=0\b/);
      // And that used the minute up: one more single report is refused.
      expectError(await request(limited).post('/api/v1/reports').send(body(subs[4]!)), 429, 'rate-limited');
    });
  });

  describe('attacks on POST /api/v1/reports (trust rules), each answered with its status and code', () => {
    const HOUR = 3600;
    const DAY = 24 * HOUR;
    const post = (sub: { record: unknown; salts: Record<string, string>; signature: string }) =>
      request(t.app).post('/api/v1/reports').send({ record: sub.record, salts: sub.salts, signature: sub.signature });
    let labB: Wallet;

    before(async () => {
      labB = randomWallet();
      await labWithKey(labB, undefined, undefined, undefined, '西安市乙检测有限公司');
    });

    it("lab-impersonation: When lab A's valid key signs a report naming lab B's name and CMA number, Then 403 lab-identity-mismatch naming lab A", async () => {
      const sub = await signedReport(t.sys, lab, { batchId, lab: { ...reportInput().lab, ...(await registeredLabOf(t.sys, labB)) } });
      const res = await post(sub);
      expectError(res, 403, 'lab-identity-mismatch');
      expect(res.body.error.message).to.contain('安康市富硒产品质量检验检测中心').and.contain('CMA 202727050123');
      expectError(await request(t.app).get(`/api/v1/reports/${sub.record.id}`), 404, 'not-found');
    });

    it('back-dated-30-days: When the report is dated 30 days back, Then 400 issued-at-too-old', async () => {
      expectError(await post(await signedReport(t.sys, lab, { batchId, issuedAt: issuedNow(-30 * DAY) })), 400, 'issued-at-too-old');
    });

    it('dated-1970: When the report is dated 1970-01-01, Then 400 issued-at-too-old', async () => {
      expectError(await post(await signedReport(t.sys, lab, { batchId, issuedAt: '1970-01-01T00:00:00Z' })), 400, 'issued-at-too-old');
    });

    it('dated-ahead: When the report is dated 10 minutes ahead, Then 400 issued-at-in-future', async () => {
      expectError(await post(await signedReport(t.sys, lab, { batchId, issuedAt: issuedNow(600) })), 400, 'issued-at-in-future');
    });

    it('expired-key-inside-window: When a key that expired a minute ago signs a report dated half an hour ago, Then 403 key-not-valid-at-receipt', async () => {
      const key = randomWallet();
      await labWithKey(key, now() - REGISTERED_SINCE, now() - 60);
      expectError(await post(await signedReport(t.sys, key, { batchId, issuedAt: issuedNow(-HOUR / 2) })), 403, 'key-not-valid-at-receipt');
    });

    it('lapsed-accreditation-inside-window: When a lab whose accreditation ended a minute ago submits a report dated half an hour ago, Then 403 accreditation-lapsed', async () => {
      const key = randomWallet();
      await labWithKey(key, undefined, undefined, { from: now() - REGISTERED_SINCE, to: now() - 60 });
      expectError(await post(await signedReport(t.sys, key, { batchId, issuedAt: issuedNow(-HOUR / 2) })), 403, 'accreditation-lapsed');
    });

    it('all-zero-salts: When every salt is zero, Then 400 weak-salt', async () => {
      const sub = await signedReport(t.sys, lab, { batchId }, { salts: (names) => Object.fromEntries(names.map((n) => [n, '0'.repeat(32)])) });
      expectError(await post(sub), 400, 'weak-salt');
    });

    it('repeated-salt: When two fields share one random salt, Then 400 weak-salt', async () => {
      const sub = await signedReport(t.sys, lab, { batchId }, {
        salts: (names) => {
          const salts = Object.fromEntries(names.map((n) => [n, randomBytes(16).toString('hex')]));
          salts.client = salts.lab!;
          return salts;
        },
      });
      const res = await post(sub);
      expectError(res, 400, 'weak-salt');
      expect(res.body.error.message).to.contain('"client"').and.contain('"lab"');
    });

    it('genuine: When the lab signs in its own name, dated half an hour ago, with random salts, Then 201', async () => {
      const res = await post(await signedReport(t.sys, lab, { batchId, issuedAt: issuedNow(-HOUR / 2) }));
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
    });
  });

  describe('reading reports, records and bundles', () => {
    let reportId: string;
    before(async () => {
      const sub = await signedReport(t.sys, lab, { batchId });
      reportId = sub.record.id;
      expect((await request(t.app).post('/api/v1/reports').send({ record: sub.record, salts: sub.salts, signature: sub.signature })).status).to.equal(201);
    });

    it("When a report is read, Then it shows public fields only and the computed tier next to the lab's conclusion", async () => {
      const res = await request(t.app).get(`/api/v1/reports/${reportId}`);
      expect(res.status).to.equal(200);
      expect(res.body.fields).to.include.keys('result', 'conclusion', 'lab');
      expect(res.body.fields).not.to.have.any.keys('client', 'sampling', 'signatories');
      expect(res.body.classification.tier).to.equal('selenium-rich');
    });

    it('When a batch id is read as a report, Then it answers 404 not-found', async () => {
      expectError(await request(t.app).get(`/api/v1/reports/${batchId}`), 404, 'not-found');
    });

    it('When any record is read, Then it shows its type, leaf index and status', async () => {
      const res = await eventually(async () => {
        const r = await request(t.app).get(`/api/v1/records/${reportId}`);
        return r.body.status === 'anchored' ? r : undefined;
      });
      expect(res.body).to.include({ id: reportId, type: 'SeleniumTestReport', status: 'anchored' });
      expect(res.body.leafIndex).to.be.a('number');
    });

    it('When the bundle is fetched, Then it verifies against the chain', async () => {
      const res = await eventually(async () => {
        const r = await request(t.app).get(`/api/v1/records/${reportId}/bundle`);
        return r.body.checkpoint ? r : undefined;
      });
      expect(res.body.format).to.equal('traceledger-proof-v1');
      expect(res.headers['content-disposition']).to.equal(undefined);
      const result = await verifyBundle(res.body, { chain: new RpcChainReader(t.sys.provider, t.sys.deployment), category: 'tea' });
      expect(result.verdict, JSON.stringify(result.steps)).to.equal('valid');
    });

    it('When the bundle is fetched with download=1, Then it comes as a JSON attachment', async () => {
      const res = await request(t.app).get(`/api/v1/records/${reportId}/bundle?download=1`);
      expect(res.status).to.equal(200);
      expect(res.headers['content-disposition']).to.equal(`attachment; filename=${reportId}.traceledger-proof.json`);
      expect(res.headers['content-type']).to.match(/^application\/json/);
    });

    it('When an unknown record or its bundle is read, Then it answers 404 not-found', async () => {
      expectError(await request(t.app).get('/api/v1/records/NOPE'), 404, 'not-found');
      expectError(await request(t.app).get('/api/v1/records/NOPE/bundle'), 404, 'not-found');
    });
  });

  describe('revocations', () => {
    let reportId: string;
    before(async () => {
      const sub = await signedReport(t.sys, lab, { batchId });
      reportId = sub.record.id;
      expect((await request(t.app).post('/api/v1/reports').send({ record: sub.record, salts: sub.salts, signature: sub.signature })).status).to.equal(201);
    });

    it('When a record is not revoked, Then GET /revocations/:id answers 404 not-found', async () => {
      expectError(await request(t.app).get(`/api/v1/revocations/${reportId}`), 404, 'not-found');
    });

    it('When no token or a producer token revokes, Then it answers 401 or 403', async () => {
      expectError(await request(t.app).post('/api/v1/revocations').send({ recordId: reportId, reason: 'sample-mismatch' }), 401, 'unauthorized');
      expectError(await request(t.app).post('/api/v1/revocations').set(bearer(producer.token)).send({ recordId: reportId, reason: 'sample-mismatch' }), 403, 'forbidden');
    });

    it('When the reason is not a known one, Then it answers 400 invalid-input', async () => {
      expectError(await request(t.app).post('/api/v1/revocations').set(admin()).send({ recordId: reportId, reason: 'because' }), 400, 'invalid-input');
    });

    it('When the record is unknown, Then it answers 404 not-found', async () => {
      expectError(await request(t.app).post('/api/v1/revocations').set(admin()).send({ recordId: 'NO-SUCH-RECORD', reason: 'other' }), 404, 'not-found');
    });

    it('When a lab that did not issue the report revokes it on chain, Then GET /revocations/:id still answers 404 and the record shows no revocation', async () => {
      const stranger = randomWallet();
      await labWithKey(stranger);
      await (await t.sys.operator.sendTransaction({ to: stranger.address, value: parseEther('1') })).wait();
      const { leafHash } = (await request(t.app).get(`/api/v1/records/${reportId}`)).body as { leafHash: string };
      await new Registries(t.sys.deployment, stranger.connect(t.sys.provider)).revokeRecord(leafHash, revocationReasonNumber('fraud-suspected'));
      await t.sys.mirror.sync();

      expectError(await request(t.app).get(`/api/v1/revocations/${reportId}`), 404, 'not-found');
      expect((await request(t.app).get(`/api/v1/records/${reportId}`)).body.revocation).to.equal(null);
    });

    it("When the regulator revokes a report (after a stranger lab's revocation), Then it answers 201 with the transaction, and the revocation shows everywhere", async () => {
      const res = await request(t.app).post('/api/v1/revocations').set(admin()).send({ recordId: reportId, reason: 'sample-mismatch' });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.include({ recordId: reportId, by: 'regulator', reason: 'sample-mismatch', reasonCode: 2, participantId: null });
      expect(res.body.revocations).to.have.length(1);
      expect(res.body.txHash).to.match(/^0x[0-9a-f]{64}$/);

      const got = await request(t.app).get(`/api/v1/revocations/${reportId}`);
      expect(got.status).to.equal(200);
      expect(got.body).to.deep.equal(res.body);
      const view = await request(t.app).get(`/api/v1/records/${reportId}`);
      expect(view.body.revocation.reason).to.equal('sample-mismatch');
    });

    it('When the regulator revokes the record again, Then it answers 409 conflict', async () => {
      expectError(await request(t.app).post('/api/v1/revocations').set(admin()).send({ recordId: reportId, reason: 'other' }), 409, 'conflict');
    });
  });
});
