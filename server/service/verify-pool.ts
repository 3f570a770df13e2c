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

export interface SubmissionVerifier {
  verify(sub: SignedSubmission): Promise<VerifiedSubmission>;
  close(): Promise<void>;
}

/** Inline: the calling thread does the work. */
export function inlineVerifier(binding: ChainBinding): SubmissionVerifier {
  return { verify: async (sub) => verifySubmission(sub, binding), close: async () => undefined };
}

/**
 * A pool of `size` worker threads (size ≥ 1). Submissions arriving in one turn of the event loop go out together on
 * the next, shared evenly among the workers, one message each way per worker: under load, one wake-up and one
 * copy per batch instead of per submission.
 */
export function workerVerifier(binding: ChainBinding, size: number): SubmissionVerifier {
  const pending = new Map<number, { resolve: (v: VerifiedSubmission) => void; reject: (e: unknown) => void }>();
  let nextId = 0;
  let turn = 0;
  let waiting: { id: number; sub: SignedSubmission }[] = [];
  const workerBinding = { chainId: Number(binding.chainId), verifyingContract: binding.verifyingContract };
  const workers = Array.from({ length: size }, () => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { binding: workerBinding } });
    w.unref();
    w.on('message', (replies: Reply[]) => {
      for (const reply of replies) {
        const p = pending.get(reply.id);
        if (!p) continue;
        pending.delete(reply.id);
        if (reply.ok) p.resolve(reply.value);
        else p.reject(reply.error.code ? new AppError(reply.error.code, reply.error.message, reply.error.details) : new Error(reply.error.message));
      }
    });
    w.on('error', (e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
    return w;
  });
  /** Sends what waits, in one slice per worker (fewer when fewer wait). */
  const send = () => {
    const batch = waiting;
    waiting = [];
    const per = Math.ceil(batch.length / workers.length);
    for (let i = 0; i < batch.length; i += per) workers[turn++ % workers.length]!.postMessage(batch.slice(i, i + per));
  };
  return {
    verify(sub) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        waiting.push({ id, sub });
        if (waiting.length === 1) setImmediate(send);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
