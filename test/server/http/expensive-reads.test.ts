/**
 * Costs bounded per client (issue 11, item 3): label sheets and large QR images need a token, expensive
 * reads have their own per-client limit, trail verifications are cached per trail head and receipts per record.
 */
import { expect } from 'chai';
import type express from 'express';
import request from 'supertest';
import { createApp } from '../../../server/http/app';
import { MAX_PUBLIC_LABELS, MAX_PUBLIC_QR_SIZE } from '../../../server/http/routes/labels';
import { getShareReceipt } from '../../../server/service/shares';
import type { SqliteStore } from '../../../server/store/sqlite';
import { CachedReceipts, CachedTrailVerifier } from '../../../server/trails';
import { batchInputNow } from '../records/fixtures';
import { FIXTURE_PRODUCT_KEYS, eventually } from '../../support/system';
import { randomKey, registerDepartment, type Department } from '../../support/trails';
import { ADMIN_TOKEN, admin, bearer, bootTestApp, expectError, producerWithToken, uscc, type TestApp } from './helpers';
import { USCC } from '../records/fixtures';

describe('server/http expensive reads: tokens, per-client limit and caches (real anvil node)', function () {
  this.timeout(240_000);
  let t: TestApp;
  let owner: { id: string; token: string };
  let stranger: { id: string; token: string };
  const batches: string[] = [];
  let market: Department;
  let agriculture: Department;

  before(async () => {
    t = await bootTestApp();
    owner = await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS);
    stranger = await producerWithToken(t.app, '平利县富硒茶厂', uscc('91610926MA6YAB3K2'));
    for (let i = 0; i <= MAX_PUBLIC_LABELS; i++) {
      const res = await request(t.app).post('/api/v1/batches').set(bearer(owner.token)).send(batchInputNow({ id: `EXP-${i}` }));
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      batches.push(res.body.id as string);
    }
    market = await registerDepartment(t.sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(t.sys, 2, '安康市农业农村局');
  });
  after(async () => t?.sys.stop());

  /** The app over the same system with `config` patched. */
  const appWithConfig = (patch: Partial<TestApp['sys']['config']>): express.Express => createApp({ ...t.ctx, sys: { ...t.sys, config: { ...t.sys.config, ...patch } } });

  describe('label sheets and QR sizes', () => {
    const sheet = (ids: readonly string[]) => `/api/v1/labels.pdf?ids=${ids.join(',')}`;

    it(`When a sheet of ${MAX_PUBLIC_LABELS} labels is asked for without a token, Then it is served`, async () => {
      const res = await request(t.app).get(sheet(batches.slice(0, MAX_PUBLIC_LABELS)));
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('application/pdf');
    });

    it(`When a sheet of more than ${MAX_PUBLIC_LABELS} labels is asked for without a token, Then it answers 401 unauthorized`, async () => {
      expectError(await request(t.app).get(sheet(batches)), 401, 'unauthorized');
    });

    it("When another producer's token asks for a large sheet of these batches, Then it answers 403 forbidden", async () => {
      expectError(await request(t.app).get(sheet(batches)).set(bearer(stranger.token)), 403, 'forbidden');
    });

    it("When the batches' producer or the admin asks for a large sheet, Then it is served", async () => {
      expect((await request(t.app).get(sheet(batches)).set(bearer(owner.token))).status).to.equal(200);
      expect((await request(t.app).get(sheet(batches)).set(admin())).status).to.equal(200);
    });

    it(`When a QR image above ${MAX_PUBLIC_QR_SIZE} px is asked for, Then it needs the producer's or the admin token`, async () => {
      const big = `/api/v1/batches/${batches[0]!}/qr.png?size=${MAX_PUBLIC_QR_SIZE * 2}`;
      expectError(await request(t.app).get(big), 401, 'unauthorized');
      expectError(await request(t.app).get(big).set(bearer(stranger.token)), 403, 'forbidden');
      expect((await request(t.app).get(big).set(bearer(owner.token))).status).to.equal(200);
      expect((await request(t.app).get(big).set(admin())).status).to.equal(200);
      expect((await request(t.app).get(`/api/v1/batches/${batches[0]!}/qr.png?size=${MAX_PUBLIC_QR_SIZE}`)).status).to.equal(200);
    });
  });

  describe('the per-client limit on expensive reads', () => {
    it('When a client goes over EXPENSIVE_READS_PER_MINUTE, Then it answers 429 rate-limited with Retry-After, and token holders and writes keep their own buckets', async () => {
      const app = appWithConfig({ EXPENSIVE_READS_PER_MINUTE: 2, RATE_LIMIT_WRITES_PER_MINUTE: 600 });
      const qr = `/api/v1/batches/${batches[0]!}/qr.svg`;
      expect((await request(app).get(qr)).status).to.equal(200);
      expect((await request(app).get(`/api/v1/departments/${market.id}/trail/verify`)).status).to.equal(200);
      const limited = await request(app).get(qr);
      expectError(limited, 429, 'rate-limited');
      expect(Number(limited.headers['retry-after'])).to.be.within(1, 60);
      expectError(await request(app).get(`/api/v1/shares/${'X'.repeat(8)}/receipt`), 429, 'rate-limited');
      // A producer's token and the admin token are buckets of their own.
      expect((await request(app).get(qr).set(bearer(owner.token))).status).to.equal(200);
      expect((await request(app).get(qr).set(admin(ADMIN_TOKEN))).status).to.equal(200);
      // Writes are limited apart: the same client's write is judged on its merits (here: an invalid body).
      expectError(await request(app).post('/api/v1/shares').send({}), 400, 'invalid-input');
      // Cheap reads are not limited.
      expect((await request(app).get('/api/v1/departments')).status).to.equal(200);
    });
  });

  describe('caches', () => {
    const verify = () => request(t.app).get(`/api/v1/departments/${market.id}/trail/verify`);
    /** Waits until the market's trail verifies as valid with `entries` entries; returns that answer's body. */
    const verifiedWith = (entries: number) =>
      eventually(async () => {
        const res = await verify();
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        return res.body.verdict === 'valid' && res.body.entries === entries ? (res.body as Record<string, unknown>) : undefined;
      }, 60_000, 250);

    it('When a trail is verified twice with nothing new, Then the same answer (timings included) comes back; a new share step changes it, and its anchoring again', async () => {
      await market.request(agriculture, { id: 'req-cache-1' });
      const first = await verifiedWith(1);
      expect((await verify()).body).to.deep.equal(first);

      await market.request(agriculture, { id: 'req-cache-2' });
      const accepted = (await verify()).body as { entries: number; verdict: string };
      expect(accepted.entries).to.equal(2); // the new head is seen at once: not the cached answer
      const anchored = await verifiedWith(2);
      expect(anchored.checkpoint).not.to.deep.equal(first.checkpoint);
      expect((await verify()).body).to.deep.equal(anchored);
    });

    it('When the cached verifier is asked again, Then it recomputes only after the head, the anchor or the department keys moved', async () => {
      const verifier = new CachedTrailVerifier({ store: t.sys.store, reader: t.ctx.reader, deployment: t.sys.deployment });
      const a = await verifier.verify(market.id);
      const b = await verifier.verify(market.id);
      expect(b).to.equal(a);
      expect(verifier.computed).to.equal(1);
      await market.request(agriculture, { id: 'req-cache-3' });
      const c = await verifier.verify(market.id);
      expect(verifier.computed).to.equal(2); // the head moved
      expect(c.entries).to.equal(a.entries + 1);
      expect(c.verdict).to.equal('pending');
      const anchored = await eventually(async () => {
        const v = await verifier.verify(market.id);
        return v.verdict === 'valid' ? v : undefined;
      }, 60_000, 250);
      expect(verifier.computed).to.be.greaterThan(2); // the anchor moved
      const settled = verifier.computed;
      expect(await verifier.verify(market.id)).to.equal(anchored);
      expect(verifier.computed).to.equal(settled);
      // A key registered for the department (the verification quotes the mirror's keys) moves the stamp too.
      const now = Math.floor(Date.now() / 1000);
      await t.sys.registries.addKey(market.id, randomKey().address, now, now + 3600);
      await t.sys.mirror.sync();
      await verifier.verify(market.id);
      expect(verifier.computed).to.equal(settled + 1);
    });

    it("When a stored share step is edited in place, Then the auditor's verification (admin token) catches it at once; an anonymous caller may get the cached answer until the trail moves", async () => {
      const ack = await market.request(agriculture, { id: 'req-cache-edit' });
      // Anchored and verified (so cached) before the edit.
      await eventually(async () => ((await verify()).body.verdict === 'valid' ? true : undefined), 60_000, 250);
      const db = (t.sys.store as SqliteStore).db;
      const { body } = db.prepare('SELECT body FROM records WHERE id = ?').get(ack.id) as { body: string };
      db.prepare('UPDATE records SET body = ? WHERE id = ?').run(JSON.stringify({ ...(JSON.parse(body) as object), purpose: '用于商业营销' }), ack.id);
      try {
        const audited = await request(t.app).get(`/api/v1/departments/${market.id}/trail/verify`).set(admin());
        expect(audited.status).to.equal(200);
        expect(audited.body.verdict).to.equal('invalid');
        // The auditor's fresh answer refreshed the cache: anonymous callers see it too.
        expect((await verify()).body.verdict).to.equal('invalid');
      } finally {
        db.prepare('UPDATE records SET body = ? WHERE id = ?').run(body, ack.id);
      }
      expect((await request(t.app).get(`/api/v1/departments/${market.id}/trail/verify`).set(admin())).body.verdict).to.equal('valid');
    });

    it('When a receipt is asked for twice, Then it is signed once and the same body comes back', async () => {
      const ack = await market.request(agriculture, { id: 'req-cache-4' });
      const receipts = new CachedReceipts((id) => getShareReceipt(t.sys, id));
      const first = await eventually(() => receipts.receipt(ack.id), 30_000, 100);
      const again = await receipts.receipt(ack.id);
      expect(again).to.deep.equal(first);
      expect(receipts.signed).to.equal(1);
      const overHttp = await eventually(async () => {
        const res = await request(t.app).get(`/api/v1/shares/${encodeURIComponent(ack.id)}/receipt`);
        return res.status === 200 ? res.body : undefined;
      });
      expect(overHttp).to.deep.equal(first);
      expect((await request(t.app).get(`/api/v1/shares/${encodeURIComponent(ack.id)}/receipt`)).body).to.deep.equal(first);
    });
  });
});
