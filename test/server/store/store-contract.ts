/* The Store contract: one suite, run on every store (SQLite and PostgreSQL, see store.test.ts). */
import { expect } from 'chai';
import { InvariantError } from '../../../server/ledger/errors';
import { rootHash, toHex, type Hash } from '../../../server/ledger/rfc6962';
import { planRoot } from '../../../server/ledger/tree';
import { readTrailRange } from '../../../server/store/trail-reader';
import { StoreConflictError, type NewRecord, type Store, type StoredTrailText, type TrailKey } from '../../../server/store/types';

/** A database for one suite: `open` opens another store instance on it (as another server instance would). */
export interface StoreHarness {
  open(): Promise<Store>;
  /** Makes record `id`'s stored body unparseable (a damaged row), behind the store's back. */
  damageBody(id: string): Promise<void>;
  /** Whether two store instances are separate clients of the database (PostgreSQL), not one process's (SQLite). */
  separateClients: boolean;
}

const GENESIS = `0x${'0'.repeat(64)}`;
const id32 = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;

let n = 0;
/** A stored-form record (a store checks no signature or hash: only its own constraints). Unique id and signature. */
export function storedForm(over: Partial<NewRecord> & { type?: string } = {}): NewRecord {
  n++;
  const id = over.id ?? `R-${process.pid}-${n}`;
  const leaf = new Uint8Array(32);
  new DataView(leaf.buffer).setUint32(0, n);
  leaf[31] = 7;
  return {
    id,
    logId: 'products',
    type: 'Batch',
    body: { id },
    salts: { id: 'aa'.repeat(16) },
    recordRoot: `0x${'11'.repeat(32)}`,
    signer: `0x${'22'.repeat(20)}`,
    signature: `0x${n.toString(16).padStart(8, '0')}${process.pid.toString(16).padStart(8, '0')}${'0'.repeat(114)}`,
    issuedAt: '2026-01-01T00:00:00Z',
    // Canonical JSON with characters a store could alter (non-ASCII, escapes, key order): kept byte for byte.
    entry: `{"id":"${id}","recordRoot":"0x11","signature":"x","signer":"0x22","type":"Batch","v":1,"z":"紫阳\\u0000"}`,
    leafHash: leaf,
    participantId: null,
    subject: null,
    ...over,
  } as NewRecord;
}

/** A share record of department `dept`'s trail, with `seq` and its trail link to `prev` (a record or genesis). */
function share(dept: string, seq: number, prev: NewRecord | null, link = true): NewRecord {
  const prevHash = prev ? `0x${toHex(prev.leafHash)}` : GENESIS;
  const rec = storedForm({ logId: 'data-sharing', type: 'ShareRequest', subject: dept });
  return { ...rec, body: { id: rec.id, seq, prevHash }, ...(link ? { trailLink: { seq, prevHash } } : {}) };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  expect.fail('expected a rejection');
}

