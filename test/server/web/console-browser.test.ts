/*
 * The producer console in a real browser (Debian's chromium, headless): the API token is kept for the tab only
 * (sessionStorage), never in localStorage, and a token an earlier version left in localStorage is removed.
 */
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { chromium, type BrowserContext } from 'playwright-core';
import { FIXTURE_PRODUCT_KEYS, tempDir } from '../../support/system';
import { USCC } from '../records/fixtures';
import { bootTestApp, producerWithToken, type TestApp } from '../http/helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe('server/web producer console in headless chromium (real anvil node)', function () {
  this.timeout(240_000);
  let t: TestApp;
  let server: http.Server;
  let base: string;
  let browser: BrowserContext;
  let token: string;

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ci-setup.sh (apt-get install -y chromium)`);
    t = await bootTestApp();
    token = (await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS)).token;
    server = await new Promise<http.Server>((resolve) => {
      const s = t.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launchPersistentContext(tempDir('traceledger-chromium-'), { executablePath: CHROMIUM, headless: true, args: ARGS });
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await t?.sys.stop();
  });

  it('When a producer saves its token, Then it is in sessionStorage only, and a token an earlier version kept in localStorage is gone', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/console`);
    // What an earlier version of the console left behind.
    await page.evaluate(() => window.localStorage.setItem('tl-token', 'left-by-an-earlier-version'));
    await page.reload();
    expect(await page.evaluate(() => window.localStorage.getItem('tl-token'))).to.equal(null);

    await page.fill('#token', token);
    await page.fill('#uscc', USCC.producer);
    await page.click('#save');
    expect(await page.evaluate(() => window.sessionStorage.getItem('tl-token'))).to.equal(token);
    expect(await page.evaluate(() => window.localStorage.getItem('tl-token'))).to.equal(null);
    expect(await page.evaluate(() => window.localStorage.getItem('tl-uscc'))).to.equal(USCC.producer);
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
});
