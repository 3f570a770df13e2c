import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import type { Wallet } from 'ethers';
import type express from 'express';
import request from 'supertest';
import { createApp } from '../../../server/http/app';
import { fromHex, verifyConsistency, verifyInclusion } from '../../../server/ledger/rfc6962';
import type { AppError } from '../../../server/errors';
import { namespacedId } from '../../../server/records';
import type { Acceptance } from '../../../server/service/ingest';
import { checkDeliveryUpload } from '../../../server/service/shares';
import type { Store } from '../../../server/store/types';
import { TRAIL_STEPS, departmentIdOf } from '../../../server/trails';
import { REGISTERED_SINCE, eventually } from '../../support/system';
import { Department, departmentUscc, isoAt, isoNow, randomKey, signedShareStep } from '../../support/trails';
import { admin, bootTestApp, expectError, type TestApp } from './helpers';

const YEAR = 365 * 24 * 3600;
const DAY = 24 * 3600;
const now = () => Math.floor(Date.now() / 1000);
const sha256Hex = (b: Buffer) => `0x${createHash('sha256').update(b).digest('hex')}`;
const bytes = (hex: string) => fromHex(hex.slice(2));

/**
 * The share records' ids: each in the namespace of the department that signs it (`{USCC}-…`; a request
 * and its receipt are the requester's, a reply and its delivery the provider's).
 */
const [MARKET, AGRICULTURE, HEALTH] = [departmentUscc(1), departmentUscc(2), departmentUscc(3)];
const REQ_API = namespacedId(MARKET, 'req-api-1');
const REP_API = namespacedId(AGRICULTURE, 'rep-api-1');
const DEL_API = namespacedId(AGRICULTURE, 'del-api-1');
const RCP_API = namespacedId(MARKET, 'rcp-api-1');
const REQ_ALERT = namespacedId(HEALTH, 'req-alert');
const REP_ALERT = namespacedId(AGRICULTURE, 'rep-alert');
const DEL_ALERT = namespacedId(AGRICULTURE, 'del-alert');

/** A department whose tooling talks to the HTTP API: signs locally, submits through POST /api/v1/shares. */
class ApiDepartment extends Department {
  app!: express.Express;

  override async submit(input: Record<string, unknown>): Promise<Acceptance> {
    const id = typeof input.id === 'string' ? this.idOf(input.id) : input.id;
    const { record, salts, signature } = await signedShareStep(this.sys, this.key, { ...input, id });
    const res = await request(this.app).post('/api/v1/shares').send({ record, salts, signature });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    this.seq = Number(input.seq);
    this.prevHash = res.body.leafHash as string;
    return res.body as Acceptance;
  }
}

