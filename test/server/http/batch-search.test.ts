/*
 * The producer console's API at scale: batch search and paging (GET /api/v1/batches with q, lot, gtin, category,
 * from/to, order), the producer's identity from its token (POST /api/v1/batches without `producer`, producer-mismatch
 * for another's), and a producer token that never reaches another producer's batches (listed, searched or printed).
 */
import { expect } from 'chai';
import request from 'supertest';
import { gs1CheckDigit } from '../../../server/records/identifiers';
import { batchInputNow, USCC } from '../records/fixtures';
import { FIXTURE_PRODUCT_KEYS } from '../../support/system';
import { pdfInfo } from '../labels/helpers';
import { admin, bearer, bootTestApp, expectError, producerWithToken, uscc, type TestApp } from './helpers';

const NAME = '紫阳县富硒茶业有限公司';
const RIVAL_NAME = '平利县富硒茶厂';
const RIVAL_USCC = uscc('91610926MA6YAB3K2');
const gtin = (first12: string) => first12 + String(gs1CheckDigit(first12));

let seq = 0;
const nextId = () => `SEARCH-${Date.now()}-${++seq}`;

interface ListItem {
  id: string;
  fields: { lot: string; gtin?: string; productCategory: string; productionDate: { date: string }; certificate?: { productName: string } };
}

