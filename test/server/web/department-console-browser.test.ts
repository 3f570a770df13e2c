/*
 * The department console (/department) in a real browser (Debian's chromium, headless) over a real system (anvil,
 * SQLite, worker): two departments, each in its own browser with its own keystore file, sign every step of a data
 * share in the page — request, reply, delivery (the data file hashed in the page, never uploaded) and receipt — and each
 * sees its trail, anchored and verified, and with a token its alerts. A step that does not fit the share is refused by
 * the server, with its code.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { eventually } from '../../support/system';
import { registerDepartment, type Department } from '../../support/trails';
import { ADMIN_TOKEN, bootTestApp, type TestApp } from '../http/helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const PASSWORD = '部门密码 2026';

/** The delivered dataset: three rows under a header. */
const DATASET = Buffer.from('producerUscc,origin\n91610924MA6YABC12X,紫阳县\n91610924MA6YABC13X,岚皋县\n91610924MA6YABC14X,平利县\n');

describe('server/web department console in headless chromium (real anvil node)', function () {
  this.timeout(300_000);
  let t: TestApp;
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let market: Department;
  let agriculture: Department;
  let health: Department;
  const contexts: BrowserContext[] = [];
  const sent: string[] = [];
  /** Uncaught script errors and CSP refusals in any page: there must be none. */
  const scriptErrors: string[] = [];

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ci-setup.sh (apt-get install -y chromium)`);
    t = await bootTestApp();
    market = await registerDepartment(t.sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(t.sys, 2, '安康市农业农村局');
    health = await registerDepartment(t.sys, 3, '安康市卫生健康委员会');
    server = await new Promise<http.Server>((resolve) => {
      const s = t.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await t?.sys.stop();
  });

  /** A department's own browser, with its keystore imported and unlocked. */
  async function consoleOf(d: Department): Promise<Page> {
    const context = await browser.newContext({ locale: 'zh-CN' });
    contexts.push(context);
    const page = await context.newPage();
    page.on('request', (r) => {
      const body = r.postData();
      if (body) sent.push(body);
    });
    page.on('pageerror', (e) => scriptErrors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) scriptErrors.push(m.text());
    });
    await page.goto(`${base}/department`);
    await page.waitForSelector('body[data-ready="1"]');
    await page.setInputFiles('#keystore', { name: 'key.json', mimeType: 'application/json', buffer: Buffer.from(await d.key.encrypt(PASSWORD)) });
    await page.waitForFunction(() => document.getElementById('key-address')!.textContent !== '');
    await page.fill('#password', PASSWORD);
    await page.click('#unlock');
    await page.waitForFunction(() => !(document.getElementById('sign-share') as HTMLButtonElement).disabled, undefined, { timeout: 60_000 });
    return page;
  }

  /** Submits the form and waits for the outcome; returns the accepted record id, or the refusal code. */
  async function submit(page: Page): Promise<{ kind: string; code: string; id: string | undefined; text: string }> {
    await page.click('#sign-share');
    await page.waitForFunction(() => ['ok', 'error'].includes(document.getElementById('out')!.dataset.kind ?? ''), undefined, { timeout: 60_000 });
    return page.$eval('#out', (o) => ({ kind: (o as HTMLElement).dataset.kind ?? '', code: (o as HTMLElement).dataset.code ?? '', id: (o as HTMLElement).dataset.recordId, text: o.textContent ?? '' }));
  }

  async function common(page: Page, step: string, officer: string): Promise<void> {
    await page.selectOption('#step', step);
    await page.fill('#catalogue-id', 'AK-NY-0042');
    await page.fill('#catalogue-version', '2025.1');
    await page.fill('#officer-name', officer);
  }

  it('When two departments sign request, reply, delivery and receipt in their consoles, Then each step is accepted and each trail lists its steps, anchored and valid', async () => {
    const requester = await consoleOf(market);
    const provider = await consoleOf(agriculture);
    expect(await requester.textContent('#profile')).to.contain(market.name);

    // 1. The market regulator requests.
    await common(requester, 'request', '赵敏');
    await requester.selectOption('#counterpart', agriculture.id);
    // A conditional item, requested without a legal basis: the trail is still valid, and an alert is raised.
    await requester.selectOption('#share-class', 'conditional');
    await requester.fill('#purpose', '富硒产品抽检结果与产地备案信息比对');
    await requester.fill('#scenario', '市场监管部门对富硒茶产品开展质量抽检');
    await requester.fill('#fields-requested', 'producerUscc, origin');
    await requester.fill('#scope', '安康市紫阳县 2026 年备案茶园');
    await requester.fill('#validity-from', '2026-01-01');
    await requester.fill('#validity-to', '2026-12-31');
    const started = Date.now();
    const request = await submit(requester);
    expect(request, request.text).to.include({ kind: 'ok', code: 'accepted' });
    expect(request.id).to.match(new RegExp(`^${market.uscc}-`));

    // 2. Agriculture approves; the request's id is enough for the console to pick the requesting department.
    await common(provider, 'reply', '孙磊');
    await provider.selectOption('#counterpart', health.id);
    await provider.fill('#request-id', request.id!);
    await provider.press('#request-id', 'Tab');
    await provider.waitForFunction((id) => (document.getElementById('counterpart') as HTMLSelectElement).value === id, market.id);
    await provider.fill('#fields-approved', 'producerUscc, origin');
    await provider.fill('#validity-from', '2026-01-01');
    await provider.fill('#validity-to', '2026-06-30');
    const reply = await submit(provider);
    expect(reply, reply.text).to.include({ kind: 'ok' });

    // 3. Agriculture delivers: the file is hashed in the page; the row count is read from it (header excluded).
    await common(provider, 'delivery', '孙磊');
    await provider.fill('#reply-id', reply.id!);
    await provider.fill('#fields-delivered', 'producerUscc, origin');
    await provider.setInputFiles('#data-file', { name: 'delivery.csv', mimeType: 'text/csv', buffer: DATASET });
    const sha = `0x${createHash('sha256').update(DATASET).digest('hex')}`;
    await provider.waitForFunction((h) => (document.getElementById('data-sha256')!.textContent ?? '').includes(h), sha);
    expect(await provider.inputValue('#row-count')).to.equal('3');
    const delivery = await submit(provider);
    expect(delivery, delivery.text).to.include({ kind: 'ok' });

    // 4. The market regulator countersigns what it received, hashing its copy.
    await common(requester, 'receipt', '赵敏');
    await requester.fill('#request-id', request.id!);
    await requester.fill('#delivery-id', delivery.id!);
    await requester.setInputFiles('#data-file', { name: 'received.csv', mimeType: 'text/csv', buffer: DATASET });
    await requester.waitForFunction((h) => (document.getElementById('data-sha256')!.textContent ?? '').includes(h), sha);
    const receipt = await submit(requester);
    expect(receipt, receipt.text).to.include({ kind: 'ok' });

    // Each trail, anchored, and verified valid.
    for (const [page, steps] of [
      [requester, ['receipt', 'request']],
      [provider, ['delivery', 'reply']],
    ] as const) {
      await eventually(async () => {
        await page.click('#refresh-trail');
        await page.waitForTimeout(500);
        return page.evaluate(() => {
          const rows = Array.from(document.querySelectorAll<HTMLElement>('#trail tr'));
          return rows.length === 2 && rows.every((r) => r.dataset.status === 'anchored') && document.getElementById('trail-verdict')!.dataset.verdict === 'valid';
        });
      }, 60_000, 500);
      expect(await page.$$eval('#trail tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.step))).to.deep.equal([...steps]);
    }
    console.log(`      department console: four steps signed in two browsers to both trails anchored and valid ${Date.now() - started} ms`);
    // The providing department approved and delivered a conditional item without a legal basis: its alert shows with a token.
    await provider.fill('#alerts-token', 'not-a-token');
    await provider.click('#load-alerts');
    await provider.waitForSelector('#alerts li.alert');
    expect(await provider.textContent('#alerts')).to.contain('unauthorized');
    await provider.fill('#alerts-token', ADMIN_TOKEN);
    await provider.click('#load-alerts');
    await provider.waitForSelector('#alerts li[data-kind="conditional-without-legal-basis"]');
    expect(await provider.textContent('#alerts')).to.contain('未说明法律依据');
    expect(await provider.getAttribute('#trail-verdict', 'data-verdict')).to.equal('valid');
    const stored = await t.sys.store.getRecord(delivery.id!);
    expect(stored?.body).to.have.nested.property('delivery.dataSha256', sha);
    expect(stored?.body).to.have.nested.property('delivery.rowCount', 3);
    // The data file, the key and the password never left the pages.
    const bodies = sent.join('\n');
    expect(bodies).not.to.contain('岚皋县');
    expect(bodies).not.to.contain('91610924MA6YABC13X');
    expect(bodies).not.to.contain(PASSWORD);
    expect(bodies).not.to.contain(market.key.privateKey.slice(2));
    expect(bodies).not.to.contain(agriculture.key.privateKey.slice(2));
  });

  it('When a department signs a reply to a request that does not exist, Then the server refuses it and the page shows the code', async () => {
    const provider = await consoleOf(agriculture);
    await common(provider, 'reply', '孙磊');
    await provider.selectOption('#counterpart', market.id);
    await provider.fill('#request-id', `${market.uscc}-NO-SUCH-REQUEST`);
    await provider.fill('#fields-approved', 'origin');
    await provider.fill('#validity-from', '2026-01-01');
    await provider.fill('#validity-to', '2026-06-30');
    const res = await submit(provider);
    expect(res).to.include({ kind: 'error', code: 'not-found' });
    expect(res.text).to.contain(`${market.uscc}-NO-SUCH-REQUEST`);
    expect(await provider.textContent('#out .err-code')).to.equal(res.code);
  });

  it('When every journey above has run, Then no page had a script error or a Content-Security-Policy refusal', () => {
    expect(scriptErrors).to.deep.equal([]);
  });
});
