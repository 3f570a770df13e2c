/*
 * The lab console (/lab) in a real browser (Debian's chromium, headless) over a real system (anvil, SQLite, worker):
 * a lab imports its encrypted keystore file, unlocks it, finds the form prefilled from its registration, hashes the
 * report PDF in the page, signs and submits the report, and sees it anchored — the key, the password and the PDF never
 * leave the page. A first-time user's mistakes (not a keystore, a wrong password, an unregistered key) get plain
 * messages; a lab key signing a report in another lab's name is refused by the server, and the page shows the code.
 * The lab then revokes its report with a reason (signed in the page, relayed by the server) and the consumer page shows
 * it revoked.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { Wallet, encryptKeystoreJsonSync } from 'ethers';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { reportInput } from '../records/fixtures';
import { FIXTURE_BATCH_ID, storeReportBatch } from '../../support/records';
import { registerLab } from '../../support/system';
import { registerDepartment } from '../../support/trails';
import { bootTestApp, type TestApp } from '../http/helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const PASSWORD = 'correct horse battery staple 硒';
const LAB_CMA = '202727050123';
const OTHER_LAB_CMA = '202727050777';

/** A keystore with a light scrypt (N = 2^10) for the side cases; the lab's own keystore keeps ethers' default (N = 2^17). */
const lightKeystore = (w: { address: string; privateKey: string }): string => encryptKeystoreJsonSync({ address: w.address, privateKey: w.privateKey }, PASSWORD, { scrypt: { N: 1 << 10 } });

/** A minimal PDF: its bytes only matter for the hash. */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

