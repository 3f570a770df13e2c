/**
 * The worker thread of a CSV import (see readBatchesCsv in ./csv-import): it receives the file's bytes as they
 * arrive, decodes them as UTF-8 and counts the rows as it goes, refusing the file as soon as it passes the row
 * limit; at the end it reads and validates every row (parseBatchesCsv) and sends the result back in slices,
 * so that neither parsing nor receiving the result holds the main thread's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../errors';
import { MAX_CSV_ROWS, parseBatchesCsv, type FromWorker, type ToWorker, type WorkerInput } from './csv-import';

/** Rows sent back per message: each message is deserialised on the main thread, so it stays small. */
const ROWS_PER_MESSAGE = 200;

/**
 * Counts, across chunks, the CSV records that hold content (a cell that is not blank once trimmed), with RFC 4180
 * quoting: a newline inside quotes does not end a record. Every row readCsvRows keeps holds content, so a count past
 * MAX_CSV_ROWS + 1 (the header and the rows) means the file is over the row limit, whatever follows.
 */
export class RecordCounter {
  private inQuotes = false;
  private hasContent = false;
  count = 0;

  push(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22 /* " */) this.inQuotes = !this.inQuotes;
      else if ((c === 0x0a || c === 0x0d) && !this.inQuotes) this.endRecord();
      else if (c !== 0x2c /* , */ && c !== 0x20 && c !== 0x09 && (c < 0x80 || !/\s/.test(text.charAt(i)))) this.hasContent = true;
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

function run(port: NonNullable<typeof parentPort>, input: WorkerInput): void {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const counter = new RecordCounter();
  const parts: string[] = [];
  let failed = false;
  const fail = (code: FromWorker & { type: 'error' }) => {
    failed = true;
    port.postMessage(code);
  };
  port.on('message', (msg: ToWorker) => {
    if (failed) return;
    try {
      const text = msg.type === 'chunk' ? decoder.decode(msg.bytes, { stream: true }) : decoder.decode();
      parts.push(text);
      counter.push(text);
      if (msg.type === 'end') counter.end();
    } catch {
      fail({ type: 'error', code: 'invalid-input', message: 'the CSV is not UTF-8 text (in Excel, save it as "CSV UTF-8"; GBK files are not read)' });
      return;
    }
    // The header, then at most MAX_CSV_ROWS rows.
    if (counter.count > MAX_CSV_ROWS + 1) {
      fail({ type: 'error', code: 'payload-too-large', message: `the CSV has more than ${MAX_CSV_ROWS} rows; import at most ${MAX_CSV_ROWS} at a time` });
      return;
    }
    if (msg.type !== 'end') return;
    try {
      const result = parseBatchesCsv(parts.join(''), input.producer, { now: new Date(input.now) });
      parts.length = 0;
      for (let i = 0; i < result.rows.length; i += ROWS_PER_MESSAGE) port.postMessage({ type: 'rows', rows: result.rows.slice(i, i + ROWS_PER_MESSAGE) } satisfies FromWorker);
      port.postMessage({ type: 'done', refused: result.refused, total: result.total } satisfies FromWorker);
    } catch (e) {
      const app = e instanceof AppError && (e.code === 'invalid-input' || e.code === 'payload-too-large');
      fail({ type: 'error', code: app ? (e.code as 'invalid-input' | 'payload-too-large') : null, message: e instanceof Error ? e.message : String(e) });
    }
  });
}

if (parentPort && (workerData as { csvImport?: WorkerInput } | null)?.csvImport) run(parentPort, (workerData as { csvImport: WorkerInput }).csvImport);
