/**
 * Route contracts against the running service: real requests to the main routes of a booted system (success and
 * error answers), each answer checked against what its contract declares (the status is declared; a JSON body passes
 * the declared zod schema; another body has a declared media type). And /openapi.json is what the contracts say.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import { z } from 'zod';
import request from 'supertest';
import { routeContractsOf } from '../../../server/http/app';
import { assertPlainQuery, component, impliedResponses, parseJsonBody, type RouteContract } from '../../../server/http/contract';
import { AppError } from '../../../server/errors';
import { openApiDocument, type OpenApiDocument } from '../../../server/http/openapi';
import { revocationDomain, signRevocation } from '../../../server/chain/revocation-signature';
import { revocationReasonNumber } from '../../../server/records';
import type { LogId } from '../../../server/store/types';
import { signedReport } from '../../support/records';
import { FIXTURE_PRODUCT_KEYS, eventually, registerLab } from '../../support/system';
import { departmentUscc, registerDepartment, signedShareStep, type Department } from '../../support/trails';
import { USCC, batchInputNow, reportInput } from '../records/fixtures';
import { admin, bearer, bootTestApp, producerWithToken, type TestApp } from './helpers';

/** The contract serving `method path` (a concrete path), by matching each contract's path template. */
function contractOf(routes: readonly RouteContract[], method: string, path: string): RouteContract | undefined {
  const bare = path.split('?')[0]!;
  return routes.find((c) => c.method === method.toLowerCase() && new RegExp(`^${c.path.replace(/[.]/g, '\\.').replace(/:(\w+)/g, '[^/]+')}$`).test(bare));
}

/** What is wrong with an answer by the route's contract, or null. */
function breach(c: RouteContract, res: request.Response): string | null {
  const declared = impliedResponses(c)[res.status];
  if (!declared) return `status ${res.status} is not declared (declared: ${Object.keys(impliedResponses(c)).join(', ')}); body ${res.text.slice(0, 300)}`;
  const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
  const content = declared.content ?? {};
  if (Object.keys(content).length === 0) return res.text === '' ? null : `status ${res.status} declares no body, got ${type}`;
  const schema = content[type];
  if (!schema) return `status ${res.status} answered ${type}, declared ${Object.keys(content).join(', ')}`;
  if (type !== 'application/json') return null;
  const parsed = schema.safeParse(res.body);
  return parsed.success ? null : `status ${res.status} body fails the declared schema: ${z.prettifyError(parsed.error)}\n${res.text.slice(0, 400)}`;
}

