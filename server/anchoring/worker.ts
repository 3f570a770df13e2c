/**
 * The anchoring worker: a durable state machine per log (pending → submitted → confirmed).
 * It appends accepted records to the log in arrival order, cuts a checkpoint every N entries or
 * T seconds, anchors it with a consistency proof from the chain's latest checkpoint, and waits K
 * confirmations. Every transition is written before the next side effect, so a kill at any point
 * and a restart end with the right checkpoints; TraceLedger.anchor of an already anchored
 * (size, root) is a no-op, which makes a resend after a crash harmless.
 */
import { toHex0x } from '../crypto/bytes';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import { LogTree } from '../ledger/tree';
import type { Checkpoint, LogId, Store } from '../store/types';
import type { AnchorChain } from '../chain/types';

export interface WorkerOptions {
  logIds: readonly LogId[];
  /** Cut a checkpoint once this many entries wait. */
  everyEntries: number;
  /** ... or once the oldest waiting entry is this old. */
  everySeconds: number;
  confirmations: number;
  /** How often the loop runs when idle. */
  pollMs?: number;
  /** A submitted transaction unknown to the node for this long is sent again. */
  resendAfterMs?: number;
  /**
   * A submitted transaction the node knows but has not mined for this long is taken as stuck (e.g. its
   * nonce is past a gap after a failed send, or the node lost blocks): the operator's nonce is re-read
   * and the checkpoint sent again. Default 120 s.
   */
  stuckAfterMs?: number;
  /**
   * How often the loop checks that each log's latest confirmed checkpoint is still on the chain with its root
   * (one rootAt read per log), and re-anchors when the chain lost it (a reorg deeper than the confirmations, a
   * node restarted from an older state or replaced). Default 30 s; 0 = only when checkChain() asks.
   */
  chainCheckEveryMs?: number;
  /**
   * The durability barrier: resolves once the chain's block `blockNumber` is saved (the embedded node's
   * ensureDurable); a checkpoint is marked confirmed only after it. None with an external chain, where
   * confirmations do that job.
   */
  ensureDurable?: (blockNumber: number) => Promise<void>;
  /** Max records appended per transaction (default 512; the store may append fewer, see Store.sequencePending). */
  sequenceBatch?: number;
  /**
   * The longest a sequencing pass goes on while records keep waiting (ms, default pollMs, else 250): then the
   * checkpoint due is cut behind what it appended, and the next pass starts at once.
   */
  sequencePassMs?: number;
  /**
   * Whether this instance may act as the anchoring leader now (server/anchoring/leadership.ts): a pass is skipped
   * while it answers false, e.g. between a lease that could not be renewed and the step-down. Default: always.
   */
  mayAct?: () => boolean;
  /** A poke runs the loop at most this often (ms). */
  minTickGapMs?: number;
  logger?: Logger;
}

/** The chain holds a checkpoint this database cannot reproduce: running on would fork the log. */
export class ChainDivergenceError extends Error {
  override readonly name = 'ChainDivergenceError';
}

export const chainLogId = (logId: LogId): string => '0x' + Buffer.from(logId.padEnd(32, '\0'), 'utf8').toString('hex');


