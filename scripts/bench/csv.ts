/**
 * bench:csv — does one CSV import hold the event loop? While a large CSV is posted to
 * POST /api/v1/batches/import, /healthz is polled every ~20 ms; the bench prints the largest
 * /healthz latency during the import next to the idle /healthz latency measured in the same run
 * (as a ratio), the event loop's largest delay (perf_hooks), and the growth of the process's
 * resident memory. Target (issue 11): /healthz answers within 50 ms throughout, memory grows
 * less than 200 MB, and the import is refused or imported as expected.
 *
 * Scenarios: a 10 MB CSV of ~100,000 valid rows (refused: over the 10,000-row limit, 413); a
 * 10 MB CSV of 10,000 rows with ~1 KB cells (refused row by row, 422); 10,000 valid rows with
 * certificates (imported, 201).
 *
 * Runs the real system (anvil, contracts, SQLite, the anchoring worker) and the HTTP server in
 * this process, as `npm start` does. Usage: npm run bench:csv [-- --json]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApp, createHttpServer } from '../../server/http/app';
import { createContext } from '../../server/http/context';
import { usccCheckCharacter } from '../../server/records';
import { bootTestSystem } from '../../test/support/system';

const ADMIN_TOKEN = 'bench-csv-admin-token-0123456789abcdefghijkl';
const POLL_MS = 20;
const MAX_HEALTHZ_MS = 50;
const MAX_RSS_GROWTH_MB = 200;
const TEN_MB = 10 * 1024 * 1024;
const PRODUCER_USCC = '91610924MA6YA8XK3' + usccCheckCharacter('91610924MA6YA8XK3');

const HEADER = 'id,lot,product_category,origin_county_code,origin_name,production_kind,production_date,quantity,quantity_unit,product_name,certificate_basis,contact_phone';

/** A CSV of data rows `row(i)` for i = 1… until `rows` rows or `bytes` bytes. */
function csvOf(row: (i: number) => string, opts: { rows?: number; bytes?: number }): Buffer {
  const lines = [HEADER];
  let size = HEADER.length + 1;
  for (let i = 1; (opts.rows === undefined || i <= opts.rows) && (opts.bytes === undefined || size < opts.bytes); i++) {
    const line = row(i);
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  return Buffer.from(lines.join('\n') + '\n');
}

const validRow = (tag: string) => (i: number) => `${tag}-${i},${tag}-${i},tea,610924,陕西省安康市紫阳县城关镇,harvest,2026-04-01,${100 + (i % 50)},kg,紫阳毛尖,self-test,0915-4321001`;
const paddedRow = (tag: string) => (i: number) => `${tag}-${i},${tag}-${i},tea,610924,${'紫'.repeat(330)},harvest,2026-04-01,100,kg,紫阳毛尖,self-test,0915-4321001`;

interface Scenario {
  name: string;
  csv: Buffer;
  expect: number;
}

interface Poll {
  ms: number;
  status: number;
}

function get(url: string): Promise<Poll> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode ?? 0 }));
      })
      .on('error', reject);
  });
}

function post(url: string, body: Buffer, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'text/csv', 'content-length': body.length, authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    // A server that refuses early may close the connection before the whole body is written.
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls `url` every POLL_MS (one request at a time) until `done` settles; returns every poll. */
async function pollWhile(url: string, done: Promise<unknown>): Promise<Poll[]> {
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => undefined);
  const polls: Poll[] = [];
  while (!finished) {
    const started = Date.now();
    polls.push(await get(url));
    await new Promise((r) => setTimeout(r, Math.max(0, POLL_MS - (Date.now() - started))));
  }
  return polls;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))] ?? NaN;
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

