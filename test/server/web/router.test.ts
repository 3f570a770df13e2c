import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { revocationReasonNumber } from '../../../server/records';
import { createWebRouter } from '../../../server/web/router';
import { GS1_VOC } from '../../../server/web/linkset';
import { anchorAll, bootConsumerSystem, GTIN14, submitBatch, submitReport, type ConsumerFixture } from '../../support/batches';

const PRIVATE_VALUES = ['张伟', '+86 915 4321 000', '0915-4321000', '李娜', '王芳', '陈强', '刘洋'];
const KB = 1024;

describe('server/web/router (real anvil node)', function () {
  this.timeout(180_000);
  let f: ConsumerFixture;
  let app: express.Express;
  let batch: { id: string; lot: string };
  let report: { id: string };
  let dl: string;

  before(async () => {
    f = await bootConsumerSystem();
    app = express();
    app.use(createWebRouter(f.ctx));
    batch = await submitBatch(f);
    report = await submitReport(f, batch.id);
    await anchorAll(f.sys);
    dl = `/01/${GTIN14}/10/${batch.lot}`;
  });
  after(async () => f?.sys.stop());

  describe('HTML', () => {
    it('When a browser asks without a language preference, Then the page is in Chinese with the verdict, tier, lab, anchor and steps', async () => {
      const res = await request(app).get(dl).set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8').expect(200);
      expect(res.headers['content-type']).to.match(/^text\/html; charset=utf-8/);
      expect(res.headers['content-language']).to.equal('zh-CN');
      expect(res.text).to.contain('<html lang="zh-CN">');
      expect(res.text).to.match(/<h1>已验证<\/h1>/);
      expect(res.text).to.contain('紫阳富硒绿茶');
      expect(res.text).to.contain('紫阳县富硒茶业有限公司');
      expect(res.text).to.contain('陕西省安康市紫阳县城关镇');
      expect(res.text).to.contain('采收日期');
      expect(res.text).to.contain('2025-09-20');
      expect(res.text).to.match(/class="tier t-selenium-rich">富硒</);
      expect(res.text).to.contain('NY/T 600-2002');
      expect(res.text).to.contain('0.25–4.00 mg/kg');
      expect(res.text).to.contain('所检项目符合 GH/T 1135-2017 富硒茶要求'); // the lab's own conclusion, beside the computed tier
      expect(res.text).to.contain('202727050123');
      const anchor = (await f.sys.store.latestCheckpoint('products', 'confirmed'))!;
      expect(res.text).to.contain(`#${anchor.blockNumber}`);
      expect(res.text).to.contain(anchor.txHash!);
      expect(res.text).to.contain('核对链上检查点');
      expect(res.text).to.contain('id="browser-verdict"');
      expect(res.text).to.contain('<script type="application/json" id="tl-data">');
      expect(res.text).to.contain('?lang=en');
      expect(res.headers['content-security-policy']).to.contain("script-src 'self'");
    });

    it('When Accept-Language prefers English, Then the page is in English; ?lang overrides the header', async () => {
      const en = await request(app).get(dl).set('Accept-Language', 'en-US,en;q=0.9,zh-CN;q=0.5').expect(200);
      expect(en.text).to.contain('<html lang="en">');
      expect(en.text).to.match(/<h1>Verified<\/h1>/);
      expect(en.text).to.contain('Selenium-rich');
      expect(en.headers.vary).to.contain('Accept-Language');

      const zhPreferred = await request(app).get(dl).set('Accept-Language', 'zh-CN,zh;q=0.9,en;q=0.8').expect(200);
      expect(zhPreferred.text).to.contain('<html lang="zh-CN">');

      const forced = await request(app).get(`${dl}?lang=en`).set('Accept-Language', 'zh-CN').expect(200);
      expect(forced.text).to.contain('<html lang="en">');
    });

    it('When the page is opened by /b/{id}, Then it shows the same batch', async () => {
      const res = await request(app).get(`/b/${batch.id}`).expect(200);
      expect(res.text).to.match(/<h1>已验证<\/h1>/);
      expect(res.text).to.contain(batch.lot);
    });

    it('When the page and its assets are fetched gzipped, Then together they transfer under 100 KB', async () => {
      const page = await request(app).get(dl).expect(200);
      const css = /<link rel="stylesheet" href="([^"]+)"/.exec(page.text)![1]!;
      const js = /<script src="([^"]+)" defer>/.exec(page.text)![1]!;
      const sizes = [Buffer.byteLength(page.text)];
      for (const url of [css, js]) {
        const a = await request(app).get(url).expect(200);
        sizes.push(Buffer.byteLength(a.text));
        expect(a.headers['cache-control']).to.contain('immutable');
      }
      const total = sizes.reduce((a, b) => a + b, 0);
      console.log(`      page ${sizes[0]} B + css ${sizes[1]} B + js ${sizes[2]} B = ${total} B uncompressed`);

      const gz = await request(app).get(dl).set('Accept-Encoding', 'gzip');
      expect(gz.headers['content-encoding']).to.equal('gzip');
      const gzSizes = [Number(gz.headers['content-length'])];
      for (const url of [css, js]) gzSizes.push(Number((await request(app).get(url).set('Accept-Encoding', 'gzip')).headers['content-length']));
      console.log(`      gzipped: page ${gzSizes[0]} B + css ${gzSizes[1]} B + js ${gzSizes[2]} B = ${gzSizes.reduce((a, b) => a + b, 0)} B transferred`);
      expect(gzSizes[0]).to.be.below(sizes[0]! / 2);
      expect(gzSizes.reduce((a, b) => a + b, 0)).to.be.below(100 * KB);
    });

    it('When an asset is asked for again with its ETag, Then the answer is 304', async () => {
      const page = await request(app).get(dl);
      const js = /<script src="([^"]+)" defer>/.exec(page.text)![1]!;
      const first = await request(app).get(js).expect(200);
      expect(first.headers['content-type']).to.match(/^text\/javascript/);
      await request(app).get(js).set('If-None-Match', first.headers.etag!).expect(304);
      await request(app).get('/web/verify.js').expect(200).expect('Cache-Control', 'public, max-age=300');
      await request(app).get('/web/nope.js').expect(404);
    });

    it('When a producer-controlled text carries HTML, Then the page escapes it', async () => {
      const evil = await submitBatch(f, {
        certificate: {
          productName: '<img src=x onerror=alert(1)></script>',
          quantity: { value: 1, unit: 'kg' },
          origin: '安康',
          issuedAt: '2025-10-08T02:00:00Z',
          commitments: ['<b>x</b>'],
          basis: ['self-test'],
        },
      });
      const res = await request(app).get(`/b/${evil.id}`).expect(200);
      expect(res.text).not.to.contain('<img src=x');
      expect(res.text).not.to.contain('<b>x</b>');
      expect(res.text.match(/<\/script>/g)).to.have.length(2); // the data block and the script tag only
    });

    it('When the batch is not yet anchored, Then the page says 待上链', async () => {
      const fresh = await submitBatch(f);
      const res = await request(app).get(`/b/${fresh.id}`).expect(200);
      expect(res.text).to.match(/<h1>待上链<\/h1>/);
    });

    it('When the report is revoked, Then the page says 已撤销 with the reason and date', async () => {
      const b = await submitBatch(f);
      const r = await submitReport(f, b.id);
      await anchorAll(f.sys);
      await f.sys.registries.revokeRecord(r.leafHash, revocationReasonNumber('sample-mismatch'));
      await f.sys.mirror.sync();
      const res = await request(app).get(`/01/${GTIN14}/10/${b.lot}`).expect(200);
      expect(res.text).to.match(/<h1>已撤销<\/h1>/);
      expect(res.text).to.contain('样品不符');
      expect(res.text).to.match(/撤销.*\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(北京时间\)/);
    });
  });

  describe('JSON', () => {
    it('When the client accepts JSON, Then the verification result comes back, without private fields', async () => {
      const res = await request(app).get(dl).set('Accept', 'application/json').expect(200);
      expect(res.headers['content-type']).to.match(/^application\/json/);
      const body = res.body as { verdict: string; steps: { step: string; status: string; message: string }[]; reports: { id: string; verdict: string }[] };
      expect(body.verdict).to.equal('valid');
      expect(body.steps.length).to.be.greaterThan(5);
      for (const s of body.steps) expect(Object.keys(s).sort()).to.deep.equal(['code', 'message', 'params', 'status', 'step']);
      expect(body.reports.map((r) => r.id)).to.deep.equal([report.id]);
      for (const v of PRIVATE_VALUES) expect(res.text).not.to.contain(v);
      expect(res.text).not.to.contain('certificateIssuer');
      expect(res.text).not.to.contain('signatories');
    });

    it('When the JSON is asked for again with its ETag, Then the answer is 304; ?format=json works like Accept', async () => {
      const first = await request(app).get(`/b/${batch.id}`).set('Accept', 'application/json').expect(200);
      await request(app).get(`/b/${batch.id}`).set('Accept', 'application/json').set('If-None-Match', first.headers.etag!).expect(304);
      const q = await request(app).get(`/b/${batch.id}?format=json`).expect(200);
      expect(q.body.verdict).to.equal('valid');
    });
  });

  describe('linkset', () => {
    it('When ?linkType=linkset is asked for, Then an RFC 9264 linkset anchored at the Digital Link comes back', async () => {
      const res = await request(app).get(`${dl}?linkType=linkset`).expect(200);
      expect(res.headers['content-type']).to.match(/^application\/linkset\+json/);
      const set = JSON.parse(res.text) as { linkset: Record<string, unknown>[] };
      const ctx = set.linkset[0]!;
      expect(ctx.anchor).to.equal(`${f.ctx.publicBaseUrl}${dl}`);
      const pip = ctx[`${GS1_VOC}pip`] as { href: string; hreflang: string[] }[];
      expect(pip.map((l) => l.hreflang[0])).to.deep.equal(['zh', 'en']);
      const cert = ctx[`${GS1_VOC}certificationInfo`] as { href: string }[];
      expect(cert.map((l) => l.href)).to.deep.equal([`${f.ctx.publicBaseUrl}/api/v1/records/${report.id}/bundle`]);
      expect(ctx[`${GS1_VOC}traceability`]).to.have.length(1);
      const described = ctx.describedby as { href: string; type: string }[];
      expect(described.map((l) => l.href)).to.include(`${f.ctx.publicBaseUrl}/api/v1/records/${batch.id}/bundle`);
    });

    it('When ?linkType=gs1:certificationInfo is asked for, Then the answer redirects to the report bundle', async () => {
      const res = await request(app).get(`${dl}?linkType=gs1:certificationInfo`).expect(307);
      expect(res.headers.location).to.equal(`${f.ctx.publicBaseUrl}/api/v1/records/${report.id}/bundle`);
      await request(app).get(`${dl}?linkType=gs1:nutritionalInfo`).expect(200); // none: the page itself
    });

    it('When the client accepts application/linkset+json, Then the linkset comes back; every page advertises it in a Link header', async () => {
      const res = await request(app).get(dl).set('Accept', 'application/linkset+json').expect(200);
      expect(res.headers['content-type']).to.match(/^application\/linkset\+json/);
      const page = await request(app).get(dl);
      expect(page.headers.link).to.contain('rel="linkset"');
    });
  });

  describe('errors', () => {
    it('When the Digital Link is malformed, Then the answer is 400: a bilingual HTML page, or a JSON error by Accept', async () => {
      const html = await request(app).get(`/01/${GTIN14}/21/S/10/L`).expect(400);
      expect(html.headers['content-type']).to.match(/^text\/html/);
      expect(html.text).to.contain('此链接格式不正确');
      expect(html.text).to.contain('This link is malformed');
      const json = await request(app).get('/01/6901234567891/10/L').set('Accept', 'application/json').expect(400);
      expect(json.body.error.code).to.equal('malformed-digital-link');
      expect(json.body.error.message).to.contain('check digit');
    });

    it('When the batch is unknown, Then the answer is 404 (HTML or JSON)', async () => {
      const html = await request(app).get(`/01/${GTIN14}/10/NO-SUCH-LOT`).expect(404);
      expect(html.text).to.contain('没有找到此批次');
      const json = await request(app).get('/b/NO-SUCH-BATCH').set('Accept', 'application/json').expect(404);
      expect(json.body).to.deep.equal({ error: { code: 'not-found', message: 'no batch NO-SUCH-BATCH' } });
      await request(app).get(`/b/${report.id}`).set('Accept', 'application/json').expect(404); // a report is no batch
      await request(app).get(`/01/${GTIN14}`).set('Accept', 'application/json').expect(404); // no lot, no batch
    });
  });

  describe('console', () => {
    it('When /console is opened, Then the bilingual producer console and its script are served', async () => {
      const res = await request(app).get('/console').expect(200);
      expect(res.text).to.contain('生产者控制台');
      expect(res.text).to.contain('Producer console');
      expect(res.text).to.contain('id="batch-form"');
      const js = /<script src="([^"]+)" defer>/.exec(res.text)![1]!;
      const script = await request(app).get(js).expect(200);
      expect(script.text).to.contain('/batches/import');
      expect(script.text).to.contain('/labels.pdf?ids=');
    });
  });
});
