/*
 * The auditor console in a real browser (Debian's chromium, headless, a 1280×800 desktop: auditors
 * work at one): the auditor pastes an auditor's token (read-only), opens a department with a demo trail, clicks
 * verify and sees the verdict and the named steps; alerts of a crafted violation are listed; a signed report is exported.
 * Fails (never skips) when chromium is missing: scripts/ci-setup.sh installs it.
 */
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../../server/http/app';
import { createContext } from '../../../server/http/context';
import type { SqliteStore } from '../../../server/store/sqlite';
import type { System } from '../../../server/system';
import { RpcChainReader } from '../../../server/chain/reader';
import { issueApiToken } from '../../../server/service/tokens';
import { TRAIL_STEPS, verifyTrail } from '../../../server/trails';
import { checkAuditReport } from '../../../server/trails/audit-signature';
import { trailStepTitle as stepTitle } from '../../../server/verification/trail-messages';
import { bootTestSystem, eventually, tempDir } from '../../support/system';
import { completeShare, registerDepartment, type Department } from '../../support/trails';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS_ROOT = path.join(__dirname, '../../../.test-tmp');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ADMIN_TOKEN = 'audit-browser-admin-token-0123456789abcdef';
/** English words of the trail messages, verdicts and errors: none may show on the Chinese console. */
const ENGLISH_WORDS = /\b(the|of|is|not|no|entries|entry|anchored|records?|signatures?|signed|keys?|chain|leaf|hash|root|seq|field|failed|passed|pending|valid|invalid|unauthorized|token|error|network|rate|limited|found|input)\b/i;
/** Chinese characters and CJK punctuation: none may show on the English console. */
const CJK = /[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]/;
/** The text of a Chinese area with the values it shows (record ids, hex) taken out: what is left must be Chinese. */
const wordsLeft = (text: string) => (text.replace(/0x[0-9a-fA-F]+/g, ' ').replace(/\b[a-z]{3}-demo-\d+\b/g, ' ').match(/[A-Za-z]{4,}/g) ?? []);
/** The areas of the console that show what the API said: trail steps, the verdict, errors. */
const SAID_AREAS = ['#steps', '#verdict', '#out', '#dataset-result'];

