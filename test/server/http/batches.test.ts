import { expect } from 'chai';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import request from 'supertest';
import { namespacedId } from '../../../server/records';
import { batchInputNow, freshLot, issuedNow, USCC } from '../records/fixtures';
import { gs1CheckDigit } from '../../../server/records/identifiers';
import { FIXTURE_PRODUCT_KEYS, eventually } from '../../support/system';
import { admin, bearer, bootTestApp, expectError, producerWithToken, uscc, type TestApp } from './helpers';

const SAMPLE_CSV = fs.readFileSync(path.join(__dirname, '../../../scripts/samples/batches.csv'), 'utf8');

let seq = 0;
/** A batch id as a producer chooses it (no namespace): the server places it in the producer's. */
const nextId = () => `BATCH-HTTP-${Date.now()}-${++seq}`;
/** Where the server places a producer's chosen id: `{its USCC}-{id}`. */
const placed = (id: string, code: string = USCC.producer) => namespacedId(code, id);
/** The sample CSV's first data row with another id and a fresh lot (GTIN + lot names one batch). */
const sampleRow = (row: string, id: string) => {
  const cells = row.split(',');
  cells[0] = id;
  cells[2] = freshLot();
  return cells.join(',');
};

describe('server/http batches (real anvil node)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let producer: { id: string; token: string; tokenHash: string };
  let other: { id: string; token: string; tokenHash: string };

  before(async () => {
    t = await bootTestApp();
    producer = await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS);
    other = await producerWithToken(t.app, '平利县富硒茶厂', uscc('91610926MA6YAB3K2'));
  });
  after(async () => t?.sys.stop());

  describe('POST /api/v1/batches', () => {
    it("When a producer submits a valid batch with its token, Then it answers 201 with the acceptance, the id placed in the producer's namespace, and the batch's location", async () => {
      const chosen = nextId();
      const id = placed(chosen);
      const res = await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(batchInputNow({ id: chosen }));
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body).to.include({ id, type: 'Batch', logId: 'products', status: 'accepted' });
      expect(res.body.leafHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(res.headers.location).to.equal(`/api/v1/batches/${id}`);
    });

    it('When no token is sent, Then it answers 401 unauthorized', async () => {
      expectError(await request(t.app).post('/api/v1/batches').send(batchInputNow({ id: nextId() })), 401, 'unauthorized');
    });

    it('When an unknown token is sent, Then it answers 401 unauthorized', async () => {
      expectError(await request(t.app).post('/api/v1/batches').set(bearer('tlp_not-a-real-token')).send(batchInputNow({ id: nextId() })), 401, 'unauthorized');
    });

    it('When the Authorization header is not a bearer token, Then it answers 401 unauthorized', async () => {
      expectError(await request(t.app).post('/api/v1/batches').set('Authorization', `Basic ${producer.token}`).send(batchInputNow({ id: nextId() })), 401, 'unauthorized');
    });

    it('When the admin token is used to submit a batch, Then it answers 403 forbidden', async () => {
      expectError(await request(t.app).post('/api/v1/batches').set(admin()).send(batchInputNow({ id: nextId() })), 403, 'forbidden');
    });

    it("When a producer submits a batch naming another producer, Then it answers 403 producer-mismatch", async () => {
      expectError(await request(t.app).post('/api/v1/batches').set(bearer(other.token)).send(batchInputNow({ id: nextId() })), 403, 'producer-mismatch');
    });

    it('When the batch fails its schema, Then it answers 400 invalid-record naming the field', async () => {
      const res = await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(batchInputNow({ id: nextId(), lot: '' }));
      expectError(res, 400, 'invalid-record');
      expect(res.body.error.message).to.contain('lot');
      expect(res.body.error.details.issues).to.be.an('array').with.length.greaterThan(0);
    });

    it('back-dated-batch: When a producer submits a batch dated 30 days back, in 1970 or 10 minutes ahead, Then 400 issued-at-too-old / issued-at-in-future', async () => {
      const post = (issuedAt: string) => request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(batchInputNow({ id: nextId(), issuedAt }));
      expectError(await post(issuedNow(-30 * 24 * 3600)), 400, 'issued-at-too-old');
      expectError(await post('1970-01-01T00:00:00Z'), 400, 'issued-at-too-old');
      expectError(await post(issuedNow(600)), 400, 'issued-at-in-future');
    });

    it('When the body is not valid JSON, Then it answers 400 invalid-input', async () => {
      const res = await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).set('Content-Type', 'application/json').send('{"id": ');
      expectError(res, 400, 'invalid-input');
    });

    it('When the same batch is submitted twice, Then the second answers 409 replay', async () => {
      const body = batchInputNow({ id: nextId() });
      expect((await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(body)).status).to.equal(201);
      expectError(await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(body), 409, 'replay');
    });

    it('When the JSON body is over 256 kB, Then it answers 413 payload-too-large', async () => {
      const huge = { ...batchInputNow({ id: nextId() }), padding: 'x'.repeat(300 * 1024) };
      expectError(await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(huge), 413, 'payload-too-large');
    });

    it('When the token was revoked, Then it answers 401 unauthorized', async () => {
      const p = await producerWithToken(t.app, '汉阴县富硒米业', uscc('91610921MA6YAB3K2'));
      expect((await request(t.app).delete(`/api/v1/tokens/${p.tokenHash}`).set(admin())).status).to.equal(200);
      const res = await request(t.app).post('/api/v1/batches').set(bearer(p.token)).send(batchInputNow({ id: nextId() }));
      expectError(res, 401, 'unauthorized');
      expect(res.body.error.message).to.contain('revoked');
    });
  });

  describe('GET /api/v1/batches/:id', () => {
    it('When a batch is read, Then it shows its public fields only, its label URL, and turns from pending to anchored with the checkpoint', async () => {
      const lot = freshLot();
      const ack = await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(batchInputNow({ id: nextId(), lot }));
      expect(ack.status, JSON.stringify(ack.body)).to.equal(201);
      const id: string = ack.body.id;
      const first = await request(t.app).get(`/api/v1/batches/${id}`);
      expect(first.status).to.equal(200);
      expect(first.body).to.include({ id, type: 'Batch' });
      expect(first.body.fields).to.include.keys('lot', 'producer', 'certificate');
      expect(first.body.fields).not.to.have.property('certificateIssuer'); // private: names and phones
      expect(first.body.links.scan).to.equal(`https://trace.example.cn/01/06901234567892/10/${lot}`);
      expect(first.body.links.bundle).to.equal(`https://trace.example.cn/api/v1/records/${id}/bundle`);

      const anchored = await eventually(async () => {
        const r = await request(t.app).get(`/api/v1/batches/${id}`);
        return r.body.status === 'anchored' ? r.body : undefined;
      });
      expect(anchored.leafIndex).to.be.a('number');
      expect(anchored.checkpoint.size).to.be.greaterThan(anchored.leafIndex);
      expect(anchored.checkpoint.txHash).to.match(/^0x[0-9a-f]{64}$/);
    });

    it('When no batch has the id, Then it answers 404 not-found', async () => {
      expectError(await request(t.app).get('/api/v1/batches/NO-SUCH-BATCH'), 404, 'not-found');
    });

    it('When the id is malformed, Then it answers 400 invalid-input', async () => {
      expectError(await request(t.app).get(`/api/v1/batches/${encodeURIComponent('bad id!')}`), 400, 'invalid-input');
    });
  });

  describe('GET /api/v1/batches', () => {
    it("When a producer lists with its token, Then it sees only its own batches, page by page", async () => {
      const p = await producerWithToken(t.app, '岚皋县富硒魔芋', uscc('91610925MA6YAB3K2'));
      const mine = [nextId(), nextId(), nextId()];
      const uscc925 = uscc('91610925MA6YAB3K2');
      for (const id of mine) {
        const res = await request(t.app).post('/api/v1/batches').set(bearer(p.token)).send(batchInputNow({ id, gtin: undefined, producer: { uscc: uscc925, name: '岚皋县富硒魔芋' }, certificate: undefined, certificateIssuer: undefined }));
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
      }
      const page1 = await request(t.app).get('/api/v1/batches?limit=2').set(bearer(p.token));
      expect(page1.status).to.equal(200);
      const ids = mine.map((id) => placed(id, uscc925));
      expect(page1.body.items.map((b: { id: string }) => b.id)).to.deep.equal(ids.slice(0, 2));
      expect(page1.body.next).to.be.a('string');
      const page2 = await request(t.app).get(`/api/v1/batches?limit=2&after=${page1.body.next}`).set(bearer(p.token));
      expect(page2.body.items.map((b: { id: string }) => b.id)).to.deep.equal(ids.slice(2));
      expect(page2.body.next).to.equal(null);

      const byUscc = await request(t.app).get(`/api/v1/batches?producer=${uscc925}`);
      expect(byUscc.body.items.map((b: { id: string }) => b.id)).to.deep.equal(ids);
      const byId = await request(t.app).get(`/api/v1/batches?producer=${p.id}`);
      expect(byId.body.items).to.have.length(3);
    });

    it('When limit is out of range, Then it answers 400 invalid-input', async () => {
      expectError(await request(t.app).get('/api/v1/batches?limit=0'), 400, 'invalid-input');
    });
  });

  describe('POST /api/v1/batches/import', () => {
    it('When a producer imports the sample CSV, Then every row is committed and answers 201 with the report', async () => {
      const p = await producerWithToken(t.app, '紫阳县焕古茶业', uscc('91610924MA6YAC3K2'));
      // Without their GTINs: those are the fixture producer's (company prefix 6972345), not this producer's.
      const csv = SAMPLE_CSV.replace(/^([^,\n]*),\d+,/gm, '$1,,');
      const res = await request(t.app).post('/api/v1/batches/import').set(bearer(p.token)).set('Content-Type', 'text/csv').send(csv);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.committed).to.equal(true);
      expect(res.body.accepted).to.have.length(SAMPLE_CSV.trim().split('\n').length - 1);
      expect(res.body.refused).to.deep.equal([]);
      const first = res.body.accepted[0];
      const batch = await request(t.app).get(`/api/v1/batches/${first.id}`);
      expect(batch.body.fields.producer.uscc).to.equal(uscc('91610924MA6YAC3K2'));
    });

    it('When a row is refused, Then nothing is imported and it answers 422 with the report naming line and column', async () => {
      const [header, row] = SAMPLE_CSV.split('\n');
      const good = sampleRow(row!, nextId());
      const bad = sampleRow(row!, nextId()).replace(',tea,', ',,'); // product_category is required
      const res = await request(t.app).post('/api/v1/batches/import').set(bearer(producer.token)).set('Content-Type', 'text/csv').send(`${header}\n${good}\n${bad}\n`);
      expect(res.status, JSON.stringify(res.body)).to.equal(422);
      expect(res.body.error.code).to.be.a('string');
      expect(res.body.committed).to.equal(false);
      expect(res.body.accepted).to.deep.equal([]);
      expect(res.body.refused[0].line).to.equal(3);
      expect(res.body.refused[0].errors.map((e: { field: string }) => e.field)).to.include('product_category');
    });

    it('back-dated-import: When a CSV row carries an issued_at 30 days back, Then nothing is imported and it answers 422 naming its line and column issued_at', async () => {
      const [header, row] = SAMPLE_CSV.split('\n');
      const good = `${sampleRow(row!, nextId())},${issuedNow(-60)}`;
      const old = `${sampleRow(row!, nextId())},${issuedNow(-30 * 24 * 3600)}`;
      const res = await request(t.app).post('/api/v1/batches/import').set(bearer(producer.token)).set('Content-Type', 'text/csv').send(`${header},issued_at\n${good}\n${old}\n`);
      expect(res.status, JSON.stringify(res.body)).to.equal(422);
      expect(res.body.committed).to.equal(false);
      expect(res.body.refused).to.have.length(1);
      expect(res.body.refused[0]).to.deep.include({ line: 3 });
      expect(res.body.refused[0].errors[0].field).to.equal('issued_at');
    });

    it('When a row is refused but partial=1, Then the valid rows are committed and it answers 201', async () => {
      const [header, row] = SAMPLE_CSV.split('\n');
      const goodId = nextId();
      const good = sampleRow(row!, goodId);
      const bad = sampleRow(row!, nextId()).replace(',harvest,', ',sometime,');
      const res = await request(t.app).post('/api/v1/batches/import?partial=1').set(bearer(producer.token)).set('Content-Type', 'text/csv').send(`${header}\n${good}\n${bad}\n`);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.committed).to.equal(true);
      expect(res.body.accepted.map((a: { id: string }) => a.id)).to.deep.equal([placed(goodId)]);
      expect(res.body.refused.map((r: { line: number }) => r.line)).to.deep.equal([3]);
    });

    it('When the body is not sent as text/csv, Then it answers 400 invalid-input', async () => {
      expectError(await request(t.app).post('/api/v1/batches/import').set(bearer(producer.token)).send({ csv: SAMPLE_CSV }), 400, 'invalid-input');
    });

    it('When no token is sent, Then it answers 401 unauthorized', async () => {
      expectError(await request(t.app).post('/api/v1/batches/import').set('Content-Type', 'text/csv').send(SAMPLE_CSV), 401, 'unauthorized');
    });

    it('When the CSV has more than 10,000 rows, Then it is refused with 413 payload-too-large naming the row limit', async () => {
      const header = 'id,lot,product_category,origin_county_code,production_kind,production_date,quantity,quantity_unit';
      const rows = Array.from({ length: 10_001 }, (_, i) => `R${i},R${i},tea,610924,harvest,2026-04-01,100,kg`);
      const res = await request(t.app).post('/api/v1/batches/import').set(bearer(producer.token)).set('Content-Type', 'text/csv').send(`${header}\n${rows.join('\n')}\n`);
      expectError(res, 413, 'payload-too-large');
      expect(res.body.error.message).to.contain('10000 rows');
    });

    it('When the CSV is sent gzipped, Then it is imported; corrupt gzip answers 400 invalid-input; an unknown encoding 415', async () => {
      const p = await producerWithToken(t.app, '紫阳县和平茶厂', uscc('91610924MA6YAD3K2'));
      const csv = SAMPLE_CSV.replace(/^([^,\n]*),\d+,/gm, '$1,,');
      const server = t.app.listen(0, '127.0.0.1');
      try {
        await new Promise((r) => server.once('listening', r));
        const port = (server.address() as AddressInfo).port;
        const send = (body: Uint8Array, encoding: string) =>
          fetch(`http://127.0.0.1:${port}/api/v1/batches/import`, { method: 'POST', body: new Uint8Array(body), headers: { ...bearer(p.token), 'Content-Type': 'text/csv', 'Content-Encoding': encoding } });
        const ok = await send(zlib.gzipSync(csv), 'gzip');
        expect(ok.status).to.equal(201);
        expect(((await ok.json()) as { accepted: unknown[] }).accepted).to.have.length(SAMPLE_CSV.trim().split('\n').length - 1);
        const corrupt = await send(Buffer.from('not gzip at all'), 'gzip');
        expect(corrupt.status).to.equal(400);
        expect(((await corrupt.json()) as { error: { code: string } }).error.code).to.equal('invalid-input');
        const unknown = await send(Buffer.from(csv), 'zstd');
        expect(unknown.status).to.equal(415);
        expect(((await unknown.json()) as { error: { code: string } }).error.code).to.equal('unsupported-encoding');
      } finally {
        server.close();
      }
    });

    it('When the CSV is neither UTF-8 nor GBK, Then it answers 400 invalid-input; a charset it cannot read is 415', async () => {
      const [header] = SAMPLE_CSV.split('\n');
      expectError(await request(t.app).post('/api/v1/batches/import').set(bearer(producer.token)).set('Content-Type', 'text/csv').send(Buffer.concat([Buffer.from(`${header}\n`), Buffer.from([0xd7, 0xcf, 0xd1, 0xf4, 0xff])])), 400, 'invalid-input');
      expectError(await request(t.app).post('/api/v1/batches/import').set(bearer(producer.token)).set('Content-Type', 'text/csv; charset=big5').send(`${header}\n`), 415, 'unsupported-encoding');
    });

    it('When Excel saved the CSV in GBK (a Chinese Windows), Then it is imported with its Chinese text intact and the answer says gbk', async () => {
      const p = await producerWithToken(t.app, '紫阳县焕古茶厂', uscc('91610924MA6YAG4K1'));
      const tag = `GBK${Date.now().toString(36).toUpperCase()}`;
      // header, then one row whose origin_name is 陕西省安康市紫阳县城关镇 and product_name 紫阳毛尖, in GBK bytes.
      const csv = Buffer.concat([
        Buffer.from(`id,lot,product_category,origin_county_code,origin_name,production_kind,production_date,quantity,quantity_unit,product_name,certificate_basis,contact_phone\r\n${tag},${tag},tea,610924,`),
        Buffer.from('c9c2cef7caa1b0b2bfb5cad0d7cfd1f4cfd8b3c7b9d8d5f2', 'hex'),
        Buffer.from(',harvest,2026-04-01,100,kg,'),
        Buffer.from('d7cfd1f4c3abbce2', 'hex'),
        Buffer.from(',self-test,0915-4321001\r\n'),
      ]);
      const res = await request(t.app).post('/api/v1/batches/import').set(bearer(p.token)).set('Content-Type', 'text/csv').send(csv);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.encoding).to.equal('gbk');
      const batch = await request(t.app).get(`/api/v1/batches/${encodeURIComponent(res.body.accepted[0].id)}`);
      expect(JSON.stringify(batch.body)).to.include('陕西省安康市紫阳县城关镇').and.include('紫阳毛尖');
    });

    it('When 3,000 rows are imported, Then /healthz keeps answering while the import is parsed, checked and committed (the event loop is not held)', async () => {
      const p = await producerWithToken(t.app, '紫阳县向阳茶厂', uscc('91610924MA6YAE3K2'));
      const header = 'id,lot,product_category,origin_county_code,origin_name,production_kind,production_date,quantity,quantity_unit,product_name,certificate_basis,contact_phone';
      const tag = `EL${Date.now().toString(36).toUpperCase()}`;
      const rows = Array.from({ length: 3000 }, (_, i) => `${tag}-${i},${tag}-${i},tea,610924,陕西省安康市紫阳县城关镇,harvest,2026-04-01,100,kg,紫阳毛尖,self-test,0915-4321001`);
      let importDone = false;
      const imported = request(t.app).post('/api/v1/batches/import').set(bearer(p.token)).set('Content-Type', 'text/csv').send(`${header}\n${rows.join('\n')}\n`).then((res) => {
        importDone = true;
        return res;
      });
      // Polls /healthz one at a time until the import answers; counts the answers that came while it was in progress.
      let answeredDuring = 0;
      while (!importDone) {
        const health = await request(t.app).get('/healthz');
        expect([200, 503]).to.include(health.status);
        if (!importDone) answeredDuring++;
      }
      const res = await imported;
      expect(res.status, JSON.stringify(res.body).slice(0, 500)).to.equal(201);
      expect(res.body.accepted).to.have.length(3000);
      // Held on the main thread, the import let at most the first poll through (the one sent before it started).
      expect(answeredDuring).to.be.at.least(5);
    });

    it('When the CSV is over 10 MB, Then it answers 413 payload-too-large', async () => {
      const big = SAMPLE_CSV + 'x'.repeat(10 * 1024 * 1024 + 1);
      expectError(await request(t.app).post('/api/v1/batches/import').set(bearer(producer.token)).set('Content-Type', 'text/csv').send(big), 413, 'payload-too-large');
    });
  });
  describe('label hijack: GTINs belong to the producer the registrar assigned them to', () => {
    const rivalUscc = uscc('91610926MA6YAB3K2');
    const asRival = (overrides: Record<string, unknown> = {}) => batchInputNow({ id: nextId(), producer: { uscc: rivalUscc, name: '平利县富硒茶厂' }, certificate: undefined, certificateIssuer: undefined, ...overrides });
    const withCheckDigit = (first13: string) => first13 + String(gs1CheckDigit(first13));

    it("label hijack: When a producer submits a batch under another producer's GTIN, or a GTIN nobody holds, Then it answers 403 gtin-not-owned", async () => {
      const res = await request(t.app).post('/api/v1/batches').set(bearer(other.token)).send(asRival());
      expectError(res, 403, 'gtin-not-owned');
      expect(res.body.error.message).to.contain('GTIN 06901234567892 is not registered to producer 平利县富硒茶厂').and.contain('the registrar must assign your GS1 company prefix (or this GTIN) first');
      expectError(await request(t.app).post('/api/v1/batches').set(bearer(other.token)).send(asRival({ gtin: withCheckDigit('690777700001') })), 403, 'gtin-not-owned');
    });

    it("label hijack: When a producer imports a CSV with a row under another producer's GTIN, Then nothing is imported and it answers 403 gtin-not-owned naming the row's gtin column", async () => {
      const header = 'id,gtin,lot,product_category,origin_county_code,production_kind,production_date,quantity,quantity_unit';
      const own = `${nextId()},,PL-1,tea,610926,harvest,2026-04-01,100,kg`;
      const stolen = `${nextId()},6901234567892,PL-2,tea,610926,harvest,2026-04-01,100,kg`;
      const res = await request(t.app).post('/api/v1/batches/import').set(bearer(other.token)).set('Content-Type', 'text/csv').send(`${header}\n${own}\n${stolen}\n`);
      expectError(res, 403, 'gtin-not-owned');
      expect(res.body.committed).to.equal(false);
      expect(res.body.refused).to.deep.equal([{ line: 3, errors: [{ field: 'gtin', code: 'gtin-not-owned', message: res.body.refused[0].errors[0].message }] }]);
      expect(res.body.refused[0].errors[0].message).to.contain('GTIN 06901234567892 is not registered to producer 平利县富硒茶厂');
    });

    it('label hijack: When the registrar assigns a producer its company prefix and a full GTIN, Then batches under either are accepted, and the keys are listed', async () => {
      const prefix = await request(t.app).post(`/api/v1/participants/${other.id}/product-keys`).set(admin()).send({ key: '6907654' });
      expect(prefix.status, JSON.stringify(prefix.body)).to.equal(201);
      expect(prefix.body).to.deep.equal({ key: '6907654', kind: 'company-prefix', producerId: other.id });
      const gtin13 = withCheckDigit('690888800001');
      const full = await request(t.app).post(`/api/v1/participants/${other.id}/product-keys`).set(admin()).send({ gtin: gtin13 });
      expect(full.status, JSON.stringify(full.body)).to.equal(201);
      expect(full.body).to.include({ key: `0${gtin13}`, kind: 'gtin' });

      for (const gtin of [withCheckDigit('690765400001'), gtin13]) {
        const res = await request(t.app).post('/api/v1/batches').set(bearer(other.token)).send(asRival({ gtin }));
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
      }
      const list = await request(t.app).get(`/api/v1/participants/${other.id}/product-keys`);
      expect(list.body.items.map((k: { key: string }) => k.key)).to.deep.equal([`0${gtin13}`, '6907654']);
    });

    it("label hijack: When the registrar assigns a key overlapping another producer's (covered by it or covering it), Then it answers 409 product-key-taken; an unknown producer 404; a bad key 400", async () => {
      for (const body of [{ key: '6901234' }, { key: '69012345' }, { key: '690123' }, { gtin: '6901234567892' }]) {
        expectError(await request(t.app).post(`/api/v1/participants/${other.id}/product-keys`).set(admin()).send(body), 409, 'product-key-taken');
      }
      expectError(await request(t.app).post(`/api/v1/participants/0x${'ab'.repeat(32)}/product-keys`).set(admin()).send({ key: '6905432' }), 404, 'not-found');
      for (const body of [{ key: '69054' }, { key: '6905432109876' }, { gtin: '6901234567891' }, { key: '6905432', gtin: '6901234567892' }, {}]) {
        expectError(await request(t.app).post(`/api/v1/participants/${other.id}/product-keys`).set(admin()).send(body), 400, 'invalid-input');
      }
      expectError(await request(t.app).post(`/api/v1/participants/${other.id}/product-keys`).set(bearer(other.token)).send({ key: '6905432' }), 403, 'forbidden');
    });
  });
});
