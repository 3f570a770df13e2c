import path from 'node:path';
import { expect } from 'chai';
import { WorkerPool } from '../../server/worker-pool';
import type { StandInTask } from '../support/stand-in-pool-task';

const TASK_MODULE = path.resolve(__dirname, '../support/stand-in-pool-task');

type Answer = { value: number; thread: number };

/** `p`, or a rejection after `ms`: a task that is never answered fails the test instead of hanging it. */
function within<T>(p: Promise<T>, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe('server/worker-pool', function () {
  this.timeout(60_000);
  let pool: WorkerPool<StandInTask, Answer>;
  afterEach(async () => {
    await pool?.close();
  });

  it('Given two workers, When tasks run at once, Then each is answered, spread over both threads', async () => {
    pool = new WorkerPool<StandInTask, Answer>(TASK_MODULE, 'standInTask', 2);
    const answers = await within(Promise.all(Array.from({ length: 8 }, (_, i) => pool.run({ do: 'echo', value: i }))));
    expect(answers.map((a) => a.value)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(answers.map((a) => a.thread)).size).to.equal(2);
  });

  it('When a task throws, Then its promise is rejected with the message and the code, and the worker goes on', async () => {
    pool = new WorkerPool<StandInTask, Answer>(TASK_MODULE, 'standInTask', 1);
    const failed = await within(pool.run({ do: 'throw', code: 'ENOSPC' }).then(() => null, (e: Error & { code?: string }) => e));
    expect(failed?.message).to.equal('the stand-in task failed');
    expect(failed?.code).to.equal('ENOSPC');
    expect((await within(pool.run({ do: 'echo', value: 7 }))).value).to.equal(7);
  });

  it('When a worker dies with a task in flight, Then that task is rejected and a new worker answers the next', async () => {
    pool = new WorkerPool<StandInTask, Answer>(TASK_MODULE, 'standInTask', 1);
    const first = await within(pool.run({ do: 'echo', value: 1 }));
    const died = await within(pool.run({ do: 'exit-now' }).then(() => null, (e: Error) => e));
    expect(died?.message).to.match(/exited \(code 4\) with tasks in flight/);
    const next = await within(pool.run({ do: 'echo', value: 2 }));
    expect(next.value).to.equal(2);
    expect(next.thread).to.not.equal(first.thread);
    expect(pool.brokenBy).to.equal(null);
  });

  it('When a worker dies while idle, Then it is replaced: the next task is answered rather than posted to a dead thread and never answered', async () => {
    pool = new WorkerPool<StandInTask, Answer>(TASK_MODULE, 'standInTask', 1);
    const before = await within(pool.run({ do: 'exit-after-answer' }));
    // The thread ends ~20 ms after it answered, with nothing in flight.
    await new Promise((r) => setTimeout(r, 300));
    const after = await within(pool.run({ do: 'echo', value: 3 }), 10_000);
    expect(after.value).to.equal(3);
    expect(after.thread).to.not.equal(before.thread);
    expect(pool.brokenBy).to.equal(null);
  });

  it('When the workers cannot start (their module does not load), Then the pool is broken, says why, and rejects every task at once (the caller falls back)', async () => {
    pool = new WorkerPool<StandInTask, Answer>(path.resolve(__dirname, '../support/no-such-module'), 'standInTask', 2);
    const failed = await within(pool.run({ do: 'echo', value: 1 }).then(() => null, (e: Error) => e));
    expect(failed).to.be.an('error');
    expect(pool.brokenBy?.message).to.match(/Cannot find module/);
    const again = await within(pool.run({ do: 'echo', value: 2 }).then(() => null, (e: Error) => e));
    expect(again).to.equal(pool.brokenBy);
  });

  it('When the pool is closed, Then later tasks are refused', async () => {
    pool = new WorkerPool<StandInTask, Answer>(TASK_MODULE, 'standInTask', 1);
    await pool.close();
    const refused = await pool.run({ do: 'echo', value: 1 }).then(() => null, (e: Error) => e);
    expect(refused?.message).to.equal('the worker pool is closed');
  });

  it('Given a size that is not a whole number of at least one, Then the pool refuses to be built', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) expect(() => new WorkerPool(TASK_MODULE, 'standInTask', size)).to.throw(RangeError);
  });
});
