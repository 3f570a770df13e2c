/** POST and GET /api/v1/batches/{id}/commissions: a producer commissions a lab for its own batch, and the lab's reports then count on it. */
import { expect } from 'chai';
import request from 'supertest';
import { batchInputNow, randomWallet, USCC } from '../records/fixtures';
import { signedReport } from '../../support/records';
import { FIXTURE_PRODUCT_KEYS, REGISTERED_SINCE } from '../../support/system';
import { admin, bearer, bootTestApp, expectError, producerWithToken, uscc, type TestApp } from './helpers';

const YEAR = 365 * 24 * 3600;
const now = () => Math.floor(Date.now() / 1000);
const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
/** The lab the producer commissions after registering its batch; the report fixture's own lab is 202727050123. */
const LAB_CMA = '202727050177';

let seq = 0;
const nextId = () => `BATCH-LC-${Date.now()}-${++seq}`;

describe('server/http batch commissions (real anvil node)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let producer: { id: string; token: string };
  let other: { id: string; token: string };

  /** Registers a batch of `producer` through the API (a fresh id and lot), naming `commissionedLabs`; returns its full (namespaced) id. */
  async function batchOf(p: { token: string }, commissionedLabs: string[] = []): Promise<string> {
    const id = nextId();
    const res = await request(t.app).post('/api/v1/batches').set(bearer(p.token)).send(batchInputNow({ id, lot: `LC-${seq}`, reportIds: [], commissionedLabs }));
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.id, 'the server places the id in the producer\'s namespace').to.match(new RegExp(`^[0-9A-Z]{18}-${id}$`));
    return res.body.id as string;
  }
  const commission = (batchId: string, token: string | undefined, labCmaNumber = LAB_CMA) => {
    const req = request(t.app).post(`/api/v1/batches/${encodeURIComponent(batchId)}/commissions`);
    return (token === undefined ? req : req.set(bearer(token))).send({ labCmaNumber });
  };

  before(async () => {
    t = await bootTestApp();
    producer = await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS);
    other = await producerWithToken(t.app, '平利县富硒茶厂', uscc('91610926MA6YAB3K2'));
  });
  after(async () => t?.sys.stop());

  it("When the batch's producer commissions a lab, Then it answers 201 with a LabCommission acceptance, and GET lists it", async () => {
    const batchId = await batchOf(producer, ['202727050123']);
    const res = await commission(batchId, producer.token);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ type: 'LabCommission', logId: 'products', status: 'accepted' });
    expect(res.headers.location).to.equal(`/api/v1/batches/${batchId}/commissions`);

    const list = await request(t.app).get(`/api/v1/batches/${batchId}/commissions`);
    expect(list.status, JSON.stringify(list.body)).to.equal(200);
    expect(list.body).to.deep.include({ batchId, commissionedLabs: ['202727050123'] });
    expect(list.body.commissions).to.have.length(1);
    expect(list.body.commissions[0]).to.include({ id: res.body.id, labCmaNumber: LAB_CMA });
    expect(list.body.commissions[0].bundle).to.equal(`https://trace.example.cn/api/v1/records/${encodeURIComponent(res.body.id)}/bundle`);
  });

  it("When another producer's token commissions a lab for the batch, Then it answers 403 forbidden and nothing is recorded", async () => {
    const batchId = await batchOf(producer);
    expectError(await commission(batchId, other.token), 403, 'forbidden');
    const list = await request(t.app).get(`/api/v1/batches/${batchId}/commissions`);
    expect(list.body.commissions).to.deep.equal([]);
  });

  it('When no token or the admin token commissions a lab, Then it answers 401 or 403', async () => {
    const batchId = await batchOf(producer);
    expectError(await commission(batchId, undefined), 401, 'unauthorized');
    const res = await request(t.app).post(`/api/v1/batches/${batchId}/commissions`).set(admin()).send({ labCmaNumber: LAB_CMA });
    expectError(res, 403, 'forbidden');
  });

  it('When the batch is not on record, Then POST answers 422 unknown-batch and GET answers 404 not-found', async () => {
    expectError(await commission('NO-SUCH-BATCH-LC', producer.token), 422, 'unknown-batch');
    expectError(await request(t.app).get('/api/v1/batches/NO-SUCH-BATCH-LC/commissions'), 404, 'not-found');
  });

  it('When the lab is already commissioned (attached before, or named on the batch), Then it answers 409 conflict', async () => {
    const batchId = await batchOf(producer);
    expect((await commission(batchId, producer.token)).status).to.equal(201);
    expectError(await commission(batchId, producer.token), 409, 'conflict');

    const named = await batchOf(producer, [LAB_CMA]);
    expectError(await commission(named, producer.token), 409, 'conflict');
  });

  it('When the CMA number is malformed or an extra field is sent, Then it answers 400 invalid-input', async () => {
    const batchId = await batchOf(producer);
    expectError(await commission(batchId, producer.token, '2027'), 400, 'invalid-input');
    const extra = await request(t.app).post(`/api/v1/batches/${batchId}/commissions`).set(bearer(producer.token)).send({ labCmaNumber: LAB_CMA, batchId: 'other' });
    expectError(extra, 400, 'invalid-input');
  });

  it("When a lab reports on a batch before and after the producer commissions it, Then 403 lab-not-commissioned, then 201", async () => {
    const key = randomWallet();
    const reg = await request(t.app)
      .post('/api/v1/participants')
      .set(admin())
      .send({ kind: 'lab', name: '汉中市检验检测中心', cmaNumber: LAB_CMA, accreditedFrom: iso(now() - REGISTERED_SINCE), accreditedUntil: iso(now() + 3 * YEAR), keys: [{ address: key.address, validFrom: iso(now() - REGISTERED_SINCE), validTo: iso(now() + YEAR) }] });
    expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
    const batchId = await batchOf(producer);
    const post = async () => {
      const sub = await signedReport(t.sys, key, { batchId });
      return request(t.app).post('/api/v1/reports').send({ record: sub.record, salts: sub.salts, signature: sub.signature });
    };

    expectError(await post(), 403, 'lab-not-commissioned');
    expect((await commission(batchId, producer.token)).status).to.equal(201);
    const res = await post();
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ type: 'SeleniumTestReport', status: 'accepted' });
  });
});
