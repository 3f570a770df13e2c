/* server/store openStore: DATABASE_URL picks PostgreSQL, else SQLite; the URL is validated and never shown with its password. */
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../../server/config';
import { openStore, redactDatabaseUrl } from '../../../server/store';
import { PostgresStore } from '../../../server/store/postgres';
import { SqliteStore } from '../../../server/store/sqlite';
import { freshDatabase } from '../../support/postgres';
import { tempDir } from '../../support/system';

describe('server/store openStore', function () {
  this.timeout(120_000);

  it('When DATABASE_URL is set, Then the store is PostgreSQL (pool size from DATABASE_POOL_SIZE); without it, SQLite in DATA_DIR', async () => {
    const url = await freshDatabase();
    const pgStore = await openStore(loadConfig({ DATA_DIR: tempDir(), DATABASE_URL: url, DATABASE_POOL_SIZE: '3' }));
    try {
      // watchStorage's proxy keeps the class.
      expect(pgStore).to.be.instanceOf(PostgresStore);
      expect((pgStore as PostgresStore).pool.options.max).to.equal(3);
      await pgStore.setKv('k', 'v');
      expect(await pgStore.getKv('k')).to.equal('v');
    } finally {
      await pgStore.close();
    }
    const dataDir = tempDir();
    const sqlite = await openStore(loadConfig({ DATA_DIR: dataDir }));
    try {
      expect(sqlite).to.be.instanceOf(SqliteStore);
      expect((sqlite as SqliteStore).db.name).to.equal(path.join(dataDir, 'traceledger.sqlite'));
    } finally {
      await sqlite.close();
    }
  });

  it('When DATABASE_URL is not a postgres URL, or the pool size not a positive integer, Then the configuration is refused without echoing the URL', () => {
    for (const bad of ['mysql://u:secret-pw@h/db', 'postgres:/nohost', 'not a url secret-pw']) {
      let err: unknown;
      try {
        loadConfig({ DATABASE_URL: bad });
      } catch (e) {
        err = e;
      }
      expect(String(err)).to.contain('DATABASE_URL');
      expect(String(err)).to.not.contain('secret-pw');
    }
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '0' })).to.throw('DATABASE_POOL_SIZE');
    expect(loadConfig({ DATABASE_URL: 'postgresql://u:p@db.example:5432/tl' }).DATABASE_POOL_SIZE).to.equal(10);
  });

  it('When a database URL is shown, Then its password is masked', () => {
    expect(redactDatabaseUrl('postgresql://tl:s3cr%40t@db.example:5432/traceledger')).to.equal('postgresql://tl:***@db.example:5432/traceledger');
    expect(redactDatabaseUrl('postgres://db.example/traceledger')).to.equal('postgres://db.example/traceledger');
  });
});
