import { expect } from 'chai';
import fs from 'node:fs';
import { NonceManager, type Wallet } from 'ethers';
import pino from 'pino';
import { AnchoringWorker, ChainDivergenceError, chainLogId, type WorkerOptions } from '../../../server/anchoring/worker';
import type { AnchorChain } from '../../../server/chain/types';
import { startAnvil } from '../../../server/chain/anvil';
import { RpcChainReader } from '../../../server/chain/reader';
import type { TraceLedgerChain } from '../../../server/chain/traceledger';
import { checkHealth } from '../../../server/service/health';
import { buildBundle } from '../../../server/service/bundles';
import { redeployContracts } from '../../../server/service/redeploy';
import type { System } from '../../../server/system';
import type { LogId } from '../../../server/store/types';
import { verifyBundle } from '../../../server/verification/verify';
import { bootTestSystem, eventually, registerLab, sequenceAll, tempDir } from '../../support/system';
import { bootConsumerSystem, submitBatch, submitReport } from '../../support/batches';
import { verifyBatchForConsumer } from '../../../server/service/consumer';
import { signedReport, storeReportBatch } from '../../support/records';
import { buildTrail } from '../../support/trail-build';
import { registerDepartment } from '../../support/trails';
import { GENESIS_PREV_HASH } from '../../../server/records';

const LOG: LogId = 'products';

function workerFor(sys: System, chain: AnchorChain = sys.chain) {
  return new AnchoringWorker(sys.store, chain, { logIds: [LOG], everyEntries: 1, everySeconds: 0, confirmations: 1, pollMs: 50, logger: pino({ level: 'silent' }) });
}

/** Sends the anchor transaction, then "dies" before the worker can record it. */
class CrashAfterSend implements AnchorChain {
  sent: string[] = [];
  constructor(private readonly inner: AnchorChain) {}
  get chainId() {
    return this.inner.chainId;
  }
  get contract() {
    return this.inner.contract;
  }
  latest = (id: string) => this.inner.latest(id);
  rootAt = (id: string, size: number) => this.inner.rootAt(id, size);
  txOutcome = (h: string) => this.inner.txOutcome(h);
  findAnchor = (id: string, size: number) => this.inner.findAnchor(id, size);
  async sendAnchor(id: string, size: number, root: string, proof: readonly string[]): Promise<{ txHash: string }> {
    const r = await this.inner.sendAnchor(id, size, root, proof);
    this.sent.push(r.txHash);
    throw new Error('simulated crash after sending');
  }
}

/** The products log's size after the batch the reports are for (stored first, commissioning their lab) and `reports` reports. */
const size = (reports: number) => 1 + reports;

async function submitReports(sys: System, key: Wallet, n: number) {
  const acks = [];
  for (let i = 0; i < n; i++) acks.push(await sys.ingest.submitSigned(await signedReport(sys, key)));
  return acks;
}

/** The database and the chain agree: one confirmed checkpoint per anchored size, the chain's latest is ours, every entry sequenced once. */
async function expectConsistent(sys: System, expectedSize: number) {
  const onChain = await sys.chain.latest(chainLogId(LOG));
  const confirmed = await sys.store.listCheckpoints(LOG, 'confirmed');
  const head = await sys.store.logHead(LOG);
  expect(head.size).to.equal(expectedSize);
  expect(onChain.size).to.equal(expectedSize);
  expect(confirmed.at(-1)?.size).to.equal(expectedSize);
  expect(confirmed.at(-1)?.root).to.equal(onChain.root);
  expect(new Set(confirmed.map((c) => c.size)).size).to.equal(confirmed.length);
  const leaves = await sys.store.leafHashes(LOG, 0, expectedSize);
  expect(new Set(leaves.map((l) => Buffer.from(l).toString('hex'))).size).to.equal(expectedSize);
}

