/**
 * Durable commits off the event loop (server/store/wal-sync.ts): a record commit is answered only after the WAL is
 * synced; commits made together share a sync; a failed sync is repaired by checkpointing the WAL into the database
 * file, and one that cannot be repaired refuses every later durable commit (storage-unavailable), never a silent ack.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../server/errors';
import { openSqliteStore, type SqliteStore } from '../../../server/store/sqlite';
import { WalSync } from '../../../server/store/wal-sync';
import type { NewRecord } from '../../../server/store/types';
import { tempDir } from '../../support/system';

let n = 0;
function newRecord(): NewRecord {
  n++;
  return {
    id: `WAL-${process.pid}-${n}`,
    logId: 'products',
    type: 'Batch',
    body: { id: `WAL-${n}`, note: 'x'.repeat(200) },
    salts: { id: '00'.repeat(16) },
    recordRoot: '0x' + n.toString(16).padStart(64, '0'),
    signer: '0x' + '11'.repeat(20),
    signature: '0x' + n.toString(16).padStart(130, '0'),
    issuedAt: '2026-11-29T00:00:00Z',
    entry: `{"n":${n}}`,
    leafHash: new Uint8Array(32).fill(n % 256),
    participantId: 'P-1',
    subject: null,
  };
}

/** The private WalSync of `store` (the test reaches in to count its syncs and to break its file). */
const walOf = (store: SqliteStore): { fd: number | undefined; commits: number } => (store as unknown as { walSync: { fd: number | undefined; commits: number } }).walSync;

describe('store: durable commits off the event loop (WalSync)', function () {
  this.timeout(60_000);
  let dir: string;
  let store: SqliteStore;

  beforeEach(() => {
    dir = tempDir('wal-sync-');
    store = openSqliteStore(path.join(dir, 'db.sqlite'));
  });
  afterEach(async () => {
    await store.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('When records are inserted, Then each insert resolves after a sync of the WAL, and the data is there for another connection', async () => {
    const recs = Array.from({ length: 20 }, newRecord);
    const outcomes = await store.insertRecordsEach(recs);
    expect(outcomes.every((o) => !(o instanceof Error))).to.equal(true);
    await store.insertRecord(newRecord());
    await store.insertRecords([newRecord(), newRecord()]);
    expect(walOf(store).fd, 'the WAL file is open for syncing').to.be.a('number');
    expect(walOf(store).commits).to.equal(3);
    const other = new Database(path.join(dir, 'db.sqlite'), { readonly: true });
    try {
      expect((other.prepare('SELECT COUNT(*) AS c FROM records').get() as { c: number }).c).to.equal(23);
    } finally {
      other.close();
    }
    // The connection is back to synchronous=FULL for every other write.
    expect(store.db.pragma('synchronous', { simple: true })).to.equal(2);
  });

  it('When many commits wait at once, Then they share syncs (fewer fdatasyncs than commits), and every one resolves', async () => {
    const owner = { file: path.join(dir, 'db.sqlite'), checkpoints: 0, checkpointNow: () => void owner.checkpoints++ };
    const wal = new WalSync(owner);
    expect(wal.ready()).to.equal(true);
    let syncs = 0;
    const original = fs.fdatasync;
    (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = ((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
      syncs++;
      original(fd, cb);
    }) as typeof fs.fdatasync;
    try {
      await Promise.all(Array.from({ length: 50 }, () => wal.afterCommit()));
    } finally {
      (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = original;
      await wal.close();
    }
    expect(syncs).to.be.greaterThan(0).and.lessThan(50);
    expect(owner.checkpoints).to.equal(0);
  });

  it('Power cut at the worst moment: When the fdatasync fails, Then the WAL is checkpointed into the database file instead, the commit resolves, and the WAL is emptied', async () => {
    await store.insertRecord(newRecord());
    const wal = walOf(store);
    // Close the descriptor under it: the next fdatasync fails (EBADF), as a failing disk's would.
    fs.closeSync(wal.fd!);
    const rec = newRecord();
    await store.insertRecord(rec);
    expect(fs.statSync(path.join(dir, 'db.sqlite-wal')).size, 'TRUNCATE checkpoint empties the WAL').to.equal(0);
    expect(await store.getRecord(rec.id)).to.not.equal(undefined);
    // It reopens the WAL file for the next commit and goes on as before.
    await store.insertRecord(newRecord());
    expect((await store.listRecords({ limit: 10 })).length).to.equal(3);
  });

  it('When a failed sync cannot be repaired either, Then that insert and every later one fail with storage-unavailable (nothing acknowledged on top)', async () => {
    const owner = { file: path.join(dir, 'db.sqlite'), checkpointNow: () => {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    } };
    const wal = new WalSync(owner);
    expect(wal.ready()).to.equal(true);
    fs.closeSync((wal as unknown as { fd: number }).fd);
    const failed = await wal.afterCommit().then(() => null, (e: unknown) => e as Error & { code?: string });
    expect(failed?.code).to.equal('SQLITE_IOERR');
    expect(() => wal.ready()).to.throw(/could not be synced/);
    await wal.close();

    // Through the store: the storage layer answers storage-unavailable, never a bare error.
    const broken = walOf(store) as unknown as { broken: Error | null };
    broken.broken = Object.assign(new Error('the database could not be synced to disk'), { code: 'EIO' });
    const e = await store.insertRecord(newRecord()).then(() => null, (err: unknown) => err);
    expect(e).to.be.instanceOf(AppError);
    expect((e as AppError).code).to.equal('storage-unavailable');
  });

  it('When the WAL file is replaced (another inode), Then the next commit syncs the new file; when it cannot be opened, the commit falls back to synchronous=FULL', async () => {
    const file = path.join(dir, 'other.sqlite');
    const wal = new WalSync({ file, checkpointNow: () => undefined });
    expect(wal.ready(), 'no WAL file: SQLite syncs inside COMMIT').to.equal(false);
    fs.writeFileSync(`${file}-wal`, '');
    expect(wal.ready()).to.equal(true);
    const first = (wal as unknown as { ino: number }).ino;
    fs.rmSync(`${file}-wal`);
    fs.writeFileSync(`${file}-wal`, 'x');
    expect(wal.ready()).to.equal(true);
    expect((wal as unknown as { ino: number }).ino).to.not.equal(first);
    await wal.afterCommit();
    await wal.close();
  });
});
