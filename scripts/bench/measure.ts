/** Wall-clock timing for the benchmarks: interleaved rounds, a full GC before every run, best and median. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// `hardhat run` cannot pass --expose-gc to the script's process; a context created after the flag is set gets `gc`.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** One thing to time: `run` is the timed work, `warmUp` the same code on a small input (run once, untimed). */
export interface Contender {
  readonly id: string;
  readonly label: string;
  /** Number of leaves the timed run works on. */
  readonly n: number;
  /** How many timed runs. Requires an integer >= 1. */
  readonly runs: number;
  readonly warmUp: () => unknown;
  readonly run: () => unknown;
}

/** The timed runs of one {@link Contender}. */
export interface Timing {
  readonly id: string;
  readonly label: string;
  readonly n: number;
  readonly samplesMs: readonly number[];
  readonly bestMs: number;
  readonly medianMs: number;
  /** What the last timed run returned (e.g. a root, to cross-check contenders). */
  readonly result: unknown;
}

/**
 * Times every contender in interleaved rounds (round r runs each contender that wants more than r runs), so
 * that a slow patch of a noisy machine hits all of them rather than one. A full GC runs before every timed run,
 * so no run pays for another's garbage. `onRun` is told about each run as it ends.
 */
export function timeInterleaved(contenders: readonly Contender[], onRun?: (c: Contender, ms: number) => void): Timing[] {
  for (const c of contenders) c.warmUp();
  const samples = contenders.map(() => [] as number[]);
  const results: unknown[] = contenders.map(() => undefined);
  const rounds = Math.max(...contenders.map((c) => c.runs));
  for (let round = 0; round < rounds; round++) {
    contenders.forEach((c, i) => {
      if (round >= c.runs) return;
      collectGarbage();
      const start = process.hrtime.bigint();
      results[i] = c.run();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      samples[i]!.push(ms);
      onRun?.(c, ms);
    });
  }
  return contenders.map((c, i) => {
    const ms = samples[i]!;
    return { id: c.id, label: c.label, n: c.n, samplesMs: ms, bestMs: Math.min(...ms), medianMs: median(ms), result: results[i] };
  });
}

/** Times one call of `fn` (after a full GC): for set-up work reported alongside, not compared. */
export function timeOnce<T>(fn: () => T): { value: T; ms: number } {
  collectGarbage();
  const start = process.hrtime.bigint();
  const value = fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/** Async {@link timeOnce}. */
export async function timeOnceAsync<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  collectGarbage();
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/** Median of a non-empty list (mean of the two middle values for an even length). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Finds the timing with `id`; throws if the benchmark did not produce it (a bug in the benchmark). */
export function timingOf(timings: readonly Timing[], id: string): Timing {
  const t = timings.find((x) => x.id === id);
  if (t === undefined) throw new Error(`no timing '${id}'`);
  return t;
}
