/**
 * Fault: three server instances on one PostgreSQL database and one chain, as a city runs them behind a load
 * balancer. Signed load goes to all three in turn; the anchoring leader is killed with kill -9 in the middle of it.
 * Another instance must take the lease over within the stated time (LEADER_LEASE_MS + LEADER_RENEW_MS) and anchor
 * on; nothing acknowledged is lost or stored twice; the chain holds one consistent sequence of checkpoints (each
 * anchor names the size of the one before, and each root is the database's tree at that size); every department's
 * trail still verifies; every proof bundle handed out still verifies.
 */
import { expect } from 'chai';
import { freePort, startAnvil, type AnvilNode } from '../../server/chain/anvil';
import { TraceLedger__factory } from '../../typechain-types';
import { JsonRpcProvider } from 'ethers';
import { chainLogId } from '../../server/anchoring/worker';
import { LOG_IDS } from '../../server/store/types';
import { fundedKey } from '../support/chain';
import { freshDatabase } from '../support/postgres';
import { tempDir } from '../support/system';
import { FAULT_ADMIN_TOKEN, HandedOut, ServerProcess, SignedLoad, convergence, lostAndDuplicatedIn, report, request, setUpWorld, sleep, waitUntil } from './harness';
import { openStore } from '../../server/store';
import { loadConfig } from '../../server/config';
import { LogTree } from '../../server/ledger/tree';
import { toHex0x } from '../../server/crypto/bytes';

const LEASE_MS = 3000;
const RENEW_MS = 500;
/** The stated takeover time: a dead leader's lease lapses, and the next renewal round of another instance takes it. */
const TAKEOVER_MS = LEASE_MS + RENEW_MS;

interface Part {
  leader: boolean;
  id: string;
}

async function partOf(server: ServerProcess): Promise<Part | null> {
  try {
    const ans = await request(server.url, 'GET', '/healthz', undefined, 2000);
    const instance = ans.body.instance as { leader: boolean; id: string } | undefined;
    return instance ? { leader: instance.leader, id: instance.id } : null;
  } catch {
    return null;
  }
}

