/**
 * A worker thread of CSV imports (see readBatchesCsv in ./csv-import), one import at a time: it receives the file's
 * bytes as they arrive, decodes them (UTF-8, or GBK as Excel saves it: ./csv-encoding) and counts the rows as it goes, refusing the file as soon as it passes the row
 * limit; at the end it reads and validates every row (parseBatchesCsv) and sends the result back in slices,
 * so that neither parsing nor receiving the result holds the main thread's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../errors';
import { CsvDecoder } from './csv-encoding';
import { MAX_CSV_ROWS, parseBatchesCsv, tooManyRows, type FromWorker, type ToWorker, type WorkerInput } from './csv-import';

/** Rows sent back per message: each message is deserialised on the main thread, so it stays small (~a millisecond). */
const ROWS_PER_MESSAGE = 100;

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

/** The import under way on this worker: the bytes received so far, decoded, and their record count. */
interface Current {
  id: number;
  input: WorkerInput;
  decoder: CsvDecoder;
  counter: RecordCounter;
  parts: string[];
}

function serve(port: NonNullable<typeof parentPort>): void {
  let current: Current | null = null;
  const reply = (msg: FromWorker) => port.postMessage(msg);
  const fail = (id: number, code: 'invalid-input' | 'payload-too-large' | null, message: string) => {
    current = null;
    reply({ type: 'error', id, code, message });
  };
  let sending: { id: number; slices: FromWorker[] } | null = null;
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'abort' && sending?.id === msg.id) sending = null;
    if (msg.type === 'more') {
      const next = sending?.id === msg.id ? sending.slices.shift() : undefined;
      if (next) reply(next);
      if (sending?.slices.length === 0) sending = null;
      return;
    }
    if (msg.type === 'start') {
      sending = null;
      current = { id: msg.id, input: msg.input, decoder: new CsvDecoder(msg.input.encoding), counter: new RecordCounter(), parts: [] };
      return;
    }
    // An import that was refused or given up: its remaining messages are dropped.
    if (current === null || msg.id !== current.id) return;
    if (msg.type === 'abort') {
      current = null;
      return;
    }
    if (msg.type !== 'chunk' && msg.type !== 'end') return;
    const c = current;
    try {
      const { text, restart } = msg.type === 'chunk' ? c.decoder.push(msg.bytes) : c.decoder.end();
      if (restart) {
        // Not UTF-8 after all, but GBK: `text` is the whole file so far, decoded again.
        c.parts = [];
        c.counter = new RecordCounter();
      }
      c.parts.push(text);
      c.counter.push(text);
      if (msg.type === 'end') c.counter.end();
    } catch (e) {
      fail(c.id, 'invalid-input', e instanceof Error ? e.message : String(e));
      return;
    }
    // The header, then at most MAX_CSV_ROWS rows.
    if (c.counter.count > MAX_CSV_ROWS + 1) {
      fail(c.id, 'payload-too-large', tooManyRows().message);
      return;
    }
    if (msg.type !== 'end') return;
    current = null;
    try {
      const result = parseBatchesCsv(c.parts.join(''), c.input.producer, { now: new Date(c.input.now) });
      const slices: FromWorker[] = [];
      for (let i = 0; i < result.rows.length; i += ROWS_PER_MESSAGE) slices.push({ type: 'rows', id: c.id, rows: result.rows.slice(i, i + ROWS_PER_MESSAGE) });
      for (let i = 0; i < result.refused.length; i += ROWS_PER_MESSAGE) slices.push({ type: 'refused', id: c.id, refused: result.refused.slice(i, i + ROWS_PER_MESSAGE) });
      slices.push({ type: 'done', id: c.id, total: result.total, encoding: c.decoder.encoding });
      // One slice at a time, the next when the main thread asks ('more'): messages queued together are
      // all deserialised in one turn of its event loop.
      sending = { id: c.id, slices };
      reply(slices.shift()!);
    } catch (e) {
      const known = e instanceof AppError && (e.code === 'invalid-input' || e.code === 'payload-too-large');
      fail(c.id, known ? (e.code as 'invalid-input' | 'payload-too-large') : null, e instanceof Error ? e.message : String(e));
    }
  });
}

if (parentPort && (workerData as { csvImport?: boolean } | null)?.csvImport) serve(parentPort);
