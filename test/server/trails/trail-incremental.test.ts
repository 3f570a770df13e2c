/**
 * Incremental audits: a trail (and a log, for the monitor) verified once is verified again by checking only what
 * was added, from the kept verification, once today's anchored checkpoint is proven consistent with the kept one.
 * Tampering the database (the kept state, the tree, a verified record) must still be caught.
 */
import { expect } from 'chai';
import type Database from 'better-sqlite3';
import { CachedChainReader } from '../../../server/chain/cached-reader';
import type { ChainReader } from '../../../server/chain/reader';
import { RpcChainReader } from '../../../server/chain/reader';
import type { SqliteStore } from '../../../server/store/sqlite';
import type { System } from '../../../server/system';
import { CachedTrailVerifier } from '../../../server/trails/answer-cache';
import { monitorLog } from '../../../server/trails/monitor';
import { checkStoredBatch, checkedRecord } from '../../../server/trails/record-check';
import { verifyTrail, type TrailVerification } from '../../../server/trails/trail';
import { WorkerPool } from '../../../server/worker-pool';
import { bootTestSystem, eventually } from '../../support/system';
import { completeShare, registerDepartment, type Department } from '../../support/trails';

/** What a full and an incremental verification of the same trail must both say. */
const essence = (v: TrailVerification) => ({ verdict: v.verdict, steps: v.steps, entries: v.entries, checkpoint: v.checkpoint, firstProblem: v.firstProblem ?? null });

