/*
 * server/store/sqlite-writer: large inserts (a CSV import of 10,000 batches) run on a writer thread with its own
 * connection, all or nothing, while the main connection keeps reading committed data and its writes wait their turn.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { expect } from 'chai';
import { BULK_INSERT_MIN, openSqliteStore, type SqliteStore } from '../../../server/store/sqlite';
import { StoreConflictError, type NewRecord } from '../../../server/store/types';
import { tempDir } from '../../support/system';

let n = 0;
/** A stored-form record (the store checks no signature or hash: only its own constraints). */
function rec(id: string, subject: string | null = null): NewRecord {
  n++;
  return {
    id,
    logId: 'products',
    type: 'Batch',
    body: { id, note: '紫阳毛尖' },
    salts: { id: '00'.repeat(16) },
    recordRoot: `0x${'11'.repeat(32)}`,
    signer: `0x${'22'.repeat(20)}`,
    signature: `0x${n.toString(16).padStart(130, '0')}`,
    issuedAt: '2026-01-01T00:00:00Z',
    entry: `{"id":"${id}"}`,
    leafHash: new Uint8Array(32).fill(n % 256),
    participantId: null,
    subject,
  };
}

const many = (prefix: string, count: number, subject?: (i: number) => string): NewRecord[] => Array.from({ length: count }, (_, i) => rec(`${prefix}-${i}`, subject?.(i) ?? null));

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('server/store/sqlite-writer: bulk inserts on the writer thread', function () {
  let store: SqliteStore;
  let file: string;

  beforeEach(() => {
    file = path.join(tempDir('traceledger-bulk-'), 'traceledger.db');
    store = openSqliteStore(file);
  });
  afterEach(async () => store.close());

  it(`Given ${BULK_INSERT_MIN * 20} records, When inserted at once, Then every one is stored with its fields, in order of arrival`, async () => {
    const recs = many('B', BULK_INSERT_MIN * 20);
    await store.insertRecords(recs);
    const stored = await store.listRecords({ type: 'Batch', limit: 10_000 });
    expect(stored.map((r) => r.id)).to.deep.equal(recs.map((r) => r.id));
    const last = stored.at(-1)!;
    expect(last.body).to.deep.equal({ id: last.id, note: '紫阳毛尖' });
    expect(Buffer.from(last.leafHash).equals(Buffer.from(recs.at(-1)!.leafHash))).to.equal(true);
    expect(last.leafIndex).to.equal(null);
  });

  it('Given an id already accepted among them, When inserted, Then the conflict names it and nothing of the batch is written', async () => {
    await store.insertRecord(rec('B-77'));
    const err = await rejection(store.insertRecords(many('B', 200)));
    expect(err).to.be.instanceOf(StoreConflictError);
    expect((err as StoreConflictError).what).to.equal('id');
    expect((err as StoreConflictError).message).to.include('B-77');
    expect(await store.getRecord('B-0'), 'all or nothing').to.equal(undefined);
    expect(await store.getRecord('B-199')).to.equal(undefined);
  });

  it('Given two of them with one GTIN and lot, When inserted, Then the conflict names the earlier one of the batch', async () => {
    const recs = many('S', 100, (i) => `06901234567892/LOT-${i === 90 ? 3 : i}`);
    const err = await rejection(store.insertRecords(recs));
    expect(err).to.be.instanceOf(StoreConflictError);
    expect(err).to.include({ what: 'subject', existingId: 'S-3' });
    expect(await store.getRecord('S-3')).to.equal(undefined);
  });

  it('When a bulk insert runs, Then reads answer at once without its rows, and another write waits and lands after it', async () => {
    await store.insertRecord(rec('before'));
    const bulk = store.insertRecords(many('W', 3000));
    await nextTurn();
    // Read now: the bulk is not committed, and the read does not wait for it.
    expect(await store.getRecord('W-0')).to.equal(undefined);
    expect((await store.getRecord('before'))?.id).to.equal('before');
    const single = store.insertRecord(rec('after'));
    const [, after] = await Promise.all([bulk, single]);
    const last = await store.getRecord('W-2999');
    expect(after.arrival, 'the single write waited for the bulk one').to.be.greaterThan(last!.arrival);
  });

  it('Given a process killed while its bulk insert runs (a power cut), When the store opens again, Then all of the batch or none of it is there', async function () {
    this.timeout(120_000);
    const script = `
      const { openSqliteStore } = require(${JSON.stringify(path.resolve(__dirname, '../../../server/store/sqlite'))});
      const store = openSqliteStore(${JSON.stringify(file)});
      const recs = Array.from({ length: 20000 }, (_, i) => ({ id: 'K-' + i, logId: 'products', type: 'Batch', body: { i }, salts: {}, recordRoot: '0x' + '11'.repeat(32),
        signer: '0x' + '22'.repeat(20), signature: '0x' + (i + 1).toString(16).padStart(130, '0'), issuedAt: '2026-01-01T00:00:00Z', entry: '{}', leafHash: new Uint8Array(32), participantId: null, subject: null }));
      process.stdout.write('start\\n');
      store.insertRecords(recs).then(() => process.stdout.write('done\\n'));
    `;
    await store.close();
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('start')) resolve();
      }),
    );
    // Somewhere inside the insert: while slices are sent, or while the writer thread runs the transaction.
    await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 400)));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    store = openSqliteStore(file);
    const count = (store.db.prepare("SELECT COUNT(*) AS n FROM records WHERE id LIKE 'K-%'").get() as { n: number }).n;
    expect([0, 20000], `the child printed ${JSON.stringify(out)}`).to.include(count);
  });
});
