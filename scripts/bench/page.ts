/**
 * bench:page — the consumer scan page as a phone gets it. Starts the real server (`npm start`'s
 * server/main.ts: embedded anvil, contracts, SQLite, worker) on a temporary DATA_DIR and free ports,
 * fills it with `scripts/demo.ts`, and opens one consumer URL the demo printed in headless Chromium
 * (phone viewport, `Accept-Encoding: gzip`, CPU throttled 4× through CDP), a fresh context (empty
 * cache) per load. It reports:
 *   (a) bytes of the first load: per response, the bytes on the wire (CDP Network.loadingFinished
 *       encodedDataLength, headers included), the encoded body (Content-Length) and the decoded body;
 *   (b) time from navigation start until `#browser-verdict` has a `data-verdict` other than `none`
 *       and `checking` (stamped in the page by a MutationObserver, performance.now() = ms since
 *       navigation start), median of N loads, against the same loads' DOMContentLoaded
 *       (domContentLoadedEventStart) as the in-run baseline, with their ratio;
 *   (c) one load from an insecure origin (http://traceledger.test:PORT, mapped to 127.0.0.1 by
 *       Chromium's --host-resolver-rules), where `crypto.subtle` is unavailable: does a verdict
 *       still appear, and which.
 * Times are printed, never asserted. Usage: npm run bench:page [-- --runs 5 --rate 4 --url-index 0 --json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession } from 'playwright-core';
import { freePort } from '../../server/chain/anvil';
import { tempDir } from '../../test/support/system';

const ROOT = path.resolve(__dirname, '../..');
const TS_NODE = [require.resolve('ts-node/dist/bin.js'), '--transpile-only'];
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu'];
const INSECURE_HOST = 'traceledger.test';
/** A phone: the same shape the browser tests use. */
const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' } as const;
const VERDICT_TIMEOUT_MS = 120_000;