describe('server/trails/trail: incremental audits (real anvil node)', function () {
  this.timeout(240_000);
  let sys: System;
  let db: Database.Database;
  let market: Department;
  let agriculture: Department;
  let tag = 0;
  const reader = (): ChainReader => new CachedChainReader(new RpcChainReader(sys.provider, sys.deployment), sys.store);
  const deps = (r: ChainReader = reader()) => ({ store: sys.store, reader: r, deployment: sys.deployment });
  const keptKey = (d: Department) => `trail-verified-v1:${d.id}`;

  /** Adds a complete share (two records on each trail) and waits until the chain's checkpoint covers it. */
  async function growAndAnchor(): Promise<void> {
    await completeShare(market, agriculture, `inc-${tag++}`);
    await eventually(async () => {
      const head = await sys.store.logHead('data-sharing');
      const cp = await sys.store.latestCheckpoint('data-sharing', 'confirmed');
      return (await sys.store.countUnsequenced('data-sharing')).count === 0 && cp?.size === head.size;
    });
  }

  before(async () => {
    sys = await bootTestSystem();
    db = (sys.store as SqliteStore).db;
    market = await registerDepartment(sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(sys, 2, '安康市农业农村局');
    await growAndAnchor();
    await growAndAnchor();
  });
  after(async () => sys?.stop());

  it('When a trail verified once has grown, Then the next audit checks only the new records from the kept checkpoint and answers as a full audit does', async () => {
    const first = await verifyTrail(deps(), market.id);
    expect(first.verdict).to.equal('valid');
    expect(first.basis).to.deep.equal({ mode: 'full', from: null, fullBecause: 'asked' });
    await growAndAnchor();

    const next = await verifyTrail(deps(), market.id, { incremental: true });
    const full = await verifyTrail(deps(), market.id);

    expect(next.basis.mode).to.equal('incremental');
    expect(next.basis.from).to.include({ size: first.checkpoint!.size, root: first.checkpoint!.root, entries: first.entries });
    expect(next.entries).to.equal(first.entries + 2);
    expect(next.checkpoint!.size).to.be.greaterThan(first.checkpoint!.size);
    expect(essence(next)).to.deep.equal(essence(full));
  });

  it('When nothing was added since, Then the incremental audit goes on from the same checkpoint and checks no record', async () => {
    await verifyTrail(deps(), market.id);

    const again = await verifyTrail(deps(), market.id, { incremental: true });

    expect(again.verdict).to.equal('valid');
    expect(again.basis.mode).to.equal('incremental');
    expect(again.basis.from!.size).to.equal(again.checkpoint!.size);
  });

  it('When the cached verifier misses, Then an anonymous call is incremental and an oversight (fresh) call is full', async () => {
    const verifier = new CachedTrailVerifier(deps());
    await verifier.verify(market.id, { fresh: true });
    await growAndAnchor();

    const anonymous = await verifier.verify(market.id);
    const oversight = await verifier.verify(market.id, { fresh: true });

    expect(anonymous.basis.mode).to.equal('incremental');
    expect(oversight.basis).to.deep.equal({ mode: 'full', from: null, fullBecause: 'asked' });
    expect(essence(anonymous)).to.deep.equal(essence(oversight));
  });

  it('When the kept checkpoint is forged (a root the chain does not hold at that size), Then it is refused and every record is checked', async () => {
    await verifyTrail(deps(), market.id);
    const kept = JSON.parse((await sys.store.getKv(keptKey(market)))!) as { checkpoint: { root: string } };
    kept.checkpoint.root = `0x${'ab'.repeat(32)}`;
    await sys.store.setKv(keptKey(market), JSON.stringify(kept));

    const v = await verifyTrail(deps(), market.id, { incremental: true });

    expect(v.basis).to.deep.equal({ mode: 'full', from: null, fullBecause: 'kept-checkpoint-not-on-chain' });
    expect(v.verdict).to.equal('valid');
  });

  it('When the chain endpoint answers a checkpoint inconsistent with the kept one, Then the consistency proof refuses it and the full audit is invalid', async () => {
    await verifyTrail(deps(), market.id);
    await growAndAnchor();
    const real = reader();
    const forged = Object.create(real) as ChainReader;
    forged.latest = async (id: string) => ({ ...(await real.latest(id)), root: `0x${'cd'.repeat(32)}` });

    const v = await verifyTrail(deps(forged), market.id, { incremental: true });

    expect(v.basis).to.deep.equal({ mode: 'full', from: null, fullBecause: 'inconsistent' });
    expect(v.verdict).to.equal('invalid');
    expect(v.firstProblem?.step).to.equal('allEntriesAnchored');
  });

  it('When the stored tree no longer proves the new checkpoint consistent with the kept one, Then the audit is full', async () => {
    await verifyTrail(deps(), market.id);
    await growAndAnchor();
    const saved = db.prepare("SELECT level, idx, hash FROM tree_nodes WHERE log_id = 'data-sharing'").all() as { level: number; idx: number; hash: Buffer }[];
    db.prepare("UPDATE tree_nodes SET hash = zeroblob(32) WHERE log_id = 'data-sharing' AND level > 0").run();
    try {
      const v = await verifyTrail(deps(), market.id, { incremental: true });

      expect(v.basis).to.deep.equal({ mode: 'full', from: null, fullBecause: 'inconsistent' });
      expect(v.verdict).to.equal('valid'); // the full audit recomputes the tree from the entries
    } finally {
      const put = db.prepare("UPDATE tree_nodes SET hash = ? WHERE log_id = 'data-sharing' AND level = ? AND idx = ?");
      for (const n of saved) put.run(n.hash, n.level, n.idx);
    }
  });

  it('When the last verified record is edited after the audit, Then the next audit sees it changed, checks every record and names it', async () => {
    await verifyTrail(deps(), market.id);
    const last = (await sys.store.lastTrailRecord(market.id))!;
    db.prepare('UPDATE records SET body = ? WHERE id = ?').run(JSON.stringify({ ...last.body, purpose: '用于商业营销' }), last.id);
    try {
      const v = await verifyTrail(deps(), market.id, { incremental: true });

      expect(v.basis).to.deep.equal({ mode: 'full', from: null, fullBecause: 'kept-record-changed' });
      expect(v.verdict).to.equal('invalid');
      expect(v.firstProblem).to.deep.equal({ step: 'hashLinksUnbroken', seq: last.body.seq, recordId: last.id });
    } finally {
      db.prepare('UPDATE records SET body = ? WHERE id = ?').run(JSON.stringify(last.body), last.id);
    }
  });

  it('When a verified record is deleted after the audit, Then the next audit sees a record lost below the kept checkpoint, and the full audit finds the gap', async () => {
    await verifyTrail(deps(), market.id);
    await growAndAnchor();
    const victim = (await sys.store.trailRecords(market.id, { fromSeq: 2, toSeq: 2 }))[0]!;
    const row = db.prepare('SELECT * FROM records WHERE id = ?').get(victim.id) as Record<string, unknown>;
    const leafRow = db.prepare('SELECT * FROM log_leaves WHERE record_id = ?').get(victim.id) as Record<string, unknown>;
    const insert = (table: string, r: Record<string, unknown>) => {
      const cols = Object.keys(r);
      db.prepare(`INSERT INTO ${table} (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`).run(...cols.map((c) => r[c]));
    };
    db.transaction(() => {
      db.prepare('DELETE FROM log_leaves WHERE record_id = ?').run(victim.id);
      db.prepare('DELETE FROM records WHERE id = ?').run(victim.id);
    })();
    try {
      const v = await verifyTrail(deps(), market.id, { incremental: true });

      expect(v.basis).to.deep.equal({ mode: 'full', from: null, fullBecause: 'record-lost' });
      expect(v.verdict).to.equal('invalid');
      expect(v.firstProblem?.step).to.equal('sequenceHasNoGap');
    } finally {
      db.transaction(() => {
        insert('records', row);
        insert('log_leaves', leafRow);
      })();
    }
  });

  it('When an older verified record is edited in place, Then the next full audit (an oversight request) names it and clears the kept verification, so incremental audits check everything until it is fixed', async () => {
    await verifyTrail(deps(), market.id);
    const victim = (await sys.store.trailRecords(market.id, { fromSeq: 1, toSeq: 1 }))[0]!;
    db.prepare('UPDATE records SET body = ? WHERE id = ?').run(JSON.stringify({ ...victim.body, purpose: '用于商业营销' }), victim.id);
    try {
      const oversight = await new CachedTrailVerifier(deps()).verify(market.id, { fresh: true });
      const after = await verifyTrail(deps(), market.id, { incremental: true });

      expect(oversight.verdict).to.equal('invalid');
      expect(oversight.firstProblem).to.deep.equal({ step: 'hashLinksUnbroken', seq: 1, recordId: victim.id });
      expect(await sys.store.getKv(keptKey(market))).to.equal('');
      expect(after.basis).to.deep.equal({ mode: 'full', from: null, fullBecause: 'nothing-kept' });
      expect(essence(after)).to.deep.equal(essence(oversight));
    } finally {
      db.prepare('UPDATE records SET body = ? WHERE id = ?').run(JSON.stringify(victim.body), victim.id);
    }
    expect((await verifyTrail(deps(), market.id)).verdict).to.equal('valid');
  });

  describe('the log monitor', () => {
    it('When the log grew since a run without divergence, Then an incremental run replays only the new entries and reports what a full run does', async () => {
      const first = await monitorLog({ store: sys.store, reader: reader() }, 'data-sharing');
      expect(first.ok).to.equal(true);
      await growAndAnchor();

      const next = await monitorLog({ store: sys.store, reader: reader() }, 'data-sharing', { incremental: true });
      const full = await monitorLog({ store: sys.store, reader: reader() }, 'data-sharing');

      if (!first.ok || !next.ok || !full.ok) throw new Error(JSON.stringify({ first, next, full }));
      expect(next.basis.mode).to.equal('incremental');
      expect(next.basis.from).to.include({ size: first.latest!.size, root: first.latest!.root });
      expect({ ...next, basis: null }).to.deep.equal({ ...full, basis: null });
    });

    it('When the kept run is forged, or the chain answers a checkpoint inconsistent with it, Then the monitor refuses it', async () => {
      await monitorLog({ store: sys.store, reader: reader() }, 'data-sharing');
      const kept = JSON.parse((await sys.store.getKv('log-monitored-v1:data-sharing'))!) as { root: string };
      kept.root = `0x${'ab'.repeat(32)}`;
      await sys.store.setKv('log-monitored-v1:data-sharing', JSON.stringify(kept));
      const notOnChain = await monitorLog({ store: sys.store, reader: reader() }, 'data-sharing', { incremental: true });
      await growAndAnchor();
      const real = reader();
      const forged = Object.create(real) as ChainReader;
      forged.latest = async (id: string) => ({ ...(await real.latest(id)), root: `0x${'cd'.repeat(32)}` });
      const inconsistent = await monitorLog({ store: sys.store, reader: forged }, 'data-sharing', { incremental: true });

      expect(notOnChain.ok).to.equal(true);
      if (notOnChain.ok) expect(notOnChain.basis).to.deep.equal({ mode: 'full', from: null, fullBecause: 'kept-checkpoint-not-on-chain' });
      expect(inconsistent.ok).to.equal(false);
      if (!inconsistent.ok) expect(inconsistent.reason).to.equal('root-mismatch');
      expect(await sys.store.getKv('log-monitored-v1:data-sharing')).to.equal('');
    });
  });

  describe('checking records on worker threads', () => {
    it('When stored records are checked on a pool of workers, Then leaves and findings equal those checked on the calling thread', async () => {
      const texts = await sys.store.trailRecordTexts(market.id);
      const bodies = texts.map((r) => r.body);
      bodies[0] = JSON.stringify({ ...(JSON.parse(bodies[0]!) as object), purpose: '用于商业营销' }); // one finding to carry across
      bodies[1] = '{"not": "closed"'; // a damaged column reads as {}, as the store reads it
      const binding = { chainId: sys.deployment.chainId, verifyingContract: sys.deployment.traceLedger };
      const task = { departmentId: market.id, binding, entries: texts.map((r) => r.entry), bodies, salts: texts.map((r) => r.salts) };
      const pool = new WorkerPool<typeof task, ReturnType<typeof checkStoredBatch>>(require.resolve('../../../server/trails/record-check'), 'checkStoredBatch', 2);
      try {
        const [a, b] = await Promise.all([pool.run(task), pool.run(task)]);
        const inline = checkStoredBatch(task);
        const records = (done: ReturnType<typeof checkStoredBatch>) => texts.map((_, i) => ({ ...checkedRecord(done, i), leaf: Buffer.from(checkedRecord(done, i).leaf).toString('hex') }));

        for (const onWorker of [a, b]) expect(records(onWorker)).to.deep.equal(records(inline));
        const [altered, damaged, fine] = records(inline);
        expect(altered!.linkProblem?.code).to.equal('trailBodyAltered');
        expect(damaged!.linkProblem?.code).to.equal('trailBodyOtherRecord');
        expect(Number.isNaN(damaged!.seq)).to.equal(true);
        expect(fine!.linkProblem).to.equal(null);
        expect(fine!.signatureProblem).to.equal(null);
        expect(fine!.signer).to.equal(market.key.address.toLowerCase());
        // What the workers read is what the store's parsed page says.
        const parsed = await sys.store.trailRecords(market.id);
        expect(records(inline).map((r) => [r.seq, r.prevHash])).to.deep.equal(parsed.map((r, i) => (i === 1 ? [Number.NaN, 'undefined'] : [r.body.seq, r.body.prevHash])));
      } finally {
        await pool.close();
      }
    });

    it('When a stored log entry cannot be read (not JSON, not an object, another version, a field missing, added or repeated, a field of the wrong form), Then its check names why, and the entry as stored passes', async () => {
      const [text] = await sys.store.trailRecordTexts(market.id, { limit: 1 });
      const entry = JSON.parse(text!.entry) as Record<string, unknown>;
      const variant = (change: (e: Record<string, unknown>) => void) => {
        const e = { ...entry };
        change(e);
        return JSON.stringify(e);
      };
      const cases: [string, string][] = [
        [text!.entry, ''],
        [JSON.stringify(Object.fromEntries(Object.entries(entry).reverse())), ''], // the fields in another order
        ['{"v":1,', 'not-json'],
        ['[1]', 'not-object'],
        ['null', 'not-object'],
        [variant((e) => (e.v = 2)), 'unknown-version'],
        [variant((e) => delete e.signer), 'wrong-fields'],
        [variant((e) => (e.extra = 1)), 'wrong-fields'],
        [variant((e) => (e.__proto__x = 1)), 'wrong-fields'],
        [text!.entry.replace('{', '{"toString":"x",'), 'wrong-fields'],
        [text!.entry.replace('{', `{"id":${JSON.stringify(entry.id)},`), ''], // a repeated key: JSON.parse keeps the last, as it always did
        [variant((e) => (e.id = 7)), 'not-text'],
        [variant((e) => (e.recordRoot = String(e.recordRoot).toUpperCase().replace('0X', '0x'))), 'bad-record-root'],
        [variant((e) => (e.signer = `${String(e.signer)}0`)), 'bad-signer'],
        [variant((e) => (e.signature = String(e.signature).slice(0, -2))), 'bad-signature'],
        [variant((e) => (e.issuedAt = '1969-12-31T23:59:59Z')), 'bad-instant'],
      ];
      const binding = { chainId: sys.deployment.chainId, verifyingContract: sys.deployment.traceLedger };
      const done = checkStoredBatch({ departmentId: market.id, binding, entries: cases.map(([e]) => e), bodies: cases.map(() => text!.body), salts: cases.map(() => text!.salts) });
      cases.forEach(([entryText, reason], i) => {
        const found = checkedRecord(done, i);
        if (reason === '') {
          expect(found.linkProblem, entryText).to.equal(null);
          expect(found.signatureProblem, entryText).to.equal(null);
        } else {
          expect(found.linkProblem?.code, entryText).to.equal('trailEntryUnreadable');
          expect(found.linkProblem?.params.reason, entryText).to.equal(reason);
          expect(found.signer, entryText).to.equal(null);
        }
      });
    });
  });
});
