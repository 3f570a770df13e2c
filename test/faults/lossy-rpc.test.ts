/**
 * Fault: the JSON-RPC link between the server and an external chain node delays every request 2–5 s and cuts
 * 20 % of connections (alternately before the node sees the request and after it acted on it) for at least 20 s
 * under load, and until both kinds of cut happened twice.
 * Anchoring must never stick: once the link heals, every acknowledged record is anchored, and nothing is lost.
 */
import { expect } from 'chai';
import { freePort, startAnvil } from '../../server/chain/anvil';
import { fundedKey } from '../support/chain';
import { tempDir } from '../support/system';
import { HandedOut, ServerProcess, SignedLoad, convergence, lostAndDuplicated, report, request, seededRandom, setUpWorld, sleep, startLossyProxy, waitUntil } from './harness';

const LOSSY_SECONDS = 20;

describe('faults: a lossy, slow RPC link to the chain', function () {
  this.timeout(10 * 60_000);

  it('anchoring never sticks: it converges once the link heals, losing nothing', async () => {
    const random = seededRandom();
    const node = await startAnvil({});
    const proxy = await startLossyProxy(node.rpcUrl, { delayMs: [2000, 5000], dropRate: 0.2, random });
    const dataDir = tempDir('traceledger-fault-rpc-');
    // A key of its own, funded on the node (a published dev key is refused with RPC_URL).
    const chainEnv = { SIGNER_KEY: await fundedKey(node.rpcUrl) };
    const world = await setUpWorld(dataDir, { ...chainEnv, RPC_URL: node.rpcUrl });
    const load = new SignedLoad(world);
    const handedOut = new HandedOut();
    const server = await ServerProcess.start({ dataDir, port: await freePort(), chainPort: 0, env: { ...chainEnv, RPC_URL: proxy.url } });
    try {
      load.base = server.url;
      load.start(4);
      await sleep(2000);
      await handedOut.collect(server.url, load, 8);
      const lossyFrom = Date.now();
      proxy.lossy = true;
      // At least LOSSY_SECONDS, and until the link has cut connections both before and after the node acted.
      await sleep(LOSSY_SECONDS * 1000);
      await waitUntil(async () => proxy.counts.droppedBefore >= 2 && proxy.counts.droppedAfter >= 2, 120_000);
      const lossySeconds = Math.round((Date.now() - lossyFrom) / 1000);
      await handedOut.collect(server.url, load, 8);
      proxy.lossy = false;
      const healedAt = Date.now();
      await load.stop();
      await load.settle();
      await convergence(server.url, load);
      const convergedMs = Date.now() - healedAt;
      await handedOut.collect(server.url, load, 8);
      const verified = await handedOut.verifyAll(node.rpcUrl, world.deployment);
      const health = await request(server.url, 'GET', '/healthz');
      await server.stop();
      const { lost, duplicated, logFaults } = lostAndDuplicated(load, dataDir);
      report(`lossy RPC ${lossySeconds} s (2–5 s delay, 20 % cut)`, {
        acknowledged: load.acknowledged.size,
        lost: lost.length,
        duplicated: duplicated.length,
        bundlesValid: `${verified.valid}/${verified.total}`,
        rpcCut: `${proxy.counts.droppedBefore}+${proxy.counts.droppedAfter}/${proxy.counts.forwarded + proxy.counts.droppedBefore}`,
        convergeMs: convergedMs,
      });
      expect(load.tally.refused).to.deep.equal({});
      expect(lost).to.deep.equal([]);
      expect(duplicated).to.deep.equal([]);
      expect(logFaults).to.deep.equal([]);
      expect(verified.failures).to.deep.equal([]);
      expect(verified.total).to.be.greaterThan(0);
      expect(health.status, JSON.stringify(health.body)).to.equal(200);
    } finally {
      await server.kill9();
      await proxy.close();
      await node.stop();
    }
  });
});