async function main() {
  const json = process.argv.includes('--json');
  const sys = await bootTestSystem({ env: { ADMIN_TOKEN, RATE_LIMIT_WRITES_PER_MINUTE: '0', LOG_LEVEL: 'silent' } });
  const server = createHttpServer(createApp(createContext(sys)), sys.config);
  const results: Record<string, unknown>[] = [];
  let pass = true;
  try {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const reg = (await (await fetch(`${base}/api/v1/participants`, { method: 'POST', headers: admin, body: JSON.stringify({ kind: 'producer', name: '紫阳县富硒茶业有限公司', uscc: PRODUCER_USCC }) })).json()) as { id?: string; error?: unknown };
    if (!reg.id) throw new Error(`could not register the producer: ${JSON.stringify(reg)}`);
    const tok = (await (await fetch(`${base}/api/v1/tokens`, { method: 'POST', headers: admin, body: JSON.stringify({ producerId: reg.id, label: 'bench' }) })).json()) as { token: string };

    const scenarios: Scenario[] = [
      { name: '10 MB, ~100k valid rows (over the row limit)', csv: csvOf(validRow('A'), { bytes: TEN_MB - 200 }), expect: 413 },
      { name: '10 MB, 10,000 rows of ~1 KB (refused rows)', csv: csvOf(paddedRow('B'), { rows: 10_000, bytes: TEN_MB - 1200 }), expect: 422 },
      { name: '10,000 valid rows (imported)', csv: csvOf(validRow('C'), { rows: 10_000 }), expect: 201 },
    ];

    for (const s of scenarios) {
      // Idle: the same polling, with nothing else going on.
      const idleLoop = monitorEventLoopDelay({ resolution: 5 });
      idleLoop.enable();
      const idle = await pollWhile(`${base}/healthz`, new Promise((r) => setTimeout(r, 1000)));
      idleLoop.disable();
      global.gc?.();
      const rss0 = process.memoryUsage().rss;
      let rssMax = rss0;
      const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 10);
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const t0 = Date.now();
      const upload = post(`${base}/api/v1/batches/import`, s.csv, tok.token);
      const busy = await pollWhile(`${base}/healthz`, upload);
      const answer = await upload;
      const seconds = (Date.now() - t0) / 1000;
      loop.disable();
      clearInterval(sampler);
      rssMax = Math.max(rssMax, process.memoryUsage().rss);

      const idleMax = Math.max(...idle.map((p) => p.ms));
      const busyMax = Math.max(...busy.map((p) => p.ms));
      const code = answer.status >= 400 ? ((JSON.parse(answer.body) as { error?: { code?: string } }).error?.code ?? '?') : 'ok';
      const ok = answer.status === s.expect && busyMax <= MAX_HEALTHZ_MS && mb(rssMax - rss0) < MAX_RSS_GROWTH_MB && busy.every((p) => p.status === 200);
      pass &&= ok;
      const r = {
        scenario: s.name,
        csvMB: Math.round((s.csv.length / 1024 / 1024) * 10) / 10,
        status: answer.status,
        code,
        seconds: Math.round(seconds * 100) / 100,
        healthzPolls: busy.length,
        idleHealthzP50Ms: Math.round(pct(idle.map((p) => p.ms), 0.5) * 10) / 10,
        idleHealthzMaxMs: Math.round(idleMax * 10) / 10,
        importHealthzP50Ms: Math.round(pct(busy.map((p) => p.ms), 0.5) * 10) / 10,
        importHealthzMaxMs: Math.round(busyMax * 10) / 10,
        ratioMaxToIdleMax: Math.round((busyMax / idleMax) * 10) / 10,
        eventLoopMaxDelayMs: Math.round(loop.max / 1e5) / 10,
        idleEventLoopMaxDelayMs: Math.round(idleLoop.max / 1e5) / 10,
        rssGrowthMB: mb(rssMax - rss0),
        verdict: ok ? 'PASS' : 'FAIL',
      };
      results.push(r);
      if (!json) {
        process.stdout.write(
          `${r.scenario}: ${r.status} ${r.code} in ${r.seconds} s; /healthz during import max ${r.importHealthzMaxMs} ms (p50 ${r.importHealthzP50Ms}, ${r.healthzPolls} polls) vs idle max ${r.idleHealthzMaxMs} ms (p50 ${r.idleHealthzP50Ms}): ratio ${r.ratioMaxToIdleMax}; event loop max delay ${r.eventLoopMaxDelayMs} ms (idle ${r.idleEventLoopMaxDelayMs} ms); rss +${r.rssGrowthMB} MB → ${r.verdict}\n`,
        );
      }
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await sys.stop();
  }
  if (json) process.stdout.write(JSON.stringify({ targets: { healthzMaxMs: MAX_HEALTHZ_MS, rssGrowthMB: MAX_RSS_GROWTH_MB }, results, verdict: pass ? 'PASS' : 'FAIL' }, null, 2) + '\n');
  else process.stdout.write(`bench:csv ${pass ? 'PASS' : 'FAIL'} (targets: /healthz ≤ ${MAX_HEALTHZ_MS} ms during every import, rss growth < ${MAX_RSS_GROWTH_MB} MB)\n`);
  process.exit(pass ? 0 : 1);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:csv failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(2);
});
