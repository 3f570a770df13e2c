/** The data directory lock, with real processes: live holders refuse, dead ones are taken over, and of starts at once one wins. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { DataDirLockedError, LOCK_FILE, lockDataDir, type LockHolder } from '../../../server/config/lock';
import { tempDir } from '../../support/system';

const ROOT = path.resolve(__dirname, '../../..');
const TS_NODE = [require.resolve('ts-node/dist/bin.js'), '--transpile-only'];

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

describe('server/config/lock', () => {
  it('When the directory is free, Then the lock file holds this pid and is gone after release', () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    const held = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockHolder;
    expect(held.pid).to.equal(process.pid);
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).to.equal(false);
    lockDataDir(dir).release(); // taken again
  });

  it('When a live process holds it, Then the lock is refused naming its pid and the directory', () => {
    const dir = tempDir();
    const first = lockDataDir(dir);
    try {
      expect(() => lockDataDir(dir)).to.throw(DataDirLockedError, new RegExp(`another traceledger \\(pid ${process.pid}, .*\\) is using ${dir}; stop it first, or set DATA_DIR`));
    } finally {
      first.release();
    }
  });

  it('When the holder is dead, Then the stale lock is taken over and said so', () => {
    const dir = tempDir();
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, startedAt: '2026-01-01T00:00:00.000Z', nonce: 'old' }));
    const told: (LockHolder | undefined)[] = [];
    const lock = lockDataDir(dir, { onStale: (stale) => told.push(stale) });
    expect(told.map((s) => s?.pid)).to.deep.equal([pid]);
    expect((JSON.parse(fs.readFileSync(lock.path, 'utf8')) as LockHolder).pid).to.equal(process.pid);
    lock.release();
  });

  it('When the lock file is empty or garbage, Then it is taken over as stale', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, LOCK_FILE), 'not json');
    let told = 0;
    lockDataDir(dir, { onStale: () => told++ }).release();
    expect(told).to.equal(1);
  });

  it("When the lock was released by someone else's start, Then release leaves the new holder's file alone", () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    fs.writeFileSync(lock.path, JSON.stringify({ pid: 1, startedAt: 'x', nonce: 'other' }));
    lock.release();
    expect(fs.existsSync(lock.path)).to.equal(true);
  });

  it('When six processes take the same (stale) lock at once, Then exactly one gets it and the others are refused naming it', async function () {
    this.timeout(60_000);
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), startedAt: 'x', nonce: 'old' }));
    const script = `
      const { lockDataDir } = require(${JSON.stringify(path.join(ROOT, 'server/config/lock.ts'))});
      try { lockDataDir(process.argv[1]); console.log('got'); setInterval(() => {}, 1000); }
      catch (e) { console.log('refused: ' + e.message); }`;
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, [...TS_NODE, '-e', script, dir], { cwd: ROOT }));
    // The winner holds the lock until killed, so a slow start cannot find it stale.
    const outs = await Promise.all(
      children.map((child) => {
        let out = '';
        return new Promise<{ pid: number; out: string }>((resolve) => {
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes('\n')) resolve({ pid: child.pid!, out });
          });
          child.on('exit', () => resolve({ pid: child.pid!, out }));
        });
      }),
    ).finally(() => children.forEach((c) => c.kill()));
    const winners = outs.filter((o) => o.out.startsWith('got'));
    expect(winners, JSON.stringify(outs)).to.have.length(1);
    for (const o of outs.filter((x) => x !== winners[0])) expect(o.out).to.contain(`refused: another traceledger (pid ${winners[0]!.pid}`);
  });
});