describe('server/web lab console in headless chromium (real anvil node)', function () {
  this.timeout(300_000);
  let t: TestApp;
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let lab: Wallet;
  let keystore: string;
  /** Every request body the pages sent, to check what left them. */
  const sent: string[] = [];
  /** Uncaught script errors and CSP refusals in any page: there must be none. */
  const scriptErrors: string[] = [];

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ci-setup.sh (apt-get install -y chromium)`);
    t = await bootTestApp();
    lab = Wallet.createRandom() as unknown as Wallet;
    await registerLab(t.sys, LAB_CMA, lab);
    await registerLab(t.sys, OTHER_LAB_CMA, Wallet.createRandom() as unknown as Wallet, undefined, { name: '陕西省富硒食品检测研究院' });
    await storeReportBatch(t.sys, { labs: [LAB_CMA] });
    keystore = await lab.encrypt(PASSWORD);
    server = await new Promise<http.Server>((resolve) => {
      const s = t.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await t?.sys.stop();
  });

  async function openConsole(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('request', (r) => {
      const body = r.postData();
      if (body) sent.push(body);
    });
    page.on('pageerror', (e) => scriptErrors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) scriptErrors.push(m.text());
    });
    await page.goto(`${base}/lab`);
    await page.waitForSelector('body[data-ready="1"]');
    return page;
  }

  async function importKey(page: Page, json: string, password: string): Promise<void> {
    await page.setInputFiles('#keystore', { name: 'lab-key.json', mimeType: 'application/json', buffer: Buffer.from(json) });
    await page.waitForFunction(() => document.getElementById('key-address')!.textContent !== '');
    await page.fill('#password', password);
    await page.click('#unlock');
  }

  /** The status box once it shows an outcome (ok or error, not a note on the way): its kind, code and text. */
  async function outcome(page: Page, timeout = 60_000): Promise<{ kind: string; code: string; text: string }> {
    await page.waitForFunction(() => {
      const o = document.getElementById('out')!;
      return o.dataset.kind === 'error' || o.dataset.kind === 'ok';
    }, undefined, { timeout });
    return page.$eval('#out', (o) => ({ kind: (o as HTMLElement).dataset.kind ?? '', code: (o as HTMLElement).dataset.code ?? '', text: o.textContent ?? '' }));
  }

  async function fillReport(page: Page): Promise<void> {
    const r = reportInput();
    const fill: Record<string, string> = {
      '#lab-address': r.lab.address,
      '#lab-cnas': r.lab.cnasNumber!,
      '#report-number': `AKSE-WEB-${Date.now()}`,
      '#batch-id': FIXTURE_BATCH_ID,
      '#client-name': r.client.name,
      '#client-phone': r.client.phone!,
      '#sample-id': r.sample.id,
      '#sample-name': r.sample.name,
      '#sample-state': r.sample.state,
      '#sampling-by': r.sampling.by,
      '#sampling-method': r.sampling.method,
      '#sampling-date': r.sampling.date,
      '#sampling-place': r.sampling.place,
      '#received-date': r.receivedDate,
      '#test-from': r.testDates.from,
      '#test-to': r.testDates.to,
      '#issue-date': r.issueDate,
      '#result': '0.35',
      '#lod': '0.002',
      '#loq': '0.006',
      '#uncertainty': '0.03',
      '#conclusion': r.conclusion,
      '#tester': r.signatories.tester,
      '#reviewer': r.signatories.reviewer,
      '#approver': r.signatories.approver,
    };
    for (const [sel, v] of Object.entries(fill)) await page.fill(sel, v);
    await page.selectOption('#category', 'tea');
    await page.selectOption('#spec-standard', 'GH/T 1135-2017');
    await page.setInputFiles('#pdf', { name: 'report.pdf', mimeType: 'application/pdf', buffer: PDF });
    await page.waitForFunction(() => /0x[0-9a-f]{64}/.test(document.getElementById('pdf-hash')!.textContent ?? ''));
  }

  it('When the console opens without a language asked for, Then it is in Chinese, with English one click away', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(`${base}/lab`);
    expect(await page.getAttribute('html', 'lang')).to.equal('zh-CN');
    expect(await page.textContent('#report-card h2')).to.equal('检测报告');
    await page.click('header a[hreflang="en"]');
    expect(await page.textContent('#report-card h2')).to.equal('Test report');
    await context.close();
  });

  it('When a first-time user picks a file that is not a keystore, or types a wrong password, Then the page says which, in plain words', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await openConsole(context);
    await page.setInputFiles('#keystore', { name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello":"world"}') });
    const notKeystore = await outcome(page);
    expect(notKeystore).to.include({ kind: 'error', code: 'not-a-keystore' });
    expect(notKeystore.text).to.contain('不是加密密钥文件');

    await importKey(page, keystore, 'not the password');
    const wrong = await outcome(page);
    expect(wrong).to.include({ kind: 'error', code: 'wrong-password' });
    expect(wrong.text).to.contain('密码不正确');
    expect(await page.isDisabled('#sign-submit')).to.equal(true);
    await context.close();
  });

  it('When the key is not registered for any lab, Then the page names its address and says to have it registered', async () => {
    const stranger = Wallet.createRandom();
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await openConsole(context);
    await importKey(page, lightKeystore(stranger), PASSWORD);
    const res = await outcome(page);
    expect(res).to.include({ kind: 'error', code: 'unknown-signer' });
    expect(res.text).to.contain(stranger.address).and.contain('未在链上登记');
    expect(await page.isDisabled('#sign-submit')).to.equal(true);
    await context.close();
  });

  it("When a department's key is opened in the lab console, Then the page says the key is registered for a department, not a lab", async () => {
    const department = await registerDepartment(t.sys, 5, '安康市农业农村局');
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await openConsole(context);
    await importKey(page, lightKeystore(department.key), PASSWORD);
    const res = await outcome(page);
    expect(res).to.include({ kind: 'error', code: 'wrong-kind' });
    expect(res.text).to.contain('政务部门').and.contain('检测机构');
    expect(await page.isDisabled('#sign-submit')).to.equal(true);
    await context.close();
  });

  describe('a lab signs and submits a report', () => {
    let context: BrowserContext;
    let page: Page;
    before(async () => {
      context = await browser.newContext({ locale: 'zh-CN' });
      page = await openConsole(context);
    });
    after(async () => context?.close());

    it('When the lab imports its keystore and unlocks it, Then the form holds its registered name, CMA number and validity', async () => {
      const started = Date.now();
      await importKey(page, keystore, PASSWORD);
      expect(await outcome(page)).to.include({ kind: 'ok' });
      console.log(`      lab console: keystore import and unlock (scrypt N = 2^17 in the page) to the prefilled form ${Date.now() - started} ms`);
      const p = (await t.sys.store.keysOf(lab.address))[0]!;
      const registered = (await t.sys.store.getParticipant(p.participantId))!;
      expect(await page.inputValue('#lab-name')).to.equal(registered.name);
      expect(await page.inputValue('#lab-cma')).to.equal(LAB_CMA);
      expect(await page.inputValue('#lab-cma-until')).to.equal(new Date(registered.validTo! * 1000).toISOString().slice(0, 10));
      // Kept in the browser as the encrypted file only.
      const stored = await page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            const req = indexedDB.open('traceledger-console', 1);
            req.onsuccess = () => {
              const get = req.result.transaction('keystores').objectStore('keystores').get('lab');
              get.onsuccess = () => resolve(get.result as string);
            };
          }),
      );
      const file = JSON.parse(stored) as { Crypto?: { ciphertext?: string }; crypto?: { ciphertext?: string } };
      expect((file.Crypto ?? file.crypto)?.ciphertext).to.match(/^[0-9a-f]{64}$/);
      expect(stored).not.to.contain(lab.privateKey.slice(2));
    });

    it('When it fills the form, hashes the PDF and signs, Then the report is accepted, anchored, listed as anchored, and neither key, password nor PDF left the page', async () => {
      await fillReport(page);
      const pdfHash = `0x${createHash('sha256').update(PDF).digest('hex')}`;
      expect(await page.textContent('#pdf-hash')).to.contain(pdfHash);
      const started = Date.now();
      await page.click('#sign-submit');
      const res = await outcome(page, 120_000);
      const ms = Date.now() - started;
      expect(res, res.text).to.include({ kind: 'ok', code: 'anchored' });
      const pageMs = Number(await page.getAttribute('#out', 'data-ms'));
      console.log(`      lab console: form submit to anchored ${ms} ms (the page's own count ${pageMs} ms)`);

      const id = /报告 (\S+) 已上链/.exec(res.text)?.[1];
      expect(id).to.be.a('string');
      const view = await request(t.app).get(`/api/v1/reports/${id}`);
      expect(view.status).to.equal(200);
      expect(view.body).to.include({ status: 'anchored', signer: lab.address.toLowerCase() });
      expect(view.body.fields).to.include({ reportPdfSha256: pdfHash, batchId: FIXTURE_BATCH_ID });
      await page.waitForSelector(`#reports tr[data-id="${id}"][data-status="anchored"]`);

      const bodies = sent.join('\n');
      expect(bodies).not.to.contain(lab.privateKey.slice(2));
      expect(bodies).not.to.contain(PASSWORD);
      expect(bodies).not.to.contain(PDF.toString('base64'));
      expect(bodies).not.to.contain('%PDF');
    });

    it("When the lab's key signs a report naming another lab's CMA number, Then the server refuses it and the page shows lab-identity-mismatch", async () => {
      const before = (await t.sys.store.listRecords({ type: 'SeleniumTestReport' })).length;
      await page.fill('#lab-cma', OTHER_LAB_CMA);
      await page.fill('#report-number', `AKSE-WEB-FORGED-${Date.now()}`);
      await page.click('#sign-submit');
      const res = await outcome(page);
      expect(res).to.include({ kind: 'error', code: 'lab-identity-mismatch' });
      expect(await page.getAttribute('#out', 'role')).to.equal('alert');
      expect(await page.textContent('#out .err-code')).to.equal('lab-identity-mismatch');
      expect((await t.sys.store.listRecords({ type: 'SeleniumTestReport' })).length).to.equal(before);
    });

    it('When the lab revokes its own report with a reason, Then its key signs in the page, the server relays it on chain for the lab, the list shows it revoked, and so does the consumer page', async () => {
      const row = page.locator('#reports tr[data-status="anchored"]').first();
      const id = (await row.getAttribute('data-id'))!;
      const report = await request(t.app).get(`/api/v1/reports/${id}`);
      const leafHash = report.body.leafHash as string;
      await row.locator('button').click();
      await page.selectOption('#revoke-reason', 'issued-in-error');
      expect(await page.textContent('#revoke-how')).to.contain(leafHash).and.contain(t.sys.deployment.revocationRegistry);

      await page.click('#revoke-submit');
      const res = await outcome(page);

      expect(res, res.text).to.include({ kind: 'ok', code: 'revoked' });
      expect(res.text).to.contain(id).and.contain('误签发');
      await page.waitForSelector(`#reports tr[data-id="${id}"] .badge.v-revoked`);
      expect(await page.isDisabled(`#reports tr[data-id="${id}"] button`)).to.equal(true);
      const labId = (await t.sys.store.keysOf(lab.address))[0]!.participantId;
      const [revoked, reasonCode, , revokedBy] = await t.sys.registries.revocations.revocationBy(leafHash, labId);
      expect([revoked, Number(reasonCode), revokedBy]).to.deep.equal([true, 0, lab.address]);
      const revocation = await request(t.app).get(`/api/v1/revocations/${id}`);
      expect(revocation.body).to.include({ by: 'issuer', reason: 'issued-in-error', participantId: labId });
      expect(sent.join('\n')).not.to.contain(lab.privateKey.slice(2));

      const consumer = await context.newPage();
      await consumer.goto(`${base}/b/${FIXTURE_BATCH_ID}`);
      expect(await consumer.textContent('.alert.a-revoked')).to.contain('已撤销').and.contain('误签发');
      await consumer.close();
    });
  });

  // Last (mocha runs a describe's own tests before its nested describes).
  describe('afterwards', () => {
    it('When every journey above has run, Then no page had a script error or a Content-Security-Policy refusal', () => {
      expect(scriptErrors).to.deep.equal([]);
    });
  });
});
