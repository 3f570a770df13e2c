/** The storage interface every store implements (SQLite embedded, PostgreSQL scale-out); it returns plain records. */
import type { Hash } from '../ledger/rfc6962';
import type { NodeReader } from '../ledger/tree';
import type { LogId, ParticipantKind } from '../records/record-types';

export { LOG_IDS, type LogId, type ParticipantKind } from '../records/record-types';

/** A record as accepted: everything needed to rebuild its leaf and disclose its fields. */
export interface NewRecord {
  id: string;
  logId: LogId;
  type: string;
  /** The record's fields (private ones too). */
  body: Record<string, unknown>;
  salts: Record<string, string>;
  recordRoot: string;
  signer: string;
  signature: string;
  issuedAt: string;
  /** Canonical JSON of the log entry: the leaf data. */
  entry: string;
  leafHash: Hash;
  participantId: string | null;
  subject: string | null;
  /**
   * The trail link rule, enforced by the store when given: the record is stored only if it is the next of the trail
   * of `subject` (a department id), atomically with respect to every other insert (several instances on one
   * database included). Its trail's last record (as lastTrailRecord) must have seq `seq - 1` and the leaf hash
   * `prevHash`, or the trail must be empty and `seq` 1 and `prevHash` 32 zero bytes; else the insert throws
   * StoreConflictError 'seq'. Records inserted without it are not checked (the rule is the caller's to ask for).
   */
  trailLink?: TrailLink;
}

/** What a share record claims about its place in its department's trail (see NewRecord.trailLink). */
export interface TrailLink {
  seq: number;
  /** 0x-prefixed lowercase hex of 32 bytes. */
  prevHash: string;
}

/**
 * What ingest reads of a stored batch to admit a report on it or a commission for it (Store.batchConsent): its producer and
 * the reports and labs its body names, without reading and parsing the whole record (the hot path of every report).
 */
export interface BatchConsent {
  /** The producer that registered the batch. */
  participantId: string | null;
  /** The body's `reportIds` and `commissionedLabs` as stored: undefined when absent or when the body is not a JSON object (a damaged row). */
  reportIds?: unknown;
  commissionedLabs?: unknown;
}

export interface StoredRecord extends NewRecord {
  arrival: number;
  receivedAt: number;
  /** Position in its log once the worker has appended it; null while waiting. */
  leafIndex: number | null;
  /**
   * Set when the stored row is damaged (its body or salts no longer parse as a JSON object): says what is
   * wrong, and the damaged part reads as {}. No proof can be built from such a record (a stored-data fault).
   */
  fault?: string;
}

/**
 * A search of batches (public fields only: never a private field such as the certificate's issuer). Text filters
 * match case-insensitively; every filter given must match.
 */
export interface BatchSearch {
  /** Only this producer's batches. */
  participantId?: string;
  /** GTIN-14, exactly. */
  gtin?: string;
  /** Part of the lot. */
  lot?: string;
  /** Part of the lot, the batch id, the GTIN or the product name (the certificate's). */
  text?: string;
  /** Product category key, exactly. */
  category?: string;
  /** Harvest or production date on or after (YYYY-MM-DD). */
  dateFrom?: string;
  /** Harvest or production date on or before (YYYY-MM-DD). */
  dateTo?: string;
  /** 'desc': newest first. */
  order: 'asc' | 'desc';
  /** Cursor: the arrival of the last batch of the previous page (in `order`). */
  afterArrival?: number;
  /** Requires 1..10,000. */
  limit: number;
}

export type CheckpointStatus = 'pending' | 'submitted' | 'confirmed' | 'orphaned';

