/**
 * Fault: the disk holding the data directory fills up under load (a small tmpfs, when running as root). Writes
 * are refused with 503 storage-unavailable (never a bare 500), /healthz turns degraded, the server is killed
 * while the disk is full, and once space is freed it starts again from what it had: nothing acknowledged lost,
 * every bundle handed out still verifies.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../server/chain/anvil';
import { tempDir } from '../support/system';
import { HandedOut, ServerProcess, SignedLoad, convergence, lostAndDuplicated, report, request, setUpWorld, sleep, waitUntil } from './harness';

const TMPFS_MB = 64;

/** Mounts a tmpfs of `mb` MB on a fresh folder; null (with the reason) where that is not possible. */
function mountTmpfs(mb: number): { dir: string } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'not running as root: cannot mount a small tmpfs to fill' };
  const dir = tempDir('traceledger-fault-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    return { skip: `mount -t tmpfs failed: ${String((e as Error).message).split('\n')[0]}` };
  }
  return { dir };
}

/** Writes a filler file until the file system is full; returns its path. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    // Fill the last partial megabyte too.
    const small = Buffer.alloc(4096, 0x5a);
    try {
      for (;;) fs.writeSync(fd, small);
    } catch {
      // full
    }
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

describe('faults: a full disk', function () {
  this.timeout(10 * 60_000);
  let mount: { dir: string } | undefined;

  after(() => {
    if (mount) execFileSync('umount', ['-l', mount.dir], { stdio: 'pipe' });
  });

  it('refuses writes with 503 storage-unavailable, survives a kill while full, and recovers once space is freed', async function () {
    const m = mountTmpfs(TMPFS_MB);
    if ('skip' in m) {
      process.stdout.write(`      [fault] full disk skipped: ${m.skip}\n`);
      this.skip();
    }
    mount = m;
    const dataDir = path.join(m.dir, 'data');
    const world = await setUpWorld(dataDir);
    const [port, chainPort] = [await freePort(), await freePort()];
    const load = new SignedLoad(world);
    const handedOut = new HandedOut();
    // A 64 MB disk: /healthz's low-space threshold scaled down with it (the default is 64 MB).
    const env = { DISK_FREE_MIN_MB: '8' };
    let server = await ServerProcess.start({ dataDir, port, chainPort, env });
    try {
      load.base = server.url;
      load.start(4);
      await sleep(2500);
      await handedOut.collect(server.url, load, 8);

      const filler = fillDisk(m.dir);
      const acknowledgedBefore = load.tally.acknowledged;
      const answeredWhileFull = () => load.tally.unavailable + Object.values(load.tally.refused).reduce((a, b) => a + b, 0);
      await waitUntil(async () => answeredWhileFull() > 20, 30_000);
      expect(load.tally.refused, 'answers other than 201 and 503 while the disk is full').to.deep.equal({});
      const health = await request(server.url, 'GET', '/healthz');
      expect(health.status, JSON.stringify(health.body)).to.equal(503);
      expect(JSON.stringify(health.body)).to.match(/storage|disk/i);
      const refusedWhileFull = load.tally.unavailable;
      await server.kill9();
      await load.stop();

      fs.rmSync(filler);
      server = await ServerProcess.start({ dataDir, port, chainPort, env });
      load.base = server.url;
      await load.settle();
      const convergedMs = await convergence(server.url, load);
      await handedOut.collect(server.url, load, 8);
      const verified = await handedOut.verifyAll(`http://127.0.0.1:${chainPort}`, world.deployment);
      const healthAfter = await request(server.url, 'GET', '/healthz');
      await server.stop();
      const { lost, duplicated, logFaults } = lostAndDuplicated(load, dataDir);
      report(`full disk (${TMPFS_MB} MB tmpfs)`, {
        acknowledged: load.acknowledged.size,
        acknowledgedBeforeFull: acknowledgedBefore,
        refused503: refusedWhileFull,
        lost: lost.length,
        duplicated: duplicated.length,
        bundlesValid: `${verified.valid}/${verified.total}`,
        convergeMs: convergedMs,
      });
      expect(load.tally.refused, 'answers other than 201 and 503 while the disk was full').to.deep.equal({});
      expect(lost).to.deep.equal([]);
      expect(duplicated).to.deep.equal([]);
      expect(logFaults).to.deep.equal([]);
      expect(verified.failures).to.deep.equal([]);
      expect(healthAfter.status, JSON.stringify(healthAfter.body)).to.equal(200);
    } finally {
      await server.kill9();
    }
  });
});