describe('faults: three instances on one PostgreSQL, the leader killed under load', function () {
  this.timeout(10 * 60_000);

  let node: AnvilNode | undefined;
  const servers: ServerProcess[] = [];

  after(async () => {
    for (const s of servers) await s.kill9();
    await node?.stop();
  });

  it('another instance takes over within the stated time; nothing lost or duplicated; one checkpoint sequence on chain; trails verify', async () => {
    node = await startAnvil({});
    const databaseUrl = await freshDatabase();
    const chainEnv = { SIGNER_KEY: await fundedKey(node.rpcUrl), RPC_URL: node.rpcUrl, DATABASE_URL: databaseUrl };
    const world = await setUpWorld(tempDir('traceledger-fault-multi-world-'), chainEnv);
    const env = { ...chainEnv, LEADER_LEASE_MS: String(LEASE_MS), LEADER_RENEW_MS: String(RENEW_MS) };
    for (let i = 0; i < 3; i++) {
      servers.push(await ServerProcess.start({ dataDir: tempDir(`traceledger-fault-multi-${i}-`), port: await freePort(), chainPort: 0, env }));
    }
    // Exactly one leader among the three.
    await waitUntil(async () => (await Promise.all(servers.map(partOf))).filter((p) => p?.leader).length === 1, 20_000);
    const parts = await Promise.all(servers.map(partOf));
    const leader = servers[parts.findIndex((p) => p?.leader)]!;
    const survivors = servers.filter((s) => s !== leader);

    const load = new SignedLoad(world);
    const handedOut = new HandedOut();
    load.bases = servers.map((s) => s.url);
    load.start(6);
    await waitUntil(async () => load.acknowledged.size >= 150, 60_000);
    await handedOut.collect(survivors[0]!.url, load, 10);

    const ledger = TraceLedger__factory.connect(world.deployment.traceLedger, new JsonRpcProvider(node.rpcUrl));
    const sizeBefore = Number((await ledger.latest(chainLogId('products'))).size);
    const killedAt = Date.now();
    await leader.kill9();
    // The load balancer stops sending to the dead one once its sends fail; the load goes on to the other two.
    load.bases = survivors.map((s) => s.url);

    const takeoverMs = await waitUntil(async () => (await Promise.all(survivors.map(partOf))).some((p) => p?.leader), 30_000, 50).then(() => Date.now() - killedAt);
    const resumedMs = await waitUntil(async () => Number((await ledger.latest(chainLogId('products'))).size) > sizeBefore, 60_000, 100).then(() => Date.now() - killedAt);
    await sleep(3000);
    await load.stop();
    await load.settle();
    const convergedMs = await convergence(survivors[0]!.url, load);
    await handedOut.collect(survivors[1]!.url, load, 10);

    // Every department's trail verifies (asked fresh of an instance that did not lead).
    const trails: Record<string, string> = {};
    for (const dept of [world.requester, world.provider]) {
      const ans = await request(survivors[0]!.url, 'GET', `/api/v1/departments/${dept.id}/trail/verify?fresh=true`, undefined, 60_000, { authorization: `Bearer ${FAULT_ADMIN_TOKEN}` });
      trails[dept.name] = `${ans.status}:${String(ans.body.verdict)}:${String(ans.body.entries)}`;
    }
    const bundles = await handedOut.verifyAll(node.rpcUrl, world.deployment);
    for (const s of survivors) await s.stop();

    // One consistent checkpoint sequence per log on chain: each anchor follows the one before, and each root is the database's tree at its size.
    const store = await openStore(loadConfig({ DATA_DIR: tempDir('traceledger-fault-multi-check-'), DATABASE_URL: databaseUrl }));
    const sequenceFaults: string[] = [];
    let anchors = 0;
    try {
      for (const logId of LOG_IDS) {
        const events = await ledger.queryFilter(ledger.filters.CheckpointAnchored(chainLogId(logId)), 0, 'latest');
        const head = await store.logHead(logId);
        let previous = 0;
        for (const e of events) {
          const size = Number(e.args.size);
          anchors++;
          if (Number(e.args.previousSize) !== previous || size <= previous) sequenceFaults.push(`${logId}: anchor of size ${size} follows ${Number(e.args.previousSize)}, the chain's last was ${previous}`);
          if (size > head.size) sequenceFaults.push(`${logId}: anchored size ${size} beyond the database's log (${head.size})`);
          else if (toHex0x(await new LogTree(store.nodeReader(logId), size).rootAt()) !== e.args.root.toLowerCase()) sequenceFaults.push(`${logId}: root at ${size} differs from the database's tree`);
          previous = size;
        }
      }
    } finally {
      await store.close();
    }
    const { lost, duplicated, logFaults } = await lostAndDuplicatedIn(load, databaseUrl);
    report('three instances on PostgreSQL, leader kill -9', {
      acknowledged: load.acknowledged.size,
      lost: lost.length,
      duplicated: duplicated.length,
      takeoverMs,
      statedTakeoverMs: TAKEOVER_MS,
      anchoringResumedMs: resumedMs,
      convergeMs: convergedMs,
      anchors,
      bundles: `${bundles.valid}/${bundles.total}`,
      trails: Object.values(trails).join(','),
      refused: JSON.stringify(load.tally.refused),
    });
    expect(load.tally.refused).to.deep.equal({});
    expect(lost).to.deep.equal([]);
    expect(duplicated).to.deep.equal([]);
    expect(logFaults).to.deep.equal([]);
    expect(sequenceFaults).to.deep.equal([]);
    expect(bundles.failures).to.deep.equal([]);
    for (const t of Object.values(trails)) expect(t).to.match(/^200:valid:\d+$/);
    // The stated time, with room for the polling and a loaded 2-core machine.
    expect(takeoverMs).to.be.below(TAKEOVER_MS + 3000);
    expect(resumedMs).to.be.below(TAKEOVER_MS + 20_000);
  });
});
