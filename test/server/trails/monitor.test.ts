import { expect } from 'chai';
import type Database from 'better-sqlite3';
import { CachedChainReader } from '../../../server/chain/cached-reader';
import { RpcChainReader } from '../../../server/chain/reader';
import type { LogId } from '../../../server/store/types';
import type { SqliteStore } from '../../../server/store/sqlite';
import type { System } from '../../../server/system';
import { followLog, monitorLog, type MonitorDivergence, type MonitorReport } from '../../../server/trails/monitor';
import { signedReport, storeReportBatch } from '../../support/records';
import { bootTestSystem, eventually, registerLab } from '../../support/system';
import { completeShare, registerDepartment, type Department } from '../../support/trails';

describe('server/trails/monitor (real anvil node)', function () {
  this.timeout(180_000);
  let sys: System;
  let db: Database.Database;
  let market: Department;
  let agriculture: Department;
  const deps = () => ({ store: sys.store, reader: new CachedChainReader(new RpcChainReader(sys.provider, sys.deployment), sys.store) });

  /** Waits until everything stored in `logId` is anchored and confirmed. */
  const fullyAnchored = (logId: LogId) =>
    eventually(async () => {
      const head = await sys.store.logHead(logId);
      const cp = await sys.store.latestCheckpoint(logId, 'confirmed');
      return head.size > 0 && cp?.size === head.size && (await sys.store.countUnsequenced(logId)).count === 0;
    });

  before(async () => {
    sys = await bootTestSystem();
    db = (sys.store as SqliteStore).db;
    const lab = await registerLab(sys);
    await storeReportBatch(sys);
    for (let i = 0; i < 3; i++) await sys.ingest.submitSigned(await signedReport(sys, lab.key));
    market = await registerDepartment(sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(sys, 2, '安康市农业农村局');
    await completeShare(market, agriculture, 'one');
    await fullyAnchored('products');
    await fullyAnchored('data-sharing');
    await completeShare(market, agriculture, 'two'); // a second checkpoint, at least
    await fullyAnchored('data-sharing');
  });
  after(async () => sys?.stop());

  it('When both logs are untouched, Then replaying each from storage reproduces every anchored checkpoint', async () => {
    for (const logId of ['products', 'data-sharing'] as const) {
      const report = await monitorLog(deps(), logId);
      expect(report.ok, JSON.stringify(report)).to.equal(true);
      if (!report.ok) return;
      const head = await sys.store.logHead(logId);
      expect(report.entries).to.equal(head.size);
      expect(report.latest!.size).to.equal(head.size);
      expect(report.checkpointsChecked).to.equal((await sys.store.listCheckpoints(logId, 'confirmed')).length);
    }
    expect((await sys.store.listCheckpoints('data-sharing', 'confirmed')).length).to.be.greaterThan(1);
  });

  it('When a stored entry is edited, Then the monitor reports a root mismatch at the first checkpoint covering it, naming the entry', async () => {
    const rec = (await sys.store.getRecordByLeafIndex('data-sharing', 2))!;
    const edited = rec.entry.replace(/"issuedAt":"[^"]+"/, '"issuedAt":"2021-06-01T00:00:00Z"');
    db.prepare('UPDATE records SET entry = ? WHERE id = ?').run(edited, rec.id);
    try {
      const report = (await monitorLog(deps(), 'data-sharing')) as MonitorDivergence;
      expect(report.ok).to.equal(false);
      expect(report).to.deep.include({ reason: 'root-mismatch', leafIndex: 2 });
      const firstCovering = (await sys.store.listCheckpoints('data-sharing', 'confirmed')).find((c) => c.size > 2)!;
      expect(report.size).to.equal(firstCovering.size);
      expect(report.onChain).to.equal(firstCovering.root);
      expect(report.expected).to.not.equal(report.onChain);
      expect(report.message).to.contain('entry 2');
    } finally {
      db.prepare('UPDATE records SET entry = ? WHERE id = ?').run(rec.entry, rec.id);
    }
    expect((await monitorLog(deps(), 'data-sharing')).ok).to.equal(true);
  });

  it('When a record is deleted, Then the monitor reports the missing entry', async () => {
    const rec = (await sys.store.getRecordByLeafIndex('products', 1))!;
    const row = db.prepare('SELECT * FROM records WHERE id = ?').get(rec.id) as Record<string, unknown>;
    const leaf = db.prepare('SELECT * FROM log_leaves WHERE record_id = ?').get(rec.id) as Record<string, unknown>;
    db.prepare('DELETE FROM log_leaves WHERE record_id = ?').run(rec.id);
    db.prepare('DELETE FROM records WHERE id = ?').run(rec.id);
    try {
      const report = (await monitorLog(deps(), 'products')) as MonitorDivergence;
      expect(report).to.deep.include({ ok: false, reason: 'entry-missing', leafIndex: 1 });
    } finally {
      const insert = (table: string, r: Record<string, unknown>) =>
        db.prepare(`INSERT INTO ${table} (${Object.keys(r).join(',')}) VALUES (${Object.keys(r).map(() => '?').join(',')})`).run(...Object.values(r));
      insert('records', row);
      insert('log_leaves', leaf);
    }
    expect((await monitorLog(deps(), 'products')).ok).to.equal(true);
  });

  it('When the store’s own copy of a checkpoint is altered, Then the monitor reports it against the root the entries and the chain agree on', async () => {
    const cp = (await sys.store.listCheckpoints('data-sharing', 'confirmed'))[0]!;
    db.prepare("UPDATE checkpoints SET root = ? WHERE log_id = 'data-sharing' AND size = ?").run(`0x${'00'.repeat(31)}01`, cp.size);
    try {
      const report = (await monitorLog(deps(), 'data-sharing')) as MonitorDivergence;
      expect(report).to.deep.include({ ok: false, reason: 'stored-checkpoint-mismatch', size: cp.size, expected: cp.root, onChain: cp.root });
    } finally {
      db.prepare("UPDATE checkpoints SET root = ? WHERE log_id = 'data-sharing' AND size = ?").run(cp.root, cp.size);
    }
  });

  it('When the log is followed, Then it reports the current state, then each new anchored checkpoint, until stopped', async () => {
    const stop = new AbortController();
    const reports: MonitorReport[] = [];
    const following = (async () => {
      for await (const report of followLog(deps(), 'data-sharing', { intervalMs: 100, signal: stop.signal })) reports.push(report);
    })();
    await eventually(async () => reports.length >= 1);
    const before = reports[0]!;
    expect(before.ok).to.equal(true);
    await completeShare(market, agriculture, 'three');
    await fullyAnchored('data-sharing');
    const head = await sys.store.logHead('data-sharing');
    await eventually(async () => reports.some((r) => r.ok && r.latest?.size === head.size));
    stop.abort();
    await following;
    expect(reports.every((r) => r.ok)).to.equal(true);
    expect(reports.length).to.be.greaterThan(1);
  });
});
