/*
 * The auditor console in a real browser (Debian's chromium, headless, a 1280×800 desktop: auditors
 * work at one): the auditor pastes the admin token, opens a department with a demo trail, clicks
 * verify and sees the verdict and the named steps; alerts of a crafted violation are listed.
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
import type { System } from '../../../server/system';
import { verifyTrail } from '../../../server/trails';
import { bootTestSystem, eventually, tempDir } from '../../support/system';
import { completeShare, registerDepartment, type Department } from '../../support/trails';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS_ROOT = path.join(__dirname, '../../../.test-tmp');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ADMIN_TOKEN = 'audit-browser-admin-token-0123456789abcdef';

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

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ci-setup.sh (apt-get install -y chromium)`);
    sys = await bootTestSystem({ env: { ADMIN_TOKEN } });
    market = await registerDepartment(sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(sys, 2, '安康市农业农村局');
    health = await registerDepartment(sys, 3, '安康市卫生健康委员会');
    // The demo trail: a clean share, and a conditional item shared without a legal basis, with more fields than approved.
    await completeShare(market, agriculture, 'demo-1');
    await health.request(agriculture, { id: 'req-demo-2', legalBasis: undefined });
    await agriculture.reply(health, { id: 'rep-demo-2', requestId: 'req-demo-2', fieldsApproved: ['origin'] });
    const del = await agriculture.deliver(health, { id: 'del-demo-2', requestId: 'req-demo-2', replyId: 'rep-demo-2', fieldsDelivered: ['origin', 'producerUscc'] });
    await health.countersign(agriculture, { id: 'rcp-demo-2', requestId: 'req-demo-2', deliveryId: del.id });
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
    await page.fill('#token', ADMIN_TOKEN);
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
    expect(await page.locator('#dept-alerts').textContent()).to.contain('del-demo-2');
    expect(await page.locator('#rec-del-demo-2').getAttribute('class')).to.contain('flagged');
    await page.click('#verify');
    await page.waitForSelector('#verdict[data-verdict="valid"]');
    await page.locator('#department-card').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'audit-alerts.png') });
    await page.close();
  });

  it('When a dataset hash is checked, Then a mismatch is shown in red; in English with ?lang=en', async () => {
    const { page } = await openConsole(`${base}/audit?lang=en`);
    await page.fill('#delivery', 'del-demo-1');
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
});
