/**
 * Importing a producer's batches from a CSV file: every row is validated and reported on (CSV line,
 * column, reason), and nothing is ever half-imported — by default all rows are committed in one
 * transaction or none is; with `partial`, the valid rows are, in one transaction.
 *
 * The file: UTF-8 (with or without a BOM), comma-separated, RFC 4180 quoting, a header row naming
 * the columns of {@link CSV_COLUMNS} in any order (only `lot`, `product_category`,
 * `origin_county_code`, `production_kind`, `production_date`, `quantity` and `quantity_unit` are
 * required). Cells are trimmed; an empty cell is an absent value. The producer is not a column:
 * it is the producer the API token belongs to.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { parse } from 'csv-parse/sync';
import { AppError, type ErrorCode } from '../errors';
import { WORKER_PRELUDE } from '../runtime';
import {
  CERTIFICATE_BASES,
  QUANTITY_UNITS,
  RecordError,
  parseRecord,
  placeInNamespace,
  toGtin14,
  type BatchInput,
  type RecordIssue,
} from '../records';
import { listCategories } from '../standards';
import { isValidGtin } from '../records/identifiers';
import type { Participant } from '../store/types';
import type { ServiceContext } from './context';
import { decodeCsvFile, type CsvEncoding } from './csv-encoding';
import { batchSubject } from './ingest';

/** Why one cell (or the row, field '') was refused. */
export interface CsvFieldError {
  /** The CSV column, e.g. `gtin`; '' for the row as a whole. */
  field: string;
  message: string;
  /** The error code of a refusal by ingest that is not about the row's data, e.g. 'gtin-not-owned'. */
  code?: ErrorCode;
}

/** What an import did, row by row. Lines are CSV line numbers (the header is line 1). */
export interface CsvImportReport {
  /** How the file was read: 'utf-8', or 'gbk' (a CSV Excel saved on a Chinese Windows, decoded as GBK). */
  encoding?: CsvEncoding;
  /** True when the accepted rows were written (in one transaction); false when nothing was. */
  committed: boolean;
  accepted: { line: number; id: string; leafHash: string }[];
  refused: { line: number; errors: CsvFieldError[] }[];
}

export interface CsvImportOptions {
  /** Commit the valid rows even when others are refused (default: all or nothing). */
  partial?: boolean;
  /** The encoding the upload declared (its Content-Type charset); none: UTF-8 or GBK, detected. */
  encoding?: CsvEncoding;
}

/** The producer every row is recorded for (from the API token). */
export interface CsvProducer {
  uscc: string;
  name: string;
}

/** A row that passed validation, as the Batch input it became. */
export interface CsvRow {
  line: number;
  input: BatchInput;
}

export interface CsvParseResult {
  /** The file's text encoding: UTF-8, or GBK as Excel saves a CSV on a Chinese Windows (./csv-encoding). */
  encoding?: CsvEncoding;
  rows: CsvRow[];
  refused: CsvImportReport['refused'];
  /** Data rows read (valid and refused). */
  total: number;
}

/** Most rows one import takes; larger files are split by the client. */
export const MAX_CSV_ROWS = 10_000;

/** Largest CSV one import reads (after decompression), in bytes: 10 MB. */
export const MAX_CSV_BYTES = 10 * 1024 * 1024;

/** Imports read and parsed at once (each on its own worker thread); more are refused with 'unavailable'. */
export const MAX_CONCURRENT_IMPORTS = 2;

/** Rows checked against the store between two turns of the event loop. */
const ROWS_PER_TURN = 32;

/** The commitments of the national 承诺达标合格证 template, used when `certificate_commitments` is empty. */
export const DEFAULT_COMMITMENTS = ['不使用禁用农药兽药、停用兽药和非法添加物', '常规农药兽药残留不超标', '对承诺的真实性负责'] as const;

/** One column of the import CSV. */
export interface CsvColumn {
  name: string;
  required: boolean;
  doc: string;
}