describe('server/http batch search and producer identity (real anvil node)', function () {
  this.timeout(180_000);
  let t: TestApp;
  let mine: { id: string; token: string };
  let rival: { id: string; token: string };
  /** The ids of the batches `mine` registered, in order of submission. */
  const ids: string[] = [];
  const RUN = `S${(Date.now() % 1e6).toString(36)}`;

  /** Submits a batch for `mine` (without `producer`: the server fills it in from the token). */
  async function submit(overrides: Record<string, unknown>): Promise<string> {
    const body: Record<string, unknown> = { ...batchInputNow({ id: nextId(), reportIds: [], certificate: undefined, certificateIssuer: undefined }), ...overrides };
    delete body.producer;
    const res = await request(t.app).post('/api/v1/batches').set(bearer(mine.token)).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    ids.push(res.body.id as string);
    return res.body.id as string;
  }

  before(async () => {
    t = await bootTestApp();
    mine = await producerWithToken(t.app, NAME, USCC.producer, FIXTURE_PRODUCT_KEYS);
    rival = await producerWithToken(t.app, RIVAL_NAME, RIVAL_USCC, ['6907777']);
    // 12 batches: lots {RUN}-TEA-00..07 (tea, GTIN A) and {RUN}-RICE-00..03 (paddy rice, GTIN B), dates in 2026-03 and 2026-04.
    for (let i = 0; i < 8; i++) {
      await submit({ lot: `${RUN}-TEA-0${i}`, gtin: gtin('690123400001'), productCategory: 'tea', productionDate: { kind: 'harvest', date: `2026-03-0${i + 1}` } });
    }
    for (let i = 0; i < 4; i++) {
      await submit({ lot: `${RUN}-RICE-0${i}`, gtin: gtin('690123400002'), productCategory: 'paddy-rice', productionDate: { kind: 'harvest', date: `2026-04-0${i + 1}` } });
    }
    // The rival's batch shares the lot pattern: it must never show through `mine`'s token.
    const rivalBody = { ...batchInputNow({ id: nextId(), lot: `${RUN}-TEA-99`, gtin: gtin('690777700001'), reportIds: [], certificate: undefined, certificateIssuer: undefined }) };
    delete (rivalBody as Record<string, unknown>).producer;
    const r = await request(t.app).post('/api/v1/batches').set(bearer(rival.token)).send(rivalBody);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
  });
  after(async () => t?.sys.stop());

  const list = (token: string, query: string) => request(t.app).get(`/api/v1/batches?${query}`).set(bearer(token));
  const lots = (items: ListItem[]) => items.map((b) => b.fields.lot);

  describe('the producer comes from the token', () => {
    it('When a batch is submitted without producer, Then the server records the registered USCC and name of the token', async () => {
      const res = await request(t.app).get(`/api/v1/batches/${ids[0]}`);
      expect(res.body.fields.producer).to.deep.equal({ uscc: USCC.producer, name: NAME });
    });

    it('When a batch names another USCC, or the right USCC under a wrong name, Then it answers 403 producer-mismatch and nothing is stored', async () => {
      const wrongUscc = batchInputNow({ id: nextId(), reportIds: [], producer: { uscc: RIVAL_USCC, name: RIVAL_NAME } });
      expectError(await request(t.app).post('/api/v1/batches').set(bearer(mine.token)).send(wrongUscc), 403, 'producer-mismatch');
      const wrongName = batchInputNow({ id: nextId(), reportIds: [], producer: { uscc: USCC.producer, name: '紫阳县富硒茶业有限公司（假）' } });
      const res = await request(t.app).post('/api/v1/batches').set(bearer(mine.token)).send(wrongName);
      expectError(res, 403, 'producer-mismatch');
      expect(res.body.error.message).to.contain(`registered as "${NAME}"`);
      expect((await request(t.app).get(`/api/v1/batches/${USCC.producer}-${wrongName.id}`)).status).to.equal(404);
    });

    it('When the same batch is sent again after its answer was lost (same id), Then it answers 409 replay and only one batch exists', async () => {
      const body: Record<string, unknown> = { ...batchInputNow({ id: nextId(), gtin: undefined, reportIds: [], certificate: undefined, certificateIssuer: undefined }) };
      delete body.producer;
      expect((await request(t.app).post('/api/v1/batches').set(bearer(mine.token)).send(body)).status).to.equal(201);
      expectError(await request(t.app).post('/api/v1/batches').set(bearer(mine.token)).send(body), 409, 'replay');
      const found = await list(mine.token, `q=${String(body.lot)}`);
      expect(found.body.total).to.equal(1);
    });

    it('When a producer lists with its token, Then the answer names that producer (the console shows who it acts for)', async () => {
      const res = await list(mine.token, 'limit=1');
      expect(res.body.producer).to.deep.equal({ id: mine.id, uscc: USCC.producer, name: NAME });
      expect((await request(t.app).get('/api/v1/batches?limit=1')).body.producer).to.equal(undefined);
    });
  });

  describe('search and paging', () => {
    it('When a producer searches by part of the lot, newest first, Then it gets its matching batches page by page with the total', async () => {
      const p1 = await list(mine.token, `q=${RUN}-TEA&order=desc&limit=5`);
      expect(p1.status, JSON.stringify(p1.body)).to.equal(200);
      expect(p1.body.total).to.equal(8);
      expect(lots(p1.body.items)).to.deep.equal([7, 6, 5, 4, 3].map((i) => `${RUN}-TEA-0${i}`));
      const p2 = await list(mine.token, `q=${RUN}-TEA&order=desc&limit=5&after=${p1.body.next}`);
      expect(lots(p2.body.items)).to.deep.equal([2, 1, 0].map((i) => `${RUN}-TEA-0${i}`));
      expect(p2.body.next).to.equal(null);
      expect(p2.body.total).to.equal(8);
    });

    it('When a producer filters by GTIN, category and date range, Then only the batches matching all of them come back', async () => {
      const byGtin = await list(mine.token, `gtin=${gtin('690123400002')}`);
      expect(lots(byGtin.body.items)).to.deep.equal([0, 1, 2, 3].map((i) => `${RUN}-RICE-0${i}`));
      const gtin14 = await list(mine.token, `gtin=0${gtin('690123400002')}`); // the GTIN-14 form finds the same batches
      expect(gtin14.body.total).to.equal(4);
      const teaInRange = await list(mine.token, `category=tea&from=2026-03-03&to=2026-03-05&lot=${RUN}`);
      expect(lots(teaInRange.body.items)).to.deep.equal([2, 3, 4].map((i) => `${RUN}-TEA-0${i}`));
      const none = await list(mine.token, `category=paddy-rice&from=2026-03-01&to=2026-03-31&lot=${RUN}`);
      expect(none.body).to.include({ total: 0, next: null });
    });

    it('When the search text holds LIKE wildcards, Then they match themselves, not everything', async () => {
      expect((await list(mine.token, `q=${encodeURIComponent('%')}`)).body.total).to.equal(0);
      expect((await list(mine.token, `q=${encodeURIComponent('_')}`)).body.total).to.equal(0);
    });

    it('When a search parameter is malformed, Then it answers 400 invalid-input', async () => {
      const badCheckDigit = `690123400001${(gs1CheckDigit('690123400001') + 1) % 10}`;
      for (const q of [`gtin=${badCheckDigit}`, 'from=2026-13-01', 'order=sideways', `q=${'x'.repeat(101)}`, 'category=Tea!']) {
        expectError(await list(mine.token, q), 400, 'invalid-input');
      }
    });
  });

  describe('attacker with one producer token', () => {
    it("When the rival searches for the other producer's lots, GTIN or USCC, Then it finds only its own batch", async () => {
      const res = await list(rival.token, `q=${RUN}`);
      expect(lots(res.body.items)).to.deep.equal([`${RUN}-TEA-99`]);
      expect((await list(rival.token, `gtin=${gtin('690123400001')}`)).body.total).to.equal(0);
      expect((await list(rival.token, `producer=${USCC.producer}&q=${RUN}`)).body.total).to.equal(1); // its own, whatever producer= says
      expect((await list(rival.token, `q=${USCC.producer}`)).body.total).to.equal(0);
    });

    it("When the rival asks for a label sheet of the other producer's batches (even one), Then it answers 403 forbidden; the owner gets the PDF", async () => {
      expectError(await request(t.app).get(`/api/v1/labels.pdf?ids=${ids[0]}`).set(bearer(rival.token)), 403, 'forbidden');
      expectError(await request(t.app).get(`/api/v1/labels.pdf?ids=${ids.join(',')}`).set(bearer(rival.token)), 403, 'forbidden');
      const own = await request(t.app).get(`/api/v1/labels.pdf?ids=${ids.join(',')}`).set(bearer(mine.token)).buffer(true).parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(own.status).to.equal(200);
      expect(pdfInfo(own.body as Buffer).Subject).to.match(/^12 batch labels/);
    });

    it('When an anonymous caller searches text across every producer, Then it answers 400 (a producer or GTIN scopes it); scoped, it is public data', async () => {
      expectError(await request(t.app).get(`/api/v1/batches?q=${RUN}`), 400, 'invalid-input');
      expectError(await request(t.app).get(`/api/v1/batches?lot=${RUN}`), 400, 'invalid-input');
      expectError(await request(t.app).get('/api/v1/batches?category=tea&from=2026-01-01'), 400, 'invalid-input');
      expect((await request(t.app).get(`/api/v1/batches?q=${RUN}&producer=${USCC.producer}`)).body.total).to.equal(12);
      expect((await request(t.app).get(`/api/v1/batches?q=${RUN}&gtin=${gtin('690123400002')}`)).body.total).to.equal(4);
    });

    it('When the admin lists with a search, Then it sees every producer (the operator is not scoped)', async () => {
      expect((await request(t.app).get(`/api/v1/batches?q=${RUN}`).set(admin())).body.total).to.equal(13);
    });
  });
});
