/**
 * WAL checkpoints off the event loop (server/store/wal-checkpointer.ts), on real files: under sustained writes the
 * thread checkpoints and the WAL starts over (bounded), every row stays readable and the database intact; a process
 * killed while checkpoints run loses no acknowledged record; a thread that cannot start leaves the checkpoints to the
 * store's connection, as SQLite does by default.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { openSqliteStore, type SqliteStore } from '../../../server/store/sqlite';
import type { NewRecord } from '../../../server/store/types';
import { BACKSTOP_PAGES, RESTART_PAGES, START_BYTES, WalCheckpointer } from '../../../server/store/wal-checkpointer';
import { tempDir } from '../../support/system';

/** A record of ~1.5 kB, as a lab report is stored (body, salts, entry). */
function newRecord(tag: string, i: number): NewRecord {
  return {
    id: `CK-${tag}-${i}`,
    logId: 'products',
    type: 'SeleniumTestReport',
    body: { id: `CK-${tag}-${i}`, note: '富硒'.repeat(150), i },
    salts: Object.fromEntries(Array.from({ length: 12 }, (_, k) => [`f${k}`, '0x' + (i * 16 + k).toString(16).padStart(64, '0')])),
    recordRoot: '0x' + i.toString(16).padStart(64, '0'),
    signer: '0x' + '11'.repeat(20),
    signature: `0x${tag}${i.toString(16).padStart(130 - tag.length, '0')}`.slice(0, 132),
    issuedAt: '2026-11-30T00:00:00Z',
    entry: JSON.stringify({ id: `CK-${tag}-${i}`, v: 1, pad: 'e'.repeat(300) }),
    leafHash: new Uint8Array(32).fill(i % 256),
    participantId: 'P-1',
    subject: `B-${i % 500}`,
  };
}

const checkpointerOf = (store: SqliteStore): WalCheckpointer => (store as unknown as { checkpointer: WalCheckpointer }).checkpointer;

describe('store: WAL checkpoints on a thread of their own (WalCheckpointer)', function () {
  this.timeout(180_000);
  let dir: string;
  let file: string;
  let store: SqliteStore | undefined;

  beforeEach(() => {
    dir = tempDir('wal-ckpt-');
    file = path.join(dir, 'db.sqlite');
  });
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    store = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Given a small database, Then no thread is started and the store checkpoints only at the backstop', async () => {
    store = openSqliteStore(file);
    await store.insertRecordsEach(Array.from({ length: 20 }, (_, i) => newRecord('s', i)));
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).to.equal(BACKSTOP_PAGES);
    expect(checkpointerOf(store).counts).to.deep.equal({ passive: 0, restart: 0, failed: 0 });
  });

  it('When writes keep coming (group commits well past the WAL threshold), Then the thread checkpoints, the WAL starts over instead of growing to the backstop, every row is there and the database is intact', async () => {
    store = openSqliteStore(file);
    const ck = checkpointerOf(store);
    let g = 0;
    const group = () => {
      const base = g++ * 100;
      return store!.insertRecordsEach(Array.from({ length: 100 }, (_, i) => newRecord('w', base + i)));
    };
    // Until the thread has started (once the WAL passed START_BYTES) and run a checkpoint: under ts-node on a busy
    // machine a thread takes a second or more to start, while writes going on meanwhile would fill the WAL.
    while (ck.counts.passive === 0 && g < 400) {
      await group();
      await ck.idle();
    }
    expect(ck.counts.passive, 'the thread ran a checkpoint').to.be.greaterThan(0);
    const restartsBefore = ck.counts.restart;
    // Then ~10,000 records (~20,000 pages, twice the backstop) in group commits of 100, at most one every 10 ms:
    // faster than the ingest commits them at its peak.
    for (let k = 0; k < 100; k++) {
      await group();
      await new Promise((r) => setTimeout(r, 10));
    }
    await ck.idle();
    expect(ck.counts.failed).to.equal(0);
    expect(ck.counts.restart - restartsBefore, 'RESTART checkpoints in the write turn').to.be.greaterThan(0);
    const walBytes = fs.statSync(`${file}-wal`).size;
    expect(walBytes, 'the WAL file never grew to the backstop').to.be.lessThan(BACKSTOP_PAGES * 4096);
    const other = new Database(file, { readonly: true });
    try {
      expect(other.prepare("SELECT COUNT(*) FROM records WHERE id LIKE 'CK-w-%'").pluck().get()).to.equal(g * 100);
      expect(other.pragma('integrity_check', { simple: true })).to.equal('ok');
    } finally {
      other.close();
    }
  });

  it('Power cut at the worst moment: Given a process writing group commits while checkpoints run and printing each acknowledged id, When it is killed with SIGKILL, Then every printed id is in the database and it is intact', async () => {
    const script = `
      const { openSqliteStore } = require(${JSON.stringify(path.resolve(__dirname, '../../../server/store/sqlite'))});
      const store = openSqliteStore(${JSON.stringify(file)});
      const rec = ${newRecord.toString()};
      (async () => {
        for (let g = 0; ; g++) {
          const outcomes = await store.insertRecordsEach(Array.from({ length: 50 }, (_, i) => rec('k', g * 50 + i)));
          process.stdout.write(outcomes.map((o) => o.id).join('\\n') + '\\n');
          process.stdout.write('#restarts ' + store.checkpointer.counts.restart + '\\n');
        }
      })();
    `;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // Until the thread has checkpointed and the WAL started over twice, then a little more at random (inside a checkpoint or between).
    const started = Date.now();
    while (!/#restarts [2-9]/.test(out) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // Only whole lines: a line cut by the kill was not fully printed.
    expect(out, 'the thread checkpointed in the child').to.match(/#restarts [2-9]/);
    const acked = out.split('\n').slice(0, -1).filter((line) => !line.startsWith('#'));
    store = openSqliteStore(file);
    const have = new Set(store.db.prepare("SELECT id FROM records WHERE id LIKE 'CK-k-%'").pluck().all() as string[]);
    const lost = acked.filter((id) => !have.has(id));
    expect(lost, `${lost.length} of ${acked.length} acknowledged records lost`).to.deep.equal([]);
    expect(store.db.pragma('integrity_check', { simple: true })).to.equal('ok');
  });

  it('When the thread cannot start, Then the store connection checkpoints itself at the usual threshold again', async () => {
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t (x TEXT)');
      const owner = { file, db, inWriteTurn: <T>(fn: () => Promise<T>) => fn() };
      const ck = new WalCheckpointer(owner, path.resolve(__dirname, '../../support/no-such-module'));
      expect(db.pragma('wal_autocheckpoint', { simple: true })).to.equal(BACKSTOP_PAGES);
      // A WAL past the threshold (the backstop keeps the connection from checkpointing meanwhile).
      const insert = db.prepare('INSERT INTO t VALUES (?)');
      db.transaction(() => {
        for (let i = 0; i < 2000; i++) insert.run('x'.repeat(3000));
      })();
      expect(walSize(file)).to.be.at.least(START_BYTES);
      ck.checkpointIfDue();
      await ck.idle();
      expect(ck.onMainThread).to.equal(true);
      expect(ck.counts.failed).to.equal(1);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).to.equal(RESTART_PAGES);
      ck.checkpointIfDue();
      await ck.close();
    } finally {
      db.close();
    }
  });
});

function walSize(file: string): number {
  try {
    return fs.statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}