/** Every column the import reads, in the order of the sample file (scripts/samples/batches.csv). */
export const CSV_COLUMNS = [
  { name: 'id', required: false, doc: 'record id, 1–64 of A–Z a–z 0–9 _ - (empty: a new ULID is generated); recorded as {your USCC}-{id} unless it already starts with your USCC and "-"' },
  { name: 'issued_at', required: false, doc: 'ISO 8601 UTC instant YYYY-MM-DDTHH:mm:ssZ (empty: the time of the import)' },
  { name: 'gtin', required: false, doc: 'GTIN-8/12/13/14 with its check digit (stored as GTIN-14); empty: the label links to /b/{id}' },
  { name: 'lot', required: true, doc: 'batch/lot number, 1–20 characters of the GS1 82-character set' },
  { name: 'product_category', required: true, doc: 'category key of the selenium thresholds table (tea, paddy-rice, grains, …)' },
  { name: 'origin_county_code', required: true, doc: '6-digit GB/T 2260 county code, e.g. 610924 紫阳县' },
  { name: 'origin_town_code', required: false, doc: '9-digit township code starting with the county code' },
  { name: 'origin_name', required: false, doc: 'place name, e.g. 陕西省安康市紫阳县城关镇' },
  { name: 'production_kind', required: true, doc: 'harvest or production (采收 / 生产 also read)' },
  { name: 'production_date', required: true, doc: 'YYYY-MM-DD (YYYY/M/D as Excel writes it is also read)' },
  { name: 'quantity', required: true, doc: 'a number > 0' },
  { name: 'quantity_unit', required: true, doc: `${QUANTITY_UNITS.join(' ')} (千克 公斤 克 吨 升 毫升 件 个 包 盒 箱 袋 also read)` },
  { name: 'report_ids', required: false, doc: 'ids of the selenium test reports of this batch, separated by ";"' },
  { name: 'product_name', required: false, doc: 'product name, printed on labels; when given, a 承诺达标合格证 is recorded from the columns below' },
  { name: 'certificate_origin', required: false, doc: 'origin as the certificate states it (empty: origin_name)' },
  { name: 'certificate_issued_at', required: false, doc: 'when the certificate was issued, ISO 8601 UTC (empty: issued_at)' },
  { name: 'certificate_commitments', required: false, doc: 'commitments separated by ";" (empty: the three of the national template)' },
  { name: 'certificate_basis', required: false, doc: `with product_name: ${CERTIFICATE_BASES.join(' ')} (自控 自检 委托检测), separated by ";"` },
  { name: 'committing_party', required: false, doc: 'who commits (empty: the producer); private' },
  { name: 'committing_party_uscc', required: false, doc: 'its unified social credit code (empty: the producer\'s, when committing_party is empty); private' },
  { name: 'contact_person', required: false, doc: 'contact person; private' },
  { name: 'contact_phone', required: false, doc: 'with product_name: contact phone; private' },
] as const satisfies readonly CsvColumn[];

type Column = (typeof CSV_COLUMNS)[number]['name'];
type Cells = Partial<Record<Column, string>>;

const COLUMN_NAMES = new Set<string>(CSV_COLUMNS.map((c) => c.name));

const PRODUCTION_KINDS: Record<string, 'harvest' | 'production'> = { harvest: 'harvest', production: 'production', 采收: 'harvest', 收获: 'harvest', 生产: 'production' };

const UNIT_ALIASES: Record<string, string> = { 千克: 'kg', 公斤: 'kg', 克: 'g', 吨: 't', 升: 'L', 毫升: 'mL', 件: 'piece', 个: 'piece', 包: 'package', 盒: 'box', 箱: 'box', 袋: 'bag' };

const BASIS_ALIASES: Record<string, string> = { 自控: 'self-control', 自检: 'self-test', 委托检测: 'commissioned-test' };

/** Schema paths (as parseRecord names them) → the CSV column that carries them; the first match wins. */
const PATH_COLUMNS: readonly [string, string][] = [
  ['certificate.quantity', 'quantity'],
  ['certificate.productName', 'product_name'],
  ['certificate.origin', 'certificate_origin'],
  ['certificate.issuedAt', 'certificate_issued_at'],
  ['certificate.commitments', 'certificate_commitments'],
  ['certificate.basis', 'certificate_basis'],
  ['certificate', 'product_name'],
  ['certificateIssuer.committingPartyUscc', 'committing_party_uscc'],
  ['certificateIssuer.committingParty', 'committing_party'],
  ['certificateIssuer.contactPerson', 'contact_person'],
  ['certificateIssuer.phone', 'contact_phone'],
  ['certificateIssuer', 'product_name'],
  ['origin.countyCode', 'origin_county_code'],
  ['origin.townCode', 'origin_town_code'],
  ['origin.name', 'origin_name'],
  ['origin', 'origin_county_code'],
  ['productionDate.kind', 'production_kind'],
  ['productionDate.date', 'production_date'],
  ['productionDate', 'production_date'],
  ['quantity.value', 'quantity'],
  ['quantity.unit', 'quantity_unit'],
  ['reportIds', 'report_ids'],
  ['productCategory', 'product_category'],
  ['issuedAt', 'issued_at'],
  ['producer', 'producer'],
  ['gtin', 'gtin'],
  ['lot', 'lot'],
  ['id', 'id'],
];

