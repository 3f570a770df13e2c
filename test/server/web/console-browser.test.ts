/*
 * The producer console in a real browser (Debian's chromium, headless): the API token is kept for the tab only
 * (sessionStorage); the producer's identity comes from the token; a 500-row CSV with bad rows is imported (refused
 * whole, then its valid rows), batches are found by search on page 2 and later, a selection across pages is printed as
 * one label sheet, and another producer's batches never show. Timings (import of 500 rows, sheet of 100) are printed.
 */
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { FIXTURE_PRODUCT_KEYS, tempDir } from '../../support/system';
import { pdfInfo, pdfText } from '../labels/helpers';
import { USCC, batchInputNow } from '../records/fixtures';
import { bearer, bootTestApp, producerWithToken, uscc, type TestApp } from '../http/helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const NAME = '紫阳县富硒茶业有限公司';
/** Screenshots go to a fresh folder per run under .test-tmp/ (git-ignored). */
const SHOTS_ROOT = path.join(__dirname, '../../../.test-tmp');
/** Rows of the CSV (1-based) that are refused: an impossible date, an unknown category, a 5-digit county code. */
const BAD_ROWS: Record<number, string> = { 7: 'production_date', 77: 'product_category', 377: 'origin_county_code' };
const ROWS = 500;

