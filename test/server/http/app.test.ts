import { expect } from 'chai';
import { JsonRpcProvider } from 'ethers';
import type express from 'express';
import fs from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { ChainDivergenceError } from '../../../server/anchoring/worker';
import { createApp } from '../../../server/http/app';
import { HTTP_METHODS, type OpenApiDocument } from '../../../server/http/openapi';
import type { Store } from '../../../server/store/types';
import type { System } from '../../../server/system';
import { batchInputNow, USCC } from '../records/fixtures';
import { ADMIN_TOKEN, admin, bearer, bootTestApp, expectError, producerWithToken, type TestApp } from './helpers';
import { FIXTURE_PRODUCT_KEYS } from '../../support/system';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/** Every "METHOD /path" the app's router stack serves, with Express `:param` written as OpenAPI `{param}`. */
function routesOf(app: express.Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = (prefix + layer.route.path).replace(/:(\w+)/g, '{$1}');
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push(`${method.toUpperCase()} ${path}`);
      } else if (layer.handle?.stack && typeof layer.rawPath === 'string') {
        walk(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : layer.rawPath));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out.sort();
}

function documented(doc: OpenApiDocument): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) for (const m of HTTP_METHODS) if (item[m]) out.push(`${m.toUpperCase()} ${path}`);
  return out.sort();
}

/** The routes this app owns (the web router's pages are not part of the REST API). */
const isApiRoute = (r: string) => / \/api\/|^GET \/(healthz|metrics|openapi\.json)$/.test(r);

/** An app over the same system with some parts swapped. */
function appWith(t: TestApp, patch: Partial<System>): express.Express {
  return createApp({ ...t.ctx, sys: { ...t.sys, ...patch } });
}