/** The CSV column a schema issue path is about. */
export function columnOfPath(path: string): string {
  for (const [prefix, column] of PATH_COLUMNS) {
    if (path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)) return column;
  }
  return path;
}

// ---------------------------------------------------------------------------
// Record ids.

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID (26 Crockford base-32 characters: 48-bit milliseconds, then 80 random bits), a valid record id. */
export function newUlid(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  const random = crypto.randomBytes(16);
  let rest = '';
  for (let i = 0; i < 16; i++) rest += CROCKFORD.charAt(random[i]! & 31);
  return time + rest;
}

// ---------------------------------------------------------------------------
// Reading the file.

/**
 * The text of CSV bytes: UTF-8 (a BOM is dropped), or GBK as Excel saves a CSV on a Chinese Windows (see
 * ./csv-encoding). Throws 'invalid-input' for anything else (Big5, Shift-JIS, binary…), never guessing.
 */
export function decodeCsvBytes(bytes: Uint8Array): string {
  return decodeCsvFile(bytes).text;
}

/** One CSV record as read: the line it starts on, its trimmed cells, and its text (LF line ends, no trailing newline). */
export interface CsvRawRow {
  line: number;
  cells: string[];
  text: string;
}

/**
 * CSV text → the header row and the non-blank data rows, each with the line it starts on (the
 * header is line 1) and its own text, so that a client can re-send rows in chunks. A syntax error
 * (an unclosed quote…) gives `error` with its line instead.
 */
export function readCsvRows(csv: string): { header: CsvRawRow; rows: CsvRawRow[] } | { error: { line: number; message: string } } {
  // csv-parse counts lines of CRLF files one too many; with LF only its count is exact.
  const text = csv.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let records: { record: string[]; raw: string; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, raw: true, skip_empty_lines: true, relax_column_count: true }) as unknown as typeof records;
  } catch (e) {
    const err = e as Error & { lines?: number };
    return { error: { line: err.lines ?? 1, message: `the CSV cannot be read: ${err.message}` } };
  }
  const rows = records.map(({ record, raw, info }) => {
    // info.lines is the line the record ends on; a quoted cell may span lines.
    const inner = raw.replace(/^\n+/, '').replace(/\n+$/, '');
    return { line: info.lines - (inner.match(/\n/g)?.length ?? 0), cells: record.map((c) => c.trim()), text: inner };
  });
  const header = rows.shift();
  if (!header) return { error: { line: 1, message: 'the CSV is empty: expected a header row naming the columns' } };
  return { header, rows: rows.filter((r) => r.cells.some((c) => c !== '')) };
}

function checkHeader(header: readonly string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of header) {
    if (!COLUMN_NAMES.has(name)) problems.push(name === '' ? 'a column has no name' : `unknown column "${name}"`);
    else if (seen.has(name)) problems.push(`column "${name}" appears twice`);
    seen.add(name);
  }
  for (const c of CSV_COLUMNS) if (c.required && !seen.has(c.name)) problems.push(`required column "${c.name}" is missing`);
  if (problems.length > 0) problems.push(`the columns are: ${CSV_COLUMNS.map((c) => c.name).join(', ')}`);
  return problems;
}

// ---------------------------------------------------------------------------
// One row → one Batch input.

const list = (s: string | undefined): string[] | undefined =>
  s === undefined ? undefined : s.split(/[;；]/).map((x) => x.trim()).filter((x) => x !== '');

/** YYYY/M/D, YYYY.M.D and YYYY-M-D as YYYY-MM-DD; anything else unchanged (the schema judges it). */
function normaliseDate(s: string): string {
  const m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(s);
  return m ? `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}` : s;
}

