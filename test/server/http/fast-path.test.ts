import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { expect } from 'chai';
import type { Wallet } from 'ethers';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../server/http/app';
import { fastDispatched, installFastPath } from '../../../server/http/fast-path';
import { SPLIT_FROM_BYTES } from '../../../server/http/split-json';
import type { Config } from '../../../server/config';
import { randomWallet } from '../records/fixtures';
import { signedReport, storeReportBatch, FIXTURE_LAB_CMA } from '../../support/records';
import { eventually, registerLab } from '../../support/system';
import { registerDepartment, requestStepFields, signedShareStep, type Department } from '../../support/trails';
import { ADMIN_TOKEN, bootTestApp, type TestApp } from './helpers';

/** One HTTP request, written as is. */
interface Req {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body with Transfer-Encoding: chunked instead of a Content-Length. */
  chunked?: boolean;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function send(port: number, r: Req): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
    const headers: Record<string, string> = { ...r.headers };
    if (body !== undefined && !r.chunked && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['Content-Length'] = String(body.length);
    const req = http.request({ host: '127.0.0.1', port, method: r.method ?? 'POST', path: r.path ?? '/api/v1/reports', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (r.chunked && body !== undefined) {
      // Several chunks, none announcing the total.
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(body);
  });
}

/** Headers whose values must be the same on both paths (security, caching, content, rate limit policy). */
const COMPARED_HEADERS = [
  'content-type',
  'cache-control',
  'strict-transport-security',
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
  'x-powered-by',
  'ratelimit-policy',
  'retry-after',
  'allow',
  'connection',
  'location',
];

/** Members of an acceptance that name the record or its signer (different on each side by construction). */
const VOLATILE_KEYS = new Set(['id', 'recordRoot', 'leafHash', 'signer', 'receipt', 'lastRecordId']);

function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, VOLATILE_KEYS.has(k) ? '<volatile>' : mask(v)]));
  return value;
}

/** What must match between the two paths: status, header names (but the date and length), the compared headers' values, the body. */
function normalise(a: Answer, volatile: readonly string[]) {
  // The given strings (ids, signers), and any 32-byte hash (leaf hashes named in a refusal).
  const scrub = (s: string) => volatile.reduce((acc, v) => acc.split(v).join('<v>'), s).replace(/0x[0-9a-fA-F]{64}/g, '<hash>');
  let body: unknown = scrub(a.body);
  try {
    body = mask(JSON.parse(scrub(a.body)));
  } catch {
    // Not JSON (a HEAD answer, an HTML page): compared as text.
  }
  const names = Object.keys(a.headers)
    .filter((h) => !['date', 'content-length', 'keep-alive', 'ratelimit', 'etag'].includes(h))
    .sort();
  const values = Object.fromEntries(COMPARED_HEADERS.map((h) => [h, a.headers[h] === undefined ? undefined : scrub(String(a.headers[h]))]));
  // The standard RateLimit header: its remaining count must match; its reset time may fall in another second.
  const ratelimit = typeof a.headers.ratelimit === 'string' ? a.headers.ratelimit.replace(/t=\d+/, 't=<t>') : undefined;
  return { status: a.status, names, values, ratelimit, body };
}

interface Pair {
  fast: number;
  slow: number;
  fastApp: object;
  stop: () => Promise<void>;
}

