/**
 * Caches for the trails' costly answers, bounded in entries: a trail's verification per trail head
 * (the department's last record and the log's latest anchored checkpoint on chain, plus the mirror's
 * view of the department's keys: the same answer until one of them moves), and a record's signed receipt (it never changes once the record is sequenced).
 */
import { chainLogId } from '../anchoring/worker';
import { trailHead } from './lifecycle';
import type { SignedReceipt } from './receipts';
import { TRAIL_LOG, registryFingerprint, verifyTrail, type TrailDeps, type TrailVerification } from './trail';

/** Entries each cache keeps by default (least recently used ones go first). */
export const ANSWER_CACHE_ENTRIES = 1000;

/** A least-recently-used map of at most `max` entries. Requires max >= 1. */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * {@link verifyTrail} cached per trail head. Each call reads the head (one store read and one chain read);
 * the verification runs again only when the department accepted a record or the log's anchored checkpoint moved.
 */
export class CachedTrailVerifier {
  private readonly cache: LruCache<string, { stamp: string; result: TrailVerification }>;
  /** Verifications computed (cache misses), for tests and metrics. */
  computed = 0;

  constructor(
    private readonly deps: TrailDeps,
    max = ANSWER_CACHE_ENTRIES,
  ) {
    this.cache = new LruCache(max);
  }

  /**
   * What the verification of `departmentId` depends on that can move: its last record and the anchored
   * checkpoint, and (so that a key registered, revoked or a department revoked shows at once) the mirror's
   * view of the department and its keys, whose messages the verification quotes.
   */
  private async stampOf(departmentId: string): Promise<string> {
    const { store, reader } = this.deps;
    const [head, anchored, registry] = await Promise.all([trailHead(store, departmentId), reader.latest(chainLogId(TRAIL_LOG)), registryFingerprint(store, departmentId)]);
    return `${head.nextSeq}:${head.prevHash}:${anchored.size}:${anchored.root}:${registry}`;
  }

  /**
   * The verification of `departmentId`: the cached one while its stamp holds, unless `fresh`. The stamp cannot see
   * a stored record edited in place (that is what a verification exists to catch), so an auditor's verification is
   * always fresh (and refreshes the cached answer); the cache only bounds what anonymous callers cost.
   *
   * A cache miss verifies incrementally from the trail's kept verification when it still holds (see verifyTrail);
   * `full` (by default: `fresh`) checks every record again, which is what catches a record verified before and
   * edited in place since. Pass `{ fresh: true, full: false }` for a fresh answer that only checks what is new.
   */
  async verify(departmentId: string, opts: { fresh?: boolean; full?: boolean } = {}): Promise<TrailVerification> {
    const stamp = await this.stampOf(departmentId);
    const hit = this.cache.get(departmentId);
    if (hit?.stamp === stamp && !opts.fresh) return hit.result;
    const result = await verifyTrail(this.deps, departmentId, { incremental: !(opts.full ?? opts.fresh ?? false) });
    this.computed++;
    this.cache.set(departmentId, { stamp, result });
    return result;
  }
}

/**
 * A record's receipt cached per record: signed once (by `sign`, e.g. `getReceipt` over a receipt
 * issuer), then served as is.
 */
export class CachedReceipts {
  private readonly cache: LruCache<string, SignedReceipt>;
  /** Receipts signed (cache misses), for tests and metrics. */
  signed = 0;

  constructor(
    private readonly sign: (recordId: string) => Promise<SignedReceipt | null>,
    max = ANSWER_CACHE_ENTRIES,
  ) {
    this.cache = new LruCache(max);
  }

  /** What `sign` answers: null while the record waits to be sequenced (not cached); its errors (e.g. 'not-found') pass through. */
  async receipt(recordId: string): Promise<SignedReceipt | null> {
    const hit = this.cache.get(recordId);
    if (hit) return hit;
    const receipt = await this.sign(recordId);
    if (receipt) {
      this.signed++;
      this.cache.set(recordId, receipt);
    }
    return receipt;
  }
}
