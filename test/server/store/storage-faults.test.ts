import { expect } from 'chai';
import Database from 'better-sqlite3';
import path from 'node:path';
import { JsonRpcProvider } from 'ethers';
import { toAppError } from '../../../server/http/errors';
import { checkHealth } from '../../../server/service/health';
import { openSqliteStore } from '../../../server/store/sqlite';
import { AppError } from '../../../server/errors';
import { STORAGE_UNAVAILABLE_MESSAGE, isRecordDataError, publicStorageMessage, storageFaultCode } from '../../../server/store/storage-faults';
import { tempDir } from '../../support/system';

/** A real SqliteError: a write to a database opened read-only. */
function readOnlyWriteError(): unknown {
  const file = path.join(tempDir(), 'ro.sqlite');
  new Database(file).exec('CREATE TABLE t (x)').close();
  const ro = new Database(file, { readonly: true });
  try {
    ro.exec('INSERT INTO t VALUES (1)');
  } catch (e) {
    return e;
  } finally {
    ro.close();
  }
  throw new Error('the read-only write did not fail');
}

describe('server/store/storage-faults', () => {
  it("When a store refuses one record's data (PostgreSQL class 22 or 23, SQLite constraint, mismatch, too big), Then isRecordDataError says so; a storage fault, a lost connection, a timeout or a serialization failure is not", () => {
    const coded = (code?: string) => Object.assign(new Error(code ?? 'no code'), code ? { code } : {});
    for (const code of ['22P05', '22021', '23502', '23514', 'SQLITE_CONSTRAINT_NOTNULL', 'SQLITE_CONSTRAINT_CHECK', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG']) expect(isRecordDataError(coded(code)), code).to.equal(true);
    for (const code of ['57014', '40001', '40P01', '08006', '53100', 'SQLITE_FULL', 'SQLITE_BUSY', 'SQLITE_IOERR_WRITE', 'ECONNRESET', 'ENOSPC', undefined]) expect(isRecordDataError(coded(code)), String(code)).to.equal(false);
    expect(isRecordDataError(null)).to.equal(false);
    expect(isRecordDataError(new AppError('storage-unavailable', STORAGE_UNAVAILABLE_MESSAGE))).to.equal(false);
  });

  it('When SQLite refuses a write (SQLITE_READONLY), Then the error maps to 503 storage-unavailable with the plain message', () => {
    const e = readOnlyWriteError();
    expect(storageFaultCode(e)).to.match(/^SQLITE_READONLY/);
    const app = toAppError(e);
    expect([app.code, app.status, app.message]).to.deep.equal(['storage-unavailable', 503, STORAGE_UNAVAILABLE_MESSAGE]);
  });

  for (const code of ['ENOSPC', 'EIO', 'EROFS', 'EDQUOT', 'SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CANTOPEN', 'SQLITE_BUSY']) {
    it(`When an error has code ${code}, Then it is a storage fault (503, never 500)`, () => {
      const e = Object.assign(new Error(`/secret/path: ${code}`), { code });
      expect(storageFaultCode(e)).to.equal(code);
      expect(toAppError(e).status).to.equal(503);
      expect(toAppError(e).message).to.not.contain('/secret/path');
    });
  }

  it('When a storage-unavailable names a path (a failed chain state save), Then the client is told a generic message', () => {
    const theirs = new AppError('storage-unavailable', 'could not save the chain state to /data/anvil-state.json (ENOSPC: no space left on device)');
    expect(publicStorageMessage(theirs)).to.equal('storage unavailable: the server could not save its data (disk full or I/O error); try again later');
    expect(publicStorageMessage(toAppError(Object.assign(new Error('x'), { code: 'SQLITE_FULL' })))).to.equal(STORAGE_UNAVAILABLE_MESSAGE);
  });

  for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'ENOENT', 'SQLITE_ERROR']) {
    it(`When an error has code ${code}, Then it is not a storage fault`, () => {
      expect(storageFaultCode(Object.assign(new Error(code), { code }))).to.equal(null);
    });
  }

  it('When DATA_DIR has less than DISK_FREE_MIN_MB free, Then /healthz reports the store degraded with the free space', async () => {
    const dir = tempDir();
    const store = openSqliteStore(path.join(dir, 'db.sqlite'));
    const provider = new JsonRpcProvider('http://127.0.0.1:9', 31337, { staticNetwork: true });
    try {
      const base = { provider, store, worker: { fatalError: undefined } } as unknown as Parameters<typeof checkHealth>[0];
      const low = await checkHealth({ ...base, config: { COUNTERSIGN_DAYS: 5, DATA_DIR: dir, DISK_FREE_MIN_MB: 1e12 } });
      expect(low.store.ok).to.equal(false);
      expect(low.store.diskFreeMb).to.be.a('number');
      expect(low.store.error).to.equal(`DATA_DIR has ${low.store.diskFreeMb} MB free (below DISK_FREE_MIN_MB 1000000000000)`);
      const fine = await checkHealth({ ...base, config: { COUNTERSIGN_DAYS: 5, DATA_DIR: dir, DISK_FREE_MIN_MB: 0 } });
      expect(fine.store.ok).to.equal(true);
    } finally {
      provider.destroy();
      await store.close();
    }
  });
});
