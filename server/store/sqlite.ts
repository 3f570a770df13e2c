/**
 * The embedded store: SQLite through better-sqlite3, in WAL mode with synchronous=FULL so an acknowledged record survives a
 * crash; record commits sync their WAL off the event loop instead (wal-sync.ts), with the same guarantee.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { Appender } from '../ledger/appender';
import { InvariantError } from '../ledger/errors';
import { fromHex, toHex, type Hash } from '../ledger/rfc6962';
import type { NodeId, NodeReader } from '../ledger/tree';
import { MIGRATIONS } from './migrations';
import { KeyedTurns } from './turns';
import { BulkInsertError, BulkWriter } from './sqlite-writer';
import { watchStorage } from './storage-faults';
import { trailLinkConflict } from './trail-link';
import { RECORD_LEAF_INDEX, TRAIL_ORDER, TRAIL_RANGE_WHERE, trailRangeArgs } from './trail-reader';
import { WalCheckpointer } from './wal-checkpointer';
import { WalSync } from './wal-sync';
import {
  StoreConflictError,
  productKeyCandidates,
  type ApiToken,
  type AppendResult,
  type BatchConsent,
  type BatchSearch,
  type Checkpoint,
  type CheckpointPatch,
  type CheckpointStatus,
  type LogHead,
  type Lease,
  type LogId,
  type MirrorRemoved,
  type MirrorState,
  type NewRecord,
  type Participant,
  type ParticipantKey,
  type ParticipantKind,
  type ProductKey,
  type Revocation,
  type Store,
  type StoredLogEntry,
  type StoredRecord,
  type StoredTrailText,
  type TrailKey,
  type TrailPageQuery,
  type TrailRange,
  type TrailReadSource,
  type TokenRole,
  type TrailSummary,
} from './types';
import { orderSeq, type CheckpointRow, type KeyRow, type ParticipantRow, type RecordRow, type RevocationRow, toCheckpoint, toKey, toParticipant, toRecord, toRevocation } from './rows';


/** The named parameters of INSERT_RECORD_SQL for `rec`. */
const insertParams = (rec: NewRecord, receivedAt: number): Record<string, unknown> => ({
  id: rec.id,
  logId: rec.logId,
  type: rec.type,
  body: JSON.stringify(rec.body),
  salts: JSON.stringify(rec.salts),
  recordRoot: rec.recordRoot,
  signer: rec.signer,
  signature: rec.signature,
  issuedAt: rec.issuedAt,
  entry: rec.entry,
  leafHash: Buffer.from(rec.leafHash),
  participantId: rec.participantId,
  subject: rec.subject,
  receivedAt,
});

/** A JSON value SQLite extracted (`->` gives its JSON text, NULL when absent): the value, or undefined when absent. */
const jsonValueColumn = (text: string | null): unknown => (text === null ? undefined : JSON.parse(text));