describe('server/http app (real anvil node)', function () {
  this.timeout(120_000);
  let t: TestApp;

  before(async () => {
    t = await bootTestApp({ env: { PUBLIC_RPC_URL: 'https://rpc.trace.example.cn/chain' } });
  });
  after(async () => t?.sys.stop());

  describe('OpenAPI', () => {
    let doc: OpenApiDocument;
    before(async () => {
      doc = (await request(t.app).get('/openapi.json')).body as OpenApiDocument;
    });

    it('When the router stack is walked, Then every route and method is in /openapi.json and every documented operation is a route', () => {
      const routes = routesOf(t.app).filter(isApiRoute);
      expect(routes.length).to.be.greaterThan(15);
      expect(routes).to.deep.equal(documented(doc));
    });

    it('When /openapi.json is fetched, Then it is the OpenAPI 3.1 document with the public base URL as server', async () => {
      const res = await request(t.app).get('/openapi.json');
      expect(res.status).to.equal(200);
      expect(res.body.openapi).to.equal('3.1.0');
      expect(res.body.servers).to.deep.equal([{ url: 'https://trace.example.cn' }]);
      expect(res.body.components.schemas.BatchInput.properties).to.include.keys('lot', 'producer', 'certificateIssuer');
    });

    it('When a $ref is followed, Then it names a component that exists', () => {
      const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
      expect(refs.length).to.be.greaterThan(20);
      for (const ref of refs) {
        const [, , kind, name] = ref.slice(8, -1).split('/');
        expect((doc.components as unknown as Record<string, Record<string, unknown>>)[kind!], ref).to.have.property(name!);
      }
    });
  });

  describe('/healthz', () => {
    it('When the chain, store and worker are fine, Then it answers 200 ok with the latest block', async () => {
      const res = await request(t.app).get('/healthz');
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({ status: 'ok', anchoring: { ok: true } });
      expect(res.body.store.ok).to.equal(true);
      expect(res.body.store.diskFreeMb).to.be.a('number');
      expect(res.body.chain.ok).to.equal(true);
      expect(res.body.chain.block).to.be.a('number');
    });

    it('When the threads run, Then it says where signatures are checked and the chain state is saved, with no warning', async () => {
      const res = await request(t.app).get('/healthz');
      const threads = t.sys.config.INGEST_THREADS;
      expect(res.body.threads.signatures).to.deep.equal({ threads, onMainThread: threads === 0, stopped: 0, refused: 0 });
      if (t.sys.embeddedChain) expect(res.body.threads.chainStateSaves).to.deep.equal({ onMainThread: false });
      else expect(res.body.threads).to.not.have.property('chainStateSaves');
      expect(res.body.threads.walCheckpoints).to.deep.equal({ onMainThread: false });
      expect(res.body.threads).to.not.have.property('warning');
    });

    it('When a signature thread stopped, or the threads could not start, Then it still answers 200 ok (the same answers, replaced or slower) with a warning saying what happened', async () => {
      const lastFailure = { at: '2026-11-30T08:00:00.000Z', error: 'a signature thread exited (code 7)' };
      const withStatus = (status: object) => Object.create(t.sys.ingest, { verifierStatus: { value: () => status } }) as System['ingest'];
      const stopped = await request(appWith(t, { ingest: withStatus({ threads: 1, onMainThread: false, stopped: 2, refused: 30, lastFailure }) })).get('/healthz');
      expect(stopped.status).to.equal(200);
      expect(stopped.body.status).to.equal('ok');
      expect(stopped.body.threads.signatures).to.deep.equal({ threads: 1, onMainThread: false, stopped: 2, refused: 30, lastFailure });
      expect(stopped.body.threads.warning).to.contain('2 signature thread(s) stopped').and.contain('30 submission(s)').and.contain('can be sent again');

      const fellBack = await request(appWith(t, { ingest: withStatus({ threads: 1, onMainThread: true, stopped: 0, refused: 0, lastFailure: { ...lastFailure, error: 'Cannot find module' } }) })).get('/healthz');
      expect(fellBack.status).to.equal(200);
      expect(fellBack.body.threads.warning).to.contain('signatures are checked on the main thread').and.contain('Cannot find module');
    });

    it('When the chain node is unreachable, Then it answers 503 naming the chain', async () => {
      const dead = new JsonRpcProvider('http://127.0.0.1:9', t.sys.deployment.chainId, { staticNetwork: true });
      try {
        const res = await request(appWith(t, { provider: dead })).get('/healthz');
        expect(res.status).to.equal(503);
        expect(res.body.status).to.equal('degraded');
        expect(res.body.chain).to.include({ ok: false, block: null });
        expect(res.body.store.ok).to.equal(true);
      } finally {
        dead.destroy();
      }
    });

    it('When the store fails, Then it answers 503 naming the store', async () => {
      const broken = Object.create(t.sys.store, { ping: { value: async () => Promise.reject(new Error('disk I/O error')) } }) as Store;
      const res = await request(appWith(t, { store: broken })).get('/healthz');
      expect(res.status).to.equal(503);
      expect(res.body.store).to.deep.include({ ok: false, error: 'store unreachable: disk I/O error' });
    });

    it('When the anchoring worker halted on a divergent chain, Then it answers 503 with the error', async () => {
      t.sys.worker.fatalError = new ChainDivergenceError('the chain holds a checkpoint this database cannot reproduce');
      try {
        const res = await request(t.app).get('/healthz');
        expect(res.status).to.equal(503);
        expect(res.body.anchoring).to.deep.equal({ ok: false, lastError: 'the chain holds a checkpoint this database cannot reproduce' });
      } finally {
        t.sys.worker.fatalError = undefined;
      }
    });
  });

  describe('/metrics', () => {
    it('When records were accepted, Then the metrics count them by type, requests by route and status, and the log sizes and lag', async () => {
      const p = await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS);
      expect((await request(t.app).post('/api/v1/batches').set(bearer(p.token)).send(batchInputNow({ id: `BATCH-M-${Date.now()}` }))).status).to.equal(201);
      await request(t.app).get('/api/v1/batches/NOPE');

      const res = await request(t.app).get('/metrics').set(admin());
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/plain/);
      expect(res.text).to.contain('traceledger_records_accepted_total{type="Batch"} 1');
      expect(res.text).to.match(/traceledger_http_requests_total\{method="POST",route="\/api\/v1\/batches",status="201"\} 1/);
      expect(res.text).to.match(/traceledger_http_requests_total\{method="GET",route="\/api\/v1\/batches\/:id",status="404"\} 1/);
      expect(res.text).to.contain('traceledger_http_request_duration_seconds_bucket');
      for (const name of ['traceledger_log_size', 'traceledger_log_anchored_size', 'traceledger_anchoring_lag_entries', 'traceledger_anchoring_lag_seconds']) {
        expect(res.text).to.match(new RegExp(`${name}\\{log="products"\\} \\d`));
        expect(res.text).to.match(new RegExp(`${name}\\{log="data-sharing"\\} \\d`));
      }
    });
  });

  describe('errors, limits and headers', () => {
    it('When a route does not exist, Then it answers 404 not-found in the error envelope', async () => {
      expectError(await request(t.app).get('/api/v1/nothing-here'), 404, 'not-found');
      expectError(await request(t.app).delete('/api/v1/batches'), 404, 'not-found');
    });

    it('When something unexpected fails, Then it answers 500 internal without the cause or a stack', async () => {
      const broken = Object.create(t.sys.store, { getRecord: { value: async () => Promise.reject(new Error('SQLITE_CORRUPT secret detail')) } }) as Store;
      const res = await request(appWith(t, { store: broken, logger: pino({ level: 'silent' }) })).get('/api/v1/records/ANY');
      expectError(res, 500, 'internal');
      expect(JSON.stringify(res.body)).not.to.contain('SQLITE');
    });

    it('When a JSON body is over 256 kB on any API route, Then it answers 413 payload-too-large', async () => {
      expectError(await request(t.app).post('/api/v1/participants').set(admin()).send({ name: 'x'.repeat(300 * 1024) }), 413, 'payload-too-large');
    });

    it('When a caller exceeds the write limit, Then it answers 429 rate-limited while reads still work', async () => {
      const limited = appWith(t, { config: { ...t.sys.config, RATE_LIMIT_WRITES_PER_MINUTE: 2 } });
      const send = () => request(limited).post('/api/v1/reports').send({});
      expect((await send()).status).to.equal(400);
      expect((await send()).status).to.equal(400);
      expectError(await send(), 429, 'rate-limited');
      expect((await request(limited).get('/api/v1/participants')).status).to.equal(200);
    });

    it('When a page is served, Then the CSP allows only own scripts and connections to the public RPC origin', async () => {
      const res = await request(t.app).get('/healthz');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).to.contain("script-src 'self'");
      expect(csp).to.contain("connect-src 'self' https://rpc.trace.example.cn");
      expect(csp).to.contain('upgrade-insecure-requests');
      expect(res.headers['x-powered-by']).to.equal(undefined);
    });

    it('When the service is served over plain HTTP, Then the CSP does not ask browsers to upgrade its own assets to HTTPS', async () => {
      const plain = createApp({ ...t.ctx, publicBaseUrl: 'http://localhost:3000' });
      const res = await request(plain).get('/healthz');
      expect(String(res.headers['content-security-policy'])).not.to.contain('upgrade-insecure-requests');
    });

    it('When requests carry tokens and bodies, Then the request log holds neither', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      });
      const logged = appWith(t, { logger: pino({ level: 'info' }, sink) });
      await request(logged).post('/api/v1/participants').set(admin()).send({ kind: 'producer', name: 'SECRET-NAME-IN-BODY', uscc: 'bad' });
      await request(logged).get('/api/v1/batches?producer=QUERY-SECRET').set(bearer('tlp_SECRET-TOKEN'));
      const all = lines.join('');
      expect(lines.length).to.be.greaterThan(1);
      expect(all).to.contain('"route":"/api/v1/participants"');
      for (const secret of [ADMIN_TOKEN, 'SECRET-NAME-IN-BODY', 'tlp_SECRET-TOKEN', 'QUERY-SECRET']) expect(all).not.to.contain(secret);
    });
  });

  describe('admin token', () => {
    it('When ADMIN_TOKEN is unset, Then one is generated into DATA_DIR/admin-token with mode 0600 and it works', async () => {
      const config = { ...t.sys.config, ADMIN_TOKEN: undefined };
      const app = appWith(t, { config });
      const stat = fs.statSync(config.adminTokenPath);
      expect(stat.mode & 0o777).to.equal(0o600);
      const token = fs.readFileSync(config.adminTokenPath, 'utf8').trim();
      expect(token).to.have.length.greaterThan(32);
      expect((await request(app).delete(`/api/v1/tokens/${'0'.repeat(64)}`).set(admin(token))).status).to.equal(404);
      expectError(await request(app).delete(`/api/v1/tokens/${'0'.repeat(64)}`).set(admin()), 401, 'unauthorized');
    });
  });
});
