/*
 * The consumer page in a real browser (Debian's chromium, headless, phone-sized): the page's own script
 * re-verifies the embedded bundles and reads the chain itself over JSON-RPC. Fails (never skips) when
 * chromium is missing: scripts/ci-setup.sh installs it.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import express from 'express';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { revocationReasonNumber, typedDataFor, verifyDisclosures } from '../../../server/records';
import type { ProofBundle } from '../../../server/verification';
import { jsonForScript } from '../../../server/web/page';
import { randomWallet } from '../records/fixtures';
import { createWebRouter } from '../../../server/web/router';
import { anchorAll, bootConsumerSystem, GTIN14, submitBatch, submitReport, type ConsumerFixture } from '../../support/batches';
import { tempDir } from '../../support/system';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots go to a fresh folder per run under .test-tmp/ (git-ignored), so parallel runs never mix them. */
const SHOTS_ROOT = path.join(__dirname, '../../../.test-tmp');
/** traceledger.test is a public-looking name for 127.0.0.1: pages served from it are an insecure origin (no crypto.subtle). */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP traceledger.test 127.0.0.1'];

describe('server/web consumer page in headless chromium (real anvil node)', function () {
  this.timeout(240_000);
  let f: ConsumerFixture;
  let server: http.Server;
  let base: string;
  let browser: BrowserContext;
  let shots: string;

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ci-setup.sh (apt-get install -y chromium)`);
    f = await bootConsumerSystem();
    // The browser reads the chain itself, from the same node (anvil answers CORS requests from any origin).
    const ctx = { ...f.ctx, publicRpcUrl: f.sys.rpcUrl };
    const app = express();
    app.use(createWebRouter(ctx));
    server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launchPersistentContext(tempDir('traceledger-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
    });
    fs.mkdirSync(SHOTS_ROOT, { recursive: true });
    shots = fs.mkdtempSync(path.join(SHOTS_ROOT, 'screens-'));
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await f?.sys.stop();
  });

  async function open(url: string): Promise<{ page: Page; verdict: string; chain: string | null }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    const box = page.locator('#browser-verdict');
    await page.waitForFunction(() => {
      const v = document.getElementById('browser-verdict')?.getAttribute('data-verdict');
      return v !== undefined && v !== null && v !== 'none' && v !== 'checking';
    }, undefined, { timeout: 30_000 });
    expect(errors, errors.join('\n')).to.deep.equal([]);
    return { page, verdict: (await box.getAttribute('data-verdict'))!, chain: await box.getAttribute('data-chain') };
  }

  async function shoot(page: Page, name: string): Promise<string> {
    const file = path.join(shots, name);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`      screenshot: ${file}`);
    return file;
  }

  /** A screenshot of the first screen only (360×740), as a phone shows it before any scrolling. */
  async function shootFirstScreen(page: Page, name: string): Promise<string> {
    const file = path.join(shots, name);
    await page.screenshot({ path: file, fullPage: false });
    console.log(`      first screen: ${file}`);
    return file;
  }

  /** The server's headline: its text, once it is wholly inside the first 740 px, and its claim; the browser's own box agrees. */
  async function firstScreenHeadline(page: Page): Promise<{ text: string; claim: string | null }> {
    const h1 = page.locator('#verdict h1');
    const box = (await h1.boundingBox())!;
    expect(box.y, 'headline top').to.be.at.least(0);
    expect(box.y + box.height, 'headline bottom within the first screen').to.be.at.most(740);
    const claim = await page.locator('#verdict').getAttribute('data-claim');
    const own = page.locator('#browser-verdict');
    expect(await own.getAttribute('data-claim'), "the browser's own claim").to.equal(claim);
    const text = (await h1.textContent())!;
    expect(await own.locator('b').textContent(), "the browser's own headline").to.equal(text);
    const ownBox = (await own.boundingBox())!;
    expect(ownBox.y + ownBox.height, "the browser's own verdict within the first screen").to.be.at.most(740);
    return { text, claim };
  }

  /** Tier pills visible anywhere on the page that read 富硒 (or Selenium-rich) in green, not struck through. */
  async function greenSeleniumRichPills(page: Page): Promise<string[]> {
    return page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>('.tier, .badge, [class*="tier"]'))
        .filter((e) => e.offsetParent !== null && /富硒|selenium-rich/i.test(e.textContent ?? ''))
        .filter((e) => !e.querySelector('s'))
        .filter((e) => {
          const [r, g, b] = (getComputedStyle(e).color.match(/\d+/g) ?? []).map(Number);
          return g! > r! + 40 && g! > b! + 20; // green text
        })
        .map((e) => e.outerHTML),
    );
  }

  it('When an anchored batch is opened, Then the browser verifies it itself, on chain, as valid', async () => {
    const batch = await submitBatch(f);
    await submitReport(f, batch.id);
    await anchorAll(f.sys);

    const { page, verdict, chain } = await open(`${base}/01/${GTIN14}/10/${batch.lot}`);

    expect(verdict).to.equal('valid');
    expect(chain).to.equal('checked');
    expect(await page.locator('#browser-verdict').textContent()).to.contain('您的浏览器已独立验证');
    expect(await firstScreenHeadline(page)).to.deep.equal({ text: '真实可信，按 NY/T 600-2002 属富硒', claim: 'selenium-rich' });
    await shootFirstScreen(page, 'consumer-valid-top.png');
    await shoot(page, 'consumer-valid.png');
    await page.close();
  });

  it('When the batch report was revoked, Then the browser finds it revoked on chain', async () => {
    const batch = await submitBatch(f);
    const report = await submitReport(f, batch.id);
    await anchorAll(f.sys);
    await f.sys.registries.revokeRecord(report.leafHash, revocationReasonNumber('sample-mismatch'));
    await f.sys.mirror.sync();

    const { page, verdict } = await open(`${base}/b/${batch.id}`);

    expect(verdict).to.equal('revoked');
    const { text, claim } = await firstScreenHeadline(page);
    expect(claim).to.equal('report-revoked');
    expect(text).to.match(/^检测报告已于 \d{4}-\d{2}-\d{2} 撤销：样品不符$/);
    expect(await greenSeleniumRichPills(page), 'green 富硒 pills').to.deep.equal([]);
    expect(await page.locator('.tier.t-void s').first().textContent()).to.equal('富硒');
    await shootFirstScreen(page, 'consumer-revoked-top.png');
    await page.locator('#reports').screenshot({ path: path.join(shots, 'consumer-revoked-report.png') });
    await shoot(page, 'consumer-revoked.png');
    await page.close();
  });

  it('When a "富硒" tea tests below the range, Then the first screen says so, not verified-green', async () => {
    const batch = await submitBatch(f);
    await submitReport(f, batch.id, { result: 0.2 });
    await anchorAll(f.sys);

    const { page, verdict } = await open(`${base}/01/${GTIN14}/10/${batch.lot}`);

    expect(verdict).to.equal('valid');
    expect(await firstScreenHeadline(page)).to.deep.equal({ text: '真实可信，但硒含量低于富硒范围', claim: 'below-range' });
    expect(await page.locator('#browser-verdict').getAttribute('data-tone')).to.equal('warn');
    expect(await greenSeleniumRichPills(page), 'green 富硒 pills').to.deep.equal([]);
    await shootFirstScreen(page, 'consumer-below-range-top.png');
    await page.locator('#reports').screenshot({ path: path.join(shots, 'consumer-below-range-report.png') });
    await shoot(page, 'consumer-below-range.png');
    await page.close();
  });

  it('When a batch has no lab report, Then the first screen says authentic, no lab report; in English with ?lang=en', async () => {
    const batch = await submitBatch(f);
    await anchorAll(f.sys);

    const zh = await open(`${base}/b/${batch.id}`);
    expect(await firstScreenHeadline(zh.page)).to.deep.equal({ text: '真实可信，尚无检测报告', claim: 'no-report' });
    await shootFirstScreen(zh.page, 'consumer-no-report-top.png');
    await zh.page.close();

    const en = await open(`${base}/b/${batch.id}?lang=en`);
    expect(await firstScreenHeadline(en.page)).to.deep.equal({ text: 'Authentic, no lab report', claim: 'no-report' });
    await shootFirstScreen(en.page, 'consumer-no-report-en-top.png');
    await en.page.close();
  });

  it('When the batch is not anchored yet, Then the browser says pending; in English with ?lang=en', async () => {
    const batch = await submitBatch(f);

    const { page, verdict } = await open(`${base}/b/${batch.id}?lang=en`);

    expect(verdict).to.equal('pending');
    expect(await firstScreenHeadline(page)).to.deep.equal({ text: 'Not anchored yet: nothing proven so far', claim: 'pending' });
    await shoot(page, 'consumer-pending-en.png');
    await page.close();
  });

  it('When the report bundle in the page carries another key\'s signature, on an insecure origin, Then the page itself refuses it at checkSigner while the server said valid', async () => {
    const batch = await submitBatch(f);
    await submitReport(f, batch.id);
    await anchorAll(f.sys);

    // An attacker's copy of the page, served from a public-looking name over plain http:// (so no
    // crypto.subtle): the report's signature is replaced by a signature of another key over the same
    // report; the server-rendered verdict above it still says valid. Assets pass through unchanged.
    const mirror = express();
    mirror.get('/b/:id', async (req, res) => {
      const upstream = await fetch(`${base}/b/${req.params.id}`);
      const html = await upstream.text();
      const m = /<script type="application\/json" id="tl-data">([\s\S]*?)<\/script>/.exec(html)!;
      const data = JSON.parse(m[1]!) as { records: { role: string; bundle: ProofBundle }[] };
      const report = data.records.find((r) => r.role === 'report')!.bundle;
      const fields = verifyDisclosures(report.record.disclosures as never, report.record.leafCount, report.record.recordRoot as `0x${string}`);
      const td = typedDataFor('SeleniumTestReport', fields as never, report.record.recordRoot, { chainId: report.chain.chainId, verifyingContract: report.chain.traceLedger });
      report.entry.signature = (await randomWallet().signTypedData(td.domain, td.types, td.message)).toLowerCase();
      res.setHeader('Content-Security-Policy', upstream.headers.get('content-security-policy') ?? '');
      res.type('html').send(html.replace(m[1]!, () => jsonForScript(data)));
    });
    mirror.use('/web', async (req, res) => {
      const upstream = await fetch(`${base}/web${req.url}`);
      res.status(upstream.status).type(upstream.headers.get('content-type') ?? 'text/plain').send(Buffer.from(await upstream.arrayBuffer()));
    });
    const mirrorServer = await new Promise<http.Server>((resolve) => {
      const s = mirror.listen(0, '127.0.0.1', () => resolve(s));
    });
    const phone = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    try {
      const page = await (await phone.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' })).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('requestfailed', (r) => errors.push(`${r.url()}: ${r.failure()?.errorText ?? 'failed'}`));
      await page.goto(`http://traceledger.test:${(mirrorServer.address() as AddressInfo).port}/b/${batch.id}`, { waitUntil: 'load' });
      await page.waitForFunction(() => !['none', 'checking', null].includes(document.getElementById('browser-verdict')?.getAttribute('data-verdict') ?? null), undefined, { timeout: 30_000 });

      expect(errors, errors.join('\n')).to.deep.equal([]);
      expect(await page.evaluate(() => ({ secure: window.isSecureContext, subtle: crypto.subtle !== undefined }))).to.deep.equal({ secure: false, subtle: false });
      expect(await page.locator('#verdict').getAttribute('data-verdict'), 'the server-rendered verdict').to.equal('valid');
      expect(await page.locator('#browser-verdict').getAttribute('data-verdict'), "the page's own verdict").to.equal('invalid');
      expect(await page.locator('#browser-verdict').textContent()).to.contain('请勿相信此标签');
      const report = page.locator('#browser-steps li').nth(1);
      expect(await report.getAttribute('data-verdict')).to.equal('invalid');
      expect(await report.locator('[data-step="checkSigner"]').getAttribute('data-status')).to.equal('failed');
      const text = (await page.locator('#browser-steps').textContent())!;
      expect(text).to.contain('核对签名者').and.contain('签名来自');
      expect(text, 'only Chinese on the zh page').not.to.match(/\b(signature|signed|bundle|checkpoint|failed|passed)\b/i);
      await shoot(page, 'consumer-forged-signature.png');
    } finally {
      await phone.close();
      await new Promise((resolve) => mirrorServer.close(resolve));
    }
  });

  /** A phone page with no horizontal scrolling and no script errors. */
  async function openPlain(url: string): Promise<{ page: Page; status: number }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(url, { waitUntil: 'load' });
    expect(errors, errors.join('\n')).to.deep.equal([]);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, 'no horizontal scrolling on a 360 px phone').to.be.at.most(360);
    return { page, status: res!.status() };
  }

  it('When a phone opens an unknown code, Then it sees 谨防假冒 in its first screen with a tap-to-call 12315 and www.12315.cn, in Chinese and English', async () => {
    for (const url of [`${base}/b/91610924MA6YAB3K2L-NO-SUCH-BATCH`, `${base}/01/${GTIN14}/10/FAKE-LOT-1`, `${base}/b/%ZZ`]) {
      const { page, status } = await openPlain(url);
      expect(status).to.equal(url.endsWith('%ZZ') ? 400 : 404);
      const h1 = page.locator('#verdict h1');
      expect(await h1.textContent()).to.equal('谨防假冒');
      const box = (await h1.boundingBox())!;
      expect(box.y + box.height, 'warning within the first screen').to.be.at.most(740);
      const call = page.locator('a[href="tel:12315"]').first();
      expect(await call.isVisible()).to.equal(true);
      const tap = (await call.boundingBox())!;
      expect(tap.height, 'a tap target of at least 44 px').to.be.at.least(44);
      expect(await page.locator('a[href="https://www.12315.cn"]').count()).to.be.at.least(2);
      const body = await page.locator('main').innerText();
      expect(body).to.contain('Beware of counterfeits').and.contain('投诉举报').and.contain('Report it');
      if (url.endsWith('FAKE-LOT-1')) {
        expect(await page.locator('#scanned-code').textContent()).to.contain('FAKE-LOT-1');
        await shootFirstScreen(page, 'consumer-unknown-code.png');
      }
      await page.close();
    }
  });

  it("When a phone opens a GTIN-only link, Then it lists that GTIN's batches and a tap opens the batch's own verified page", async () => {
    const batch = await submitBatch(f);
    await anchorAll(f.sys);
    const { page, status } = await openPlain(`${base}/01/${GTIN14}`);
    expect(status).to.equal(200);
    const links = page.locator('#gtin-batches a');
    expect(await links.count()).to.be.at.least(1);
    expect(await links.first().innerText()).to.contain(batch.lot); // newest first
    await shootFirstScreen(page, 'consumer-gtin-only.png');
    await Promise.all([page.waitForNavigation(), links.first().click()]);
    expect(page.url()).to.equal(`${base}/01/${GTIN14}/10/${batch.lot}`);
    await page.waitForFunction(() => {
      const v = document.getElementById('browser-verdict')?.getAttribute('data-verdict');
      return v !== undefined && v !== null && v !== 'none' && v !== 'checking';
    }, undefined, { timeout: 30_000 });
    expect(await page.locator('#verdict').getAttribute('data-verdict')).to.not.equal('unknown');
    await page.close();
  });
});
