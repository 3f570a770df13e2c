/**
 * Fault: a second server started on a data directory a server already uses (other ports), and a server asked to
 * start its chain node on a CHAIN_PORT another node holds. Both refuse loudly; the first one runs on unharmed.
 * After a kill -9 of the first, the data directory's lock is stale and the next start takes it over.
 */
import { expect } from 'chai';
import { freePort } from '../../server/chain/anvil';
import { tempDir } from '../support/system';
import { ServerProcess, SignedLoad, convergence, lostAndDuplicated, report, setUpWorld, sleep } from './harness';

describe('faults: two servers on one data directory', function () {
  this.timeout(10 * 60_000);

  it('the second refuses, naming the first one’s pid; a busy CHAIN_PORT is refused; the first runs on', async () => {
    const dataDir = tempDir('traceledger-fault-two-');
    const world = await setUpWorld(dataDir);
    const [port, chainPort] = [await freePort(), await freePort()];
    const load = new SignedLoad(world);
    const first = await ServerProcess.start({ dataDir, port, chainPort });
    let again: ServerProcess | undefined;
    try {
      load.base = first.url;
      load.start(2);
      await sleep(1500);

      const second = ServerProcess.spawn({ dataDir, port: await freePort(), chainPort: await freePort() });
      const secondCode = await second.exited;
      expect(secondCode).to.not.equal(0);
      expect(second.output).to.include(String(first.pid));

      const otherDir = tempDir('traceledger-fault-two-other-');
      const third = ServerProcess.spawn({ dataDir: otherDir, port: await freePort(), chainPort });
      const thirdCode = await third.exited;
      expect(thirdCode).to.not.equal(0);
      expect(third.output).to.match(new RegExp(`CHAIN_PORT ${chainPort} is already in use`));

      await sleep(1000);
      await first.kill9();
      await load.stop();
      // The lock names a dead process now: the next server takes it over.
      again = await ServerProcess.start({ dataDir, port, chainPort });
      load.base = again.url;
      await load.settle();
      const convergedMs = await convergence(again.url, load);
      await again.stop();
      const { lost, duplicated, logFaults } = lostAndDuplicated(load, dataDir);
      report('two servers, one data directory', { acknowledged: load.acknowledged.size, lost: lost.length, duplicated: duplicated.length, convergeMs: convergedMs, secondExit: String(secondCode), busyPortExit: String(thirdCode) });
      expect(load.tally.refused).to.deep.equal({});
      expect(lost).to.deep.equal([]);
      expect(duplicated).to.deep.equal([]);
      expect(logFaults).to.deep.equal([]);
    } finally {
      await first.kill9();
      await again?.kill9();
    }
  });
});