/** The row as a Batch input, with the problems found while converting cells (numbers, Excel-mangled GTINs…). */
function rowToInput(cells: Cells, producer: CsvProducer, defaults: { issuedAt: string; id: () => string }): { input: BatchInput; errors: CsvFieldError[] } {
  const errors: CsvFieldError[] = [];
  const issuedAt = cells.issued_at ?? defaults.issuedAt;

  let quantity: number | string | undefined;
  if (cells.quantity !== undefined) {
    if (/^\d+(\.\d+)?$/.test(cells.quantity)) quantity = Number(cells.quantity);
    else errors.push({ field: 'quantity', message: `must be a number such as 500 or 12.5, got "${cells.quantity}"` });
  }
  const unit = cells.quantity_unit === undefined ? undefined : (UNIT_ALIASES[cells.quantity_unit] ?? cells.quantity_unit);
  if (unit !== undefined && !(QUANTITY_UNITS as readonly string[]).includes(unit)) {
    errors.push({ field: 'quantity_unit', message: `must be one of ${QUANTITY_UNITS.join(', ')} (or 千克, 公斤, 克, 吨, 升, 毫升, 件, 个, 包, 盒, 箱, 袋), got "${unit}"` });
  }
  if (cells.gtin !== undefined && /^\d+(\.\d+)?E\+?\d+$/i.test(cells.gtin)) {
    errors.push({ field: 'gtin', message: `"${cells.gtin}" is a GTIN that a spreadsheet turned into a number: format the column as text and type it again` });
  }
  const kind = cells.production_kind === undefined ? undefined : (PRODUCTION_KINDS[cells.production_kind] ?? cells.production_kind);
  if (cells.production_kind !== undefined && PRODUCTION_KINDS[cells.production_kind] === undefined) {
    errors.push({ field: 'production_kind', message: `must be harvest or production (采收 or 生产), got "${cells.production_kind}"` });
  }

  const input: Record<string, unknown> = {
    id: cells.id ?? defaults.id(),
    issuedAt,
    gtin: cells.gtin,
    lot: cells.lot,
    producer: { uscc: producer.uscc, name: producer.name },
    origin: { countyCode: cells.origin_county_code, townCode: cells.origin_town_code, name: cells.origin_name },
    productionDate: { kind, date: cells.production_date === undefined ? undefined : normaliseDate(cells.production_date) },
    quantity: { value: quantity, unit },
    productCategory: cells.product_category,
    reportIds: list(cells.report_ids) ?? [],
  };

  const certificateColumns = (['certificate_origin', 'certificate_issued_at', 'certificate_commitments', 'certificate_basis', 'committing_party', 'committing_party_uscc', 'contact_person', 'contact_phone'] as const).filter(
    (c) => cells[c] !== undefined,
  );
  if (cells.product_name !== undefined) {
    const origin = cells.certificate_origin ?? cells.origin_name;
    if (origin === undefined) errors.push({ field: 'certificate_origin', message: 'is required with product_name (or give origin_name)' });
    if (cells.certificate_basis === undefined) errors.push({ field: 'certificate_basis', message: `is required with product_name: ${CERTIFICATE_BASES.join(', ')}` });
    if (cells.contact_phone === undefined) errors.push({ field: 'contact_phone', message: 'is required with product_name (the certificate names a contact phone)' });
    const ownParty = cells.committing_party === undefined;
    input.certificate = {
      productName: cells.product_name,
      quantity: input.quantity,
      origin,
      issuedAt: cells.certificate_issued_at ?? issuedAt,
      commitments: list(cells.certificate_commitments) ?? [...DEFAULT_COMMITMENTS],
      basis: list(cells.certificate_basis)?.map((b) => BASIS_ALIASES[b] ?? b),
    };
    input.certificateIssuer = {
      committingParty: cells.committing_party ?? producer.name,
      committingPartyUscc: cells.committing_party_uscc ?? (ownParty ? producer.uscc : undefined),
      contactPerson: cells.contact_person,
      phone: cells.contact_phone,
    };
  } else if (certificateColumns.length > 0) {
    errors.push({ field: 'product_name', message: `is required when certificate columns are given (${certificateColumns.join(', ')})` });
  }
  return { input: input as unknown as BatchInput, errors };
}

const knownCategories = (): string[] => listCategories().map((c) => c.key);

/** Schema issues as CSV field errors, one per column, leaving out columns whose cell already failed to convert. */
function issuesToErrors(issues: readonly RecordIssue[], already: readonly CsvFieldError[]): CsvFieldError[] {
  const seen = new Set(already.map((e) => e.field));
  const out: CsvFieldError[] = [];
  for (const issue of issues) {
    const field = columnOfPath(issue.path);
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ field, message: issue.message });
  }
  return out;
}

