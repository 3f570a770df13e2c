import { expect } from 'chai';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import pino from 'pino';
import request from 'supertest';
import { JSON_MAX_DEPTH, createApp, createHttpServer, nestedDeeperThan } from '../../../server/http/app';
import type { Config } from '../../../server/config';
import { loadConfig } from '../../../server/config';
import { admin, bootTestApp, expectError, type TestApp } from './helpers';

/** `depth` nested objects around 1: {"a":{"a":…1…}}. */
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Starts a real HTTP server over `t`'s app with `config` changes; returns its port and a stop function. */
async function serve(t: TestApp, changes: Partial<Config> = {}): Promise<{ port: number; stop: () => Promise<void> }> {
  const config = { ...t.sys.config, ...changes };
  const server = createHttpServer(createApp({ ...t.ctx, sys: { ...t.sys, config } }), config);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** POSTs `body` as is (supertest re-encodes some bodies) and reads the answer. */
function rawPost(port: number, path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', path, method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Drip {
  /** The first line of the answer ('' if none). */
  statusLine: string;
  body: string;
  /** Drip bytes (or header lines) written before the connection closed. */
  sent: number;
}

/**
 * Opens a raw connection, writes `head`, then one byte (or, with headerLines, one header line) every `everyMs`
 * up to `count`, until the server closes the connection.
 */
function drip(port: number, head: string, opts: { everyMs: number; count: number; headerLines?: boolean; tail?: string }): Promise<Drip> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    let sent = 0;
    socket.on('data', (d) => (got += d.toString()));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    socket.write(head);
    const timer = setInterval(() => {
      if (socket.destroyed) return;
      if (sent === opts.count) {
        clearInterval(timer);
        if (opts.tail) socket.write(opts.tail);
        return;
      }
      socket.write(opts.headerLines ? `X-Drip-${sent}: x\r\n` : ' ');
      sent++;
    }, opts.everyMs);
    socket.on('close', () => {
      clearInterval(timer);
      const split = got.indexOf('\r\n\r\n');
      resolve({ statusLine: got.split('\r\n')[0] ?? '', body: split === -1 ? '' : got.slice(split + 4), sent });
    });
  });
}

