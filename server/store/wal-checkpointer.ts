/**
 * WAL checkpoints off the event loop. SQLite checkpoints its WAL automatically inside the COMMIT that takes it past
 * 1,000 pages: on the committing connection's thread, which for the store is the event loop. A checkpoint copies those
 * pages into the database file and syncs the WAL and the database: under a sustained ingest (~7,000 pages a second,
 * one checkpoint every ~150 ms) that held the event loop for the copies and both fsyncs. Measured on the store's own
 * group commit (records of ~1.6 kB, 174 a commit, 4 commits in flight, runs of this code and of the old interleaved):
 * 8,265–11,275 records a second against 6,959–8,723, the main thread 57–79 µs a record against 76–99, and the event
 * loop's delay p99 36–62 ms against 76–105.
 *
 * Here the store's connection checkpoints only as a backstop ({@link BACKSTOP_PAGES}), and a thread with its own
 * connection does the work, after commits, at most every {@link MIN_INTERVAL_MS}:
 * 1. a PASSIVE checkpoint, while the store goes on writing: it copies what is committed, without taking any lock a
 *    writer or a reader waits for;
 * 2. once the WAL holds {@link RESTART_PAGES} or more, a RESTART checkpoint in the store's write turn (its writes
 *    wait, asynchronously, as for a bulk insert): it copies the few pages committed since step 1, so the next commit
 *    starts the WAL over from its beginning. Without it the WAL never starts over while writes keep coming (a PASSIVE
 *    checkpoint rarely finds no commit after its own), and grows to the backstop.
 * The copies and syncs are SQLite's own (a checkpoint is crash-safe at any point: the WAL stays authoritative until
 * its frames are in the database file and synced). A failed checkpoint changes nothing and is tried again after a
 * later commit; the backstop bounds the WAL meanwhile. A thread that cannot start leaves the checkpoints to the store's
 * connection, as SQLite does by default.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { WorkerPool } from '../worker-pool';

/** SQLite's own automatic checkpoint threshold (pages in the WAL): the WAL is started over from about this size. */
export const RESTART_PAGES = 1000;

/** The store's connection still checkpoints itself past this many pages (~40 MB): the WAL's bound if the thread falls behind. */
export const BACKSTOP_PAGES = 10_000;

/** The thread starts once the WAL file reaches this size (a small database, e.g. a test's, never needs it). */
export const START_BYTES = RESTART_PAGES * 4096;

/** Least time between the starts of two checkpoints (ms). */
export const MIN_INTERVAL_MS = 100;

/** How long the RESTART checkpoint waits for readers still on the WAL (ms; a trail audit's thread, another process). */
const RESTART_BUSY_MS = 200;

/** One checkpoint of `file`'s WAL in `mode`, or `close`: the thread closes its connection to `file`. */
export interface CheckpointTask {
  file: string;
  mode: 'PASSIVE' | 'RESTART' | 'close';
}

/** SQLite's answer (PRAGMA wal_checkpoint): busy 1 when it could not complete, the WAL's pages and those now in the database. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

const connections = new Map<string, Database.Database>();

/** The thread's task: one checkpoint of `task.file` on this thread's own connection to it (opened at the first). */
export function checkpointTask(task: CheckpointTask): CheckpointResult {
  let db = connections.get(task.file);
  if (task.mode === 'close') {
    db?.close();
    connections.delete(task.file);
    return { busy: 0, log: 0, checkpointed: 0 };
  }
  if (!db) {
    db = new Database(task.file, { fileMustExist: true });
    db.pragma(`busy_timeout = ${RESTART_BUSY_MS}`);
    // This connection never writes a transaction of its own: it must never checkpoint at a commit either.
    db.pragma('wal_autocheckpoint = 0');
    connections.set(task.file, db);
  }
  const [row] = db.pragma(`wal_checkpoint(${task.mode})`) as CheckpointResult[];
  return row!;
}

/** What the checkpointer needs of the store. */
export interface CheckpointOwner {
  /** The database file (absolute). */
  readonly file: string;
  /** The store's own connection (its backstop, and its fallback when the thread cannot start). */
  readonly db: Database.Database;
  /** Runs `fn` in the store's write turn: the store's writes wait (asynchronously) until it settles. */
  inWriteTurn<T>(fn: () => Promise<T>): Promise<T>;
}

/** Checkpoints of one store's WAL on a thread of their own (see the file's comment). */
export class WalCheckpointer {
  private pool: WorkerPool<CheckpointTask, CheckpointResult> | undefined;
  private running: Promise<void> | null = null;
  private lastStart = 0;
  private closed = false;
  /** The PASSIVE and RESTART checkpoints the thread ran, and those that failed (for tests and diagnostics). */
  readonly counts = { passive: 0, restart: 0, failed: 0 };

  constructor(
    private readonly owner: CheckpointOwner,
    private readonly modulePath: string = path.join(__dirname, 'wal-checkpointer'),
  ) {
    owner.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  }

  /** True when the store's connection checkpoints at every RESTART_PAGES again, because the thread could not start. */
  get onMainThread(): boolean {
    return (this.pool?.brokenBy ?? null) !== null;
  }

  /** Starts a checkpoint on the thread when one is due (the store asks at every write turn: what earlier writes committed). */
  checkpointIfDue(): void {
    if (this.closed || this.running || this.onMainThread) return;
    const now = Date.now();
    if (now - this.lastStart < MIN_INTERVAL_MS) return;
    if (!this.pool && walBytes(this.owner.file) < START_BYTES) return;
    this.lastStart = now;
    this.pool ??= new WorkerPool(this.modulePath, 'checkpointTask', 1);
    this.running = this.checkpoint().finally(() => {
      this.running = null;
    });
  }

  /** Resolves once the checkpoint under way, if any, has ended (for tests). */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Waits for the checkpoint under way, closes the thread's connection and stops the thread. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    const pool = this.pool;
    this.pool = undefined;
    if (!pool) return;
    if (!pool.brokenBy) await pool.run({ file: this.owner.file, mode: 'close' }).catch(() => undefined);
    await pool.close();
  }

  private async checkpoint(): Promise<void> {
    const pool = this.pool!;
    const file = this.owner.file;
    try {
      const passive = await pool.run({ file, mode: 'PASSIVE' });
      this.counts.passive++;
      if (passive.log < RESTART_PAGES || this.closed) return;
      await this.owner.inWriteTurn(() => pool.run({ file, mode: 'RESTART' }));
      this.counts.restart++;
    } catch {
      this.counts.failed++;
      // The thread cannot start: the store's connection checkpoints as SQLite does by default. Any other failure
      // (an I/O error, a lock held by another process) is tried again after a later commit, under the backstop.
      if (pool.brokenBy && this.owner.db.open) this.owner.db.pragma(`wal_autocheckpoint = ${RESTART_PAGES}`);
    }
  }
}

/** The size of `file`'s WAL in bytes (0 when there is none). */
function walBytes(file: string): number {
  try {
    return fs.statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}