/**
 * Reads and validates a batches CSV for `producer`, without storing anything: every data row is
 * either a valid Batch input or refused with its CSV line and the reason per column. A header
 * problem or a syntax error refuses the file (line 1, or the line of the error) and yields no row.
 * Each id is placed in the producer's namespace (records/record-types `placeInNamespace`: kept when it
 * starts with the producer's USCC and "-", else prefixed with it); an id in another participant's
 * namespace, or one that becomes longer than 64 characters, refuses the row. An id, or a GTIN and lot,
 * repeated within the file refuses the later row. Requires at most {@link MAX_CSV_ROWS} rows
 * (throws 'payload-too-large').
 */
export function parseBatchesCsv(csv: string, producer: CsvProducer, opts: { now?: Date } = {}): CsvParseResult {
  const read = readCsvRows(csv);
  if ('error' in read) return { rows: [], refused: [{ line: read.error.line, errors: [{ field: '', message: read.error.message }] }], total: 0 };
  const header = read.header.cells;
  const raw = read.rows;
  if (raw.length > MAX_CSV_ROWS) throw new AppError('payload-too-large', `the CSV has ${raw.length} rows; import at most ${MAX_CSV_ROWS} at a time`);
  const headerProblems = checkHeader(header);
  if (headerProblems.length > 0) {
    return { rows: [], refused: [{ line: read.header.line, errors: headerProblems.map((message) => ({ field: '', message })) }], total: raw.length };
  }

  const now = opts.now ?? new Date();
  const defaults = { issuedAt: now.toISOString().replace(/\.\d+Z$/, 'Z'), id: () => newUlid(now.getTime()) };
  const categories = knownCategories();
  const firstLineOfId = new Map<string, number>();
  const firstLineOfLot = new Map<string, number>();
  const result: CsvParseResult = { rows: [], refused: [], total: raw.length };

  for (const { line, cells } of raw) {
    if (cells.slice(header.length).some((c) => c !== '')) {
      result.refused.push({ line, errors: [{ field: '', message: `has ${cells.length} cells, but the header names ${header.length} columns` }] });
      continue;
    }
    const named: Cells = {};
    header.forEach((name, i) => {
      const v = cells[i];
      if (v !== undefined && v !== '') named[name as Column] = v;
    });
    const { input, errors } = rowToInput(named, producer, defaults);
    if (named.product_category !== undefined && !categories.includes(named.product_category)) {
      errors.push({ field: 'product_category', message: `unknown category "${named.product_category}"; one of ${categories.join(', ')}` });
    }
    let valid = true;
    try {
      parseRecord('Batch', input);
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      errors.push(...issuesToErrors(e.issues, errors));
      valid = false;
    }
    if (!errors.some((x) => x.field === 'id')) {
      const placed = placeInNamespace(String(input.id), producer.uscc);
      if (placed.ok) input.id = placed.id;
      else if (placed.problem === 'other-namespace') errors.push({ field: 'id', message: `is in the namespace of ${placed.namespace}, not yours: ids of ${producer.name} start with "${producer.uscc}-"` });
      else errors.push({ field: 'id', message: `becomes ${placed.id} with your prefix "${producer.uscc}-", longer than 64 characters: choose a shorter id` });
    }
    const id = String(input.id);
    const first = firstLineOfId.get(id);
    if (first !== undefined && !errors.some((x) => x.field === 'id')) errors.push({ field: 'id', message: `repeats the id ${id} of line ${first}` });
    if (first === undefined) firstLineOfId.set(id, line);
    if (valid && input.gtin !== undefined) {
      const subject = batchSubject(toGtin14(String(input.gtin)), String(input.lot));
      const firstLot = firstLineOfLot.get(subject);
      if (firstLot !== undefined) errors.push({ field: 'lot', message: `repeats GTIN ${toGtin14(String(input.gtin))} lot ${String(input.lot)} of line ${firstLot}: a GTIN and lot name one batch` });
      else firstLineOfLot.set(subject, line);
    }
    if (errors.length > 0) result.refused.push({ line, errors });
    else result.rows.push({ line, input });
  }
  return result;
}

// ---------------------------------------------------------------------------
// Reading an upload off the main thread.

/** What the main thread sends an import worker (./csv-import-worker.ts): 'start', the file's bytes in order, then 'end' (or 'abort'). */
export type ToWorker =
  | { type: 'start'; id: number; input: WorkerInput }
  | { type: 'chunk'; id: number; bytes: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'more'; id: number }
  | { type: 'abort'; id: number };

/**
 * What the worker answers about import `id`: valid and refused rows in slices, then 'done'; or one 'error' (an
 * AppError's code and message). After the first slice, each comes when the main thread asks for it ('more').
 */