/** A 500-row import: lots IMP-1…IMP-500, every other one with a GTIN, every third with a 合格证; three rows bad. */
function importCsv(): string {
  const header = 'id,gtin,lot,product_category,origin_county_code,origin_name,production_kind,production_date,quantity,quantity_unit,product_name,certificate_basis,contact_phone';
  const lines = [header];
  for (let i = 1; i <= ROWS; i++) {
    const date = BAD_ROWS[i] === 'production_date' ? '2026-02-30' : `2026-0${1 + (i % 9)}-${10 + (i % 18)}`;
    const category = BAD_ROWS[i] === 'product_category' ? 'coffee' : i % 4 === 0 ? 'paddy-rice' : 'tea';
    const county = BAD_ROWS[i] === 'origin_county_code' ? '61092' : '610924';
    const cert = i % 3 === 0 ? [`紫阳毛尖${i}号`, 'self-test', '0915-4321001'] : ['', '', ''];
    lines.push(['', i % 2 === 0 ? '6972345010010' : '', `IMP-${i}`, category, county, '陕西省安康市紫阳县城关镇', 'harvest', date, String(50 + i), 'kg', ...cert].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

describe('server/web producer console in headless chromium (real anvil node)', function () {
  this.timeout(600_000);
  let t: TestApp;
  let server: http.Server;
  let base: string;
  let browser: BrowserContext;
  let token: string;
  let rivalToken: string;

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ci-setup.sh (apt-get install -y chromium)`);
    t = await bootTestApp();
    token = (await producerWithToken(t.app, NAME, USCC.producer, FIXTURE_PRODUCT_KEYS)).token;
    const rivalUscc = uscc('91610926MA6YAB3K2');
    rivalToken = (await producerWithToken(t.app, '平利县富硒茶厂', rivalUscc)).token;
    // The rival's batch has a lot like the import's: it must never show in the producer's console.
    const rival = batchInputNow({ id: 'RIVAL-1', lot: 'IMP-RIVAL-1', gtin: undefined, reportIds: [], producer: { uscc: rivalUscc, name: '平利县富硒茶厂' }, certificate: undefined, certificateIssuer: undefined });
    const res = await request(t.app).post('/api/v1/batches').set(bearer(rivalToken)).send(rival);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    server = await new Promise<http.Server>((resolve) => {
      const s = t.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launchPersistentContext(tempDir('traceledger-chromium-'), { executablePath: CHROMIUM, headless: true, args: ARGS, acceptDownloads: true });
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await t?.sys.stop();
  });

  async function signedIn(): Promise<Page> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/console`);
    await page.fill('#token', token);
    await page.click('#save');
    await page.waitForFunction((name) => document.getElementById('who')!.textContent!.includes(name), NAME);
    expect(errors, errors.join('\n')).to.deep.equal([]);
    return page;
  }

  const text = (page: Page, sel: string) => page.locator(sel).innerText();

  /** Clicks Print and returns the PDF the server answered, with the time from click to answer. */
  async function printSheet(page: Page): Promise<{ pdf: Buffer; ms: number }> {
    const started = Date.now();
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/v1/labels.pdf'), { timeout: 120_000 }), page.click('#print')]);
    const pdf = await res.body();
    const ms = Date.now() - started;
    expect(res.status(), pdf.toString('utf8').slice(0, 300)).to.equal(200);
    expect(res.headers()['content-type']).to.match(/^application\/pdf/);
    await page.waitForSelector('#labels-link:not([hidden])');
    return { pdf, ms };
  }

  it('When a producer signs in with its token, Then it is kept in sessionStorage only, and the console names the producer the token belongs to', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/console`);
    // What an earlier version of the console left behind.
    await page.evaluate((uscc) => {
      window.localStorage.setItem('tl-token', 'left-by-an-earlier-version');
      window.localStorage.setItem('tl-uscc', uscc);
    }, USCC_LEFT);
    await page.reload();
    expect(await page.evaluate(() => window.localStorage.getItem('tl-token'))).to.equal(null);
    expect(await page.evaluate(() => window.localStorage.getItem('tl-uscc'))).to.equal(null);
    expect(await page.locator('#uscc').count(), 'no USCC typed by hand').to.equal(0);

    await page.fill('#token', token);
    await page.click('#save');
    await page.waitForFunction((name) => document.getElementById('who')!.textContent!.includes(name), NAME);
    expect(await text(page, '#who')).to.contain(USCC.producer);
    expect(await page.evaluate(() => window.sessionStorage.getItem('tl-token'))).to.equal(token);
    expect(await page.evaluate(() => window.localStorage.getItem('tl-token'))).to.equal(null);
    // Reloaded in the same tab, the console still has it.
    await page.reload();
    expect(await page.inputValue('#token')).to.equal(token);
    await page.close();

    // A new tab does not.
    const other = await browser.newPage();
    await other.goto(`${base}/console`);
    expect(await other.inputValue('#token')).to.equal('');
    await other.close();
  });

  it('When a producer imports 500 rows with 3 bad ones, Then the refusal is a table naming each line and column; with "skip", the 497 others are imported', async () => {
    const page = await signedIn();
    const csv = Buffer.from(importCsv(), 'utf8');
    await page.setInputFiles('#csv', { name: 'batches.csv', mimeType: 'text/csv', buffer: csv });
    await page.click('#import');
    await page.waitForSelector('#refused-table');
    expect(await text(page, '#import-result')).to.contain('未导入任何行');
    const refused = await page.locator('#refused-table tbody tr').allInnerTexts();
    expect(refused).to.have.length(3);
    for (const [row, column] of Object.entries(BAD_ROWS)) {
      expect(refused.some((r) => r.startsWith(String(Number(row) + 1)) && r.includes(column)), `line ${Number(row) + 1} ${column}: ${refused.join(' | ')}`).to.equal(true);
    }
    expect(await page.locator('#import-result pre, #out pre').count(), 'no raw JSON').to.equal(0);

    await page.check('#partial');
    const started = Date.now();
    await page.click('#import');
    await page.waitForSelector('#accepted-table', { timeout: 300_000 });
    const ms = Date.now() - started;
    console.log(`      [measure] console import of ${ROWS} rows (${ROWS - 3} accepted): ${ms} ms`);
    expect(await text(page, '#import-result')).to.contain(`已导入 ${ROWS - 3} 行`);
    expect(await page.locator('#refused-table tbody tr').count()).to.equal(3);
    await page.waitForFunction((n) => document.getElementById('total')!.textContent!.includes(`共 ${n} 个`), ROWS - 3);
    await page.close();
  });

  it('When a producer searches and selects batches on pages 2 and 3, Then one label sheet holds exactly those labels, each with 扫码验真', async () => {
    const page = await signedIn();
    await page.fill('#s-q', 'IMP-1');
    await page.click('#search');
    // IMP-1, IMP-10…19, IMP-100…199: 111 batches, 20 a page.
    await page.waitForFunction(() => document.getElementById('total')!.textContent!.includes('共 111 个'));
    expect(await text(page, '#page-no')).to.contain('第 1 / 6 页');
    await page.click('#next');
    await page.waitForFunction(() => document.getElementById('page-no')!.textContent!.includes('第 2 / 6 页'));
    const pick = async (n: number): Promise<string[]> => {
      const rows = page.locator('#batches tr');
      const lots: string[] = [];
      for (let i = 0; i < n; i++) {
        await rows.nth(i).locator('input[type=checkbox]').check();
        lots.push(await rows.nth(i).locator('td').nth(1).innerText());
      }
      return lots;
    };
    const picked = await pick(3);
    await page.click('#next');
    await page.waitForFunction(() => document.getElementById('page-no')!.textContent!.includes('第 3 / 6 页'));
    picked.push(...(await pick(2)));
    // Back on page 2, the selection is still there.
    await page.click('#prev');
    await page.waitForFunction(() => document.getElementById('page-no')!.textContent!.includes('第 2 / 6 页'));
    expect(await page.locator('#batches input[type=checkbox]:checked').count()).to.equal(3);
    expect(await text(page, '#selected-count')).to.contain('已选 5 个');
    for (const lot of picked) expect(lot).to.match(/^IMP-1\d*$/);
    fs.mkdirSync(SHOTS_ROOT, { recursive: true });
    const shot = path.join(fs.mkdtempSync(path.join(SHOTS_ROOT, 'console-')), 'console-search-page2.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`      screenshot: ${shot}`);

    const { pdf } = await printSheet(page);
    expect(pdfInfo(pdf).Subject).to.match(/^5 batch labels/);
    const sheet = pdfText(pdf);
    expect(sheet.match(/扫码验真/g) ?? []).to.have.length(5);
    for (const lot of picked) expect(sheet).to.match(new RegExp(`${lot}\\b`));

    // The rival's batch (lot IMP-RIVAL-1) never shows through this token.
    await page.fill('#s-q', 'RIVAL');
    await page.click('#search');
    await page.waitForFunction(() => document.getElementById('total')!.textContent!.includes('共 0 个'));
    expect(await text(page, '#batches')).to.contain('没有符合条件的批次');
    await page.close();
  });

  it('When a producer selects 5 full pages, Then the sheet of 100 labels answers (timed)', async () => {
    const page = await signedIn();
    await page.waitForFunction((n) => document.getElementById('total')!.textContent!.includes(`共 ${n} 个`), ROWS - 3);
    for (let p = 1; p <= 5; p++) {
      await page.check('#select-page');
      if (p < 5) {
        await page.click('#next');
        await page.waitForFunction((n) => document.getElementById('page-no')!.textContent!.includes(`第 ${n} /`), p + 1);
      }
    }
    expect(await text(page, '#selected-count')).to.contain('已选 100 个');
    const { pdf, ms } = await printSheet(page);
    console.log(`      [measure] label sheet of 100 from the console: ${ms} ms, ${Math.round(pdf.length / 1024)} KiB`);
    expect(pdfInfo(pdf).Subject).to.match(/^100 batch labels/);
    expect(pdfInfo(pdf).Pages).to.equal('5');
    expect(await page.getAttribute('#labels-link', 'data-count')).to.equal('100');
    await page.close();
  });

  it('When a producer imports a CSV that Excel saved in GBK, Then it is read as GBK (the page says so) and the Chinese names are stored intact, not mojibake', async () => {
    const page = await signedIn();
    const header = 'id,lot,product_category,origin_county_code,origin_name,production_kind,production_date,quantity,quantity_unit,product_name,certificate_basis,contact_phone';
    // 陕西省安康市紫阳县城关镇 and 紫阳毛尖 in GBK bytes, CRLF line ends, as Excel writes them.
    const place = Buffer.from('c9c2cef7caa1b0b2bfb5cad0d7cfd1f4cfd8b3c7b9d8d5f2', 'hex');
    const tea = Buffer.from('d7cfd1f4c3abbce2', 'hex');
    const row = (n: number) => Buffer.concat([Buffer.from(`GBK-${n},GBK-${n},tea,610924,`), place, Buffer.from(',harvest,2026-04-01,100,kg,'), tea, Buffer.from(',self-test,0915-4321001\r\n')]);
    const csv = Buffer.concat([Buffer.from(`${header}\r\n`), row(1), row(2)]);
    await page.setInputFiles('#csv', { name: '批次.csv', mimeType: 'text/csv', buffer: csv });
    await page.click('#import');
    await page.waitForSelector('#accepted-table');
    expect(await text(page, '#import-result')).to.contain('已导入 2 行').and.contain('已按 GBK 编码读取');
    const stored = await t.sys.store.listRecords({ type: 'Batch', limit: 10_000 });
    const gbk = stored.filter((r) => String(r.body.lot).startsWith('GBK-'));
    expect(gbk).to.have.length(2);
    for (const r of gbk) {
      expect((r.body.origin as { name: string }).name).to.equal('陕西省安康市紫阳县城关镇');
      expect((r.body.certificate as { productName: string }).productName).to.equal('紫阳毛尖');
    }
    await page.close();
  });

  it('When a producer registers a batch with a product name and 合格证 fields, Then it is accepted under its own name and the consumer page shows the certificate', async () => {
    const page = await signedIn();
    await page.fill('#lot', 'FORM-1');
    await page.selectOption('#category', 'tea');
    await page.fill('#qty', '120');
    await page.fill('#county', '610924');
    await page.fill('#origin', '陕西省安康市紫阳县焕古镇');
    await page.fill('#pname', '紫阳翠峰');
    await page.check('input[name=basis][value=self-test]');
    await page.fill('#phone', '0915-4321001');
    await page.click('#batch-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('out')!.textContent!.includes('已受理'));
    const id = (await page.locator('#out table td').first().innerText()).trim();
    expect(id.startsWith(`${USCC.producer}-`)).to.equal(true);
    const batch = await request(t.app).get(`/api/v1/batches/${id}`);
    expect(batch.body.fields.producer).to.deep.equal({ uscc: USCC.producer, name: NAME });
    expect(batch.body.fields.certificate).to.nested.include({ productName: '紫阳翠峰', origin: '陕西省安康市紫阳县焕古镇', 'quantity.value': 120 });
    const consumer = await request(t.app).get(`/b/${id}`).set('Accept', 'text/html');
    expect(consumer.text).to.contain('紫阳翠峰').and.contain('承诺达标合格证').and.contain('自检');
    await page.close();
  });
});

/** A USCC an earlier console version kept in localStorage (it no longer asks for one). */
const USCC_LEFT = '91610924MA6YAB3K2L';