describe('server/anchoring/worker (real anvil node)', function () {
  this.timeout(180_000);

  describe('crash recovery', () => {
    let sys: System;
    let lab: { id: string; key: Wallet };
    beforeEach(async () => {
      sys = await bootTestSystem({ manualWorker: true });
      lab = await registerLab(sys);
      await storeReportBatch(sys);
    });
    afterEach(async () => sys?.stop());

    it('When the worker dies after sending the transaction but before recording it, Then a restart ends with one consistent checkpoint', async () => {
      await submitReports(sys, lab.key, 3);
      const crashing = new CrashAfterSend(sys.chain);
      const first = workerFor(sys, crashing);
      await first.reconcile(LOG);
      await first.tick(LOG).catch(() => undefined);
      expect(crashing.sent).to.have.length(1);
      expect((await sys.store.latestCheckpoint(LOG))?.status).to.equal('pending');

      const restarted = workerFor(sys);
      await restarted.start();
      await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(3));
      await restarted.stop();
      await expectConsistent(sys, size(3));
      expect(await sys.store.listCheckpoints(LOG, 'pending')).to.have.length(0);
    });

    it('When the worker dies after the chain confirmed but before the database did, Then the restart adopts the chain checkpoint and anchors the rest', async () => {
      await submitReports(sys, lab.key, 2);
      const crashing = new CrashAfterSend(sys.chain);
      const first = workerFor(sys, crashing);
      await first.reconcile(LOG);
      await first.tick(LOG).catch(() => undefined);
      await eventually(async () => (await sys.chain.latest(chainLogId(LOG))).size === size(2));
      // The crashed checkpoint is still pending in the database; more records arrive meanwhile.
      await submitReports(sys, lab.key, 2);

      const restarted = workerFor(sys);
      await restarted.start();
      await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(4));
      await restarted.stop();
      await expectConsistent(sys, size(4));
    });

    it('When the worker is killed after cutting a checkpoint but before sending, Then the restart sends it exactly once', async () => {
      await submitReports(sys, lab.key, 2);
      const w = workerFor(sys);
      await w.reconcile(LOG);
      await sequenceAll(sys.store, LOG);
      const head = await sys.store.logHead(LOG);
      await sys.store.putCheckpoint({ logId: LOG, size: head.size, root: '0x' + Buffer.from(head.root).toString('hex'), status: 'pending' });

      const restarted = workerFor(sys);
      await restarted.start();
      await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(2));
      await restarted.stop();
      await expectConsistent(sys, size(2));
      expect((await sys.store.latestCheckpoint(LOG, 'confirmed'))?.attempts).to.equal(1);
    });

    it('When the chain holds a checkpoint this database cannot reproduce, Then the worker refuses to start and says why', async () => {
      await submitReports(sys, lab.key, 1);
      await sys.chain.sendAnchor(chainLogId(LOG), 1, '0x' + 'ab'.repeat(32), []);
      let err: unknown;
      try {
        await workerFor(sys).start();
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ChainDivergenceError);
      expect((err as Error).message).to.match(/size 1 has root 0xabab.*refusing to anchor/);
    });
  });

  describe('chain outages and resets', () => {
    it('When the chain node dies, Then records are still accepted meanwhile, and the supervisor restarts it and they are anchored, with no restart of the system', async () => {
      // Background saves off: what survives the kill is what the barrier saved before acknowledging it.
      const sys = await bootTestSystem({ env: { ANCHOR_EVERY_ENTRIES: '2', ANCHOR_EVERY_SECONDS: '1' }, embeddedChain: { saveIntervalMs: 0, restartMinMs: 1000 } });
      try {
        const lab = await registerLab(sys);
        await storeReportBatch(sys);
        await submitReports(sys, lab.key, 2);
        await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(2));

        await sys.anvil!.kill();
        const during = await submitReports(sys, lab.key, 3);
        expect(during.every((a) => a.status === 'accepted')).to.equal(true);

        await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(5), 60_000);
        expect(sys.embeddedChain!.status().restarts).to.equal(1);
        await expectConsistent(sys, size(5));
        const bundle = await buildBundle(sys.store, sys.deployment, during[2]!.id);
        const result = await verifyBundle(bundle, { chain: new RpcChainReader(sys.provider, sys.deployment) });
        expect(result.verdict, JSON.stringify(result.steps)).to.equal('valid');
      } finally {
        await sys.stop();
      }
    });

    it('When the chain is reset, Then the next start refuses; after a redeploy it re-anchors the whole log from the chain head', async () => {
      const dataDir = tempDir();
      const sys1 = await bootTestSystem({ dataDir });
      const lab = await registerLab(sys1);
      await storeReportBatch(sys1);
      const acks = await submitReports(sys1, lab.key, 5);
      await eventually(async () => (await sys1.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(5));
      await sys1.stop();
      // Both saves of the chain state (the file and its previous copy): otherwise the start falls back to the copy.
      fs.rmSync(sys1.config.chainStatePath);
      fs.rmSync(`${sys1.config.chainStatePath}.prev`, { force: true });

      const refusal = await bootTestSystem({ dataDir }).then(
        (s) => s.stop().then(() => null),
        (e: Error) => e,
      );
      expect(refusal?.message).to.contain('the contracts are gone');
      const redeployed = await bootTestSystem({ dataDir, manualWorker: true, redeploy: async (ctx) => (await redeployContracts(ctx)).deployment });
      await redeployed.stop();

      const sys2 = await bootTestSystem({ dataDir });
      try {
        await eventually(async () => (await sys2.chain.latest(chainLogId(LOG))).size === size(5), 60_000);
        await eventually(async () => (await sys2.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(5));
        // The checkpoint now points at a transaction of the new chain, not the lost one.
        const cp = await sys2.store.latestCheckpoint(LOG, 'confirmed');
        expect(await sys2.provider.getTransactionReceipt(cp!.txHash!)).to.not.equal(null);
        const bundle = await buildBundle(sys2.store, sys2.deployment, acks[0]!.id);
        const onChain = await sys2.chain.verifyInclusion(bundle.log.chainLogId, bundle.checkpoint!.size, bundle.log.leafIndex!, bundle.log.leafHash, bundle.log.inclusionProof);
        expect(onChain).to.equal(true);
      } finally {
        await sys2.stop();
      }
    });
  });
});