export type FromWorker =
  | { type: 'rows'; id: number; rows: CsvRow[] }
  | { type: 'refused'; id: number; refused: CsvImportReport['refused'] }
  | { type: 'done'; id: number; total: number; encoding: CsvEncoding }
  | { type: 'error'; id: number; code: 'invalid-input' | 'payload-too-large' | null; message: string };

export interface WorkerInput {
  producer: CsvProducer;
  /** The encoding the upload declared (its Content-Type charset); none: detected (./csv-encoding). */
  encoding?: CsvEncoding;
  /** The import's time (ISO 8601): default issuedAt and ids. */
  now: string;
}

// The workers load what the main process runs: the compiled .js next to this file, or the sources through ts-node (server/runtime.ts).
const WORKER_SOURCE = `
${WORKER_PRELUDE}require(${JSON.stringify(path.join(__dirname, 'csv-import-worker'))});
`;

/**
 * Counts, on the main thread and across chunks of bytes, the CSV records that certainly hold content: an ASCII
 * character other than a comma, a quote or a space outside quotes' newlines (RFC 4180 quoting: a newline inside
 * quotes does not end a record). Records whose only content is non-ASCII are not counted, so the count never
 * exceeds the rows readCsvRows keeps plus its header: past MAX_CSV_ROWS + 1 the file is certainly over the limit.
 * A few instructions a byte: a 10 MB upload costs the event loop well under a millisecond a chunk.
 */
export class ByteRecordCounter {
  private inQuotes = false;
  private hasContent = false;
  count = 0;

  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (c === 0x22) this.inQuotes = !this.inQuotes;
      else if ((c === 0x0a || c === 0x0d) && !this.inQuotes) this.endRecord();
      else if (c > 0x20 && c < 0x7f && c !== 0x2c) this.hasContent = true;
    }
  }

  end(): void {
    this.endRecord();
  }

  private endRecord(): void {
    if (this.hasContent) this.count++;
    this.hasContent = false;
  }
}

/** Workers with no import to read, kept for the next (starting one loads the record schemas: seconds). */
const idleWorkers: Worker[] = [];
let importsRunning = 0;
let nextImportId = 0;

function spawnWorker(): Worker {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { csvImport: true } });
  // An idle worker does not keep the process alive.
  worker.unref();
  return worker;
}

/**
 * Reads a batches CSV from `source` (its bytes, as they arrive) on a worker thread, with the result of
 * {@link parseBatchesCsv}. The limits are checked while reading: past {@link MAX_CSV_BYTES} bytes or
 * {@link MAX_CSV_ROWS} rows it stops reading and throws 'payload-too-large' at once; bytes that are not UTF-8
 * throw 'invalid-input'. The main thread only forwards chunks and receives the valid rows in small slices.
 * At most {@link MAX_CONCURRENT_IMPORTS} run at once; another throws 'unavailable'. `source` is left paused
 * (not drained) when reading stops early.
 */
