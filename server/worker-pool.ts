/**
 * A pool of worker threads, each running one exported function of one module on the messages it is sent:
 * CPU-bound checks (signature recovery, hashing) spread over the cores while the main thread reads the store
 * and serves requests. Generic, with no knowledge of what the function does: the trails' record checks use it, and
 * the embedded chain's state file writer (server/chain/state-file.ts), which needs the writes off the event loop.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { WORKER_PRELUDE } from './runtime';

type Reply<Out> = { id: number; ok: true; value: Out } | { id: number; ok: false; message: string; code?: string };

/** The eval'd source of a worker that runs `exportName` of `modulePath` (resolved like require) on every message. */
function workerSource(modulePath: string, exportName: string): string {
  return `
${WORKER_PRELUDE}const { parentPort, workerData } = require('node:worker_threads');
const fn = require(${JSON.stringify(modulePath)})[${JSON.stringify(exportName)}];
parentPort.on('message', ({ id, input }) => {
  try {
    const value = fn(input, workerData);
    parentPort.postMessage({ id, ok: true, value }, value && value.transfer ? value.transfer : undefined);
  } catch (e) {
    parentPort.postMessage({ id, ok: false, message: String((e && e.message) || e), code: e && typeof e.code === 'string' ? e.code : undefined });
  }
});
`;
}

/** Threads worth starting for CPU-bound work on this machine: one per core the process may use. */
export function coreCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * `size` workers (size >= 1) each running `fn(input, workerData)` of module `modulePath`'s export `exportName`
 * (a synchronous function; what it returns is posted back, its `transfer` member, if any, as the transfer list).
 * A task goes to the worker with the fewest tasks in flight. A task that throws is rejected with its message and, if it
 * has one, its `code` (a file system error's, e.g. ENOSPC). Workers are unref'd: an idle pool does not keep
 * the process alive. A worker that dies, with tasks in flight or idle, rejects its tasks in flight; it is replaced if
 * it had answered before (a worker that cannot even start, e.g. its module fails to load, is not restarted in a loop:
 * the pool is then broken and rejects every task, so the caller can fall back to running the function itself).
 */
export class WorkerPool<In, Out> {
  private readonly workers: {
    worker: Worker;
    inFlight: Map<number, { resolve: (v: Out) => void; reject: (e: unknown) => void }>;
  }[] = [];
  private nextId = 0;
  private closed = false;
  /** Why the pool no longer runs tasks (a worker failed before answering once). */
  private broken: Error | null = null;

  constructor(private readonly modulePath: string, private readonly exportName: string, readonly size: number, private readonly workerData: unknown = null) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`a pool needs at least one worker, not ${size}`);
    for (let i = 0; i < size; i++) this.workers.push(this.start());
  }

  private start(): WorkerPool<In, Out>['workers'][number] {
    const worker = new Worker(workerSource(this.modulePath, this.exportName), {
      eval: true,
      workerData: this.workerData,
    });
    worker.unref();
    const slot = {
      worker,
      inFlight: new Map<number, { resolve: (v: Out) => void; reject: (e: unknown) => void }>(),
    };
    let answered = false;
    worker.on('message', (reply: Reply<Out>) => {
      answered = true;
      const task = slot.inFlight.get(reply.id);
      if (!task) return;
      slot.inFlight.delete(reply.id);
      if (slot.inFlight.size === 0) worker.unref();
      if (reply.ok) task.resolve(reply.value);
      else task.reject(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}));
    });
    const fail = (e: unknown) => {
      for (const task of slot.inFlight.values()) task.reject(e);
      slot.inFlight.clear();
      const i = this.workers.indexOf(slot);
      if (i < 0 || this.closed) return;
      if (answered) this.workers[i] = this.start();
      else this.broken ??= e instanceof Error ? e : new Error(String(e));
    };
    worker.on('error', fail);
    // A worker that ends, busy or idle, is replaced (or breaks the pool): one left dead in its slot would take tasks
    // and never answer them. After an 'error' (which came first) this finds nothing left to do.
    worker.on('exit', (code) => fail(new Error(`a pool worker exited (code ${code})${slot.inFlight.size > 0 ? ' with tasks in flight' : ''}`)));
    return slot;
  }

  /** Why the pool no longer runs tasks (a worker failed before it ever answered), or null while it does. */
  get brokenBy(): Error | null {
    return this.broken;
  }

  /** Runs one task on the least busy worker. `transfer` moves those buffers instead of copying them. */
  run(input: In, transfer: readonly ArrayBuffer[] = []): Promise<Out> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    if (this.broken) return Promise.reject(this.broken);
    let slot = this.workers[0]!;
    for (const w of this.workers) if (w.inFlight.size < slot.inFlight.size) slot = w;
    return new Promise<Out>((resolve, reject) => {
      const id = this.nextId++;
      slot.inFlight.set(id, { resolve, reject });
      // Keep the process alive while a task is in flight (its promise must settle).
      slot.worker.ref();
      slot.worker.postMessage({ id, input }, transfer as ArrayBuffer[]);
    });
  }

  /** Stops every worker; tasks in flight are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
