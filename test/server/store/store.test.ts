/* server/store: the Store contract (store-contract.ts) on every store. */
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../../server/store/sqlite';
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