export interface Checkpoint {
  logId: LogId;
  size: number;
  root: string;
  status: CheckpointStatus;
  chainId: number | null;
  contract: string | null;
  txHash: string | null;
  blockNumber: number | null;
  blockTime: number | null;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export type CheckpointPatch = Partial<Pick<Checkpoint, 'status' | 'chainId' | 'contract' | 'txHash' | 'blockNumber' | 'blockTime' | 'attempts' | 'lastError'>>;

export interface Participant {
  id: string;
  kind: ParticipantKind;
  name: string;
  code: string;
  validFrom: number | null;
  validTo: number | null;
  data: Record<string, unknown>;
  active: boolean;
}

export interface ParticipantKey {
  address: string;
  participantId: string;
  validFrom: number;
  validTo: number;
  revokedAt: number | null;
}

/** A producer's product key, mirrored from ParticipantRegistry: a GS1 company prefix (6-12 digits) or one GTIN-14. */
export interface ProductKey {
  key: string;
  producerId: string;
}

/**
 * The producer whose key in `keys` covers the GTIN-14 `gtin14` (the rule of ParticipantRegistry.productKeyOwner):
 * the full GTIN-14 key, else a company prefix that `gtin14` starts with after its indicator digit, longest first.
 * Requires `gtin14` to be 14 digits (anything else is covered by nothing).
 */
export function productKeyCandidates(gtin14: string): string[] {
  if (!/^\d{14}$/.test(gtin14)) return [];
  const out = [gtin14];
  for (let length = 12; length >= 6; length--) out.push(gtin14.slice(1, 1 + length));
  return out;
}

/** One party's revocation of a record, mirrored from RevocationRegistry (a record may have one per party). */
export interface Revocation {
  leafHash: string;
  /**
   * The revoking party: a lab's participant id, or the regulator's id (REGULATOR_REVOKER_ID, zero). Only the
   * record's issuer and the regulator count (countingRevocation); any other lab's revocation is kept but ignored.
   */
  revokerId: string;
  reasonCode: number;
  /** Block time, seconds. */
  revokedAt: number;
  /** The address that sent the revocation. */
  revokedBy: string;
  txHash: string | null;
}

/** The registries' whole mirrored state, or the part of it a sync read (see Store.applyMirrorState). */
export interface MirrorState {
  participants: Participant[];
  keys: ParticipantKey[];
  productKeys: ProductKey[];
  revocations: Revocation[];
}

/** What Store.applyMirrorState removed in a replace (rows the chain no longer has). */
export interface MirrorRemoved {
  /** Participants deleted. */
  participants: number;
  /** Participants kept but made inactive, because API tokens still name them. */
  deactivated: number;
  keys: number;
  productKeys: number;
  revocations: number;
}

/** What an API token lets its holder do (the operator's admin token is not one of them: it is configured, not issued). */
export const TOKEN_ROLES = ['producer', 'lab', 'department', 'registrar', 'regulator', 'auditor'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];
/** The roles whose tokens act for one participant (of the kind of the same name). */
export const PARTICIPANT_ROLES = ['producer', 'lab', 'department'] as const satisfies readonly TokenRole[];

export interface ApiToken {
  tokenHash: string;
  role: TokenRole;
  /** The participant a producer, lab or department token acts for; null for the others. */
  participantId: string | null;
  label: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface LogHead {
  size: number;
  root: Hash;
}

export interface AppendResult extends LogHead {
  appended: number;
}

/** Which part of a department's trail to read (Store.trailRecords): fromSeq <= seq <= toSeq, after the record at (after.seq, after.arrival), at most `limit`. */
export interface TrailPageQuery {
  fromSeq?: number;
  toSeq?: number;
  after?: { seq: number; arrival: number };
  limit?: number;
}

/** Where another thread can open a store's trail: its SQLite database file (Store.trailReadSource). */
export interface TrailReadSource {
  file: string;
}

/** A trail record's place in the trail's order: its body's seq (a number: the trail's pages read no other) and its arrival. */
export interface TrailKey {
  seq: number;
  arrival: number;
}

/**
 * A range of one department's trail: the records with fromSeq <= seq <= toSeq ordered after `after` (every record
 * from fromSeq on when absent), up to and including `to` (to the end of the trail when absent).
 */
export interface TrailRange {
  departmentId: string;
  fromSeq?: number;
  toSeq?: number;
  after?: TrailKey;
  to?: TrailKey;
}

/** A data-sharing record as stored, its JSON columns (body, salts) as text (Store.trailRecordTexts). */
export interface StoredTrailText {
  arrival: number;
  id: string;
  leafIndex: number | null;
  /** The body's `seq` as the database orders by it, as a number (NaN when absent): what a next page goes on from. */
  seq: number;
  /** The log entry (canonical JSON). */
  entry: string;
  /** The body and the salts, as stored (JSON text, not checked). */
  body: string;
  salts: string;
}

/** One department's share records at a glance (its trail in the 'data-sharing' log). */
export interface TrailSummary {
  departmentId: string;
  /** Share records stored for it. */
  records: number;
  /** Its highest `seq` (the last record accepted). */
  lastSeq: number;
  /** `issuedAt` of that record. */
  lastIssuedAt: string;
}

/** A log entry as stored: its position, its leaf data, and the record it belongs to. */
export interface StoredLogEntry {
  recordId: string;
  leafIndex: number;
  /** Canonical JSON of the log entry (the leaf data). */
  entry: string;
  subject: string | null;
}

/**
 * Thrown when a record's id or signature was already accepted, or (what 'subject') a batch's subject, its
 * Digital Link key `{GTIN-14}/{lot}`, is already registered: then `subject` is that key and `existingId`
 * the batch registered under it; or (what 'seq') a record with a trailLink is not the next of its trail: then
 * `subject` is the department id and `existingId` the trail's last record (undefined for an empty trail).
 */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
  constructor(
    readonly what: 'id' | 'signature' | 'subject' | 'seq',
    message: string,
    readonly subject?: string,
    readonly existingId?: string,
  ) {
    super(message);
  }
}

/**
 * A named lease (e.g. the anchoring leader's): held by one holder at a time until `expiresAt`, then free for the
 * taking. `term` grows by one each time the lease passes to another holder (or is first taken), never on a renewal:
 * a fencing number for the holder's writes.
 */
export interface Lease {
  name: string;
  holder: string;
  term: number;
  /** ms since the epoch, by the database's clock (PostgreSQL: the server's; SQLite: this process's). */
  expiresAt: number;
}

export interface Store {
  close(): Promise<void>;

