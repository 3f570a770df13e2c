/**
 * Runs verifySubmission on worker threads, so signature recovery and hashing use the other cores
 * while the main thread serves HTTP and commits to the store. With size 0 it runs inline.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../errors';
import { WORKER_PRELUDE } from '../runtime';
import type { ChainBinding } from '../records';
import { verifySubmission, type SignedSubmission, type VerifiedSubmission } from './verify-submission';

type Reply = { id: number; ok: true; value: VerifiedSubmission } | { id: number; ok: false; error: { code: ErrorCode | null; message: string; details?: Record<string, unknown> } };

/**
 * A worker replies every REPLY_EVERY submissions checked, not once per batch: the main thread then goes on with the
 * first (the signer's rules, the group commit) while the worker checks the rest. With one reply per batch the two
 * threads took turns: under load the requests moved in waves, each stage waiting for the whole wave before it
 * (bench:ingest --service on 2 cores: 1.0–1.1 cores busy, 1,800–2,150 reports/s; replying every 4: 1.4–1.5 cores,
 * 2,650–2,980/s). Every reply costs a message each way, so not one per submission.
 */
export const REPLY_EVERY = 4;

// Each worker loads what the main process runs: the compiled .js next to this file, or the sources through ts-node (server/runtime.ts).
const WORKER_SOURCE = `
${WORKER_PRELUDE}const { parentPort, workerData } = require('node:worker_threads');
const { verifySubmission } = require(${JSON.stringify(path.join(__dirname, 'verify-submission'))});
const { AppError } = require(${JSON.stringify(path.resolve(__dirname, '../errors'))});
// Each message is a batch of submissions; the replies answer each in the same order, every ${REPLY_EVERY} checked.
parentPort.on('message', (items) => {
  let replies = [];
  for (const { id, sub } of items) {
    try {
      replies.push({ id, ok: true, value: verifySubmission(sub, workerData.binding) });
    } catch (e) {
      const app = e instanceof AppError;
      replies.push({ id, ok: false, error: { code: app ? e.code : null, message: String(e && e.message), details: app ? e.details : undefined } });
    }
    if (replies.length === ${REPLY_EVERY}) {
      parentPort.postMessage(replies);
      replies = [];
    }
  }
  if (replies.length > 0) parentPort.postMessage(replies);
});
`;

/**
 * Most submissions a worker holds at once (sent, not yet answered); the rest wait on the main thread, where waiting costs
 * nothing. Without a bound, a burst (64 bulk requests of 50 reports: 3,200 submissions) went to the worker in one
 * message; the worker then ran ahead of the main thread, and the main thread drained its replies in one long turn
 * (every answered submission's signer rules and group commit in a row) while everything else on the event loop waited:
 * the anchoring worker's chain requests among them, so a burst's checkpoints were late (bench:ingest --bulk 50, event
 * loop delay p99 206–219 ms, acceptance → anchored lag p99 2.77–3.2 s; with this bound 106–115 ms and 1.72–2.22 s).
 * 256 is ~55 ms of a worker's checks, enough to keep it busy across a slow turn of the main thread.
 */
export const MAX_OUTSTANDING = 256;

export interface SubmissionVerifier {
  verify(sub: SignedSubmission): Promise<VerifiedSubmission>;
  /** Where the checks run, and the threads that failed (for /healthz). */
  status(): VerifierStatus;
  close(): Promise<void>;
}

/** Where signature checks run, and how the threads fared since the start. */
export interface VerifierStatus {
  /** Threads set to check signatures (INGEST_THREADS); 0: on the main thread, as configured. */
  threads: number;
  /** True when the checks run on the main thread because the threads could not start (slower, the same answers). */
  onMainThread: boolean;
  /** Threads that stopped and were replaced since the start, and the submissions they held (refused as unavailable, nothing stored). */
  stopped: number;
  refused: number;
  /** The last thread failure: when, and what it said. */
  lastFailure?: { at: string; error: string };
}

const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** What a worker pool holds now (for tests and diagnostics). */
export interface VerifierLoad {
  /** Per worker: submissions sent to it and not yet answered. */
  outstanding: number[];
  /** Submissions waiting on this thread for room at a worker. */
  waiting: number;
}

/** Inline: the calling thread does the work. */
export function inlineVerifier(binding: ChainBinding): SubmissionVerifier {
  return {
    verify: async (sub) => verifySubmission(sub, binding),
    status: () => ({ threads: 0, onMainThread: true, stopped: 0, refused: 0 }),
    close: async () => undefined,
  };
}

/**
 * A pool of `size` worker threads (size ≥ 1). Submissions arriving in one turn of the event loop go out together on
 * the next, shared evenly among the workers, one message each way per worker: under load, one wake-up and one
 * copy per batch instead of per submission. A worker holds at most `maxOutstanding` (default {@link MAX_OUTSTANDING})
 * at once; the rest go out, in arrival order, as its answers come back.
 * A worker that dies fails the submissions it held (each answered with its error: none was accepted) and is replaced.
 * One that dies before it ever answered is not restarted in a loop: the pool then checks every submission on this
 * thread, slower but still right. `source` replaces the workers' code (tests only).
 */