/** Opens (creating and migrating if needed) the SQLite store at `file` (':memory:' for tests). */
export function openSqliteStore(file: string): SqliteStore {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return watchStorage(new SqliteStore(db, file === ':memory:' ? undefined : path.resolve(file)));
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/**
 * The locks of Store.withLock in this process, by database file and name: the tail of each lock's queue. SQLite
 * serves one process, so a lock shared by every store instance of the process on the same file is exclusive.
 */
/** withLock's turns, shared by every SqliteStore of this process (keyed by database and name). */
const LOCKS = new KeyedTurns();

/** How long one sequencing transaction may hold the event loop (ms); it appends at least one record. */
const SEQUENCE_BUDGET_MS = 4;

/** The parameters of a trail page's statement (SqliteStore.trailPage): the range from `q.after` to the trail's end, and the limit. */
function trailPageArgs(departmentId: string, q: TrailPageQuery): unknown[] {
  return [...trailRangeArgs({ departmentId, fromSeq: q.fromSeq, toSeq: q.toSeq, after: q.after }), q.limit ?? -1];
}

/** Records inserted at once from which the insert runs on the writer thread (fewer cost the event loop a few ms at most). */
export const BULK_INSERT_MIN = 64;

/** A log's entries from a leaf index to another: the log's leaves in order, each with its record. */
const LOG_ENTRIES_SQL = 'SELECT r.id, l.leaf_index, r.entry, r.subject FROM log_leaves l JOIN records r ON r.id = l.record_id WHERE l.log_id = ? AND l.leaf_index >= ? AND l.leaf_index < ?';

/** A record row's columns as toRecord reads them (RecordRow), its leaf index from log_leaves (RECORD_LEAF_INDEX). */
const RECORD_COLUMNS = `arrival, id, log_id, type, body, salts, record_root, signer, signature, issued_at, entry, leaf_hash, participant_id, subject, received_at, ${RECORD_LEAF_INDEX} AS leaf_index`;

const INSERT_RECORD_SQL = `INSERT INTO records (id, log_id, type, body, salts, record_root, signer, signature, issued_at, entry, leaf_hash, participant_id, subject, received_at)
        VALUES (@id, @logId, @type, @body, @salts, @recordRoot, @signer, @signature, @issuedAt, @entry, @leafHash, @participantId, @subject, @receivedAt)`;

export class SqliteStore implements Store {
  private readonly stmts;
  /** Runs large inserts on a worker thread (a file database only: ':memory:' cannot be shared). */
  private readonly writer: BulkWriter | undefined;
  /** Syncs the WAL of record commits off the event loop (a file database only). */
  private readonly walSync: WalSync | undefined;
  /** Checkpoints the WAL on a thread of its own (a file database only). */
  private readonly checkpointer: WalCheckpointer | undefined;
  /** The bulk insert under way on the writer thread (or the checkpointer's RESTART), if any: every other write waits for it. */
  private bulk: Promise<unknown> | null = null;
  /**
   * Participants and keys change only through this store (the mirror writes them), and every
   * signed record looks its signer up: they are cached here, and forgotten on every write.
   */
  private readonly keyCache = new Map<string, ParticipantKey[]>();
  private readonly participantCache = new Map<string, Participant | undefined>();

  private forgetParticipants(): void {
    this.keyCache.clear();
    this.participantCache.clear();
  }

  /** Names this database in LOCKS: its file, or (in memory) this instance. */
  private readonly lockScope: string;

  /** The database file (undefined in memory). */
  private readonly file: string | undefined;

  constructor(
    readonly db: Database.Database,
    file?: string,
  ) {
    this.lockScope = file ?? `memory:${Math.random()}`;
    this.file = file;
    this.writer = file === undefined ? undefined : new BulkWriter(file, INSERT_RECORD_SQL);
    this.walSync = file === undefined ? undefined : new WalSync({ file, checkpointNow: () => this.checkpointNow() });
    this.checkpointer = file === undefined ? undefined : new WalCheckpointer({ file, db, inWriteTurn: (fn) => this.inWriteTurn(fn) });
    this.stmts = {
      insertRecord: db.prepare(INSERT_RECORD_SQL),
      recordById: db.prepare(`SELECT ${RECORD_COLUMNS} FROM records WHERE id = ?`),
      // Two fields of the body, extracted by SQLite (a body that is not JSON, which the GTIN index keeps out of a batch, gives
      // NULL, as toRecord gives {}). The whole row, its body turned into a JavaScript string and parsed with the salts, cost
      // every report 26-28 µs through the store against 13 for this (6,000 batches, bench of 2026-11-30).
      batchConsent: db
        .prepare(
          `SELECT participant_id, CASE WHEN json_valid(body) THEN body -> '$.reportIds' END, CASE WHEN json_valid(body) THEN body -> '$.commissionedLabs' END
             FROM records WHERE id = ? AND type = 'Batch'`,
        )
        .raw(),
      batchBySubject: db.prepare("SELECT id FROM records WHERE type = 'Batch' AND subject = ? ORDER BY arrival LIMIT 1"),
      recordByLeaf: db.prepare(`SELECT ${RECORD_COLUMNS} FROM records WHERE id = (SELECT record_id FROM log_leaves WHERE log_id = ? AND leaf_index = ?)`),
      // A log's records are sequenced in arrival order, and SQLite commits them in that order (one writer,
      // AUTOINCREMENT): those after the last one sequenced (log_state.last_arrival, migration 9) wait.
      unsequenced: db.prepare('SELECT arrival, id, leaf_hash FROM records WHERE log_id = ? AND arrival > ? ORDER BY arrival LIMIT ?'),
      countUnsequenced: db.prepare(
        'SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM records WHERE log_id = ? AND arrival > COALESCE((SELECT last_arrival FROM log_state WHERE log_id = ?), 0)',
      ),
      insertLeaf: db.prepare('INSERT INTO log_leaves (log_id, leaf_index, record_id, leaf_hash) VALUES (?, ?, ?, ?)'),
      insertNode: db.prepare('INSERT INTO tree_nodes (log_id, level, idx, hash) VALUES (?, ?, ?, ?)'),
      node: db.prepare('SELECT hash FROM tree_nodes WHERE log_id = ? AND level = ? AND idx = ?'),
      leafRange: db.prepare('SELECT leaf_hash FROM log_leaves WHERE log_id = ? AND leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index'),
      logState: db.prepare('SELECT size, compact, last_arrival FROM log_state WHERE log_id = ?'),
      putLogState: db.prepare(
        'INSERT INTO log_state (log_id, size, compact, last_arrival) VALUES (?, ?, ?, ?) ON CONFLICT (log_id) DO UPDATE SET size = excluded.size, compact = excluded.compact, last_arrival = excluded.last_arrival',
      ),
      checkpoint: db.prepare('SELECT * FROM checkpoints WHERE log_id = ? AND size = ?'),
      participant: db.prepare('SELECT * FROM participants WHERE id = ?'),
      keysOf: db.prepare('SELECT * FROM participant_keys WHERE address = ?'),
      keysOfParticipant: db.prepare('SELECT * FROM participant_keys WHERE participant_id = ? ORDER BY valid_from'),
      token: db.prepare('SELECT * FROM api_tokens WHERE token_hash = ?'),
      kvGet: db.prepare('SELECT value FROM kv WHERE key = ?'),
      kvSet: db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      lastTrail: db.prepare(
        `SELECT id, json_extract(body, '$.seq') AS seq, leaf_hash FROM records WHERE log_id = 'data-sharing' AND subject = ?
           ORDER BY json_extract(body, '$.seq') DESC, arrival DESC LIMIT 1`,
      ),
      // An index-only step over the partial index records_trail.
      trailPageEnd: db.prepare(`SELECT json_extract(body, '$.seq'), arrival FROM records WHERE ${TRAIL_RANGE_WHERE} ORDER BY ${TRAIL_ORDER} LIMIT 1 OFFSET ?`).raw(),
      lease: db.prepare('SELECT * FROM leases WHERE name = ?'),
      putLease: db.prepare(
        'INSERT INTO leases (name, holder, term, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, term = excluded.term, expires_at = excluded.expires_at',
      ),
    };
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
    await this.writeTurn();
    await this.walSync?.close();
    await this.writer?.close();
    if (this.db.open) this.db.close();
  }

  /**
   * Waits while a bulk insert runs on the writer thread. Every write calls it first: SQLite has one writer, and a
   * write meeting the writer thread's lock would wait in busy_timeout, holding the event loop. Reads need not wait
   * (WAL: they see the last commit).
   */
  private async writeTurn(): Promise<void> {
    while (this.bulk) await this.bulk.catch(() => undefined);
    // What earlier writes committed may be due for a checkpoint (it runs on its thread while this write goes on).
    this.checkpointer?.checkpointIfDue();
  }

  /** Runs `fn` (work on another connection that writes, e.g. a RESTART checkpoint) in the write turn: every write of this store waits until it settles. */
  private async inWriteTurn<T>(fn: () => Promise<T>): Promise<T> {
    await this.writeTurn();
    const running = fn();
    this.bulk = running;
    try {
      return await running;
    } finally {
      if (this.bulk === running) this.bulk = null;
    }
  }

  /**
   * Runs `fn` (one transaction) and resolves once it is durable. Through {@link WalSync}: committed with
   * synchronous=NORMAL, then the WAL fdatasync'd on libuv's thread pool, so the event loop serves requests meanwhile;
   * where the WAL file cannot be opened, committed with synchronous=FULL (SQLite syncs inside COMMIT) as before.
   */
  private async commitDurably<T>(fn: () => T): Promise<T> {
    const wal = this.walSync;
    if (!wal?.ready()) return fn();
    this.db.pragma('synchronous = NORMAL');
    let out: T;
    try {
      out = fn();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
    await wal.afterCommit();
    return out;
  }

  /** Copies the whole WAL into the database file and syncs it (WalSync's repair after a failed fdatasync); throws unless it completed. */
  private checkpointNow(): void {
    let row: { busy: number; log: number; checkpointed: number } | undefined;
    // The checkpointer's thread may be copying the WAL itself (SQLite then answers busy at once): wait for it, up to ~3 s.
    const until = Date.now() + 3000;
    for (;;) {
      [row] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
      if (row?.busy === 0 || Date.now() >= until) break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
    if (!row || row.busy !== 0 || row.checkpointed < row.log) {
      throw Object.assign(new Error(`the WAL could not be checkpointed (busy ${row?.busy}, ${row?.checkpointed} of ${row?.log} frames)`), { code: 'SQLITE_BUSY' });
    }
  }

  walCheckpointsOnMainThread(): boolean {
    return this.checkpointer?.onMainThread ?? false;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  // --- coordination ----------------------------------------------------------

  async takeLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    await this.writeTurn();
    return this.db.transaction((): Lease | undefined => {
      const now = Date.now();
      const row = this.stmts.lease.get(name) as LeaseRow | undefined;
      if (row && row.holder !== holder && row.expires_at > now) return undefined;
      const term = !row ? 1 : row.holder === holder ? row.term : row.term + 1;
      const lease: Lease = { name, holder, term, expiresAt: now + ttlMs };
      this.stmts.putLease.run(name, holder, term, lease.expiresAt);
      return lease;
    })();
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.writeTurn();
    this.db.prepare('UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND expires_at > ?').run(Date.now(), name, holder, Date.now());
  }

  async getLease(name: string): Promise<Lease | undefined> {
    const row = this.stmts.lease.get(name) as LeaseRow | undefined;
    return row && { name: row.name, holder: row.holder, term: row.term, expiresAt: row.expires_at };
  }

  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return LOCKS.run(`${this.lockScope}\0${name}`, fn);
  }

  // --- records -------------------------------------------------------------

  private insertOne(rec: NewRecord, receivedAt: number): StoredRecord {
    if (rec.trailLink) this.assertTrailLink(rec);
    try {
      const info = this.stmts.insertRecord.run(insertParams(rec, receivedAt));
      return { ...rec, arrival: Number(info.lastInsertRowid), receivedAt, leafIndex: null };
    } catch (e) {
      this.throwConflict(rec, e);
    }
  }

  /** Throws StoreConflictError 'seq' unless `rec` is the next of its trail (SQLite has one writer: nothing slips in between). */
  private assertTrailLink(rec: NewRecord): void {
    const row = this.stmts.lastTrail.get(rec.subject) as { id: string; seq: unknown; leaf_hash: Buffer } | undefined;
    const conflict = trailLinkConflict(rec, row && { id: row.id, seq: Number(row.seq), leafHash: new Uint8Array(row.leaf_hash) });
    if (conflict) throw conflict;
  }

  /**
   * A failed INSERT of `rec` as the StoreConflictError it means (a repeated id, signature or batch subject), else `e`
   * itself. `before`: the records inserted before it in a transaction that was rolled back (a subject they hold is not
   * in the database to look up).
   */
  private throwConflict(rec: NewRecord, e: unknown, before: readonly NewRecord[] = []): never {
    const msg = (e as Error).message;
    if (msg.includes('UNIQUE constraint failed: records.id')) throw new StoreConflictError('id', `record ${rec.id} was already accepted`);
    if (msg.includes('UNIQUE constraint failed: records.signature')) throw new StoreConflictError('signature', 'this signature was already used by an accepted record');
    if (msg.includes('UNIQUE constraint failed: records.subject') && rec.subject !== null) {
      const existing = before.find((r) => r.subject === rec.subject) ?? (this.stmts.batchBySubject.get(rec.subject) as { id: string } | undefined);
      // The same batch again is a replay of its id, not a second batch under its GTIN and lot.
      if (existing?.id === rec.id) throw new StoreConflictError('id', `record ${rec.id} was already accepted`);
      throw new StoreConflictError('subject', `batch subject ${rec.subject} is already registered as ${existing?.id ?? '?'}`, rec.subject, existing?.id);
    }
    throw e;
  }

  async insertRecord(rec: NewRecord): Promise<StoredRecord> {
    await this.writeTurn();
    return this.commitDurably(() => this.insertOne(rec, Date.now()));
  }

  /**
   * All or nothing: one transaction, so a failed row leaves no half-import. From {@link BULK_INSERT_MIN} records
   * the transaction runs on the writer thread (a CSV import of 10,000 batches would hold the event loop ~2 s).
   */
  async insertRecords(recs: readonly NewRecord[]): Promise<void> {
    await this.writeTurn();
    const now = Date.now();
    // A trail link is checked against the rows before it: on this connection, in this transaction.
    if (!this.writer || recs.length < BULK_INSERT_MIN || recs.some((r) => r.trailLink)) {
      await this.commitDurably(() => this.db.transaction(() => recs.forEach((r) => this.insertOne(r, now)))());
      return;
    }
    const writing = this.writer.insert(recs, (r) => insertParams(r, now));
    this.bulk = writing;
    try {
      await writing;
    } catch (e) {
      const index = e instanceof BulkInsertError && e.code?.startsWith('SQLITE_CONSTRAINT') ? e.index : undefined;
      if (index !== undefined) this.throwConflict(recs[index]!, e, recs.slice(0, index));
      throw e;
    } finally {
      this.bulk = null;
    }
  }

  async insertRecordsEach(recs: readonly NewRecord[]): Promise<(StoredRecord | StoreConflictError)[]> {
    await this.writeTurn();
    const now = Date.now();
    // A failed INSERT rolls back only that statement; the others commit together.
    return this.commitDurably(() => this.db.transaction(() =>
      recs.map((r) => {
        try {
          return this.insertOne(r, now);
        } catch (e) {
          if (e instanceof StoreConflictError) return e;
          throw e;
        }
      }),
    )());
  }

  async getRecord(id: string): Promise<StoredRecord | undefined> {
    const row = this.stmts.recordById.get(id) as RecordRow | undefined;
    return row && toRecord(row);
  }

  async batchConsent(batchId: string): Promise<BatchConsent | undefined> {
    const row = this.stmts.batchConsent.get(batchId) as [string | null, string | null, string | null] | undefined;
    if (!row) return undefined;
    const [participantId, reportIds, commissionedLabs] = row;
    return { participantId, reportIds: jsonValueColumn(reportIds), commissionedLabs: jsonValueColumn(commissionedLabs) };
  }

  async getRecordByLeafIndex(logId: LogId, index: number): Promise<StoredRecord | undefined> {
    const row = this.stmts.recordByLeaf.get(logId, index) as RecordRow | undefined;
    return row && toRecord(row);
  }

  async listRecords(q: { type?: string; subject?: string; participantId?: string; limit?: number; afterArrival?: number }): Promise<StoredRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const filter = (clause: string, value: unknown) => {
      where.push(clause);
      args.push(value);
    };
    if (q.type) filter('type = ?', q.type);
    if (q.subject) filter('subject = ?', q.subject);
    if (q.participantId) filter('participant_id = ?', q.participantId);
    if (q.afterArrival !== undefined) filter('arrival > ?', q.afterArrival);
    const sql = `SELECT ${RECORD_COLUMNS} FROM records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY arrival LIMIT ?`;
    args.push(Math.min(q.limit ?? 100, 10_000));
    return (this.db.prepare(sql).all(...args) as RecordRow[]).map(toRecord);
  }

  async searchBatches(q: BatchSearch): Promise<{ records: StoredRecord[]; total: number }> {
    // The literal type = 'Batch' lets SQLite use the partial indexes of migration 7.
    const where: string[] = ["type = 'Batch'"];
    const args: unknown[] = [];
    const filter = (clause: string, ...values: unknown[]) => {
      where.push(clause);
      args.push(...values);
    };
    const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    if (q.participantId !== undefined) filter('participant_id = ?', q.participantId);
    if (q.gtin !== undefined) filter("json_extract(body, '$.gtin') = ?", q.gtin);
    if (q.lot !== undefined) filter("json_extract(body, '$.lot') LIKE ? ESCAPE '\\'", like(q.lot));
    if (q.category !== undefined) filter("json_extract(body, '$.productCategory') = ?", q.category);
    if (q.dateFrom !== undefined) filter("json_extract(body, '$.productionDate.date') >= ?", q.dateFrom);
    if (q.dateTo !== undefined) filter("json_extract(body, '$.productionDate.date') <= ?", q.dateTo);
    if (q.text !== undefined) {
      const t = like(q.text);
      filter(
        "(json_extract(body, '$.lot') LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\' OR json_extract(body, '$.gtin') LIKE ? ESCAPE '\\' OR json_extract(body, '$.certificate.productName') LIKE ? ESCAPE '\\')",
        t,
        t,
        t,
        t,
      );
    }
    const matching = where.join(' AND ');
    // Without statistics the planner prefers records_type (type, arrival) and parses every batch's body; a producer's
    // search reads its covering index instead, a GTIN's its GTIN index (both migration 7): ~10x faster at 10,000 batches.
    const index = q.participantId !== undefined ? 'INDEXED BY records_batch_owner' : q.gtin !== undefined ? 'INDEXED BY records_batch_gtin' : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM records ${index} WHERE ${matching}`).get(...args) as { n: number }).n;
    const desc = q.order === 'desc';
    const page = [...where];
    const pageArgs = [...args];
    if (q.afterArrival !== undefined) {
      page.push(desc ? 'arrival < ?' : 'arrival > ?');
      pageArgs.push(q.afterArrival);
    }
    pageArgs.push(Math.min(Math.max(1, q.limit), 10_000));
    const rows = this.db.prepare(`SELECT ${RECORD_COLUMNS} FROM records ${index} WHERE ${page.join(' AND ')} ORDER BY arrival ${desc ? 'DESC' : 'ASC'} LIMIT ?`).all(...pageArgs) as RecordRow[];
    return { records: rows.map(toRecord), total };
  }

  // --- data-sharing trails -------------------------------------------------
  // These queries spell out the partial index records_trail (migration 2): its WHERE and expression.

  async trailRecords(departmentId: string, q: TrailPageQuery = {}): Promise<StoredRecord[]> {
    return (this.trailPage(RECORD_COLUMNS).all(...trailPageArgs(departmentId, q)) as RecordRow[]).map(toRecord);
  }

  async trailRecordTexts(departmentId: string, q: TrailPageQuery = {}): Promise<StoredTrailText[]> {
    const rows = this.trailPage(`arrival, id, ${RECORD_LEAF_INDEX}, json_extract(body, '$.seq'), entry, body, salts`)
      .raw()
      .all(...trailPageArgs(departmentId, q)) as [number, string, number | null, unknown, string, string, string][];
    return rows.map((r) => ({ arrival: r[0], id: r[1], leafIndex: r[2], seq: orderSeq(r[3]), entry: r[4], body: r[5], salts: r[6] }));
  }

  /** A trail page's statement selecting `columns`: a trail range (store/trail-reader: the partial index records_trail's WHERE and order), limited. */
  private trailPage(columns: string): Database.Statement {
    return this.db.prepare(`SELECT ${columns} FROM records WHERE ${TRAIL_RANGE_WHERE} ORDER BY ${TRAIL_ORDER} LIMIT ?`);
  }

  trailReadSource(): TrailReadSource | undefined {
    return this.file === undefined ? undefined : { file: this.file };
  }

  async trailPageEnd(range: Omit<TrailRange, 'to'>, size: number): Promise<TrailKey | undefined> {
    const row = this.stmts.trailPageEnd.get(...trailRangeArgs(range), size - 1) as [number, number] | undefined;
    return row && { seq: row[0], arrival: row[1] };
  }

  async lastTrailRecord(departmentId: string): Promise<StoredRecord | undefined> {
    const row = this.db
      .prepare(`SELECT ${RECORD_COLUMNS} FROM records WHERE log_id = 'data-sharing' AND subject = ? ORDER BY json_extract(body, '$.seq') DESC, arrival DESC LIMIT 1`)
      .get(departmentId) as RecordRow | undefined;
    return row && toRecord(row);
  }

  async trailSummaries(): Promise<TrailSummary[]> {
    const rows = this.db
      .prepare(
        `SELECT subject, COUNT(*) AS n, MAX(json_extract(body, '$.seq')) AS last_seq,
           (SELECT r2.issued_at FROM records r2 WHERE r2.log_id = 'data-sharing' AND r2.subject = r.subject
              ORDER BY json_extract(r2.body, '$.seq') DESC, r2.arrival DESC LIMIT 1) AS last_issued_at
         FROM records r WHERE log_id = 'data-sharing' AND subject IS NOT NULL GROUP BY subject ORDER BY subject`,
      )
      .all() as { subject: string; n: number; last_seq: number; last_issued_at: string }[];
    return rows.map((r) => ({ departmentId: r.subject, records: r.n, lastSeq: r.last_seq, lastIssuedAt: r.last_issued_at }));
  }

  async logEntries(logId: LogId, from: number, to: number, opts: { excludeSubject?: string } = {}): Promise<StoredLogEntry[]> {
    const rows = (
      opts.excludeSubject === undefined
        ? this.db.prepare(`${LOG_ENTRIES_SQL} ORDER BY l.leaf_index`).all(logId, from, to)
        : this.db.prepare(`${LOG_ENTRIES_SQL} AND r.subject IS NOT ? ORDER BY l.leaf_index`).all(logId, from, to, opts.excludeSubject)
    ) as { id: string; leaf_index: number; entry: string; subject: string | null }[];
    return rows.map((r) => ({ recordId: r.id, leafIndex: r.leaf_index, entry: r.entry, subject: r.subject }));
  }

  async firstLostLeaf(logId: LogId, size: number): Promise<number | null> {
    // (log_id, leaf_index) is the key: `size` leaves in [0, size) whose records are all there leave no position
    // without one. Counted inside SQLite (an incremental audit asks this every time); only a gap is looked for row by row.
    const held = this.db
      .prepare('SELECT COUNT(*) FROM log_leaves l JOIN records r ON r.id = l.record_id WHERE l.log_id = ? AND l.leaf_index >= 0 AND l.leaf_index < ?')
      .pluck()
      .get(logId, size) as number;
    if (held === size) return null;
    const rows = this.db
      .prepare('SELECT l.leaf_index AS i, r.id IS NOT NULL AS present FROM log_leaves l LEFT JOIN records r ON r.id = l.record_id WHERE l.log_id = ? AND l.leaf_index < ? ORDER BY l.leaf_index')
      .iterate(logId, size) as IterableIterator<{ i: number; present: number }>;
    let expected = 0;
    for (const row of rows) {
      if (row.i !== expected || !row.present) return expected;
      expected++;
    }
    return expected < size ? expected : null;
  }

  // --- the log -------------------------------------------------------------

  /**
   * The log's appender, and the arrival of the last record appended to it (0: none yet): every record of the log up
   * to that arrival is in the log, the ones after it wait.
   */
  private loadLogState(logId: LogId): { appender: Appender; lastArrival: number } {
    const row = this.stmts.logState.get(logId) as { size: number; compact: string; last_arrival: number } | undefined;
    if (!row) return { appender: new Appender(), lastArrival: 0 };
    return { appender: Appender.fromState({ size: row.size, hashes: (JSON.parse(row.compact) as string[]).map(fromHex) }), lastArrival: row.last_arrival };
  }

  async sequencePending(logId: LogId, max: number): Promise<AppendResult> {
    await this.writeTurn();
    // Sequencing is derived data (the records' arrival order, replayed the same way after a crash): its commits
    // skip the fsync that would hold the event loop each time. The WAL keeps commits in order, and the next
    // synchronous=FULL commit (a record, a checkpoint) syncs these frames with its own, so a power cut can only
    // lose the latest sequencing, never a checkpoint built on it.
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.sequenceInTransaction(logId, max);
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  private sequenceInTransaction(logId: LogId, max: number): AppendResult {
    return this.db.transaction((): AppendResult => {
      const { appender, lastArrival: after } = this.loadLogState(logId);
      const rows = this.stmts.unsequenced.all(logId, after, max) as { arrival: number; id: string; leaf_hash: Buffer }[];
      const deadline = performance.now() + SEQUENCE_BUDGET_MS;
      let appended = 0;
      let lastArrival = 0;
      for (const row of rows) {
        // Synchronous SQLite holds the event loop: stop after the budget, the caller calls again.
        if (appended > 0 && performance.now() > deadline) break;
        appended++;
        const index = appender.size;
        const leaf = new Uint8Array(row.leaf_hash);
        this.stmts.insertLeaf.run(logId, index, row.id, row.leaf_hash);
        lastArrival = row.arrival;
        appender.append(leaf, (level, idx, hash) => {
          this.stmts.insertNode.run(logId, level, idx, Buffer.from(hash));
        });
      }
      if (appended > 0) this.stmts.putLogState.run(logId, appender.size, JSON.stringify(appender.state().hashes.map(toHex)), lastArrival);
      return { appended, size: appender.size, root: appender.root() };
    })();
  }

  async logHead(logId: LogId): Promise<LogHead> {
    const { appender } = this.loadLogState(logId);
    return { size: appender.size, root: appender.root() };
  }

  async countUnsequenced(logId: LogId): Promise<{ count: number; oldestReceivedAt: number | null }> {
    const row = this.stmts.countUnsequenced.get(logId, logId) as { n: number; oldest: number | null };
    return { count: row.n, oldestReceivedAt: row.oldest };
  }

  nodeReader(logId: LogId): NodeReader {
    const stmt = this.stmts.node;
    return {
      readNodes: async (ids: readonly NodeId[]): Promise<Hash[]> =>
        ids.map((id) => {
          const row = stmt.get(logId, id.level, id.index) as { hash: Buffer } | undefined;
          if (!row) throw new InvariantError(`tree node (${id.level}, ${id.index}) of log ${logId} is missing`);
          return new Uint8Array(row.hash);
        }),
    };
  }

  async leafHashes(logId: LogId, from: number, to: number): Promise<Hash[]> {
    return (this.stmts.leafRange.all(logId, from, to) as { leaf_hash: Buffer }[]).map((r) => new Uint8Array(r.leaf_hash));
  }

  // --- checkpoints ---------------------------------------------------------

  async putCheckpoint(c: Pick<Checkpoint, 'logId' | 'size' | 'root'> & CheckpointPatch): Promise<Checkpoint> {
    await this.writeTurn();
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO checkpoints (log_id, size, root, status, chain_id, contract, tx_hash, block_number, block_time, attempts, last_error, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (log_id, size) DO NOTHING`,
      )
      .run(c.logId, c.size, c.root, c.status ?? 'pending', c.chainId ?? null, c.contract ?? null, c.txHash ?? null, c.blockNumber ?? null, c.blockTime ?? null, c.attempts ?? 0, c.lastError ?? null, now, now);
    const row = this.stmts.checkpoint.get(c.logId, c.size) as CheckpointRow;
    if (row.root !== c.root) throw new InvariantError(`checkpoint ${c.logId}@${c.size} already stored with root ${row.root}, not ${c.root}`);
    return toCheckpoint(row);
  }

  async updateCheckpoint(logId: LogId, size: number, patch: CheckpointPatch): Promise<Checkpoint> {
    await this.writeTurn();
    const cols: Record<keyof CheckpointPatch, string> = {
      status: 'status',
      chainId: 'chain_id',
      contract: 'contract',
      txHash: 'tx_hash',
      blockNumber: 'block_number',
      blockTime: 'block_time',
      attempts: 'attempts',
      lastError: 'last_error',
    };
    const keys = (Object.keys(patch) as (keyof CheckpointPatch)[]).filter((k) => patch[k] !== undefined);
    const sets = keys.map((k) => `${cols[k]} = ?`);
    const info = this.db
      .prepare(`UPDATE checkpoints SET ${[...sets, 'updated_at = ?'].join(', ')} WHERE log_id = ? AND size = ?`)
      .run(...keys.map((k) => patch[k] ?? null), Date.now(), logId, size);
    if (info.changes !== 1) throw new InvariantError(`no checkpoint ${logId}@${size} to update`);
    return toCheckpoint(this.stmts.checkpoint.get(logId, size) as CheckpointRow);
  }

  async listCheckpoints(logId: LogId, status?: CheckpointStatus): Promise<Checkpoint[]> {
    const rows = status
      ? this.db.prepare('SELECT * FROM checkpoints WHERE log_id = ? AND status = ? ORDER BY size').all(logId, status)
      : this.db.prepare('SELECT * FROM checkpoints WHERE log_id = ? ORDER BY size').all(logId);
    return (rows as CheckpointRow[]).map(toCheckpoint);
  }

  async latestCheckpoint(logId: LogId, status?: CheckpointStatus): Promise<Checkpoint | undefined> {
    const row = status
      ? this.db.prepare('SELECT * FROM checkpoints WHERE log_id = ? AND status = ? ORDER BY size DESC LIMIT 1').get(logId, status)
      : this.db.prepare("SELECT * FROM checkpoints WHERE log_id = ? AND status != 'orphaned' ORDER BY size DESC LIMIT 1").get(logId);
    return row ? toCheckpoint(row as CheckpointRow) : undefined;
  }

  // --- participants, keys, revocations, tokens ------------------------------

  async upsertParticipant(p: Participant): Promise<void> {
    await this.writeTurn();
    this.forgetParticipants();
    this.putParticipant(p);
  }

  private putParticipant(p: Participant): void {
    this.db
      .prepare(
        `INSERT INTO participants (id, kind, name, code, valid_from, valid_to, data, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, code = excluded.code, valid_from = excluded.valid_from,
           valid_to = excluded.valid_to, data = excluded.data, active = excluded.active`,
      )
      .run(p.id, p.kind, p.name, p.code, p.validFrom, p.validTo, JSON.stringify(p.data), p.active ? 1 : 0);
  }

  async getParticipant(id: string): Promise<Participant | undefined> {
    if (this.participantCache.has(id)) return this.participantCache.get(id);
    const row = this.stmts.participant.get(id) as ParticipantRow | undefined;
    const p = row && toParticipant(row);
    this.participantCache.set(id, p);
    return p;
  }

  async listParticipants(kind?: ParticipantKind): Promise<Participant[]> {
    const rows = kind ? this.db.prepare('SELECT * FROM participants WHERE kind = ? ORDER BY name').all(kind) : this.db.prepare('SELECT * FROM participants ORDER BY kind, name').all();
    return (rows as ParticipantRow[]).map(toParticipant);
  }

  async upsertKey(k: ParticipantKey): Promise<void> {
    await this.writeTurn();
    this.forgetParticipants();
    this.putKey(k);
  }

  private putKey(k: ParticipantKey): void {
    this.db
      .prepare(
        `INSERT INTO participant_keys (address, participant_id, valid_from, valid_to, revoked_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (address, participant_id) DO UPDATE SET valid_from = excluded.valid_from, valid_to = excluded.valid_to, revoked_at = excluded.revoked_at`,
      )
      .run(k.address.toLowerCase(), k.participantId, k.validFrom, k.validTo, k.revokedAt);
  }

  async keysOf(address: string): Promise<ParticipantKey[]> {
    const a = address.toLowerCase();
    let keys = this.keyCache.get(a);
    if (!keys) {
      keys = (this.stmts.keysOf.all(a) as KeyRow[]).map(toKey);
      this.keyCache.set(a, keys);
    }
    return keys.map((k) => ({ ...k }));
  }

  async keysOfParticipant(participantId: string): Promise<ParticipantKey[]> {
    return (this.stmts.keysOfParticipant.all(participantId) as KeyRow[]).map(toKey);
  }

  async resetMirror(): Promise<void> {
    await this.writeTurn();
    this.forgetParticipants();
    this.db.transaction(() => {
      this.db.exec("DELETE FROM participant_keys; DELETE FROM product_keys; DELETE FROM revocations; UPDATE participants SET active = 0; DELETE FROM kv WHERE key LIKE 'mirror:%';");
    })();
  }

  async upsertProductKey(k: ProductKey): Promise<void> {
    await this.writeTurn();
    this.putProductKey(k);
  }

  private putProductKey(k: ProductKey): void {
    this.db.prepare('INSERT INTO product_keys (key, producer_id) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET producer_id = excluded.producer_id').run(k.key, k.producerId.toLowerCase());
  }

  async productKeysOf(producerId: string): Promise<string[]> {
    return (this.db.prepare('SELECT key FROM product_keys WHERE producer_id = ? ORDER BY key').all(producerId.toLowerCase()) as { key: string }[]).map((r) => r.key);
  }

  async productKeyOwner(gtin14: string): Promise<string | undefined> {
    const candidates = productKeyCandidates(gtin14);
    if (candidates.length === 0) return undefined;
    // Keys never overlap (the contract refuses it), so at most one candidate is a key; the longest wins anyway.
    const row = this.db
      .prepare(`SELECT producer_id FROM product_keys WHERE key IN (${candidates.map(() => '?').join(', ')}) ORDER BY length(key) DESC LIMIT 1`)
      .get(...candidates) as { producer_id: string } | undefined;
    return row?.producer_id;
  }

  async upsertRevocation(r: Revocation): Promise<void> {
    await this.writeTurn();
    this.putRevocation(r);
  }

  private putRevocation(r: Revocation): void {
    this.db
      .prepare(
        `INSERT INTO revocations (leaf_hash, revoker_id, reason_code, revoked_at, revoked_by, tx_hash) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (leaf_hash, revoker_id) DO UPDATE SET reason_code = excluded.reason_code, revoked_at = excluded.revoked_at, revoked_by = excluded.revoked_by,
           tx_hash = excluded.tx_hash`,
      )
      .run(r.leafHash.toLowerCase(), r.revokerId.toLowerCase(), r.reasonCode, r.revokedAt, r.revokedBy, r.txHash);
  }

  async applyMirrorState(state: MirrorState, opts: { replace: boolean; position?: { key: string; value: string } }): Promise<MirrorRemoved> {
    await this.writeTurn();
    const removed: MirrorRemoved = { participants: 0, deactivated: 0, keys: 0, productKeys: 0, revocations: 0 };
    try {
      this.db.transaction(() => {
        for (const p of state.participants) this.putParticipant(p);
        for (const k of state.keys) this.putKey(k);
        for (const k of state.productKeys) this.putProductKey(k);
        for (const r of state.revocations) this.putRevocation(r);
        if (opts.replace) this.removeMirrorRowsNotIn(state, removed);
        if (opts.position) this.stmts.kvSet.run(opts.position.key, opts.position.value);
      })();
    } finally {
      this.forgetParticipants();
    }
    return removed;
  }

  /** Deletes the mirrored rows `state` lacks (inside applyMirrorState's transaction); keys go before their participants. */
  private removeMirrorRowsNotIn(state: MirrorState, removed: MirrorRemoved): void {
    const keys = new Set(state.keys.map((k) => `${k.address.toLowerCase()}:${k.participantId}`));
    for (const row of this.db.prepare('SELECT address, participant_id FROM participant_keys').all() as { address: string; participant_id: string }[]) {
      if (keys.has(`${row.address}:${row.participant_id}`)) continue;
      this.db.prepare('DELETE FROM participant_keys WHERE address = ? AND participant_id = ?').run(row.address, row.participant_id);
      removed.keys++;
    }
    const productKeys = new Set(state.productKeys.map((k) => k.key));
    for (const row of this.db.prepare('SELECT key FROM product_keys').all() as { key: string }[]) {
      if (productKeys.has(row.key)) continue;
      this.db.prepare('DELETE FROM product_keys WHERE key = ?').run(row.key);
      removed.productKeys++;
    }
    const revocations = new Set(state.revocations.map((r) => `${r.leafHash}:${r.revokerId}`.toLowerCase()));
    for (const row of this.db.prepare('SELECT leaf_hash, revoker_id FROM revocations').all() as { leaf_hash: string; revoker_id: string }[]) {
      if (revocations.has(`${row.leaf_hash}:${row.revoker_id}`)) continue;
      this.db.prepare('DELETE FROM revocations WHERE leaf_hash = ? AND revoker_id = ?').run(row.leaf_hash, row.revoker_id);
      removed.revocations++;
    }
    const participants = new Set(state.participants.map((p) => p.id));
    const tokenHolders = this.db.prepare('SELECT 1 FROM api_tokens WHERE participant_id = ? LIMIT 1');
    for (const row of this.db.prepare('SELECT id, active FROM participants').all() as { id: string; active: number }[]) {
      if (participants.has(row.id)) continue;
      // A token row names its producer (a foreign key): the producer stays, inactive, so the token is refused.
      if (tokenHolders.get(row.id)) {
        if (row.active === 1) {
          this.db.prepare('UPDATE participants SET active = 0 WHERE id = ?').run(row.id);
          removed.deactivated++;
        }
        continue;
      }
      this.db.prepare('DELETE FROM participant_keys WHERE participant_id = ?').run(row.id);
      this.db.prepare('DELETE FROM participants WHERE id = ?').run(row.id);
      removed.participants++;
    }
  }

  async getRevocation(leafHash: string, revokerId: string): Promise<Revocation | undefined> {
    const row = this.db.prepare('SELECT * FROM revocations WHERE leaf_hash = ? AND revoker_id = ?').get(leafHash.toLowerCase(), revokerId.toLowerCase()) as RevocationRow | undefined;
    return row && toRevocation(row);
  }

  async revocationsOf(leafHash: string): Promise<Revocation[]> {
    const rows = this.db.prepare('SELECT * FROM revocations WHERE leaf_hash = ? ORDER BY revoked_at, revoker_id').all(leafHash.toLowerCase()) as RevocationRow[];
    return rows.map(toRevocation);
  }

  async countRevocations(leafHashes: readonly string[]): Promise<number> {
    if (leafHashes.length === 0) return 0;
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM revocations WHERE leaf_hash IN (${leafHashes.map(() => '?').join(', ')})`)
      .get(...leafHashes.map((h) => h.toLowerCase())) as { n: number };
    return row.n;
  }

  async insertToken(t: ApiToken): Promise<void> {
    await this.writeTurn();
    this.db
      .prepare('INSERT INTO api_tokens (token_hash, role, participant_id, label, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(t.tokenHash, t.role, t.participantId, t.label, t.createdAt, t.revokedAt);
  }

  async getToken(tokenHash: string): Promise<ApiToken | undefined> {
    const row = this.stmts.token.get(tokenHash) as { token_hash: string; role: TokenRole; participant_id: string | null; label: string; created_at: number; revoked_at: number | null } | undefined;
    return row && { tokenHash: row.token_hash, role: row.role, participantId: row.participant_id, label: row.label, createdAt: row.created_at, revokedAt: row.revoked_at };
  }

  async listTokens(): Promise<ApiToken[]> {
    const rows = this.db.prepare('SELECT * FROM api_tokens ORDER BY created_at, token_hash').all() as { token_hash: string; role: TokenRole; participant_id: string | null; label: string; created_at: number; revoked_at: number | null }[];
    return rows.map((row) => ({ tokenHash: row.token_hash, role: row.role, participantId: row.participant_id, label: row.label, createdAt: row.created_at, revokedAt: row.revoked_at }));
  }

  async revokeToken(tokenHash: string, at: number): Promise<void> {
    await this.writeTurn();
    this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL').run(at, tokenHash);
  }

  async getKv(key: string): Promise<string | undefined> {
    return (this.stmts.kvGet.get(key) as { value: string } | undefined)?.value;
  }

  async setKv(key: string, value: string): Promise<void> {
    await this.writeTurn();
    this.stmts.kvSet.run(key, value);
  }
}

interface LeaseRow {
  name: string;
  holder: string;
  term: number;
  expires_at: number;
}

