/* server/store: the Store contract (store-contract.ts) on every store. */
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { openPostgresStore } from '../../../server/store/postgres';
import { openSqliteStore } from '../../../server/store/sqlite';
import { freshDatabase } from '../../support/postgres';
import { tempDir } from '../../support/system';
import { describeStore } from './store-contract';

describeStore('SQLite', async () => {
  const file = path.join(tempDir('traceledger-store-'), 'db.sqlite');
  return {
    separateClients: false,
    open: async () => openSqliteStore(file),
    damageBody: async (id) => {
      const db = new Database(file);
      try {
        db.prepare("UPDATE records SET body = '{not json' WHERE id = ?").run(id);
      } finally {
        db.close();
      }
    },
  };
});

describeStore('PostgreSQL', async () => {
  const url = await freshDatabase();
  return {
    separateClients: true,
    open: async () => openPostgresStore(url),
    damageBody: async (id) => {
      const c = new Client({ connectionString: url });
      await c.connect();
      try {
        await c.query("UPDATE records SET body = '{not json' WHERE id = $1", [id]);
      } finally {
        await c.end();
      }
    },
  };
});
