import { expect } from 'chai';
import type Database from 'better-sqlite3';
import { RpcChainReader } from '../../../server/chain/reader';
import type { AppError } from '../../../server/errors';
import { Appender } from '../../../server/ledger/appender';
import { toHex } from '../../../server/ledger/rfc6962';
import { planRoot } from '../../../server/ledger/tree';
import type { SqliteStore } from '../../../server/store/sqlite';
import type { System } from '../../../server/system';
import {
  checkReceipt,
  getReceipt,
  parseReceipt,
  signReceipt,
  storeInclusionFetcher,
  type ReceiptIssuer,
  type SignedReceipt,
} from '../../../server/trails/receipts';
import { verifyTrail } from '../../../server/trails/trail';
import { bootTestSystem, sequenceAll } from '../../support/system';
import { randomKey, registerDepartment, type Department } from '../../support/trails';

describe('server/trails/receipts (real anvil node, worker driven by the test)', function () {
  this.timeout(180_000);
  let sys: System;
  let db: Database.Database;
  let issuer: ReceiptIssuer;
  let market: Department;
  let agriculture: Department;
  const deps = () => ({ chain: new RpcChainReader(sys.provider, sys.deployment), fetchInclusion: storeInclusionFetcher(sys.store, 'data-sharing'), traceLedger: sys.deployment.traceLedger });

  /** Sequences, cuts, anchors and confirms everything waiting in the data-sharing log. */
  async function anchorAll(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      await sys.worker.tick('data-sharing');
      const head = await sys.store.logHead('data-sharing');
      if ((await sys.store.latestCheckpoint('data-sharing', 'confirmed'))?.size === head.size) return;
    }
    throw new Error('the data-sharing log did not get anchored');
  }

  before(async () => {
    sys = await bootTestSystem({ manualWorker: true, env: { ANCHOR_EVERY_ENTRIES: '1' } });
    db = (sys.store as SqliteStore).db;
    issuer = { store: sys.store, operator: sys.operator, binding: { chainId: sys.deployment.chainId, traceLedger: sys.deployment.traceLedger } };
    market = await registerDepartment(sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(sys, 2, '安康市农业农村局');
  });
  after(async () => sys?.stop());

  let first: SignedReceipt;
  /** The first request's id, in the market regulator's namespace. */
  const req1 = () => market.idOf('req-1');

  it('When a record is accepted but not yet sequenced, Then its receipt is not issued yet (null)', async () => {
    const ack = await market.request(agriculture, { id: 'req-1' });
    expect(ack.receipt, 'nobody sequenced it within the wait').to.equal(null);
    expect(await getReceipt(issuer, ack.id)).to.equal(null);
  });

  it('When it is sequenced but not anchored, Then the receipt commits to its leaf, checkReceipt says not-yet-anchored, and the trail verifies as pending', async () => {
    await sequenceAll(sys.store, 'data-sharing');
    first = (await getReceipt(issuer, req1()))!;
    const stored = (await sys.store.getRecord(req1()))!;
    expect(first).to.deep.include({ format: 'traceledger-receipt-v1', logId: 'data-sharing', recordId: req1(), leafIndex: stored.leafIndex, logSize: stored.leafIndex! + 1 });
    expect(first.leafHash).to.equal(`0x${toHex(stored.leafHash)}`);
    expect(await getReceipt(issuer, req1()), 'deterministic').to.deep.equal(first);

    expect((await checkReceipt(first, deps())).status).to.equal('not-yet-anchored');
    const v = await verifyTrail({ store: sys.store, reader: new RpcChainReader(sys.provider, sys.deployment), deployment: sys.deployment }, market.id);
    expect(v.verdict).to.equal('pending');
    expect(v.steps.map((s) => s.status)).to.deep.equal(['pending', 'passed', 'passed', 'passed']);
  });

  it('When it is anchored, Then checkReceipt says included, with the on-chain checkpoint as evidence', async () => {
    await anchorAll();
    const check = await checkReceipt(first, deps());
    expect(check.status, check.message).to.equal('included');
    expect(check.evidence.operator).to.equal(sys.operatorAddress);
    expect(check.evidence.checkpoint!.root).to.equal(await sys.chain.rootAt(check.evidence.checkpoint!.chainLogId, check.evidence.checkpoint!.size));
  });

  it('When a receipt is signed by a key that is not an anchorer, Then it is invalid', async () => {
    const { signature: _s, format: _f, ...fields } = first;
    const forged = await signReceipt(randomKey(), fields);
    const check = await checkReceipt(forged, deps());
    expect(check.status).to.equal('invalid');
    expect(check.message).to.contain('not an anchorer');
  });

  it('When a signed receipt is altered (another leaf index), Then its signature no longer recovers the operator and it is invalid', async () => {
    const check = await checkReceipt({ ...first, leafIndex: first.leafIndex + 1, logSize: first.logSize + 1 }, deps());
    expect(check.status).to.equal('invalid');
  });

  it('When a receipt of another format version is read, Then parseReceipt refuses it as unsupported-version', () => {
    let err: unknown;
    try {
      parseReceipt({ ...first, format: 'traceledger-receipt-v2' });
    } catch (e) {
      err = e;
    }
    expect((err as AppError).code).to.equal('unsupported-version');
    expect(parseReceipt(JSON.parse(JSON.stringify(first)))).to.deep.equal(first);
  });

  it('When the server rewrites its log after issuing a receipt (drops the record, anchors another leaf at its index), Then checkReceipt says omitted, proven by the other leaf', async () => {
    // A record is accepted and sequenced; the operator signs its receipt…
    const dropped = await market.request(agriculture, { id: 'req-dropped' });
    await sequenceAll(sys.store, 'data-sharing');
    const receipt = (await getReceipt(issuer, dropped.id))!;
    const anchored = (await sys.store.latestCheckpoint('data-sharing', 'confirmed'))!.size;
    expect(receipt.leafIndex).to.equal(anchored);

    // …then, before anchoring, rewinds its log to the anchored size, drops the record, and lets
    // another department's record take its index.
    rewindLog(db, anchored);
    db.prepare('DELETE FROM records WHERE id = ?').run(dropped.id);
    const other = await agriculture.reply(market, { id: 'rep-instead', requestId: req1() });
    await anchorAll();
    expect((await sys.store.getRecord(other.id))!.leafIndex).to.equal(receipt.leafIndex);

    const check = await checkReceipt(receipt, deps());
    expect(check.status, check.message).to.equal('omitted');
    expect(check.evidence.reason).to.equal('other-leaf');
    expect(check.evidence.served!.leafHash).to.equal(other.leafHash);
    expect(check.evidence.checkpoint!.size).to.be.greaterThan(receipt.leafIndex);

    // A server that answers with the receipt's leaf hash but the only proof it has still cannot make it verify.
    const lying = async (i: number, size: number) => ({ ...(await storeInclusionFetcher(sys.store, 'data-sharing')(i, size)), leafHash: receipt.leafHash });
    const lied = await checkReceipt(receipt, { ...deps(), fetchInclusion: lying });
    expect(lied.status).to.equal('omitted');
    expect(lied.evidence.reason).to.equal('no-valid-proof');
    const silent = await checkReceipt(receipt, { ...deps(), fetchInclusion: () => Promise.reject(new Error('HTTP 404')) });
    expect(silent).to.deep.include({ status: 'omitted' });
  });
});

