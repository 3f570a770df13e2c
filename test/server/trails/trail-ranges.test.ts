/**
 * Long trails on SQLite: the record-checking threads read their own ranges of the trail (a read-only connection each),
 * the calling thread only cuts the trail where each range ends. The answer must be the one a verification reading the
 * trail page by page on the calling thread gives (as on PostgreSQL), for an intact trail and for one tampered with in
 * the database.
 */
import path from 'node:path';
import { expect } from 'chai';
import type Database from 'better-sqlite3';
import { CachedChainReader } from '../../../server/chain/cached-reader';
import { RpcChainReader } from '../../../server/chain/reader';
import { GENESIS_PREV_HASH } from '../../../server/records';
import type { SqliteStore } from '../../../server/store/sqlite';
import type { Store } from '../../../server/store/types';
import type { System } from '../../../server/system';
import { verifyTrail, type TrailVerification } from '../../../server/trails/trail';
import { bootTestSystem, tempDir } from '../../support/system';
import { buildTrail, storeAndAnchor } from '../../support/trail-build';
import { registerDepartment, type Department } from '../../support/trails';

/** More than the verifier checks on the calling thread (INLINE_BELOW), and not a whole number of ranges. */
const RECORDS = 1_337;

const essence = (v: TrailVerification) => ({ verdict: v.verdict, steps: v.steps, entries: v.entries, checkpoint: v.checkpoint, firstProblem: v.firstProblem ?? null });

/** `store` with its calls of `names` counted; with `hide`, the store offers no trail reading to other threads (as PostgreSQL). */
function watched(store: Store, hide: boolean): { store: Store; calls: Record<string, number> } {
  const calls: Record<string, number> = { trailPageEnd: 0, trailRecordTexts: 0 };
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      if (hide && (prop === 'trailReadSource' || prop === 'trailPageEnd')) return undefined;
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const name = String(prop);
      return (...args: unknown[]) => {
        if (name in calls) calls[name]!++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

describe('server/trails/trail: long trails read by the checking threads (real anvil node, SQLite file)', function () {
  this.timeout(240_000);
  let sys: System;
  let db: Database.Database;
  let dept: Department;
  let ids: string[];

  const verifyBoth = async (checkThreads?: number) => {
    const reader = new CachedChainReader(new RpcChainReader(sys.provider, sys.deployment), sys.store);
    const ranges = watched(sys.store, false);
    const pages = watched(sys.store, true);
    const byRanges = await verifyTrail({ store: ranges.store, reader, deployment: sys.deployment, checkThreads }, dept.id);
    const byPages = await verifyTrail({ store: pages.store, reader, deployment: sys.deployment, checkThreads }, dept.id);
    return { byRanges, byPages, rangeCalls: ranges.calls, pageCalls: pages.calls };
  };

  before(async () => {
    sys = await bootTestSystem({ manualWorker: true });
    db = (sys.store as SqliteStore).db;
    dept = await registerDepartment(sys, 1, '安康市市场监督管理局');
    const signed = buildTrail(sys, dept.id, dept.key, 1, RECORDS, GENESIS_PREV_HASH);
    ids = signed.map((s) => s.record.id);
    await storeAndAnchor(
      sys,
      signed.map((s) => s.record),
    );
  });
  after(async () => sys?.stop());

  it('When a long trail is verified, Then the threads read it in ranges (no record text through the calling thread) and the answer is the one read page by page gives', async () => {
    for (const threads of [undefined, 1]) {
      const { byRanges, byPages, rangeCalls, pageCalls } = await verifyBoth(threads);
      expect(byRanges.verdict, JSON.stringify(byRanges.steps)).to.equal('valid');
      expect(byRanges.entries).to.equal(RECORDS);
      expect(essence(byRanges)).to.deep.equal(essence(byPages));
      // Ranges of 250 records: 6 of them, each end found by an index step (plus the first step that finds the trail long).
      expect(rangeCalls).to.deep.equal({ trailPageEnd: 7, trailRecordTexts: 0 });
      expect(pageCalls.trailPageEnd).to.equal(0);
      expect(pageCalls.trailRecordTexts).to.be.greaterThan(0);
      expect(byRanges.timingsMs.read).to.be.greaterThan(0);
    }
  });

  it('When a record deep in the trail is edited in the database, Then the range that holds it finds it, as reading page by page does', async () => {
    const id = ids[777]!;
    const { body } = db.prepare('SELECT body FROM records WHERE id = ?').get(id) as { body: string };
    db.prepare('UPDATE records SET body = ? WHERE id = ?').run(JSON.stringify({ ...(JSON.parse(body) as object), purpose: '用于商业营销' }), id);
    try {
      const { byRanges, byPages } = await verifyBoth();
      expect(byRanges.verdict).to.equal('invalid');
      expect(byRanges.firstProblem).to.deep.include({ recordId: id, seq: 778 });
      expect(essence(byRanges)).to.deep.equal(essence(byPages));
    } finally {
      db.prepare('UPDATE records SET body = ? WHERE id = ?').run(body, id);
    }
  });

  it('When records at the edges of ranges are deleted from the database, Then the gaps are found as reading page by page finds them', async () => {
    const gone = [ids[249]!, ids[250]!, ids[RECORDS - 1]!];
    const rows = gone.map((id) => db.prepare('SELECT * FROM records WHERE id = ?').get(id) as Record<string, unknown>);
    db.pragma('foreign_keys = OFF');
    try {
      for (const id of gone) db.prepare('DELETE FROM records WHERE id = ?').run(id);
      const { byRanges, byPages } = await verifyBoth();
      expect(byRanges.verdict).to.equal('invalid');
      expect(byRanges.entries).to.equal(RECORDS - gone.length);
      expect(essence(byRanges)).to.deep.equal(essence(byPages));
    } finally {
      const columns = Object.keys(rows[0]!);
      const insert = db.prepare(`INSERT INTO records (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
      for (const row of rows) insert.run(row);
      db.pragma('foreign_keys = ON');
    }
    const { byRanges } = await verifyBoth();
    expect(byRanges.verdict).to.equal('valid');
  });

  it('When the database cannot be read by the threads (nor then by the calling thread), Then the verification fails with the storage error rather than wait for ever', async function () {
    this.timeout(60_000);
    const reader = new CachedChainReader(new RpcChainReader(sys.provider, sys.deployment), sys.store);
    const gone = new Proxy(sys.store, {
      get(target, prop, receiver) {
        if (prop === 'trailReadSource') return () => ({ file: path.join(tempDir(), 'no-such.sqlite') });
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    // One thread: more ranges than the three it may have in flight, so a failure must free their slots.
    const failed = await verifyTrail({ store: gone, reader, deployment: sys.deployment, checkThreads: 1 }, dept.id).then(
      () => null,
      (e: unknown) => e as { code?: string },
    );
    expect(failed?.code).to.equal('SQLITE_CANTOPEN');
  });
});
