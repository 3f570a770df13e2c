import { expect } from 'chai';
import type Database from 'better-sqlite3';
import { CachedChainReader } from '../../../server/chain/cached-reader';
import { RpcChainReader } from '../../../server/chain/reader';
import type { AppError } from '../../../server/errors';
import type { SqliteStore } from '../../../server/store/sqlite';
import type { System } from '../../../server/system';
import { trailHead } from '../../../server/trails/lifecycle';
import { TRAIL_STEPS, getTrail, listDepartments, verifyTrail, type TrailStepName, type TrailVerification } from '../../../server/trails/trail';
import { trailMessageText as messageText } from '../../../server/verification/trail-messages';
import { bootTestSystem, eventually } from '../../support/system';
import { completeShare, craftStoredRecord, isoAt, randomKey, registerDepartment, signedShareStep, type Department } from '../../support/trails';
import { CJK, englishWordsIn } from './localized';

type Row = Record<string, unknown>;

/** Saves the rows of `ids` (records and log_leaves) so a test can tamper with them and put them back exactly. */
function saveRows(db: Database.Database, ids: readonly string[]): () => void {
  const marks = ids.map(() => '?').join(',');
  const records = db.prepare(`SELECT * FROM records WHERE id IN (${marks})`).all(...ids) as Row[];
  const leaves = db.prepare(`SELECT * FROM log_leaves WHERE record_id IN (${marks})`).all(...ids) as Row[];
  const insert = (table: string, row: Row) => {
    const cols = Object.keys(row);
    db.prepare(`INSERT INTO ${table} (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`).run(...cols.map((c) => row[c]));
  };
  return () =>
    db.transaction(() => {
      db.prepare(`DELETE FROM log_leaves WHERE record_id IN (${marks})`).run(...ids);
      db.prepare(`DELETE FROM records WHERE id IN (${marks})`).run(...ids);
      for (const r of records) insert('records', r);
      for (const l of leaves) insert('log_leaves', l);
    })();
}

function deleteRecord(db: Database.Database, id: string): void {
  db.transaction(() => {
    db.prepare('DELETE FROM log_leaves WHERE record_id = ?').run(id);
    db.prepare('DELETE FROM records WHERE id = ?').run(id);
  })();
}

/** Every step result says its outcome as a trail message code with value parameters, in English (`message`) and Chinese (`message_zh`). */
function expectLocalized(v: TrailVerification): TrailVerification {
  for (const s of v.steps) {
    const what = JSON.stringify(s);
    expect(s.code, what).to.match(/^trail[A-Z]/);
    expect(s.message, what).to.equal(messageText(s.code, s.params, 'en')).and.not.match(CJK);
    expect(s.message_zh, what).to.equal(messageText(s.code, s.params, 'zh')).and.match(CJK);
    expect(englishWordsIn(s.message_zh, s.params), what).to.deep.equal([]);
    for (const p of Object.values(s.params)) expect(String(p), `${what}: a parameter is a value, not prose`).to.not.match(/\s/);
  }
  return v;
}

function expectFailure(v: TrailVerification, step: TrailStepName, seq: number | null): void {
  const detail = JSON.stringify(v.steps, null, 1);
  expect(v.verdict, detail).to.equal('invalid');
  expect(v.firstProblem?.step, detail).to.equal(step);
  if (seq !== null) expect(v.firstProblem?.seq, detail).to.equal(seq);
  expect(Object.keys(v.firstProblem!).sort()).to.deep.equal(['recordId', 'seq', 'step']);
  const failed = v.steps.find((s) => s.step === step)!;
  expect(failed.status).to.equal('failed');
  expect(failed.message).to.be.a('string').and.not.equal('');
}

