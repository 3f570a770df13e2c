/*
 * server/store sequencing: a log's records are appended in arrival order, each once, whatever the other log does; and
 * (SQLite, migration 9) a record's leaf index is kept in log_leaves alone, the records still to sequence being those
 * after the last one sequenced. A database sequenced before migration 9 goes on where it stopped.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { rootHash } from '../../../server/ledger/rfc6962';
import { openSqliteStore } from '../../../server/store/sqlite';
import type { LogId, NewRecord, Store } from '../../../server/store/types';
import { tempDir } from '../../support/system';
import { STORE_KINDS, freshStore, type StoreKind } from './store-kinds';

let n = 0;
/** A stored-form record of `logId` (the store checks no signature or hash: only its own constraints). */
function rec(id: string, logId: LogId): NewRecord {
  n++;
  return {
    id,
    logId,
    type: logId === 'products' ? 'SeleniumTestReport' : 'ShareRequest',
    body: { id },
    salts: {},
    recordRoot: `0x${'11'.repeat(32)}`,
    signer: `0x${'22'.repeat(20)}`,
    signature: `0x${n.toString(16).padStart(130, '0')}`,
    issuedAt: '2026-01-01T00:00:00Z',
    entry: '{}',
    leafHash: new Uint8Array(32).fill(n % 256),
    participantId: null,
    subject: null,
  };
}

/** The ids of a log's leaves in order, each read back by its leaf index, and its head root against the root of its leaf hashes. */
async function logOf(store: Store, logId: LogId): Promise<string[]> {
  const { size, root } = await store.logHead(logId);
  const ids: string[] = [];
  for (let i = 0; i < size; i++) {
    const r = (await store.getRecordByLeafIndex(logId, i))!;
    expect(r.leafIndex).to.equal(i);
    expect((await store.getRecord(r.id))!.leafIndex, r.id).to.equal(i);
    ids.push(r.id);
  }
  expect(Buffer.from(root).toString('hex')).to.equal(Buffer.from(rootHash(await store.leafHashes(logId, 0, size))).toString('hex'));
  return ids;
}

function describeOn(kind: StoreKind) {
  describe(`server/store sequencing (${kind.name})`, function () {
    this.timeout(60_000);

    it('When records of two logs arrive interleaved, some while a log is being sequenced, Then each log takes its own in arrival order, each once', async () => {
      const store = await freshStore(kind);
      try {
        await store.insertRecordsEach([rec('P1', 'products'), rec('S1', 'data-sharing'), rec('P2', 'products')]);
        expect((await store.sequencePending('products', 1)).appended).to.equal(1);
        await store.insertRecordsEach([rec('S2', 'data-sharing'), rec('P3', 'products')]);
        expect((await store.countUnsequenced('products')).count).to.equal(2);
        expect((await store.countUnsequenced('data-sharing')).count).to.equal(2);
        expect((await store.sequencePending('products', 100)).appended).to.equal(2);
        expect((await store.sequencePending('products', 100)).appended).to.equal(0);
        await store.insertRecordsEach([rec('P4', 'products')]);
        expect((await store.sequencePending('data-sharing', 100)).appended).to.equal(2);
        expect((await store.sequencePending('products', 100)).appended).to.equal(1);
        expect(await logOf(store, 'products')).to.deep.equal(['P1', 'P2', 'P3', 'P4']);
        expect(await logOf(store, 'data-sharing')).to.deep.equal(['S1', 'S2']);
        expect((await store.countUnsequenced('products')).count).to.equal(0);
        expect((await store.getRecord('P4'))!.leafIndex).to.equal(3);
      } finally {
        await store.close();
      }
    });

    it('When a record is accepted but not yet sequenced, Then it reads with no leaf index, and counts as waiting with its arrival time', async () => {
      const store = await freshStore(kind);
      try {
        const before = Date.now();
        await store.insertRecordsEach([rec('W1', 'products')]);
        expect((await store.getRecord('W1'))!.leafIndex).to.equal(null);
        const waiting = await store.countUnsequenced('products');
        expect(waiting.count).to.equal(1);
        expect(waiting.oldestReceivedAt).to.be.at.least(before);
        await store.sequencePending('products', 10);
        expect(await store.countUnsequenced('products')).to.deep.equal({ count: 0, oldestReceivedAt: null });
      } finally {
        await store.close();
      }
    });
  });
}
for (const kind of STORE_KINDS) describeOn(kind);

describe('server/store sequencing: migration 9 (SQLite)', () => {
  it('When a database sequenced before migration 9 (leaf indexes in the records) is opened, Then every leaf index reads as before and sequencing goes on with the records that waited, in order', async () => {
    const file = path.join(tempDir('traceledger-store-'), 'old.db');
    let store = openSqliteStore(file);
    await store.insertRecordsEach(['A1', 'A2', 'A3', 'A4', 'A5', 'A6'].map((id) => rec(id, 'products')));
    await store.insertRecordsEach([rec('B1', 'data-sharing'), rec('B2', 'data-sharing')]);
    await store.sequencePending('products', 4);
    await store.sequencePending('data-sharing', 1);
    await store.close();

    // The same database as the code before migration 9 left it: leaf indexes written into the records, the unsequenced
    // found by a NULL one, no last_arrival.
    const old = new Database(file);
    old.exec(`
      UPDATE records SET leaf_index = (SELECT l.leaf_index FROM log_leaves l WHERE l.record_id = records.id);
      DROP INDEX records_log_arrival;
      CREATE INDEX records_unsequenced ON records (log_id, arrival) WHERE leaf_index IS NULL;
      CREATE INDEX records_leaf ON records (log_id, leaf_index);
      ALTER TABLE log_state DROP COLUMN last_arrival;
    `);
    old.pragma('user_version = 8');
    expect(old.prepare("SELECT COUNT(*) FROM records WHERE leaf_index IS NOT NULL").pluck().get()).to.equal(5);
    old.close();

    store = openSqliteStore(file);
    try {
      expect((await store.getRecord('A4'))!.leafIndex).to.equal(3);
      expect((await store.getRecord('A5'))!.leafIndex).to.equal(null);
      expect((await store.countUnsequenced('products')).count).to.equal(2);
      expect((await store.countUnsequenced('data-sharing')).count).to.equal(1);
      expect((await store.sequencePending('products', 100)).appended).to.equal(2);
      expect((await store.sequencePending('data-sharing', 100)).appended).to.equal(1);
      expect(await logOf(store, 'products')).to.deep.equal(['A1', 'A2', 'A3', 'A4', 'A5', 'A6']);
      expect(await logOf(store, 'data-sharing')).to.deep.equal(['B1', 'B2']);
      // Sequencing no longer writes a record's row: the old column keeps what the old code wrote.
      const db = new Database(file, { readonly: true });
      try {
        expect(db.prepare("SELECT leaf_index FROM records WHERE id IN ('A4', 'A5') ORDER BY id").pluck().all()).to.deep.equal([3, null]);
      } finally {
        db.close();
      }
    } finally {
      await store.close();
    }
  });
});
