/*
 * The system on more than one EVM implementation, each an external chain reached through RPC_URL: anvil, Hardhat
 * Network (`hardhat node`), and a FISCO BCOS profile (a JSON-RPC proxy in front of anvil: batches of at most 8,
 * block times in milliseconds, gas price 0 and legacy transactions only, a paris EVM). On each: deploy, register,
 * report, anchor, the consumer's verification, revocation, and a department's share trail.
 */
import { expect } from 'chai';
import { Wallet } from 'ethers';
import request from 'supertest';
import { chainLogId } from '../../../server/anchoring/worker';
import { AppError } from '../../../server/errors';
import { createApp } from '../../../server/http/app';
import { revocationReasonNumber } from '../../../server/records/record-types';
import { verifyBatchForConsumer } from '../../../server/service/consumer';
import { buildBundle } from '../../../server/service/bundles';
import { onChain } from '../../../server/service/chain-errors';
import { RpcChainReader } from '../../../server/chain/reader';
import { verifyTrail } from '../../../server/trails/trail';
import { verifyBundle } from '../../../server/verification/verify';
import { JsonRpcChainReader } from '../../../server/verification/json-rpc';
import { anchorAll, bootConsumerSystem, submitBatch, submitReport, type ConsumerFixture } from '../../support/batches';
import { CHAIN_KINDS, fundedKey, startExternalChain, type ExternalChain } from '../../support/chain';
import { FISCO_CHAIN_ID, FISCO_MAX_BATCH, startFiscoProxy, type FiscoProxy } from '../../support/fisco-proxy';
import { signedReport, storeReportBatch } from '../../support/records';
import { USCC } from '../records/fixtures';
import { eventually, REGISTERED_SINCE, registerLab } from '../../support/system';
import { completeShare, registerDepartment } from '../../support/trails';

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** How far a block's time may be from the test's clock: Hardhat Network moves one second per block when blocks come faster. */
const CLOCK_SLACK_SECONDS = 300;

/** Boots the real system with RPC_URL at `rpcUrl` and an operator key funded through `fundUrl` (the node itself, or the anvil behind a proxy). */
async function bootOn(rpcUrl: string, fundUrl = rpcUrl): Promise<ConsumerFixture> {
  return bootConsumerSystem({ env: { RPC_URL: rpcUrl, SIGNER_KEY: await fundedKey(fundUrl), CONFIRMATIONS: '1' } });
}

/** Drives the worker until every accepted data-sharing record is in a confirmed checkpoint. */
async function anchorShares(f: ConsumerFixture): Promise<void> {
  await eventually(async () => {
    await f.sys.worker.tick('data-sharing');
    const head = await f.sys.store.logHead('data-sharing');
    const cp = await f.sys.store.latestCheckpoint('data-sharing', 'confirmed');
    return head.size > 0 && cp?.size === head.size;
  });
}