  // Coordination between instances sharing one database.
  /**
   * Takes or renews the lease `name` for `holder`, for `ttlMs` from now: granted when nobody holds it, when its
   * holder's lease lapsed, or when `holder` holds it (a renewal: same term). Returns the lease granted, or
   * undefined when another holder's lease has not lapsed. Requires ttlMs > 0.
   */
  takeLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** Ends `holder`'s lease `name` now (nothing if another holds it), so another may take it without waiting. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** The lease `name` as stored (lapsed or not), if it was ever taken. */
  getLease(name: string): Promise<Lease | undefined>;
  /**
   * Runs `fn` holding the lock `name`: no two holders of the same name run at once, across every store instance
   * on this database (SQLite: within this process). Waits for the lock; releases it when `fn` settles.
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;

  // Records — insertRecord resolves only once the record is durable.
  insertRecord(rec: NewRecord): Promise<StoredRecord>;
  insertRecords(recs: readonly NewRecord[]): Promise<void>;
  /** One durable commit for many independent records (group commit); each gets its own outcome. */
  insertRecordsEach(recs: readonly NewRecord[]): Promise<(StoredRecord | StoreConflictError)[]>;
  getRecord(id: string): Promise<StoredRecord | undefined>;
  /** The batch `batchId`'s producer and the reports and labs it names, or undefined when there is no record of type Batch with that id. */
  batchConsent(batchId: string): Promise<BatchConsent | undefined>;
  getRecordByLeafIndex(logId: LogId, index: number): Promise<StoredRecord | undefined>;
  listRecords(q: { type?: string; subject?: string; participantId?: string; limit?: number; afterArrival?: number }): Promise<StoredRecord[]>;
  /** Batches matching `q` (public fields only), a page in arrival order, with how many match in all. */
  searchBatches(q: BatchSearch): Promise<{ records: StoredRecord[]; total: number }>;

  // Data-sharing trails: records of the 'data-sharing' log whose subject is a department id.
  /**
   * The department's share records in (`seq`, arrival) order, optionally only fromSeq <= seq <= toSeq,
   * only those after the record at (`after.seq`, `after.arrival`) (to page), and at most `limit`.
   */
  trailRecords(departmentId: string, q?: TrailPageQuery): Promise<StoredRecord[]>;
  /**
   * {@link trailRecords}' page (the same query, order and paging) with the record's JSON columns as stored text,
   * unparsed: for checking the records on other threads, where parsing them belongs.
   */
  trailRecordTexts(departmentId: string, q?: TrailPageQuery): Promise<StoredTrailText[]>;
  /**
   * Optional (SQLite files): where a worker thread can read this store's trail ranges itself with
   * store/trail-reader's readTrailRange, so the records' text never crosses threads. Undefined (or absent): read
   * them through trailRecordTexts.
   */
  trailReadSource?(): TrailReadSource | undefined;
  /**
   * With trailReadSource: the key of the `size`-th record of `range` (size >= 1; `to` open), i.e. where a range of
   * `size` records from `range.after` ends; undefined when fewer remain. An index-only step, no record read.
   */
  trailPageEnd?(range: Omit<TrailRange, 'to'>, size: number): Promise<TrailKey | undefined>;
  /** The department's share record with the highest `seq` (ties: the last to arrive), if any. */
  lastTrailRecord(departmentId: string): Promise<StoredRecord | undefined>;
  /** Every department that has share records, by department id. */
  trailSummaries(): Promise<TrailSummary[]>;
  /**
   * The stored entries of the log's records with from <= leafIndex < to, by leaf index (a deleted
   * record leaves a hole; two records claiming one index both appear). `excludeSubject` leaves out
   * the records of one subject (a trail the caller has already read).
   */
  logEntries(logId: LogId, from: number, to: number, opts?: { excludeSubject?: string }): Promise<StoredLogEntry[]>;
  /**
   * The smallest leaf index below `size` whose record is gone (no leaf row, or its record row deleted), or null
   * when every position holds a record: a hole is data the log accepted and the store then lost. Scans the log
   * up to `size`: for rare paths only.
   */
  firstLostLeaf(logId: LogId, size: number): Promise<number | null>;

