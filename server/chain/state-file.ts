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
import { WorkerPool } from '../worker-pool';

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

/** The writing thread's task: {@link writeStateFileSync} of one save. */
export function writeStateFileTask(task: { file: string; data: Uint8Array }): void {
  writeStateFileSync(task.file, task.data);
}

/**
 * The writing thread: a one-worker {@link WorkerPool} running {@link writeStateFileTask}, started at the first write. A
 * thread that dies fails its writes in flight (the caller's save fails and is retried, the last good file intact) and
 * is replaced. A thread that cannot start at all (it failed before answering once) is not started again: writes then
 * run on the calling thread, blocking it for their fsyncs but still durable. `modulePath` and `exportName` name the
 * task (tests only).
 */
export class StateFileWriter {
  private pool: WorkerPool<{ file: string; data: Uint8Array }, void> | undefined;

  constructor(
    private readonly modulePath: string = path.join(__dirname, 'state-file'),
    private readonly exportName: string = 'writeStateFileTask',
  ) {}

  /** Whether writes run on the calling thread because the writing thread could not start. */
  get inline(): boolean {
    return (this.pool?.brokenBy ?? null) !== null;
  }

  /** {@link writeStateFileSync} on the writing thread: resolves once `file` is durable, rejects with the file system's error (its `code` kept). */
  async write(file: string, data: Uint8Array): Promise<void> {
    if (this.inline) return writeStateFileSync(file, data);
    this.pool ??= new WorkerPool(this.modulePath, this.exportName, 1);
    try {
      await this.pool.run({ file, data });
    } catch (e) {
      // It never ran a write: this one and every later one run here.
      if (this.inline) return writeStateFileSync(file, data);
      throw e;
    }
  }
}

const shared = new StateFileWriter();

/** True when the process's state file writes run on the main thread, because the writing thread could not start. */
export const stateFileWritesOnMainThread = (): boolean => shared.inline;

/** {@link writeStateFileSync} on the process's writing thread (see {@link StateFileWriter}). */
export function writeStateFile(file: string, data: Uint8Array): Promise<void> {
  return shared.write(file, data);
}
