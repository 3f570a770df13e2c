import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { batchInputNow, USCC } from '../records/fixtures';
import { FIXTURE_PRODUCT_KEYS, tempDir } from '../../support/system';
import { bearer, bootTestApp, producerWithToken, type TestApp } from './helpers';

/** Fills the file system of `dir` with `file` until it is full (ENOSPC). */
function fill(file: string): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
  // Whatever is left below one chunk, byte by byte in small pieces.
  const fd2 = fs.openSync(file, 'a');
  try {
    for (;;) fs.writeSync(fd2, Buffer.alloc(512, 1));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd2);
  }
}

describe('A full disk under DATA_DIR (a real 8 MB tmpfs)', function () {
  this.timeout(180_000);
  let mountDir: string | undefined;
  let t: TestApp | undefined;

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('      skipped: mounting a tmpfs needs root');
      this.skip();
    }
    const dir = tempDir('traceledger-fulldisk-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
      mountDir = dir;
    } catch (e) {
      console.log(`      skipped: could not mount a tmpfs: ${String((e as Error).message).split('\n')[0]}`);
      this.skip();
    }
  });

  after(async () => {
    await t?.sys.stop().catch(() => undefined);
    if (mountDir) execFileSync('umount', [mountDir], { stdio: 'pipe' });
  });

  it('When the disk fills, Then writes answer 503 storage-unavailable and /healthz is degraded; once space is freed, writes succeed and /healthz is ok', async () => {
    // Arrange: the server's data directory on the tmpfs, a producer, records accepted before the disk fills.
    const dataDir = path.join(mountDir!, 'data');
    t = await bootTestApp({ dataDir, manualWorker: true, env: { DISK_FREE_MIN_MB: '1' } });
    const producer = await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS);
    const acked: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(batchInputNow({ id: `B-before-${i}` }));
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      acked.push(res.body.id as string);
    }
    const healthy = await request(t.app).get('/healthz');
    expect(healthy.body.store.ok, JSON.stringify(healthy.body)).to.equal(true);
    expect(healthy.body.store.diskFreeMb).to.be.a('number');

    // Act: fill the disk, then keep posting.
    const filler = path.join(mountDir!, 'filler');
    fill(filler);
    const statuses: number[] = [];
    let refused: request.Response | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const res = await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(batchInputNow({ id: `B-full-${i}` }));
      statuses.push(res.status);
      if (res.status === 201) acked.push(res.body.id as string);
      else refused = res;
    }

    // Assert: refused with the storage code, never a 500; nothing acknowledged is lost; /healthz degraded.
    expect(refused, `statuses ${statuses.join(',')}`).to.not.equal(undefined);
    expect(refused!.status, JSON.stringify(refused!.body)).to.equal(503);
    expect(refused!.body.error).to.deep.equal({
      code: 'storage-unavailable',
      message: 'storage unavailable: the server could not write its database (disk full or I/O error); try again later',
    });
    expect(statuses).to.not.include(500);
    for (const id of acked) expect((await t.sys.store.getRecord(id))?.id).to.equal(id);
    const degraded = await request(t.app).get('/healthz');
    expect(degraded.body.status).to.equal('degraded');
    expect(degraded.body.store.ok).to.equal(false);
    expect(degraded.body.store.error).to.match(/a write failed at \S+ \((SQLITE_FULL|SQLITE_IOERR)[^)]*\): check the free space/);

    // Act: free the space.
    fs.rmSync(filler);

    // Assert: writes succeed again; /healthz ok.
    const again = await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(batchInputNow({ id: 'B-after' }));
    expect(again.status, JSON.stringify(again.body)).to.equal(201);
    const ok = await request(t.app).get('/healthz');
    expect(ok.body.store, JSON.stringify(ok.body)).to.deep.include({ ok: true });
    for (const id of acked) expect((await t.sys.store.getRecord(id))?.id).to.equal(id);
  });
});
