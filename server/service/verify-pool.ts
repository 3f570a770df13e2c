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
  close(): Promise<void>;
}

/** What a worker pool holds now (for tests and diagnostics). */
export interface VerifierLoad {
  /** Per worker: submissions sent to it and not yet answered. */
  outstanding: number[];
  /** Submissions waiting on this thread for room at a worker. */
  waiting: number;
}

/** Inline: the calling thread does the work. */
export function inlineVerifier(binding: ChainBinding): SubmissionVerifier {
  return { verify: async (sub) => verifySubmission(sub, binding), close: async () => undefined };
}

/**
 * A pool of `size` worker threads (size ≥ 1). Submissions arriving in one turn of the event loop go out together on
 * the next, shared evenly among the workers, one message each way per worker: under load, one wake-up and one
 * copy per batch instead of per submission. A worker holds at most `maxOutstanding` (default {@link MAX_OUTSTANDING})
 * at once; the rest go out, in arrival order, as its answers come back.
 */
export function workerVerifier(binding: ChainBinding, size: number, opts: { maxOutstanding?: number } = {}): SubmissionVerifier & { load(): VerifierLoad } {
  const cap = Math.max(REPLY_EVERY, opts.maxOutstanding ?? MAX_OUTSTANDING);
  const pending = new Map<number, { resolve: (v: VerifiedSubmission) => void; reject: (e: unknown) => void }>();
  let nextId = 0;
  /** In arrival order; `head` is the first not yet sent (the array is compacted as it is consumed). */
  let waiting: { id: number; sub: SignedSubmission }[] = [];
  let head = 0;
  let scheduled = false;
  const outstanding = new Array<number>(size).fill(0);
  const workerBinding = { chainId: Number(binding.chainId), verifyingContract: binding.verifyingContract };
  /** Sends what waits on the next turn (once, however many arrive or answers come back meanwhile). */
  const schedule = () => {
    if (scheduled || head === waiting.length) return;
    scheduled = true;
    setImmediate(send);
  };
  const workers = Array.from({ length: size }, (_, w) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { binding: workerBinding } });
    worker.unref();
    worker.on('message', (replies: Reply[]) => {
      outstanding[w]! -= replies.length;
      schedule();
      for (const reply of replies) {
        const p = pending.get(reply.id);
        if (!p) continue;
        pending.delete(reply.id);
        if (reply.ok) p.resolve(reply.value);
        else p.reject(reply.error.code ? new AppError(reply.error.code, reply.error.message, reply.error.details) : new Error(reply.error.message));
      }
    });
    worker.on('error', (e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
    return worker;
  });
  /** Sends what waits, shared evenly among the workers with room, one message each (none beyond a worker's room), in arrival order. */
  const send = () => {
    scheduled = false;
    // The least loaded first: a single submission goes to an idle worker.
    const order = outstanding.map((_, w) => w).sort((a, b) => outstanding[a]! - outstanding[b]!);
    let open = outstanding.filter((o) => o < cap).length;
    for (const w of order) {
      if (head === waiting.length) break;
      const room = cap - outstanding[w]!;
      if (room <= 0) continue;
      const take = Math.min(room, Math.ceil((waiting.length - head) / open--));
      workers[w]!.postMessage(waiting.slice(head, head + take));
      outstanding[w]! += take;
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
        waiting.push({ id, sub });
        schedule();
      });
    },
    load: () => ({ outstanding: [...outstanding], waiting: waiting.length - head }),
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