/** Counts the worker's passes that reach the chain (each send attempt first reads the chain's latest checkpoint) and its sends. */
class CountingChain implements AnchorChain {
  latestCalls = 0;
  sends = 0;
  constructor(private readonly inner: TraceLedgerChain) {}
  get chainId() {
    return this.inner.chainId;
  }
  get contract() {
    return this.inner.contract;
  }
  latest = (id: string) => {
    this.latestCalls++;
    return this.inner.latest(id);
  };
  rootAt = (id: string, size: number) => this.inner.rootAt(id, size);
  txOutcome = (h: string) => this.inner.txOutcome(h);
  findAnchor = (id: string, size: number) => this.inner.findAnchor(id, size);
  resyncNonce = () => this.inner.resyncNonce();
  sendAnchor = (id: string, size: number, root: string, proof: readonly string[]) => {
    this.sends++;
    return this.inner.sendAnchor(id, size, root, proof);
  };
}

describe('server/anchoring/worker: nonces, lag and backoff (real anvil node)', function () {
  this.timeout(180_000);

  it("When the operator's cached nonce went stale (a transaction sent from its key outside the worker), Then anchoring still converges without a restart", async () => {
    const sys = await bootTestSystem({ env: { ANCHOR_EVERY_ENTRIES: '1', ANCHOR_EVERY_SECONDS: '0' } });
    try {
      const lab = await registerLab(sys);
      await storeReportBatch(sys);
      await submitReports(sys, lab.key, 1);
      await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(1));
      // The same key, bypassing the worker's signer: its locally counted nonce is now one too low.
      await (await sys.operator.wallet.sendTransaction({ to: sys.operatorAddress, value: 0n })).wait();
      await submitReports(sys, lab.key, 2);
      await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(3), 60_000);
      await expectConsistent(sys, size(3));
      const cp = await sys.store.latestCheckpoint(LOG, 'confirmed');
      expect(await sys.provider.getTransactionReceipt(cp!.txHash!)).to.not.equal(null);
    } finally {
      await sys.stop();
    }
  });

  it('When the node stops in the middle of a send, Then the next send re-reads the nonce (no gap left behind) and anchoring converges once the node is back, without a restart', async () => {
    const sys = await bootTestSystem({ manualWorker: true });
    let again: Awaited<ReturnType<typeof startAnvil>> | undefined;
    try {
      const lab = await registerLab(sys);
      await storeReportBatch(sys);
      const chain = new CountingChain(sys.chain);
      const inner = chain.sendAnchor;
      // The node goes away after the worker read the chain's checkpoint, while it sends: the signer had counted a nonce for it.
      chain.sendAnchor = async (...args) => {
        if (chain.sends === 1) await sys.anvil!.stop();
        return inner(...args);
      };
      // stuckAfterMs stays at its default (120 s): convergence must not come from resending a stuck transaction.
      const w = new AnchoringWorker(sys.store, chain, { logIds: [LOG], everyEntries: 1, everySeconds: 0, confirmations: 1, pollMs: 50, logger: pino({ level: 'silent' }) });
      await w.start();
      try {
        await submitReports(sys, lab.key, 2);
        w.poke();
        await eventually(async () => chain.sends >= 1 && (await sys.store.latestCheckpoint(LOG))?.lastError);
        again = await startAnvil({ port: sys.anvil!.port, statePath: sys.config.chainStatePath });
        await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(2), 60_000);
      } finally {
        await w.stop();
      }
      await expectConsistent(sys, size(2));
    } finally {
      await sys.stop();
      await again?.stop();
    }
  });

  it('When an anchor transaction waits behind a nonce gap, Then after stuckAfterMs the worker re-reads the nonce and sends it again', async () => {
    const sys = await bootTestSystem({ manualWorker: true });
    try {
      const lab = await registerLab(sys);
      await storeReportBatch(sys);
      // A signer that counts nonces locally (the system's own reads the node's count under its lock, so it leaves no
      // gap): one counted for a transaction the node never took, what a send that failed midway leaves.
      const counting = new NonceManager(sys.operator.wallet);
      counting.increment();
      const w = new AnchoringWorker(sys.store, sys.chain.with(counting), {
        logIds: [LOG],
        everyEntries: 1,
        everySeconds: 0,
        confirmations: 1,
        pollMs: 50,
        stuckAfterMs: 1000,
        logger: pino({ level: 'silent' }),
      });
      await w.start();
      try {
        await submitReports(sys, lab.key, 2);
        await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(2), 60_000);
      } finally {
        await w.stop();
      }
      await expectConsistent(sys, size(2));
    } finally {
      await sys.stop();
    }
  });

  it('When the node is down, Then anchoring converges once it is back without a restart, and /healthz is degraded meanwhile and ok after', async () => {
    const sys = await bootTestSystem({ manualWorker: true, env: { ANCHOR_LAG_DEGRADED_SECONDS: '1' } });
    let again: Awaited<ReturnType<typeof startAnvil>> | undefined;
    try {
      const lab = await registerLab(sys);
      await storeReportBatch(sys);
      const w = new AnchoringWorker(sys.store, sys.chain, { logIds: [LOG], everyEntries: 1, everySeconds: 0, confirmations: 1, pollMs: 50, logger: pino({ level: 'silent' }) });
      await w.start();
      try {
        await submitReports(sys, lab.key, 1);
        await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(1));
        expect((await checkHealth(sys)).status).to.equal('ok');

        await sys.anvil!.stop();
        await submitReports(sys, lab.key, 2);
        w.poke();
        const lagging = await eventually(async () => {
          const h = await checkHealth(sys);
          return !h.anchoring.ok && h;
        });
        expect(lagging.status).to.equal('degraded');
        expect(lagging.anchoring.lagSeconds).to.be.greaterThan(1);
        expect(lagging.anchoring.lastError).to.be.a('string');

        again = await startAnvil({ port: sys.anvil!.port, statePath: sys.config.chainStatePath });
        await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(3), 60_000);
        await expectConsistent(sys, size(3));
        const h = await checkHealth(sys);
        expect(h.status, JSON.stringify(h)).to.equal('ok');
        expect(h.anchoring).to.deep.equal({ ok: true });
      } finally {
        await w.stop();
      }
    } finally {
      await sys.stop();
      await again?.stop();
    }
  });

  it('When records keep arriving while the node is down, Then pokes do not cut the backoff short: attempts follow the backoff schedule, not the records', async () => {
    const sys = await bootTestSystem({ manualWorker: true });
    let again: Awaited<ReturnType<typeof startAnvil>> | undefined;
    try {
      const lab = await registerLab(sys);
      await storeReportBatch(sys);
      let records = 0;
      const chain = new CountingChain(sys.chain);
      const w = new AnchoringWorker(sys.store, chain, { logIds: [LOG], everyEntries: 1, everySeconds: 0, confirmations: 1, pollMs: 50, logger: pino({ level: 'silent' }) });
      await w.start();
      try {
        // The batch stored above is anchored first (stop() saves the chain state before the node ends, time enough for a send).
        await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(0));
        const sendsBefore = chain.sends;
        await sys.anvil!.stop();
        const before = chain.latestCalls;
        // 3 s of records and pokes every 10 ms: 300 pokes. Backing off from 50 ms (100, 200, 400, 800, 1600, ...)
        // allows about 6 attempts in that time; the bound leaves room for slow failures but not for one per poke.
        const until = Date.now() + 3000;
        let pokes = 0;
        while (Date.now() < until) {
          if (pokes % 20 === 0) {
            await submitReports(sys, lab.key, 1);
            records++;
          }
          w.poke();
          pokes++;
          await new Promise((r) => setTimeout(r, 10));
        }
        const attempts = chain.latestCalls - before;
        expect(attempts, `${attempts} attempts for ${pokes} pokes`).to.be.within(1, 10);
        expect(chain.sends).to.equal(sendsBefore);

        again = await startAnvil({ port: sys.anvil!.port, statePath: sys.config.chainStatePath });
        await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === size(records), 60_000);
      } finally {
        await w.stop();
      }
      await expectConsistent(sys, size(records));
    } finally {
      await sys.stop();
      await again?.stop();
    }
  });
});