describe('server/trails/trail (real anvil node)', function () {
  this.timeout(240_000);
  let sys: System;
  let db: Database.Database;
  let market: Department;
  let agriculture: Department;
  let backdater: Department;
  let rogue: Department;
  const deps = () => ({ store: sys.store, reader: new CachedChainReader(new RpcChainReader(sys.provider, sys.deployment), sys.store), deployment: sys.deployment });
  const verify = async (d: Department) => expectLocalized(await verifyTrail(deps(), d.id));
  const idOfSeq = async (d: Department, seq: number) => (await sys.store.trailRecords(d.id, { fromSeq: seq, toSeq: seq }))[0]!.id;

  before(async () => {
    sys = await bootTestSystem();
    db = (sys.store as SqliteStore).db;
    market = await registerDepartment(sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(sys, 2, '安康市农业农村局');
    backdater = await registerDepartment(sys, 3, '安康市自然资源局');
    rogue = await registerDepartment(sys, 4, '安康市林业局');
    for (const tag of ['a', 'b', 'c']) await completeShare(market, agriculture, tag);
    for (const tag of ['d', 'e']) await backdater.request(agriculture, { id: `req-${tag}` });
    await rogue.request(agriculture, { id: 'req-rogue' });
    for (const d of [market, agriculture, backdater, rogue]) await eventually(async () => (await verify(d)).verdict === 'valid');
  });
  after(async () => sys?.stop());

  describe('reading', () => {
    it('When departments are listed, Then each shows its registry name, record count and last seq', async () => {
      const list = await listDepartments(sys.store);
      const m = list.find((d) => d.departmentId === market.id)!;
      expect(m).to.deep.include({ name: '安康市市场监督管理局', uscc: market.uscc, active: true, records: 6, lastSeq: 6 });
      expect(list.find((d) => d.departmentId === agriculture.id)).to.deep.include({ records: 6, lastSeq: 6 });
    });

    it('When a trail is read, Then its records come in seq order with public fields only, leaf index, leaf hash and anchored status', async () => {
      const trail = await getTrail(sys.store, market.id);
      expect(trail.department).to.deep.equal({ name: '安康市市场监督管理局', uscc: market.uscc });
      expect(trail.entries.map((e) => e.seq)).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(trail.entries.map((e) => e.step)).to.deep.equal(['request', 'receipt', 'request', 'receipt', 'request', 'receipt']);
      for (const e of trail.entries) {
        expect(e.status).to.equal('anchored');
        expect(e.leafIndex).to.be.a('number');
        expect(e.fields).to.not.have.property('requestingOfficer');
        expect(e.fields).to.have.property('catalogueItem');
      }
      expect(trail.entries[1]!.prevHash).to.equal(trail.entries[0]!.leafHash);
      expect(trail.next).to.equal(null);
    });

    it('When a trail is read a page at a time, Then the pages join up through `next`', async () => {
      const first = await getTrail(sys.store, market.id, { limit: 4 });
      expect(first.entries.map((e) => e.seq)).to.deep.equal([1, 2, 3, 4]);
      expect(first.next).to.equal(5);
      const second = await getTrail(sys.store, market.id, { from: first.next!, limit: 4 });
      expect(second.entries.map((e) => e.seq)).to.deep.equal([5, 6]);
      expect(second.next).to.equal(null);
    });
  });

  describe('verification of clean trails', () => {
    it('When the trails are untouched and anchored, Then every step passes for each department', async () => {
      for (const d of [market, agriculture]) {
        const v = await verify(d);
        expect(v.verdict, JSON.stringify(v.steps)).to.equal('valid');
        expect(v.steps.map((s) => s.step)).to.deep.equal([...TRAIL_STEPS]);
        expect(v.steps.every((s) => s.status === 'passed')).to.equal(true);
        expect(v.entries).to.equal(6);
        expect(v.firstProblem).to.equal(undefined);
        expect(v.checkpoint!.root).to.match(/^0x[0-9a-f]{64}$/);
      }
    });

    it('When a department has no records, Then its trail is valid and empty', async () => {
      const quiet = await registerDepartment(sys, 9, '安康市档案馆');
      const v = await verify(quiet);
      expect(v).to.deep.include({ verdict: 'valid', entries: 0 });
    });
  });

  describe('tampering with the database', () => {
    it('When a record in the middle is deleted from the database, Then the trail is invalid at sequenceHasNoGap, naming the record after the gap', async () => {
      const id = await idOfSeq(market, 3);
      const restore = saveRows(db, [id]);
      deleteRecord(db, id);
      try {
        expectFailure(await verify(market), 'sequenceHasNoGap', 4);
      } finally {
        restore();
      }
      expect((await verify(market)).verdict).to.equal('valid');
    });

    it('When the last record is deleted (the trail truncated), Then the hole it leaves in the anchored log fails sequenceHasNoGap', async () => {
      const id = await idOfSeq(market, 6);
      const restore = saveRows(db, [id]);
      deleteRecord(db, id);
      try {
        const v = await verify(market);
        expectFailure(v, 'sequenceHasNoGap', null);
        expect(v.entries).to.equal(5);
        expect(v.steps.find((s) => s.step === 'sequenceHasNoGap')!.message).to.contain('no stored record');
      } finally {
        restore();
      }
      expect((await verify(market)).verdict).to.equal('valid');
    });

    it('When a record is hidden from the trail (filed under another subject), Then it is found by its signer and fails sequenceHasNoGap', async () => {
      const id = await idOfSeq(market, 6);
      const restore = saveRows(db, [id]);
      db.prepare('UPDATE records SET subject = ? WHERE id = ?').run(agriculture.id, id);
      try {
        const v = await verify(market);
        expectFailure(v, 'sequenceHasNoGap', null);
        expect(v.firstProblem!.recordId).to.equal(id);
      } finally {
        restore();
      }
      expect((await verify(market)).verdict).to.equal('valid');
    });

    it('When a field of a stored record is edited, Then its body no longer matches its signed record root and hashLinksUnbroken fails at it', async () => {
      const id = await idOfSeq(market, 3);
      const restore = saveRows(db, [id]);
      const rec = (await sys.store.getRecord(id))!;
      db.prepare('UPDATE records SET body = ? WHERE id = ?').run(JSON.stringify({ ...rec.body, purpose: '用于商业营销' }), id);
      try {
        const v = await verify(market);
        expectFailure(v, 'hashLinksUnbroken', 3);
        expect(v.steps.find((s) => s.step === 'allEntriesAnchored')!.status, 'the log entry itself is intact').to.equal('passed');
      } finally {
        restore();
      }
      expect((await verify(market)).verdict).to.equal('valid');
    });

    it('When two records swap places in the log, Then their recomputed leaves are not at their anchored positions and allEntriesAnchored fails', async () => {
      const a = (await sys.store.getRecord(await idOfSeq(market, 2)))!;
      const b = (await sys.store.getRecord(await idOfSeq(market, 4)))!;
      const restore = saveRows(db, [a.id, b.id]);
      // Each claims the other's position: the log's leaves (their hashes) stay, the records they name are swapped.
      db.transaction(() => {
        const leafOf = db.prepare('SELECT log_id, leaf_index, leaf_hash FROM log_leaves WHERE record_id = ?');
        const [la, lb] = [leafOf.get(a.id), leafOf.get(b.id)] as { log_id: string; leaf_index: number; leaf_hash: Buffer }[];
        db.prepare('DELETE FROM log_leaves WHERE record_id IN (?, ?)').run(a.id, b.id);
        const insert = db.prepare('INSERT INTO log_leaves (log_id, leaf_index, record_id, leaf_hash) VALUES (?, ?, ?, ?)');
        insert.run(la!.log_id, la!.leaf_index, b.id, la!.leaf_hash);
        insert.run(lb!.log_id, lb!.leaf_index, a.id, lb!.leaf_hash);
      })();
      expect((await sys.store.getRecord(a.id))!.leafIndex).to.equal(b.leafIndex);
      try {
        const v = await verify(market);
        expectFailure(v, 'allEntriesAnchored', 2);
        expect(v.steps[0]!.message).to.contain('2 entries in all');
      } finally {
        restore();
      }
      expect((await verify(market)).verdict).to.equal('valid');
    });

    it('When a stored log entry is rewritten (another issuedAt), Then its leaf hash changes and allEntriesAnchored fails at it', async () => {
      const rec = (await sys.store.getRecord(await idOfSeq(market, 5)))!;
      const restore = saveRows(db, [rec.id]);
      db.prepare('UPDATE records SET entry = ? WHERE id = ?').run(rec.entry.replace(/"issuedAt":"[^"]+"/, '"issuedAt":"2020-01-01T00:00:00Z"'), rec.id);
      try {
        expectFailure(await verify(market), 'allEntriesAnchored', 5);
      } finally {
        restore();
      }
      expect((await verify(market)).verdict).to.equal('valid');
    });

    it('When a back-dated record is squeezed into a sequence (an earlier seq and time, a later leaf index), Then sequenceHasNoGap fails on the repeated seq', async () => {
      // An insider with the department's own key signs another "seq 2", dated before the real one,
      // and writes it straight into the database; the server then anchors it like any other row.
      const original = (await sys.store.trailRecords(backdater.id, { fromSeq: 1, toSeq: 2 }))!;
      const forged = await craftStoredRecord(
        sys,
        backdater.key,
        { ...original[1]!.body, id: backdater.idOf('req-backdated'), issuedAt: isoAt(Math.floor(Date.parse(original[1]!.issuedAt) / 1000) - 600), purpose: '事后补录的申请' },
        backdater.id,
      );
      await sys.store.insertRecord(forged);
      sys.worker.poke();
      const v = await eventually(async () => {
        const r = await verify(backdater);
        return r.steps[0]!.status === 'pending' ? undefined : r; // wait until the server anchored it
      });
      expectFailure(v, 'sequenceHasNoGap', 2);
      expect(v.firstProblem!.recordId).to.be.oneOf([backdater.idOf('req-backdated'), original[1]!.id]);
      expect(v.steps.find((s) => s.step === 'allEntriesAnchored')!.status).to.equal('passed');
      expect(v.steps.find((s) => s.step === 'signaturesValid')!.status, 'signed with the real key').to.equal('passed');
    });

    it('When a record signed by a key revoked before its issuedAt is written into the database, Then signaturesValid fails at it', async () => {
      const spare = randomKey();
      const now = Math.floor(Date.now() / 1000);
      await sys.registries.addKey(rogue.id, spare.address, now - 1800, now + 365 * 24 * 3600);
      await sys.registries.revokeKey(spare.address);
      await sys.mirror.sync();
      const revokedAt = (await sys.store.keysOf(spare.address))[0]!.revokedAt!;
      const input = {
        ...(await sys.store.trailRecords(rogue.id))[0]!.body,
        id: rogue.idOf('req-by-revoked-key'),
        issuedAt: isoAt(revokedAt + 1),
        ...(await trailHead(sys.store, rogue.id).then((h) => ({ seq: h.nextSeq, prevHash: h.prevHash }))),
      };
      // Ingest refuses it…
      const sub = await signedShareStep(sys, spare, input);
      let refused: unknown;
      await sys.ingest.submitSigned(sub).catch((e: unknown) => (refused = e));
      expect((refused as AppError).code).to.equal('key-revoked');
      // …so the attacker writes it into the database, and the server anchors it.
      await sys.store.insertRecord(await craftStoredRecord(sys, spare, input, rogue.id));
      sys.worker.poke();
      const v = await eventually(async () => {
        const r = await verify(rogue);
        return r.steps[0]!.status === 'pending' ? undefined : r; // wait until the server anchored it
      });
      expectFailure(v, 'signaturesValid', 2);
      expect(v.firstProblem!.recordId).to.equal(rogue.idOf('req-by-revoked-key'));
      expect(v.steps.find((s) => s.step === 'signaturesValid')!.message).to.contain('revoked');
      for (const step of ['allEntriesAnchored', 'sequenceHasNoGap', 'hashLinksUnbroken'] as const) {
        expect(v.steps.find((s) => s.step === step)!.status, step).to.equal('passed');
      }
    });

    it('When one department’s trail was tampered with, Then the other departments’ trails still verify', async () => {
      for (const d of [market, agriculture]) expect((await verify(d)).verdict).to.equal('valid');
    });

    it('When the anchored log is rebuilt a few leaves at a time, read ahead in part, in full or not at all, Then every answer is the one of a single window, a record hidden in another trail included', async () => {
      const answer = (v: TrailVerification) => JSON.stringify({ verdict: v.verdict, steps: v.steps, entries: v.entries, firstProblem: v.firstProblem ?? null, checkpoint: v.checkpoint });
      const windows = [
        { leaves: 1, readAhead: 0 },
        { leaves: 3, readAhead: 7 },
        { leaves: 4, readAhead: 1_000_000 },
        { leaves: 1_000_000, readAhead: 0 },
      ];
      const compare = async (what: string) => {
        for (const d of [market, agriculture, backdater, rogue]) {
          const whole = answer(await verifyTrail(deps(), d.id));
          for (const logWindow of windows) expect(answer(await verifyTrail({ ...deps(), logWindow }, d.id)), `${what}, ${d.id}, ${JSON.stringify(logWindow)}`).to.equal(whole);
        }
      };
      const size = (await sys.store.logHead('data-sharing')).size;
      expect(size, 'several windows of 1-4 leaves').to.be.greaterThan(10);
      await compare('as stored');
      const id = await idOfSeq(market, 6);
      const restore = saveRows(db, [id]);
      db.prepare('UPDATE records SET subject = ? WHERE id = ?').run(agriculture.id, id);
      try {
        const v = await verifyTrail({ ...deps(), logWindow: { leaves: 2, readAhead: 5 } }, market.id);
        expectFailure(v, 'sequenceHasNoGap', null);
        expect(v.firstProblem!.recordId, 'the stray is found in a window read ahead').to.equal(id);
        await compare('with a record of the market trail filed under agriculture');
      } finally {
        restore();
      }
    });
  });
});
