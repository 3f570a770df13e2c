import { expect } from 'chai';
import express, { type ErrorRequestHandler } from 'express';
import { Wallet } from 'ethers';
import pino from 'pino';
import request from 'supertest';
import { AppError } from '../../../server/errors';
import type { AppContext } from '../../../server/http/context';
import { createLabelRouter } from '../../../server/http/routes/labels';
import { IngestService } from '../../../server/service/ingest';
import { openSqliteStore } from '../../../server/store/sqlite';
import type { Store } from '../../../server/store/types';
import type { System } from '../../../server/system';
import { labelUri } from '../../../server/records/digital-link';
import { TEST_BINDING, USCC, batchInputNow } from '../records/fixtures';
import { expectedModules, pdfInfo, pdfText, svgModules } from '../labels/helpers';

const BASE = 'https://trace.ankang.example.cn';

/** Parses binary answers (PNG, PDF) into a Buffer. */
const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('server/http/routes/labels', function () {
  this.timeout(30_000);
  let store: Store;
  let app: express.Express;
  /** The two batches' ids, as the server placed them in the producer's namespace (`{USCC}-B-1`, `{USCC}-B-2`). */
  let B1: string;
  let B2: string;

  before(async () => {
    store = openSqliteStore(':memory:');
    const producerId = `0x${'12'.repeat(32)}`;
    await store.upsertParticipant({ id: producerId, kind: 'producer', name: '紫阳县富硒茶业有限公司', code: USCC.producer, validFrom: null, validTo: null, data: {}, active: true });
    await store.upsertProductKey({ key: '6972345', producerId }); // the company prefix of B-1's GTIN, as the mirror would hold it
    const ingest = new IngestService(store, TEST_BINDING, new Wallet(`0x${'01'.repeat(32)}`));
    const acks = await ingest.submitBatchesForProducer(producerId, [
      batchInputNow({ id: 'B-1', lot: 'ZY25-MJ0328', gtin: '6972345010010' }),
      batchInputNow({ id: 'B-2', lot: 'ZY25-MC0601', gtin: undefined, certificate: undefined, certificateIssuer: undefined }),
    ]);
    [B1, B2] = acks.map((a) => a.id) as [string, string];
    const ctx = { sys: { store, logger: pino({ level: 'silent' }) } as unknown as System, publicBaseUrl: BASE } as AppContext;
    const onError: ErrorRequestHandler = (err, _req, res, _next) => {
      const e = err instanceof AppError ? err : new AppError('internal', String(err));
      res.status(e.status).json({ error: { code: e.code, message: e.message } });
    };
    app = express().use(createLabelRouter(ctx)).use(onError);
  });
  after(async () => store?.close());

  it('When the PNG QR code of a batch is asked for, Then a PNG of the asked size comes back', async () => {
    const res = await request(app).get(`/api/v1/batches/${B1}/qr.png?size=256`).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).to.equal('image/png');
    const png = res.body as Buffer;
    expect(png.subarray(1, 4).toString('ascii')).to.equal('PNG');
    expect(png.readUInt32BE(16)).to.equal(256);
  });

  it('When the SVG QR code of a batch is asked for, Then it encodes the batch\'s GS1 Digital Link', async () => {
    const res = await request(app).get(`/api/v1/batches/${B1}/qr.svg`).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).to.match(/^image\/svg\+xml/);
    const uri = labelUri(BASE, { id: B1, gtin: '6972345010010', lot: 'ZY25-MJ0328' });
    expect(uri).to.equal(`${BASE}/01/06972345010010/10/ZY25-MJ0328`);
    expect(svgModules((res.body as Buffer).toString('utf8'))).to.deep.equal(expectedModules(uri));
  });

  it('When a batch has no GTIN, Then its QR code links to /b/{id}', async () => {
    const res = await request(app).get(`/api/v1/batches/${B2}/qr.svg`).buffer(true).parse(binary).expect(200);
    expect(svgModules((res.body as Buffer).toString('utf8'))).to.deep.equal(expectedModules(`${BASE}/b/${B2}`));
  });

  it('When a label sheet of two batches is asked for, Then a one-page PDF with both comes back', async () => {
    const res = await request(app).get(`/api/v1/labels.pdf?ids=${B1},${B2}`).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).to.equal('application/pdf');
    const pdf = res.body as Buffer;
    expect(pdfInfo(pdf).Pages).to.equal('1');
    const text = pdfText(pdf);
    expect(text).to.contain('紫阳富硒绿茶').and.to.contain('ZY25-MJ0328').and.to.contain('ZY25-MC0601');
    expect(text, 'a batch without a certificate is named by its category').to.contain('茶叶');
    expect(text, 'private certificate issuer data never reaches a label').to.not.contain('张伟');
  });

  it('When an id is unknown, malformed or too many are asked for, Then the answer is 404 or 400 with a code', async () => {
    expect((await request(app).get('/api/v1/batches/NOPE/qr.png').expect(404)).body.error.code).to.equal('not-found');
    expect((await request(app).get('/api/v1/batches/bad%20id/qr.svg').expect(400)).body.error.code).to.equal('invalid-input');
    expect((await request(app).get(`/api/v1/batches/${B1}/qr.png?size=9`).expect(400)).body.error.code).to.equal('invalid-input');
    expect((await request(app).get(`/api/v1/labels.pdf?ids=${B1},NOPE`).expect(404)).body.error.message).to.contain('NOPE');
    expect((await request(app).get('/api/v1/labels.pdf').expect(400)).body.error.code).to.equal('invalid-input');
    const many = Array.from({ length: 241 }, () => B1).join(',');
    expect((await request(app).get(`/api/v1/labels.pdf?ids=${many}`).expect(400)).body.error.message).to.contain('at most 240');
  });
});
