/**
 * The embedded chain node, crash-safe: the server saves anvil's state itself (never anvil's timer,
 * which rewrote the file in place), gives callers a durability barrier, starts from the last good
 * state file (or the previous one), and restarts the node when it dies.
 *
 * State files in the data directory (`statePath`, e.g. DATA_DIR/anvil-state.json):
 * - `statePath`: the last durable save, anvil's JSON state (the format of `anvil --state` and of
 *   `anvil_dumpState` once gunzipped), loaded with `--load-state`;
 * - `statePath.prev`: the save before it, the fallback when the file is missing or damaged;
 * - `statePath.tmp`: a save being written (fsynced, then renamed over the file); a leftover is removed at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { startAnvil, type AnvilNode } from './anvil';
import { stateFileWritesOnMainThread, writeStateFile } from './state-file';

export { writeStateFile } from './state-file';

/** What the embedded node is doing, for /healthz. */
export interface EmbeddedChainStatus {
  state: 'running' | 'restarting' | 'stopped';
  /** Set while restarting: why the node is down. */
  message?: string;
  /** Restarts since the system started. */
  restarts: number;
  /** Head block number of the last durable save. */
  durableBlock: number;
  /** The last save failed with this (cleared by the next good save). */
  saveError?: string;
  /** True when saves run on the main thread (blocking it for their fsyncs, still durable) because the writing thread could not start. */
  savesOnMainThread: boolean;
}

/** One save of the node's state. */
export interface SaveResult {
  /** The head block the dump holds (its best_block_number): every block up to it is in the file. */
  block: number;
  bytes: number;
  ms: number;
}

/** How a save reaches the disk; replaceable to inject faults. Default: writeStateFile. */
export type StateWriter = (file: string, data: Buffer) => Promise<void>;

export interface EmbeddedChainOptions {
  /** 127.0.0.1 port; 0 picks a free one (kept across restarts). */
  port: number;
  statePath: string;
  chainId?: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Background save when the head moved, every this many ms (0 = off). Default 3000. */
  saveIntervalMs?: number;
  /** Restart backoff: the first delay, doubled each failed attempt up to `restartMaxMs`. Default 500 / 10000. */
  restartMinMs?: number;
  restartMaxMs?: number;
  writer?: StateWriter;
}

type StateFileCheck = { ok: true; blocks: number; head: number } | { ok: false; why: string };

/** Reads a state file and says whether anvil can load it: complete JSON with anvil's keys. Never throws. */
export function checkStateFile(file: string): StateFileCheck {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, why: code === 'ENOENT' ? 'missing' : `unreadable (${code ?? (e as Error).message})` };
  }
  if (text.length === 0) return { ok: false, why: 'empty (0 bytes)' };
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (e) {
    return { ok: false, why: `not complete JSON (${text.length} bytes, truncated?): ${(e as Error).message}` };
  }
  const s = state as { block?: unknown; blocks?: unknown; best_block_number?: unknown };
  if (typeof s !== 'object' || s === null || typeof s.block !== 'object' || s.block === null) return { ok: false, why: 'not an anvil state (no "block")' };
  const blocks = Array.isArray(s.blocks) ? s.blocks.length : 0;
  const best = s.best_block_number;
  const head = typeof best === 'number' ? best : typeof best === 'string' ? Number(best) : blocks - 1;
  return { ok: true, blocks, head: Number.isFinite(head) ? head : blocks - 1 };
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 300);

/** anvil's state, gunzipped: the JSON of `anvil --state`. */
async function dumpState(url: string): Promise<Buffer> {
  const hex = await rpc<string>(url, 'anvil_dumpState', [], 120_000);
  return gunzipSync(Buffer.from(hex.replace(/^0x/, ''), 'hex'));
}

/** The head block a dump holds (its best_block_number), or undefined when it does not say. */
export function dumpedHead(json: Buffer): number | undefined {
  let best: unknown;
  try {
    best = (JSON.parse(json.toString('utf8')) as { best_block_number?: unknown }).best_block_number;
  } catch {
    return undefined;
  }
  const head = typeof best === 'number' ? best : typeof best === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(best) ? Number(best) : NaN;
  return Number.isSafeInteger(head) && head >= 0 ? head : undefined;
}