export async function readBatchesCsv(source: Readable, producer: CsvProducer, opts: { now?: Date; encoding?: CsvEncoding } = {}): Promise<CsvParseResult> {
  if (importsRunning >= MAX_CONCURRENT_IMPORTS) throw new AppError('unavailable', `${MAX_CONCURRENT_IMPORTS} CSV imports are running; try again in a moment`);
  importsRunning++;
  const worker = idleWorkers.pop() ?? spawnWorker();
  const id = ++nextImportId;
  let healthy = true;
  let done = false;
  const cleanup: (() => void)[] = [];
  try {
    return await new Promise<CsvParseResult>((resolve, reject) => {
      const rows: CsvRow[] = [];
      const refused: CsvImportReport['refused'] = [];
      const counter = new ByteRecordCounter();
      let bytes = 0;
      let ended = false;
      const finish = (err: unknown, result?: CsvParseResult) => {
        if (done) return;
        done = true;
        source.pause();
        if (err) reject(err);
        else resolve(result!);
      };
      const onData = (chunk: Buffer | string) => {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        bytes += buf.length;
        if (bytes > MAX_CSV_BYTES) return finish(new AppError('payload-too-large', `the CSV is larger than the limit of ${MAX_CSV_BYTES} bytes; import at most ${MAX_CSV_ROWS} rows at a time`));
        // Refused here at once, without waiting for the worker (which may still be starting) to count them.
        counter.push(buf);
        if (counter.count > MAX_CSV_ROWS + 1) return finish(tooManyRows());
        // A copy the worker owns: chunks of an HTTP request may share one pooled buffer.
        const copy = new Uint8Array(buf);
        worker.postMessage({ type: 'chunk', id, bytes: copy } satisfies ToWorker, [copy.buffer]);
      };
      const onEnd = () => {
        ended = true;
        worker.postMessage({ type: 'end', id } satisfies ToWorker);
      };
      const onError = (e: Error) => finish(readError(e));
      const onClose = () => {
        if (!ended) finish(new AppError('invalid-input', 'the upload was cut off before the end of the CSV'));
      };
      const onMessage = (msg: FromWorker) => {
        if (msg.id !== id) return;
        if (msg.type === 'rows' || msg.type === 'refused') {
          if (msg.type === 'rows') rows.push(...msg.rows);
          else refused.push(...msg.refused);
          // The next slice after other requests had a turn.
          setImmediate(() => done || worker.postMessage({ type: 'more', id } satisfies ToWorker));
        } else if (msg.type === 'done') finish(null, { rows, refused, total: msg.total, encoding: msg.encoding });
        else finish(msg.code ? new AppError(msg.code, msg.message) : new Error(`CSV import worker: ${msg.message}`));
      };
      const onWorkerError = (e: Error) => {
        healthy = false;
        finish(e);
      };
      const onExit = (code: number) => {
        healthy = false;
        finish(new Error(`CSV import worker exited with code ${code}`));
      };
      worker.on('message', onMessage).on('error', onWorkerError).on('exit', onExit);
      source.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
      cleanup.push(() => {
        worker.off('message', onMessage).off('error', onWorkerError).off('exit', onExit);
        source.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      });
      worker.ref();
      worker.postMessage({ type: 'start', id, input: { producer, now: (opts.now ?? new Date()).toISOString(), encoding: opts.encoding } } satisfies ToWorker);
      source.resume();
    });
  } finally {
    for (const f of cleanup) f();
    importsRunning--;
    if (healthy) {
      // Drops whatever of this import the worker still holds; the next 'start' begins afresh.
      worker.postMessage({ type: 'abort', id } satisfies ToWorker);
      worker.unref();
      idleWorkers.push(worker);
    } else {
      void worker.terminate();
    }
  }
}

/** The refusal of a file over the row limit (the same on the main thread and in the worker). */
export const tooManyRows = (): AppError => new AppError('payload-too-large', `the CSV has more than ${MAX_CSV_ROWS} rows; import at most ${MAX_CSV_ROWS} at a time`);

/** A failure of the upload stream as the client's mistake: a corrupt compressed body, a body cut short. */
function readError(e: Error & { code?: string }): AppError {
  if (e instanceof AppError) return e;
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) return new AppError('invalid-input', 'the request body could not be decompressed: it is not valid for its Content-Encoding', undefined, { cause: e });
  return new AppError('invalid-input', `the CSV could not be read: ${e.message}`, undefined, { cause: e });
}

// ---------------------------------------------------------------------------
// The use case.

/**
 * Imports a CSV of batches for the producer an API token belongs to: `csv` is its text, or a stream of its bytes
 * (an upload), read and parsed off the main thread by {@link readBatchesCsv}. Rows are validated, then
 * checked against ids already accepted; by default, if any row is refused nothing is committed
 * (`committed: false`); with `partial`, the valid rows are committed in one transaction. Throws
 * 'forbidden' when `producerId` is not an active producer, 'payload-too-large' past {@link MAX_CSV_ROWS} rows
 * or {@link MAX_CSV_BYTES} bytes (as soon as the stream passes them).
 */