/** The flows every chain must carry; `fixture` is read once the suite's `before` has booted it. */
function coreFlows(fixture: () => ConsumerFixture, chainId: () => number): void {
  it('When the system boots on it, Then the contracts are deployed there and the lab is registered with its key', async () => {
    const f = fixture();
    expect(f.sys.deployment.chainId).to.equal(chainId());
    expect(await f.sys.provider.getCode(f.sys.deployment.traceLedger)).to.not.equal('0x');
    const reader = JsonRpcChainReader.fromUrl(f.sys.rpcUrl, { traceLedger: f.sys.deployment.traceLedger });
    expect(await reader.isValidSigner(f.lab.key.address, 'lab', nowSeconds())).to.equal(true);
    expect(await reader.isValidSigner(f.lab.key.address, 'lab', nowSeconds() - REGISTERED_SINCE - 60)).to.equal(false);
    // The participant mirror holds the registry's times in seconds.
    const mirrored = await f.sys.store.getParticipant(f.lab.id);
    expect(mirrored?.data.registeredAt as number).to.be.closeTo(nowSeconds(), CLOCK_SLACK_SECONDS);
    expect(mirrored?.validFrom).to.be.closeTo(nowSeconds() - REGISTERED_SINCE, CLOCK_SLACK_SECONDS);
  });

  it("When a registry transaction breaks a rule, Then the node's revert is decoded to the contract's error and its code, times in seconds", async () => {
    const f = fixture();
    const now = nowSeconds();
    const duplicate = await onChain('adding key', () => f.sys.registries.addKey(f.lab.id, f.lab.key.address, now - 60, now + 600)).catch((e: unknown) => e as AppError);
    expect(duplicate).to.be.instanceOf(AppError);
    expect(duplicate).to.include({ code: 'conflict' });
    expect((duplicate as AppError).message).to.match(/ParticipantRegistryDuplicateKey/);

    const backDated = await onChain('adding key', () => f.sys.registries.addKey(f.lab.id, Wallet.createRandom().address, now - 7200, now + 600)).catch((e: unknown) => e as AppError);
    expect(backDated).to.include({ code: 'window-starts-in-past' });
    const [, from, earliest] = /ParticipantRegistryWindowStartsInPast\((\d+), (\d+)\)/.exec((backDated as AppError).message) ?? [];
    expect(Number(from)).to.equal(now - 7200);
    expect(Number(earliest)).to.be.closeTo(now - 3600, CLOCK_SLACK_SECONDS);

    // The operator's nonce survives the refusals: the next write goes through.
    await f.sys.registries.addKey(f.lab.id, Wallet.createRandom().address, now - 60, now + 600);
  });

  it('When a batch and its signed report are anchored, Then the consumer view and the CLI/browser verifier say valid, anchored now', async () => {
    const f = fixture();
    const batch = await submitBatch(f);
    const report = await submitReport(f, batch.id);
    await anchorAll(f.sys);

    const view = await verifyBatchForConsumer(f.ctx, batch.id);
    expect(view.verdict, JSON.stringify(view.steps)).to.equal('valid');
    expect(view.reports[0]?.verdict).to.equal('valid');
    expect(view.anchor?.blockTime).to.be.a('number');
    expect(view.anchor!.blockTime!).to.be.closeTo(nowSeconds(), CLOCK_SLACK_SECONDS);

    const reader = JsonRpcChainReader.fromUrl(f.sys.rpcUrl, { traceLedger: f.sys.deployment.traceLedger });
    const r = await verifyBundle(await buildBundle(f.sys.store, f.sys.deployment, report.id), { chain: reader });
    expect(r.verdict, JSON.stringify(r.steps)).to.equal('valid');
    expect(r.anchor!.blockTime!).to.be.closeTo(nowSeconds(), CLOCK_SLACK_SECONDS);
    // The server's own record of the anchoring block (its API answers blockTime from it) is in seconds too.
    expect((await f.sys.store.latestCheckpoint('products', 'confirmed'))?.blockTime).to.be.closeTo(nowSeconds(), CLOCK_SLACK_SECONDS);
    const onChain = await new RpcChainReader(f.sys.provider, f.sys.deployment).latest(chainLogId('products'));
    expect(onChain.anchoredAt).to.be.closeTo(nowSeconds(), CLOCK_SLACK_SECONDS);
  });

  it('When the regulator revokes the report, Then the consumer view says revoked, revoked now', async () => {
    const f = fixture();
    const batch = await submitBatch(f);
    const report = await submitReport(f, batch.id);
    await anchorAll(f.sys);
    expect((await verifyBatchForConsumer(f.ctx, batch.id)).verdict).to.equal('valid');

    await f.sys.registries.revokeRecord(report.leafHash, revocationReasonNumber('sample-mismatch'));
    await f.sys.mirror.sync();
    const view = await verifyBatchForConsumer(f.ctx, batch.id);

    expect(view.verdict).to.equal('revoked');
    expect(view.reports[0]?.revocation?.reason).to.equal('sample-mismatch');
    expect(Date.parse(view.reports[0]!.revocation!.revokedAt) / 1000).to.be.closeTo(nowSeconds(), CLOCK_SLACK_SECONDS);
  });

  it("When two departments complete a share, Then its steps are anchored and each department's trail verifies", async () => {
    const f = fixture();
    const market = await registerDepartment(f.sys, 1);
    const agri = await registerDepartment(f.sys, 2);
    await completeShare(market, agri, `chains-${Date.now()}`);
    await anchorShares(f);

    const deps = { store: f.sys.store, reader: new RpcChainReader(f.sys.provider, f.sys.deployment), deployment: f.sys.deployment };
    for (const d of [market, agri]) {
      const v = await verifyTrail(deps, d.id);
      expect(v.verdict, JSON.stringify(v.steps)).to.equal('valid');
      expect(v.entries).to.equal(2);
    }
  });
}

for (const kind of CHAIN_KINDS) {
  describe(`the system on ${kind} as an external chain (RPC_URL)`, function () {
    this.timeout(240_000);
    let node: ExternalChain;
    let f: ConsumerFixture;

    before(async () => {
      node = await startExternalChain(kind);
      f = await bootOn(node.rpcUrl);
    });
    after(async () => {
      await f?.sys.stop();
      await node?.stop();
    });

    coreFlows(() => f, () => 31337);
  });
}