describe('server/anchoring/worker: requests to the node (real anvil node)', function () {
  this.timeout(120_000);

  it('When a checkpoint is anchored, Then what can be asked together is (nonce with gas estimate and fees, the receipt with the head block): 4 requests, where one at a time took 8', async () => {
    const sys = await bootTestSystem({ manualWorker: true, env: { ANCHOR_EVERY_ENTRIES: '1', ANCHOR_EVERY_SECONDS: '0' } });
    try {
      await storeReportBatch(sys);
      const size = (await sys.store.countUnsequenced(LOG)).count;
      expect(size).to.equal(1);
      const requests: string[][] = [];
      const onDebug = (e: { action: string; payload?: { method: string } | { method: string }[] }) => {
        if (e.action === 'sendRpcPayload' && e.payload) requests.push((Array.isArray(e.payload) ? e.payload : [e.payload]).map((p) => p.method));
      };
      await sys.provider.on('debug', onDebug);
      try {
        await sys.worker.tick(LOG);
      } finally {
        await sys.provider.off('debug', onDebug);
      }
      expect((await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size).to.equal(size);
      const together = (...methods: string[]) => requests.some((r) => methods.every((m) => r.includes(m)));
      expect(together('eth_getTransactionCount', 'eth_estimateGas', 'eth_maxPriorityFeePerGas'), JSON.stringify(requests)).to.equal(true);
      expect(together('eth_getTransactionReceipt', 'eth_getBlockByNumber'), JSON.stringify(requests)).to.equal(true);
      expect(requests.length, JSON.stringify(requests)).to.be.at.most(4);
      // What the checkpoint records is what the chain says: its block and that block's time.
      const cp = (await sys.store.latestCheckpoint(LOG, 'confirmed'))!;
      const block = await sys.provider.getBlock(cp.blockNumber!);
      expect(cp.blockTime).to.equal(block!.timestamp);
      const receipt = await sys.provider.getTransactionReceipt(cp.txHash!);
      expect(receipt!.blockNumber).to.equal(cp.blockNumber);
    } finally {
      await sys.stop();
    }
  });
});

describe('server/anchoring/worker: a backlog larger than one pass (real anvil node)', function () {
  this.timeout(180_000);
  const TRAIL: LogId = 'data-sharing';

  /**
   * A system whose data-sharing log has `n` accepted records, none sequenced, and a worker for it: by default
   * appending at most 4 a transaction, cutting every 10 entries or after an hour, polling every minute (were the
   * loop to wait that out between passes, a test would time out) and a pass running for as long (all it finds).
   */
  async function backlog(n: number, opts: Partial<WorkerOptions> = {}) {
    const sys = await bootTestSystem({ manualWorker: true });
    const dept = await registerDepartment(sys, 1);
    await sys.store.insertRecords(buildTrail(sys, dept.id, dept.key, 1, n, GENESIS_PREV_HASH).map((s) => s.record));
    const worker = new AnchoringWorker(sys.store, sys.chain, { logIds: [TRAIL], everyEntries: 10, everySeconds: 3600, confirmations: 1, pollMs: 60_000, sequenceBatch: 4, logger: pino({ level: 'silent' }), ...opts });
    return { sys, worker };
  }

  it('When passes end with records still waiting, Then each says so, and a checkpoint is cut only once one is due (everyEntries waiting), not after every pass', async () => {
    // Passes of one transaction each (4 records), the time allowed a pass being none.
    const { sys, worker } = await backlog(40, { sequencePassMs: 0 });
    try {
      const seen: [number, number | undefined][] = [];
      for (let pass = 0; pass < 10; pass++) {
        expect(await worker.tick(TRAIL), `pass ${pass + 1}`).to.equal(true);
        seen.push([(await sys.store.logHead(TRAIL)).size, (await sys.store.latestCheckpoint(TRAIL, 'confirmed'))?.size]);
      }
      // 10 entries waiting make a checkpoint due: at 12 (4, 8, 12), then at 24 and 36.
      expect(seen).to.deep.equal([[4, undefined], [8, undefined], [12, 12], [16, 12], [20, 12], [24, 24], [28, 24], [32, 24], [36, 36], [40, 36]]);
      // None left: the pass says so; 4 < everyEntries with an hour to go, so no checkpoint yet.
      expect(await worker.tick(TRAIL)).to.equal(false);
      expect((await sys.store.latestCheckpoint(TRAIL, 'confirmed'))?.size).to.equal(36);
      expect((await sys.store.countUnsequenced(TRAIL)).count).to.equal(0);
    } finally {
      await sys.stop();
    }
  });

  it('When a pass ends with records still waiting, Then the running worker goes on at once rather than after its poll interval', async () => {
    const { sys, worker } = await backlog(40, { sequencePassMs: 0 });
    try {
      const t0 = Date.now();
      await worker.start();
      await eventually(async () => (await sys.store.latestCheckpoint(TRAIL, 'confirmed'))?.size === 36, 30_000);
      expect(Date.now() - t0).to.be.below(30_000);
      await eventually(async () => (await sys.store.logHead(TRAIL)).size === 40);
    } finally {
      await worker.stop();
      await sys.stop();
    }
  });

  it('When records wait longer than a pass may run (sequencing only just keeps up with a stream), Then the pass ends on time and the checkpoint due is cut behind it', async () => {
    const { sys, worker } = await backlog(40, { sequencePassMs: 200, everyEntries: 1000, everySeconds: 0, sequenceBatch: 1 });
    try {
      // Transactions of one record, each 20 ms or more apart (a busy event loop): all 40 would take 800 ms or more.
      const sequence = sys.store.sequencePending.bind(sys.store);
      sys.store.sequencePending = async (logId, max) => {
        await new Promise((r) => setTimeout(r, 20));
        return sequence(logId, max);
      };
      expect(await worker.tick(TRAIL)).to.equal(true);
      const { size } = await sys.store.logHead(TRAIL);
      expect(size).to.be.within(1, 39);
      expect((await sys.store.latestCheckpoint(TRAIL, 'confirmed'))?.size).to.equal(size);
    } finally {
      await sys.stop();
    }
  });
});

/** A pino logger whose lines the test can read. */
function recordingPino() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { logger, lines };
}