/** The same system served twice: with the fast dispatch, and through Express's router alone. */
async function servePair(t: TestApp, changes: Partial<Config> = {}): Promise<Pair> {
  const config = { ...t.sys.config, ...changes };
  const ctx = { ...t.ctx, sys: { ...t.sys, config } };
  const fastApp = createApp(ctx);
  const servers = [http.createServer(fastApp), http.createServer(createApp(ctx, { fastPath: false }))];
  for (const s of servers) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const [fast, slow] = servers.map((s) => (s.address() as AddressInfo).port) as [number, number];
  return {
    fast,
    slow,
    fastApp,
    stop: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}

const json = { 'Content-Type': 'application/json' };
/** `depth` nested arrays around 1. */
const deepArray = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('server/http fast dispatch of the signed-write routes: the same answers as Express alone (real anvil node)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let lab: Wallet;
  let pair: Pair;
  let depA: Department;
  let depB: Department;
  let provider: Department;
  /** Every log line, as written. */
  const logLines: string[] = [];

  /** The request log line written at or after line `from` (waits for it: it is written when the answer is finished). */
  async function requestLine(from: number): Promise<Record<string, unknown>> {
    const line = await eventually(async () => logLines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request'), 5_000, 10);
    const { method, route, path, status } = line;
    return { method, route, path, status };
  }

  /** A fresh signed report as the body the lab's tooling posts; its id (volatile between the two sides). */
  async function report(overrides: Record<string, unknown> = {}, key: Wallet = lab) {
    const sub = await signedReport(t.sys, key);
    const body = { record: sub.record, salts: sub.salts, signature: sub.signature, ...overrides };
    return { body, volatile: [sub.record.id, sub.signature.slice(2), key.address, key.address.toLowerCase()] };
  }

  /**
   * Sends `make(side)` to the fast app (side 0) and the Express-only app (side 1): `make` builds each side's request
   * (fresh signed data where a request must not be a replay of the other side's). Expects the answers to match.
   */
  async function same(make: (side: 0 | 1) => Promise<{ req: Req; volatile?: readonly string[] }> | { req: Req; volatile?: readonly string[] }, p: Pair = pair): Promise<Answer> {
    const a = await make(0);
    const b = await make(1);
    const fastFrom = logLines.length;
    const fast = await send(p.fast, a.req);
    const fastLog = fast.status === 400 && fast.headers.connection === 'close' && !fast.headers['content-security-policy'] ? undefined : await requestLine(fastFrom);
    const slowFrom = logLines.length;
    const slow = await send(p.slow, b.req);
    const what = `${a.req.method ?? 'POST'} ${a.req.path ?? '/api/v1/reports'}: ${fast.body.slice(0, 300)}`;
    expect(normalise(fast, a.volatile ?? []), what).to.deep.equal(normalise(slow, b.volatile ?? []));
    // The same request log line (Node's own refusals of unparsable requests are answered before any app, and logged by none).
    if (fastLog !== undefined) expect(fastLog, what).to.deep.equal(await requestLine(slowFrom));
    return fast;
  }

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    t = await bootTestApp({ logger: pino({ level: 'info' }, sink), env: { RATE_LIMIT_WRITES_PER_MINUTE: '1000' } });
    lab = randomWallet();
    await registerLab(t.sys, FIXTURE_LAB_CMA, lab);
    await storeReportBatch(t.sys);
    [depA, depB, provider] = [await registerDepartment(t.sys, 1), await registerDepartment(t.sys, 2), await registerDepartment(t.sys, 3)];
    pair = await servePair(t);
  });
  after(async () => {
    // Nothing answered 5xx or logged an error on either side.
    expect(logLines.filter((l) => /"level":(50|60)/.test(l) || /\\n\s+at /.test(l))).to.deep.equal([]);
    await pair?.stop();
    await t?.sys.stop();
  });

  describe('POST /api/v1/reports', () => {
    it('When a valid signed report is posted, Then both answer 201 with the same acceptance and headers, and the fast side served it itself', async () => {
      const before = fastDispatched(pair.fastApp);
      const res = await same(async () => {
        const r = await report();
        return { req: { headers: json, body: JSON.stringify(r.body) }, volatile: r.volatile };
      });
      expect(res.status, res.body).to.equal(201);
      expect(res.headers.location).to.match(/^\/api\/v1\/reports\//);
      expect(fastDispatched(pair.fastApp)).to.equal(before + 1);
    });

    const variants: [name: string, status: number, make: (body: string) => Req][] = [
      ['Content-Type in capitals with a UTF-8 charset', 201, (b) => ({ headers: { 'Content-Type': 'APPLICATION/JSON;Charset=UTF-8' }, body: b })],
      ['Content-Type application/json; charset=utf-8', 201, (b) => ({ headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: b })],
      ['a query string', 201, (b) => ({ path: '/api/v1/reports?x=1&y[]=2', headers: json, body: b })],
      ['a trailing slash', 201, (b) => ({ path: '/api/v1/reports/', headers: json, body: b })],
      ['the path in capitals', 201, (b) => ({ path: '/API/V1/REPORTS', headers: json, body: b })],
      ['a UTF-8 byte order mark', 201, (b) => ({ headers: json, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(b)]) })],
      ['leading JSON whitespace', 201, (b) => ({ headers: json, body: ` \r\n\t${b}` })],
      ['a gzip body', 201, (b) => ({ headers: { ...json, 'Content-Encoding': 'gzip' }, body: zlib.gzipSync(b) })],
      ['a chunked body (no Content-Length)', 201, (b) => ({ headers: json, body: b, chunked: true })],
      ['an Authorization header (ignored by this route, but no-store)', 201, (b) => ({ headers: { ...json, Authorization: 'Bearer not-a-token' }, body: b })],
      ['X-Forwarded-Proto https (TRUST_PROXY unset: no HSTS)', 201, (b) => ({ headers: { ...json, 'X-Forwarded-Proto': 'https' }, body: b })],
      ['Content-Type application/json; charset=latin1', 415, (b) => ({ headers: { 'Content-Type': 'application/json; charset=latin1' }, body: b })],
      ['Content-Type application/json; charset=utf-16', 400, (b) => ({ headers: { 'Content-Type': 'application/json; charset=utf-16' }, body: b })],
      ['Content-Type text/plain', 400, (b) => ({ headers: { 'Content-Type': 'text/plain' }, body: b })],
      ['no Content-Type', 400, (b) => ({ body: b })],
      ['Content-Type application/vnd.api+json', 400, (b) => ({ headers: { 'Content-Type': 'application/vnd.api+json' }, body: b })],
      ['Content-Encoding br of a plain body', 400, (b) => ({ headers: { ...json, 'Content-Encoding': 'br' }, body: b })],
      ['Content-Encoding compress', 415, (b) => ({ headers: { ...json, 'Content-Encoding': 'compress' }, body: b })],
      ['Content-Encoding identity', 201, (b) => ({ headers: { ...json, 'Content-Encoding': 'identity' }, body: b })],
    ];
    for (const [name, status, make] of variants) {
      it(`When a valid report comes with ${name}, Then both answer ${status} alike`, async () => {
        const res = await same(async () => {
          const r = await report();
          return { req: make(JSON.stringify(r.body)), volatile: r.volatile };
        });
        expect(res.status, res.body).to.equal(status);
      });
    }

    const bad: [name: string, status: number, code: string, req: () => Promise<Req> | Req][] = [
      ['malformed JSON', 400, 'invalid-input', () => ({ headers: json, body: '{"record": ' })],
      ['an empty body', 400, 'invalid-input', () => ({ headers: json, body: '' })],
      ['a body of whitespace', 400, 'invalid-input', () => ({ headers: json, body: '  \n' })],
      ['a JSON string', 400, 'invalid-input', () => ({ headers: json, body: '"x"' })],
      ['JSON null', 400, 'invalid-input', () => ({ headers: json, body: 'null' })],
      ['a JSON array', 400, 'invalid-input', () => ({ headers: json, body: '[]' })],
      ['invalid UTF-8', 400, 'invalid-input', () => ({ headers: json, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) })],
      ['a body over the 256 kB limit', 413, 'payload-too-large', () => ({ headers: json, body: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }) })],
      ['a body one byte over the limit', 413, 'payload-too-large', () => ({ headers: json, body: `{"p":"${'x'.repeat(256 * 1024 - 7)}"}` })],
      ['a chunked body over the limit', 413, 'payload-too-large', () => ({ headers: json, body: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }), chunked: true })],
      ['a gzip body that inflates over the limit', 413, 'payload-too-large', () => ({ headers: { ...json, 'Content-Encoding': 'gzip' }, body: zlib.gzipSync(JSON.stringify({ pad: 'x'.repeat(300 * 1024) })) })],
      ['a corrupt gzip body', 400, 'invalid-input', () => ({ headers: { ...json, 'Content-Encoding': 'gzip' }, body: Buffer.from('not gzip at all') })],
      ['JSON nested 5,000 levels deep', 400, 'invalid-input', () => ({ headers: json, body: `{"record":${deepArray(5000)}}` })],
      ['JSON nested one level past the limit', 400, 'invalid-input', () => ({ headers: json, body: `{"record":${deepArray(64)}}` })],
      ['a Content-Length that is not a number', 400, 'invalid-input', () => ({ headers: { ...json, 'Content-Length': '1e3' }, body: '{}' })],
    ];
    for (const [name, status, code, req] of bad) {
      it(`When the body is ${name}, Then both answer ${status} ${code} alike`, async () => {
        const res = await same(async () => ({ req: await req() }));
        if (name.startsWith('a Content-Length')) {
          // Node's parser refuses it before any app sees it.
          expect(res.status).to.equal(400);
          return;
        }
        expect(res.status, res.body).to.equal(status);
        expect(JSON.parse(res.body)).to.have.nested.property('error.code', code);
      });
    }

    const refused: [name: string, status: number, code: string, change: (body: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>, key?: () => Wallet][] = [
      ['a record field is missing', 400, 'invalid-record', (b) => ({ ...b, record: { ...(b.record as object), result: undefined } })],
      ['a member is added at the top', 400, 'invalid-input', (b) => ({ ...b, extra: 1 })],
      ['the salts are missing', 400, 'invalid-input', (b) => ({ ...b, salts: undefined })],
      ['the type names another record', 400, 'invalid-input', (b) => ({ ...b, type: 'Batch' })],
      ['the signature has no valid recovery id', 400, 'bad-signature', (b) => ({ ...b, signature: `${(b.signature as string).slice(0, -2)}ff` })],
      ['the signer is not registered', 403, 'unknown-signer', (b) => b, () => randomWallet()],
    ];
    for (const [name, status, code, change, key] of refused) {
      it(`When ${name}, Then both answer ${status} ${code} alike`, async () => {
        const res = await same(async () => {
          const r = await report({}, key?.() ?? lab);
          return { req: { headers: json, body: JSON.stringify(await change(r.body)) }, volatile: r.volatile };
        });
        expect(res.status, res.body).to.equal(status);
        expect(JSON.parse(res.body).error.code, res.body).to.match(new RegExp(`^${code}`));
      });
    }

    it('When a report is replayed, Then both answer 409 replay alike', async () => {
      const sides = [await report(), await report()];
      for (const [i, p] of [pair.fast, pair.slow].entries()) expect((await send(p, { headers: json, body: JSON.stringify(sides[i]!.body) })).status).to.equal(201);
      const res = await same((side) => ({ req: { headers: json, body: JSON.stringify(sides[side]!.body) }, volatile: sides[side]!.volatile }));
      expect(res.status, res.body).to.equal(409);
      expect(JSON.parse(res.body).error.code).to.equal('replay');
    });

    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      it(`When ${method} is sent to /api/v1/reports, Then both answer alike (Express answers it on both)`, async () => {
        const before = fastDispatched(pair.fastApp);
        await same(async () => {
          const r = await report();
          return { req: { method, headers: json, body: method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(r.body) }, volatile: r.volatile };
        });
        expect(fastDispatched(pair.fastApp)).to.equal(before);
      });
    }
  });

  describe('POST /api/v1/reports/bulk', () => {
    /** A bulk body of a valid report, one missing a record field, one with an extra member, one with a short signature, one not an object; the volatile strings of all. */
    async function bulk() {
      const reports = [await report(), await report(), await report(), await report()];
      const [ok, missing, extra, short] = reports.map((r) => r.body);
      const body = {
        reports: [ok, { ...missing, record: { ...(missing!.record as object), result: undefined } }, { ...extra, extra: 1 }, { ...short, signature: (short!.signature as string).slice(0, -2) }, 'not a report'],
      };
      return { body: JSON.stringify(body), volatile: reports.flatMap((r) => r.volatile) };
    }

    it('When a lab posts reports together, some malformed, Then both answer 200 with the same outcome of each, and the fast side served it itself', async () => {
      const before = fastDispatched(pair.fastApp);
      const res = await same(async () => {
        const b = await bulk();
        return { req: { path: '/api/v1/reports/bulk', headers: json, body: b.body }, volatile: b.volatile };
      });
      expect(res.status, res.body).to.equal(200);
      const answer = JSON.parse(res.body) as { accepted: number; results: { status: number; error?: { code: string } }[] };
      expect(answer.accepted).to.equal(1);
      expect(answer.results.map((r) => [r.status, r.error?.code])).to.deep.equal([[201, undefined], [400, 'invalid-record'], [400, 'invalid-input'], [400, 'invalid-input'], [400, 'invalid-input']]);
      expect(fastDispatched(pair.fastApp)).to.equal(before + 1);
    });

    it('When a bulk body is large enough to be parsed report by report (split-json.ts), with a malformed one among them, Then both answer alike', async () => {
      const res = await same(async () => {
        const reports = await Promise.all(Array.from({ length: 30 }, () => report()));
        const bodies: unknown[] = reports.map((r) => r.body);
        bodies[7] = { ...(bodies[7] as object), signature: 'short' };
        const text = JSON.stringify({ reports: bodies }, null, 1);
        expect(Buffer.byteLength(text)).to.be.at.least(SPLIT_FROM_BYTES);
        return { req: { path: '/api/v1/reports/bulk', headers: json, body: text }, volatile: reports.flatMap((r) => r.volatile) };
      });
      expect(res.status, res.body).to.equal(200);
      expect((JSON.parse(res.body) as { accepted: number }).accepted).to.equal(29);
    });

    const variants: [name: string, status: number, make: (body: string) => Req][] = [
      ['a UTF-8 byte order mark', 200, (b) => ({ headers: json, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(b)]) })],
      ['a gzip body', 200, (b) => ({ headers: { ...json, 'Content-Encoding': 'gzip' }, body: zlib.gzipSync(b) })],
      ['a chunked body (no Content-Length)', 200, (b) => ({ headers: json, body: b, chunked: true })],
      ['Content-Type text/plain', 400, (b) => ({ headers: { 'Content-Type': 'text/plain' }, body: b })],
      ['a trailing slash', 200, (b) => ({ path: '/api/v1/reports/bulk/', headers: json, body: b })],
    ];
    for (const [name, status, make] of variants) {
      it(`When reports come together with ${name}, Then both answer ${status} alike`, async () => {
        const res = await same(async () => {
          const b = await bulk();
          return { req: { path: '/api/v1/reports/bulk', ...make(b.body) }, volatile: b.volatile };
        });
        expect(res.status, res.body).to.equal(status);
      });
    }

    const bad: [name: string, status: number, code: string, body: string][] = [
      ['malformed JSON', 400, 'invalid-input', '{"reports": ['],
      ['no reports', 400, 'invalid-input', '{"reports": []}'],
      ['reports that are not a list', 400, 'invalid-input', '{"reports": {"0": {}}}'],
      ['a member beside the reports', 400, 'invalid-input', '{"reports": [{}], "more": 1}'],
      ['JSON nested one level past the limit', 400, 'invalid-input', `{"reports":[${deepArray(64)}]}`],
      // Over SPLIT_FROM_BYTES: split-json.ts scans it first.
      ['120 kB nested 60,000 levels deep', 400, 'invalid-input', `{"reports":[${deepArray(60_000)}]}`],
      ['120 kB of 60,000 tiny reports', 400, 'invalid-input', `{"reports":[${Array(60_000).fill('1').join(',')}]}`],
      ['a body over the 256 kB limit', 413, 'payload-too-large', JSON.stringify({ reports: ['x'.repeat(300 * 1024)] })],
    ];
    for (const [name, status, code, body] of bad) {
      it(`When the bulk body is ${name}, Then both answer ${status} ${code} alike`, async () => {
        const res = await same(() => ({ req: { path: '/api/v1/reports/bulk', headers: json, body } }));
        expect(res.status, res.body).to.equal(status);
        expect(JSON.parse(res.body)).to.have.nested.property('error.code', code);
      });
    }
  });

  describe('POST /api/v1/shares', () => {
    /** `dep`'s first share request to the provider, signed, as the HTTP body. */
    async function shareRequest(dep: Department, fields: Record<string, unknown> = {}) {
      const input = {
        ...dep.next(),
        ...requestStepFields(dep, provider),
        id: dep.idOf(`req-fast-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`),
        ...fields,
      };
      const sub = await signedShareStep(t.sys, dep.key, input);
      return { body: sub, volatile: [sub.record.id as string, dep.id, dep.uscc, dep.name, sub.signature.slice(2)] };
    }

    it('When each department posts its first signed request, then replays it, then skips a seq, Then both answer 201, 409 replay, 409 conflict alike; malformed JSON 400 alike', async () => {
      const first = [await shareRequest(depA), await shareRequest(depB)];
      const ok = await same((side) => ({ req: { path: '/api/v1/shares', headers: json, body: JSON.stringify(first[side]!.body) }, volatile: first[side]!.volatile }));
      expect(ok.status, ok.body).to.equal(201);
      const replay = await same((side) => ({ req: { path: '/api/v1/shares', headers: json, body: JSON.stringify(first[side]!.body) }, volatile: first[side]!.volatile }));
      expect(replay.status, replay.body).to.equal(409);
      const skipped = await same(async (side) => {
        const s = await shareRequest(side === 0 ? depA : depB, { seq: 2, prevHash: `0x${'ab'.repeat(32)}` });
        return { req: { path: '/api/v1/shares', headers: json, body: JSON.stringify(s.body) }, volatile: s.volatile };
      });
      expect(skipped.status, skipped.body).to.equal(409);
      const malformed = await same(() => ({ req: { path: '/api/v1/shares', headers: json, body: '{"record":[' } }));
      expect(malformed.status).to.equal(400);
      const deep = await same(() => ({ req: { path: '/api/v1/shares', headers: json, body: `{"record":${deepArray(5000)}}` } }));
      expect(deep.status).to.equal(400);
    });
  });

  describe('metrics and the request log', () => {
    it('When both sides served the same requests, Then their request counters by route and status are the same', async () => {
      const counters = async (port: number) => {
        const res = await send(port, { method: 'GET', path: '/metrics', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
        expect(res.status).to.equal(200);
        return res.body
          .split('\n')
          .filter((l) => l.startsWith('traceledger_http_requests_total{') && /route="\/api\/v1\/(reports|shares)/.test(l))
          .sort();
      };
      const fast = await counters(pair.fast);
      expect(fast.length).to.be.greaterThan(3);
      expect(fast).to.deep.equal(await counters(pair.slow));
    });
  });

  describe('limits an attacker might try to get around through the fast path', () => {
    it('When a burst exceeds the write rate limit (3 a minute), Then both refuse the same requests with 429 rate-limited; a body that fails to parse is refused before the limit on both', async () => {
      const p = await servePair(t, { RATE_LIMIT_WRITES_PER_MINUTE: 3 });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const res = await same(async () => {
            const r = await report();
            return { req: { headers: json, body: JSON.stringify(i === 0 ? r.body : { ...r.body, extra: i }) }, volatile: r.volatile };
          }, p);
          statuses.push(res.status);
        }
        expect(statuses).to.deep.equal([201, 400, 400, 429, 429]);
        const limited = await same(async () => {
          const r = await report();
          return { req: { path: '/api/v1/reports?bypass=1', headers: { 'Content-Type': 'application/json; charset=UTF-8', Authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify(r.body) }, volatile: r.volatile };
        }, p);
        expect(limited.status).to.equal(429);
        expect(JSON.parse(limited.body).error.code).to.equal('rate-limited');
        const malformed = await same(() => ({ req: { headers: json, body: '{' } }), p);
        expect(malformed.status).to.equal(400);
        expect(fastDispatched(p.fastApp)).to.be.greaterThan(0);
      } finally {
        await p.stop();
      }
    });

    it('When a client sends half a report body and hangs up, Then the fast side drops it and goes on serving', async () => {
      const before = fastDispatched(pair.fastApp);
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(pair.fast, '127.0.0.1', () => {
          socket.write('POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"record":');
          setTimeout(() => socket.destroy(), 100);
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      expect(fastDispatched(pair.fastApp)).to.equal(before + 1);
      const r = await report();
      const res = await send(pair.fast, { headers: json, body: JSON.stringify(r.body) });
      expect(res.status, res.body).to.equal(201);
    });

    it('When a client drips a report body past REQUEST_TIMEOUT_SECONDS, Then both answer 408 request-timeout and close the connection', async () => {
      const p = await servePair(t, { REQUEST_TIMEOUT_SECONDS: 1 });
      try {
        const drip = (port: number) =>
          new Promise<{ head: string; body: string; sent: number }>((resolve, reject) => {
            const socket = net.connect(port, '127.0.0.1');
            let got = '';
            let sent = 0;
            socket.on('data', (d) => (got += d.toString()));
            socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
            socket.write('POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n');
            const timer = setInterval(() => {
              if (socket.destroyed || sent === 40) return clearInterval(timer);
              socket.write(' ');
              sent++;
            }, 150);
            socket.on('close', () => {
              clearInterval(timer);
              const split = got.indexOf('\r\n\r\n');
              resolve({ head: got.slice(0, split), body: got.slice(split + 4), sent });
            });
          });
        const before = fastDispatched(p.fastApp);
        const [fast, slow] = await Promise.all([drip(p.fast), drip(p.slow)]);
        expect(fastDispatched(p.fastApp)).to.equal(before + 1);
        for (const r of [fast, slow]) {
          expect(r.head.split('\r\n')[0]).to.contain('408');
          expect(r.head.toLowerCase()).to.contain('connection: close');
          expect(r.sent).to.be.lessThan(40);
        }
        expect(JSON.parse(fast.body)).to.deep.equal(JSON.parse(slow.body));
      } finally {
        await p.stop();
      }
    });
  });
});

describe('server/http fast dispatch: the chain is read from the routers', () => {
  /** A small app: app-wide middleware, a path-scoped one elsewhere, a router at / without the route, a mounted router with a JSON parser and routes. */
  function smallApp(extra?: (app: express.Express) => void) {
    const app = express();
    const seen: string[] = [];
    const mark = (name: string): express.RequestHandler => (_req, _res, next) => {
      seen.push(name);
      next();
    };
    app.use(mark('app-wide'));
    app.use('/other', mark('other-path'));
    app.post('/api/x/items', mark('app-route-elsewhere'));
    // A router mounted at / with no POST route for the path: its middleware runs, then Express goes on.
    const pre = express.Router();
    pre.use(mark('pre-router'));
    pre.get('/api/v1/items', mark('pre-get-route'));
    app.use(pre);
    extra?.(app);
    const json = express.json({ limit: '1kb' });
    const r = express.Router();
    r.use(mark('router-own'), json);
    r.get('/items', mark('get-route'));
    r.post('/items', mark('post-route'), (req, res) => {
      res.status(201).json({ got: req.body, seen });
    });
    app.use('/api/v1', r);
    const errors: express.ErrorRequestHandler = (err: { status?: number }, _req, res, _next) => {
      res.status(err.status ?? 500).json({ error: 'x' });
    };
    const notFound: express.RequestHandler = (_req, res) => {
      res.status(404).json({ error: 'not-found' });
    };
    app.use(notFound, errors);
    return { app, seen, json, errors, notFound };
  }

  it('When a POST takes the fast dispatch, Then it runs exactly the middleware and handlers Express would, in order', async () => {
    const a = smallApp();
    installFastPath(a.app, { paths: ['/api/v1/items'], json: a.json, jsonLimit: 1024, notFound: a.notFound, errors: a.errors });
    const res = await request(a.app).post('/api/v1/items').send({ n: 1 });
    expect(res.status).to.equal(201);
    expect(res.body).to.deep.equal({ got: { n: 1 }, seen: ['app-wide', 'pre-router', 'router-own', 'post-route'] });
    expect(fastDispatched(a.app)).to.equal(1);
    const tooBig = await request(a.app).post('/api/v1/items').set('Content-Type', 'application/json').send(JSON.stringify({ p: 'x'.repeat(2000) }));
    expect(tooBig.status).to.equal(413);
  });

  it('When app-wide middleware is added before the router, Then the fast dispatch runs it too', async () => {
    const a = smallApp((app) => app.use(((_req, res, next) => {
      res.setHeader('X-Added', 'yes');
      next();
    }) as express.RequestHandler));
    installFastPath(a.app, { paths: ['/api/v1/items'], json: a.json, jsonLimit: 1024, notFound: a.notFound, errors: a.errors });
    const res = await request(a.app).post('/api/v1/items').send({});
    expect(res.status).to.equal(201);
    expect(res.headers['x-added']).to.equal('yes');
    expect(fastDispatched(a.app)).to.equal(1);
  });

  it('When a path has no POST route, or its way needs path parameters, or another JSON parser, Then installing fails at start', () => {
    const a = smallApp();
    const install = (paths: string[], json = a.json) => () => installFastPath(a.app, { paths, json, jsonLimit: 1024, notFound: a.notFound, errors: a.errors });
    expect(install(['/api/v1/none'])).to.throw(/no route takes it/);
    expect(install(['/api/v1/items'], express.json())).to.throw(/JSON parser/);
    const b = express();
    const r = express.Router();
    r.use(express.json());
    r.post('/:id', (_req, res) => res.end());
    b.use('/api/v1', r);
    expect(() => installFastPath(b, { paths: ['/api/v1/items'], json: a.json, jsonLimit: 1024, notFound: a.notFound, errors: a.errors })).to.throw(/path parameters/);
  });
});
