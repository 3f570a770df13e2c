/**
 * Fault: the embedded chain node alone is killed (kill -9) under load, twice. The server keeps accepting
 * records, restarts its node from the last durable state, and anchoring resumes by itself: nothing lost,
 * every bundle handed out before still verifies.
 */
import { expect } from 'chai';
import { freePort } from '../../server/chain/anvil';
import { tempDir } from '../support/system';
import { HandedOut, ServerProcess, SignedLoad, convergence, lostAndDuplicated, monitorDivergences, report, request, setUpWorld, sleep, waitUntil } from './harness';

describe('faults: the embedded chain node killed under load', function () {
  this.timeout(10 * 60_000);

  it('restarts the node, keeps every acknowledged record, and anchoring converges', async () => {
    const dataDir = tempDir('traceledger-fault-node-');
    const world = await setUpWorld(dataDir);
    const [port, chainPort] = [await freePort(), await freePort()];
    const load = new SignedLoad(world);
    const handedOut = new HandedOut();
    const server = await ServerProcess.start({ dataDir, port, chainPort });
    try {
      load.base = server.url;
      load.start(4);
      const restarts: number[] = [];
      for (let round = 0; round < 2; round++) {
        await sleep(2500);
        await handedOut.collect(server.url, load, 8);
        const [node] = server.chainNodePids();
        expect(node, 'the embedded chain node runs as a child of the server').to.be.a('number');
        process.kill(node!, 'SIGKILL');
        // The node is back when a new one answers on CHAIN_PORT (the server keeps serving meanwhile).
        restarts.push(
          await waitUntil(async () => {
            const pids = server.chainNodePids();
            return pids.length > 0 && pids[0] !== node && (await request(`http://127.0.0.1:${chainPort}`, 'POST', '', { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] })).status === 200;
          }, 60_000),
        );
      }
      await sleep(2000);
      await load.stop();
      await load.settle();
      const convergedMs = await convergence(server.url, load);
      await handedOut.collect(server.url, load, 8);
      const verified = await handedOut.verifyAll(`http://127.0.0.1:${chainPort}`, world.deployment);
      const health = await request(server.url, 'GET', '/healthz');
      const divergences = await monitorDivergences(server.url);
      await server.stop();
      const { lost, duplicated, logFaults } = lostAndDuplicated(load, dataDir);
      report('chain node kill -9 ×2', {
        acknowledged: load.acknowledged.size,
        lost: lost.length,
        duplicated: duplicated.length,
        bundlesValid: `${verified.valid}/${verified.total}`,
        nodeBackMs: restarts.join('/'),
        convergeMs: convergedMs,
      });
      expect(load.tally.refused).to.deep.equal({});
      expect(lost).to.deep.equal([]);
      expect(duplicated).to.deep.equal([]);
      expect(logFaults).to.deep.equal([]);
      expect(divergences, 'the log monitor').to.deep.equal([]);
      expect(verified.failures).to.deep.equal([]);
      expect(verified.total).to.be.greaterThan(0);
      expect(health.status, JSON.stringify(health.body)).to.equal(200);
    } finally {
      await server.kill9();
    }
  });
});
