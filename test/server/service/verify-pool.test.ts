/**
 * The signature threads' pool (server/service/verify-pool.ts): a burst does not all go to the workers at once. Each
 * worker holds at most its bound; the rest wait on the main thread and go out in arrival order as answers come back,
 * so the main thread never has more answers to drain in one turn than the workers hold. A thread that dies is replaced
 * (what it held is refused, never lost unseen), and a pool whose threads cannot start checks on the calling thread.
 */
import { expect } from 'chai';
import { AppError } from '../../../server/errors';
import { commitRecord, parseRecord, signRecord } from '../../../server/records';
import { REPLY_EVERY, inlineVerifier, workerVerifier } from '../../../server/service/verify-pool';
import { verifySubmission, type SignedSubmission } from '../../../server/service/verify-submission';
import { TEST_BINDING, randomWallet, reportInput } from '../records/fixtures';
import { rejection } from '../../support/assertions';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function submissions(n: number, prefix: string): Promise<SignedSubmission[]> {
  const key = randomWallet();
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const record = parseRecord('SeleniumTestReport', reportInput({ reportNumber: `${prefix}-${i}` }));
      const { root, salts } = commitRecord(record);
      const signature = await signRecord(key, 'SeleniumTestReport', record, root, TEST_BINDING);
      // Every fifth one a forged signature, so refusals share the replies with answers.
      return { type: 'SeleniumTestReport' as const, record, salts, signature: i % 5 === 2 ? `0x${'11'.repeat(65)}` : signature };
    }),
  );
}

const inlineAnswer = (s: SignedSubmission): unknown => {
  try {
    return verifySubmission(s, TEST_BINDING);
  } catch (e) {
    return (e as AppError).code;
  }
};

describe('verify pool: a bounded hand-over to the signature threads, and threads that fail', function () {
  this.timeout(120_000);

  it('Given a pool whose threads run, or the inline verifier, Then their status says where the checks run, with no failure', async () => {
    const pool = workerVerifier(TEST_BINDING, 2);
    try {
      const [sub] = await submissions(1, 'AKSE-U');
      await pool.verify(sub!);
      expect(pool.status()).to.deep.equal({ threads: 2, onMainThread: false, stopped: 0, refused: 0 });
    } finally {
      await pool.close();
    }
    expect(inlineVerifier(TEST_BINDING).status()).to.deep.equal({ threads: 0, onMainThread: true, stopped: 0, refused: 0 });
  });

  it('When a burst several times the bound arrives in one turn, Then no worker ever holds more than the bound, the rest wait here, and each answer equals the inline one', async function () {
    const cap = 8;
    const n = 60;
    const subs = await submissions(n, 'AKSE-P');
    const pool = workerVerifier(TEST_BINDING, 2, { maxOutstanding: cap });
    try {
      let most = 0;
      const watch = () => {
        const { outstanding } = pool.load();
        most = Math.max(most, ...outstanding);
      };
      const answers = subs.map((s) =>
        pool.verify(s).then(
          (v) => (watch(), v),
          (e: unknown) => (watch(), e instanceof AppError ? e.code : String(e)),
        ),
      );
      await turn();
      const first = pool.load();
      // Shared evenly, each up to the bound; the rest wait on this thread.
      expect(first.outstanding).to.deep.equal([cap, cap]);
      expect(first.waiting).to.equal(n - 2 * cap);
      const got = await Promise.all(answers);
      got.forEach((g, i) => expect(g, `submission ${i}`).to.deep.equal(inlineAnswer(subs[i]!)));
      expect(most).to.be.at.most(cap);
      await turn();
      expect(pool.load()).to.deep.equal({ outstanding: [0, 0], waiting: 0 });
    } finally {
      await pool.close();
    }
  });

  it('When two submissions arrive in one turn at an idle pool of two, Then each worker gets one', async function () {
    const subs = await submissions(2, 'AKSE-Q');
    const pool = workerVerifier(TEST_BINDING, 2);
    try {
      const answers = subs.map((s) => pool.verify(s).catch((e: unknown) => e));
      await turn();
      expect(pool.load().outstanding).to.deep.equal([1, 1]);
      await Promise.all(answers);
    } finally {
      await pool.close();
    }
  });

  it('When more arrive while the workers are full, Then they go out in arrival order', async function () {
    const cap = REPLY_EVERY;
    const subs = await submissions(5 * cap, 'AKSE-R');
    const pool = workerVerifier(TEST_BINDING, 1, { maxOutstanding: cap });
    try {
      const order: number[] = [];
      const answers = subs.map((s, i) => pool.verify(s).then(
        () => order.push(i),
        () => order.push(i),
      ));
      await Promise.all(answers);
      expect(order).to.deep.equal(subs.map((_, i) => i));
    } finally {
      await pool.close();
    }
  });

  it('When a signature thread dies while it checks, Then what it held is refused as unavailable (nothing stored: send again), and a new thread answers what comes next', async () => {
    // A stand-in thread: it answers its first batch, and exits at its second.
    const source = `const { parentPort } = require('node:worker_threads');
let n = 0;
parentPort.on('message', (items) => {
  if (n++ > 0) process.exit(7);
  parentPort.postMessage(items.map(({ id }) => ({ id, ok: true, value: { standIn: true } })));
});`;
    const [sub] = await submissions(1, 'AKSE-S');
    const told: { thread: number; refused: number; inline: boolean }[] = [];
    const pool = workerVerifier(TEST_BINDING, 1, { source, onThreadFailure: ({ thread, refused, inline }) => told.push({ thread, refused, inline }) });
    try {
      expect(await pool.verify(sub!)).to.deep.equal({ standIn: true });
      const err = await rejection(pool.verify(sub!));
      expect(err).to.be.instanceOf(AppError);
      expect((err as AppError).code).to.equal('unavailable');
      expect((err as AppError).message).to.contain('send it again');
      expect(await pool.verify(sub!), 'answered by the new thread').to.deep.equal({ standIn: true });
      expect(pool.inline).to.equal(false);
      expect(told, 'the operator is told once').to.deep.equal([{ thread: 0, refused: 1, inline: false }]);
      const status = pool.status();
      expect(status).to.deep.include({ threads: 1, onMainThread: false, stopped: 1, refused: 1 });
      expect(status.lastFailure?.error).to.equal('a signature thread exited (code 7)');
      expect(Date.now() - Date.parse(status.lastFailure!.at)).to.be.within(0, 60_000);
    } finally {
      await pool.close();
    }
  });

  it('When the signature threads cannot start at all, Then every submission is checked on the calling thread, with the same answers', async () => {
    const subs = await submissions(6, 'AKSE-T');
    let told = 0;
    const pool = workerVerifier(TEST_BINDING, 2, { source: "throw new Error('this thread cannot start')", onThreadFailure: ({ inline }) => (told += inline ? 1 : 0) });
    try {
      const got = await Promise.all(subs.map((s) => pool.verify(s).catch((e: unknown) => (e instanceof AppError ? e.code : String(e)))));
      got.forEach((g, i) => expect(g, `submission ${i}`).to.deep.equal(inlineAnswer(subs[i]!)));
      expect(pool.inline).to.equal(true);
      expect(await pool.verify(subs[0]!)).to.deep.equal(inlineAnswer(subs[0]!));
      expect(told, 'the operator is told once when the pool falls back').to.equal(1);
      expect(pool.status()).to.deep.include({ threads: 2, onMainThread: true, stopped: 0, refused: 0 });
      expect(pool.status().lastFailure?.error).to.equal('this thread cannot start');
    } finally {
      await pool.close();
    }
  });
});
