/**
 * Fault: kill -9 of the whole system (the server and its embedded chain node) at random moments under signed
 * load (single reports, bulk requests of reports, a department's share steps), eight times, then a last start. Nothing acknowledged may be lost or stored twice, every proof bundle
 * handed out before a crash must still verify against the chain, and anchoring must converge.
 */
import { expect } from 'chai';
import { freePort } from '../../server/chain/anvil';
import { tempDir } from '../support/system';
import { HandedOut, ServerProcess, SignedLoad, convergence, lostAndDuplicated, monitorDivergences, report, seededRandom, setUpWorld, sleep } from './harness';

const CYCLES = 8;

describe('faults: kill -9 of the whole system under load', function () {
  this.timeout(20 * 60_000);

  it(`loses nothing acknowledged over ${CYCLES} kills, and every bundle handed out still verifies`, async () => {
    const random = seededRandom();
    const dataDir = tempDir('traceledger-fault-kill9-');
    const world = await setUpWorld(dataDir);
    const [port, chainPort] = [await freePort(), await freePort()];
    const load = new SignedLoad(world);
    const handedOut = new HandedOut();

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const server = await ServerProcess.start({ dataDir, port, chainPort });
      load.base = server.url;
      await load.settle();
      // Four senders of single reports, the department's, and one of bulk requests (a crash may cut one midway).
      load.start(4, { bulkOf: 8 });
      // Long enough for some checkpoints to be anchored (every second), then bundles are handed out and the
      // crash comes at a random moment: while records are accepted, sequenced, anchored, saved.
      await sleep(1500 + random() * 2000);
      await handedOut.collect(server.url, load, 8);
      await sleep(random() * 1500);
      await server.kill9();
      await load.stop();
    }

    const server = await ServerProcess.start({ dataDir, port, chainPort });
    try {
      load.base = server.url;
      await load.settle();
      const convergedMs = await convergence(server.url, load);
      await handedOut.collect(server.url, load, 8);
      const verified = await handedOut.verifyAll(`http://127.0.0.1:${chainPort}`, world.deployment);
      const divergences = await monitorDivergences(server.url);
      await server.stop();
      const { lost, duplicated, logFaults } = lostAndDuplicated(load, dataDir);
      report('kill -9 ×' + CYCLES, {
        acknowledged: load.acknowledged.size,
        inBulk: load.tally.acknowledgedInBulk,
        unanswered: load.tally.unanswered,
        lost: lost.length,
        duplicated: duplicated.length,
        bundlesValid: `${verified.valid}/${verified.total}`,
        convergeMs: convergedMs,
      });
      expect(load.tally.refused, 'submissions refused under faults').to.deep.equal({});
      expect(load.tally.acknowledgedInBulk, 'reports acknowledged in bulk requests').to.be.above(0);
      expect(lost, 'acknowledged records lost').to.deep.equal([]);
      expect(duplicated, 'records stored twice').to.deep.equal([]);
      expect(logFaults, 'logs with holes').to.deep.equal([]);
      expect(divergences, 'the log monitor').to.deep.equal([]);
      expect(verified.failures, 'bundles handed out that no longer verify').to.deep.equal([]);
      expect(verified.total).to.be.greaterThan(CYCLES);
      expect(load.acknowledged.size).to.be.greaterThan(100);
    } finally {
      await server.kill9();
    }
  });
});
