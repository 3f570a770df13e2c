/**
 * A real PostgreSQL for tests and scripts: one server per process, started on first use on a free port with its data
 * in a fresh folder under os.tmpdir(), stopped when the process exits (also on SIGINT / SIGTERM), its folder removed.
 * `freshDatabase()` creates an empty database on it and returns its URL (one per suite).
 *
 *   import { freshDatabase, stopPostgres } from '../support/postgres';
 *   const url = await freshDatabase();   // postgresql://postgres:…@127.0.0.1:PORT/t_…
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, initCluster, startCluster, type EmbeddedPostgres } from '../../scripts/embedded-postgres';

const DIR_PREFIX = 'traceledger-pg-';

let server: Promise<{ pg: EmbeddedPostgres; dataDir: string }> | undefined;
let databases = 0;

/** Removes the data folders of earlier test processes that died without cleaning up (their pid is gone). */
function sweepStale(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const m = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

async function start(): Promise<{ pg: EmbeddedPostgres; dataDir: string }> {
  sweepStale();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  // As root PostgreSQL runs as the user postgres, which must reach its data folder inside this one.
  fs.chmodSync(dataDir, 0o711);
  const password = crypto.randomBytes(12).toString('hex');
  await initCluster(path.join(dataDir, 'data'), password);
  const pg = await startCluster({ dataDir: path.join(dataDir, 'data'), port: await freePort(), password, unref: true });
  // At exit nothing can be awaited: the server gets its stop signal (immediate: its data is thrown away), and this
  // process waits for it synchronously (moments) before removing its folder. A signal stops it and waits, then exits as the signal would.
  process.once('exit', () => {
    pg.stopNow('immediate');
    try {
      // It removes postmaster.pid as it finishes (kill -0 would not do: unreaped, it stays a zombie until we exit).
      execFileSync('sh', ['-c', `while [ -e '${path.join(dataDir, 'data', 'postmaster.pid')}' ]; do sleep 0.05; done`], { timeout: 10_000 });
      fs.rmSync(dataDir, { recursive: true, force: true });
    } catch {
      // Still stopping: the next test process sweeps the folder.
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      pg.stopNow('immediate');
      void pg.exited.finally(() => {
        fs.rmSync(dataDir, { recursive: true, force: true });
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    });
  }
  return { pg, dataDir };
}

/** The server of this process, started on first use. */
export async function postgresServer(): Promise<EmbeddedPostgres> {
  server ??= start();
  try {
    return (await server).pg;
  } catch (e) {
    server = undefined;
    throw e;
  }
}

/** A new empty database on this process's server; returns its URL. */
export async function freshDatabase(): Promise<string> {
  const pg = await postgresServer();
  const name = `t_${process.pid}_${++databases}_${crypto.randomBytes(3).toString('hex')}`;
  const c = new Client({ connectionString: pg.url() });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return pg.url(name);
}

/** Stops this process's server now (e.g. at the end of a script) and removes its data; a later call starts another. */
export async function stopPostgres(): Promise<void> {
  if (!server) return;
  const s = server;
  server = undefined;
  const { pg, dataDir } = await s;
  await pg.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