describe('server/http data-sharing trails (real anvil node)', function () {
  this.timeout(240_000);
  let t: TestApp;
  let market: ApiDepartment;
  let agriculture: ApiDepartment;
  let health: ApiDepartment;
  const dataset = Buffer.from('producerUscc,origin\n91610924MA6YAB3K2L,紫阳县\n93610921MA6Y9XB607,汉阴县\n', 'utf8');
  const datasetSha = sha256Hex(dataset);

  /** Registers a department through the API with one fresh key, and returns its tooling. */
  async function department(n: number, name: string): Promise<ApiDepartment> {
    const key: Wallet = randomKey();
    const uscc = departmentUscc(n);
    const res = await request(t.app)
      .post('/api/v1/participants')
      .set(admin())
      .send({ kind: 'department', name, uscc, keys: [{ address: key.address, validFrom: isoAt(now() - REGISTERED_SINCE), validTo: isoAt(now() + YEAR) }] });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.id).to.equal(departmentIdOf(uscc));
    const d = new ApiDepartment(t.sys, res.body.id as string, key, name, uscc);
    d.app = t.app;
    return d;
  }

  /** The receipt of `ack`, from the acceptance or, if it was not sequenced within the wait, from the receipt route. */
  async function receiptOf(ack: Acceptance) {
    if (ack.receipt) return ack.receipt;
    return eventually(async () => {
      const res = await request(t.app).get(`/api/v1/shares/${ack.id}/receipt`);
      return res.status === 200 ? res.body : undefined;
    });
  }

  before(async () => {
    t = await bootTestApp();
    market = await department(1, '安康市市场监督管理局');
    agriculture = await department(2, '安康市农业农村局');
    health = await department(3, '安康市卫生健康委员会');
  });
  after(async () => t?.sys.stop());

  describe('a share through the API, request → reply → delivery → receipt', () => {
    const acks: Acceptance[] = [];

    it('When each step is signed with the seq and prevHash the head route gives, Then each is accepted (201) with a signed receipt', async () => {
      const at = (d: Department) => request(t.app).get(`/api/v1/departments/${d.id}/head`);
      const head0 = await at(market);
      expect(head0.status).to.equal(200);
      expect(head0.body).to.deep.equal({ departmentId: market.id, nextSeq: 1, prevHash: `0x${'0'.repeat(64)}`, lastRecordId: null });

      acks.push(await market.request(agriculture, { id: 'req-api-1' }));
      const head1 = (await at(market)).body;
      expect(head1).to.include({ nextSeq: 2, prevHash: acks[0]!.leafHash, lastRecordId: REQ_API });

      acks.push(await agriculture.reply(market, { id: 'rep-api-1', requestId: REQ_API }));
      acks.push(
        await agriculture.deliver(market, {
          id: 'del-api-1',
          requestId: REQ_API,
          replyId: REP_API,
          delivery: { dataSha256: datasetSha, rowCount: 2, deliveredAt: isoNow() },
        }),
      );
      // The requester's second record: its seq and prevHash taken from the head route, as signing tooling does.
      const head = (await at(market)).body as { nextSeq: number; prevHash: string };
      expect(head).to.include({ nextSeq: market.seq + 1, prevHash: market.prevHash });
      acks.push(await market.countersign(agriculture, { id: 'rcp-api-1', requestId: REQ_API, deliveryId: DEL_API, received: { dataSha256: datasetSha, rowCount: 2, receivedAt: isoNow() } }));

      expect(acks.map((a) => a.type)).to.deep.equal(['ShareRequest', 'ShareReply', 'ShareDelivery', 'ShareReceipt']);
      for (const ack of acks) {
        expect(ack).to.include({ status: 'accepted', logId: 'data-sharing' });
        const receipt = await receiptOf(ack);
        expect(receipt).to.include({ format: 'traceledger-receipt-v1', recordId: ack.id, leafHash: ack.leafHash, chainId: t.sys.deployment.chainId });
      }
    });

    it('When the auditor reads a share step, Then its public fields, step, seq and department show, and no officer', async () => {
      const res = await request(t.app).get(`/api/v1/shares/${DEL_API}`).set(admin());
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: DEL_API, type: 'ShareDelivery', step: 'delivery', seq: 2, departmentId: agriculture.id });
      expect(res.body.fields.delivery).to.deep.include({ dataSha256: datasetSha, rowCount: 2 });
      expect(res.body).to.not.have.property('withheld');
      expect(res.body.links.receipt).to.equal(`https://trace.example.cn/api/v1/shares/${DEL_API}/receipt`);
      expect(JSON.stringify(res.body)).not.to.contain('孙磊').and.not.to.contain('providingOfficer');
      expect(res.headers['cache-control']).to.equal('no-store');
    });

    it('When anyone without the admin token reads a share step, its record view or the trail, Then only the trail shows (ids, steps, seq, hashes, times) and the details are withheld', async () => {
      const share = await request(t.app).get(`/api/v1/shares/${REQ_API}`);
      expect(share.status).to.equal(200);
      expect(share.body).to.include({ id: REQ_API, type: 'ShareRequest', step: 'request', seq: 1 });
      expect(share.body.leafHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(share.body.fields).to.include.keys('seq', 'prevHash', 'departmentId', 'step');
      for (const detail of ['purpose', 'fieldsRequested', 'legalBasis', 'scope']) {
        expect(share.body.fields, detail).to.not.have.property(detail);
        expect(share.body.withheld).to.include(detail);
      }
      const delivery = await request(t.app).get(`/api/v1/records/${DEL_API}`);
      expect(delivery.body.fields).to.not.have.property('delivery');
      expect(delivery.body.withheld).to.include('delivery');
      const full = await request(t.app).get(`/api/v1/shares/${REQ_API}`).set(admin());
      expect(full.body.fields.fieldsRequested).to.be.an('array').that.includes('origin');

      const trail = await request(t.app).get(`/api/v1/departments/${market.id}/trail`);
      const entry = (trail.body.entries as { recordId: string; fields: Record<string, unknown>; leafHash: string; withheld: string[] }[]).find((e) => e.recordId === REQ_API)!;
      expect(entry.leafHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(entry.fields).to.not.have.property('purpose');
      expect(entry.withheld).to.include.members(['purpose', 'fieldsRequested']);
      const audited = await request(t.app).get(`/api/v1/departments/${market.id}/trail`).set(admin());
      expect((audited.body.entries as { recordId: string; fields: Record<string, unknown> }[]).find((e) => e.recordId === REQ_API)!.fields).to.have.property('purpose');
    });

    it("When a share step's proof bundle is asked for without the admin token, Then 401; with it, the bundle", async () => {
      expectError(await request(t.app).get(`/api/v1/records/${REQ_API}/bundle`), 401, 'unauthorized');
      const res = await request(t.app).get(`/api/v1/records/${REQ_API}/bundle`).set(admin());
      expect(res.status).to.equal(200);
      expect(res.body.format).to.equal('traceledger-proof-v1');
    });

    it('When a receipt is asked for twice, Then it is the same signed receipt as in the acceptance', async () => {
      const first = await request(t.app).get(`/api/v1/shares/${REQ_API}/receipt`);
      const again = await request(t.app).get(`/api/v1/shares/${REQ_API}/receipt`);
      expect(first.status).to.equal(200);
      expect(again.body).to.deep.equal(first.body);
      expect(first.body).to.deep.equal(await receiptOf(acks[0]!));
    });

    it('When the record is not sequenced yet, Then the receipt route answers 202 with Retry-After', async () => {
      const store = t.sys.store;
      const unsequenced = Object.create(store, {
        getRecord: { value: async (id: string) => ({ ...(await store.getRecord(id))!, leafIndex: null }) },
      }) as Store;
      const res = await request(createApp({ ...t.ctx, sys: { ...t.sys, store: unsequenced } })).get(`/api/v1/shares/${REQ_API}/receipt`);
      expect(res.status).to.equal(202);
      expect(res.headers['retry-after']).to.equal('1');
      expect(res.body).to.include({ recordId: REQ_API, status: 'accepted' });
    });

    it('When the departments are listed, Then each shows its name, record count and last seq', async () => {
      const res = await request(t.app).get('/api/v1/departments');
      expect(res.status).to.equal(200);
      const m = (res.body.items as { departmentId: string }[]).find((d) => d.departmentId === market.id);
      expect(m).to.deep.include({ name: '安康市市场监督管理局', uscc: market.uscc, records: 2, lastSeq: 2 });
    });

    it('When a trail is read by USCC in pages, Then the records come in seq order with the next page named', async () => {
      const page1 = await request(t.app).get(`/api/v1/departments/${market.uscc}/trail?limit=1`);
      expect(page1.status, JSON.stringify(page1.body)).to.equal(200);
      expect(page1.body.department).to.deep.equal({ name: '安康市市场监督管理局', uscc: market.uscc });
      expect(page1.body.entries.map((e: { recordId: string }) => e.recordId)).to.deep.equal([REQ_API]);
      expect(page1.body.next).to.equal(2);
      const page2 = await request(t.app).get(`/api/v1/departments/${market.id}/trail?from=2`);
      expect(page2.body.entries.map((e: { seq: number; step: string }) => [e.seq, e.step])).to.deep.equal([[2, 'receipt']]);
      expect(page2.body.next).to.equal(null);
    });

    it('When the trails are verified once anchored, Then the verdict is valid with every named step passed', async () => {
      for (const d of [market, agriculture]) {
        const res = await eventually(async () => {
          const r = await request(t.app).get(`/api/v1/departments/${d.id}/trail/verify`);
          return r.body.verdict === 'valid' ? r : undefined;
        });
        expect(res.body.steps.map((s: { step: string; status: string }) => [s.step, s.status])).to.deep.equal(TRAIL_STEPS.map((s) => [s, 'passed']));
        expect(res.body.entries).to.equal(2);
        expect(res.body.checkpoint.size).to.be.greaterThan(0);
      }
    });
  });

  describe('alerts and audit reports', () => {
    before(async () => {
      // 卫生健康委员会 asks for a conditional item without a legal basis; 农业农村局 approves two fields, delivers three, late.
      await health.request(agriculture, { id: 'req-alert', legalBasis: undefined });
      await agriculture.reply(health, { id: 'rep-alert', requestId: REQ_ALERT, fieldsApproved: ['origin'] });
      await agriculture.deliver(health, {
        id: 'del-alert',
        requestId: REQ_ALERT,
        replyId: REP_ALERT,
        fieldsDelivered: ['origin', 'producerUscc', 'plantingArea'],
        delivery: { dataSha256: `0x${'5e'.repeat(32)}`, rowCount: 40, deliveredAt: isoAt(now() - 200 * DAY) },
      });
    });

    it('When the auditor lists alerts, Then the crafted violations are there, newest first, in both languages', async () => {
      const res = await request(t.app).get('/api/v1/alerts').set(admin());
      expect(res.status).to.equal(200);
      expect(res.body.countersignDays).to.equal(t.sys.config.COUNTERSIGN_DAYS);
      const kinds = (res.body.items as { kind: string; recordIds: string[] }[]).map((a) => `${a.kind} ${a.recordIds[0]}`);
      expect(kinds).to.include.members([`fields-beyond-approved ${DEL_ALERT}`, `conditional-without-legal-basis ${REQ_ALERT}`, `delivered-outside-validity ${DEL_ALERT}`, `receipt-overdue ${DEL_ALERT}`]);
      expect(res.body.items[0].message_zh).to.be.a('string').and.not.equal('');
      expect(kinds.some((k) => k.includes('api-1')), 'the clean share raises nothing').to.equal(false);
    });

    it('When alerts are asked for one department, Then only those it answers for come', async () => {
      const res = await request(t.app).get(`/api/v1/alerts?department=${health.uscc}`).set(admin());
      expect(res.status).to.equal(200);
      expect(res.body.items.map((a: { kind: string }) => a.kind)).to.deep.equal(['receipt-overdue']);
      expect((await request(t.app).get(`/api/v1/alerts?department=${market.id}`).set(admin())).body.items).to.deep.equal([]);
    });

    it('When alerts are asked for without the admin token, Then 401', async () => {
      expectError(await request(t.app).get('/api/v1/alerts'), 401, 'unauthorized');
    });

    it('When the audit report is exported as JSON, Then it holds the period records, the verdict with its steps, and the alerts', async () => {
      const res = await request(t.app).get(`/api/v1/departments/${agriculture.id}/audit-report`).set(admin());
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ format: 'traceledger-audit-report-v1' });
      expect(res.body.department).to.deep.equal({ id: agriculture.id, name: '安康市农业农村局', uscc: agriculture.uscc });
      expect(res.body.entries.map((e: { recordId: string }) => e.recordId)).to.deep.equal([REP_API, DEL_API, REP_ALERT, DEL_ALERT]);
      expect(res.body.verification.verdict).to.be.oneOf(['valid', 'pending']);
      expect(res.body.verification.steps.map((s: { step: string }) => s.step)).to.deep.equal([...TRAIL_STEPS]);
      expect(res.body.alerts.map((a: { kind: string }) => a.kind)).to.include.members(['fields-beyond-approved', 'delivered-outside-validity', 'conditional-without-legal-basis']);

      const later = await request(t.app).get(`/api/v1/departments/${agriculture.id}/audit-report?from=${isoAt(now() + DAY).slice(0, 10)}`).set(admin());
      expect(later.body.entries).to.deep.equal([]);
      expect(later.body.period.from).to.match(/T00:00:00Z$/);
    });

    it('When the audit report is exported as CSV, Then it is UTF-8 with a BOM, a header row, and the summary, steps, records and alerts', async () => {
      const res = await request(t.app).get(`/api/v1/departments/${agriculture.uscc}/audit-report?format=csv&to=${isoAt(now() + DAY).slice(0, 10)}`).set(admin()).buffer(true).parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).to.match(/^attachment; filename="?audit-report-11610900MB0000002.-\d{4}-\d\d-\d\d\.csv"?$/);
      const body = res.body as Buffer;
      expect([...body.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      const lines = body.toString('utf8').slice(1).trimEnd().split('\r\n');
      expect(lines[0]).to.match(/^部分 section,序号 seq,记录 record,环节 step,/);
      const sections = lines.slice(1).map((l) => l.split(',')[0]);
      expect(sections[0]).to.equal('summary');
      expect(sections.filter((s) => s === 'step')).to.have.length(TRAIL_STEPS.length);
      expect(sections.filter((s) => s === 'record')).to.have.length(4);
      expect(sections.filter((s) => s === 'alert').length).to.be.greaterThan(2);
      expect(lines.find((l) => l.startsWith(`record,4,${DEL_ALERT},delivery`))).to.contain('fields-beyond-approved').and.contain('安康市卫生健康委员会');
    });

    it('When the audit report is asked for without a token, for an unknown department, or with a bad period, Then 401, 404, 400', async () => {
      expectError(await request(t.app).get(`/api/v1/departments/${agriculture.id}/audit-report`), 401, 'unauthorized');
      expectError(await request(t.app).get(`/api/v1/departments/${departmentIdOf(departmentUscc(99))}/audit-report`).set(admin()), 404, 'not-found');
      expectError(await request(t.app).get(`/api/v1/departments/${agriculture.id}/audit-report?from=yesterday`).set(admin()), 400, 'invalid-input');
      expectError(await request(t.app).get(`/api/v1/departments/${agriculture.id}/audit-report?from=2026-02-01&to=2026-01-01`).set(admin()), 400, 'invalid-input');
    });
  });

  describe('dataset check', () => {
    const check = (id: string, query = '') => request(t.app).post(`/api/v1/deliveries/${id}/check${query}`).set(admin());

    it('When the hash of the delivered file is given, Then it matches; another hash or row count does not', async () => {
      const ok = await check(DEL_API).send({ sha256: datasetSha.slice(2).toUpperCase(), rowCount: 2 });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      expect(ok.body).to.deep.equal({ deliveryId: DEL_API, match: true, recorded: { dataSha256: datasetSha, rowCount: 2 }, given: { sha256: datasetSha, rowCount: 2 } });
      expect((await check(DEL_API).send({ sha256: sha256Hex(Buffer.from('other')) })).body.match).to.equal(false);
      expect((await check(DEL_API).send({ sha256: datasetSha, rowCount: 3 })).body.match).to.equal(false);
    });

    it('When the file itself is uploaded, Then it is hashed as it streams in and compared', async () => {
      const ok = await check(DEL_API).set('Content-Type', 'application/octet-stream').send(dataset);
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      expect(ok.body).to.include({ match: true, bytes: dataset.length });
      const tampered = Buffer.from(dataset.toString('utf8').replace('紫阳县', '平利县'), 'utf8');
      const ko = await check(DEL_API, '?rowCount=2').set('Content-Type', 'application/octet-stream').send(tampered);
      expect(ko.body).to.deep.include({ match: false, given: { sha256: sha256Hex(tampered), rowCount: 2 } });
    });

    it('When a large file is uploaded, Then it is hashed without the JSON body limit', async () => {
      const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
      const res = await check(DEL_API).set('Content-Type', 'application/octet-stream').send(big);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ match: false, bytes: big.length });
      expect(res.body.given.sha256).to.equal(sha256Hex(big));
    });

    it('When an upload is larger than the limit, Then it is refused as payload-too-large once the limit is passed', async () => {
      const chunks = [Buffer.alloc(6, 0x61), Buffer.alloc(6, 0x62)];
      try {
        await checkDeliveryUpload(t.sys.store, DEL_API, Readable.from(chunks), { limit: 10 });
        expect.fail('the upload was accepted');
      } catch (e) {
        expect((e as AppError).code).to.equal('payload-too-large');
      }
      expect((await checkDeliveryUpload(t.sys.store, DEL_API, Readable.from([dataset]), { limit: dataset.length })).match).to.equal(true);
    });

    it('When the delivery is unknown, the hash malformed, the body untyped or the token missing, Then 404, 400, 400, 401', async () => {
      expectError(await check('no-such-delivery').send({ sha256: datasetSha }), 404, 'not-found');
      expectError(await check(REQ_API).set('Content-Type', 'application/octet-stream').send(dataset), 404, 'not-found');
      expectError(await check(DEL_API).send({ sha256: '0x1234' }), 400, 'invalid-input');
      expectError(await request(t.app).post(`/api/v1/deliveries/${DEL_API}/check`).set(admin()), 400, 'invalid-input');
      expectError(await request(t.app).post(`/api/v1/deliveries/${DEL_API}/check`).send({ sha256: datasetSha }), 401, 'unauthorized');
    });
  });

  describe('log proofs and the monitor', () => {
    it('When an inclusion proof is asked for a receipt, Then it leads from the leaf to the root it names', async () => {
      const receipt = (await request(t.app).get(`/api/v1/shares/${RCP_API}/receipt`)).body as { leafIndex: number; leafHash: string };
      const size = receipt.leafIndex + 2;
      const res = await request(t.app).get(`/api/v1/logs/data-sharing/inclusion?index=${receipt.leafIndex}&size=${size}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ logId: 'data-sharing', index: receipt.leafIndex, size, leafHash: receipt.leafHash });
      verifyInclusion({ index: receipt.leafIndex, size, leafHash: bytes(res.body.leafHash), proof: res.body.proof.map(bytes), root: bytes(res.body.root) });
    });

    it('When a consistency proof is asked, Then it proves the smaller tree a prefix of the larger', async () => {
      const size2 = (await t.sys.store.logHead('data-sharing')).size;
      const res = await request(t.app).get(`/api/v1/logs/data-sharing/consistency?size1=3&size2=${size2}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      verifyConsistency({ size1: 3, size2, root1: bytes(res.body.root1), root2: bytes(res.body.root2), proof: res.body.proof.map(bytes) });
    });

    it('When a proof is asked beyond the log, for an unknown log, or with index >= size, Then 400', async () => {
      expectError(await request(t.app).get('/api/v1/logs/data-sharing/inclusion?index=0&size=100000'), 400, 'invalid-input');
      expectError(await request(t.app).get('/api/v1/logs/elsewhere/inclusion?index=0&size=1'), 400, 'invalid-input');
      expectError(await request(t.app).get('/api/v1/logs/data-sharing/inclusion?index=2&size=2'), 400, 'invalid-input');
      expectError(await request(t.app).get('/api/v1/logs/data-sharing/consistency?size1=5&size2=2'), 400, 'invalid-input');
    });

    it('When the auditor runs the monitor, Then the stored log reproduces every anchored root; without the token, 401', async () => {
      const res = await request(t.app).get('/api/v1/logs/data-sharing/monitor').set(admin());
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ ok: true, logId: 'data-sharing' });
      expect(res.body.checkpointsChecked).to.be.greaterThan(0);
      expectError(await request(t.app).get('/api/v1/logs/data-sharing/monitor'), 401, 'unauthorized');
    });
  });

  describe('refusals', () => {
    const post = (body: unknown) => request(t.app).post('/api/v1/shares').send(body as object);

    it('When the step is unknown, the type contradicts it, or the record is malformed, Then 400', async () => {
      const signed = await signedShareStep(t.sys, market.key, requestInput(market, agriculture, 'req-refusals'));
      expectError(await post({ record: { ...signed.record, step: 'gossip' }, salts: signed.salts, signature: signed.signature }), 400, 'invalid-input');
      expectError(await post({ record: signed.record, salts: signed.salts, signature: signed.signature, type: 'ShareReply' }), 400, 'invalid-input');
      expectError(await post({ record: { ...signed.record, seq: 0 }, salts: signed.salts, signature: signed.signature }), 400, 'invalid-record');
      expectError(await post({ record: signed.record, salts: signed.salts, signature: '0x12' }), 400, 'invalid-input');
    });

    it('back-dated-share: When a share step is dated 30 days back or 10 minutes ahead, Then 400 issued-at-too-old / issued-at-in-future', async () => {
      const old = await signedShareStep(t.sys, market.key, { ...requestInput(market, agriculture, 'req-backdated'), issuedAt: isoAt(now() - 30 * DAY) });
      expectError(await post({ record: old.record, salts: old.salts, signature: old.signature }), 400, 'issued-at-too-old');
      const ahead = await signedShareStep(t.sys, market.key, { ...requestInput(market, agriculture, 'req-ahead'), issuedAt: isoAt(now() + 600) });
      expectError(await post({ record: ahead.record, salts: ahead.salts, signature: ahead.signature }), 400, 'issued-at-in-future');
    });

    it("When a department signs a record of another department's sequence, Then 403 forbidden", async () => {
      // Its id is in the signer's own namespace: the sequence, not the id, is what it forges.
      const forged = await signedShareStep(t.sys, health.key, { ...requestInput(market, agriculture, health.idOf('req-forged')) });
      expectError(await post({ record: forged.record, salts: forged.salts, signature: forged.signature }), 403, 'forbidden');
    });

    it('When a reply answers a request that does not exist, Then 404 not-found', async () => {
      const signed = await signedShareStep(t.sys, agriculture.key, {
        ...agriculture.next(),
        step: 'reply',
        id: agriculture.idOf('rep-orphan'),
        requestId: market.idOf('req-nowhere'),
        requestingDepartment: market.ref,
        providingDepartment: agriculture.ref,
        catalogueItem: { id: 'AK-NY-0042', version: '2025.1' },
        issuedAt: isoNow(),
        reply: { time: isoNow(), decision: 'refuse', refusalReason: '无此申请' },
        fieldsApproved: [],
        securityLevel: 'general',
        providingOfficer: { name: '孙磊', title: '主任' },
      });
      expectError(await post({ record: signed.record, salts: signed.salts, signature: signed.signature }), 404, 'not-found');
    });

    it('When a step is replayed, or does not carry the next seq, Then 409 replay / conflict naming the expected seq and prevHash', async () => {
      const signed = await signedShareStep(t.sys, market.key, requestInput(market, agriculture, 'req-twice'));
      expect((await post({ record: signed.record, salts: signed.salts, signature: signed.signature })).status).to.equal(201);
      market.seq++;
      market.prevHash = (await request(t.app).get(`/api/v1/departments/${market.id}/head`)).body.prevHash;
      expectError(await post({ record: signed.record, salts: signed.salts, signature: signed.signature }), 409, 'replay');

      const stale = await signedShareStep(t.sys, market.key, { ...requestInput(market, agriculture, 'req-stale'), seq: 1, prevHash: `0x${'0'.repeat(64)}` });
      const res = await post({ record: stale.record, salts: stale.salts, signature: stale.signature });
      expectError(res, 409, 'conflict');
      expect(res.body.error.details).to.deep.include({ expectedSeq: market.seq + 1, expectedPrevHash: market.prevHash, lastRecordId: market.idOf('req-twice') });
    });

    it('When an unknown share or department is asked for, Then 404; a malformed department reference or seq, 400', async () => {
      expectError(await request(t.app).get('/api/v1/shares/no-such-share'), 404, 'not-found');
      expectError(await request(t.app).get('/api/v1/shares/no-such-share/receipt'), 404, 'not-found');
      expectError(await request(t.app).get(`/api/v1/departments/${departmentIdOf(departmentUscc(98))}/trail`), 404, 'not-found');
      expectError(await request(t.app).get(`/api/v1/departments/${departmentUscc(98)}/head`), 404, 'not-found');
      expectError(await request(t.app).get('/api/v1/departments/not a code!/trail/verify'), 400, 'invalid-input');
      expectError(await request(t.app).get(`/api/v1/departments/${market.id}/trail?from=0`), 400, 'invalid-input');
    });
  });
});

/** The fields of a plain request by `from` to `to` (the next of `from`'s sequence), its id in `from`'s namespace unless it names one. */
function requestInput(from: Department, to: Department, id: string): Record<string, unknown> {
  const n = Math.floor(Date.now() / 1000);
  return {
    ...from.next(),
    id: from.idOf(id),
    step: 'request',
    requestingDepartment: from.ref,
    providingDepartment: to.ref,
    catalogueItem: { id: 'AK-NY-0042', version: '2025.1' },
    issuedAt: isoNow(),
    shareClass: 'unconditional',
    purpose: '富硒产品抽检结果比对',
    scenario: '质量抽检',
    fieldsRequested: ['origin'],
    scope: '安康市',
    method: 'api',
    validity: { from: isoAt(n - DAY), to: isoAt(n + 30 * DAY) },
    requestedAt: isoNow(),
    securityLevel: 'general',
    requestingOfficer: { name: '赵敏', title: '科长' },
  };
}
