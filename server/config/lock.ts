/**
 * The lock on a data directory (DATA_DIR/traceledger.lock): one traceledger at a time may use it,
 * since two would fork one chain state file and race on one database. The file holds the holder's
 * pid and start time; a lock whose pid is no longer alive is stale and is taken over.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'traceledger.lock';

/** What the lock file holds. */
export interface LockHolder {
  pid: number;
  /** ISO time the holder took the lock. */
  startedAt: string;
  /** Tells two takes of the lock apart (a pid may be reused; this process may boot twice). */
  nonce: string;
}

export interface DataDirLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still this one; safe to call twice. */
  release(): void;
}

export interface LockOptions {
  /** Told when a stale lock is taken over. */
  onStale?: (stale: LockHolder | undefined, lockPath: string) => void;
}

/** Refusal to start because another live process holds the data directory. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    readonly lockPath: string,
  ) {
    super(
      `another traceledger (pid ${holder.pid}, started ${holder.startedAt}) is using ${dataDir}; stop it first, or set DATA_DIR ` +
        `(if no traceledger runs with pid ${holder.pid}, delete ${lockPath})`,
    );
    this.name = 'DataDirLockedError';
  }
}

/** True when a process with this pid exists (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.startedAt === 'string' && typeof v.nonce === 'string') return v as LockHolder;
  } catch {
    // empty (a holder between creating and writing it) or not ours
  }
  return undefined;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Takes the lock on `dataDir` (which must exist), atomically (O_EXCL): of two starts at once, one
 * gets it and the other is refused. Throws DataDirLockedError when a live process holds it.
 */
export function lockDataDir(dataDir: string, opts: LockOptions = {}): DataDirLock {
  const lockPath = path.join(dataDir, LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, startedAt: new Date().toISOString(), nonce: crypto.randomBytes(8).toString('hex') };
  const mine = JSON.stringify(holder) + '\n';

  for (let attempt = 0; attempt < 20; attempt++) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(lockPath, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (fd !== undefined) {
      try {
        fs.writeSync(fd, mine);
      } finally {
        fs.closeSync(fd);
      }
      return lockOf(lockPath, holder, mine);
    }

    // Held: by whom? A holder that just created the file may not have written it yet.
    let text = readText(lockPath);
    for (let i = 0; i < 10 && text !== undefined && !parseHolder(text); i++) {
      sleep(50);
      text = readText(lockPath);
    }
    if (text === undefined) continue; // released meanwhile: try again
    const other = parseHolder(text);
    if (other && pidAlive(other.pid)) throw new DataDirLockedError(dataDir, other, lockPath);

    // Stale (or unreadable for half a second): move it aside. Only one process can rename it; if
    // what we moved is no longer the stale lock we read, a racer took it over first: put it back.
    const aside = `${lockPath}.stale-${holder.nonce}`;
    try {
      fs.renameSync(lockPath, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    if (readText(aside) !== text) {
      try {
        fs.linkSync(aside, lockPath);
      } catch {
        // a third start holds it now; ours loops and meets it
      }
      fs.rmSync(aside, { force: true });
      continue;
    }
    fs.rmSync(aside, { force: true });
    opts.onStale?.(other, lockPath);
  }
  throw new Error(`could not take the lock ${lockPath}: other starts keep taking it`);
}

function lockOf(lockPath: string, holder: LockHolder, mine: string): DataDirLock {
  let released = false;
  return {
    path: lockPath,
    holder,
    release() {
      if (released) return;
      released = true;
      if (readText(lockPath) === mine) fs.rmSync(lockPath, { force: true });
    },
  };
}
