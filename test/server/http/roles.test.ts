/*
 * server/http/auth: role tokens at the API. Each route lets in exactly the roles its contract names (the operator
 * passes all but those that act for one producer); a department reads the details, alerts and audit report of its
 * own shares only; an attacker holding one valid token of any role gets 403, never another role's powers.
 */
import { expect } from 'chai';
import request from 'supertest';
import { registerLab } from '../../support/system';
import { completeShare, registerDepartment, type Department } from '../../support/trails';
import { batchInputNow, USCC } from '../records/fixtures';
import { admin, bearer, bootTestApp, expectError, producerWithToken, uscc, type TestApp } from './helpers';

describe('server/http roles: what each role token may do (real anvil node)', function () {
  this.timeout(180_000);
  let t: TestApp;
  let tokens: Record<'registrar' | 'regulator' | 'auditor' | 'lab' | 'market' | 'agriculture' | 'health', string>;
  let producer: { id: string; token: string };
  let market: Department;
  let agriculture: Department;
  let health: Department;
  let marketShare: Awaited<ReturnType<typeof completeShare>>;
  let otherShare: Awaited<ReturnType<typeof completeShare>>;

  const issue = async (body: Record<string, unknown>, by: Record<string, string> = admin()) => {
    const res = await request(t.app).post('/api/v1/tokens').set(by).send({ label: 'roles test', ...body });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.token as string;
  };

  before(async () => {
    t = await bootTestApp();
    producer = await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, ['6901234']);
    const lab = await registerLab(t.sys);
    market = await registerDepartment(t.sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(t.sys, 2, '安康市农业农村局');
    health = await registerDepartment(t.sys, 3, '安康市卫生健康委员会');
    marketShare = await completeShare(market, agriculture, 'roles-1');
    otherShare = await completeShare(health, agriculture, 'roles-2');
    tokens = {
      registrar: await issue({ role: 'registrar' }),
      regulator: await issue({ role: 'regulator' }),
      auditor: await issue({ role: 'auditor' }),
      lab: await issue({ role: 'lab', participantId: lab.id }),
      market: await issue({ role: 'department', participantId: market.id }),
      agriculture: await issue({ role: 'department', participantId: agriculture.id }),
      health: await issue({ role: 'department', participantId: health.id }),
    };
  });
  after(async () => t?.sys.stop());

  it('Given the registrar, When it registers a producer and issues its token, Then both work; an auditor or regulator token it may not issue (403)', async () => {
    const reg = await request(t.app).post('/api/v1/participants').set(bearer(tokens.registrar)).send({ kind: 'producer', name: '旬阳县拐枣合作社', uscc: uscc('91610928MA6YA1B2C') });
    expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
    const producerToken = await issue({ role: 'producer', participantId: producer.id }, bearer(tokens.registrar));
    expect(producerToken.startsWith('tlp_')).to.equal(true);
    expectError(await request(t.app).post('/api/v1/tokens').set(bearer(tokens.registrar)).send({ role: 'auditor', label: 'x' }), 403, 'forbidden');
    expect((await request(t.app).get('/api/v1/tokens').set(bearer(tokens.registrar))).status).to.equal(200);
  });

  it('When each token tries what is not its role, Then 403 forbidden (an attacker holding one valid token gains nothing more)', async () => {
    const tries: [string, () => request.Test][] = [
      ['registrar revokes a record', () => request(t.app).post('/api/v1/revocations').set(bearer(tokens.registrar)).send({ recordId: marketShare.request.id, reason: 'error' })],
      ['auditor revokes a record', () => request(t.app).post('/api/v1/revocations').set(bearer(tokens.auditor)).send({ recordId: marketShare.request.id, reason: 'error' })],
      ['auditor registers a lab', () => request(t.app).post('/api/v1/participants').set(bearer(tokens.auditor)).send({ kind: 'department', name: 'x', uscc: '11610900MB0000009X' })],
      ['regulator issues a token', () => request(t.app).post('/api/v1/tokens').set(bearer(tokens.regulator)).send({ role: 'producer', participantId: producer.id, label: 'x' })],
      ['lab reads alerts', () => request(t.app).get('/api/v1/alerts').set(bearer(tokens.lab))],
      ['producer reads alerts', () => request(t.app).get('/api/v1/alerts').set(bearer(producer.token))],
      ['department submits a batch', () => request(t.app).post('/api/v1/batches').set(bearer(tokens.market)).send(batchInputNow({ id: 'ROLE-B-1' }))],
      ['operator submits a batch (acts for no producer)', () => request(t.app).post('/api/v1/batches').set(admin()).send(batchInputNow({ id: 'ROLE-B-2' }))],
      ['department runs the log monitor', () => request(t.app).get('/api/v1/logs/data-sharing/monitor').set(bearer(tokens.market))],
      ['auditor lists tokens', () => request(t.app).get('/api/v1/tokens').set(bearer(tokens.auditor))],
    ];
    for (const [what, send] of tries) {
      const res = await send();
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(403);
      expect(res.body.error.code, what).to.equal('forbidden');
    }
  });

  it('Given the auditor and the regulator, When they read alerts, trails and an audit report, Then they get all of it, afresh, and the report is signed', async () => {
    for (const token of [tokens.auditor, tokens.regulator]) {
      const alerts = await request(t.app).get('/api/v1/alerts').set(bearer(token));
      expect(alerts.status).to.equal(200);
      const share = await request(t.app).get(`/api/v1/shares/${encodeURIComponent(marketShare.request.id)}`).set(bearer(token));
      expect(share.body.withheld, 'an auditor reads the details').to.equal(undefined);
      expect(share.body.fields.purpose).to.be.a('string');
      const report = await request(t.app).get(`/api/v1/departments/${market.id}/audit-report`).set(bearer(token));
      expect(report.status).to.equal(200);
      expect(report.body.signature.signer.toLowerCase()).to.equal(t.sys.operatorAddress.toLowerCase());
    }
  });

  it('Given a department token, When it reads share details, Then those of its own shares are whole and another department\'s are the skeleton', async () => {
    const own = await request(t.app).get(`/api/v1/shares/${encodeURIComponent(marketShare.request.id)}`).set(bearer(tokens.market));
    expect(own.body.withheld).to.equal(undefined);
    expect(own.body.fields.purpose).to.be.a('string');
    // agriculture provides both shares: it reads both.
    const provider = await request(t.app).get(`/api/v1/shares/${encodeURIComponent(otherShare.request.id)}`).set(bearer(tokens.agriculture));
    expect(provider.body.withheld).to.equal(undefined);
    const other = await request(t.app).get(`/api/v1/shares/${encodeURIComponent(otherShare.request.id)}`).set(bearer(tokens.market));
    expect(other.body.withheld).to.include('purpose');
    expect(other.body.fields.purpose).to.equal(undefined);
    expectError(await request(t.app).get(`/api/v1/records/${encodeURIComponent(otherShare.request.id)}/bundle`).set(bearer(tokens.market)), 403, 'forbidden');
    expect((await request(t.app).get(`/api/v1/records/${encodeURIComponent(marketShare.request.id)}/bundle`).set(bearer(tokens.market))).status).to.equal(200);
  });

  it('Given a department token, When it reads alerts and audit reports, Then only its own; another department\'s is 403', async () => {
    const mine = await request(t.app).get('/api/v1/alerts').set(bearer(tokens.health));
    expect(mine.status).to.equal(200);
    for (const a of mine.body.items as { departmentId: string }[]) expect(a.departmentId).to.equal(health.id);
    expectError(await request(t.app).get(`/api/v1/alerts?department=${market.id}`).set(bearer(tokens.health)), 403, 'forbidden');
    expect((await request(t.app).get(`/api/v1/departments/${health.id}/audit-report`).set(bearer(tokens.health))).status).to.equal(200);
    expectError(await request(t.app).get(`/api/v1/departments/${market.id}/audit-report`).set(bearer(tokens.health)), 403, 'forbidden');
    expectError(await request(t.app).post(`/api/v1/deliveries/${encodeURIComponent(marketShare.delivery.id)}/check`).set(bearer(tokens.health)).send({ sha256: `0x${'00'.repeat(32)}` }), 403, 'forbidden');
    expect((await request(t.app).post(`/api/v1/deliveries/${encodeURIComponent(marketShare.delivery.id)}/check`).set(bearer(tokens.market)).send({ sha256: `0x${'00'.repeat(32)}` })).status).to.equal(200);
  });

  it('When a token is revoked, Then it opens nothing (401)', async () => {
    const token = await issue({ role: 'auditor' });
    const list = await request(t.app).get('/api/v1/tokens').set(admin());
    const hash = (list.body.items as { tokenHash: string; revokedAt: string | null }[]).at(-1)!.tokenHash;
    expect((await request(t.app).delete(`/api/v1/tokens/${hash}`).set(admin())).status).to.equal(200);
    expectError(await request(t.app).get('/api/v1/alerts').set(bearer(token)), 401, 'unauthorized');
  });
});
