/**
 * Reading a department's trail from another thread: a trail verification's record-checking threads read their own
 * range of an SQLite store's trail (a read-only connection of their own to the same file, WAL: they see committed data
 * only), so the calling thread neither reads the records' text nor copies it to them. It only finds where each range
 * ends (SqliteStore.trailPageEnd, an index-only step) and gathers what the threads found.
 *
 * Safe to load on a worker thread: it needs better-sqlite3 and nothing of the server's state. The ranges use the order
 * and bounds of every trail page (SqliteStore.trailRecordTexts): by the body's seq, then arrival.
 */
import Database from 'better-sqlite3';
import type { StoredTrailText, TrailKey, TrailRange, TrailReadSource } from './types';

/** The WHERE of a trail range (the partial index records_trail's WHERE and expression), its parameters from {@link trailRangeArgs}. */
export const TRAIL_RANGE_WHERE = `log_id = 'data-sharing' AND subject = ?
  AND json_extract(body, '$.seq') >= ? AND json_extract(body, '$.seq') <= ?
  AND (json_extract(body, '$.seq'), arrival) > (?, ?) AND (json_extract(body, '$.seq'), arrival) <= (?, ?)`;

/** The order of a trail. */
export const TRAIL_ORDER = `json_extract(body, '$.seq'), arrival`;

/** The parameters of {@link TRAIL_RANGE_WHERE} for `range`. */
export function trailRangeArgs(range: TrailRange): unknown[] {
  const after = range.after ?? { seq: -1, arrival: 0 };
  const to = range.to ?? { seq: Number.MAX_SAFE_INTEGER, arrival: Number.MAX_SAFE_INTEGER };
  // The bare seq bounds keep the index scan to the range (a row value alone does not bound it).
  const low = Math.max(range.fromSeq ?? 0, after.seq);
  const high = Math.min(range.toSeq ?? Number.MAX_SAFE_INTEGER, to.seq);
  return [range.departmentId, low, high, after.seq, after.arrival, to.seq, to.arrival];
}

/**
 * A record's leaf index, in a statement on `records` (NULL until it is sequenced). log_leaves holds it (migration 9):
 * sequencing no longer rewrites the record's row, whose own leaf_index column was last written before migration 9.
 */
export const RECORD_LEAF_INDEX = '(SELECT l.leaf_index FROM log_leaves l WHERE l.record_id = records.id)';

const RANGE_SQL = `SELECT arrival, id, ${RECORD_LEAF_INDEX}, json_extract(body, '$.seq'), entry, body, salts FROM records WHERE ${TRAIL_RANGE_WHERE} ORDER BY ${TRAIL_ORDER}`;

/** How long a thread keeps its read-only connection after its last read (ms): a verification reads again within milliseconds. */
const IDLE_CLOSE_MS = 1_000;

const connections = new Map<string, { db: Database.Database; range: Database.Statement; timer: NodeJS.Timeout | undefined }>();

/** This thread's read-only connection to `file`, opened on first use and closed once idle. */
function connection(file: string): { db: Database.Database; range: Database.Statement } {
  let c = connections.get(file);
  if (!c) {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    c = { db, range: db.prepare(RANGE_SQL).raw(), timer: undefined };
    connections.set(file, c);
  }
  if (c.timer) clearTimeout(c.timer);
  const opened = c;
  c.timer = setTimeout(() => {
    connections.delete(file);
    opened.db.close();
  }, IDLE_CLOSE_MS);
  c.timer.unref();
  return c;
}

/** The records of `range` in `source`, in the trail's order, read in one statement (one snapshot of the database). */
export function readTrailRange(source: TrailReadSource, range: TrailRange): StoredTrailText[] {
  const rows = connection(source.file).range.all(...trailRangeArgs(range)) as [number, string, number | null, number, string, string, string][];
  return rows.map((r) => ({ arrival: r[0], id: r[1], leafIndex: r[2], seq: r[3], entry: r[4], body: r[5], salts: r[6] }));
}

/**
 * The ranges of `size` records that cut `range` from `range.after` to the trail's end, in order, each ending where
 * `pageEnd` (Store.trailPageEnd) finds its last record, the last range open. Each range starts at the key that ends
 * the one before, so every record of the trail is in exactly one of them, whatever arrives meanwhile.
 */
export async function* trailRanges(
  pageEnd: (range: Omit<TrailRange, 'to'>, size: number) => Promise<TrailKey | undefined>,
  range: Omit<TrailRange, 'to'>,
  size: number,
): AsyncGenerator<TrailRange> {
  for (let after = range.after; ; ) {
    const to = await pageEnd({ ...range, after }, size);
    yield { ...range, after, to };
    if (to === undefined) return;
    after = to;
  }
}
