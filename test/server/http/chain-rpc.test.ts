/**
 * POST /api/v1/chain/rpc (real anvil, a real HTTP server): the consumer's browser reads the chain through it when
 * PUBLIC_RPC_URL is unset. It answers what the verifier reads and refuses everything else without forwarding it.
 */
import type http from 'node:http';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import request from 'supertest';
import { freePort } from '../../../server/chain/anvil';
import { createApp } from '../../../server/http/app';
import { CHAIN_RPC_MAX_BATCH } from '../../../server/http/routes/chain-rpc';
import { fetchTransport, JsonRpcChainReader, verifyBundle } from '../../../server/verification';
import { anchorAll, bootConsumerSystem, submitBatch, submitReport, type ConsumerFixture } from '../../support/batches';

const ROUTE = '/api/v1/chain/rpc';

describe('server/http chain rpc relay (real anvil node, real HTTP server)', function () {
  this.timeout(120_000);
  let f: ConsumerFixture;
  let server: http.Server;
  let base: string;
  let app: ReturnType<typeof createApp>;

  const rpc = async (body: unknown) => {
    const res = await fetch(base + ROUTE, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: number; message: string }; result?: unknown } };
  };
  const call = (to: string, data: string, id: number | string = 1) => ({ jsonrpc: '2.0', id, method: 'eth_call', params: [{ to, data }, 'latest'] });
  /** participantRegistry() on TraceLedger: a call the verifier makes. */
  const PARTICIPANT_REGISTRY = '0x9e9ca591';

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    f = await bootConsumerSystem({ env: { PORT: String(port), PUBLIC_BASE_URL: base, RATE_LIMIT_CHAIN_RPC_PER_MINUTE: '0' } });
    app = createApp(f.ctx);
    server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(port, '127.0.0.1', () => resolve(s));
    });
  });
  after(async () => {
    await new Promise((r) => server?.close(r));
    await f?.sys.stop();
  });

  it('When PUBLIC_RPC_URL is unset, Then GET /api/v1/chain and the consumer page name the relay as the chain endpoint', async () => {
    const chain = await request(app).get('/api/v1/chain');
    expect(chain.body.publicRpcUrl).to.equal(`${base}${ROUTE}`);
    const b = await submitBatch(f);
    const page = await request(app).get(`/b/${b.id}`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain(`"rpc":"${base}${ROUTE}"`);
    // A page served under another host name may read through it too (CORS preflight).
    const preflight = await request(app).options(ROUTE).set('Origin', 'http://other.example').set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).to.equal(204);
    expect(preflight.headers['access-control-allow-origin']).to.equal('*');
    expect(page.headers['content-security-policy']).to.match(new RegExp(`connect-src [^;]*${base.replace(/[.]/g, '\\.')}`));
  });

  it("When the verifier reads the chain through the relay, Then a lab's anchored report verifies with every chain step passed", async () => {
    const b = await submitBatch(f);
    const r = await submitReport(f, b.id);
    await anchorAll(f.sys);
    const bundle = (await request(app).get(`/api/v1/records/${r.id}/bundle`)).body as unknown;
    const d = f.sys.deployment;
    const chain = new JsonRpcChainReader(fetchTransport(`${base}${ROUTE}`), { traceLedger: d.traceLedger });
    const result = await verifyBundle(bundle, { chain, trustRoot: { chainId: d.chainId, traceLedger: d.traceLedger } });
    expect(result.verdict, JSON.stringify(result.steps)).to.equal('valid');
    expect(result.chainChecked).to.equal(true);
    const steps = Object.fromEntries(result.steps.map((s) => [s.step, s.status]));
    for (const step of ['checkCheckpointOnChain', 'checkSigner', 'checkNotRevoked']) expect(steps[step], step).to.equal('passed');
  });

  it('When it is asked for eth_chainId, eth_blockNumber and a batch, Then it answers each with the client’s ids', async () => {
    const d = f.sys.deployment;
    const one = await rpc({ jsonrpc: '2.0', id: 'a', method: 'eth_chainId', params: [] });
    expect(one.body).to.deep.equal({ jsonrpc: '2.0', id: 'a', result: `0x${d.chainId.toString(16)}` });
    const batch = await rpc([{ jsonrpc: '2.0', id: 7, method: 'eth_blockNumber' }, call(d.traceLedger, PARTICIPANT_REGISTRY, 8), { jsonrpc: '2.0', id: 9, method: 'eth_accounts', params: [] }]);
    const answers = batch.body as unknown as { id: number; result?: string; error?: { code: number } }[];
    expect(answers.map((a) => a.id)).to.deep.equal([7, 8, 9]);
    expect(answers[0]!.result).to.match(/^0x[0-9a-f]+$/);
    expect(answers[1]!.result!.toLowerCase()).to.equal(`0x${d.participantRegistry.slice(2).toLowerCase().padStart(64, '0')}`);
    expect(answers[2]!.error!.code).to.equal(-32601);
  });

  it('When it is asked to send a transaction, change state or call anything else, Then it refuses with a JSON-RPC error and the node never sees it', async () => {
    const d = f.sys.deployment;
    const stranger = Wallet.createRandom().address;
    const before = await f.sys.provider.getBalance(stranger);
    const refused: [string, unknown, number][] = [
      ['eth_sendTransaction', { jsonrpc: '2.0', id: 1, method: 'eth_sendTransaction', params: [{ from: f.sys.operatorAddress, to: stranger, value: '0x1' }] }, -32601],
      ['eth_sendRawTransaction', { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: ['0x00'] }, -32601],
      ['anvil_setBalance', { jsonrpc: '2.0', id: 1, method: 'anvil_setBalance', params: [stranger, '0xffff'] }, -32601],
      ['debug_traceCall', { jsonrpc: '2.0', id: 1, method: 'debug_traceCall', params: [] }, -32601],
      ['eth_call to another address', call(stranger, PARTICIPANT_REGISTRY), -32602],
      ['eth_call of a function verification does not read (grantRole)', call(d.traceLedger, '0x2f2ff15d' + '0'.repeat(128)), -32602],
      ['eth_call with a from and a value', { jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: d.traceLedger, data: PARTICIPANT_REGISTRY, from: stranger, value: '0x1' }, 'latest'] }, -32602],
      ['eth_call at another block with state overrides', { jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: d.traceLedger, data: PARTICIPANT_REGISTRY }, 'latest', { [stranger]: { balance: '0x1' } }] }, -32602],
      ['not a call object', 42, -32600],
    ];
    for (const [what, body, code] of refused) {
      const res = await rpc(body);
      expect(res.status, what).to.equal(200);
      expect(res.body.error?.code, what).to.equal(code);
      expect(res.body).to.not.have.property('result');
    }
    expect(await f.sys.provider.getBalance(stranger)).to.equal(before);
  });

  it('When the body is not JSON, too large, or the batch empty or too long, Then a 4xx with a JSON-RPC error', async () => {
    const notJson = await fetch(base + ROUTE, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":' });
    expect(notJson.status).to.equal(400);
    expect(((await notJson.json()) as { error: { code: number } }).error.code).to.equal(-32700);
    const big = await fetch(base + ROUTE, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(20_000) }) });
    expect(big.status).to.equal(413);
    expect((await rpc([])).status).to.equal(400);
    const long = await rpc(Array.from({ length: CHAIN_RPC_MAX_BATCH + 1 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId' })));
    expect(long.status).to.equal(400);
    const gz = await fetch(base + ROUTE, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip' });
    expect(gz.status).to.be.within(400, 499);
  });

  it('When one client exceeds RATE_LIMIT_CHAIN_RPC_PER_MINUTE, Then it gets 429 with a JSON-RPC error', async () => {
    const limited = createApp({ ...f.ctx, sys: { ...f.sys, config: { ...f.sys.config, RATE_LIMIT_CHAIN_RPC_PER_MINUTE: 3 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await request(limited).post(ROUTE).send({ jsonrpc: '2.0', id: i, method: 'eth_chainId' })).status);
    expect(statuses).to.deep.equal([200, 200, 200, 429, 429]);
    const res = await request(limited).post(ROUTE).send({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' });
    expect(res.body.error.code).to.equal(-32005);
  });
});
