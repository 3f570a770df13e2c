/** Stand-in tasks for the WorkerPool tests (server/worker-pool.ts), run on the pool's threads. */
import { threadId } from 'node:worker_threads';

export type StandInTask = { do: 'echo'; value: number } | { do: 'throw'; code?: string } | { do: 'exit-now' } | { do: 'exit-after-answer' };

/** Answers with the value and the thread's id; throws (with a code); ends its thread mid-task; or answers, then ends its thread while idle. */
export function standInTask(task: StandInTask): { value: number; thread: number } {
  switch (task.do) {
    case 'echo':
      return { value: task.value, thread: threadId };
    case 'throw':
      throw Object.assign(new Error('the stand-in task failed'), task.code ? { code: task.code } : {});
    case 'exit-now':
      process.exit(4);
    // eslint-disable-next-line no-fallthrough
    case 'exit-after-answer':
      setTimeout(() => process.exit(5), 20);
      return { value: -1, thread: threadId };
  }
}