describe('server/http route contracts: answers match what each route declares (real anvil node)', function () {
  this.timeout(180_000);
  let t: TestApp;
  let routes: readonly RouteContract[];
  let producer: { id: string; token: string; tokenHash: string };
  let lab: { id: string; key: Wallet };
  let market: Department;
  let agriculture: Department;
  let batchId: string;
  let reportId: string;
  const shares: string[] = [];
  /** "METHOD /path-template status" of every answer checked. */
  const checked = new Set<string>();

  /** Sends a request and checks its answer against the route's contract; returns the answer. */
  async function call(method: 'get' | 'post' | 'delete', path: string, opts: { headers?: Record<string, string>; body?: unknown; type?: string; raw?: string } = {}): Promise<request.Response> {
    let req = request(t.app)[method](path);
    if (opts.headers) req = req.set(opts.headers);
    if (opts.type) req = req.type(opts.type);
    const res = opts.raw !== undefined ? await req.send(opts.raw) : opts.body !== undefined ? await req.send(opts.body as object) : await req;
    const c = contractOf(routes, method, path);
    expect(c, `${method.toUpperCase()} ${path}: no contract`).to.not.equal(undefined);
    expect(breach(c!, res), `${method.toUpperCase()} ${path}`).to.equal(null);
    checked.add(`${c!.method.toUpperCase()} ${c!.path} ${res.status}`);
    return res;
  }

  const anchored = (logId: LogId) =>
    eventually(async () => {
      const head = await t.sys.store.logHead(logId);
      const waiting = await t.sys.store.countUnsequenced(logId);
      const cp = await t.sys.store.latestCheckpoint(logId, 'confirmed');
      return waiting.count === 0 && head.size > 0 && cp?.size === head.size;
    }, 60_000, 200);

  before(async () => {
    t = await bootTestApp();
    routes = routeContractsOf(t.app);
    lab = await registerLab(t.sys, reportInput().lab.cmaNumber);
    producer = await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS);
    market = await registerDepartment(t.sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(t.sys, 2, '安康市农业农村局');
  });
  after(async () => t?.sys.stop());

  it('When the app is made, Then every route it serves under /api/v1 has a contract, each operation id once', () => {
    expect(routes.length).to.be.greaterThan(40);
    const ids = routes.map((c) => c.operationId);
    expect(new Set(ids).size).to.equal(ids.length);
  });

  describe('writes', () => {
    it('When a producer submits batches, Then the 201, 400, 401 and 403 answers are as declared', async () => {
      const ok = await call('post', '/api/v1/batches', { headers: bearer(producer.token), body: batchInputNow({ id: 'CT-B-1', commissionedLabs: [reportInput().lab.cmaNumber] }) });
      expect(ok.status).to.equal(201);
      batchId = ok.body.id as string;
      expect((await call('post', '/api/v1/batches', { headers: bearer(producer.token), body: { ...batchInputNow({ id: 'CT-B-2' }), lot: 7 } })).body.error.code).to.equal('invalid-record');
      expect((await call('post', '/api/v1/batches', { body: batchInputNow({ id: 'CT-B-3' }) })).status).to.equal(401);
      expect((await call('post', '/api/v1/batches', { headers: admin(), body: batchInputNow({ id: 'CT-B-3' }) })).status).to.equal(403);
      expect((await call('post', `/api/v1/batches/${batchId}/commissions`, { headers: bearer(producer.token), body: { labCmaNumber: 'nope' } })).status).to.equal(400);
      await registerLab(t.sys, '202727050999');
      const commissioned = await call('post', `/api/v1/batches/${batchId}/commissions`, { headers: bearer(producer.token), body: { labCmaNumber: '202727050999' } });
      expect(commissioned.status, commissioned.text).to.equal(201);
      expect((await call('post', `/api/v1/batches/${batchId}/commissions`, { headers: bearer(producer.token), body: { labCmaNumber: '202727050999' } })).status).to.equal(409);
    });

    it('When a CSV is imported, Then the 201, 422 and 400 answers are as declared', async () => {
      const sample = fs.readFileSync(path.join(__dirname, '../../../scripts/samples/batches.csv'), 'utf8');
      const [header, first, second] = sample.split('\n');
      const imported = await call('post', '/api/v1/batches/import', { headers: bearer(producer.token), type: 'text/csv', raw: `${header}\n${first}\n` });
      expect(imported.status, imported.text).to.equal(201);
      const refused = await call('post', '/api/v1/batches/import', { headers: bearer(producer.token), type: 'text/csv', raw: `${header}\n${second!.replace(',tea,', ',,')}\n` });
      expect(refused.status, refused.text).to.equal(422);
      expect((await call('post', '/api/v1/batches/import', { headers: bearer(producer.token), type: 'text/plain', raw: 'x' })).status).to.equal(400);
      expect((await call('post', '/api/v1/batches/import?partial=maybe', { headers: bearer(producer.token), type: 'text/csv', raw: 'x' })).status).to.equal(400);
    });

    it('When a lab submits a report, Then the 201 and 400 answers are as declared', async () => {
      const sub = await signedReport(t.sys, lab.key, { batchId });
      const ok = await call('post', '/api/v1/reports', { body: { record: sub.record, salts: sub.salts, signature: sub.signature } });
      expect(ok.status, ok.text).to.equal(201);
      reportId = ok.body.id as string;
      expect((await call('post', '/api/v1/reports', { body: { record: sub.record, salts: sub.salts, signature: '0x12' } })).body.error.code).to.equal('invalid-input');
      expect((await call('post', '/api/v1/reports', { body: { record: { ...sub.record, analyte: 'Zn' }, salts: sub.salts, signature: sub.signature } })).body.error.code).to.equal('invalid-record');
      expect((await call('post', '/api/v1/reports', { body: { record: sub.record, salts: sub.salts, signature: sub.signature } })).status).to.equal(409);
    });

    it('When a lab submits reports in bulk, Then the 200 (accepted and refused outcomes) and 400 answers are as declared', async () => {
      const sub = await signedReport(t.sys, lab.key, { batchId });
      const ok = await call('post', '/api/v1/reports/bulk', { body: { reports: [{ record: sub.record, salts: sub.salts, signature: sub.signature }, { record: sub.record, salts: sub.salts, signature: '0x12' }] } });
      expect(ok.status, ok.text).to.equal(200);
      expect(ok.body.results.map((r: { status: number }) => r.status)).to.deep.equal([201, 400]);
      expect((await call('post', '/api/v1/reports/bulk', { body: { reports: [] } })).body.error.code).to.equal('invalid-input');
    });

    it('When departments submit share steps over HTTP, Then the 201 (with its receipt) and 400 answers are as declared', async () => {
      const base = {
        step: 'request',
        requestingDepartment: market.ref,
        providingDepartment: agriculture.ref,
        catalogueItem: { id: 'AK-NY-0042', version: '2025.1' },
        shareClass: 'conditional',
        legalBasis: '《政务数据共享条例》第十五条',
        purpose: '富硒产品抽检结果与产地备案信息比对',
        scenario: '市场监管部门对富硒茶产品开展质量抽检',
        fieldsRequested: ['producerUscc', 'origin'],
        scope: '安康市紫阳县',
        method: 'api',
        securityLevel: 'general',
        requestingOfficer: { name: '赵敏', title: '科长' },
      };
      const now = Math.floor(Date.now() / 1000);
      const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const input = { ...base, ...market.next(), id: market.idOf('req-ct'), issuedAt: iso(now - 5), requestedAt: iso(now - 5), validity: { from: iso(now - 86_400), to: iso(now + 86_400 * 90) } };
      const sub = await signedShareStep(t.sys, market.key, input);
      const ok = await call('post', '/api/v1/shares', { body: { record: sub.record, salts: sub.salts, signature: sub.signature } });
      expect(ok.status, ok.text).to.equal(201);
      market.seq = 1;
      market.prevHash = ok.body.leafHash as string;
      shares.push(ok.body.id as string);
      const reply = await agriculture.reply(market, { id: 'rep-ct', requestId: ok.body.id as string });
      const delivery = await agriculture.deliver(market, { id: 'del-ct', requestId: ok.body.id as string, replyId: reply.id });
      shares.push(reply.id, delivery.id);
      expect((await call('post', '/api/v1/shares', { body: { record: { ...sub.record, seq: 0 }, salts: sub.salts, signature: sub.signature } })).body.error.code).to.equal('invalid-record');
      expect((await call('post', '/api/v1/shares', { body: { record: sub.record } })).body.error.code).to.equal('invalid-input');
      await anchored('products');
      await anchored('data-sharing');
    });

    it('When the operator manages participants and tokens, Then the 201, 200, 400, 401, 403 and 404 answers are as declared', async () => {
      const key = Wallet.createRandom();
      const from = new Date(Date.now() + 60_000).toISOString();
      const until = new Date(Date.now() + 86_400_000 * 30).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const added = await call('post', `/api/v1/participants/${lab.id}/keys`, { headers: admin(), body: { address: key.address, validFrom: from, validTo: until } });
      expect(added.status, added.text).to.equal(201);
      expect((await call('delete', `/api/v1/participants/${lab.id}/keys/${key.address}`, { headers: admin() })).status).to.equal(200);
      expect((await call('post', '/api/v1/participants', { headers: admin(), body: { kind: 'lab', name: 'x' } })).status).to.equal(400);
      const registered = await call('post', '/api/v1/participants', { headers: admin(), body: { kind: 'department', name: '安康市第9部门', uscc: departmentUscc(9) } });
      expect(registered.status, registered.text).to.equal(201);
      expect((await call('post', '/api/v1/participants', { headers: admin(), body: { kind: 'department', name: '安康市第9部门', uscc: departmentUscc(9) } })).status).to.equal(409);
      expect((await call('post', '/api/v1/participants', { body: { kind: 'lab', name: 'x' } })).status).to.equal(401);
      expect((await call('post', '/api/v1/participants', { headers: bearer(producer.token), body: { kind: 'lab', name: 'x' } })).status).to.equal(403);
      expect((await call('post', `/api/v1/participants/${producer.id}/product-keys`, { headers: admin(), body: { key: '6955555' } })).status).to.equal(201);
      const issued = await call('post', '/api/v1/tokens', { headers: admin(), body: { producerId: producer.id, label: 'contract test' } });
      expect(issued.status).to.equal(201);
      expect((await call('delete', `/api/v1/tokens/${issued.body.tokenHash as string}`, { headers: admin() })).status).to.equal(200);
      expect((await call('delete', `/api/v1/tokens/${'0'.repeat(64)}`, { headers: admin() })).status).to.equal(404);
      expect((await call('post', `/api/v1/admin/labs/${lab.id}/spot-check`, { headers: admin(), body: { until } })).status).to.equal(201);
      expect((await call('delete', `/api/v1/admin/labs/${lab.id}/spot-check`, { headers: admin() })).status).to.equal(200);
    });
  });

  describe('reads', () => {
    it('When records, bundles and revocations are read, Then the 200, 400, 401 and 404 answers are as declared', async () => {
      for (const id of [batchId, reportId, ...shares]) {
        expect((await call('get', `/api/v1/records/${id}`)).status).to.equal(200);
        expect((await call('get', `/api/v1/records/${id}`, { headers: admin() })).status).to.equal(200);
      }
      expect((await call('get', `/api/v1/records/${batchId}/bundle?download=1`)).status).to.equal(200);
      expect((await call('get', `/api/v1/records/${shares[0]!}/bundle`)).status).to.equal(401);
      expect((await call('get', `/api/v1/records/${shares[0]!}/bundle`, { headers: admin() })).status).to.equal(200);
      expect((await call('get', '/api/v1/records/NOPE-1')).status).to.equal(404);
      expect((await call('get', '/api/v1/records/%20bad')).status).to.equal(400);
      expect((await call('get', `/api/v1/batches/${batchId}`)).status).to.equal(200);
      expect((await call('get', `/api/v1/batches/${batchId}/commissions`)).status).to.equal(200);
      expect((await call('get', '/api/v1/batches?limit=2')).status).to.equal(200);
      expect((await call('get', '/api/v1/batches', { headers: bearer(producer.token) })).status).to.equal(200);
      expect((await call('get', '/api/v1/batches?limit=0')).status).to.equal(400);
      expect((await call('get', '/api/v1/batches?limit[]=1')).status).to.equal(400);
      expect((await call('get', `/api/v1/reports/${reportId}`)).status).to.equal(200);
      expect((await call('get', '/api/v1/reports/NOPE-1')).status).to.equal(404);
      expect((await call('get', '/api/v1/batches/NOPE-1')).status).to.equal(404);
      expect((await call('get', '/api/v1/batches/NOPE-1/commissions')).status).to.equal(404);
      expect((await call('get', `/api/v1/revocations/${reportId}`)).status).to.equal(404);
      expect((await call('post', '/api/v1/revocations', { headers: admin(), body: { recordId: reportId, reason: 'data-error' } })).status).to.equal(400);
      const revoked = await call('post', '/api/v1/revocations', { headers: admin(), body: { recordId: reportId, reason: 'sample-mismatch' } });
      expect(revoked.status, revoked.text).to.equal(201);
      expect((await call('post', '/api/v1/revocations', { headers: admin(), body: { recordId: reportId, reason: 'sample-mismatch' } })).status).to.equal(409);
      expect((await call('get', `/api/v1/revocations/${reportId}`)).status).to.equal(200);
      // The lab's own signed revocation, relayed: the regulator's does not stand in its way.
      const leafHash = (await call('get', `/api/v1/records/${reportId}`)).body.leafHash as string;
      const signed = async (key: Wallet) => {
        const deadline = Math.floor(Date.now() / 1000) + 600;
        const domain = revocationDomain(t.sys.deployment.chainId, t.sys.deployment.revocationRegistry);
        return { recordId: reportId, reason: 'issued-in-error', deadline, signature: await signRevocation(key, domain, { leafHash, reasonCode: revocationReasonNumber('issued-in-error'), deadline }) };
      };
      expect((await call('post', '/api/v1/revocations/signed', { body: await signed(Wallet.createRandom() as unknown as Wallet) })).status).to.equal(403);
      const byLab = await signed(lab.key);
      expect((await call('post', '/api/v1/revocations/signed', { body: byLab })).status).to.equal(201);
      expect((await call('post', '/api/v1/revocations/signed', { body: byLab })).status).to.equal(409);
      expect((await call('post', '/api/v1/revocations/signed', { body: { ...byLab, recordId: 'NOPE-1' } })).status).to.equal(404);
      expect((await call('post', '/api/v1/revocations/signed', { body: { ...byLab, deadline: 'soon' } })).status).to.equal(400);
      expect((await call('get', `/api/v1/reports/${reportId}`)).status).to.equal(200);
    });

    it('When labels are read, Then the PNG, SVG and PDF answers and their refusals are as declared', async () => {
      expect((await call('get', `/api/v1/batches/${batchId}/qr.png?size=128`)).status).to.equal(200);
      expect((await call('get', `/api/v1/batches/${batchId}/qr.png?size=1024`)).status).to.equal(401);
      expect((await call('get', `/api/v1/batches/${batchId}/qr.png?size=big`)).status).to.equal(400);
      expect((await call('get', `/api/v1/batches/${batchId}/qr.svg`)).status).to.equal(200);
      expect((await call('get', `/api/v1/labels.pdf?ids=${batchId}`)).status).to.equal(200);
      expect((await call('get', '/api/v1/labels.pdf?ids=NOPE')).status).to.equal(404);
      expect((await call('get', '/api/v1/labels.pdf')).status).to.equal(400);
    });

    it('When participants, departments, trails, alerts and logs are read, Then every answer is as declared', async () => {
      expect((await call('get', '/api/v1/participants?kind=lab')).status).to.equal(200);
      expect((await call('get', '/api/v1/participants?kind=bank')).status).to.equal(400);
      expect((await call('get', `/api/v1/participants/${lab.id}`)).status).to.equal(200);
      expect((await call('get', `/api/v1/participants/0x${'00'.repeat(32)}`)).status).to.equal(404);
      expect((await call('get', `/api/v1/participants/${producer.id}/product-keys`)).status).to.equal(200);
      expect((await call('get', `/api/v1/keys/${lab.key.address}`)).status).to.equal(200);
      expect((await call('get', '/api/v1/tokens', { headers: admin() })).status).to.equal(200);
      expect((await call('get', '/api/v1/tokens', { headers: bearer(producer.token) })).status).to.equal(403);
      expect((await call('get', `/api/v1/keys/0x${'00'.repeat(20)}`)).status).to.equal(404);
      expect((await call('get', `/api/v1/labs/${lab.id}/reports?limit=5`)).status).to.equal(200);
      expect((await call('get', `/api/v1/labs/${producer.id}/reports`)).status).to.equal(404);
      expect((await call('get', '/api/v1/departments')).status).to.equal(200);
      for (const d of [market.id, agriculture.uscc]) {
        expect((await call('get', `/api/v1/departments/${d}/head`)).status).to.equal(200);
        expect((await call('get', `/api/v1/departments/${d}/trail?limit=10`)).status).to.equal(200);
        expect((await call('get', `/api/v1/departments/${d}/trail`, { headers: admin() })).status).to.equal(200);
        expect((await call('get', `/api/v1/departments/${d}/trail/verify`)).status).to.equal(200);
        expect((await call('get', `/api/v1/departments/${d}/audit-report`, { headers: admin() })).status).to.equal(200);
        expect((await call('get', `/api/v1/departments/${d}/audit-report?format=csv`, { headers: admin() })).status).to.equal(200);
      }
      expect((await call('get', `/api/v1/departments/${market.id}/trail?from=5&to=1`)).status).to.equal(400);
      expect((await call('get', `/api/v1/departments/0x${'11'.repeat(32)}/head`)).status).to.equal(404);
      expect((await call('get', '/api/v1/departments/nobody/head')).status).to.equal(400);
      expect((await call('get', `/api/v1/departments/${market.id}/audit-report`)).status).to.equal(401);
      expect((await call('get', `/api/v1/shares/${shares[0]!}`)).status).to.equal(200);
      expect((await call('get', `/api/v1/shares/${shares[0]!}`, { headers: admin() })).status).to.equal(200);
      expect((await call('get', `/api/v1/shares/${shares[0]!}/receipt`)).status).to.equal(200);
      expect((await call('get', '/api/v1/shares/NOPE-1')).status).to.equal(404);
      expect((await call('get', '/api/v1/shares/NOPE-1/receipt')).status).to.equal(404);
      expect((await call('get', `/api/v1/departments/0x${'11'.repeat(32)}/trail/verify`)).status).to.equal(404);
      expect((await call('get', `/api/v1/departments/0x${'11'.repeat(32)}/trail`)).status).to.equal(404);
      expect((await call('get', '/api/v1/alerts', { headers: admin() })).status).to.equal(200);
      expect((await call('get', '/api/v1/alerts', { headers: bearer(producer.token) })).status).to.equal(403);
      const matched = await call('post', `/api/v1/deliveries/${shares[2]!}/check`, { headers: admin(), body: { sha256: '5e'.repeat(32), rowCount: 1287 } });
      expect(matched.status, matched.text).to.equal(200);
      expect(matched.body.match).to.equal(true);
      const uploaded = await call('post', `/api/v1/deliveries/${shares[2]!}/check?rowCount=1`, { headers: admin(), type: 'application/octet-stream', raw: 'a,b\n1,2\n' });
      expect(uploaded.status, uploaded.text).to.equal(200);
      expect(uploaded.body.match).to.equal(false);
      expect((await call('post', `/api/v1/deliveries/${shares[2]!}/check`, { headers: admin(), body: { sha256: 'zz' } })).status).to.equal(400);
      expect((await call('post', `/api/v1/deliveries/${shares[0]!}/check`, { headers: admin(), body: { sha256: '5e'.repeat(32) } })).status).to.be.oneOf([404, 422]);
      expect((await call('get', '/api/v1/logs/products/inclusion?index=0&size=1')).status).to.equal(200);
      expect((await call('get', '/api/v1/logs/products/consistency?size1=1&size2=2')).status).to.equal(200);
      expect((await call('get', '/api/v1/logs/nope/consistency?size1=1&size2=2')).status).to.equal(400);
      expect((await call('get', '/api/v1/logs/data-sharing/monitor', { headers: admin() })).status).to.equal(200);
    });

    it('When the operations endpoints and the chain relay are called, Then their answers are as declared', async () => {
      expect((await call('get', '/healthz')).status).to.equal(200);
      expect((await call('get', '/metrics')).status).to.equal(401);
      expect((await call('get', '/metrics', { headers: admin() })).status).to.equal(200);
      expect((await call('get', '/api/v1/chain')).status).to.equal(200);
      expect((await call('get', '/openapi.json')).status).to.equal(200);
      expect((await call('post', '/api/v1/chain/rpc', { body: { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] } })).status).to.equal(200);
      expect((await call('post', '/api/v1/chain/rpc', { body: [] })).status).to.equal(400);
      expect((await call('post', '/api/v1/chain/rpc', { type: 'text/plain', raw: 'x' })).status).to.equal(415);
    });

    it('When the answers are counted, Then every route was checked with a success, and most with an error answer', () => {
      const ops = (ok: boolean) => new Set([...checked].filter((k) => (Number(k.split(' ').pop()) < 300) === ok).map((k) => k.split(' ').slice(0, 2).join(' ')));
      const success = ops(true);
      const failure = ops(false);
      const missing = routes.map((c) => `${c.method.toUpperCase()} ${c.path}`).filter((r) => !success.has(r));
      console.log(`      contracts: ${checked.size} (route, status) pairs checked; ${success.size} of ${routes.length} routes with a success, ${failure.size} with an error answer; no success checked: ${missing.join(', ') || 'none'}`);
      expect(missing, 'a route added without a request in this test').to.deep.equal([]);
      expect(failure.size).to.be.greaterThan(routes.length * 0.6);
    });
  });

  describe('/openapi.json', () => {
    let doc: OpenApiDocument;
    before(async () => {
      doc = (await request(t.app).get('/openapi.json')).body as OpenApiDocument;
    });

    it('When it is generated, Then it is the contracts: one operation per contract, with the security schemes of its callers and its declared answers', () => {
      const ops = Object.values(doc.paths).flatMap((item) => Object.values(item));
      expect(ops).to.have.length(routes.length);
      console.log(`      openapi.json: ${Object.keys(doc.paths).length} paths, ${ops.length} operations, ${Object.keys(doc.components.schemas).length} component schemas, ${JSON.stringify(doc).length} bytes`);
      expect(doc.components.securitySchemes).to.have.keys('adminToken', 'producerToken', 'labToken', 'departmentToken', 'registrarToken', 'regulatorToken', 'auditorToken', 'metricsToken');
      expect(doc.paths['/api/v1/revocations']!.post!.security).to.deep.equal([{ regulatorToken: [] }, { adminToken: [] }]);
      expect(doc.paths['/api/v1/alerts']!.get!.security).to.deep.equal([{ auditorToken: [] }, { regulatorToken: [] }, { departmentToken: [] }, { adminToken: [] }]);
      const createBatch = doc.paths['/api/v1/batches']!.post!;
      expect(createBatch.security).to.deep.equal([{ producerToken: [] }]);
      expect(Object.keys(createBatch.responses)).to.include.members(['201', '400', '401', '403', '409', '413', '429']);
      expect(createBatch.responses['400']!.content!['application/json']!.schema).to.deep.equal({ $ref: '#/components/schemas/Error' });
      expect(createBatch.requestBody!.content['application/json']!.schema).to.deep.equal({ $ref: '#/components/schemas/BatchInput' });
      expect(doc.paths['/api/v1/batches']!.get!.security).to.deep.equal([{}, { producerToken: [] }, { adminToken: [] }]);
      expect(doc.paths['/metrics']!.get!.security).to.deep.equal([{ metricsToken: [] }, { adminToken: [] }]);
      expect(doc.components.schemas.SignedReport!.properties).to.have.keys('type', 'record', 'salts', 'signature');
      // The report route checks only the envelope itself, and documents the whole body (the record's schema by name).
      expect(doc.paths['/api/v1/reports']!.post!.requestBody!.content['application/json']!.schema).to.deep.equal({ $ref: '#/components/schemas/SignedReport' });
      expect((doc.components.schemas.SignedReport!.properties as Record<string, unknown>).record).to.deep.equal({ $ref: '#/components/schemas/SeleniumTestReport' });
    });

    it('When a route takes a body that is not JSON or answers one, Then its media type is declared', () => {
      expect(doc.paths['/api/v1/batches/import']!.post!.requestBody!.content).to.have.keys('text/csv');
      expect(doc.paths['/api/v1/deliveries/{id}/check']!.post!.requestBody!.content).to.have.keys('application/json', 'application/octet-stream');
      expect(doc.paths['/api/v1/deliveries/{id}/check']!.post!.requestBody!.content['application/octet-stream']!.schema).to.include({ type: 'string', format: 'binary' });
      expect(doc.paths['/api/v1/labels.pdf']!.get!.responses['200']!.content).to.have.keys('application/pdf');
      expect(doc.paths['/api/v1/batches/{id}/qr.png']!.get!.responses['200']!.content).to.have.keys('image/png');
      expect(doc.paths['/api/v1/departments/{id}/audit-report']!.get!.responses['200']!.content).to.have.keys('application/json', 'text/csv');
    });

    it('When a query schema is read, Then its parameters are documented with their constraints and defaults', () => {
      const list = doc.paths['/api/v1/batches']!.get!.parameters!;
      expect(list.map((p) => p.name)).to.deep.equal(['limit', 'after', 'producer', 'order', 'q', 'lot', 'gtin', 'category', 'from', 'to']);
      expect(list[0]).to.deep.include({ in: 'query', required: false });
      expect(list[0]!.schema).to.include({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
      const inclusion = doc.paths['/api/v1/logs/{logId}/inclusion']!.get!.parameters!;
      expect(inclusion.find((p) => p.name === 'logId')).to.deep.include({ in: 'path', required: true });
      expect(inclusion.find((p) => p.name === 'size')).to.deep.include({ required: true });
    });
  });
});

describe('server/http route contracts (no system)', () => {
  it('When a query gives a read parameter twice or with brackets, Then it is refused; other keys are left alone', () => {
    expect(() => assertPlainQuery({ limit: ['1', '2'] }, ['limit'])).to.throw('limit: must be given once');
    expect(() => assertPlainQuery({ 'limit[]': '1' }, ['limit'])).to.throw('limit: must be given once');
    expect(() => assertPlainQuery({ limit: { a: '1' } }, ['limit'])).to.throw('limit: must be given once');
    expect(() => assertPlainQuery({ limit: '1', other: ['a', 'b'], 'x[]': '1' }, ['limit'])).to.not.throw();
  });

  it('When a body contract checks an envelope and names the whole schema, Then a sound envelope passes as is, and a refusal names the whole schema\'s issues', () => {
    const whole = z.strictObject({ record: z.strictObject({ n: z.number() }), sig: z.string() });
    const envelope = z.strictObject({ record: z.record(z.string(), z.unknown()), sig: z.string() });
    const refused = (err: z.ZodError) => new AppError('invalid-input', err.issues.map((i) => `${i.path.join('.')}: ${i.code}`).join('; '));
    const body = { schema: envelope, whole, invalid: refused };
    // The record is not looked into here: the next stage validates it.
    expect(parseJsonBody(body, { record: { n: 'x', more: 1 }, sig: 's' })).to.deep.equal({ record: { n: 'x', more: 1 }, sig: 's' });
    // A refusal is the whole schema's: the record's issues are named with the envelope's.
    expect(() => parseJsonBody(body, { record: { n: 'x' }, sig: 1 })).to.throw('record.n: invalid_type; sig: invalid_type');
    expect(() => parseJsonBody({ schema: envelope, invalid: refused }, { record: { n: 'x' }, sig: 1 })).to.throw(/^sig: invalid_type$/);
    // A whole schema that accepts what the envelope refuses (a mistake) still refuses, with the envelope's issues.
    expect(() => parseJsonBody({ schema: envelope, whole: z.unknown(), invalid: refused }, { record: 1, sig: 's' })).to.throw('record: invalid_type');
  });

  it('When a schema is named twice, Then registering it throws', () => {
    const name = `Twice${Date.now()}`;
    component(name, z.string());
    expect(() => component(name, z.number())).to.throw(`component ${name} is named twice`);
  });

  it('When a document is generated from contracts, Then unnamed schemas are written inline and named ones referenced', () => {
    const Thing = component(`Thing${Date.now()}`, z.object({ a: z.string() }));
    const shared = z.object({ n: z.number() });
    const routes: RouteContract[] = [
      { method: 'get', path: '/x/:id', operationId: 'x', summary: 'x', tags: [], auth: ['anyone'], params: z.object({ id: z.string() }), responses: { 200: { description: 'ok', content: { 'application/json': z.object({ thing: Thing, s: shared, list: z.array(shared) }) } } } },
    ];
    const doc = openApiDocument(routes, 'http://localhost');
    const schema = doc.paths['/x/{id}']!.get!.responses['200']!.content!['application/json']!.schema as { properties: Record<string, unknown> };
    expect(schema.properties.thing).to.deep.equal({ $ref: `#/components/schemas/${[...Object.keys(doc.components.schemas)].find((n) => n.startsWith('Thing'))}` });
    expect(schema.properties.s).to.deep.include({ type: 'object' });
    expect(JSON.stringify(doc)).to.not.contain('~inline~');
  });
});