interface Args {
  runs: number;
  rate: number;
  urlIndex: number;
  json: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const num = (name: string, dflt: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  return { runs: num('--runs', 5), rate: num('--rate', 4), urlIndex: num('--url-index', 0), json: argv.includes('--json') };
}

const log = (s: string) => process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------------------
// The server and the demo, as a user runs them.

interface Server {
  base: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

async function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  const port = Number(env.PORT);
  const child = spawn(process.execPath, [...TS_NODE, 'server/main.ts'], { cwd: ROOT, env: { ...process.env, ...env } });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const server: Server = {
    base: `http://localhost:${port}`,
    port,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    },
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${server.base}/healthz`)).ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not become healthy:\n${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function runDemo(env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TS_NODE, 'scripts/demo.ts'], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`the demo exited with ${code}:\n${stdout}\n${stderr}`))));
  });
}

// ---------------------------------------------------------------------------
// One page load, measured.

interface Resource {
  url: string;
  type: string;
  status: number | null;
  encoding: string;
  /** Bytes on the wire, headers included (Network.loadingFinished encodedDataLength). */
  wire: number;
  /** Encoded body bytes (Content-Length), null when the response had none. */
  body: number | null;
  /** Decoded body bytes (sum of Network.dataReceived dataLength). */
  decoded: number;
  failed?: string;
}

interface Load {
  verdict: string | null;
  /** data-chain of #browser-verdict: whether the page read the chain itself (checked) or not. */
  chain: string | null;
  /** ms from navigation start to the final data-verdict, null when none appeared. */
  verdictMs: number | null;
  /** ms from navigation start to domContentLoadedEventStart. */
  dclMs: number;
  secureContext: boolean;
  subtle: boolean;
  acceptEncoding: string | null;
  resources: Resource[];
  errors: string[];
}

/** Stamps the first final verdict, in page time (ms since navigation start). */
const VERDICT_PROBE = `(() => {
  window.__tlVerdict = null;
  const look = () => {
    const v = document.getElementById('browser-verdict')?.getAttribute('data-verdict');
    if (window.__tlVerdict === null && v && v !== 'none' && v !== 'checking') window.__tlVerdict = { verdict: v, at: performance.now() };
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-verdict'] });
})();`;

/** Records every request of the page through CDP's Network domain. */
function recordNetwork(cdp: CDPSession): Map<string, Resource> {
  const byId = new Map<string, Resource>();
  const get = (id: string) => {
    let r = byId.get(id);
    if (!r) byId.set(id, (r = { url: '', type: '', status: null, encoding: '', wire: 0, body: null, decoded: 0 }));
    return r;
  };
  cdp.on('Network.requestWillBeSent', (e) => {
    const r = get(e.requestId);
    r.url = e.request.url;
    r.type = e.type ?? '';
  });
  cdp.on('Network.responseReceived', (e) => {
    const r = get(e.requestId);
    r.status = e.response.status;
    r.type = e.type ?? r.type;
    const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    r.encoding = headers['content-encoding'] ?? '';
    r.body = headers['content-length'] !== undefined ? Number(headers['content-length']) : null;
  });
  cdp.on('Network.dataReceived', (e) => {
    get(e.requestId).decoded += e.dataLength;
  });
  cdp.on('Network.loadingFinished', (e) => {
    get(e.requestId).wire = e.encodedDataLength;
  });
  cdp.on('Network.loadingFailed', (e) => {
    get(e.requestId).failed = e.errorText;
  });
  return byId;
}

async function measureLoad(browser: Browser, url: string, rate: number): Promise<Load> {
  const context: BrowserContext = await browser.newContext({ ...PHONE, extraHTTPHeaders: { 'Accept-Encoding': 'gzip' } });
  try {
    await context.addInitScript(VERDICT_PROBE);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    let acceptEncoding: string | null = null;
    page.on('request', (req) => {
      if (req.isNavigationRequest()) void req.allHeaders().then((h) => (acceptEncoding = h['accept-encoding'] ?? null));
    });
    const cdp = await context.newCDPSession(page);
    const network = recordNetwork(cdp);
    await cdp.send('Network.enable');
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });

    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page
      .waitForFunction(() => (window as unknown as { __tlVerdict: unknown }).__tlVerdict !== null, undefined, { timeout: VERDICT_TIMEOUT_MS, polling: 50 })
      .catch(() => undefined);
    await page.waitForLoadState('networkidle').catch(() => undefined);
    const probe = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      const v = (window as unknown as { __tlVerdict: { verdict: string; at: number } | null }).__tlVerdict;
      const box = document.getElementById('browser-verdict');
      return {
        verdict: v?.verdict ?? box?.getAttribute('data-verdict') ?? null,
        chain: box?.getAttribute('data-chain') ?? null,
        verdictMs: v?.at ?? null,
        dclMs: nav?.domContentLoadedEventStart ?? NaN,
        secureContext: window.isSecureContext,
        subtle: typeof crypto !== 'undefined' && crypto.subtle !== undefined,
      };
    });
    await cdp.detach();
    const resources = [...network.values()].filter((r) => r.url !== '' && !r.url.startsWith('data:'));
    return { ...probe, acceptEncoding, resources, errors };
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------
// Report.

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const kb = (n: number | null) => (n === null ? '-' : (n / 1024).toFixed(1));
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

function resourceName(r: Resource, base: string): string {
  const u = new URL(r.url);
  const where = r.url.startsWith(base) ? u.pathname : `${u.host}${u.pathname}`;
  return r.type === 'XHR' || r.type === 'Fetch' ? `${where} (JSON-RPC ${r.type})` : where;
}

function bytesTable(resources: readonly Resource[], base: string): string[] {
  const rows: string[] = [];
  rows.push(`${pad('resource', 48)} ${pad('type', 10)} ${lpad('status', 6)} ${pad('enc', 5)} ${lpad('wire KiB', 9)} ${lpad('body KiB', 9)} ${lpad('decoded KiB', 11)}`);
  // Same-origin resources one by one; the many small JSON-RPC calls to the chain node summed in one row.
  const own = resources.filter((r) => r.url.startsWith(base));
  const rpc = resources.filter((r) => !r.url.startsWith(base));
  for (const r of own) {
    rows.push(`${pad(resourceName(r, base), 48)} ${pad(r.type, 10)} ${lpad(String(r.status ?? r.failed ?? '-'), 6)} ${pad(r.encoding || '-', 5)} ${lpad(kb(r.wire), 9)} ${lpad(kb(r.body), 9)} ${lpad(kb(r.decoded), 11)}`);
  }
  if (rpc.length > 0) {
    const sum = (f: (r: Resource) => number | null) => rpc.reduce((a, r) => a + (f(r) ?? 0), 0);
    const hosts = [...new Set(rpc.map((r) => new URL(r.url).host))].join(',');
    const preflights = rpc.filter((r) => r.type === 'Preflight').length;
    rows.push(`${pad(`JSON-RPC ${hosts} (${rpc.length - preflights} + ${preflights} preflight)`, 48)} ${pad('XHR', 10)} ${lpad('-', 6)} ${pad([...new Set(rpc.map((r) => r.encoding || '-'))].join('/'), 5)} ${lpad(kb(sum((r) => r.wire)), 9)} ${lpad(kb(sum((r) => r.body)), 9)} ${lpad(kb(sum((r) => r.decoded)), 11)}`);
  }
  const total = (f: (r: Resource) => number | null) => resources.reduce((a, r) => a + (f(r) ?? 0), 0);
  rows.push(`${pad(`total (${resources.length} responses)`, 48)} ${pad('', 10)} ${lpad('', 6)} ${pad('', 5)} ${lpad(kb(total((r) => r.wire)), 9)} ${lpad(kb(total((r) => r.body)), 9)} ${lpad(kb(total((r) => r.decoded)), 11)}`);
  return rows;
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ci-setup.sh`);
  const dataDir = tempDir('traceledger-bench-page-');
  const port = await freePort();
  const chainPort = await freePort();
  const env = { DATA_DIR: dataDir, PORT: String(port), CHAIN_PORT: String(chainPort), PUBLIC_RPC_URL: `http://127.0.0.1:${chainPort}`, LOG_LEVEL: 'warn', ANCHOR_EVERY_SECONDS: '1' };

