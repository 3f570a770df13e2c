/**
 * bench:http — requests per second and p99 latency of the consumer JSON verification route
 * (GET /01/{gtin}/10/{lot}, Accept: application/json) under 50 connections, against an Express
 * route returning a constant JSON, both served by the same process and measured in the same run
 * with autocannon (run as its own process, so the load generator does not share our event loop).
 * Target: at least 50 % of the constant route's throughput, and p99 under 50 ms.
 *
 * Usage: npm run bench:http [-- --duration 10 --connections 50 --json]
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createApp } from '../../server/http/app';
import { anchorAll, bootConsumerSystem, GTIN14, submitBatch, submitReport } from '../../test/support/batches';

interface Args {
  duration: number;
  connections: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, def: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : def;
  };
  return { duration: get('duration', 10), connections: get('connections', 50), json: argv.includes('--json') };
}

interface Cannon {
  requests: { average: number };
  latency: { p99: number; p50: number; average: number };
  non2xx: number;
  errors: number;
  throughput: { average: number };
}

function autocannon(url: string, args: Args, headers: Record<string, string>): Promise<Cannon> {
  const cli = require.resolve('autocannon/autocannon.js');
  const flags = ['-c', String(args.connections), '-d', String(args.duration), '-j', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]), url];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Cannon) : reject(new Error(`autocannon exited with ${code}`))));
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const f = await bootConsumerSystem({ env: { LOG_LEVEL: 'silent', RATE_LIMIT_WRITES_PER_MINUTE: '0' } });
  let server: http.Server | undefined;
  try {
    // A realistic page: one batch with two lab reports, anchored on the real chain.
    const batch = await submitBatch(f);
    await submitReport(f, batch.id);
    await submitReport(f, batch.id, { result: 0.52 });
    await anchorAll(f.sys);

    const app = createApp(f.ctx);
    // The baseline: a constant JSON from a plain Express route in the same process.
    const baseline = express();
    baseline.get('/constant', (_req, res) => {
      res.json({ verdict: 'valid', steps: [{ step: 'constant', status: 'passed', message: 'A constant answer.' }] });
    });
    baseline.use(app);
    server = http.createServer(baseline);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const route = `${base}/01/${GTIN14}/10/${encodeURIComponent(batch.lot)}`;

    const probe = await fetch(route, { headers: { accept: 'application/json' } });
    const body = await probe.text();
    const verdict = (JSON.parse(body) as { verdict: string }).verdict;
    if (verdict !== 'valid') throw new Error(`the consumer route answered ${verdict}, not valid`);

    process.stderr.write(`warming up…\n`);
    await autocannon(route, { ...args, duration: 2 }, { accept: 'application/json' });
    process.stderr.write(`constant route, ${args.connections} connections, ${args.duration} s…\n`);
    const constant = await autocannon(`${base}/constant`, args, {});
    process.stderr.write(`consumer verification route, ${args.connections} connections, ${args.duration} s…\n`);
    const consumer = await autocannon(route, args, { accept: 'application/json' });

    const ratio = consumer.requests.average / constant.requests.average;
    const result = {
      connections: args.connections,
      durationSeconds: args.duration,
      consumerResponseBytes: Buffer.byteLength(body),
      constant: { rps: Math.round(constant.requests.average), p50: constant.latency.p50, p99: constant.latency.p99, non2xx: constant.non2xx, errors: constant.errors },
      consumer: { rps: Math.round(consumer.requests.average), p50: consumer.latency.p50, p99: consumer.latency.p99, non2xx: consumer.non2xx, errors: consumer.errors },
      ratio: Number(ratio.toFixed(3)),
      verdict: ratio >= 0.5 && consumer.latency.p99 < 50 && consumer.non2xx === 0 ? 'PASS' : 'FAIL',
    };
    if (args.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log('bench:http');
      console.log(`  load                         ${args.connections} connections, ${args.duration} s each, autocannon in its own process`);
      console.log(`  constant JSON route          ${result.constant.rps} req/s, p50 ${result.constant.p50} ms, p99 ${result.constant.p99} ms`);
      console.log(`  consumer verification JSON   ${result.consumer.rps} req/s, p50 ${result.consumer.p50} ms, p99 ${result.consumer.p99} ms (${result.consumerResponseBytes} B per answer, ${result.consumer.non2xx} non-2xx)`);
      console.log(`  ratio consumer / constant    ${result.ratio}  (target >= 0.5; p99 target < 50 ms)`);
      console.log(`  ${result.verdict}`);
    }
  } finally {
    server?.close();
    await f.sys.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
