/**
 * The scale-out store: PostgreSQL through node-postgres (`pg`), shared by several server instances. Same semantics as
 * the SQLite store (sqlite.ts) in every method. Writes are acknowledged after COMMIT with synchronous_commit on (set
 * on every connection). Whatever must hold across instances is enforced in the database: unique ids, signatures and
 * batch subjects (constraints), the trail link rule (a transaction-scoped advisory lock per trail), appends to a log
 * (its log_state row taken FOR UPDATE), leases (one conditional upsert), locks (session advisory locks). Nothing is
 * cached between calls: another instance may have changed it.
 */
import pg from 'pg';
import { Appender } from '../ledger/appender';
import { InvariantError } from '../ledger/errors';
import { EMPTY_ROOT, fromHex, toHex, type Hash } from '../ledger/rfc6962';
import type { NodeId, NodeReader } from '../ledger/tree';
import { PG_MIGRATIONS } from './postgres-migrations';
import { watchStorage } from './storage-faults';
import { trailLinkConflict } from './trail-link';
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
  type Lease,
  type LogHead,
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
  type TrailPageQuery,
  type TrailSummary,
} from './types';
import { jsonObjectColumn, orderSeq, type CheckpointRow, type KeyRow, type ParticipantRow, type RecordRow, type RevocationRow, type TokenRow, toCheckpoint, toKey, toParticipant, toRecord, toRevocation, toToken } from './rows';
import { KeyedTurns } from './turns';

type Db = pg.Pool | pg.PoolClient;

/** Rows per multi-row INSERT (14 parameters each, below PostgreSQL's 65,535). */
const INSERT_CHUNK = 500;
/** The advisory lock key (one bigint) of the migrations. */
const MIGRATION_LOCK = 0x74726163656c6467n; // "traceldg"
/** The database server's clock in ms. */
const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
/** A record's body as JSON, for queries. */
const BODY = '(body::jsonb)';

/** This pool's type parsers: BIGINT (and COUNT) as a JavaScript number; nothing global changes. */
const TYPES = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};


/** A record row's columns as RecordRow has them (not the derived batch_* columns). */
const RECORD_SELECT = 'arrival, id, log_id, type, body, salts, record_root, signer, signature, issued_at, entry, leaf_hash, participant_id, subject, received_at, leaf_index';

const RECORD_COLUMNS = 'id, log_id, type, body, salts, record_root, signer, signature, issued_at, entry, leaf_hash, participant_id, subject, received_at';

const recordValues = (rec: NewRecord, receivedAt: number): unknown[] => [
  rec.id,
  rec.logId,
  rec.type,
  JSON.stringify(rec.body),
  JSON.stringify(rec.salts),
  rec.recordRoot,
  rec.signer,
  rec.signature,
  rec.issuedAt,
  rec.entry,
  Buffer.from(rec.leafHash),
  rec.participantId,
  rec.subject,
  receivedAt,
];

/** `(…$1..$14), (…$15..$28)…` for `rows` rows of `width` parameters. */
const placeholders = (rows: number, width: number): string =>
  Array.from({ length: rows }, (_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ');

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
}

const isUniqueViolation = (e: unknown): e is PgError => (e as PgError | null)?.code === '23505';

/** The advisory lock key of the trail of `subject` (transaction-scoped, see insert). */
const trailLockSql = "SELECT pg_advisory_xact_lock(hashtextextended('trail:' || $1, 0))";

export interface PostgresStoreOptions {
  /** Pool size (default 10). */
  poolSize?: number;
}

/** Opens the PostgreSQL store at `url` (postgres:// or postgresql://), applying its migrations first. */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, types: TYPES, options: '-c synchronous_commit=on -c client_encoding=UTF8' });
  // An idle connection's error (the server restarted) must not crash the process: the pool drops that connection.
  pool.on('error', () => undefined);
  try {
    await migratePostgres(pool);
  } catch (e) {
    await pool.end();
    throw e;
  }
  return watchStorage(new PostgresStore(pool));
}

/** Applies the pending migrations, each in its own transaction, holding the migration advisory lock throughout. */
export async function migratePostgres(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const done = (await c.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')).rows[0]!.v ?? 0;
      for (let v = done; v < PG_MIGRATIONS.length; v++) {
        await c.query('BEGIN');
        try {
          await c.query(PG_MIGRATIONS[v]!);
          await c.query(`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, ${NOW_MS})`, [v + 1]);
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK');
          throw e;
        }
      }
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
    }
  } finally {
    c.release();
  }
}

export class PostgresStore implements Store {
  /** withLock's queues in this instance, by lock name (one pool connection waits per name, not one per caller). */
  private readonly localLocks = new KeyedTurns();

  constructor(readonly pool: pg.Pool) {}

  async close(): Promise<void> {
    await this.pool.end();
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  private async rows<R>(sql: string, args: unknown[] = [], db: Db = this.pool): Promise<R[]> {
    return (await db.query(sql, args)).rows as R[];
  }

  /** Runs `fn` in a transaction on one connection: committed when it resolves, rolled back when it throws. */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      let out: T;
      try {
        out = await fn(c);
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
      await c.query('COMMIT');
      return out;
    } finally {
      c.release();
    }
  }

  // --- coordination ----------------------------------------------------------