async function rpc<T>(url: string, method: string, params: unknown[] = [], timeoutMs = 30_000): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: T; error?: { message?: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message ?? 'error'}`);
  return body.result as T;
}

/** A save that will run next, which callers join. */
interface QueuedSave {
  promise: Promise<SaveResult>;
}

/**
 * The supervised embedded node. `ensureDurable(n)` resolves once block n is in the state file;
 * nothing is acknowledged before that (ARCHITECTURE.md, "Trust model": durable, on chain included).
 */
export class EmbeddedChain {
  private node: AnvilNode;
  private status_: Omit<EmbeddedChainStatus, 'savesOnMainThread'>;
  private durableBlock: number;
  /** The save in flight and the head it dumped (undefined until read). */
  private inflight: { promise: Promise<SaveResult>; block: number | undefined } | undefined;
  private queued: QueuedSave | undefined;
  /** The last save started: the next one runs after it. */
  private tail: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Bumped at every crash: a waiter from before it is told its block may be lost. */
  private generation = 0;
  private restarting: Promise<void> | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private readonly restartListeners: (() => Promise<void> | void)[] = [];
  private readonly writer: StateWriter;

  private constructor(
    private readonly opts: EmbeddedChainOptions,
    node: AnvilNode,
    durableBlock: number,
  ) {
    this.node = node;
    this.durableBlock = durableBlock;
    this.writer = opts.writer ?? writeStateFile;
    this.status_ = { state: 'running', restarts: 0, durableBlock };
    this.watch(node);
    const every = opts.saveIntervalMs ?? 3000;
    if (every > 0) {
      this.saveTimer = setInterval(() => void this.backgroundSave(), every);
      this.saveTimer.unref();
    }
  }

  /**
   * Starts the node from the state file, or from `.prev` when the file is missing or damaged (logged,
   * and the good copy is put back), or empty when neither exists (first run). Refuses to start when
   * a state exists but neither file loads: an empty chain would silently replace the deployment.
   */
  static async start(opts: EmbeddedChainOptions): Promise<EmbeddedChain> {
    const file = opts.statePath;
    const prev = `${file}.prev`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.rmSync(`${file}.tmp`, { force: true, recursive: true });

    const main = checkStateFile(file);
    let problem = main.ok ? undefined : main.why;
    if (main.ok) {
      try {
        const node = await startAnvil({ port: opts.port, chainId: opts.chainId, loadStatePath: file });
        return await EmbeddedChain.started(opts, node);
      } catch (e) {
        if (/port .* already in use/.test((e as Error).message)) throw e;
        problem = `refused by anvil (${firstLine(e)})`;
      }
    }
    const fallback = checkStateFile(prev);
    if (main.ok === false && main.why === 'missing' && fallback.ok === false && fallback.why === 'missing') {
      // First run: no state yet.
      return EmbeddedChain.started(opts, await startAnvil({ port: opts.port, chainId: opts.chainId }));
    }
    if (!fallback.ok) {
      throw new Error(
        `the chain state cannot be loaded: ${file} is ${problem}, and the previous copy ${prev} is ${fallback.why}. ` +
          'Refusing to start an empty chain over the existing data; restore a state file from a backup, or start with a fresh DATA_DIR.',
      );
    }
    opts.logger?.warn(
      { statePath: file, problem, fallback: prev, fallbackBlocks: fallback.blocks, fallbackHead: fallback.head },
      `chain state file ${file} is ${problem}; starting from the previous copy ${prev} (${fallback.blocks} blocks, head ${fallback.head}); blocks saved after it are lost`,
    );
    let node: AnvilNode;
    try {
      node = await startAnvil({ port: opts.port, chainId: opts.chainId, loadStatePath: prev });
    } catch (e) {
      throw new Error(`the chain state cannot be loaded: ${file} is ${problem}, and anvil refused the previous copy ${prev} too: ${firstLine(e)}`, { cause: e });
    }
    try {
      // Put the good copy back over the bad one (the bad one is kept aside for inspection).
      if (fs.existsSync(file)) fs.renameSync(file, `${file}.bad`);
      await writeStateFile(file, fs.readFileSync(prev));
    } catch (e) {
      await node.stop();
      throw new Error(`could not restore ${file} from ${prev}: ${firstLine(e)}`, { cause: e });
    }
    return EmbeddedChain.started(opts, node);
  }

  private static async started(opts: EmbeddedChainOptions, node: AnvilNode): Promise<EmbeddedChain> {
    let head: number;
    try {
      head = Number(await rpc<string>(node.rpcUrl, 'eth_blockNumber'));
    } catch (e) {
      await node.kill();
      throw e;
    }
    // What it loaded is on disk already; a first run's genesis needs no save to be rebuilt.
    return new EmbeddedChain({ ...opts, port: node.port }, node, head);
  }

  get rpcUrl(): string {
    return this.node.rpcUrl;
  }

  get port(): number {
    return this.node.port;
  }

  status(): EmbeddedChainStatus {
    return { ...this.status_, durableBlock: this.durableBlock, savesOnMainThread: this.writer === writeStateFile && stateFileWritesOnMainThread() };
  }

  /** Calls `fn` after each restart of the node (e.g. reset nonces, reconcile the worker, resync the mirror). */
  onRestart(fn: () => Promise<void> | void): void {
    this.restartListeners.push(fn);
  }

  /**
   * Resolves once block `blockNumber` (and, given `blockHash`, that very block) is in the state file.
   * Saves are coalesced: one in flight; a caller waits for the first save whose dumped head covers its block.
   * Rejects with AppError `storage-unavailable` when the save fails (the last good file stays), and with
   * `unavailable` when the node is down or lost the block in a crash.
   */
  async ensureDurable(blockNumber: number, blockHash?: string): Promise<void> {
    const generation = this.generation;
    if (this.durableBlock < blockNumber) {
      for (;;) {
        this.assertUp();
        const inflight = this.inflight;
        if (inflight && inflight.block !== undefined && inflight.block >= blockNumber) {
          await inflight.promise;
          break;
        }
        await this.nextSave().promise;
        if (this.durableBlock >= blockNumber) break;
        if (generation !== this.generation) throw lostBlock(blockNumber);
      }
    }
    if (generation !== this.generation) throw lostBlock(blockNumber);
    if (blockHash !== undefined) {
      const block = await rpc<{ hash?: string } | null>(this.rpcUrl, 'eth_getBlockByNumber', ['0x' + blockNumber.toString(16), false]).catch((e: unknown) => {
        throw new AppError('unavailable', `the chain node did not answer: ${firstLine(e)}`, undefined, { cause: e });
      });
      if (block?.hash?.toLowerCase() !== blockHash.toLowerCase()) throw lostBlock(blockNumber);
    }
  }

  /** Saves now (coalesced with a save already queued). */
  async save(): Promise<SaveResult> {
    this.assertUp();
    return this.nextSave().promise;
  }

  /**
   * Saves the state, then stops the node; it is not restarted. Idempotent. `save: false` leaves the files as they
   * are: for a boot that was refused (e.g. the contracts are gone because the state file was lost), whose empty
   * or unexpected chain must not replace a state file the operator is about to restore.
   */
  async stop(opts: { save?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    if (this.saveTimer) clearInterval(this.saveTimer);
    if (this.status_.state === 'running' && opts.save !== false) {
      try {
        await this.save();
      } catch (e) {
        this.opts.logger?.error({ err: firstLine(e), statePath: this.opts.statePath }, 'could not save the chain state at stop; the last good save stays');
      }
    }
    // Set before the node ends: its exit is then no crash, and a restart under way gives up.
    this.stopped = true;
    this.status_.state = 'stopped';
    await this.restarting;
    await this.node.stop();
  }

  /** Kills the current node process at once (SIGKILL, no save): the supervisor restarts it. For tests and fault drills. */
  async killNode(): Promise<void> {
    await this.node.kill();
  }

  /**
   * A handle shaped like a plain node's: `stop()` stops the embedded chain (saved first, never restarted),
   * `kill()` kills the node process (the supervisor restarts it from the state file).
   */
  handle(): AnvilNode {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      get rpcUrl() {
        return self.rpcUrl;
      },
      get port() {
        return self.port;
      },
      get process() {
        return self.node.process;
      },
      stop: () => self.stop(),
      kill: () => self.killNode(),
    };
  }

  private assertUp(): void {
    if (this.stopped) throw new AppError('unavailable', 'the embedded chain node is stopped');
    if (this.status_.state !== 'running') throw new AppError('unavailable', `the embedded chain node is restarting: ${this.status_.message ?? ''}`.trim());
  }

  /** The save after the one in flight (saves run one at a time): callers join it until it starts. */
  private nextSave(): QueuedSave {
    if (this.queued) return this.queued;
    const queued: QueuedSave = {
      promise: this.tail.then(() => {
        if (this.queued === queued) this.queued = undefined;
        return this.runSave();
      }),
    };
    this.queued = queued;
    this.tail = queued.promise.catch(() => undefined);
    return queued;
  }

  private runSave(): Promise<SaveResult> {
    const current: { promise: Promise<SaveResult>; block: number | undefined } = { promise: undefined as never, block: undefined };
    current.promise = (async () => {
      this.assertUp();
      const t0 = Date.now();
      const url = this.rpcUrl;
      let json: Buffer;
      let block: number | undefined;
      try {
        // The dump names its own head (best_block_number): every block up to it is in it. From a node whose dump does
        // not, the head is read first, then the dump, which holds at least that block (one more request).
        json = await dumpState(url);
        block = dumpedHead(json);
        if (block === undefined) {
          block = Number(await rpc<string>(url, 'eth_blockNumber'));
          json = await dumpState(url);
        }
      } catch (e) {
        throw new AppError('unavailable', `could not read the chain state from the embedded node: ${firstLine(e)}`, undefined, { cause: e });
      }
      current.block = block;
      try {
        await this.writer(this.opts.statePath, json);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const message = `could not save the chain state to ${this.opts.statePath} (${code ?? 'error'}: ${firstLine(e)}); the previous save is intact`;
        this.status_.saveError = message;
        this.opts.logger?.error({ statePath: this.opts.statePath, code, err: firstLine(e) }, 'saving the chain state failed');
        throw new AppError('storage-unavailable', message, { fsCode: code }, { cause: e });
      }
      this.status_.saveError = undefined;
      this.durableBlock = Math.max(this.durableBlock, block);
      return { block, bytes: json.length, ms: Date.now() - t0 };
    })();
    this.inflight = current;
    current.promise
      .finally(() => {
        if (this.inflight === current) this.inflight = undefined;
      })
      .catch(() => undefined);
    return current.promise;
  }

  private async backgroundSave(): Promise<void> {
    if (this.stopped || this.status_.state !== 'running' || this.inflight || this.queued) return;
    try {
      const head = Number(await rpc<string>(this.rpcUrl, 'eth_blockNumber', [], 2000));
      if (head > this.durableBlock) await this.save();
    } catch (e) {
      this.opts.logger?.warn({ err: firstLine(e) }, 'background save of the chain state failed; will retry');
    }
  }

  private watch(node: AnvilNode): void {
    node.process.once('exit', (code, signal) => {
      if (this.stopped || node !== this.node) return;
      this.generation++;
      const why = `the node exited (${signal ?? `code ${code}`})`;
      this.status_.state = 'restarting';
      this.status_.message = `${why}; restarting it from ${this.opts.statePath} (block ${this.durableBlock})`;
      this.opts.logger?.error({ code, signal, statePath: this.opts.statePath, durableBlock: this.durableBlock }, `embedded chain node exited unexpectedly; restarting it from the last save`);
      this.restarting = this.restart().finally(() => (this.restarting = undefined));
    });
  }

  private async restart(): Promise<void> {
    const min = this.opts.restartMinMs ?? 500;
    const max = this.opts.restartMaxMs ?? 10_000;
    // A save in flight may still be writing: let it end, so the node loads a whole file.
    await this.inflight?.promise.catch(() => undefined);
    for (let attempt = 1; !this.stopped; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(max, min * 2 ** (attempt - 1))));
      if (this.stopped) return;
      try {
        const file = checkStateFile(this.opts.statePath).ok ? this.opts.statePath : `${this.opts.statePath}.prev`;
        const exists = fs.existsSync(file);
        const node = await startAnvil({ port: this.opts.port, chainId: this.opts.chainId, ...(exists ? { loadStatePath: file } : {}) });
        if (this.stopped) {
          await node.stop();
          return;
        }
        this.node = node;
        this.durableBlock = Number(await rpc<string>(node.rpcUrl, 'eth_blockNumber'));
        this.status_ = { state: 'running', restarts: this.status_.restarts + 1, durableBlock: this.durableBlock };
        this.watch(node);
        this.opts.logger?.warn({ attempt, statePath: file, head: this.durableBlock }, 'embedded chain node restarted from the last save');
        break;
      } catch (e) {
        if (this.stopped) return;
        this.status_.message = `the node exited; restart attempt ${attempt} failed (${firstLine(e)}), retrying`;
        this.opts.logger?.error({ attempt, err: firstLine(e) }, 'restarting the embedded chain node failed; will retry');
      }
    }
    if (this.stopped) return;
    for (const fn of this.restartListeners) {
      try {
        await fn();
      } catch (e) {
        this.opts.logger?.warn({ err: firstLine(e) }, 'a restart hook failed');
      }
    }
  }
}

function lostBlock(blockNumber: number): AppError {
  return new AppError('unavailable', `the embedded chain node restarted and lost block ${blockNumber} before it was saved; retry`);
}