export function workerVerifier(
  binding: ChainBinding,
  size: number,
  opts: {
    maxOutstanding?: number;
    source?: string;
    /** Told when a thread died and was replaced, or when the threads cannot start and checks run on the calling thread. */
    onThreadFailure?: (event: { thread: number; error: Error; refused: number; inline: boolean }) => void;
  } = {},
): SubmissionVerifier & { load(): VerifierLoad; readonly inline: boolean } {
  const cap = Math.max(REPLY_EVERY, opts.maxOutstanding ?? MAX_OUTSTANDING);
  const pending = new Map<number, { resolve: (v: VerifiedSubmission) => void; reject: (e: unknown) => void }>();
  let nextId = 0;
  /** In arrival order; `head` is the first not yet sent (the array is compacted as it is consumed). */
  let waiting: { id: number; sub: SignedSubmission }[] = [];
  let head = 0;
  let scheduled = false;
  let closed = false;
  /** Why the workers could not start: submissions are then checked on this thread. */
  let broken: Error | undefined;
  const failures: Pick<VerifierStatus, 'stopped' | 'refused' | 'lastFailure'> = { stopped: 0, refused: 0 };
  const failed = (error: Error) => {
    failures.lastFailure = { at: new Date().toISOString(), error: error.message.split('\n')[0]!.slice(0, 200) };
  };
  const workerBinding = { chainId: Number(binding.chainId), verifyingContract: binding.verifyingContract };
  /** Sends what waits on the next turn (once, however many arrive or answers come back meanwhile). */
  const schedule = () => {
    if (scheduled || head === waiting.length) return;
    scheduled = true;
    setImmediate(send);
  };
  const settle = (id: number, outcome: { value: VerifiedSubmission } | { error: unknown }) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if ('value' in outcome) p.resolve(outcome.value);
    else p.reject(outcome.error);
  };
  /** Checks `sub` on this thread (a pool whose workers cannot start). */
  const checkHere = (id: number, sub: SignedSubmission) => {
    try {
      settle(id, { value: verifySubmission(sub, binding) });
    } catch (e) {
      settle(id, { error: e });
    }
  };
  interface Slot {
    worker: Worker;
    /** The submissions sent to it and not yet answered, by id. */
    held: Map<number, SignedSubmission>;
  }
  const start = (w: number): Slot => {
    const worker = new Worker(opts.source ?? WORKER_SOURCE, { eval: true, workerData: { binding: workerBinding } });
    worker.unref();
    const slot: Slot = { worker, held: new Map() };
    let answered = false;
    worker.on('message', (replies: Reply[]) => {
      answered = true;
      for (const reply of replies) slot.held.delete(reply.id);
      schedule();
      for (const reply of replies) {
        if (reply.ok) settle(reply.id, { value: reply.value });
        else settle(reply.id, { error: reply.error.code ? new AppError(reply.error.code, reply.error.message, reply.error.details) : new Error(reply.error.message) });
      }
    });
    const fail = (e: unknown) => {
      if (slots[w] !== slot || closed) return;
      const held = [...slot.held];
      slot.held.clear();
      if (answered) {
        // It died while checking these: none was accepted, and the sender may send them again. (Not checked again
        // here: a submission that killed a thread could take this one down with it.)
        const error = toError(e);
        const interrupted = new AppError('unavailable', 'the check of this submission was interrupted (a signature thread stopped); nothing was stored: send it again', undefined, { cause: error });
        for (const [id] of held) settle(id, { error: interrupted });
        slots[w] = start(w);
        failures.stopped++;
        failures.refused += held.length;
        failed(error);
        opts.onThreadFailure?.({ thread: w, error, refused: held.length, inline: false });
      } else {
        if (!broken) {
          broken = toError(e);
          failed(broken);
          opts.onThreadFailure?.({ thread: w, error: broken, refused: 0, inline: true });
        }
        // It never ran: what it held, what still waits and everything from now on is checked here.
        for (const [id, sub] of held) checkHere(id, sub);
        for (let i = head; i < waiting.length; i++) checkHere(waiting[i]!.id, waiting[i]!.sub);
        waiting = [];
        head = 0;
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`a signature thread exited (code ${code})`)));
    return slot;
  };
  const slots: Slot[] = [];
  for (let w = 0; w < size; w++) slots.push(start(w));
  /** Sends what waits, shared evenly among the workers with room, one message each (none beyond a worker's room), in arrival order. */
  const send = () => {
    scheduled = false;
    if (broken) return;
    // The least loaded first: a single submission goes to an idle worker.
    const order = slots.map((_, w) => w).sort((a, b) => slots[a]!.held.size - slots[b]!.held.size);
    let open = slots.filter((s) => s.held.size < cap).length;
    for (const w of order) {
      if (head === waiting.length) break;
      const slot = slots[w]!;
      const room = cap - slot.held.size;
      if (room <= 0) continue;
      const take = Math.min(room, Math.ceil((waiting.length - head) / open--));
      const batch = waiting.slice(head, head + take);
      for (const item of batch) slot.held.set(item.id, item.sub);
      slot.worker.postMessage(batch);
      head += take;
    }
    if (head === waiting.length) {
      waiting = [];
      head = 0;
    } else if (head > 4096 && head * 2 > waiting.length) {
      waiting = waiting.slice(head);
      head = 0;
    }
  };
  return {
    verify(sub) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        if (broken) return checkHere(id, sub);
        waiting.push({ id, sub });
        schedule();
      });
    },
    load: () => ({ outstanding: slots.map((s) => s.held.size), waiting: waiting.length - head }),
    get inline() {
      return broken !== undefined;
    },
    status: () => ({ threads: size, onMainThread: broken !== undefined, ...failures }),
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