async function conflictOf(p: Promise<unknown>): Promise<StoreConflictError> {
  const e = await rejection(p);
  expect(e, String(e)).to.be.instanceOf(StoreConflictError);
  return e as StoreConflictError;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Registers the contract suite for one kind of store: `fresh` gives an empty database per call. */
export function describeStore(name: string, fresh: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, function () {
    this.timeout(120_000);
    let h: StoreHarness;
    let store: Store;
    const others: Store[] = [];
    const another = async () => {
      const s = await h.open();
      others.push(s);
      return s;
    };

    beforeEach(async () => {
      h = await fresh();
      store = await h.open();
    });
    afterEach(async () => {
      for (const s of others.splice(0)) await s.close();
      await store.close();
    });

    describe('records', () => {
      it('When a record is inserted, Then it reads back field for field (leaf data byte for byte), with its arrival and no leaf index', async () => {
        const rec = storedForm({ body: { id: 'x', n: 1.5, nested: { 名: '紫阳', list: [1, 'two'] } }, participantId: id32(1), subject: '06901234567892/L1' });
        const stored = await store.insertRecord(rec);
        expect(stored.arrival).to.be.a('number');
        expect(stored.leafIndex).to.equal(null);
        const got = (await store.getRecord(rec.id))!;
        expect(got.entry).to.equal(rec.entry);
        expect(got.body).to.deep.equal(rec.body);
        expect(got.salts).to.deep.equal(rec.salts);
        expect(toHex(got.leafHash)).to.equal(toHex(rec.leafHash));
        expect(got.leafHash).to.be.instanceOf(Uint8Array);
        expect({ ...got, leafHash: null }).to.deep.include({ id: rec.id, logId: 'products', type: 'Batch', recordRoot: rec.recordRoot, signer: rec.signer, signature: rec.signature, issuedAt: rec.issuedAt, participantId: id32(1), subject: rec.subject, arrival: stored.arrival, receivedAt: stored.receivedAt, leafIndex: null });
        expect(got.fault).to.equal(undefined);
        expect(await store.getRecord('nope')).to.equal(undefined);
      });

      it('When an id, a signature or a batch subject repeats, Then the store refuses it with what it repeats (the existing batch named)', async () => {
        const first = await store.insertRecord(storedForm({ subject: '06901234567892/L1' }));
        expect((await conflictOf(store.insertRecord(storedForm({ id: first.id })))).what).to.equal('id');
        expect((await conflictOf(store.insertRecord(storedForm({ signature: first.signature })))).what).to.equal('signature');
        const subject = await conflictOf(store.insertRecord(storedForm({ subject: '06901234567892/L1' })));
        expect(subject).to.deep.include({ what: 'subject', subject: '06901234567892/L1', existingId: first.id });
        // The same batch again is a replay of its id; a report on the batch may share its subject.
        expect((await conflictOf(store.insertRecord({ ...first }))).what).to.equal('id');
        await store.insertRecord(storedForm({ type: 'SeleniumTestReport', subject: '06901234567892/L1' }));
        expect((await store.listRecords({ subject: '06901234567892/L1' })).length).to.equal(2);
      });

      it('When a list is asked by type, subject, participant, after an arrival and with a limit, Then it gives those records in arrival order', async () => {
        const a = await store.insertRecord(storedForm({ participantId: id32(1) }));
        const b = await store.insertRecord(storedForm({ type: 'SeleniumTestReport', participantId: id32(2), subject: 's' }));
        const c = await store.insertRecord(storedForm({ participantId: id32(1) }));
        const ids = (rs: { id: string }[]) => rs.map((r) => r.id);
        expect(ids(await store.listRecords({}))).to.deep.equal([a.id, b.id, c.id]);
        expect(ids(await store.listRecords({ type: 'Batch' }))).to.deep.equal([a.id, c.id]);
        expect(ids(await store.listRecords({ participantId: id32(2) }))).to.deep.equal([b.id]);
        expect(ids(await store.listRecords({ subject: 's' }))).to.deep.equal([b.id]);
        expect(ids(await store.listRecords({ afterArrival: a.arrival, limit: 1 }))).to.deep.equal([b.id]);
        expect(a.arrival).to.be.below(b.arrival);
        expect(b.arrival).to.be.below(c.arrival);
      });

      it('When records are inserted together and one repeats an id, Then none of them is stored (all or nothing), small or large', async () => {
        for (const size of [3, 200]) {
          const existing = await store.insertRecord(storedForm());
          const recs = Array.from({ length: size }, () => storedForm({ subject: null }));
          recs[size - 2] = storedForm({ id: existing.id });
          const err = await conflictOf(store.insertRecords(recs));
          expect(err.what).to.equal('id');
          expect(await store.getRecord(recs[0]!.id)).to.equal(undefined);
          expect(await store.getRecord(recs[size - 1]!.id)).to.equal(undefined);
          const ok = Array.from({ length: size }, () => storedForm());
          await store.insertRecords(ok);
          const listed = await store.listRecords({ afterArrival: existing.arrival, limit: 10_000 });
          expect(listed.map((r) => r.id)).to.deep.equal(ok.map((r) => r.id));
        }
      });

      it('When records are inserted together and a batch subject repeats within them, Then the conflict names the earlier one', async () => {
        const a = storedForm({ subject: '06901234567892/L9' });
        const err = await conflictOf(store.insertRecords([a, storedForm({ subject: '06901234567892/L9' })]));
        expect(err).to.deep.include({ what: 'subject', existingId: a.id });
      });

      it('When records are inserted each on its own (group commit), Then each gets its own outcome and the good ones are stored', async () => {
        const existing = await store.insertRecord(storedForm({ subject: '06901234567892/L2' }));
        const good1 = storedForm();
        const good2 = storedForm();
        const outcomes = await store.insertRecordsEach([good1, storedForm({ id: existing.id }), storedForm({ subject: '06901234567892/L2' }), good2, storedForm({ signature: good1.signature })]);
        expect(outcomes.map((o) => (o instanceof StoreConflictError ? o.what : 'ok'))).to.deep.equal(['ok', 'id', 'subject', 'ok', 'signature']);
        expect((outcomes[2] as StoreConflictError).existingId).to.equal(existing.id);
        expect(await store.getRecord(good1.id)).to.not.equal(undefined);
        expect((await store.getRecord(good2.id))?.arrival).to.equal((outcomes[3] as { arrival: number }).arrival);
      });

      it('When ingest asks what a batch consents to (batchConsent), Then it reads the producer and the body’s reportIds and commissionedLabs as stored; nothing for another type or an unknown id', async () => {
        const batch = await store.insertRecord(storedForm({ participantId: id32(3), body: { id: 'b', reportIds: ['R-1', '紫阳-2'], commissionedLabs: ['CMA 1', 'CMA "2"'], x: { reportIds: 'nested' } } }));
        expect(await store.batchConsent(batch.id)).to.deep.equal({ participantId: id32(3), reportIds: ['R-1', '紫阳-2'], commissionedLabs: ['CMA 1', 'CMA "2"'] });
        // Absent fields are undefined; a field of another JSON type reads as what it is (the rules then ignore it).
        const bare = await store.insertRecord(storedForm({ body: { id: 'c', commissionedLabs: 'CMA 1', reportIds: null } }));
        expect(await store.batchConsent(bare.id)).to.deep.equal({ participantId: null, reportIds: null, commissionedLabs: 'CMA 1' });
        const noFields = await store.insertRecord(storedForm({ body: { id: 'd' } }));
        expect(await store.batchConsent(noFields.id)).to.deep.equal({ participantId: null, reportIds: undefined, commissionedLabs: undefined });
        // A report is not a batch, even with the same fields.
        const report = await store.insertRecord(storedForm({ type: 'SeleniumTestReport', body: { id: 'e', commissionedLabs: ['CMA 1'] } }));
        expect(await store.batchConsent(report.id)).to.equal(undefined);
        expect(await store.batchConsent('nope')).to.equal(undefined);
        // A batch's body cannot be damaged in place: the index on its GTIN parses it, and refuses the write.
        expect(String(await rejection(h.damageBody(batch.id)))).to.match(/malformed JSON|invalid input syntax for type json/);
        expect((await store.batchConsent(batch.id))?.reportIds).to.deep.equal(['R-1', '紫阳-2']);
      });

      it('When a stored body is damaged, Then the record still reads, with a fault naming it and {} for the body', async () => {
        const rec = await store.insertRecord(storedForm({ type: 'SeleniumTestReport' }));
        await h.damageBody(rec.id);
        const got = (await store.getRecord(rec.id))!;
        expect(got.fault).to.contain('body');
        expect(got.body).to.deep.equal({});
        expect((await store.listRecords({})).find((r) => r.id === rec.id)?.fault).to.contain('body');
      });
    });

    describe('data-sharing trails', () => {
      it('When a trail has seq 1..12 stored out of order, Then it reads in seq order (numerically), by range, after a record, and limited', async () => {
        const dept = id32(0xd1);
        const order = [2, 1, 10, 3, 4, 12, 5, 6, 7, 11, 8, 9];
        for (const seq of order) await store.insertRecord(share(dept, seq, null, false));
        await store.insertRecord(share(id32(0xd2), 1, null, false));
        const seqs = (rs: { body: Record<string, unknown> }[]) => rs.map((r) => r.body.seq);
        const all = await store.trailRecords(dept);
        expect(seqs(all)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        expect(seqs(await store.trailRecords(dept, { fromSeq: 9, toSeq: 11 }))).to.deep.equal([9, 10, 11]);
        expect(seqs(await store.trailRecords(dept, { after: { seq: 10, arrival: all[9]!.arrival }, limit: 1 }))).to.deep.equal([11]);
        expect((await store.lastTrailRecord(dept))?.body.seq).to.equal(12);
        expect(await store.lastTrailRecord(id32(0xd3))).to.equal(undefined);
        // The same pages as stored text: the same records, order and paging, the JSON columns unparsed.
        for (const q of [{}, { fromSeq: 9, toSeq: 11 }, { after: { seq: 10, arrival: all[9]!.arrival }, limit: 1 }, { limit: 5 }]) {
          const parsed = await store.trailRecords(dept, q);
          const texts = await store.trailRecordTexts(dept, q);
          expect(texts.map((t) => [t.id, t.arrival, t.leafIndex, t.seq, t.entry, JSON.parse(t.body), JSON.parse(t.salts)])).to.deep.equal(
            parsed.map((r) => [r.id, r.arrival, r.leafIndex, r.body.seq, r.entry, r.body, r.salts]),
          );
        }
        const pages: number[][] = [];
        for (let after: { seq: number; arrival: number } | undefined; ; ) {
          const page = await store.trailRecordTexts(dept, { after, limit: 5 });
          if (page.length === 0) break;
          pages.push(page.map((t) => t.seq));
          after = { seq: page[page.length - 1]!.seq, arrival: page[page.length - 1]!.arrival };
        }
        expect(pages).to.deep.equal([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]);
        const summaries = await store.trailSummaries();
        expect(summaries).to.deep.equal([
          { departmentId: dept, records: 12, lastSeq: 12, lastIssuedAt: '2026-01-01T00:00:00Z' },
          { departmentId: id32(0xd2), records: 1, lastSeq: 1, lastIssuedAt: '2026-01-01T00:00:00Z' },
        ]);
      });

      it('When a trail is cut where its ranges end (trailPageEnd) and each range is read by another connection (readTrailRange), Then the ranges read exactly the trail pages do, each record once, even one slipped in between the cut and the read', async () => {
        const source = store.trailReadSource?.();
        if (source === undefined) {
          // Only SQLite lets a verifier's threads open the database themselves; PostgreSQL's trails are read page by page.
          expect(name).to.equal('PostgreSQL');
          expect(store.trailPageEnd).to.equal(undefined);
          return;
        }
        const dept = id32(0xd6);
        for (const seq of [3, 1, 2, 5, 4, 6, 7, 9, 8, 10, 11]) await store.insertRecord(share(dept, seq, null, false));
        await store.insertRecord(share(dept, 5, null, false)); // a second seq 5, arriving later
        await store.insertRecord(share(id32(0xd7), 1, null, false)); // another department's
        const rangesOf = async (q: { fromSeq?: number; toSeq?: number }, size: number, between: () => Promise<void> = async () => {}) => {
          const read: StoredTrailText[][] = [];
          for (let after: TrailKey | undefined; ; ) {
            const to = await store.trailPageEnd!({ departmentId: dept, ...q, after }, size);
            await between();
            read.push(readTrailRange(source, { departmentId: dept, ...q, after, to }));
            if (to === undefined) break;
            after = to;
          }
          return read;
        };
        for (const q of [{}, { fromSeq: 4 }, { fromSeq: 4, toSeq: 9 }, { toSeq: 2 }, { fromSeq: 40 }]) {
          for (const size of [1, 3, 4, 100]) {
            const ranges = await rangesOf(q, size);
            expect(ranges.flat(), `${JSON.stringify(q)} in ranges of ${size}`).to.deep.equal(await store.trailRecordTexts(dept, q));
            expect(ranges.slice(0, -1).every((r) => r.length === size)).to.equal(true);
          }
        }
        // Records arriving while the trail is read: one slipped in with an old seq into the range about to be read lands in it, once; a new last one in the last range.
        let added = 0;
        const ranges = await rangesOf({}, 4, async () => {
          if (added++ === 1) {
            await store.insertRecord(share(dept, 6, null, false));
            await store.insertRecord(share(dept, 12, null, false));
          }
        });
        const all = await store.trailRecordTexts(dept);
        expect(all.length).to.equal(14);
        expect(ranges.flat()).to.deep.equal(all);
        expect(new Set(ranges.flat().map((r) => r.id)).size).to.equal(14);
        expect(ranges[1]!.map((r) => r.seq)).to.deep.equal([5, 5, 6, 6, 7]);
      });

      it('When two records share a seq, Then both read (seq, then arrival), and the last to arrive is the last record', async () => {
        const dept = id32(0xd4);
        const a = await store.insertRecord(share(dept, 1, null, false));
        const b = await store.insertRecord(share(dept, 1, null, false));
        expect((await store.trailRecords(dept)).map((r) => r.id)).to.deep.equal([a.id, b.id]);
        expect((await store.lastTrailRecord(dept))?.id).to.equal(b.id);
        expect((await store.trailRecords(dept, { after: { seq: 1, arrival: a.arrival } })).map((r) => r.id)).to.deep.equal([b.id]);
      });

      it('When records carry a trail link, Then only the next of the trail is stored: a wrong seq or prevHash is refused naming the last record', async () => {
        const dept = id32(0xd5);
        const wrongFirst = await conflictOf(store.insertRecord({ ...share(dept, 2, null), trailLink: { seq: 2, prevHash: GENESIS } }));
        expect(wrongFirst).to.deep.include({ what: 'seq', subject: dept, existingId: undefined });
        const r1 = share(dept, 1, null);
        await store.insertRecord(r1);
        const r2 = share(dept, 2, r1);
        const [ok, repeated] = await store.insertRecordsEach([r2, share(dept, 2, r1)]);
        expect(ok).to.not.be.instanceOf(StoreConflictError);
        expect(repeated).to.deep.include({ what: 'seq', existingId: r2.id });
        const badPrev = await conflictOf(store.insertRecord({ ...share(dept, 3, r1) }));
        expect(badPrev).to.deep.include({ what: 'seq', subject: dept, existingId: r2.id });
        await store.insertRecords([share(dept, 3, r2)].flatMap((r3) => [r3, share(dept, 4, r3)]));
        expect((await store.lastTrailRecord(dept))?.body.seq).to.equal(4);
        // All or nothing: a broken link anywhere refuses the whole set.
        const last = (await store.lastTrailRecord(dept))!;
        const r5 = share(dept, 5, last);
        expect((await conflictOf(store.insertRecords([r5, share(dept, 7, r5)]))).what).to.equal('seq');
        expect(await store.getRecord(r5.id)).to.equal(undefined);
      });

      it('When two instances insert the same next seq of a trail at once, many times, Then exactly one of each pair is stored', async () => {
        const other = await another();
        for (let round = 0; round < 10; round++) {
          const dept = id32(0xe000 + round);
          const first = share(dept, 1, null);
          await store.insertRecord(first);
          const outcomes = await Promise.allSettled([store.insertRecord(share(dept, 2, first)), other.insertRecord(share(dept, 2, first))]);
          expect(outcomes.filter((o) => o.status === 'fulfilled').length, `round ${round}`).to.equal(1);
          const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
          expect(refused.reason).to.be.instanceOf(StoreConflictError);
          expect((refused.reason as StoreConflictError).what).to.equal('seq');
          expect((await store.trailRecords(dept)).length).to.equal(2);
        }
      });
    });

    describe('the log', () => {
      it('When records are sequenced, Then they take leaf indexes in arrival order, and the head, nodes and leaves give the RFC 6962 root', async () => {
        const recs = Array.from({ length: 13 }, () => storedForm());
        for (const r of recs) await store.insertRecord(r);
        await store.insertRecord(share(id32(0xd6), 1, null, false));
        expect((await store.countUnsequenced('products')).count).to.equal(13);
        expect((await store.countUnsequenced('products')).oldestReceivedAt).to.be.a('number');
        expect(await store.logHead('products')).to.deep.equal({ size: 0, root: rootHash([]) });
        expect((await store.sequencePending('products', 5)).appended).to.be.within(1, 5);
        while ((await store.sequencePending('products', 5)).appended > 0);
        const head = await store.logHead('products');
        expect(head.size).to.equal(13);
        expect(toHex(head.root)).to.equal(toHex(rootHash(recs.map((r) => r.leafHash))));
        expect((await store.countUnsequenced('products')).count).to.equal(0);
        expect((await store.countUnsequenced('products')).oldestReceivedAt).to.equal(null);
        expect((await store.logHead('data-sharing')).size).to.equal(0);

        expect((await store.leafHashes('products', 3, 6)).map(toHex)).to.deep.equal(recs.slice(3, 6).map((r) => toHex(r.leafHash)));
        const plan = planRoot(13);
        const nodes = await store.nodeReader('products').readNodes(plan.ids);
        expect(nodes.every((x: Hash) => x.length === 32)).to.equal(true);
        expect((await store.getRecordByLeafIndex('products', 4))?.id).to.equal(recs[4]!.id);
        expect((await store.getRecord(recs[12]!.id))?.leafIndex).to.equal(12);
        expect(await store.getRecordByLeafIndex('products', 13)).to.equal(undefined);
        const entries = await store.logEntries('products', 2, 4);
        expect(entries).to.deep.equal([2, 3].map((i) => ({ recordId: recs[i]!.id, leafIndex: i, entry: recs[i]!.entry, subject: null })));
        expect(await store.firstLostLeaf('products', 13)).to.equal(null);
        expect(await store.firstLostLeaf('products', 14)).to.equal(13);
        const missing = await rejection(store.nodeReader('products').readNodes([{ level: 9, index: 0 }]));
        expect(missing).to.be.instanceOf(InvariantError);
      });

      it('When a log with nothing waiting is sequenced, Then nothing is appended and its head stays empty', async () => {
        expect(await store.sequencePending('data-sharing', 10)).to.deep.equal({ appended: 0, size: 0, root: rootHash([]) });
        expect(await store.logHead('data-sharing')).to.deep.equal({ size: 0, root: rootHash([]) });
      });

      it('When log entries are asked without one subject, Then that subject’s records are left out', async () => {
        const d1 = id32(0xd7);
        const d2 = id32(0xd8);
        await store.insertRecord(share(d1, 1, null, false));
        await store.insertRecord(share(d2, 1, null, false));
        await store.insertRecord(storedForm({ logId: 'data-sharing', type: 'ShareRequest' }));
        await store.sequencePending('data-sharing', 100);
        expect((await store.logEntries('data-sharing', 0, 3, { excludeSubject: d1 })).map((e) => e.subject)).to.deep.equal([d2, null]);
      });

      it('When two instances sequence one log at once, Then the log is one consistent log: each record once, the root as computed in one go', async () => {
        const other = await another();
        const recs = Array.from({ length: 120 }, () => storedForm());
        await store.insertRecords(recs.slice(0, 60));
        const drain = async (s: Store) => {
          for (let i = 0; i < 200; i++) {
            if ((await s.sequencePending('products', 7)).appended === 0 && (await s.countUnsequenced('products')).count === 0) return;
          }
        };
        const inserting = (async () => {
          for (const r of recs.slice(60)) await other.insertRecord(r);
        })();
        await Promise.all([drain(store), drain(other), inserting]);
        await drain(store);
        const head = await other.logHead('products');
        expect(head.size).to.equal(120);
        const leaves = await store.leafHashes('products', 0, 120);
        expect(toHex(head.root)).to.equal(toHex(rootHash(leaves)));
        // Each record once, and every record's leaf index names it.
        expect(new Set(leaves.map(toHex)).size).to.equal(120);
        for (let i = 0; i < 120; i += 17) expect((await store.getRecordByLeafIndex('products', i))!.leafIndex).to.equal(i);
        const nodes = await other.nodeReader('products').readNodes(planRoot(120).ids);
        expect(nodes.length).to.equal(planRoot(120).ids.length);
      });
    });

    describe('checkpoints', () => {
      it('When checkpoints are put and updated, Then they read back by size and status; the same size with another root is refused', async () => {
        const c1 = await store.putCheckpoint({ logId: 'products', size: 1, root: 'aa' });
        expect(c1).to.deep.include({ logId: 'products', size: 1, root: 'aa', status: 'pending', chainId: null, attempts: 0, lastError: null });
        expect(await store.putCheckpoint({ logId: 'products', size: 1, root: 'aa', status: 'confirmed' })).to.deep.include({ status: 'pending' });
        expect(await rejection(store.putCheckpoint({ logId: 'products', size: 1, root: 'bb' }))).to.be.instanceOf(InvariantError);
        await store.putCheckpoint({ logId: 'products', size: 5, root: 'cc', status: 'submitted', chainId: 31337, txHash: '0x01', attempts: 1 });
        const updated = await store.updateCheckpoint('products', 5, { status: 'confirmed', blockNumber: 9, blockTime: 1_700_000_000, contract: '0xc' });
        expect(updated).to.deep.include({ status: 'confirmed', blockNumber: 9, blockTime: 1_700_000_000, chainId: 31337, txHash: '0x01', contract: '0xc', attempts: 1 });
        expect(updated.updatedAt).to.be.at.least(updated.createdAt);
        expect(await rejection(store.updateCheckpoint('products', 6, { status: 'confirmed' }))).to.be.instanceOf(InvariantError);
        await store.putCheckpoint({ logId: 'products', size: 8, root: 'dd', status: 'orphaned' });
        expect((await store.listCheckpoints('products')).map((c) => c.size)).to.deep.equal([1, 5, 8]);
        expect((await store.listCheckpoints('products', 'confirmed')).map((c) => c.size)).to.deep.equal([5]);
        expect((await store.latestCheckpoint('products'))?.size).to.equal(5);
        expect((await store.latestCheckpoint('products', 'orphaned'))?.size).to.equal(8);
        expect(await store.latestCheckpoint('data-sharing')).to.equal(undefined);
      });
    });

    describe('participants, keys, product keys, tokens, kv', () => {
      it('When participants and keys are upserted, Then they read back (addresses lowercased), change on a second upsert, and reset turns them inactive', async () => {
        const lab = { id: id32(1), kind: 'lab' as const, name: 'lab', code: '202727050001', validFrom: 0, validTo: 2e9, data: { registeredAt: 1 }, active: true };
        await store.upsertParticipant(lab);
        await store.upsertParticipant({ id: id32(2), kind: 'producer', name: 'a producer', code: 'X', validFrom: null, validTo: null, data: {}, active: true });
        expect(await store.getParticipant(id32(1))).to.deep.equal(lab);
        const key = { address: '0xAbCdEf0000000000000000000000000000000001', participantId: id32(1), validFrom: 10, validTo: 20, revokedAt: null };
        await store.upsertKey(key);
        expect(await store.keysOf(key.address.toUpperCase().replace('0X', '0x'))).to.deep.equal([{ ...key, address: key.address.toLowerCase() }]);
        await store.upsertKey({ ...key, revokedAt: 15 });
        expect((await store.keysOfParticipant(id32(1)))[0]?.revokedAt).to.equal(15);
        await store.upsertParticipant({ ...lab, name: 'renamed' });
        expect((await store.getParticipant(id32(1)))?.name).to.equal('renamed');
        expect((await store.listParticipants('lab')).map((p) => p.id)).to.deep.equal([id32(1)]);
        expect((await store.listParticipants()).map((p) => p.kind)).to.deep.equal(['lab', 'producer']);

        await store.upsertProductKey({ key: '690123', producerId: id32(2).toUpperCase().replace('0X', '0x') });
        await store.upsertProductKey({ key: '06901234567892', producerId: id32(2) });
        expect(await store.productKeysOf(id32(2))).to.deep.equal(['06901234567892', '690123']);
        expect(await store.productKeyOwner('06901234567892')).to.equal(id32(2));
        expect(await store.productKeyOwner('16901239999999')).to.equal(id32(2));
        expect(await store.productKeyOwner('06911111111111')).to.equal(undefined);
        expect(await store.productKeyOwner('nonsense')).to.equal(undefined);

        await store.setKv('mirror:x', '1');
        await store.resetMirror();
        expect(await store.keysOf(key.address)).to.deep.equal([]);
        expect(await store.productKeysOf(id32(2))).to.deep.equal([]);
        expect((await store.getParticipant(id32(1)))?.active).to.equal(false);
        expect(await store.getKv('mirror:x')).to.equal(undefined);
      });

      it('When another instance changes a participant or key, Then this instance reads the change (no stale cache across instances)', async function () {
        if (!h.separateClients) this.skip();
        const other = await another();
        const p = { id: id32(3), kind: 'lab' as const, name: 'before', code: 'C', validFrom: 0, validTo: 1, data: {}, active: true };
        await store.upsertParticipant(p);
        await store.upsertKey({ address: addr(3), participantId: id32(3), validFrom: 0, validTo: 1, revokedAt: null });
        expect((await store.getParticipant(id32(3)))?.name).to.equal('before');
        expect((await store.keysOf(addr(3)))[0]?.revokedAt).to.equal(null);
        await other.upsertParticipant({ ...p, name: 'after' });
        await other.upsertKey({ address: addr(3), participantId: id32(3), validFrom: 0, validTo: 1, revokedAt: 1 });
        expect((await store.getParticipant(id32(3)))?.name).to.equal('after');
        expect((await store.keysOf(addr(3)))[0]?.revokedAt).to.equal(1);
      });

      it('When tokens are issued and revoked, Then they read back in issue order and a revocation is kept once', async () => {
        await store.upsertParticipant({ id: id32(2), kind: 'producer', name: 'p', code: 'X', validFrom: null, validTo: null, data: {}, active: true });
        await store.insertToken({ tokenHash: 'h2', role: 'producer', participantId: id32(2), label: 'console', createdAt: 2, revokedAt: null });
        await store.insertToken({ tokenHash: 'h1', role: 'auditor', participantId: null, label: '', createdAt: 1, revokedAt: null });
        expect((await store.listTokens()).map((t) => t.tokenHash)).to.deep.equal(['h1', 'h2']);
        expect(await store.getToken('h2')).to.deep.equal({ tokenHash: 'h2', role: 'producer', participantId: id32(2), label: 'console', createdAt: 2, revokedAt: null });
        await store.revokeToken('h2', 50);
        await store.revokeToken('h2', 60);
        expect((await store.getToken('h2'))?.revokedAt).to.equal(50);
        expect(await store.getToken('nope')).to.equal(undefined);
        expect(await rejection(store.insertToken({ tokenHash: 'h1', role: 'auditor', participantId: null, label: '', createdAt: 3, revokedAt: null }))).to.be.instanceOf(Error);
      });

      it('When kv pairs are set, Then they read back and a second set replaces the value', async () => {
        expect(await store.getKv('k')).to.equal(undefined);
        await store.setKv('k', 'v1');
        await store.setKv('k', 'v2');
        expect(await store.getKv('k')).to.equal('v2');
        await store.ping();
      });
    });

    describe('leases and locks', () => {
      it('When a lease is taken, Then its holder renews it in the same term, another holder is refused until it lapses, and a takeover starts a new term', async () => {
        const other = await another();
        const first = (await store.takeLease('leader', 'A', 400))!;
        expect(first).to.deep.include({ name: 'leader', holder: 'A', term: 1 });
        expect(await other.takeLease('leader', 'B', 400)).to.equal(undefined);
        const renewed = (await store.takeLease('leader', 'A', 400))!;
        expect(renewed.term).to.equal(1);
        expect(renewed.expiresAt).to.be.at.least(first.expiresAt);
        expect(await other.getLease('leader')).to.deep.include({ holder: 'A', term: 1 });
        // Wait until it lapses (by the database's clock), then B takes over.
        let taken;
        for (let i = 0; i < 100 && !taken; i++) {
          taken = await other.takeLease('leader', 'B', 60_000);
          if (!taken) await sleep(50);
        }
        expect(taken).to.deep.include({ holder: 'B', term: 2 });
        expect(await store.takeLease('leader', 'A', 400)).to.equal(undefined);
        // A release frees it at once; the next holder is in term 3.
        await store.releaseLease('leader', 'A');
        expect(await store.takeLease('leader', 'A', 400)).to.equal(undefined);
        await other.releaseLease('leader', 'B');
        expect(await store.takeLease('leader', 'A', 60_000)).to.deep.include({ holder: 'A', term: 3 });
        expect(await store.getLease('other')).to.equal(undefined);
      });

      it('When two instances contend for one lease many times at once, Then each time at most one holds it', async () => {
        const other = await another();
        for (let round = 0; round < 10; round++) {
          const got = await Promise.all([store.takeLease(`l${round}`, 'A', 60_000), other.takeLease(`l${round}`, 'B', 60_000)]);
          expect(got.filter((g) => g !== undefined).length, `round ${round}`).to.equal(1);
        }
      });

      it('When two instances run under one lock at once, Then their runs never overlap; another lock name does not wait', async () => {
        const other = await another();
        const events: string[] = [];
        let inside = 0;
        let overlapped = false;
        const run = (s: Store, who: string) =>
          s.withLock('chain-write', async () => {
            inside++;
            if (inside > 1) overlapped = true;
            events.push(`${who}+`);
            await sleep(5);
            events.push(`${who}-`);
            inside--;
            return who;
          });
        const results = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => run(i % 2 ? other : store, `${i}`)));
        expect(results).to.deep.equal(['0', '1', '2', '3', '4', '5']);
        expect(overlapped, events.join(' ')).to.equal(false);
        expect(events.length).to.equal(12);
        // A failing run releases the lock.
        expect(await rejection(store.withLock('chain-write', async () => Promise.reject(new Error('boom'))))).to.have.property('message', 'boom');
        expect(await other.withLock('chain-write', async () => 'after')).to.equal('after');
        // Under one lock, another lock is free.
        expect(await store.withLock('a', () => other.withLock('b', async () => 'nested'))).to.equal('nested');
      });
    });
  });
}
