/**
 * Turns per key within this process: `run(key, fn)` starts `fn` once every earlier call for the same key has
 * settled (whatever its outcome); keys do not wait for each other. The stores' locks and the share lifecycle use it.
 */
export class KeyedTurns {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