  log(`starting the server (DATA_DIR ${dataDir}, port ${port}, chain port ${chainPort})`);
  const server = await startServer(env);
  let browser: Browser | undefined;
  let insecureBrowser: Browser | undefined;
  try {
    log('running the demo');
    const demo = await runDemo(env);
    const urls = demo.match(/http:\/\/localhost:\d+\/01\/\d{14}\/10\/\S+/g) ?? [];
    const url = urls[args.urlIndex];
    if (!url) throw new Error(`the demo printed ${urls.length} consumer URLs; no index ${args.urlIndex}:\n${demo}`);
    const serverVerdict = ((await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { verdict?: string }).verdict;
    log(`measuring ${url} (server verdict ${serverVerdict})`);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    log('warm-up load (not counted)');
    await measureLoad(browser, url, args.rate);
    const loads: Load[] = [];
    for (let i = 0; i < args.runs; i++) {
      const load = await measureLoad(browser, url, args.rate);
      log(`  load ${i + 1}/${args.runs}: verdict ${load.verdict} at ${load.verdictMs?.toFixed(0)} ms, DOMContentLoaded ${load.dclMs.toFixed(0)} ms`);
      loads.push(load);
    }

    insecureBrowser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`] });
    const insecureUrl = url.replace(/^http:\/\/localhost:/, `http://${INSECURE_HOST}:`);
    log(`insecure origin: ${insecureUrl}`);
    const insecure = await measureLoad(insecureBrowser, insecureUrl, args.rate);

    const first = loads[0]!;
    const verdictTimes = loads.map((l) => l.verdictMs).filter((t): t is number => t !== null);
    const verdictMedian = verdictTimes.length === loads.length ? median(verdictTimes) : null;
    const dclMedian = median(loads.map((l) => l.dclMs));
    const result = {
      url,
      serverVerdict,
      cpuThrottlingRate: args.rate,
      runs: args.runs,
      acceptEncoding: first.acceptEncoding,
      firstLoad: {
        resources: first.resources,
        wireBytes: first.resources.reduce((a, r) => a + r.wire, 0),
        bodyBytes: first.resources.reduce((a, r) => a + (r.body ?? 0), 0),
        decodedBytes: first.resources.reduce((a, r) => a + r.decoded, 0),
      },
      verdicts: loads.map((l) => l.verdict),
      verdictMs: loads.map((l) => l.verdictMs),
      dclMs: loads.map((l) => l.dclMs),
      verdictMedianMs: verdictMedian,
      dclMedianMs: dclMedian,
      ratio: verdictMedian === null ? null : verdictMedian / dclMedian,
      secureContext: first.secureContext,
      subtle: first.subtle,
      pageErrors: [...new Set(loads.flatMap((l) => l.errors))],
      insecure: { url: insecureUrl, verdict: insecure.verdict, chain: insecure.chain, verdictMs: insecure.verdictMs, dclMs: insecure.dclMs, secureContext: insecure.secureContext, subtle: insecure.subtle, pageErrors: insecure.errors },
    };

    if (args.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const base = new URL(url).origin;
    const out = [
      `bench:page — ${url}`,
      `  headless Chromium ${browser.version()}, phone 360×740 @2x, CPU throttling ${args.rate}×, fresh context per load, Accept-Encoding sent: ${first.acceptEncoding}`,
      `  secure context ${first.secureContext}, crypto.subtle ${first.subtle ? 'available' : 'unavailable'}; server verdict ${serverVerdict}; browser chain check ${first.chain}`,
      `  machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
      '',
      '(a) first load, empty cache (wire = bytes received incl. headers; body = Content-Length; decoded = uncompressed)',
      ...bytesTable(first.resources, base).map((r) => `  ${r}`),
      '',
      `(b) time to the browser's verdict, median of ${args.runs} (fresh context each; ms since navigation start)`,
      `  ${pad('', 26)} ${lpad('median', 8)}   each`,
      `  ${pad('verdict shown', 26)} ${lpad(verdictMedian === null ? 'n/a' : verdictMedian.toFixed(0), 8)}   ${loads.map((l) => (l.verdictMs === null ? 'none' : l.verdictMs.toFixed(0))).join(' ')}  (${[...new Set(result.verdicts)].join(', ')})`,
      `  ${pad('DOMContentLoaded (baseline)', 26)} ${lpad(dclMedian.toFixed(0), 8)}   ${loads.map((l) => l.dclMs.toFixed(0)).join(' ')}`,
      `  ${pad('ratio verdict / DCL', 26)} ${lpad(result.ratio === null ? 'n/a' : `${result.ratio.toFixed(1)}×`, 8)}`,
      '',
      `(c) insecure origin ${insecureUrl} (one load, CPU ${args.rate}×)`,
      `  secure context ${insecure.secureContext}, crypto.subtle ${insecure.subtle ? 'available' : 'unavailable'}`,
      `  verdict: ${insecure.verdictMs === null ? `none appeared within ${VERDICT_TIMEOUT_MS / 1000} s (data-verdict=${insecure.verdict})` : `${insecure.verdict} (chain ${insecure.chain}) at ${insecure.verdictMs.toFixed(0)} ms (DCL ${insecure.dclMs.toFixed(0)} ms)`}`,
      ...(insecure.errors.length > 0 ? [`  page errors: ${insecure.errors.join(' | ')}`] : []),
      ...(result.pageErrors.length > 0 ? [`page errors (secure runs): ${result.pageErrors.join(' | ')}`] : []),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await browser?.close();
    await insecureBrowser?.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