describe('server/anchoring/worker: a chain that loses blocks while the worker runs (real anvil node)', function () {
  this.timeout(180_000);

  it('When the chain loses a confirmed checkpoint (evm_revert), Then the running worker re-anchors it within a few passes, and bundles and the consumer view verify against the new anchor', async () => {
    const f = await bootConsumerSystem();
    const { sys } = f;
    const { logger, lines } = recordingPino();
    const w = new AnchoringWorker(sys.store, sys.chain, { logIds: [LOG], everyEntries: 1, everySeconds: 0, confirmations: 1, pollMs: 50, chainCheckEveryMs: 200, logger });
    try {
      const batch = await submitBatch(f);
      await w.start();
      await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === 1);
      const snapshot = (await sys.provider.send('evm_snapshot', [])) as string;
      const report = await submitReport(f, batch.id);
      w.poke();
      await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === 2);
      const lost = (await sys.store.latestCheckpoint(LOG, 'confirmed'))!;
      expect((await verifyBatchForConsumer(f.ctx, batch.id)).anchor).to.deep.include({ txHash: lost.txHash, blockNumber: lost.blockNumber });

      // The chain loses the block of the second anchor and mines another in its place; the operator's nonce count is left as it was.
      expect(await sys.provider.send('evm_revert', [snapshot])).to.equal(true);
      await sys.provider.send('evm_mine', []);
      expect((await sys.chain.latest(chainLogId(LOG))).size).to.equal(1);

      // The resent transaction may have the lost one's hash (same nonce, same data), but not its block.
      await eventually(async () => {
        const cp = await sys.store.latestCheckpoint(LOG, 'confirmed');
        return cp?.size === 2 && cp.blockNumber !== lost.blockNumber && (await sys.chain.latest(chainLogId(LOG))).size === 2;
      }, 60_000);
      await expectConsistent(sys, 2);
      const cp = (await sys.store.latestCheckpoint(LOG, 'confirmed'))!;
      expect((await sys.provider.getTransactionReceipt(cp.txHash!))?.blockNumber).to.equal(cp.blockNumber);
      const warning = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('the chain no longer holds the confirmed checkpoint'));
      expect(warning, JSON.stringify(lines.map((l) => l.msg))).to.deep.include({ logId: LOG, lostSizes: [2], chainSize: 1 });

      const bundle = await buildBundle(sys.store, sys.deployment, report.id);
      expect(bundle.checkpoint).to.deep.include({ size: 2, txHash: cp.txHash, blockNumber: cp.blockNumber });
      const result = await verifyBundle(bundle, { chain: new RpcChainReader(sys.provider, sys.deployment) });
      expect(result.verdict, JSON.stringify(result.steps)).to.equal('valid');
      const view = await verifyBatchForConsumer(f.ctx, batch.id);
      expect(view.verdict, JSON.stringify(view.steps)).to.equal('valid');
      expect(view.anchor).to.deep.include({ txHash: cp.txHash, blockNumber: cp.blockNumber });
    } finally {
      await w.stop();
      await sys.stop();
    }
  });

  it('When the system asks for a chain check (after a node restart), Then checkChain finds the lost checkpoint at once, whatever the check period', async () => {
    const f = await bootConsumerSystem();
    const { sys } = f;
    const w = new AnchoringWorker(sys.store, sys.chain, { logIds: [LOG], everyEntries: 1, everySeconds: 0, confirmations: 1, pollMs: 50, chainCheckEveryMs: 0, logger: pino({ level: 'silent' }) });
    try {
      const snapshot = (await sys.provider.send('evm_snapshot', [])) as string;
      await submitBatch(f);
      await w.start();
      await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === 1);
      expect(await sys.provider.send('evm_revert', [snapshot])).to.equal(true);
      await new Promise((r) => setTimeout(r, 500)); // several passes: with the period off, none of them looks
      expect((await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size).to.equal(1);

      await w.checkChain();

      expect((await sys.store.listCheckpoints(LOG)).map((c) => c.status)).to.not.include('confirmed');
      await eventually(async () => (await sys.store.latestCheckpoint(LOG, 'confirmed'))?.size === 1 && (await sys.chain.latest(chainLogId(LOG))).size === 1, 60_000);
      await expectConsistent(sys, 1);
    } finally {
      await w.stop();
      await sys.stop();
    }
  });
});