  // The log.
  /**
   * Appends up to `max` waiting records of the log, in arrival order, in one transaction. It may append fewer (a
   * store whose writes hold the event loop bounds each transaction's time): the caller calls again until it
   * appends none.
   */
  sequencePending(logId: LogId, max: number): Promise<AppendResult>;
  logHead(logId: LogId): Promise<LogHead>;
  countUnsequenced(logId: LogId): Promise<{ count: number; oldestReceivedAt: number | null }>;
  nodeReader(logId: LogId): NodeReader;
  leafHashes(logId: LogId, from: number, to: number): Promise<Hash[]>;

  // Checkpoints.
  putCheckpoint(c: Pick<Checkpoint, 'logId' | 'size' | 'root'> & CheckpointPatch): Promise<Checkpoint>;
  updateCheckpoint(logId: LogId, size: number, patch: CheckpointPatch): Promise<Checkpoint>;
  listCheckpoints(logId: LogId, status?: CheckpointStatus): Promise<Checkpoint[]>;
  latestCheckpoint(logId: LogId, status?: CheckpointStatus): Promise<Checkpoint | undefined>;

  // Participants mirrored from the chain.
  upsertParticipant(p: Participant): Promise<void>;
  getParticipant(id: string): Promise<Participant | undefined>;
  listParticipants(kind?: ParticipantKind): Promise<Participant[]>;
  upsertKey(k: ParticipantKey): Promise<void>;
  keysOf(address: string): Promise<ParticipantKey[]>;
  keysOfParticipant(participantId: string): Promise<ParticipantKey[]>;

  // Product keys mirrored from the chain (GS1 company prefixes or GTIN-14s, see ParticipantRegistry.assignProductKey).
  upsertProductKey(k: ProductKey): Promise<void>;
  /** The producer's keys, in key order. */
  productKeysOf(producerId: string): Promise<string[]>;
  /** The producer whose key covers the GTIN-14 `gtin14` (see productKeyCandidates), if any. */
  productKeyOwner(gtin14: string): Promise<string | undefined>;

  /** Forgets the mirrored chain state (after the contracts were deployed anew): keys, product keys and revocations go, participants turn inactive. */
  resetMirror(): Promise<void>;

  /**
   * Writes mirrored chain state in one transaction, with the kv pair `position` (the block the mirror reached):
   * readers see the mirror before or after, never in between. Every row of `state` is upserted; with
   * `replace`, `state` is the whole state and rows it lacks go (keys, product keys, revocations, and
   * participants, which stay as inactive rows while an API token names them). Returns what a replace removed.
   */
  applyMirrorState(state: MirrorState, opts: { replace: boolean; position?: { key: string; value: string } }): Promise<MirrorRemoved>;

  // Revocations mirrored from the chain, one per (leaf hash, revoking party).
  upsertRevocation(r: Revocation): Promise<void>;
  /** The revocation of the record with `leafHash` by the party `revokerId`, if that party revoked it. */
  getRevocation(leafHash: string, revokerId: string): Promise<Revocation | undefined>;
  /** Every revocation of the record with `leafHash`, by any party (counting or not), oldest first. */
  revocationsOf(leafHash: string): Promise<Revocation[]>;
  /** How many revocations, by any party, the records with these leaf hashes have: it only grows (a cache key). */
  countRevocations(leafHashes: readonly string[]): Promise<number>;

  // API tokens (hashed).
  insertToken(t: ApiToken): Promise<void>;
  getToken(tokenHash: string): Promise<ApiToken | undefined>;
  /** Every token issued (revoked ones too), oldest first: only hashes, never a token. */
  listTokens(): Promise<ApiToken[]>;
  revokeToken(tokenHash: string, at: number): Promise<void>;

  // Small durable key/value state (e.g. the last chain block mirrored).
  getKv(key: string): Promise<string | undefined>;
  setKv(key: string, value: string): Promise<void>;

  /** Cheap liveness check for /healthz. */
  ping(): Promise<void>;

  /** SQLite: true when its WAL is checkpointed on the main thread, because the checkpoint thread could not start (for /healthz). */
  walCheckpointsOnMainThread?(): boolean;
}
