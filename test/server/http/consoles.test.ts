/*
 * The consoles' reads (server/http/routes/consoles.ts) over a real system: who a signing key belongs to, and a lab's
 * reports with their anchoring state, page by page. Bad input gets 400 invalid-input, unknown keys and labs 404.
 */
import { expect } from 'chai';
import { Wallet } from 'ethers';
import request from 'supertest';
import { FIXTURE_BATCH_ID, signedReport, storeReportBatch } from '../../support/records';
import { eventually, registerLab } from '../../support/system';
import { registerDepartment } from '../../support/trails';
import { bootTestApp, expectError, type TestApp } from './helpers';

describe('server/http console reads: GET /keys/{address}, GET /labs/{id}/reports (real anvil node)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let lab: { id: string; key: Wallet };
  const ids: string[] = [];

  before(async () => {
    t = await bootTestApp();
    lab = await registerLab(t.sys, '202727050123', Wallet.createRandom() as unknown as Wallet);
    await storeReportBatch(t.sys, { labs: ['202727050123'] });
    for (let i = 0; i < 3; i++) {
      const sub = await signedReport(t.sys, lab.key, { batchId: FIXTURE_BATCH_ID });
      const res = await request(t.app).post('/api/v1/reports').send({ record: sub.record, salts: sub.salts, signature: sub.signature });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      ids.push(res.body.id as string);
    }
  });
  after(async () => t?.sys.stop());

  it("When a lab's key address is asked for (any letter case), Then the answer is the lab's registered profile", async () => {
    for (const address of [lab.key.address, lab.key.address.toLowerCase()]) {
      const res = await request(t.app).get(`/api/v1/keys/${address}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.include({ id: lab.id, kind: 'lab', code: '202727050123', active: true });
      expect(res.body.accreditedUntil).to.be.a('string');
    }
  });

  it("When a department's key is asked for, Then the answer names a department", async () => {
    const d = await registerDepartment(t.sys, 7, '安康市统计局');
    const res = await request(t.app).get(`/api/v1/keys/${d.key.address}`);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: d.id, kind: 'department', code: d.uscc });
  });

  it('When nobody registered the key, Then 404 not-found; when it is not an address, Then 400 invalid-input', async () => {
    expectError(await request(t.app).get(`/api/v1/keys/${Wallet.createRandom().address}`), 404, 'not-found');
    expectError(await request(t.app).get('/api/v1/keys/0x1234'), 400, 'invalid-input');
    expectError(await request(t.app).get(`/api/v1/keys/${'z'.repeat(42)}`), 400, 'invalid-input');
  });

  it("When a lab's reports are listed two at a time, Then every report comes once, in arrival order, each with its anchoring state, until anchored", async () => {
    const first = await request(t.app).get(`/api/v1/labs/${lab.id}/reports?limit=2`);
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body.items.map((r: { id: string }) => r.id)).to.deep.equal(ids.slice(0, 2));
    expect(first.body.next).to.be.a('string');
    const second = await request(t.app).get(`/api/v1/labs/${lab.id}/reports?limit=2&after=${first.body.next as string}`);
    expect(second.body.items.map((r: { id: string }) => r.id)).to.deep.equal(ids.slice(2));
    expect(second.body.next).to.equal(null);
    for (const r of [...first.body.items, ...second.body.items]) expect(r.status).to.be.oneOf(['pending', 'anchored']);
    await eventually(async () => {
      const all = await request(t.app).get(`/api/v1/labs/${lab.id}/reports`);
      return all.body.items.length === 3 && all.body.items.every((r: { status: string }) => r.status === 'anchored');
    });
  });

  it('When the id is not a lab, is malformed, or the query is bad, Then 404 not-found or 400 invalid-input, never a 500', async () => {
    expectError(await request(t.app).get(`/api/v1/labs/0x${'ab'.repeat(32)}/reports`), 404, 'not-found');
    const d = await registerDepartment(t.sys, 8, '安康市水利局');
    expectError(await request(t.app).get(`/api/v1/labs/${d.id}/reports`), 404, 'not-found');
    expectError(await request(t.app).get('/api/v1/labs/lab-1/reports'), 400, 'invalid-input');
    for (const q of ['limit=0', 'limit=101', 'limit=two', 'after=-1', 'after=x', 'extra=1']) {
      expectError(await request(t.app).get(`/api/v1/labs/${lab.id}/reports?${q}`), 400, 'invalid-input');
    }
  });
});