describe('server/http hostile input: nothing a client sends gives a 5xx (real anvil node)', function () {
  this.timeout(120_000);
  let t: TestApp;
  const logLines: string[] = [];
  /** Log lines at level error (50) or above, or holding a stack trace. */
  const errorLogs = () => logLines.filter((l) => /"level":(50|60)/.test(l) || /\\n\s+at /.test(l));

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    t = await bootTestApp({ logger: pino({ level: 'info' }, sink), env: { RATE_LIMIT_WRITES_PER_MINUTE: '2' } });
  });
  after(async () => t?.sys.stop());
  beforeEach(() => (logLines.length = 0));

  describe('malformed URLs', () => {
    it('When a path parameter is not valid percent-encoding, on an API route or a page, Then it answers 400 (invalid-input, or the 谨防假冒 page to a browser) and logs no error or stack', async () => {
      for (const path of ['/api/v1/batches/%E0%A4%A', '/api/v1/records/%ZZ', '/api/v1/batches/%/commissions', '/b/%ZZ', '/01/%E0/10/lot']) {
        const res = await request(t.app).get(path).set('Accept', 'application/json');
        expect(res.status, `${path}: ${res.text.slice(0, 200)}`).to.be.within(400, 499);
        if (res.type === 'application/json') expectError(res, 400, res.body.error.code as string);
      }
      expectError(await request(t.app).get('/api/v1/batches/%E0%A4%A'), 400, 'invalid-input');
      // A browser (no JSON asked for) gets the page that warns of counterfeits, with status 400.
      const page = await request(t.app).get('/b/%ZZ').set('Accept', 'text/html');
      expect(page.status).to.equal(400);
      expect(page.type).to.equal('text/html');
      expect(page.text).to.contain('谨防假冒');
      expect(errorLogs()).to.deep.equal([]);
    });

    it('When the headers or the URL are larger than Node takes, Then it answers 431 headers-too-large in the error envelope and nothing is logged as an error', async () => {
      const s = await serve(t);
      try {
        const big = await drip(s.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, { everyMs: 1000, count: 0 });
        expect(big.statusLine).to.contain('431');
        expect(JSON.parse(big.body)).to.have.nested.property('error.code', 'headers-too-large');
        const url = await drip(s.port, `GET /api/v1/batches/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, { everyMs: 1000, count: 0 });
        expect(url.statusLine).to.contain('431');
      } finally {
        await s.stop();
      }
      expect(errorLogs()).to.deep.equal([]);
    });
  });

  describe('requests the HTTP parser refuses', () => {
    it('When the request line or a header is not valid HTTP, Then the answer is 400 invalid-input in the error envelope (not a bare status line) and the connection is closed', async () => {
      const s = await serve(t);
      try {
        for (const head of ['GET /api/v1/batches/caf\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', 'NONSENSE\r\n\r\n']) {
          const r = await drip(s.port, head, { everyMs: 1000, count: 0 });
          expect(r.statusLine, JSON.stringify(head)).to.equal('HTTP/1.1 400 Bad Request');
          const body = JSON.parse(r.body) as { error: { code: string; message: string } };
          expect(body.error.code).to.equal('invalid-input');
          expect(body.error.message).to.contain('not valid HTTP/1.1');
        }
      } finally {
        await s.stop();
      }
      expect(errorLogs()).to.deep.equal([]);
    });
  });

  describe('repeated and bracketed query parameters', () => {
    it('When a query parameter is repeated or written with brackets, Then it answers 400 invalid-input naming it, never a coerced value', async () => {
      for (const query of ['limit[]=1', 'limit=1&limit=2', 'limit[a]=1', 'producer=a&producer=b']) {
        const res = await request(t.app).get(`/api/v1/batches?${query}`);
        expectError(res, 400, 'invalid-input');
        expect(res.body.error.message).to.match(/^(limit|producer): must be given once/);
      }
      expectError(await request(t.app).get('/api/v1/logs/products/inclusion?index=0&index=0&size=1'), 400, 'invalid-input');
      expectError(await request(t.app).get('/api/v1/records/x/bundle?download[]=1'), 400, 'invalid-input');
      // A parameter given once still reads; an unknown one is ignored.
      expect((await request(t.app).get('/api/v1/batches?limit=1&other=1&other=2')).status).to.equal(200);
    });
  });

  describe('compressed bodies', () => {
    it('When a JSON body is gzip or deflate but corrupt, Then it answers 400 invalid-input and logs no error', async () => {
      for (const encoding of ['gzip', 'deflate']) {
        const res = await request(t.app).post('/api/v1/participants').set(admin()).set('Content-Type', 'application/json').set('Content-Encoding', encoding).send('this is not compressed');
        expectError(res, 400, 'invalid-input');
        expect(res.body.error.message).to.contain('decompress');
      }
      expect(errorLogs()).to.deep.equal([]);
    });

    it('When a JSON body is validly gzipped, Then it is read as JSON', async () => {
      const body = zlib.gzipSync(JSON.stringify({ kind: 'producer', name: 'x', uscc: 'not-a-uscc' }));
      const s = await serve(t);
      try {
        // Read, and refused by the schema (400 on the uscc), not by the decoder.
        const res = await rawPost(s.port, '/api/v1/participants', body, { ...admin(), 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        expect(res.status).to.equal(400);
        expect(JSON.parse(res.body).error.message).to.contain('uscc');
      } finally {
        await s.stop();
      }
    });

    it('When a body has a Content-Encoding or charset the server does not read, Then it answers 415 unsupported-encoding', async () => {
      expectError(await request(t.app).post('/api/v1/participants').set(admin()).set('Content-Type', 'application/json').set('Content-Encoding', 'zstd').send('{}'), 415, 'unsupported-encoding');
      expectError(await request(t.app).post('/api/v1/participants').set(admin()).set('Content-Type', 'application/json; charset=latin2').send('{}'), 415, 'unsupported-encoding');
    });
  });

  describe('deeply nested JSON', () => {
    it(`When nesting is counted, Then ${JSON_MAX_DEPTH} levels pass and one more does not`, () => {
      expect(nestedDeeperThan(JSON.parse(deepObject(JSON_MAX_DEPTH)), JSON_MAX_DEPTH)).to.equal(false);
      expect(nestedDeeperThan(JSON.parse(deepObject(JSON_MAX_DEPTH + 1)), JSON_MAX_DEPTH)).to.equal(true);
      expect(nestedDeeperThan(JSON.parse(`[${'['.repeat(JSON_MAX_DEPTH)}${']'.repeat(JSON_MAX_DEPTH)}]`), JSON_MAX_DEPTH)).to.equal(true);
      expect(nestedDeeperThan({ a: [1, { b: 'x' }], c: null }, 3)).to.equal(false);
    });

    it('When a record nests 5,000 levels deep on /reports or /shares, Then it answers 400 invalid-input before any schema reads it', async () => {
      for (const route of ['/api/v1/reports', '/api/v1/shares']) {
        const body = `{"record":{"a":${deepObject(5000)}},"salts":{},"signature":"0x${'11'.repeat(65)}"}`;
        const res = await request(t.app).post(route).set('Content-Type', 'application/json').send(body);
        expectError(res, 400, 'invalid-input');
        expect(res.body.error.message).to.contain(`deeper than ${JSON_MAX_DEPTH}`);
        const arrays = `{"record":{"a":${'['.repeat(5000)}${']'.repeat(5000)}},"salts":{},"signature":"0x${'11'.repeat(65)}"}`;
        expectError(await request(t.app).post(route).set('Content-Type', 'application/json').send(arrays), 400, 'invalid-input');
      }
      expect(errorLogs()).to.deep.equal([]);
    });
  });

  describe('slow clients', () => {
    it('When a client drips a body one byte at a time past REQUEST_TIMEOUT_SECONDS, Then it gets 408 request-timeout and the connection is closed before the body is complete', async () => {
      const s = await serve(t, { REQUEST_TIMEOUT_SECONDS: 1 });
      try {
        const head = 'POST /api/v1/participants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n';
        const r = await drip(s.port, head, { everyMs: 200, count: 60 });
        expect(r.statusLine).to.contain('408');
        expect(JSON.parse(r.body)).to.have.nested.property('error.code', 'request-timeout');
        expect(r.sent).to.be.lessThan(60);
      } finally {
        await s.stop();
      }
      expect(errorLogs()).to.deep.equal([]);
    });

    it('When a client drips the dataset-check upload past REQUEST_TIMEOUT_SECONDS, Then it is not cut: the upload route has UPLOAD_TIMEOUT_SECONDS', async () => {
      const s = await serve(t, { REQUEST_TIMEOUT_SECONDS: 1 });
      try {
        // 8 bytes at 400 ms: about 3 s, three times the short limit; then the body ends and the route answers.
        const head = `POST /api/v1/deliveries/NO-SUCH-DELIVERY/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin().Authorization.slice(7)}\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: close\r\n\r\n`;
        const r = await drip(s.port, head, { everyMs: 400, count: 8, tail: '{}' });
        expect(r.sent).to.equal(8);
        expect(r.statusLine).not.to.contain('408');
        expect(r.statusLine).to.match(/ 4\d\d /);
      } finally {
        await s.stop();
      }
    });

    it('When a client drips its headers past HEADERS_TIMEOUT_SECONDS, Then it answers 408 request-timeout in the error envelope and closes the connection', async () => {
      const s = await serve(t, { HEADERS_TIMEOUT_SECONDS: 1 });
      try {
        const r = await drip(s.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', { everyMs: 200, count: 100, headerLines: true });
        expect(r.statusLine).to.contain('408');
        expect(JSON.parse(r.body)).to.have.nested.property('error.code', 'request-timeout');
        expect(r.sent).to.be.lessThan(100);
      } finally {
        await s.stop();
      }
    });

    it('When MAX_CONNECTIONS connections are open, Then one more is closed without an answer, and the open ones are still served', async () => {
      const s = await serve(t, { MAX_CONNECTIONS: 2 });
      const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
      try {
        const get = () =>
          new Promise<number>((resolve, reject) => {
            http.get({ port: s.port, host: '127.0.0.1', path: '/healthz', agent }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            }).on('error', reject);
          });
        // Two kept-alive connections.
        expect(await Promise.all([get(), get()])).to.have.length(2);
        const third = await drip(s.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', { everyMs: 1000, count: 0 });
        expect(third.statusLine).to.equal('');
        expect([200, 503]).to.include(await get());
      } finally {
        agent.destroy();
        await s.stop();
      }
    });
  });

  describe('TRUST_PROXY and the write rate limit (2 a minute here)', () => {
    const post = (app: ReturnType<typeof createApp>, forwardedFor: string) => request(app).post('/api/v1/reports').set('X-Forwarded-For', forwardedFor).send({});

    it('When TRUST_PROXY is unset, Then X-Forwarded-For is ignored: two clients claiming different addresses share one bucket', async () => {
      const app = createApp(t.ctx);
      expect(t.sys.config.TRUST_PROXY).to.equal(false);
      expect((await post(app, '198.51.100.1')).status).to.equal(400);
      expect((await post(app, '198.51.100.2')).status).to.equal(400);
      expectError(await post(app, '198.51.100.3'), 429, 'rate-limited');
    });

    it('When TRUST_PROXY is 1, Then two clients behind one proxy get separate buckets', async () => {
      const config = { ...t.sys.config, TRUST_PROXY: 1 };
      const app = createApp({ ...t.ctx, sys: { ...t.sys, config } });
      for (const client of ['198.51.100.1', '198.51.100.2']) {
        expect((await post(app, client)).status).to.equal(400);
        expect((await post(app, client)).status).to.equal(400);
      }
      expectError(await post(app, '198.51.100.1'), 429, 'rate-limited');
      expectError(await post(app, '198.51.100.2'), 429, 'rate-limited');
    });

    it('When TRUST_PROXY is read, Then a hop count, a list of addresses and subnets, and "false" are taken; anything else fails at boot', () => {
      expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).to.equal(2);
      expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,loopback' }).TRUST_PROXY).to.deep.equal(['10.0.0.0/8', '192.168.1.7', 'loopback']);
      expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).to.equal(false);
      expect(loadConfig({}).TRUST_PROXY).to.equal(false);
      expect(() => loadConfig({ TRUST_PROXY: 'lb.example.cn' })).to.throw(/TRUST_PROXY/);
      expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/40' })).to.throw(/TRUST_PROXY/);
    });
  });
});

