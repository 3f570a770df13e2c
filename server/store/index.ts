/** Opens the configured store: PostgreSQL when DATABASE_URL is set (the scale-out store), else SQLite at dbPath (the embedded default). */
import fs from 'node:fs';
import { openPostgresStore } from './postgres';
import { openSqliteStore } from './sqlite';
import type { Store } from './types';

export interface StoreConfig {
  /** postgres:// or postgresql:// URL; when set, the PostgreSQL store. */
  DATABASE_URL?: string | undefined;
  /** PostgreSQL connections per instance (default 10). */
  DATABASE_POOL_SIZE?: number | undefined;
  /** The SQLite database file, when DATABASE_URL is not set. */
  dbPath: string;
}

/** The store `config` names, opened (and migrated). */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.DATABASE_URL) return openPostgresStore(config.DATABASE_URL, { poolSize: config.DATABASE_POOL_SIZE });
  return openSqliteStore(config.dbPath);
}

/**
 * For a command run against a server's data folder: the server's store, PostgreSQL when `env.DATABASE_URL` is set,
 * else the SQLite database at `dbPath`, which must exist (undefined when it does not: the caller says so).
 */
export async function openExistingStore(dbPath: string, env: Record<string, string | undefined>): Promise<Store | undefined> {
  const url = env.DATABASE_URL;
  if (url) return openPostgresStore(url, { poolSize: 2 });
  if (!fs.existsSync(dbPath)) return undefined;
  return openSqliteStore(dbPath);
}

/** `url` without its password (for logs and messages): postgresql://user:***@host:port/db. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