/**
 * Rewinds the stored data-sharing log to `size` leaves (what a dishonest operator would do before
 * anchoring): later leaves and the tree nodes over them go, the compact range is rebuilt, and the
 * records beyond wait to be sequenced again.
 */
function rewindLog(db: Database.Database, size: number): void {
  db.transaction(() => {
    // The records after the last one kept wait to be sequenced (the store takes those after log_state.last_arrival).
    const lastKept = db
      .prepare("SELECT r.arrival FROM log_leaves l JOIN records r ON r.id = l.record_id WHERE l.log_id = 'data-sharing' AND l.leaf_index = ?")
      .pluck()
      .get(size - 1) as number;
    db.prepare("DELETE FROM log_leaves WHERE log_id = 'data-sharing' AND leaf_index >= ?").run(size);
    db.prepare("DELETE FROM tree_nodes WHERE log_id = 'data-sharing' AND (idx + 1) * (1 << level) > ?").run(size);
    const node = db.prepare("SELECT hash FROM tree_nodes WHERE log_id = 'data-sharing' AND level = ? AND idx = ?");
    const hashes = planRoot(size).ids.map((id) => new Uint8Array((node.get(id.level, id.index) as { hash: Buffer }).hash));
    const compact = Appender.fromState({ size, hashes }).state().hashes.map((h) => toHex(h));
    db.prepare("UPDATE log_state SET size = ?, compact = ?, last_arrival = ? WHERE log_id = 'data-sharing'").run(size, JSON.stringify(compact), lastKept);
  })();
}
