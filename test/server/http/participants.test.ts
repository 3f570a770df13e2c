import { expect } from 'chai';
import fs from 'node:fs';
import request from 'supertest';
import { participantIdFor } from '../../../server/chain/registry';
import { hashToken } from '../../../server/service/tokens';
import { randomWallet } from '../records/fixtures';
import { admin, bearer, bootTestApp, expectError, producerWithToken, uscc, type TestApp } from './helpers';

const DEPARTMENT = uscc('11610900MB0F12345');
/** Windows cannot start in the past (back-dating): these start on 1 January two years ahead. */
const Y = new Date().getUTCFullYear() + 2;
const day = (years: number, rest = '-01-01') => `${Y + years}${rest}`;

describe('server/http participants and tokens (real anvil node)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let labId: string;
  const labKey = randomWallet();

  before(async () => {
    t = await bootTestApp();
  });
  after(async () => t?.sys.stop());

  describe('POST /api/v1/participants', () => {
    it('When the admin registers a lab with a key, Then it answers 201 with the lab mirrored from the chain', async () => {
      const res = await request(t.app)
        .post('/api/v1/participants')
        .set(admin())
        .send({ kind: 'lab', name: '安康市富硒产品质量检验检测中心', cmaNumber: '202727050123', accreditedFrom: day(0), accreditedUntil: day(6), keys: [{ address: labKey.address, validFrom: day(0), validTo: `${day(5, '-12-31')}T23:59:59Z` }] });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      labId = res.body.id;
      expect(labId).to.equal(participantIdFor('lab', '202727050123'));
      expect(res.body).to.include({ kind: 'lab', code: '202727050123', active: true, accreditedFrom: `${day(0)}T00:00:00.000Z`, accreditedUntil: `${day(6)}T00:00:00.000Z` });
      expect(res.body.keys).to.deep.equal([{ address: labKey.address, validFrom: `${day(0)}T00:00:00.000Z`, validTo: `${day(5, '-12-31')}T23:59:59.000Z`, revokedAt: null }]);
      expect(res.headers.location).to.equal(`/api/v1/participants/${labId}`);
    });

    it('When the admin registers a department, Then it answers 201', async () => {
      const res = await request(t.app).post('/api/v1/participants').set(admin()).send({ kind: 'department', name: '安康市市场监督管理局', uscc: DEPARTMENT });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.include({ kind: 'department', code: DEPARTMENT, accreditedFrom: null });
    });

    it('When the same participant is registered again, Then it answers 409 conflict', async () => {
      expectError(await request(t.app).post('/api/v1/participants').set(admin()).send({ kind: 'department', name: '安康市市场监督管理局', uscc: DEPARTMENT }), 409, 'conflict');
    });

    it('When the CMA number or the USCC is malformed, Then it answers 400 invalid-input naming the field', async () => {
      const lab = await request(t.app).post('/api/v1/participants').set(admin()).send({ kind: 'lab', name: 'x', cmaNumber: '12345', accreditedFrom: '2024-01-01', accreditedUntil: '2030-01-01' });
      expectError(lab, 400, 'invalid-input');
      expect(lab.body.error.message).to.contain('cmaNumber');
      const producer = await request(t.app).post('/api/v1/participants').set(admin()).send({ kind: 'producer', name: 'x', uscc: '91610924MA6YAB3K2X' });
      expectError(producer, 400, 'invalid-input');
      expect(producer.body.error.message).to.contain('uscc');
    });

    it('When the kind is unknown, Then it answers 400 invalid-input', async () => {
      expectError(await request(t.app).post('/api/v1/participants').set(admin()).send({ kind: 'farmer', name: 'x' }), 400, 'invalid-input');
    });

    it('When no token, a wrong token or a producer token is used, Then it answers 401, 401 and 403', async () => {
      const body = { kind: 'producer', name: '旬阳县富硒拐枣', uscc: uscc('91610928MA6YAB3K2') };
      expectError(await request(t.app).post('/api/v1/participants').send(body), 401, 'unauthorized');
      expectError(await request(t.app).post('/api/v1/participants').set(admin('wrong-admin-token-wrong-admin-token')).send(body), 401, 'unauthorized');
      const p = await producerWithToken(t.app, '石泉县富硒蚕桑', uscc('91610922MA6YAB3K2'));
      expectError(await request(t.app).post('/api/v1/participants').set(bearer(p.token)).send(body), 403, 'forbidden');
    });
  });

  describe('GET /api/v1/participants', () => {
    it('When participants are listed by kind, Then only that kind comes back', async () => {
      const res = await request(t.app).get('/api/v1/participants?kind=lab');
      expect(res.status).to.equal(200);
      expect(res.body.items.map((p: { kind: string }) => p.kind)).to.deep.equal(['lab']);
      const all = await request(t.app).get('/api/v1/participants');
      expect(new Set(all.body.items.map((p: { kind: string }) => p.kind))).to.deep.equal(new Set(['lab', 'department', 'producer']));
    });

    it('When the kind is unknown, Then it answers 400 invalid-input', async () => {
      expectError(await request(t.app).get('/api/v1/participants?kind=farmer'), 400, 'invalid-input');
    });

    it('When one participant is read, Then it comes with its keys; an unknown id answers 404 and a malformed one 400', async () => {
      const res = await request(t.app).get(`/api/v1/participants/${labId}`);
      expect(res.status).to.equal(200);
      expect(res.body.keys).to.have.length(1);
      expectError(await request(t.app).get(`/api/v1/participants/0x${'ab'.repeat(32)}`), 404, 'not-found');
      expectError(await request(t.app).get('/api/v1/participants/202727050123'), 400, 'invalid-input');
    });
  });

  describe('signing keys', () => {
    const second = randomWallet();

    it('When the admin adds a key, Then it answers 201 with the key', async () => {
      const res = await request(t.app).post(`/api/v1/participants/${labId}/keys`).set(admin()).send({ address: second.address, validFrom: day(1), validTo: day(3) });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.deep.equal({ address: second.address, validFrom: `${day(1)}T00:00:00.000Z`, validTo: `${day(3)}T00:00:00.000Z`, revokedAt: null });
    });

    it('back-dating: When a key window or an accreditation would start in the past (here 2024), Then it answers 400 window-starts-in-past naming the field, before any transaction', async () => {
      const key = await request(t.app).post(`/api/v1/participants/${labId}/keys`).set(admin()).send({ address: randomWallet().address, validFrom: '2024-01-01', validTo: day(1) });
      expectError(key, 400, 'window-starts-in-past');
      expect(key.body.error.message).to.contain('validFrom');
      const lab = await request(t.app).post('/api/v1/participants').set(admin()).send({ kind: 'lab', name: '回溯检测中心', cmaNumber: '202727059999', accreditedFrom: '2024-01-01', accreditedUntil: day(6) });
      expectError(lab, 400, 'window-starts-in-past');
      expect(lab.body.error.message).to.contain('accreditedFrom');
      expectError(await request(t.app).get(`/api/v1/participants/${participantIdFor('lab', '202727059999')}`), 404, 'not-found');
    });

    it('When the key is already registered, Then it answers 409 conflict', async () => {
      expectError(await request(t.app).post(`/api/v1/participants/${labId}/keys`).set(admin()).send({ address: second.address, validFrom: day(1), validTo: day(3) }), 409, 'conflict');
    });

    it('When the window is inverted, Then it answers 400 invalid-input', async () => {
      expectError(await request(t.app).post(`/api/v1/participants/${labId}/keys`).set(admin()).send({ address: randomWallet().address, validFrom: day(3), validTo: day(1) }), 400, 'invalid-input');
    });

    it('When the participant is unknown, Then it answers 404 not-found', async () => {
      expectError(await request(t.app).post(`/api/v1/participants/0x${'cd'.repeat(32)}/keys`).set(admin()).send({ address: randomWallet().address, validFrom: day(1), validTo: day(3) }), 404, 'not-found');
    });

    it('When the admin revokes the key, Then it answers 200 with revokedAt; revoking again answers 409', async () => {
      const res = await request(t.app).delete(`/api/v1/participants/${labId}/keys/${second.address}`).set(admin());
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.revokedAt).to.be.a('string');
      expectError(await request(t.app).delete(`/api/v1/participants/${labId}/keys/${second.address}`).set(admin()), 409, 'conflict');
    });

    it('When the key is not one of the participant, Then it answers 404 not-found', async () => {
      expectError(await request(t.app).delete(`/api/v1/participants/${labId}/keys/${randomWallet().address}`).set(admin()), 404, 'not-found');
    });

    it('When a key route is called without the admin token, Then it answers 401', async () => {
      expectError(await request(t.app).delete(`/api/v1/participants/${labId}/keys/${labKey.address}`), 401, 'unauthorized');
    });
  });

  describe('spot-check designations (监督抽检)', () => {
    const spotCheck = (id: string) => `/api/v1/admin/labs/${id}/spot-check`;
    const now = () => Math.floor(Date.now() / 1000);
    const seconds = (iso: string) => Date.parse(iso) / 1000;
    /** The body takes instants (whole seconds, Z). */
    const at = (date: string) => `${date}T00:00:00Z`;

    it('When the regulator designates a lab without from, Then it answers 201 with the lab, its window from now to until', async () => {
      const before = now();
      const res = await request(t.app).post(spotCheck(labId)).set(admin()).send({ until: at(day(1)) });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.include({ id: labId, kind: 'lab' });
      expect(res.body.spotCheck.until).to.equal(`${day(1)}T00:00:00.000Z`);
      expect(seconds(res.body.spotCheck.from)).to.be.within(before - 5, now() + 5);
      expect((await request(t.app).get(`/api/v1/participants/${labId}`)).body.spotCheck).to.deep.equal(res.body.spotCheck);
    });

    it('When a designation route is called without the admin token, with a wrong one or with a producer token, Then it answers 401, 401 and 403', async () => {
      expectError(await request(t.app).post(spotCheck(labId)).send({ until: at(day(1)) }), 401, 'unauthorized');
      expectError(await request(t.app).delete(spotCheck(labId)), 401, 'unauthorized');
      expectError(await request(t.app).post(spotCheck(labId)).set(admin('wrong-admin-token-wrong-admin-token')).send({ until: at(day(1)) }), 401, 'unauthorized');
      const p = await producerWithToken(t.app, '汉阴县富硒粮油', uscc('91610921MA6YAB3K2'));
      expectError(await request(t.app).post(spotCheck(labId)).set(bearer(p.token)).send({ until: at(day(1)) }), 403, 'forbidden');
      expectError(await request(t.app).delete(spotCheck(labId)).set(bearer(p.token)), 403, 'forbidden');
    });

    it('When the lab is unknown or another kind of participant, Then it answers 404 not-found', async () => {
      expectError(await request(t.app).post(spotCheck(`0x${'ef'.repeat(32)}`)).set(admin()).send({ until: at(day(1)) }), 404, 'not-found');
      const department = await request(t.app).post(spotCheck(participantIdFor('department', DEPARTMENT))).set(admin()).send({ until: at(day(1)) });
      expectError(department, 404, 'not-found');
      expect(department.body.error.message).to.contain(`it is the department 安康市市场监督管理局 (${DEPARTMENT})`);
      expectError(await request(t.app).delete(spotCheck(`0x${'ef'.repeat(32)}`)).set(admin()), 404, 'not-found');
    });

    it('back-dating: When the window starts more than an hour in the past, Then it answers 400 window-starts-in-past naming from; an inverted window answers 400 invalid-input', async () => {
      const past = await request(t.app).post(spotCheck(labId)).set(admin()).send({ from: '2024-01-01T00:00:00Z', until: at(day(1)) });
      expectError(past, 400, 'window-starts-in-past');
      expect(past.body.error.message).to.contain('from 2024-01-01T00:00:00Z lies in the past');
      expectError(await request(t.app).post(spotCheck(labId)).set(admin()).send({ from: at(day(2)), until: at(day(1)) }), 400, 'invalid-input');
      expect((await request(t.app).get(`/api/v1/participants/${labId}`)).body.spotCheck.until, 'the designation in force is untouched').to.equal(`${day(1)}T00:00:00.000Z`);
    });

    it('When the regulator ends the designation, Then it answers 200 with the window ending now; ending it again answers 409 conflict', async () => {
      const res = await request(t.app).delete(spotCheck(labId)).set(admin());
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(seconds(res.body.spotCheck.until)).to.be.within(now() - 30, now() + 30);
      expectError(await request(t.app).delete(spotCheck(labId)).set(admin()), 409, 'conflict');
    });
  });

  describe('tokens', () => {
    it('When the admin issues a token by USCC, Then it answers 201 with the token once, and only its hash is kept', async () => {
      const code = uscc('91610923MA6YAB3K2');
      const reg = await request(t.app).post('/api/v1/participants').set(admin()).send({ kind: 'producer', name: '宁陕县富硒天麻', uscc: code });
      expect(reg.status).to.equal(201);
      const res = await request(t.app).post('/api/v1/tokens').set(admin()).send({ producerId: code, label: '宁陕 ERP' });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.body).to.include({ producerId: reg.body.id, label: '宁陕 ERP', tokenHash: hashToken(res.body.token) });

      const stored = await t.sys.store.getToken(res.body.tokenHash);
      expect(stored).to.include({ role: 'producer', participantId: reg.body.id, revokedAt: null });
      const db = fs.readFileSync(t.sys.config.dbPath);
      const wal = fs.existsSync(`${t.sys.config.dbPath}-wal`) ? fs.readFileSync(`${t.sys.config.dbPath}-wal`) : Buffer.alloc(0);
      expect(db.includes(res.body.token)).to.equal(false);
      expect(wal.includes(res.body.token)).to.equal(false);
    });

    it('When the producer is unknown, Then it answers 404 not-found', async () => {
      expectError(await request(t.app).post('/api/v1/tokens').set(admin()).send({ producerId: uscc('91610929MA6YAB3K2'), label: 'x' }), 404, 'not-found');
    });

    it('When the producer id is a lab, Then it answers 404 not-found', async () => {
      expectError(await request(t.app).post('/api/v1/tokens').set(admin()).send({ producerId: labId, label: 'x' }), 404, 'not-found');
    });

    it('When the label is missing, Then it answers 400 invalid-input', async () => {
      expectError(await request(t.app).post('/api/v1/tokens').set(admin()).send({ producerId: labId }), 400, 'invalid-input');
    });

    it('When a producer token tries to issue a token, Then it answers 403 forbidden', async () => {
      const p = await producerWithToken(t.app, '白河县富硒木瓜', uscc('91610929MA6YAB3K3'));
      expectError(await request(t.app).post('/api/v1/tokens').set(bearer(p.token)).send({ producerId: p.id, label: 'more' }), 403, 'forbidden');
    });

    it('When the admin revokes a token, Then it answers 200 with revokedAt, again 200, and the token stops working', async () => {
      const p = await producerWithToken(t.app, '镇坪县富硒腊肉', uscc('91610927MA6YAB3K2'));
      const res = await request(t.app).delete(`/api/v1/tokens/${p.tokenHash}`).set(admin());
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ tokenHash: p.tokenHash, producerId: p.id });
      expect(res.body.revokedAt).to.be.a('string');
      const again = await request(t.app).delete(`/api/v1/tokens/${p.tokenHash}`).set(admin());
      expect(again.body.revokedAt).to.equal(res.body.revokedAt);
      expectError(await request(t.app).get('/api/v1/batches').set(bearer(p.token)), 401, 'unauthorized');
    });

    it('When the hash is unknown or malformed, Then it answers 404 or 400', async () => {
      expectError(await request(t.app).delete(`/api/v1/tokens/${'0'.repeat(64)}`).set(admin()), 404, 'not-found');
      expectError(await request(t.app).delete('/api/v1/tokens/xyz').set(admin()), 400, 'invalid-input');
    });
  });
});
