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

/** The writing thread (one per process, started at the first save) and the writes it has not answered yet. */
let writer: { worker: Worker; inFlight: Map<number, { resolve: () => void; reject: (e: unknown) => void }> } | undefined;
let nextId = 0;

function startWriter(): NonNullable<typeof writer> {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  const w = { worker, inFlight: new Map<number, { resolve: () => void; reject: (e: unknown) => void }>() };
  worker.on('message', (reply: Reply) => {
    const task = w.inFlight.get(reply.id);
    if (!task) return;
    w.inFlight.delete(reply.id);
    if (w.inFlight.size === 0) worker.unref();
    if (reply.ok) task.resolve();
    else task.reject(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}));
  });
  const fail = (e: unknown) => {
    if (writer === w) writer = undefined;
    for (const task of w.inFlight.values()) task.reject(e);
    w.inFlight.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the state file's writing thread exited (code ${code})`)));
  return w;
}

/**
 * {@link writeStateFileSync} on the writing thread: resolves once `file` is durable, rejects with the file system's
 * error (its `code` kept). A thread that dies fails its writes in flight (the caller's save fails and is retried,
 * the last good file intact); the next write starts another.
 */
export function writeStateFile(file: string, data: Uint8Array): Promise<void> {
  writer ??= startWriter();
  const w = writer;
  return new Promise<void>((resolve, reject) => {
    const id = nextId++;
    w.inFlight.set(id, { resolve, reject });
    // Keep the process alive while a write is in flight (its promise must settle).
    w.worker.ref();
    w.worker.postMessage({ id, file, data });
  });
}
