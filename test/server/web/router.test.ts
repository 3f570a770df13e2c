import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { revocationReasonNumber } from '../../../server/records';
import { bundleOf } from '../../../server/service/bundles';
import { verifyConsumerBundles } from '../../../server/service/consumer';
import { renderConsumerPage } from '../../../server/web/page';
import { createWebRouter } from '../../../server/web/router';
import { GS1_VOC } from '../../../server/web/linkset';
import { CSV_COLUMNS, parseBatchesCsv } from '../../../server/service/csv-import';
import { USCC } from '../records/fixtures';
import { gs1CheckDigit } from '../../../server/records/identifiers';
import { anchorAll, bootConsumerSystem, GTIN14, submitBatch, submitReport, type ConsumerFixture } from '../../support/batches';

/** The text of the page's headline (its codes and dates sit in no-wrap spans). */
const h1Text = (html: string): string => (/<h1>(.*?)<\/h1>/.exec(html)?.[1] ?? '').replace(/<[^>]+>/g, '');

const PRIVATE_VALUES = ['张伟', '+86 915 4321 000', '0915-4321000', '李娜', '王芳', '陈强', '刘洋'];
const KB = 1024;
/** A valid GTIN-14 under the fixtures' prefix that no batch carries. */
const UNUSED_GTIN14 = `0690123499999${gs1CheckDigit('690123499999')}`;

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
      expect(h1Text(res.text)).to.equal('真实可信，按 NY/T 600-2002 属富硒');
      expect(res.text).to.contain('<h1>真实可信，按 <span class="nw">NY/T 600-2002</span> 属富硒</h1>');
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
      expect(h1Text(en.text)).to.equal('Authentic and selenium-rich per NY/T 600-2002');
      expect(en.text).to.contain('Selenium-rich');
      expect(en.headers.vary).to.contain('Accept-Language');

      const zhPreferred = await request(app).get(dl).set('Accept-Language', 'zh-CN,zh;q=0.9,en;q=0.8').expect(200);
      expect(zhPreferred.text).to.contain('<html lang="zh-CN">');

      const forced = await request(app).get(`${dl}?lang=en`).set('Accept-Language', 'zh-CN').expect(200);
      expect(forced.text).to.contain('<html lang="en">');
    });

    it('When the page is opened by /b/{id}, Then it shows the same batch', async () => {
      const res = await request(app).get(`/b/${batch.id}`).expect(200);
      expect(h1Text(res.text)).to.equal('真实可信，按 NY/T 600-2002 属富硒');
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

    it('When the batch is not yet anchored, Then the page says 尚未上链', async () => {
      const fresh = await submitBatch(f);
      const res = await request(app).get(`/b/${fresh.id}`).expect(200);
      expect(h1Text(res.text)).to.equal('尚未上链，暂时无法证明');
    });

    it('When the report is revoked, Then the page says 已撤销 with the reason and date', async () => {
      const b = await submitBatch(f);
      const r = await submitReport(f, b.id);
      await anchorAll(f.sys);
      await f.sys.registries.revokeRecord(r.leafHash, revocationReasonNumber('sample-mismatch'));
      await f.sys.mirror.sync();
      const res = await request(app).get(`/01/${GTIN14}/10/${b.lot}`).expect(200);
      expect(h1Text(res.text)).to.match(/^检测报告已于 \d{4}-\d{2}-\d{2} 撤销：样品不符$/);
      expect(res.text).to.contain('样品不符');
      expect(res.text).to.match(/撤销.*\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(北京时间\)/);
    });
  });

  describe('headline: what was proven, on the first screen', () => {
    /** The headline of a page: its claim, tone and sentence, and where it sits relative to the product card. */
    function headline(html: string) {
      const section = /<section class="verdict c-(\w+)" role="status" id="verdict" data-verdict="(\w+)" data-claim="([\w-]+)">.*?<h1>(.*?)<\/h1><p>(.*?)<\/p>/.exec(html);
      expect(section, 'the headline section').to.not.equal(null);
      expect(html.indexOf('id="verdict"'), 'the headline comes before the product card').to.be.below(html.indexOf('id="product"'));
      const [, tone, verdict, claim, h1, detail] = section!;
      const text = (h: string) => h.replace(/<[^>]+>/g, '');
      return { tone, verdict, claim, h1: text(h1!), detail: text(detail!) };
    }
    async function both(path: string) {
      const zh = (await request(app).get(path).expect(200)).text;
      const en = (await request(app).get(`${path}?lang=en`).expect(200)).text;
      return { zh, en, hz: headline(zh), he: headline(en) };
    }
    /** The zh page says nothing in English in its headline, the en page nothing in Chinese. */
    function oneLanguage(p: { hz: { h1?: string; detail?: string }; he: { h1?: string; detail?: string } }) {
      expect(`${p.hz.h1} ${p.hz.detail}`.replace(/[A-Z]+\d*\/?T? ?[\d.]+-\d{4}|mg\/kg/g, '')).not.to.match(/[a-z]{2,}/i);
      expect(`${p.he.h1} ${p.he.detail}`).not.to.match(/[\u4e00-\u9fff]/);
    }
    const tierPills = (html: string) => [...html.matchAll(/<div class="tier ([^"]+)"[^>]*>(.*?)<\/div>/g)].map((m) => ({ cls: m[1], html: m[2] }));

    it('When a tea is selenium-rich, Then the headline says so per NY/T 600-2002, green, in zh and en', async () => {
      const p = await both(dl);
      expect(p.hz).to.deep.include({ tone: 'good', claim: 'selenium-rich', h1: '真实可信，按 NY/T 600-2002 属富硒' });
      expect(p.he).to.deep.include({ tone: 'good', claim: 'selenium-rich', h1: 'Authentic and selenium-rich per NY/T 600-2002' });
      expect(p.hz.detail).to.contain('0.35 mg/kg');
      oneLanguage(p);
      expect(p.zh).not.to.contain('name-note');
      expect(tierPills(p.zh)).to.deep.equal([{ cls: 't-selenium-rich', html: '富硒' }]);
    });

    it('When a "富硒" tea tests below the range, Then the headline says below range, amber, and no 富硒 pill is shown', async () => {
      const b = await submitBatch(f);
      await submitReport(f, b.id, { result: 0.2, conclusion: '所检项目符合 GH/T 1135-2017 富硒茶要求' });
      await anchorAll(f.sys);
      const p = await both(`/b/${b.id}`);
      expect(p.hz).to.deep.include({ tone: 'warn', verdict: 'valid', claim: 'below-range', h1: '真实可信，但硒含量低于富硒范围' });
      expect(p.he).to.deep.include({ tone: 'warn', verdict: 'valid', claim: 'below-range', h1: 'Authentic, but below the selenium-rich range' });
      expect(p.hz.detail).to.contain('0.20 mg/kg').and.contain('0.25–4.00 mg/kg');
      oneLanguage(p);
      expect(p.zh).not.to.contain('✓</div><div><h1>');
      expect(tierPills(p.zh)).to.deep.equal([{ cls: 't-below-range', html: '低于富硒范围' }]);
      // The producer's name "紫阳富硒绿茶" is not the proof: the page says so under it.
      expect(p.zh).to.contain('<p class="name-note">产品名称由生产者填写，名称中的“富硒”未获有效检测报告证实。</p>');
      expect(p.en).to.contain('<p class="name-note">The product name is the producer&#39;s own; no valid lab report confirms the selenium it claims.</p>');
    });

    it('When a tea is selenium-containing under DB61/T 556-2018, Then the headline says so, green', async () => {
      const b = await submitBatch(f, { productCategory: 'tea-prepackaged-shaanxi' });
      await submitReport(f, b.id, { result: 0.1 });
      await anchorAll(f.sys);
      const p = await both(`/b/${b.id}`);
      expect(p.hz).to.deep.include({ tone: 'good', claim: 'selenium-containing', h1: '真实可信，按 DB61/T 556-2018 属含硒' });
      expect(p.he).to.deep.include({ tone: 'good', claim: 'selenium-containing', h1: 'Authentic and selenium-containing per DB61/T 556-2018' });
      oneLanguage(p);
    });

    it('When a batch has no lab report, Then the headline says authentic, no lab report, amber (not 已验证)', async () => {
      const b = await submitBatch(f);
      await anchorAll(f.sys);
      const p = await both(`/b/${b.id}`);
      expect(p.hz).to.deep.include({ tone: 'warn', verdict: 'valid', claim: 'no-report', h1: '真实可信，尚无检测报告' });
      expect(p.he).to.deep.include({ tone: 'warn', verdict: 'valid', claim: 'no-report', h1: 'Authentic, no lab report' });
      oneLanguage(p);
    });

    it('When the report is revoked, Then the headline gives the date and reason, red, and the 富硒 pill is struck through and greyed with the reason', async () => {
      const b = await submitBatch(f);
      const r = await submitReport(f, b.id);
      await anchorAll(f.sys);
      await f.sys.registries.revokeRecord(r.leafHash, revocationReasonNumber('fraud-suspected'));
      await f.sys.mirror.sync();
      const p = await both(`/b/${b.id}`);
      expect(p.hz).to.deep.include({ tone: 'bad', claim: 'report-revoked' });
      expect(p.hz.h1).to.match(/^检测报告已于 \d{4}-\d{2}-\d{2} 撤销：涉嫌造假$/);
      expect(p.he.h1).to.match(/^Report revoked on \d{4}-\d{2}-\d{2}: fraud suspected$/);
      oneLanguage(p);
      expect(tierPills(p.zh)).to.deep.equal([{ cls: 't-void', html: '<s>富硒</s><small>报告已撤销</small>' }]);
      expect(tierPills(p.en)).to.deep.equal([{ cls: 't-void', html: '<s>Selenium-rich</s><small>report revoked</small>' }]);
      expect(p.zh).not.to.contain('t-selenium-rich');
    });

    it('When the batch itself is recalled, Then the headline says the batch was revoked, red', async () => {
      const b = await submitBatch(f);
      await submitReport(f, b.id);
      await anchorAll(f.sys);
      await f.sys.registries.revokeRecord(b.leafHash, revocationReasonNumber('product-recall'));
      await f.sys.mirror.sync();
      const p = await both(`/b/${b.id}`);
      expect(p.hz).to.deep.include({ tone: 'bad', claim: 'batch-revoked' });
      expect(p.hz.h1).to.match(/^此批次已于 \d{4}-\d{2}-\d{2} 撤销：产品召回$/);
      expect(p.he.h1).to.match(/^Batch revoked on \d{4}-\d{2}-\d{2}: product recall$/);
      expect(tierPills(p.zh)).to.deep.equal([{ cls: 't-void', html: '<s>富硒</s><small>批次已撤销</small>' }]);
    });

    it('When a newer report supersedes a revoked one, Then the newer one decides the headline and the old pill is struck through', async () => {
      const b = await submitBatch(f);
      const old = await submitReport(f, b.id, { issueDate: '2025-09-30' });
      await submitReport(f, b.id, { issueDate: '2025-10-06', result: 0.3 });
      await anchorAll(f.sys);
      await f.sys.registries.revokeRecord(old.leafHash, revocationReasonNumber('superseded'));
      await f.sys.mirror.sync();
      const p = await both(`/b/${b.id}`);
      expect(p.hz).to.deep.include({ tone: 'good', verdict: 'revoked', claim: 'selenium-rich', h1: '真实可信，按 NY/T 600-2002 属富硒' });
      expect(tierPills(p.zh)).to.deep.equal([
        { cls: 't-selenium-rich', html: '富硒' },
        { cls: 't-void', html: '<s>富硒</s><small>报告已撤销</small>' },
      ]);
    });

    it('When a record does not match its proof, Then the server-rendered headline says invalid: do not trust, red, in zh and en', async () => {
      const b = await submitBatch(f);
      const r = await submitReport(f, b.id);
      await anchorAll(f.sys);
      const get = async (id: string) => bundleOf(f.sys.store, f.sys.deployment, (await f.sys.store.getRecord(id))!);
      const reportBundle = await get(r.id);
      reportBundle.record.disclosures.find((d) => d.name === 'result')!.value = 0.99;
      const view = await verifyConsumerBundles(f.ctx, { batch: await get(b.id), reports: [reportBundle] });
      const render = (lang: 'zh' | 'en') => renderConsumerPage(view, { lang, assets: { css: '/web/style.css', js: '/web/verify.js' }, selfPath: `/b/${b.id}`, publicRpcUrl: undefined, trustRoot: { chainId: f.sys.deployment.chainId, traceLedger: f.sys.deployment.traceLedger } });
      const p = { zh: render('zh'), en: render('en'), hz: headline(render('zh')), he: headline(render('en')) };
      expect(p.hz).to.deep.include({ tone: 'bad', verdict: 'invalid', claim: 'invalid', h1: '验证失败：请勿相信此标签' });
      expect(p.he).to.deep.include({ tone: 'bad', verdict: 'invalid', claim: 'invalid', h1: 'Invalid: do not trust this label' });
      oneLanguage(p);
      expect(p.zh).not.to.contain('t-selenium-rich');
      expect(p.zh).to.contain('<title>验证失败：请勿相信此标签 · ');
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
      await request(app).get(`/01/${UNUSED_GTIN14}`).set('Accept', 'application/json').expect(404); // a GTIN with no batch
    });

    it('When a scanned code names no batch, Then the phone page warns 谨防假冒 with the 12315 channel, in Chinese and English, and shows the code', async () => {
      for (const path of ['/b/NO-SUCH-BATCH', `/01/${GTIN14}/10/NO-SUCH-LOT`, `/01/${UNUSED_GTIN14}`]) {
        const res = await request(app).get(path).set('Accept', 'text/html').expect(404);
        expect(res.headers['content-type']).to.match(/^text\/html/);
        expect(res.text).to.contain('谨防假冒').and.contain('Beware of counterfeits');
        expect(res.text).to.contain('href="tel:12315"').and.contain('href="https://www.12315.cn"').and.contain('www.12315.cn');
        expect(res.text).to.contain('<meta name="viewport" content="width=device-width,initial-scale=1">');
        expect(res.text).to.contain(decodeURIComponent(path));
      }
      const en = await request(app).get('/b/NO-SUCH-BATCH?lang=en').expect(404);
      const main = en.text.slice(en.text.indexOf('<main>'));
      expect(main.indexOf('Beware of counterfeits')).to.be.lessThan(main.indexOf('谨防假冒'));
    });

    it('When the code in /b/ is not valid percent-encoding (/b/%ZZ), Then a browser gets a 400 HTML page and an API client a JSON 400', async () => {
      const html = await request(app).get('/b/%ZZ').set('Accept', 'text/html').expect(400);
      expect(html.headers['content-type']).to.match(/^text\/html/);
      expect(html.text).to.contain('谨防假冒').and.contain('此链接格式不正确').and.contain('/b/%ZZ');
      const json = await request(app).get('/b/%ZZ').set('Accept', 'application/json').expect(400);
      expect(json.body.error.code).to.equal('invalid-input');
      await request(app).get('/01/%ZZ').set('Accept', 'text/html').expect(400);
    });
  });

  describe('GTIN-only Digital Link', () => {
    it("When /01/{gtin} has no lot, Then the page lists that GTIN's batches, newest first, each linking to its own page", async () => {
      const later = await submitBatch(f);
      const res = await request(app).get(`/01/${GTIN14}`).set('Accept', 'text/html').expect(200);
      expect(res.text).to.contain('id="gtin-batches"');
      const hrefs = [...res.text.matchAll(/<li><a href="([^"]+)">/g)].map((m) => m[1]);
      expect(hrefs[0]).to.equal(`/01/${GTIN14}/10/${later.lot}`);
      expect(hrefs).to.include(dl);
      const page = await request(app).get(hrefs[1]!).expect(200);
      expect(page.text).to.contain('id="verdict"');
    });

    it('When /01/{gtin} is asked for as JSON, Then it answers the list of batches with the total', async () => {
      const res = await request(app).get(`/01/${GTIN14}`).set('Accept', 'application/json').expect(200);
      expect(res.body.gtin14).to.equal(GTIN14);
      expect(res.body.total).to.equal(res.body.batches.length).and.be.at.least(1);
      expect(res.body.batches.map((b: { id: string }) => b.id)).to.include(batch.id);
      expect(JSON.stringify(res.body)).to.not.contain('0915'); // no private certificate issuer data
    });
  });

  describe('承诺达标合格证', () => {
    it("When a batch has a certificate, Then the consumer page shows its public fields (name, quantity, origin, issue time, basis, commitments) and none of the issuer's", async () => {
      const res = await request(app).get(dl).set('Accept', 'text/html').expect(200);
      const cert = /<div id="certificate">([\s\S]*?)<\/div>/.exec(res.text)?.[1] ?? '';
      for (const shown of ['承诺达标合格证', '紫阳富硒绿茶', '500 kg', '陕西省安康市紫阳县', '开具时间', '2025-10-08 10:00', '自检、委托检测', '常规农药兽药残留不超标', '不公开']) {
        expect(cert).to.contain(shown);
      }
      for (const hidden of ['张伟', '+86 915 4321 000']) expect(res.text).to.not.contain(hidden);
    });
  });

  describe('CSV template', () => {
    it('When the console offers the CSV template, Then it is UTF-8 with a BOM, names every import column, and its example row imports as it is', async () => {
      const res = await request(app).get('/console/batches-template.csv').buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/csv; charset=utf-8/);
      expect(res.headers['content-disposition']).to.contain('batches-template.csv');
      const bytes = res.body as Buffer;
      expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      const text = bytes.toString('utf8').slice(1);
      expect(text.split('\r\n')[0]!.split(',')).to.deep.equal(CSV_COLUMNS.map((c) => c.name));
      const parsed = parseBatchesCsv(text, { uscc: USCC.producer, name: '紫阳县富硒茶业有限公司' });
      expect(parsed.refused).to.deep.equal([]);
      expect(parsed.rows).to.have.length(1);
      expect(parsed.rows[0]!.input).to.nested.include({ 'certificate.productName': '紫阳毛尖', lot: 'ZY26-0402A' });
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
