/**
 * Storage faults: a full disk, an I/O error, a read-only or unopenable or corrupt database. They answer 503
 * storage-unavailable (never a bare 500), and a store remembers a failed write until its next successful one, so
 * /healthz turns degraded while writes fail. Reachable from the store (which records them) and from the ways in
 * (which map any that reach them).
 */
import { AppError } from '../errors';

/** SQLite result codes (better-sqlite3's SqliteError.code, extended codes included) that mean the storage failed. */
const SQLITE_STORAGE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|BUSY)(_|$)/;
/** File system errors (errno codes) that mean the disk is full or failing. */
const FS_STORAGE = new Set(['ENOSPC', 'EIO', 'EROFS', 'EDQUOT']);
/**
 * PostgreSQL SQLSTATEs that mean the database cannot serve: class 08 (connection), 53 (insufficient resources: disk
 * full, out of memory, too many connections), 58 (system error: I/O), 57P01-57P03 (shutting down, cannot connect now).
 */
const PG_STORAGE = /^(08|53|58)[0-9A-Z]{3}$|^57P0[1-3]$/;
/** Socket errors of a store's own calls: its database server is down or unreachable (elsewhere they may be the chain's). */
const NET_STORAGE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/** What the client is told: no paths, nothing about the host. The log has the details. */
export const STORAGE_UNAVAILABLE_MESSAGE = 'storage unavailable: the server could not write its database (disk full or I/O error); try again later';

/** What the client is told for a storage-unavailable raised elsewhere (e.g. a failed save of the chain state), whose message may name paths. */
export const STORAGE_UNAVAILABLE_OTHER_MESSAGE = 'storage unavailable: the server could not save its data (disk full or I/O error); try again later';

/** The message a client may see for a storage-unavailable `e`: ours as is; another's (which may name paths) made generic. */
export function publicStorageMessage(e: AppError): string {
  return e.message.startsWith('storage unavailable:') ? e.message : STORAGE_UNAVAILABLE_OTHER_MESSAGE;
}

/** The storage error code of `e` (e.g. SQLITE_FULL, ENOSPC), or null if it is not a storage fault. */
export function storageFaultCode(e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (SQLITE_STORAGE.test(code) || FS_STORAGE.has(code) || PG_STORAGE.test(code)) return code;
  return null;
}

/** PostgreSQL SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): what one row's data caused. */
const PG_ROW_DATA = /^(22|23)[0-9A-Z]{3}$/;
/** SQLite result codes (extended included) that one row's data causes: a constraint, a datatype mismatch, a value too big. */
const SQLITE_ROW_DATA = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)(_|$)/;

/**
 * True for an error a store raises over the data of a record it was asked to write (e.g. PostgreSQL refusing U+0000
 * in JSON, 22P05): written again on its own the record fails again, while the records committed with it would not.
 * Storage faults, lost connections, timeouts and serialization failures are not: they concern the commit, not a row.
 */
export function isRecordDataError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (PG_ROW_DATA.test(code) || SQLITE_ROW_DATA.test(code));
}

/** The AppError storage-unavailable for a storage fault `e` (its code in details, `e` as cause). */
export function storageUnavailable(e: unknown, code = storageFaultCode(e)): AppError {
  if (e instanceof AppError && e.code === 'storage-unavailable') return e;
  return new AppError('storage-unavailable', STORAGE_UNAVAILABLE_MESSAGE, { storageCode: code ?? 'unknown' }, { cause: e });
}

/** A failed write since the last successful one. */
export interface StorageFault {
  /** ms since the epoch. */
  at: number;
  /** The storage error code, e.g. SQLITE_FULL. */
  code: string;
  /** The operation that failed, e.g. insertRecord. */
  operation: string;
}

const faults = new WeakMap<object, StorageFault>();

/** The store's failed write since its last successful one, if any. */
export function lastStorageFault(store: object): StorageFault | undefined {
  return faults.get(store);
}

const WRITES = /^(insert|put|update|upsert|set|revoke|sequence|reset|delete|append|save|record|mark|apply)/;

/**
 * `store` with every method watched: a storage fault becomes AppError storage-unavailable and, for a write
 * (insert…, update…, upsert…, set…, sequence…), is remembered until the next successful write.
 */
export function watchStorage<T extends object>(store: T): T {
  const proxy: T = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const isWrite = WRITES.test(prop);
      const fail = (e: unknown): never => {
        const own = (e as { code?: unknown } | null)?.code;
        const code = storageFaultCode(e) ?? (typeof own === 'string' && NET_STORAGE.has(own) ? own : null);
        if (code === null) throw e;
        if (isWrite) faults.set(proxy, { at: Date.now(), code, operation: prop });
        throw storageUnavailable(e, code);
      };
      const ok = <V>(v: V): V => {
        if (isWrite) faults.delete(proxy);
        return v;
      };
      return function (this: unknown, ...args: unknown[]) {
        let out: unknown;
        try {
          out = (value as (...a: unknown[]) => unknown).apply(this === proxy ? target : this, args);
        } catch (e) {
          return fail(e);
        }
        if (out instanceof Promise) return out.then(ok, fail);
        return ok(out);
      };
    },
  });
  return proxy;
}