export class AnchoringWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopWait: (() => void) | undefined;
  private failures = 0;
  private nextChainCheckAt = 0;
  /** A full reconcile() of every log is due at the next chain check (see checkChain). */
  private reconcileRequested = false;
  /** Callers of checkChain() waiting for the loop's next check. */
  private chainCheckWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Set when the worker stopped because the chain diverged from the database. */
  fatalError: ChainDivergenceError | undefined;

  constructor(
    private readonly store: Store,
    private readonly chain: AnchorChain,
    private readonly opts: WorkerOptions,
  ) {}

  /** Reconciles with the chain, then runs the loop in the background. Throws ChainDivergenceError. */
  async start(): Promise<void> {
    for (const logId of this.opts.logIds) await this.reconcile(logId);
    this.nextChainCheckAt = Date.now() + this.chainCheckEvery();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopWait?.();
    await this.loop;
    for (const w of this.chainCheckWaiters.splice(0)) w.reject(new Error('the anchoring worker stopped before checking the chain'));
  }

  /**
   * Checks now that the chain still holds each log's latest confirmed checkpoint, and if not marks the lost
   * ones orphaned and lets the loop anchor the log again from the chain's head (see checkAnchored). For the
   * system to call after the chain node restarted or was replaced. Runs in the loop's next pass (woken now,
   * even during a backoff) and resolves after it; when the loop is not running, runs at once.
   * Rejects with that pass's error (e.g. the node is still down; the loop retries on its own schedule).
   * With `reconcile`, the pass runs the whole start-up reconcile() of every log instead (after a node restart:
   * submitted transactions the node no longer knows are sent again at once).
   */
  checkChain(opts: { reconcile?: boolean } = {}): Promise<void> {
    if (opts.reconcile) this.reconcileRequested = true;
    if (!this.running) return this.checkAnchoredAll();
    return new Promise<void>((resolve, reject) => {
      this.chainCheckWaiters.push({ resolve, reject });
      this.wake?.();
    });
  }

  private chainCheckEvery(): number {
    return this.opts.chainCheckEveryMs ?? 30_000;
  }

  private async checkAnchoredAll(): Promise<void> {
    // After a node restart (checkChain({ reconcile: true })): the whole start-up reconciliation, in the loop,
    // so it never races a pass; it also resends transactions the restarted node no longer knows.
    const full = this.reconcileRequested;
    this.reconcileRequested = false;
    try {
      for (const logId of this.opts.logIds) await (full ? this.reconcile(logId) : this.checkAnchored(logId));
    } catch (e) {
      if (full) this.reconcileRequested = true;
      throw e;
    }
  }

  /** The periodic chain check, when due or asked for; settles the checkChain() callers. */
  private async maybeCheckChain(): Promise<void> {
    const every = this.chainCheckEvery();
    const due = (every > 0 && Date.now() >= this.nextChainCheckAt) || this.chainCheckWaiters.length > 0;
    if (!due) return;
    const waiters = this.chainCheckWaiters.splice(0);
    try {
      await this.checkAnchoredAll();
      this.nextChainCheckAt = Date.now() + every;
      for (const w of waiters) w.resolve();
    } catch (e) {
      for (const w of waiters) w.reject(e);
      throw e;
    }
  }

  /**
   * Ask the loop to run now (e.g. after records were accepted). While it backs off after a failure, a
   * poke does not cut the backoff short (a stream of records would turn a chain outage into a retry
   * storm): the accepted records are durable in the store, and the pass after the backoff takes them all.
   */
  poke(): void {
    if (this.failures > 0) return;
    this.wake?.();
  }

  private async run(): Promise<void> {
    const poll = this.opts.pollMs ?? 250;
    while (this.running) {
      let delay = poll;
      try {
        if (!this.opts.mayAct || this.opts.mayAct()) {
          await this.maybeCheckChain();
          let more = false;
          for (const logId of this.opts.logIds) if (await this.tick(logId)) more = true;
          this.failures = 0;
          if (more) delay = 0;
        }
      } catch (e) {
        if (e instanceof ChainDivergenceError) {
          this.fatalError = e;
          this.running = false;
          this.opts.logger?.error({ err: e.message }, 'anchoring stopped: the chain diverged from the database');
          break;
        }
        // RPC or transient errors: records keep being accepted; retry with exponential backoff.
        this.failures++;
        delay = Math.min(30_000, poll * 2 ** Math.min(this.failures, 7));
        this.opts.logger?.warn({ err: (e as Error).message, retryInMs: delay }, 'anchoring step failed; will retry');
      }
      if (!this.running) break;
      const ranAt = Date.now();
      const minGap = this.opts.minTickGapMs ?? 50;
      await new Promise<void>((resolve) => {
        let t = setTimeout(resolve, delay);
        // A poke runs the loop early, but not more often than every minGap ms: under a stream of
        // accepted records, each pass then appends many of them in one transaction.
        this.wake = () => {
          clearTimeout(t);
          this.wake = undefined;
          t = setTimeout(resolve, Math.min(delay, Math.max(0, ranAt + minGap - Date.now())));
        };
        this.stopWait = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.stopWait = undefined;
      this.wake = undefined;
    }
  }

  /**
   * One pass for one log (exported for tests that drive the machine step by step): sequence (see sequence()), then cut,
   * send or settle a checkpoint. True when records may still wait to be sequenced.
   */
  async tick(logId: LogId): Promise<boolean> {
    const more = await this.sequence(logId);
    let inflight = await this.inflight(logId);
    if (!inflight) inflight = await this.maybeCut(logId);
    if (!inflight) return more;
    if (inflight.status === 'pending') inflight = await this.send(inflight);
    if (inflight.status === 'submitted') await this.settle(inflight);
    return more;
  }

  /**
   * Appends waiting records to the log, in transactions of at most sequenceBatch (the store may append fewer: its
   * transaction has a time budget), giving other requests a turn in between. A pass ends once none is left, or after
   * sequencePassMs: under a steady stream of records, which the sequencing only just outpaces, a pass that waited for
   * none to be left ran as long as the stream (a bulk load of 8,000 reports: one pass of 2 s) and held back every
   * checkpoint behind it. (A bound of everyEntries records instead cut one checkpoint, with its chain round trips, per
   * everyEntries of a backlog: a burst's tail waited for each in turn.) True when it ended with records perhaps still
   * waiting (the loop then runs again at once).
   */
  private async sequence(logId: LogId): Promise<boolean> {
    const batch = this.opts.sequenceBatch ?? 512;
    const until = Date.now() + (this.opts.sequencePassMs ?? this.opts.pollMs ?? 250);
    for (;;) {
      const r = await this.store.sequencePending(logId, batch);
      if (r.appended === 0) return false;
      if (Date.now() >= until) return true;
      await nextTurn();
    }
  }

  private async inflight(logId: LogId): Promise<Checkpoint | undefined> {
    const pending = await this.store.listCheckpoints(logId, 'pending');
    const submitted = await this.store.listCheckpoints(logId, 'submitted');
    return [...submitted, ...pending][0];
  }

  private async anchoredSize(logId: LogId): Promise<number> {
    return (await this.store.latestCheckpoint(logId, 'confirmed'))?.size ?? 0;
  }

  private async maybeCut(logId: LogId): Promise<Checkpoint | undefined> {
    const head = await this.store.logHead(logId);
    const anchored = await this.anchoredSize(logId);
    const waiting = head.size - anchored;
    if (waiting <= 0) return undefined;
    let due = waiting >= this.opts.everyEntries;
    if (!due) {
      const oldest = await this.store.getRecordByLeafIndex(logId, anchored);
      due = !!oldest && Date.now() - oldest.receivedAt >= this.opts.everySeconds * 1000;
    }
    if (!due) return undefined;
    let cp = await this.store.putCheckpoint({ logId, size: head.size, root: toHex0x(head.root), status: 'pending' });
    if (cp.status === 'orphaned') {
      // The same size was anchored on a chain that has since been reset: anchor it again.
      cp = await this.store.updateCheckpoint(logId, cp.size, { status: 'pending', txHash: null, blockNumber: null, blockTime: null, attempts: 0 });
    }
    this.opts.logger?.info({ logId, size: cp.size, root: cp.root }, 'checkpoint cut');
    return cp;
  }

  private tree(logId: LogId, size: number): LogTree {
    return new LogTree(this.store.nodeReader(logId), size);
  }

  /** pending → submitted (or → confirmed when the chain already holds it). */
  private async send(cp: Checkpoint): Promise<Checkpoint> {
    const id = chainLogId(cp.logId);
    const onChain = await this.chain.latest(id);
    if (onChain.size >= cp.size) {
      const root = await this.chain.rootAt(id, cp.size);
      if (root !== null && root.toLowerCase() === cp.root.toLowerCase()) return this.confirmFromEvent(cp);
      // The chain already moved past this size through another checkpoint: this one is not needed.
      await this.assertReproducible(cp.logId, onChain.size, onChain.root);
      return this.store.updateCheckpoint(cp.logId, cp.size, { status: 'orphaned', lastError: 'superseded by a larger checkpoint on chain' });
    }
    const tree = this.tree(cp.logId, cp.size);
    let proof: string[] = [];
    if (onChain.size > 0) {
      await this.assertReproducible(cp.logId, onChain.size, onChain.root);
      proof = (await tree.consistencyProof(onChain.size, cp.size)).map(toHex0x);
    }
    const attempts = cp.attempts + 1;
    try {
      const { txHash } = await this.chain.sendAnchor(id, cp.size, cp.root, proof);
      this.opts.logger?.info({ logId: cp.logId, size: cp.size, txHash, fromSize: onChain.size }, 'anchor sent');
      return this.store.updateCheckpoint(cp.logId, cp.size, {
        status: 'submitted',
        txHash,
        attempts,
        chainId: this.chain.chainId,
        contract: this.chain.contract,
        lastError: null,
      });
    } catch (e) {
      await this.store.updateCheckpoint(cp.logId, cp.size, { attempts, lastError: (e as Error).message.slice(0, 500) });
      // The signer counted a nonce for a transaction the node may never have taken: without a re-read,
      // the next anchor would wait behind a nonce gap forever.
      await this.resyncNonce(`sending the anchor of ${cp.logId} checkpoint ${cp.size} failed`);
      throw e;
    }
  }

  /** submitted → confirmed after K confirmations; back to pending if the transaction vanished or reverted. */
  private async settle(cp: Checkpoint): Promise<void> {
    const outcome = await this.chain.txOutcome(cp.txHash!);
    if (outcome.status === 'mined') {
      if (outcome.confirmations < this.opts.confirmations) return;
      await this.opts.ensureDurable?.(outcome.blockNumber);
      await this.store.updateCheckpoint(cp.logId, cp.size, {
        status: 'confirmed',
        txHash: outcome.txHash,
        blockNumber: outcome.blockNumber,
        blockTime: outcome.blockTime,
        lastError: null,
      });
      this.opts.logger?.info({ logId: cp.logId, size: cp.size, block: outcome.blockNumber }, 'checkpoint confirmed');
      return;
    }
    if (outcome.status === 'waiting') {
      const stuckAfter = this.opts.stuckAfterMs ?? 120_000;
      if (Date.now() - cp.updatedAt < stuckAfter) return;
      // Known to the node but not mined for long: most likely queued behind a nonce gap (a failed send,
      // a node that lost blocks). Re-read the nonce and send again; should the old transaction still be
      // mined, anchoring the same (size, root) twice is harmless.
      await this.resyncNonce(`transaction ${cp.txHash} of ${cp.logId} checkpoint ${cp.size} not mined within ${Math.round(stuckAfter / 1000)} s`);
      await this.store.updateCheckpoint(cp.logId, cp.size, {
        status: 'pending',
        lastError: `transaction ${cp.txHash} not mined within ${Math.round(stuckAfter / 1000)} s; resending`,
      });
      return;
    }
    // Reverted or unknown: perhaps a duplicate of an anchor that did land.
    const root = await this.chain.rootAt(chainLogId(cp.logId), cp.size);
    if (root !== null && root.toLowerCase() === cp.root.toLowerCase()) {
      await this.confirmFromEvent(cp);
      return;
    }
    if (outcome.status === 'unknown' && Date.now() - cp.updatedAt < (this.opts.resendAfterMs ?? 30_000)) return;
    if (outcome.status === 'unknown') await this.resyncNonce(`transaction ${cp.txHash} of ${cp.logId} checkpoint ${cp.size} is unknown to the node`);
    await this.store.updateCheckpoint(cp.logId, cp.size, {
      status: 'pending',
      lastError: outcome.status === 'reverted' ? `transaction ${outcome.txHash} reverted` : `transaction ${cp.txHash} was dropped`,
    });
  }

  /** Makes the next send re-read the operator's pending nonce from the chain, and says so. Never throws. */
  private async resyncNonce(reason: string): Promise<void> {
    if (!this.chain.resyncNonce) return;
    try {
      const r = await this.chain.resyncNonce();
      this.opts.logger?.warn({ reason, ...r }, "re-read the operator's nonce from the chain before the next send");
    } catch (e) {
      // The cached nonce is dropped before the read, so the next send reads it anyway.
      this.opts.logger?.warn({ reason, err: (e as Error).message }, "dropped the operator's cached nonce; the next send reads it from the chain");
    }
  }

  private async confirmFromEvent(cp: Checkpoint): Promise<Checkpoint> {
    const ev = await this.chain.findAnchor(chainLogId(cp.logId), cp.size);
    if (!ev) return cp; // the node has not indexed it yet; next tick
    await this.opts.ensureDurable?.(ev.blockNumber);
    return this.store.updateCheckpoint(cp.logId, cp.size, {
      status: 'confirmed',
      txHash: ev.txHash,
      blockNumber: ev.blockNumber,
      blockTime: ev.blockTime,
      chainId: this.chain.chainId,
      contract: this.chain.contract,
      lastError: null,
    });
  }

  private async assertReproducible(logId: LogId, size: number, chainRoot: string): Promise<void> {
    const head = await this.store.logHead(logId);
    if (size > head.size) {
      throw new ChainDivergenceError(
        `log ${logId}: the chain holds a checkpoint of size ${size}, but this database has only ${head.size} entries. ` +
          'The database is behind the chain (restored from an old backup, or pointed at another deployment); refusing to anchor.',
      );
    }
    const ours = toHex0x(await this.tree(logId, head.size).rootAt(size));
    if (ours.toLowerCase() !== chainRoot.toLowerCase()) {
      throw new ChainDivergenceError(
        `log ${logId}: the chain's checkpoint at size ${size} has root ${chainRoot}, but this database gives ${ours}. ` +
          'The stored log was altered or belongs to another deployment; refusing to anchor.',
      );
    }
  }

  /**
   * At start: the chain must hold nothing this database cannot reproduce; checkpoints the chain
   * no longer has (a reset development chain) are marked orphaned so the log is anchored again
   * from the chain's head.
   */
  async reconcile(logId: LogId): Promise<number[]> {
    await this.sequence(logId);
    const id = chainLogId(logId);
    const onChain = await this.chain.latest(id);
    if (onChain.size > 0) await this.assertReproducible(logId, onChain.size, onChain.root);
    const lost: number[] = [];
    for (const cp of await this.store.listCheckpoints(logId, 'confirmed')) {
      const sameChain = cp.chainId === this.chain.chainId && (cp.contract ?? '').toLowerCase() === this.chain.contract.toLowerCase();
      const root = cp.size <= onChain.size && sameChain ? await this.chain.rootAt(id, cp.size) : null;
      if (root === null || root.toLowerCase() !== cp.root.toLowerCase()) {
        await this.store.updateCheckpoint(logId, cp.size, { status: 'orphaned', lastError: 'not on the current chain; re-anchoring' });
        lost.push(cp.size);
      }
    }
    if (lost.length > 0) {
      this.opts.logger?.warn(
        { logId, lostSizes: lost, chainSize: onChain.size },
        `the chain no longer holds the confirmed checkpoint${lost.length === 1 ? '' : 's'} of size ${lost.join(', ')} (reset, rolled back or replaced chain): ` +
          `marked orphaned; the log is anchored again from the chain's checkpoint of size ${onChain.size}`,
      );
    }
    // Make sure an in-flight checkpoint from before a reset does not block.
    for (const cp of await this.store.listCheckpoints(logId, 'submitted')) {
      if (cp.chainId !== this.chain.chainId || (cp.contract ?? '').toLowerCase() !== this.chain.contract.toLowerCase()) {
        await this.store.updateCheckpoint(logId, cp.size, { status: 'pending', lastError: 'sent to another chain; resending' });
      } else if (cp.txHash && (await this.chain.txOutcome(cp.txHash)).status === 'unknown') {
        // Sent before a crash or a node restart and lost with the node's unsaved blocks: resend now (with a
        // nonce re-read), not after resendAfterMs. Should the first one still be mined, anchoring the same
        // (size, root) again is a no-op.
        await this.store.updateCheckpoint(logId, cp.size, { status: 'pending', lastError: `transaction ${cp.txHash} unknown to the node; resending` });
        await this.resyncNonce(`transaction ${cp.txHash} of ${logId} checkpoint ${cp.size} is unknown to the node`);
      }
    }
    const anchored = await this.store.latestCheckpoint(logId, 'confirmed');
    if (onChain.size > (anchored?.size ?? 0)) {
      // The chain is ahead of what we recorded (killed before recording): adopt its checkpoint.
      const head = await this.store.logHead(logId);
      const root = toHex0x(await this.tree(logId, head.size).rootAt(onChain.size));
      const cp = await this.store.putCheckpoint({ logId, size: onChain.size, root, status: 'pending' });
      await this.confirmFromEvent(cp);
    }
    return lost;
  }

  /**
   * The cheap run-time check: is the log's latest confirmed checkpoint still on the chain with the same root
   * (one rootAt read)? If not, the chain lost blocks since: reconcile (the lost checkpoints become orphaned, with
   * a warning naming their sizes; the next pass cuts and anchors the log again from the chain's head), and the
   * operator's nonce is re-read, since the lost anchor transactions took their nonces with them.
   * Throws ChainDivergenceError like reconcile.
   */
  async checkAnchored(logId: LogId): Promise<void> {
    const cp = await this.store.latestCheckpoint(logId, 'confirmed');
    if (!cp) return;
    const sameChain = cp.chainId === this.chain.chainId && (cp.contract ?? '').toLowerCase() === this.chain.contract.toLowerCase();
    const root = sameChain ? await this.chain.rootAt(chainLogId(logId), cp.size) : null;
    if (root !== null && root.toLowerCase() === cp.root.toLowerCase()) return;
    this.opts.logger?.warn({ logId, size: cp.size, root: cp.root, onChain: root }, 'the latest confirmed checkpoint is no longer on the chain; reconciling');
    const lost = await this.reconcile(logId);
    if (lost.length > 0) await this.resyncNonce(`the chain lost the anchors of ${logId} checkpoints ${lost.join(', ')}`);
  }
}