describe('the system on a FISCO BCOS profile (JSON-RPC proxy: batches of 8, ms block times, gas price 0, paris)', function () {
  this.timeout(240_000);
  let proxy: FiscoProxy;
  let f: ConsumerFixture;

  before(async () => {
    proxy = await startFiscoProxy();
    f = await bootOn(proxy.url, proxy.upstream.rpcUrl);
  });
  after(async () => {
    await f?.sys.stop();
    await proxy?.stop();
  });

  coreFlows(() => f, () => FISCO_CHAIN_ID);

  it('When the system has run, Then block headers counted milliseconds, and it sent legacy transactions and no batch over 8', async () => {
    const head = await f.sys.provider.getBlock('latest');
    expect(head!.timestamp).to.be.greaterThan(1e12);
    expect(head!.baseFeePerGas).to.equal(null);
    expect(proxy.stats.transactions).to.be.greaterThan(10);
    expect(proxy.stats.typedTransactionsRefused).to.equal(0);
    expect(proxy.stats.batchesRefused).to.equal(0);
    expect(proxy.stats.longestBatch).to.be.at.most(FISCO_MAX_BATCH);
  });

  it("When the server's provider has 20 reads in flight at once (as a mirror sync over many participants does), Then it asks in batches of at most 8 and every read is answered", async () => {
    const refusedBefore = proxy.stats.batchesRefused;
    const addresses = Array.from({ length: 20 }, () => Wallet.createRandom().address);

    const balances = await Promise.all(addresses.map((a) => f.sys.provider.getBalance(a)));

    expect(balances).to.have.length(20);
    expect(balances.every((b) => b === 0n)).to.equal(true);
    expect(proxy.stats.batchesRefused).to.equal(refusedBefore);
    expect(proxy.stats.longestBatch).to.equal(FISCO_MAX_BATCH);
  });

  it("When a lab key's window (seconds, on a chain counting ms) has ended, Then its report is refused as key-expired; inside the window it was accepted", async () => {
    const now = nowSeconds();
    const cma = '202727050456';
    const key = Wallet.createRandom() as unknown as Wallet;
    const until = now + 12;
    await registerLab(f.sys, cma, key, { from: now - REGISTERED_SINCE, to: until });
    const batch = await storeReportBatch(f.sys, { batchId: `${USCC.producer}-CHAINS-${Date.now()}`, labs: [cma], producerId: f.producerId });

    const inside = await f.sys.ingest.submitSigned(await signedReport(f.sys, key, { batchId: batch.id }));
    expect(inside.id).to.be.a('string');

    while (nowSeconds() <= until) await new Promise((r) => setTimeout(r, 250));
    let code: string | undefined;
    await f.sys.ingest.submitSigned(await signedReport(f.sys, key, { batchId: batch.id })).catch((e: { code?: string }) => (code = e.code));
    expect(code).to.equal('key-expired');
  });

  it('When the relay POST /api/v1/chain/rpc gets a batch of 20 calls, Then the node is asked in batches of 8 and all 20 are answered', async () => {
    const app = createApp(f.ctx);
    const calls = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? { jsonrpc: '2.0', id: i, method: 'eth_blockNumber', params: [] } : { jsonrpc: '2.0', id: i, method: 'eth_chainId', params: [] }));
    const refusedBefore = proxy.stats.batchesRefused;

    const res = await request(app).post('/api/v1/chain/rpc').send(calls).expect(200);

    const answers = res.body as { id: number; result?: string; error?: unknown }[];
    expect(answers).to.have.length(20);
    expect(answers.every((a) => typeof a.result === 'string')).to.equal(true);
    expect(answers.filter((a) => a.id % 2 === 1).every((a) => Number(a.result) === FISCO_CHAIN_ID)).to.equal(true);
    expect(proxy.stats.batchesRefused).to.equal(refusedBefore);
  });

  it('When a type-2 transaction or a batch of 9 is sent to the proxy, Then it refuses them (the profile itself)', async () => {
    const wallet = new Wallet(await fundedKey(proxy.upstream.rpcUrl));
    const raw = await wallet.signTransaction({ type: 2, chainId: FISCO_CHAIN_ID, nonce: 0, to: wallet.address, value: 0, gasLimit: 21_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0 });
    const one = await fetch(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [raw] }) });
    expect(((await one.json()) as { error?: { message: string } }).error?.message).to.match(/legacy transactions only/);
    const nine = Array.from({ length: 9 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId', params: [] }));
    const batch = await fetch(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(nine) });
    expect(((await batch.json()) as { error?: { message: string } }).error?.message).to.match(/at most 8/);
  });
});