describe('server/web auditor console in headless chromium (real anvil node)', function () {
  this.timeout(240_000);
  let sys: System;
  let server: http.Server;
  let base: string;
  let browser: BrowserContext;
  let shots: string;
  let market: Department;
  let agriculture: Department;
  let health: Department;
  let auditorToken: string;

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ci-setup.sh (apt-get install -y chromium)`);
    sys = await bootTestSystem({ env: { ADMIN_TOKEN } });
    market = await registerDepartment(sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(sys, 2, '安康市农业农村局');
    health = await registerDepartment(sys, 3, '安康市卫生健康委员会');
    // The demo trail: a clean share, and a conditional item shared without a legal basis, with more fields than approved.
    await completeShare(market, agriculture, 'demo-1');
    await health.request(agriculture, { id: 'req-demo-2', legalBasis: undefined });
    await agriculture.reply(health, { id: 'rep-demo-2', requestId: health.idOf('req-demo-2'), fieldsApproved: ['origin'] });
    const del = await agriculture.deliver(health, { id: 'del-demo-2', requestId: health.idOf('req-demo-2'), replyId: agriculture.idOf('rep-demo-2'), fieldsDelivered: ['origin', 'producerUscc'] });
    await health.countersign(agriculture, { id: 'rcp-demo-2', requestId: health.idOf('req-demo-2'), deliveryId: del.id });
    auditorToken = (await issueApiToken(sys.store, { role: 'auditor', label: 'audit browser test' })).token;
    const ctx = createContext(sys);
    for (const d of [market, agriculture, health]) {
      await eventually(async () => (await verifyTrail({ store: sys.store, reader: ctx.reader, deployment: sys.deployment }, d.id)).verdict === 'valid');
    }
    server = await new Promise<http.Server>((resolve) => {
      const s = createApp(ctx).listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launchPersistentContext(tempDir('traceledger-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 800 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    fs.mkdirSync(SHOTS_ROOT, { recursive: true });
    shots = fs.mkdtempSync(path.join(SHOTS_ROOT, 'audit-'));
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await sys?.stop();
  });

  async function openConsole(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    await page.fill('#token', auditorToken);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('#departments tr button');
    return { page, errors };
  }

  it('When the auditor opens a department and clicks verify, Then the verdict 验证通过 and the four named steps appear', async () => {
    const { page, errors } = await openConsole(`${base}/audit`);
    expect(await page.locator('#departments tr').count()).to.equal(3);
    expect(await page.locator('#alerts li[data-kind]').count()).to.be.greaterThan(0);

    await page.click(`#departments button[data-dept="${market.id}"]`);
    await page.waitForSelector('#trail tr[id^="rec-"]');
    expect(await page.locator('#trail tr').count()).to.equal(2);
    await page.click('#verify');
    await page.waitForFunction(() => {
      const v = document.getElementById('verdict')?.getAttribute('data-verdict');
      return v === 'valid' || v === 'invalid' || v === 'pending';
    }, undefined, { timeout: 30_000 });

    expect(await page.locator('#verdict').getAttribute('data-verdict')).to.equal('valid');
    expect(await page.locator('#verdict').textContent()).to.contain('验证通过');
    expect(await page.locator('#steps li.s-passed').count()).to.equal(4);
    expect(await page.locator('#steps').textContent()).to.contain('序号连续、无缺失');
    expect(errors, errors.join('\n')).to.deep.equal([]);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, 'audit-overview.png') });
    await page.locator('#department-card').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'audit-verified.png') });
    await page.screenshot({ path: path.join(shots, 'audit-full.png'), fullPage: true });
    console.log(`      screenshots: ${shots}`);
    await page.close();
  });

  it('When the department with violations is opened, Then its alerts name the records they concern and flag them in the trail', async () => {
    const { page } = await openConsole(`${base}/audit`);
    await page.click(`#departments button[data-dept="${agriculture.id}"]`);
    await page.waitForSelector('#trail tr[id^="rec-"]');
    const kinds = await page.locator('#dept-alerts li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-kind')));
    expect(kinds).to.include.members(['fields-beyond-approved', 'conditional-without-legal-basis']);
    expect(await page.locator('#dept-alerts').textContent()).to.contain(agriculture.idOf('del-demo-2'));
    expect(await page.locator(`#rec-${agriculture.idOf('del-demo-2')}`).getAttribute('class')).to.contain('flagged');
    await page.click('#verify');
    // Untampered, but with a high alert: the headline says so, never a green ✓.
    await page.waitForSelector('#verdict[data-verdict="attention"]');
    const headline = (await page.locator('#verdict').textContent())!;
    expect(headline).to.contain('记录链未被篡改，但有').and.contain('高风险告警');
    expect(headline).to.not.contain('✓');
    expect(Number(await page.locator('#verdict').getAttribute('data-alerts'))).to.be.greaterThan(0);
    await page.locator('#department-card').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'audit-alerts.png') });
    await page.close();
  });

  it('When the auditor exports the audit report as CSV, Then the file downloads signed by the operator and checks valid against the chain', async () => {
    const { page } = await openConsole(`${base}/audit`);
    await page.click(`#departments button[data-dept="${market.id}"]`);
    await page.waitForSelector('#trail tr[id^="rec-"]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report-csv')]);
    const file = path.join(shots, download.suggestedFilename());
    await download.saveAs(file);
    const csv = fs.readFileSync(file, 'utf8');
    expect(csv.startsWith('\uFEFF')).to.equal(true);
    expect(csv).to.match(/\+08:00/);
    const check = await checkAuditReport(csv, new RpcChainReader(sys.provider, sys.deployment), sys.deployment.traceLedger);
    expect(check.status, check.message).to.equal('valid');
    await page.close();
  });

  it('When a dataset hash is checked, Then a mismatch is shown in red; in English with ?lang=en', async () => {
    const { page } = await openConsole(`${base}/audit?lang=en`);
    await page.fill('#delivery', agriculture.idOf('del-demo-1'));
    await page.fill('#sha', `0x${'00'.repeat(32)}`);
    await page.click('#dataset-form button[type=submit]');
    await page.waitForSelector('#dataset-result[data-verdict="invalid"]');
    expect(await page.locator('#dataset-result').textContent()).to.contain('Mismatch');
    await page.fill('#sha', `0x${'5e'.repeat(32)}`);
    await page.click('#dataset-form button[type=submit]');
    await page.waitForSelector('#dataset-result[data-verdict="valid"]');
    expect(await page.locator('#dataset-result').textContent()).to.contain('Match');
    await page.close();
  });

  /** Opens `dept` and verifies its trail; resolves once the verdict is in. */
  async function verifyDepartment(page: Page, dept: Department): Promise<string> {
    await page.click(`#departments button[data-dept="${dept.id}"]`);
    await page.waitForSelector('#trail tr[id^="rec-"]');
    await page.click('#verify');
    await page.waitForFunction(() => ['valid', 'invalid', 'pending'].includes(document.getElementById('verdict')?.getAttribute('data-verdict') ?? ''), undefined, { timeout: 30_000 });
    return (await page.locator('#verdict').getAttribute('data-verdict'))!;
  }

  /** What the areas showing the API's answers say: [selector, text] per area. */
  const saidTexts = (page: Page) => Promise.all(SAID_AREAS.map(async (sel): Promise<[string, string]> => [sel, (await page.locator(sel).textContent()) ?? '']));

  async function expectChineseOnly(page: Page): Promise<void> {
    for (const [sel, text] of await saidTexts(page)) {
      expect(text, sel).to.not.match(ENGLISH_WORDS);
      expect(wordsLeft(text), `${sel}: ${text}`).to.deep.equal([]);
    }
  }

  async function expectNoChinese(page: Page): Promise<void> {
    for (const [sel, text] of await saidTexts(page)) expect(text, sel).to.not.match(CJK);
  }

  /** Edits a field of market's first record in the database (its body no longer matches its signed root) until `restore` is called. */
  function tamperMarket(): () => void {
    const db = (sys.store as SqliteStore).db;
    const id = market.idOf('req-demo-1');
    const { body } = db.prepare('SELECT body FROM records WHERE id = ?').get(id) as { body: string };
    db.prepare('UPDATE records SET body = ? WHERE id = ?').run(JSON.stringify({ ...(JSON.parse(body) as object), purpose: '用于商业营销' }), id);
    return () => db.prepare('UPDATE records SET body = ? WHERE id = ?').run(body, id);
  }

  it('When a trail is verified on the Chinese console, passing or failing, Then the step titles, step messages and verdict line are Chinese only', async () => {
    const { page, errors } = await openConsole(`${base}/audit`);
    expect(await verifyDepartment(page, market)).to.equal('valid');
    const steps = (await page.locator('#steps').textContent())!;
    for (const step of TRAIL_STEPS) expect(steps).to.contain(stepTitle(step, 'zh'));
    expect(steps).to.contain('全部 2 条记录都在链上锚定的检查点中');
    await expectChineseOnly(page);

    const restore = tamperMarket();
    try {
      expect(await verifyDepartment(page, market)).to.equal('invalid');
    } finally {
      restore();
    }
    const failed = page.locator('#steps li[data-step="hashLinksUnbroken"]');
    expect(await failed.getAttribute('class')).to.equal('s-failed');
    expect(await failed.getAttribute('data-code')).to.equal('trailBodyAltered');
    expect(await failed.textContent()).to.contain('签名后有字段被改动');
    expect(await page.locator('#verdict').textContent()).to.contain(`记录链未通过验证：哈希链接完整 — 记录 ${market.idOf('req-demo-1')}（序号 1）`);
    await expectChineseOnly(page);
    await page.locator('#department-card').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'audit-failed-zh.png') });
    expect(errors, errors.join('\n')).to.deep.equal([]);
    await page.close();
  });

  it('When calls fail on the Chinese console (a wrong token, too many requests, no network), Then the errors are Chinese words, not the API’s codes and English', async () => {
    const { page, errors } = await openConsole(`${base}/audit`);
    await page.click(`#departments button[data-dept="${market.id}"]`);
    await page.waitForSelector('#trail tr[id^="rec-"]');

    await page.fill('#token', 'not-the-admin-token-0123456789abcdef');
    await page.click('#token-form button[type=submit]');
    await page.waitForFunction(() => (document.getElementById('out')?.textContent ?? '') !== '');
    expect(await page.locator('#out').textContent()).to.equal('未授权：令牌无效、已吊销或未填写');

    await page.fill('#delivery', agriculture.idOf('del-demo-1'));
    await page.fill('#sha', `0x${'00'.repeat(32)}`);
    await page.click('#dataset-form button[type=submit]');
    await page.waitForSelector('#dataset-result[data-verdict="invalid"]');
    expect(await page.locator('#dataset-result').textContent()).to.equal('未授权：令牌无效、已吊销或未填写');

    await page.route('**/trail/verify', (route) => route.fulfill({ status: 429, contentType: 'application/json', body: JSON.stringify({ error: { code: 'rate-limited', message: 'too many requests: try again in 60 s' } }) }));
    await page.click('#verify');
    await page.waitForSelector('#verdict[data-verdict="invalid"]');
    expect(await page.locator('#verdict').textContent()).to.equal('请求过于频繁，请稍后再试');
    await page.unroute('**/trail/verify');

    await page.route('**/trail/verify', (route) => route.abort('internetdisconnected'));
    await page.click('#verify');
    await page.waitForFunction(() => document.getElementById('verdict')?.textContent === '网络错误：无法连接服务器');
    await page.unroute('**/trail/verify');

    await page.route('**/trail/verify', (route) => route.fulfill({ status: 418, contentType: 'text/plain', body: "I'm a teapot" }));
    await page.click('#verify');
    await page.waitForFunction(() => document.getElementById('verdict')?.textContent === '请求失败');
    await page.unroute('**/trail/verify');

    await expectChineseOnly(page);
    expect(errors, errors.join('\n')).to.deep.equal([]);
    await page.close();
  });

  it('When a trail is verified and calls fail on the English console, Then steps, verdicts and errors show no Chinese', async () => {
    const { page, errors } = await openConsole(`${base}/audit?lang=en`);
    expect(await verifyDepartment(page, market)).to.equal('valid');
    const steps = (await page.locator('#steps').textContent())!;
    for (const step of TRAIL_STEPS) expect(steps).to.contain(stepTitle(step, 'en'));
    expect(steps).to.contain('All 2 entries are in the checkpoint');
    await expectNoChinese(page);

    const restore = tamperMarket();
    try {
      expect(await verifyDepartment(page, market)).to.equal('invalid');
    } finally {
      restore();
    }
    expect(await page.locator('#verdict').textContent()).to.contain(`The trail fails verification: Hash links unbroken — record ${market.idOf('req-demo-1')} (seq 1): its stored fields do not match`);
    await expectNoChinese(page);

    await page.fill('#token', 'not-the-admin-token-0123456789abcdef');
    await page.click('#token-form button[type=submit]');
    await page.waitForFunction(() => (document.getElementById('out')?.textContent ?? '') !== '');
    expect(await page.locator('#out').textContent()).to.match(/^unauthorized: /);
    await page.fill('#delivery', agriculture.idOf('del-demo-1'));
    await page.fill('#sha', `0x${'00'.repeat(32)}`);
    await page.click('#dataset-form button[type=submit]');
    await page.waitForSelector('#dataset-result[data-verdict="invalid"]');
    expect(await page.locator('#dataset-result').textContent()).to.match(/^unauthorized: /);
    await page.route('**/trail/verify', (route) => route.abort('internetdisconnected'));
    await page.click('#verify');
    await page.waitForFunction(() => document.getElementById('verdict')?.textContent === 'network: network error');
    await expectNoChinese(page);
    expect(errors, errors.join('\n')).to.deep.equal([]);
    await page.close();
  });
});
