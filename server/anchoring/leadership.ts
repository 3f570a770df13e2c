/**
 * Leadership among server instances sharing one database: exactly one instance at a time sequences the
 * logs, anchors checkpoints and follows the chain (the anchoring worker, the participant mirror); every
 * instance accepts records. The leader holds a lease in the database (Store.takeLease, by the database's
 * clock) and renews it every `renewMs`; when it dies, another instance takes the lease over once it
 * lapses: within `ttlMs + renewMs`.
 *
 * A leader that cannot renew (the database unreachable, the process paused) stops acting before its
 * lease can lapse: it counts its lease from the moment it asked for it, on its own monotonic clock, and
 * steps down `marginMs` before that. Should two instances still overlap (a pause longer than the margin),
 * nothing breaks: sequencing takes the log's row lock, chain writes go through one lock
 * (server/chain/serialized-signer.ts), and anchoring a checkpoint already anchored is a no-op.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import type { Lease, Store } from '../store/types';

export interface LeadershipOptions {
  /** The lease's name (default 'anchoring'). */
  name?: string;
  /** This instance's id (default host:pid:random). */
  holder?: string;
  /** How long a lease lasts unless renewed (ms). */
  ttlMs: number;
  /** How often the holder renews it, and a follower tries to take it (ms). */
  renewMs: number;
  /** Steps down this long before the lease would lapse without a renewal (default ttlMs / 4). */
  marginMs?: number;
  /** Becomes leader: start the leader's work. A failure is logged and the lease let go. */
  onLead: () => Promise<void>;
  /** No longer leader: stop the leader's work (awaited before the lease is let go or taken again). */
  onFollow: () => Promise<void>;
  logger?: Logger;
}

/** What /healthz and the metrics say about this instance's part. */
export interface LeadershipStatus {
  instance: string;
  leader: boolean;
  /** The current holder as last seen, and its term. */
  holder: string | null;
  term: number | null;
  /** When this instance last became leader (ms since epoch), if it is. */
  since: number | null;
}

export const instanceId = (): string => `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;

export class Leadership {
  readonly name: string;
  readonly holder: string;
  private leading = false;
  private since: number | null = null;
  /** performance.now() after which this instance must not act as leader without a renewal. */
  private validUntil = 0;
  private seen: Lease | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** One round (claim + transition) at a time. */
  private round: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(leader: boolean) => void>();

  constructor(
    private readonly store: Store,
    private readonly opts: LeadershipOptions,
  ) {
    this.name = opts.name ?? 'anchoring';
    this.holder = opts.holder ?? instanceId();
  }

  /** Takes part: tries for the lease now and then every renewMs. Resolves after the first round. */
  async start(): Promise<void> {
    this.running = true;
    await this.tick();
  }

  /** Stops taking part: steps down (stopping the leader's work) and lets the lease go at once for another instance. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
    if (this.leading) {
      await this.stepDown('stopping');
      await this.store.releaseLease(this.name, this.holder).catch((e: Error) => this.opts.logger?.warn({ err: e.message }, 'could not let the leader lease go; it lapses on its own'));
    }
  }

  /** Whether this instance may act as the leader now (its lease is held and not about to lapse). */
  isLeader(): boolean {
    return this.leading && performance.now() < this.validUntil;
  }

  status(): LeadershipStatus {
    return { instance: this.holder, leader: this.isLeader(), holder: this.seen?.holder ?? null, term: this.seen?.term ?? null, since: this.leading ? this.since : null };
  }

  /** Calls `fn` on every change of this instance's part (true: it became leader). */
  onChange(fn: (leader: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private tick(): Promise<void> {
    this.round = this.round.then(() => this.once());
    return this.round;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), this.opts.renewMs);
    this.timer.unref();
  }

  private async once(): Promise<void> {
    if (!this.running) return;
    const askedAt = performance.now();
    let lease: Lease | undefined;
    try {
      lease = (await this.store.takeLease(this.name, this.holder, this.opts.ttlMs)) ?? (await this.store.getLease(this.name));
    } catch (e) {
      this.opts.logger?.warn({ err: (e as Error).message, leader: this.leading }, 'could not claim or renew the leader lease; will retry');
    }
    try {
      if (lease) this.seen = lease;
      const mine = lease?.holder === this.holder;
      if (mine) this.validUntil = askedAt + this.opts.ttlMs - (this.opts.marginMs ?? this.opts.ttlMs / 4);
      if (mine && !this.leading) await this.stepUp(lease!);
      else if (!mine && this.leading && (lease || performance.now() >= this.validUntil)) await this.stepDown(lease ? `the lease is held by ${lease.holder}` : 'the lease could not be renewed in time');
    } finally {
      this.schedule();
    }
  }

  private async stepUp(lease: Lease): Promise<void> {
    this.leading = true;
    this.since = Date.now();
    this.opts.logger?.info({ instance: this.holder, term: lease.term }, 'this instance is now the leader: it sequences, anchors and follows the chain');
    try {
      await this.opts.onLead();
      this.emit(true);
    } catch (e) {
      this.opts.logger?.error({ err: (e as Error).message }, 'starting the leader work failed; letting the lease go');
      await this.stepDown('its work failed to start');
      await this.store.releaseLease(this.name, this.holder).catch(() => undefined);
    }
  }

  private async stepDown(reason: string): Promise<void> {
    this.leading = false;
    this.since = null;
    this.validUntil = 0;
    this.opts.logger?.warn({ instance: this.holder, reason }, 'this instance is no longer the leader');
    try {
      await this.opts.onFollow();
    } finally {
      this.emit(false);
    }
  }

  private emit(leader: boolean): void {
    for (const fn of this.listeners) fn(leader);
  }
}
