/**
 * Large inserts off the main thread. SQLite through better-sqlite3 is synchronous: 10,000 records in one
 * transaction hold the event loop for seconds. A {@link BulkWriter} runs such a transaction on a worker thread with
 * its own connection to the same database file (WAL: the main connection keeps reading committed data meanwhile,
 * and never sees the rows before they commit). The rows reach the worker in small slices, so preparing and sending
 * them never holds the event loop long either. The store makes its other writes wait while a bulk insert runs
 * (SQLite has one writer; waiting on its lock with busy_timeout would block the event loop instead).
 *
 * The worker is plain JavaScript (it needs only better-sqlite3), started on first use and kept for the next.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

/** Rows per message to the worker: each is serialised on the main thread, so it stays small (~a millisecond). */
const ROWS_PER_MESSAGE = 64;

/** What went wrong in the worker's transaction (rolled back: nothing of it was written). */
export class BulkInsertError extends Error {
  /** The SQLite result code (e.g. SQLITE_CONSTRAINT_UNIQUE, SQLITE_FULL), when SQLite gave one. */
  readonly code: string | undefined;
  /** The row that failed, when one did. */
  readonly index: number | undefined;

  constructor(message: string, code: string | undefined, index: number | undefined) {
    super(message);
    this.name = 'SqliteError';
    this.code = code;
    this.index = index;
  }
}

type ToWriter = { type: 'rows'; rows: Record<string, unknown>[] } | { type: 'commit'; id: number } | { type: 'abort' };
type FromWriter = { type: 'done'; id: number; rowids: number[] } | { type: 'error'; id: number; message: string; code?: string; index?: number };

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
// The main thread's writes wait for this worker, so the only lock it can meet is a read-only turn of theirs.
db.pragma('busy_timeout = 30000');
const insert = db.prepare(workerData.sql);
let rows = [];
parentPort.on('message', (m) => {
  if (m.type === 'rows') { for (const r of m.rows) rows.push(r); return; }
  if (m.type === 'abort') { rows = []; return; }
  const batch = rows;
  rows = [];
  const rowids = new Array(batch.length);
  let i = 0;
  try {
    db.transaction(() => {
      for (; i < batch.length; i++) rowids[i] = Number(insert.run(batch[i]).lastInsertRowid);
    })();
    parentPort.postMessage({ type: 'done', id: m.id, rowids });
  } catch (e) {
    parentPort.postMessage({ type: 'error', id: m.id, message: String(e && e.message), code: e && e.code, index: i < batch.length ? i : undefined });
  }
});
`;

/** Bulk inserts through one INSERT statement, on a worker thread with its own connection to `file`. */
export class BulkWriter {
  private worker: Worker | null = null;
  private nextId = 0;

  constructor(
    private readonly file: string,
    private readonly sql: string,
  ) {}

  /**
   * Inserts every row of `rows` (the INSERT's named parameters, built one by one by `params` on the main thread
   * between turns of the event loop) in one transaction on the worker, and answers their rowids in order. All or
   * nothing: on any failure the transaction is rolled back and a {@link BulkInsertError} names the row and code.
   * One call at a time (the store's write turn sees to it).
   */
  async insert<T>(rows: readonly T[], params: (row: T) => Record<string, unknown>): Promise<number[]> {
    const worker = this.start();
    const id = ++this.nextId;
    let sent = false;
    worker.ref();
    try {
      for (let i = 0; i < rows.length; i += ROWS_PER_MESSAGE) {
        if (i > 0) await nextTurn();
        worker.postMessage({ type: 'rows', rows: rows.slice(i, i + ROWS_PER_MESSAGE).map(params) } satisfies ToWriter);
      }
      sent = true;
      return await new Promise<number[]>((resolve, reject) => {
        const onMessage = (m: FromWriter) => {
          if (m.id !== id) return;
          done();
          if (m.type === 'done') resolve(m.rowids);
          else reject(new BulkInsertError(m.message, m.code, m.index));
        };
        const onFailure = (e: Error | number) => {
          done();
          this.worker = null;
          reject(typeof e === 'number' ? new Error(`the SQLite writer thread exited with code ${e}`) : e);
        };
        const done = () => worker.off('message', onMessage).off('error', onFailure).off('exit', onFailure);
        worker.on('message', onMessage).on('error', onFailure).on('exit', onFailure);
        worker.postMessage({ type: 'commit', id } satisfies ToWriter);
      });
    } finally {
      worker.unref();
      if (!sent && this.worker === worker) worker.postMessage({ type: 'abort' } satisfies ToWriter);
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), file: this.file, sql: this.sql } });
    // An idle writer does not keep the process alive.
    worker.unref();
    worker.on('error', () => {
      if (this.worker === worker) this.worker = null;
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
    });
    this.worker = worker;
    return worker;
  }
}
