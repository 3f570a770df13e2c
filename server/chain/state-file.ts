/**
 * Writing the embedded node's state file durably, off the event loop and in one hand-over.
 *
 * A save is ten file-system steps (the temporary file opened, written, synced and closed; the last save kept as
 * `.prev`; the rename; the directory synced). Through node's asynchronous fs each step waited for its own turn of
 * the event loop, and under load a turn takes tens of milliseconds: an anchoring checkpoint waited 0.4–0.6 s for the
 * save behind its confirmation (bench:ingest --bulk 50). Here the steps run synchronously on a thread of their own,
 * so the event loop waits for one answer, and it never blocks on an fsync itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { WORKER_PRELUDE } from '../runtime';

/**
 * Writes `data` as `file` durably, synchronously: `file.tmp`, fsync, `file` kept as `file.prev` (a hard link, so
 * `file` never goes missing; a copy where links fail), rename over `file`, fsync of the directory. Throws the
 * file system's error (with its `code`) at the first step that fails; `file` is then the last good save.
 */
export function writeStateFileSync(file: string, data: Uint8Array): void {
  const tmp = `${file}.tmp`;
  const prev = `${file}.prev`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (fs.existsSync(file)) {
    fs.rmSync(prev, { force: true });
    try {
      fs.linkSync(file, prev);
    } catch {
      fs.copyFileSync(file, prev);
    }
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

type Reply = { id: number; ok: true } | { id: number; ok: false; code?: string; message: string };

const WORKER_SOURCE = `
${WORKER_PRELUDE}const { parentPort } = require('node:worker_threads');
const { writeStateFileSync } = require(${JSON.stringify(path.join(__dirname, 'state-file'))});
parentPort.on('message', ({ id, file, data }) => {
  try {
    writeStateFileSync(file, data);
    parentPort.postMessage({ id, ok: true });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, code: e && typeof e.code === 'string' ? e.code : undefined, message: String((e && e.message) || e) });
  }
});
`;

/**
 * The writing thread and the writes it has not answered yet. A thread that dies fails its writes in flight (the
 * caller's save fails and is retried, the last good file intact), and the next write starts another. A thread that
 * cannot start at all (it failed before answering once) is not started again: writes then run on the calling thread,
 * blocking it for their fsyncs but still durable.
 */
export class StateFileWriter {
  private thread: { worker: Worker; inFlight: Map<number, Write> } | undefined;
  private nextId = 0;
  /** Why the thread could not start; writes then run on the calling thread. */
  private broken: Error | undefined;

  constructor(private readonly source: string = WORKER_SOURCE) {}

  /** Whether writes run on the calling thread because the writing thread could not start. */
  get inline(): boolean {
    return this.broken !== undefined;
  }

  /** {@link writeStateFileSync} on the writing thread: resolves once `file` is durable, rejects with the file system's error (its `code` kept). */
  write(file: string, data: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => this.send({ file, data, resolve, reject }));
  }

  private send(w: Write): void {
    if (this.broken) {
      try {
        writeStateFileSync(w.file, w.data);
        w.resolve();
      } catch (e) {
        w.reject(e);
      }
      return;
    }
    const t = (this.thread ??= this.start());
    const id = this.nextId++;
    t.inFlight.set(id, w);
    // Keep the process alive while a write is in flight (its promise must settle).
    t.worker.ref();
    t.worker.postMessage({ id, file: w.file, data: w.data });
  }

  private start(): { worker: Worker; inFlight: Map<number, Write> } {
    const worker = new Worker(this.source, { eval: true });
    worker.unref();
    const t = { worker, inFlight: new Map<number, Write>() };
    let answered = false;
    worker.on('message', (reply: Reply) => {
      answered = true;
      const w = t.inFlight.get(reply.id);
      if (!w) return;
      t.inFlight.delete(reply.id);
      if (t.inFlight.size === 0) worker.unref();
      if (reply.ok) w.resolve();
      else w.reject(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}));
    });
    const fail = (e: unknown) => {
      if (this.thread !== t) return;
      this.thread = undefined;
      const held = [...t.inFlight.values()];
      t.inFlight.clear();
      if (!answered) {
        // It never ran a write: this one and every later one run here.
        this.broken = e instanceof Error ? e : new Error(String(e));
        for (const w of held) this.send(w);
      } else for (const w of held) w.reject(e);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the state file's writing thread exited (code ${code})`)));
    return t;
  }
}

/** A write handed to the writing thread, and its promise's ends. */
interface Write {
  file: string;
  data: Uint8Array;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const shared = new StateFileWriter();

/** {@link writeStateFileSync} on the process's writing thread (see {@link StateFileWriter}). */
export function writeStateFile(file: string, data: Uint8Array): Promise<void> {
  return shared.write(file, data);
}
