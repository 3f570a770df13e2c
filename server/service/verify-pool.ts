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

// Each worker loads what the main process runs: the compiled .js next to this file, or the sources through ts-node (server/runtime.ts).
const WORKER_SOURCE = `
${WORKER_PRELUDE}const { parentPort, workerData } = require('node:worker_threads');
const { verifySubmission } = require(${JSON.stringify(path.join(__dirname, 'verify-submission'))});
const { AppError } = require(${JSON.stringify(path.resolve(__dirname, '../errors'))});
parentPort.on('message', ({ id, sub }) => {
  try {
    parentPort.postMessage({ id, ok: true, value: verifySubmission(sub, workerData.binding) });
  } catch (e) {
    const app = e instanceof AppError;
    parentPort.postMessage({ id, ok: false, error: { code: app ? e.code : null, message: String(e && e.message), details: app ? e.details : undefined } });
  }
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

/** A pool of `size` worker threads (size ≥ 1), each taking work round-robin. */
export function workerVerifier(binding: ChainBinding, size: number): SubmissionVerifier {
  const pending = new Map<number, { resolve: (v: VerifiedSubmission) => void; reject: (e: unknown) => void }>();
  let nextId = 0;
  let turn = 0;
  const workerBinding = { chainId: Number(binding.chainId), verifyingContract: binding.verifyingContract };
  const workers = Array.from({ length: size }, () => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { binding: workerBinding } });
    w.unref();
    w.on('message', (reply: Reply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.value);
      else p.reject(reply.error.code ? new AppError(reply.error.code, reply.error.message, reply.error.details) : new Error(reply.error.message));
    });
    w.on('error', (e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
    return w;
  });
  return {
    verify(sub) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        workers[turn++ % workers.length]!.postMessage({ id, sub });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