  async takeLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    const rows = await this.rows<{ name: string; holder: string; term: number; expires_at: number }>(
      `INSERT INTO leases AS l (name, holder, term, expires_at) VALUES ($1, $2, 1, ${NOW_MS} + $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
         term = CASE WHEN l.holder = excluded.holder THEN l.term ELSE l.term + 1 END
       WHERE l.holder = excluded.holder OR l.expires_at <= ${NOW_MS}
       RETURNING name, holder, term, expires_at`,
      [name, holder, Math.round(ttlMs)],
    );
    const r = rows[0];
    return r && { name: r.name, holder: r.holder, term: r.term, expiresAt: r.expires_at };
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.pool.query(`UPDATE leases SET expires_at = ${NOW_MS} WHERE name = $1 AND holder = $2 AND expires_at > ${NOW_MS}`, [name, holder]);
  }

  async getLease(name: string): Promise<Lease | undefined> {
    const r = (await this.rows<{ name: string; holder: string; term: number; expires_at: number }>('SELECT * FROM leases WHERE name = $1', [name]))[0];
    return r && { name: r.name, holder: r.holder, term: r.term, expiresAt: r.expires_at };
  }

  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    // One connection waits on the advisory lock per name from this process; the others queue here.
    return this.localLocks.run(name, () => this.withAdvisoryLock(name, fn));
  }

  /** `fn` under the session advisory lock `name`, held on one pool connection (released with it if that connection dies). */
  private async withAdvisoryLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken = false;
    try {
      await c.query("SELECT pg_advisory_lock(hashtextextended('lock:' || $1, 0))", [name]);
      try {
        return await fn();
      } finally {
        await c.query("SELECT pg_advisory_unlock(hashtextextended('lock:' || $1, 0))", [name]).catch(() => (broken = true));
      }
    } finally {
      c.release(broken);
    }
  }

  // --- records -------------------------------------------------------------

  /** The batch registered under `subject`, if any. */
  private async batchBySubject(subject: string, db: Db = this.pool): Promise<string | undefined> {
    return (await this.rows<{ id: string }>("SELECT id FROM records WHERE type = 'Batch' AND subject = $1 ORDER BY arrival LIMIT 1", [subject], db))[0]?.id;
  }

  /**
   * The StoreConflictError a unique violation `e` on inserting `rec` means, else null. `before`: records inserted before
   * it in a transaction that was rolled back (a subject they hold is not in the database to look up).
   */
  private async conflictOf(rec: NewRecord, e: unknown, before: readonly NewRecord[] = [], db: Db = this.pool): Promise<StoreConflictError | null> {
    if (!isUniqueViolation(e)) return null;
    if (e.constraint === 'records_id_unique') return new StoreConflictError('id', `record ${rec.id} was already accepted`);
    if (e.constraint === 'records_signature_unique') return new StoreConflictError('signature', 'this signature was already used by an accepted record');
    if (e.constraint === 'records_batch_subject' && rec.subject !== null) {
      const existing = before.find((r) => r.subject === rec.subject)?.id ?? (await this.batchBySubject(rec.subject, db));
      if (existing === rec.id) return new StoreConflictError('id', `record ${rec.id} was already accepted`);
      return new StoreConflictError('subject', `batch subject ${rec.subject} is already registered as ${existing ?? '?'}`, rec.subject, existing);
    }
    return null;
  }

  /** Takes the trail locks of the records with a trail link, in one order (no deadlock between two such transactions). */
  private async lockTrails(c: pg.PoolClient, recs: readonly NewRecord[]): Promise<void> {
    const subjects = [...new Set(recs.filter((r) => r.trailLink).map((r) => r.subject ?? ''))].sort();
    for (const s of subjects) await c.query(trailLockSql, [s]);
  }

  /** Throws StoreConflictError 'seq' unless `rec` is the next of its trail (the caller holds the trail's lock). */
  private async assertTrailLink(c: pg.PoolClient, rec: NewRecord): Promise<void> {
    const last = (
      await this.rows<{ id: string; seq: unknown; leaf_hash: Buffer }>(
        `SELECT id, ${BODY} -> 'seq' AS seq, leaf_hash FROM records WHERE log_id = 'data-sharing' AND subject = $1
         ORDER BY ${BODY} -> 'seq' DESC, arrival DESC LIMIT 1`,
        [rec.subject],
        c,
      )
    )[0];
    const conflict = trailLinkConflict(rec, last && { id: last.id, seq: Number(last.seq), leafHash: new Uint8Array(last.leaf_hash) });
    if (conflict) throw conflict;
  }

  /** INSERTs one record on `db` (inside a transaction when it has a trail link); throws StoreConflictError for a repeat. */
  private async insertOne(db: Db, rec: NewRecord, receivedAt: number, before: readonly NewRecord[] = []): Promise<StoredRecord> {
    try {
      const row = (await this.rows<{ arrival: number }>(`INSERT INTO records (${RECORD_COLUMNS}) VALUES ${placeholders(1, 14)} RETURNING arrival`, recordValues(rec, receivedAt), db))[0]!;
      return { ...rec, arrival: row.arrival, receivedAt, leafIndex: null };
    } catch (e) {
      throw (await this.conflictOf(rec, e, before)) ?? e;
    }
  }

  async insertRecord(rec: NewRecord): Promise<StoredRecord> {
    const now = Date.now();
    if (!rec.trailLink) return this.insertOne(this.pool, rec, now);
    return this.tx(async (c) => {
      await this.lockTrails(c, [rec]);
      await this.assertTrailLink(c, rec);
      return this.insertOne(c, rec, now);
    });
  }

  /** All or nothing: one transaction of multi-row INSERTs (chunked); records with a trail link one by one, checked. */
  async insertRecords(recs: readonly NewRecord[]): Promise<void> {
    if (recs.length === 0) return;
    const now = Date.now();
    if (recs.some((r) => r.trailLink)) {
      await this.tx(async (c) => {
        await this.lockTrails(c, recs);
        for (let i = 0; i < recs.length; i++) {
          const rec = recs[i]!;
          if (rec.trailLink) await this.assertTrailLink(c, rec);
          await this.insertOne(c, rec, now, recs.slice(0, i));
        }
      });
      return;
    }
    try {
      await this.tx(async (c) => {
        for (let start = 0; start < recs.length; start += INSERT_CHUNK) {
          const chunk = recs.slice(start, start + INSERT_CHUNK);
          await c.query(`INSERT INTO records (${RECORD_COLUMNS}) VALUES ${placeholders(chunk.length, 14)}`, chunk.flatMap((r) => recordValues(r, now)));
        }
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const index = this.failedIndex(recs, e);
      if (index === undefined) throw e;
      throw (await this.conflictOf(recs[index]!, e, recs.slice(0, index))) ?? e;
    }
  }

  /** Which of `recs` a unique violation in a multi-row INSERT is about: the last one holding the repeated key. */
  private failedIndex(recs: readonly NewRecord[], e: PgError): number | undefined {
    const value = /\)=\((.*)\) already exists/.exec(e.detail ?? '')?.[1];
    if (value === undefined) return undefined;
    const key = (r: NewRecord) => (e.constraint === 'records_id_unique' ? r.id : e.constraint === 'records_signature_unique' ? r.signature : r.type === 'Batch' ? r.subject : undefined);
    for (let i = recs.length - 1; i >= 0; i--) if (key(recs[i]!) === value) return i;
    return undefined;
  }

  /**
   * One transaction (one durable commit) for all, each with its own outcome: the records without a trail link in
   * multi-row INSERTs that skip a repeat (ON CONFLICT DO NOTHING), each skipped one then told what it repeats; those
   * with a trail link one by one, each in a savepoint under its trail's lock.
   */
  async insertRecordsEach(recs: readonly NewRecord[]): Promise<(StoredRecord | StoreConflictError)[]> {
    const now = Date.now();
    return this.tx(async (c) => {
      const out = new Array<StoredRecord | StoreConflictError>(recs.length);
      const plain = recs.map((r, i) => ({ r, i })).filter(({ r }) => !r.trailLink);
      for (let start = 0; start < plain.length; start += INSERT_CHUNK) {
        const chunk = plain.slice(start, start + INSERT_CHUNK);
        const inserted = await this.rows<{ id: string; arrival: number }>(
          `INSERT INTO records (${RECORD_COLUMNS}) VALUES ${placeholders(chunk.length, 14)} ON CONFLICT DO NOTHING RETURNING id, arrival`,
          chunk.flatMap(({ r }) => recordValues(r, now)),
          c,
        );
        const arrivals = new Map(inserted.map((row) => [row.id, row.arrival]));
        const skipped: { r: NewRecord; i: number }[] = [];
        for (const { r, i } of chunk) {
          const arrival = arrivals.get(r.id);
          // An id inserted here belongs to the first record holding it; a later one with the same id was skipped.
          if (arrival !== undefined) {
            arrivals.delete(r.id);
            out[i] = { ...r, arrival, receivedAt: now, leafIndex: null };
          } else skipped.push({ r, i });
        }
        if (skipped.length > 0) await this.explainSkipped(c, skipped, out);
      }
      const linked = recs.map((r, i) => ({ r, i })).filter(({ r }) => r.trailLink);
      if (linked.length > 0) await this.lockTrails(c, linked.map(({ r }) => r));
      for (const { r, i } of linked) {
        await c.query('SAVEPOINT rec');
        try {
          await this.assertTrailLink(c, r);
          const row = (await this.rows<{ arrival: number }>(`INSERT INTO records (${RECORD_COLUMNS}) VALUES ${placeholders(1, 14)} RETURNING arrival`, recordValues(r, now), c))[0]!;
          await c.query('RELEASE SAVEPOINT rec');
          out[i] = { ...r, arrival: row.arrival, receivedAt: now, leafIndex: null };
        } catch (e) {
          await c.query('ROLLBACK TO SAVEPOINT rec');
          const conflict = e instanceof StoreConflictError ? e : await this.conflictOf(r, e, [], c);
          if (!conflict) throw e;
          out[i] = conflict;
        }
      }
      return out;
    });
  }

  /**
   * The StoreConflictError of each record an INSERT … ON CONFLICT DO NOTHING skipped, in the order SQLite reports
   * them: a repeated id, else a repeated signature, else a batch subject already registered (by another record).
   */
  private async explainSkipped(c: pg.PoolClient, skipped: readonly { r: NewRecord; i: number }[], out: (StoredRecord | StoreConflictError)[]): Promise<void> {
    const rows = await this.rows<{ id: string; signature: string; subject: string | null; type: string; arrival: number }>(
      `SELECT id, signature, subject, type, arrival FROM records WHERE id = ANY($1::text[]) OR signature = ANY($2::text[]) OR (type = 'Batch' AND subject = ANY($3::text[]))`,
      [skipped.map(({ r }) => r.id), skipped.map(({ r }) => r.signature), skipped.map(({ r }) => r.subject ?? '')],
      c,
    );
    const ids = new Set(rows.map((row) => row.id));
    const signatures = new Set(rows.map((row) => row.signature));
    const batchOf = new Map<string, { id: string; arrival: number }>();
    for (const row of rows) {
      if (row.type !== 'Batch' || row.subject === null) continue;
      const known = batchOf.get(row.subject);
      if (!known || row.arrival < known.arrival) batchOf.set(row.subject, row);
    }
    for (const { r, i } of skipped) {
      if (ids.has(r.id)) out[i] = new StoreConflictError('id', `record ${r.id} was already accepted`);
      else if (signatures.has(r.signature)) out[i] = new StoreConflictError('signature', 'this signature was already used by an accepted record');
      else if (r.type === 'Batch' && r.subject !== null && batchOf.has(r.subject)) {
        const existing = batchOf.get(r.subject)!.id;
        out[i] = new StoreConflictError('subject', `batch subject ${r.subject} is already registered as ${existing}`, r.subject, existing);
      } else throw new InvariantError(`record ${r.id} was neither stored nor found to repeat a stored one`);
    }
  }

  async getRecord(id: string): Promise<StoredRecord | undefined> {
    const row = (await this.rows<RecordRow>('SELECT * FROM records WHERE id = $1', [id]))[0];
    return row && toRecord(row);
  }

  async batchConsent(batchId: string): Promise<BatchConsent | undefined> {
    const row = (await this.rows<{ participant_id: string | null; body: string }>("SELECT participant_id, body FROM records WHERE id = $1 AND type = 'Batch'", [batchId]))[0];
    if (!row) return undefined;
    const body = jsonObjectColumn(row.body, 'body', []);
    return { participantId: row.participant_id, reportIds: body.reportIds, commissionedLabs: body.commissionedLabs };
  }

  async getRecordByLeafIndex(logId: LogId, index: number): Promise<StoredRecord | undefined> {
    const row = (await this.rows<RecordRow>('SELECT r.* FROM log_leaves l JOIN records r ON r.id = l.record_id WHERE l.log_id = $1 AND l.leaf_index = $2', [logId, index]))[0];
    return row && toRecord(row);
  }

  async listRecords(q: { type?: string; subject?: string; participantId?: string; limit?: number; afterArrival?: number }): Promise<StoredRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const filter = (clause: string, value: unknown) => {
      args.push(value);
      where.push(clause.replace('?', `$${args.length}`));
    };
    if (q.type) filter('type = ?', q.type);
    if (q.subject) filter('subject = ?', q.subject);
    if (q.participantId) filter('participant_id = ?', q.participantId);
    if (q.afterArrival !== undefined) filter('arrival > ?', q.afterArrival);
    args.push(Math.min(q.limit ?? 100, 10_000));
    const sql = `SELECT * FROM records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY arrival LIMIT $${args.length}`;
    return (await this.rows<RecordRow>(sql, args)).map(toRecord);
  }

  async searchBatches(q: BatchSearch): Promise<{ records: StoredRecord[]; total: number }> {
    const where: string[] = ["type = 'Batch'"];
    const args: unknown[] = [];
    const p = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    if (q.participantId !== undefined) where.push(`participant_id = ${p(q.participantId)}`);
    // The batch_* columns (migration 2) hold the public fields of batches.
    if (q.gtin !== undefined) where.push(`batch_gtin = ${p(q.gtin)}`);
    if (q.lot !== undefined) where.push(`batch_lot ILIKE ${p(like(q.lot))} ESCAPE '\\'`);
    if (q.category !== undefined) where.push(`batch_category = ${p(q.category)}`);
    if (q.dateFrom !== undefined) where.push(`batch_date >= ${p(q.dateFrom)} COLLATE "C"`);
    if (q.dateTo !== undefined) where.push(`batch_date <= ${p(q.dateTo)} COLLATE "C"`);
    if (q.text !== undefined) {
      const t = p(like(q.text));
      where.push(`(batch_lot ILIKE ${t} ESCAPE '\\' OR id ILIKE ${t} ESCAPE '\\' OR batch_gtin ILIKE ${t} ESCAPE '\\' OR batch_product ILIKE ${t} ESCAPE '\\')`);
    }
    const total = (await this.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM records WHERE ${where.join(' AND ')}`, args))[0]!.n;
    const desc = q.order === 'desc';
    if (q.afterArrival !== undefined) where.push(`arrival ${desc ? '<' : '>'} ${p(q.afterArrival)}`);
    const limit = p(Math.min(Math.max(1, q.limit), 10_000));
    const rows = await this.rows<RecordRow>(`SELECT ${RECORD_SELECT} FROM records WHERE ${where.join(' AND ')} ORDER BY arrival ${desc ? 'DESC' : 'ASC'} LIMIT ${limit}`, args);
    return { records: rows.map(toRecord), total };
  }

  // --- data-sharing trails (the partial index records_trail: subject, body's seq, arrival) ----------------

  async trailRecords(departmentId: string, q: TrailPageQuery = {}): Promise<StoredRecord[]> {
    return (await this.trailPage<RecordRow>('*', departmentId, q)).map(toRecord);
  }

  async trailRecordTexts(departmentId: string, q: TrailPageQuery = {}): Promise<StoredTrailText[]> {
    const rows = await this.trailPage<{ arrival: number; id: string; leaf_index: number | null; seq: unknown; entry: string; body: string; salts: string }>(
      `arrival, id, leaf_index, ${BODY} -> 'seq' AS seq, entry, body, salts`,
      departmentId,
      q,
    );
    return rows.map((r) => ({ arrival: r.arrival, id: r.id, leafIndex: r.leaf_index, seq: orderSeq(r.seq), entry: r.entry, body: r.body, salts: r.salts }));
  }

  /** A page of the department's trail in (seq, arrival) order, selecting `columns` (see Store.trailRecords). */
  private async trailPage<R>(columns: string, departmentId: string, q: TrailPageQuery): Promise<R[]> {
    const after = q.after ?? { seq: -1, arrival: 0 };
    return this.rows<R>(
      `SELECT ${columns} FROM records WHERE log_id = 'data-sharing' AND subject = $1
         AND ${BODY} -> 'seq' >= to_jsonb($2::numeric) AND ${BODY} -> 'seq' <= to_jsonb($3::numeric)
         AND (${BODY} -> 'seq', arrival) > (to_jsonb($4::numeric), $5::bigint)
       ORDER BY ${BODY} -> 'seq', arrival ${q.limit !== undefined ? 'LIMIT $6' : ''}`,
      [departmentId, Math.max(q.fromSeq ?? 0, after.seq), q.toSeq ?? Number.MAX_SAFE_INTEGER, after.seq, after.arrival, ...(q.limit !== undefined ? [q.limit] : [])],
    );
  }

  async lastTrailRecord(departmentId: string): Promise<StoredRecord | undefined> {
    const row = (
      await this.rows<RecordRow>(`SELECT * FROM records WHERE log_id = 'data-sharing' AND subject = $1 ORDER BY ${BODY} -> 'seq' DESC, arrival DESC LIMIT 1`, [departmentId])
    )[0];
    return row && toRecord(row);
  }

  async trailSummaries(): Promise<TrailSummary[]> {
    const rows = await this.rows<{ subject: string; n: number; last_seq: unknown; last_issued_at: string }>(
      `SELECT c.subject, c.n, l.seq AS last_seq, l.issued_at AS last_issued_at FROM
         (SELECT subject, COUNT(*) AS n FROM records WHERE log_id = 'data-sharing' AND subject IS NOT NULL GROUP BY subject) c
         JOIN (SELECT DISTINCT ON (subject) subject, ${BODY} -> 'seq' AS seq, issued_at FROM records
                 WHERE log_id = 'data-sharing' AND subject IS NOT NULL ORDER BY subject, ${BODY} -> 'seq' DESC, arrival DESC) l ON l.subject = c.subject
       ORDER BY c.subject COLLATE "C"`,
    );
    return rows.map((r) => ({ departmentId: r.subject, records: r.n, lastSeq: r.last_seq as number, lastIssuedAt: r.last_issued_at }));
  }

  async logEntries(logId: LogId, from: number, to: number, opts: { excludeSubject?: string } = {}): Promise<StoredLogEntry[]> {
    const rows = await this.rows<{ id: string; leaf_index: number; entry: string; subject: string | null }>(
      `SELECT id, leaf_index, entry, subject FROM records WHERE log_id = $1 AND leaf_index >= $2 AND leaf_index < $3
         ${opts.excludeSubject === undefined ? '' : 'AND subject IS DISTINCT FROM $4'} ORDER BY leaf_index`,
      [logId, from, to, ...(opts.excludeSubject === undefined ? [] : [opts.excludeSubject])],
    );
    return rows.map((r) => ({ recordId: r.id, leafIndex: r.leaf_index, entry: r.entry, subject: r.subject }));
  }

  async firstLostLeaf(logId: LogId, size: number): Promise<number | null> {
    // The first position below `size` that has no leaf, or whose record is gone.
    const row = (
      await this.rows<{ i: number | null }>(
        `SELECT MIN(g.i) AS i FROM generate_series(0::bigint, $2::bigint - 1) AS g(i)
           LEFT JOIN log_leaves l ON l.log_id = $1 AND l.leaf_index = g.i
           LEFT JOIN records r ON r.id = l.record_id
         WHERE r.id IS NULL`,
        [logId, size],
      )
    )[0];
    return row?.i ?? null;
  }

  // --- the log -------------------------------------------------------------

  private static appenderOf(row: { size: number; compact: string } | undefined): Appender {
    if (!row) return new Appender();
    return Appender.fromState({ size: row.size, hashes: (JSON.parse(row.compact) as string[]).map(fromHex) });
  }

  /**
   * Appends up to `max` waiting records in one transaction, holding the log's state row (FOR UPDATE): a second
   * instance sequencing the same log waits for this commit, then appends after it. The tree code is the SQLite
   * store's (Appender), so leaves, nodes and roots are the same.
   */
  async sequencePending(logId: LogId, max: number): Promise<AppendResult> {
    return this.tx(async (c) => {
      await c.query("INSERT INTO log_state (log_id, size, compact) VALUES ($1, 0, '[]') ON CONFLICT (log_id) DO NOTHING", [logId]);
      const state = (await this.rows<{ size: number; compact: string }>('SELECT size, compact FROM log_state WHERE log_id = $1 FOR UPDATE', [logId], c))[0];
      const appender = PostgresStore.appenderOf(state);
      const rows = await this.rows<{ id: string; leaf_hash: Buffer }>('SELECT id, leaf_hash FROM records WHERE log_id = $1 AND leaf_index IS NULL ORDER BY arrival LIMIT $2', [logId, max], c);
      if (rows.length === 0) return { appended: 0, size: appender.size, root: appender.root() };
      const ids: string[] = [];
      const indexes: number[] = [];
      const leaves: Buffer[] = [];
      const nodes: { level: number[]; idx: number[]; hash: Buffer[] } = { level: [], idx: [], hash: [] };
      for (const row of rows) {
        ids.push(row.id);
        indexes.push(appender.size);
        leaves.push(row.leaf_hash);
        appender.append(new Uint8Array(row.leaf_hash), (level, idx, hash) => {
          nodes.level.push(level);
          nodes.idx.push(idx);
          nodes.hash.push(Buffer.from(hash));
        });
      }
      await c.query('INSERT INTO log_leaves (log_id, leaf_index, record_id, leaf_hash) SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bytea[])', [logId, indexes, ids, leaves]);
      await c.query('UPDATE records r SET leaf_index = u.i FROM unnest($1::text[], $2::bigint[]) AS u(id, i) WHERE r.id = u.id', [ids, indexes]);
      if (nodes.level.length > 0) {
        await c.query('INSERT INTO tree_nodes (log_id, level, idx, hash) SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::bytea[])', [logId, nodes.level, nodes.idx, nodes.hash]);
      }
      await c.query('UPDATE log_state SET size = $2, compact = $3 WHERE log_id = $1', [logId, appender.size, JSON.stringify(appender.state().hashes.map(toHex))]);
      return { appended: rows.length, size: appender.size, root: appender.root() };
    });
  }

  async logHead(logId: LogId): Promise<LogHead> {
    const row = (await this.rows<{ size: number; compact: string }>('SELECT size, compact FROM log_state WHERE log_id = $1', [logId]))[0];
    if (!row) return { size: 0, root: EMPTY_ROOT };
    const a = PostgresStore.appenderOf(row);
    return { size: a.size, root: a.root() };
  }

  async countUnsequenced(logId: LogId): Promise<{ count: number; oldestReceivedAt: number | null }> {
    const row = (await this.rows<{ n: number; oldest: number | null }>('SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM records WHERE log_id = $1 AND leaf_index IS NULL', [logId]))[0]!;
    return { count: row.n, oldestReceivedAt: row.oldest };
  }

  nodeReader(logId: LogId): NodeReader {
    return {
      readNodes: async (ids: readonly NodeId[]): Promise<Hash[]> => {
        if (ids.length === 0) return [];
        const rows = await this.rows<{ level: number; idx: number; hash: Buffer }>(
          'SELECT t.level, t.idx, t.hash FROM tree_nodes t JOIN unnest($2::int[], $3::bigint[]) AS u(level, idx) ON t.level = u.level AND t.idx = u.idx WHERE t.log_id = $1',
          [logId, ids.map((i) => i.level), ids.map((i) => i.index)],
        );
        const found = new Map(rows.map((r) => [`${r.level}:${r.idx}`, r.hash]));
        return ids.map((id) => {
          const hash = found.get(`${id.level}:${id.index}`);
          if (!hash) throw new InvariantError(`tree node (${id.level}, ${id.index}) of log ${logId} is missing`);
          return new Uint8Array(hash);
        });
      },
    };
  }

  async leafHashes(logId: LogId, from: number, to: number): Promise<Hash[]> {
    const rows = await this.rows<{ leaf_hash: Buffer }>('SELECT leaf_hash FROM log_leaves WHERE log_id = $1 AND leaf_index >= $2 AND leaf_index < $3 ORDER BY leaf_index', [logId, from, to]);
    return rows.map((r) => new Uint8Array(r.leaf_hash));
  }

  // --- checkpoints ---------------------------------------------------------

  async putCheckpoint(c: Pick<Checkpoint, 'logId' | 'size' | 'root'> & CheckpointPatch): Promise<Checkpoint> {
    const now = Date.now();
    await this.pool.query(
      `INSERT INTO checkpoints (log_id, size, root, status, chain_id, contract, tx_hash, block_number, block_time, attempts, last_error, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (log_id, size) DO NOTHING`,
      [c.logId, c.size, c.root, c.status ?? 'pending', c.chainId ?? null, c.contract ?? null, c.txHash ?? null, c.blockNumber ?? null, c.blockTime ?? null, c.attempts ?? 0, c.lastError ?? null, now, now],
    );
    const row = (await this.rows<CheckpointRow>('SELECT * FROM checkpoints WHERE log_id = $1 AND size = $2', [c.logId, c.size]))[0]!;
    if (row.root !== c.root) throw new InvariantError(`checkpoint ${c.logId}@${c.size} already stored with root ${row.root}, not ${c.root}`);
    return toCheckpoint(row);
  }

  async updateCheckpoint(logId: LogId, size: number, patch: CheckpointPatch): Promise<Checkpoint> {
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
    const sets = [...keys.map((k, i) => `${cols[k]} = $${i + 1}`), `updated_at = $${keys.length + 1}`];
    const rows = await this.rows<CheckpointRow>(`UPDATE checkpoints SET ${sets.join(', ')} WHERE log_id = $${keys.length + 2} AND size = $${keys.length + 3} RETURNING *`, [
      ...keys.map((k) => patch[k] ?? null),
      Date.now(),
      logId,
      size,
    ]);
    if (rows.length !== 1) throw new InvariantError(`no checkpoint ${logId}@${size} to update`);
    return toCheckpoint(rows[0]!);
  }

  async listCheckpoints(logId: LogId, status?: CheckpointStatus): Promise<Checkpoint[]> {
    const rows = status
      ? await this.rows<CheckpointRow>('SELECT * FROM checkpoints WHERE log_id = $1 AND status = $2 ORDER BY size', [logId, status])
      : await this.rows<CheckpointRow>('SELECT * FROM checkpoints WHERE log_id = $1 ORDER BY size', [logId]);
    return rows.map(toCheckpoint);
  }

  async latestCheckpoint(logId: LogId, status?: CheckpointStatus): Promise<Checkpoint | undefined> {
    const row = status
      ? (await this.rows<CheckpointRow>('SELECT * FROM checkpoints WHERE log_id = $1 AND status = $2 ORDER BY size DESC LIMIT 1', [logId, status]))[0]
      : (await this.rows<CheckpointRow>("SELECT * FROM checkpoints WHERE log_id = $1 AND status != 'orphaned' ORDER BY size DESC LIMIT 1", [logId]))[0];
    return row && toCheckpoint(row);
  }

  // --- participants, keys, revocations, tokens ------------------------------

  async upsertParticipant(p: Participant): Promise<void> {
    await this.putParticipant(this.pool, p);
  }

  private async putParticipant(db: Db, p: Participant): Promise<void> {
    await db.query(
      `INSERT INTO participants (id, kind, name, code, valid_from, valid_to, data, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, code = excluded.code, valid_from = excluded.valid_from,
         valid_to = excluded.valid_to, data = excluded.data, active = excluded.active`,
      [p.id, p.kind, p.name, p.code, p.validFrom, p.validTo, JSON.stringify(p.data), p.active],
    );
  }

  async getParticipant(id: string): Promise<Participant | undefined> {
    const row = (await this.rows<ParticipantRow>('SELECT * FROM participants WHERE id = $1', [id]))[0];
    return row && toParticipant(row);
  }

  async listParticipants(kind?: ParticipantKind): Promise<Participant[]> {
    const rows = kind
      ? await this.rows<ParticipantRow>('SELECT * FROM participants WHERE kind = $1 ORDER BY name COLLATE "C"', [kind])
      : await this.rows<ParticipantRow>('SELECT * FROM participants ORDER BY kind COLLATE "C", name COLLATE "C"');
    return rows.map(toParticipant);
  }

  async upsertKey(k: ParticipantKey): Promise<void> {
    await this.putKey(this.pool, k);
  }

  private async putKey(db: Db, k: ParticipantKey): Promise<void> {
    await db.query(
      `INSERT INTO participant_keys (address, participant_id, valid_from, valid_to, revoked_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (address, participant_id) DO UPDATE SET valid_from = excluded.valid_from, valid_to = excluded.valid_to, revoked_at = excluded.revoked_at`,
      [k.address.toLowerCase(), k.participantId, k.validFrom, k.validTo, k.revokedAt],
    );
  }

  async keysOf(address: string): Promise<ParticipantKey[]> {
    return (await this.rows<KeyRow>('SELECT * FROM participant_keys WHERE address = $1', [address.toLowerCase()])).map(toKey);
  }

  async keysOfParticipant(participantId: string): Promise<ParticipantKey[]> {
    return (await this.rows<KeyRow>('SELECT * FROM participant_keys WHERE participant_id = $1 ORDER BY valid_from', [participantId])).map(toKey);
  }

  async resetMirror(): Promise<void> {
    await this.tx(async (c) => {
      await c.query("DELETE FROM participant_keys; DELETE FROM product_keys; DELETE FROM revocations; UPDATE participants SET active = FALSE; DELETE FROM kv WHERE key LIKE 'mirror:%';");
    });
  }

  async upsertProductKey(k: ProductKey): Promise<void> {
    await this.putProductKey(this.pool, k);
  }

  private async putProductKey(db: Db, k: ProductKey): Promise<void> {
    await db.query('INSERT INTO product_keys (key, producer_id) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET producer_id = excluded.producer_id', [k.key, k.producerId.toLowerCase()]);
  }

  async productKeysOf(producerId: string): Promise<string[]> {
    return (await this.rows<{ key: string }>('SELECT key FROM product_keys WHERE producer_id = $1 ORDER BY key COLLATE "C"', [producerId.toLowerCase()])).map((r) => r.key);
  }

  async productKeyOwner(gtin14: string): Promise<string | undefined> {
    const candidates = productKeyCandidates(gtin14);
    if (candidates.length === 0) return undefined;
    const row = (await this.rows<{ producer_id: string }>('SELECT producer_id FROM product_keys WHERE key = ANY($1::text[]) ORDER BY length(key) DESC LIMIT 1', [candidates]))[0];
    return row?.producer_id;
  }

  async upsertRevocation(r: Revocation): Promise<void> {
    await this.putRevocation(this.pool, r);
  }

  private async putRevocation(db: Db, r: Revocation): Promise<void> {
    await db.query(
      `INSERT INTO revocations (leaf_hash, revoker_id, reason_code, revoked_at, revoked_by, tx_hash) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (leaf_hash, revoker_id) DO UPDATE SET reason_code = excluded.reason_code, revoked_at = excluded.revoked_at, revoked_by = excluded.revoked_by,
         tx_hash = excluded.tx_hash`,
      [r.leafHash.toLowerCase(), r.revokerId.toLowerCase(), r.reasonCode, r.revokedAt, r.revokedBy, r.txHash],
    );
  }

  async applyMirrorState(state: MirrorState, opts: { replace: boolean; position?: { key: string; value: string } }): Promise<MirrorRemoved> {
    const removed: MirrorRemoved = { participants: 0, deactivated: 0, keys: 0, productKeys: 0, revocations: 0 };
    await this.tx(async (c) => {
      for (const p of state.participants) await this.putParticipant(c, p);
      for (const k of state.keys) await this.putKey(c, k);
      for (const k of state.productKeys) await this.putProductKey(c, k);
      for (const r of state.revocations) await this.putRevocation(c, r);
      if (opts.replace) await this.removeMirrorRowsNotIn(c, state, removed);
      if (opts.position) await c.query('INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [opts.position.key, opts.position.value]);
    });
    return removed;
  }

  /** Deletes the mirrored rows `state` lacks (inside applyMirrorState's transaction); keys go before their participants. */
  private async removeMirrorRowsNotIn(c: pg.PoolClient, state: MirrorState, removed: MirrorRemoved): Promise<void> {
    const keys = new Set(state.keys.map((k) => `${k.address.toLowerCase()}:${k.participantId}`));
    for (const row of await this.rows<{ address: string; participant_id: string }>('SELECT address, participant_id FROM participant_keys', [], c)) {
      if (keys.has(`${row.address}:${row.participant_id}`)) continue;
      await c.query('DELETE FROM participant_keys WHERE address = $1 AND participant_id = $2', [row.address, row.participant_id]);
      removed.keys++;
    }
    const productKeys = new Set(state.productKeys.map((k) => k.key));
    for (const row of await this.rows<{ key: string }>('SELECT key FROM product_keys', [], c)) {
      if (productKeys.has(row.key)) continue;
      await c.query('DELETE FROM product_keys WHERE key = $1', [row.key]);
      removed.productKeys++;
    }
    const revocations = new Set(state.revocations.map((r) => `${r.leafHash}:${r.revokerId}`.toLowerCase()));
    for (const row of await this.rows<{ leaf_hash: string; revoker_id: string }>('SELECT leaf_hash, revoker_id FROM revocations', [], c)) {
      if (revocations.has(`${row.leaf_hash}:${row.revoker_id}`)) continue;
      await c.query('DELETE FROM revocations WHERE leaf_hash = $1 AND revoker_id = $2', [row.leaf_hash, row.revoker_id]);
      removed.revocations++;
    }
    const participants = new Set(state.participants.map((p) => p.id));
    for (const row of await this.rows<{ id: string; active: boolean; has_token: boolean }>(
      'SELECT p.id, p.active, EXISTS (SELECT 1 FROM api_tokens t WHERE t.participant_id = p.id) AS has_token FROM participants p',
      [],
      c,
    )) {
      if (participants.has(row.id)) continue;
      // A token row names its participant (a foreign key): it stays, inactive, so the token is refused.
      if (row.has_token) {
        if (row.active) {
          await c.query('UPDATE participants SET active = FALSE WHERE id = $1', [row.id]);
          removed.deactivated++;
        }
        continue;
      }
      await c.query('DELETE FROM participant_keys WHERE participant_id = $1', [row.id]);
      await c.query('DELETE FROM participants WHERE id = $1', [row.id]);
      removed.participants++;
    }
  }

  async getRevocation(leafHash: string, revokerId: string): Promise<Revocation | undefined> {
    const row = (await this.rows<RevocationRow>('SELECT * FROM revocations WHERE leaf_hash = $1 AND revoker_id = $2', [leafHash.toLowerCase(), revokerId.toLowerCase()]))[0];
    return row && toRevocation(row);
  }

  async revocationsOf(leafHash: string): Promise<Revocation[]> {
    return (await this.rows<RevocationRow>('SELECT * FROM revocations WHERE leaf_hash = $1 ORDER BY revoked_at, revoker_id COLLATE "C"', [leafHash.toLowerCase()])).map(toRevocation);
  }

  async countRevocations(leafHashes: readonly string[]): Promise<number> {
    if (leafHashes.length === 0) return 0;
    return (await this.rows<{ n: number }>('SELECT COUNT(*) AS n FROM revocations WHERE leaf_hash = ANY($1::text[])', [leafHashes.map((h) => h.toLowerCase())]))[0]!.n;
  }

  async insertToken(t: ApiToken): Promise<void> {
    await this.pool.query('INSERT INTO api_tokens (token_hash, role, participant_id, label, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      t.tokenHash,
      t.role,
      t.participantId,
      t.label,
      t.createdAt,
      t.revokedAt,
    ]);
  }

  async getToken(tokenHash: string): Promise<ApiToken | undefined> {
    const row = (await this.rows<TokenRow>('SELECT * FROM api_tokens WHERE token_hash = $1', [tokenHash]))[0];
    return row && toToken(row);
  }

  async listTokens(): Promise<ApiToken[]> {
    return (await this.rows<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at, token_hash COLLATE "C"')).map(toToken);
  }

  async revokeToken(tokenHash: string, at: number): Promise<void> {
    await this.pool.query('UPDATE api_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL', [at, tokenHash]);
  }

  async getKv(key: string): Promise<string | undefined> {
    return (await this.rows<{ value: string }>('SELECT value FROM kv WHERE key = $1', [key]))[0]?.value;
  }

  async setKv(key: string, value: string): Promise<void> {
    await this.pool.query('INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }
}

