/*
 * End to end, as a new user would: start the system as `npm start` does (on a temp DATA_DIR), run
 * `npm run demo` against it, verify a downloaded proof bundle with the `traceledger` CLI (exit 0),
 * change one disclosed value (exit 1, the failed step named), and open the consumer pages in
 * real Chromium: the browser's own verdict is "valid" on a good batch and "revoked" on the batch
 * whose report was revoked. The demo's data-sharing trails verify as valid and one raises an
 * alert; a second demo run changes nothing. Screenshots are saved under .test-tmp/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type BrowserContext } from 'playwright-core';
import { freePort } from '../../server/chain/anvil';
import { namespacedId } from '../../server/records';
import { DEMO_SHARES, DEPARTMENTS } from '../../scripts/demo-trails';
import { tempDir } from '../support/system';

const ROOT = path.resolve(__dirname, '../..');
const TS_NODE = [require.resolve('ts-node/dist/bin.js'), '--transpile-only'];
const CHROMIUM = '/usr/bin/chromium';
/** Record ids are namespaced by their signer: the alert share's request is 卫生健康委员会's, the report the demo lab's (CMA 202727050123). */
const ALERT_REQUEST_ID = namespacedId(DEPARTMENTS[2].uscc, DEMO_SHARES.alert.request);
const TEA_REPORT_ID = namespacedId('202727050123', 'RPT-DEMO-ZY-TEA-001');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function waitHealthy(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`npm start exited with ${server.exitCode}:\n${log()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not become healthy:\n${log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('scripts/demo end to end: npm start, npm run demo, CLI verify, consumer page in Chromium', function () {
  this.timeout(600_000);
  const dataDir = tempDir('traceledger-e2e-');
  let port: number;
  let chainPort: number;
  let base: string;
  let server: ChildProcess;
  let serverLog = '';
  let demo: Run;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    port = await freePort();
    chainPort = await freePort();
    base = `http://localhost:${port}`;
    // No PUBLIC_RPC_URL, as in the quick start: the browser reads the chain through the server's read-only relay.
    env = { DATA_DIR: dataDir, PORT: String(port), CHAIN_PORT: String(chainPort), LOG_LEVEL: 'warn', ANCHOR_EVERY_SECONDS: '1' };
    server = spawn(process.execPath, [...TS_NODE, 'server/main.ts'], { cwd: ROOT, env: { ...process.env, ...env } });
    server.stdout?.on('data', (d: Buffer) => (serverLog += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (serverLog += d.toString()));
    await waitHealthy(base, server, () => serverLog);
    demo = await run([...TS_NODE, 'scripts/demo.ts'], env);
  });

  after(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGINT');
      await new Promise((r) => server.once('exit', r));
    }
  });

  it('When npm start runs on a fresh data folder, Then it prints its URLs and keeps its state under DATA_DIR', () => {
    expect(serverLog).to.contain(`http://localhost:${port}/api/v1`);
    expect(fs.existsSync(path.join(dataDir, 'deployment.json'))).to.equal(true);
    expect(fs.existsSync(path.join(dataDir, 'traceledger.sqlite'))).to.equal(true);
  });

  it('When the demo runs against it, Then it succeeds and prints the consumer URLs of eight batches', () => {
    expect(demo.code, demo.stderr + demo.stdout).to.equal(0);
    const urls = demo.stdout.match(/http:\/\/localhost:\d+\/01\/\d{14}\/10\/\S+/g) ?? [];
    expect(urls).to.have.length(8);
  });

  it('When the demo departments\' trails are verified, Then each is valid', async () => {
    const departments = (await (await fetch(`${base}/api/v1/departments`)).json()) as { items: { departmentId: string; name: string; records: number }[] };
    expect(departments.items.map((d) => d.name).sort()).to.deep.equal(['安康市农业农村局', '安康市卫生健康委员会', '安康市市场监督管理局']);
    for (const d of departments.items) {
      expect(d.records, d.name).to.be.greaterThan(0);
      const res = await fetch(`${base}/api/v1/departments/${d.departmentId}/trail/verify`);
      expect(res.status).to.equal(200);
      const v = (await res.json()) as { verdict: string; steps: { step: string; status: string }[] };
      expect(v.verdict, `${d.name}: ${JSON.stringify(v.steps)}`).to.equal('valid');
    }
  });

  it('When the auditor lists the alerts, Then the demo share without a legal basis raises one', async () => {
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const res = await fetch(`${base}/api/v1/alerts`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).to.equal(200);
    const alerts = (await res.json()) as { items: { kind: string; recordIds: string[] }[] };
    expect(alerts.items.length).to.be.greaterThan(0);
    expect(alerts.items.find((a) => a.kind === 'conditional-without-legal-basis')?.recordIds).to.include(ALERT_REQUEST_ID);
    expect(demo.stdout).to.contain(`${base}/audit`).and.to.contain('raises an alert');
  });

  it('When the demo runs a second time, Then it succeeds and submits no share step again', async () => {
    const before = (await (await fetch(`${base}/api/v1/departments`)).json()) as { items: { lastSeq: number }[] };
    const again = await run([...TS_NODE, 'scripts/demo.ts'], env);
    expect(again.code, again.stderr + again.stdout).to.equal(0);
    expect(again.stdout).to.contain('8 of 8 share steps were on record already');
    const after = (await (await fetch(`${base}/api/v1/departments`)).json()) as { items: { lastSeq: number }[] };
    expect(after.items.map((d) => d.lastSeq)).to.deep.equal(before.items.map((d) => d.lastSeq));
  });

  it('When a report bundle is verified with the CLI against the chain, Then it exits 0; with one disclosed value changed, exit 1 naming checkFieldDisclosures', async () => {
    const bundle = (await (await fetch(`${base}/api/v1/records/${TEA_REPORT_ID}/bundle`)).json()) as { record: { disclosures: { name: string; value: unknown }[] } };
    const good = path.join(dataDir, 'bundle.json');
    fs.writeFileSync(good, JSON.stringify(bundle));
    const ok = await run([path.join(ROOT, 'scripts/traceledger.js'), 'verify', good, '--rpc', `http://127.0.0.1:${chainPort}`], {});
    expect(ok.code, ok.stdout + ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/VALID/);

    bundle.record.disclosures.find((d) => d.name === 'result')!.value = 0.99;
    const bad = path.join(dataDir, 'tampered.json');
    fs.writeFileSync(bad, JSON.stringify(bundle));
    const ko = await run([path.join(ROOT, 'scripts/traceledger.js'), 'verify', bad, '--rpc', `http://127.0.0.1:${chainPort}`], {});
    expect(ko.code, ko.stdout + ko.stderr).to.equal(1);
    expect(ko.stdout + ko.stderr).to.contain('checkFieldDisclosures');
  });

  it('When the consumer pages are opened in Chromium, Then the browser itself, reading the chain through the relay, finds the good batch valid and the recalled one revoked', async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ci-setup.sh`);
    fs.mkdirSync(path.join(ROOT, '.test-tmp'), { recursive: true });
    const shots = fs.mkdtempSync(path.join(ROOT, '.test-tmp', 'e2e-'));
    const browser: BrowserContext = await chromium.launchPersistentContext(tempDir('traceledger-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 360, height: 740 },
      locale: 'zh-CN',
    });
    try {
      const cases = [
        { url: `${base}/01/06972345010010/10/ZY26-MJ0328`, want: 'valid', shot: 'valid.png' },
        { url: `${base}/01/06972345020026/10/HY25-FY1015`, want: 'revoked', shot: 'revoked.png' },
      ];
      for (const c of cases) {
        const page = await browser.newPage();
        let relayed = 0;
        page.on('requestfinished', (r) => {
          if (r.url().endsWith('/api/v1/chain/rpc') && r.method() === 'POST') relayed++;
        });
        await page.goto(c.url);
        const el = page.locator('#browser-verdict');
        await page.waitForFunction(() => {
          const v = document.querySelector('#browser-verdict')?.getAttribute('data-verdict');
          return v !== null && v !== undefined && v !== '' && v !== 'checking';
        }, undefined, { timeout: 30_000 });
        expect(await el.getAttribute('data-verdict'), c.url).to.equal(c.want);
        expect(relayed, 'the page read the chain through the relay').to.be.greaterThan(0);
        await page.screenshot({ path: path.join(shots, c.shot), fullPage: false });
        await page.close();
      }
      process.stdout.write(`      screenshots: ${shots}\n`);
    } finally {
      await browser.close();
    }
  });

  it('When the server gets Ctrl-C, Then it stops cleanly and a second start finds the same contracts', async () => {
    const deployment = fs.readFileSync(path.join(dataDir, 'deployment.json'), 'utf8');
    server.kill('SIGINT');
    const code = await new Promise<number | null>((r) => server.once('exit', r));
    expect(code).to.equal(0);

    serverLog = '';
    server = spawn(process.execPath, [...TS_NODE, 'server/main.ts'], { cwd: ROOT, env: { ...process.env, ...env } });
    server.stdout?.on('data', (d: Buffer) => (serverLog += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (serverLog += d.toString()));
    await waitHealthy(base, server, () => serverLog);
    expect(fs.readFileSync(path.join(dataDir, 'deployment.json'), 'utf8')).to.equal(deployment);
    const res = await fetch(`${base}/01/06972345010010/10/ZY26-MJ0328`, { headers: { accept: 'application/json' } });
    expect(((await res.json()) as { verdict: string }).verdict).to.equal('valid');
  });
});