export async function importBatchesCsv(ctx: ServiceContext, producerId: string, csv: string | Readable, opts: CsvImportOptions = {}): Promise<CsvImportReport> {
  const { store, ingest } = ctx.sys;
  const producer = await store.getParticipant(producerId);
  if (!producer || producer.kind !== 'producer' || !producer.active) throw new AppError('forbidden', 'the token is not bound to an active producer');

  const producerRef = { uscc: producer.code, name: producer.name };
  const parsed = typeof csv === 'string' ? parseBatchesCsv(csv, producerRef) : await readBatchesCsv(csv, producerRef, { encoding: opts.encoding });
  const encoding = parsed.encoding ?? 'utf-8';
  const refused = [...parsed.refused];
  let rows: CsvRow[] = [];
  let existing: string | null;
  for (const [i, row] of parsed.rows.entries()) {
    // The store is synchronous underneath: give other requests a turn every few rows.
    if (i % ROWS_PER_TURN === ROWS_PER_TURN - 1) await nextTurn();
    const tooLate = issuedAtProblem(ingest, String(row.input.issuedAt));
    if (tooLate) refused.push({ line: row.line, errors: [{ field: 'issued_at', message: tooLate }] });
    else if (await store.getRecord(String(row.input.id))) refused.push({ line: row.line, errors: [{ field: 'id', message: `record ${String(row.input.id)} was already accepted` }] });
    else if ((existing = await registeredBatchOf(store, row.input))) refused.push({ line: row.line, errors: [{ field: 'lot', message: existing }] });
    else {
      const notOwned = await gtinNotOwned(ingest, producer, row.input.gtin);
      if (notOwned) refused.push({ line: row.line, errors: [notOwned] });
      else rows.push(row);
    }
  }

  for (;;) {
    if (rows.length === 0 || (refused.length > 0 && !opts.partial)) return report(encoding, false, [], refused);
    try {
      const acks = await ingest.submitBatchesForProducer(producerId, rows.map((r) => r.input));
      return report(encoding, true, rows.map((r, i) => ({ line: r.line, id: acks[i]!.id, leafHash: acks[i]!.leafHash })), refused);
    } catch (e) {
      // Only a race can land here (an id accepted since the check above): that row is refused, and the rest retried or not.
      const index = e instanceof AppError ? (e.details?.index as number | undefined) : undefined;
      const row = index === undefined ? undefined : rows[index];
      if (!row || !(e instanceof AppError)) throw e;
      const issues = (e.details?.issues as RecordIssue[] | undefined) ?? [];
      const errors = issues.length > 0 ? issuesToErrors(issues, []) : [{ field: fieldOfCode(e.code), message: e.message.replace(/^batch \d+: /, ''), ...(e.code === 'gtin-not-owned' ? { code: e.code } : {}) }];
      refused.push({ line: row.line, errors });
      rows = rows.filter((r) => r !== row);
    }
  }
}

/** The CSV column a refusal of ingest is about ('' for the row as a whole). */
const fieldOfCode = (code: string): string =>
  code === 'replay' || code === 'id-not-in-namespace'
    ? 'id'
    : code === 'duplicate-batch'
      ? 'lot'
      : code === 'issued-at-too-old' || code === 'issued-at-in-future'
        ? 'issued_at'
        : code === 'gtin-not-owned'
          ? 'gtin'
          : '';

/** Why ingest would refuse a row's GTIN as not the producer's (a label hijack, see IngestService.assertGtinOwned), or null. */
async function gtinNotOwned(ingest: ServiceContext['sys']['ingest'], producer: Participant, gtin: string | undefined): Promise<CsvFieldError | null> {
  if (gtin === undefined || !isValidGtin(gtin)) return null;
  try {
    await ingest.assertGtinOwned(producer, toGtin14(gtin));
    return null;
  } catch (e) {
    // A storage fault is the server's, not the row's: it answers 503 for the whole import.
    if (e instanceof AppError && e.code !== 'storage-unavailable') return { field: 'gtin', message: e.message, code: e.code };
    throw e;
  }
}

/** Why a row's GTIN + lot cannot be registered (a batch already holds it, as ingest would answer 'duplicate-batch'), or null. */
async function registeredBatchOf(store: ServiceContext['sys']['store'], input: BatchInput): Promise<string | null> {
  if (input.gtin === undefined) return null;
  const gtin14 = toGtin14(String(input.gtin));
  const [batch] = await store.listRecords({ type: 'Batch', subject: batchSubject(gtin14, String(input.lot)), limit: 1 });
  return batch ? `GTIN ${gtin14} lot ${String(input.lot)} is already registered as batch ${batch.id}` : null;
}

/** Why ingest would refuse a row's issuedAt (the window of receipt, see ingest-rules.ts), or null. */
function issuedAtProblem(ingest: ServiceContext['sys']['ingest'], issuedAt: string): string | null {
  try {
    ingest.assertIssuedAtAcceptable(issuedAt);
    return null;
  } catch (e) {
    if (e instanceof AppError) return e.message;
    throw e;
  }
}

function report(encoding: CsvEncoding, committed: boolean, accepted: CsvImportReport['accepted'], refused: CsvImportReport['refused']): CsvImportReport {
  return { encoding, committed, accepted, refused: [...refused].sort((a, b) => a.line - b.line) };
}
