/* The stores a store test runs on: SQLite (a file of its own) and PostgreSQL (a database of its own on the test server). */
import path from 'node:path';
import { openPostgresStore } from '../../../server/store/postgres';
import { openSqliteStore } from '../../../server/store/sqlite';
import type { Store } from '../../../server/store/types';
import { freshDatabase } from '../../support/postgres';
import { tempDir } from '../../support/system';

export interface StoreKind {
  name: 'SQLite' | 'PostgreSQL';
  /** A new empty database; the function it returns opens a store on it (again after a close: a restart). */
  fresh(): Promise<() => Promise<Store>>;
}

export const STORE_KINDS: readonly StoreKind[] = [
  {
    name: 'SQLite',
    fresh: async () => {
      const file = path.join(tempDir('traceledger-store-'), 'db.sqlite');
      return async () => openSqliteStore(file);
    },
  },
  {
    name: 'PostgreSQL',
    fresh: async () => {
      const url = await freshDatabase();
      return () => openPostgresStore(url);
    },
  },
];

/** A store on a new empty database of `kind`. */
export async function freshStore(kind: StoreKind): Promise<Store> {
  return (await kind.fresh())();
}
