import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import { AppError } from '../../../server/errors';
import { RpcChainReader } from '../../../server/chain/reader';
import { buildBundle } from '../../../server/service/bundles';
import type { SqliteStore } from '../../../server/store/sqlite';
import type { System } from '../../../server/system';
import { verifyBundle } from '../../../server/verification/verify';
import { IngestService } from '../../../server/service/ingest';
import { canonicalString, commitRecord, createLogEntry, logEntryLeafHash } from '../../../server/records';
import { batchInput, batchInputNow, freshLot, issuedNow, reportInput, USCC } from '../records/fixtures';
import { FIXTURE_LAB_CMA, registeredLabOf, signedReport, storeReportBatch } from '../../support/records';
import { REGISTERED_SINCE, bootTestSystem, eventually, registerLab, registerProducer } from '../../support/system';
import { registerDepartment } from '../../support/trails';

const HOUR = 3600;
const DAY = 24 * HOUR;
const nowS = () => Math.floor(Date.now() / 1000);
/** Random salts for `names`, with `patch` applied (a weak salt for the tests below). */
const saltsWith = (patch: (salts: Record<string, string>) => void) => (names: readonly string[]) => {
  const salts = Object.fromEntries(names.map((n) => [n, randomBytes(16).toString('hex')]));
  patch(salts);
  return salts;
};

async function expectCode(p: Promise<unknown>, code: string): Promise<AppError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected AppError ${code}`).to.be.instanceOf(AppError);
  expect((err as AppError).code, (err as Error).message).to.equal(code);
  return err as AppError;
}

describe('server/service/ingest (real anvil node)', function () {
  this.timeout(120_000);
  let sys: System;
  let lab: { id: string; key: Wallet };
  let producerId: string;
  /** Lab A of the trust-rule attacks below: the reports' batch commissions it too. */
  const LAB_A_CMA = '202727050140';

  before(async () => {
    sys = await bootTestSystem();
    lab = await registerLab(sys);
    // The batch the reports are for, on record and commissioning their labs before any report arrives.
    ({ producerId } = await storeReportBatch(sys, { labs: [FIXTURE_LAB_CMA, LAB_A_CMA] }));
  });
  after(async () => sys?.stop());

  it('When a registered lab submits a signed report, Then it is accepted, anchored, and its inclusion proof verifies on chain', async () => {
    const sub = await signedReport(sys, lab.key);
    const ack = await sys.ingest.submitSigned(sub);
    expect(ack.status).to.equal('accepted');
    expect(ack.signer).to.equal(lab.key.address.toLowerCase());

    const bundle = await eventually(async () => {
      const b = await buildBundle(sys.store, sys.deployment, ack.id);
      return b.checkpoint ? b : undefined;
    });
    const onChain = await sys.chain.verifyInclusion(bundle.log.chainLogId, bundle.checkpoint!.size, bundle.log.leafIndex!, bundle.log.leafHash, bundle.log.inclusionProof);
    expect(onChain).to.equal(true);

    const reader = new RpcChainReader(sys.provider, sys.deployment);
    const result = await verifyBundle(bundle, { chain: reader, category: 'tea' });
    expect(result.verdict, JSON.stringify(result.steps, null, 1)).to.equal('valid');
    expect(result.classification?.tier).to.equal('selenium-rich');
  });

  it('When the same record is submitted twice, Then the second is refused as a replay', async () => {
    const sub = await signedReport(sys, lab.key);
    await sys.ingest.submitSigned(sub);
    await expectCode(sys.ingest.submitSigned(sub), 'replay');
  });

  it('When a report is signed by an unregistered key, Then it is refused with unknown-signer', async () => {
    await expectCode(sys.ingest.submitSigned(await signedReport(sys, Wallet.createRandom() as unknown as Wallet)), 'unknown-signer');
  });

  it('When a report is signed by an expired key, Then it is refused with key-expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await registerLab(sys, '202727050124', Wallet.createRandom() as unknown as Wallet, { from: now - 1000, to: now - 10 });
    await expectCode(sys.ingest.submitSigned(await signedReport(sys, expired.key)), 'key-expired');
  });

  it('When a report is signed by a revoked key, Then it is refused with key-revoked', async () => {
    const revoked = await registerLab(sys, '202727050125');
    await sys.registries.revokeKey(revoked.key.address);
    await sys.mirror.sync();
    await expectCode(sys.ingest.submitSigned(await signedReport(sys, revoked.key)), 'key-revoked');
  });

  it('When a signed value is changed after signing, Then the signature recovers another address and it is refused', async () => {
    const sub = await signedReport(sys, lab.key);
    const tampered = { ...sub, record: { ...sub.record, result: 0.5 } };
    await expectCode(sys.ingest.submitSigned(tampered), 'unknown-signer');
  });

  it('When a record fails its schema, Then it is refused with invalid-record and the field named', async () => {
    const sub = await signedReport(sys, lab.key);
    let err: AppError | undefined;
    try {
      await sys.ingest.submitSigned({ ...sub, record: { ...sub.record, lab: { ...sub.record.lab, cmaNumber: '12' } } });
    } catch (e) {
      err = e as AppError;
    }
    expect(err?.code).to.equal('invalid-record');
    expect(JSON.stringify(err?.details)).to.contain('cmaNumber');
  });

  it('When a stored record is edited in the database, Then its verification fails at checkFieldDisclosures', async () => {
    const ack = await sys.ingest.submitSigned(await signedReport(sys, lab.key));
    await eventually(async () => (await buildBundle(sys.store, sys.deployment, ack.id)).checkpoint);
    const db = (sys.store as SqliteStore).db;
    const row = db.prepare('SELECT body FROM records WHERE id = ?').get(ack.id) as { body: string };
    const body = JSON.parse(row.body) as { result: number };
    body.result = 0.9;
    db.prepare('UPDATE records SET body = ? WHERE id = ?').run(JSON.stringify(body), ack.id);

    const result = await verifyBundle(await buildBundle(sys.store, sys.deployment, ack.id), { chain: new RpcChainReader(sys.provider, sys.deployment) });
    expect(result.verdict).to.equal('invalid');
    expect(result.failedStep).to.equal('checkFieldDisclosures');
  });

  describe('text no store can keep (an attacker holding one valid key)', () => {
    it('When a lab signs a report holding U+0000 in a field, Then it is refused as invalid-record naming the field, and nothing is stored', async () => {
      const sub = await signedReport(sys, lab.key, { sample: { ...reportInput().sample, name: '富硒\u0000绿茶' } });
      const err = await expectCode(sys.ingest.submitSigned(sub), 'invalid-record');
      expect(err.status).to.equal(400);
      expect(err.details?.issues).to.deep.equal([{ path: 'sample.name', message: 'contains U+0000 (a NUL character), which traceledger does not store; remove it' }]);
      expect(await sys.store.getRecord(sub.record.id)).to.equal(undefined);
    });

    it('When a report holds a lone UTF-16 surrogate (no honest tooling can sign it), Then it is refused as invalid-record naming the field, before its salts or signature are looked at', async () => {
      const sub = await signedReport(sys, lab.key);
      const forged = { ...sub, record: { ...sub.record, sample: { ...sub.record.sample, name: '富硒\ud800绿茶' } } };
      const err = await expectCode(sys.ingest.submitSigned(forged), 'invalid-record');
      expect(err.details?.issues).to.deep.equal([{ path: 'sample.name', message: 'contains a lone UTF-16 surrogate (half of a character), which traceledger does not store; remove it' }]);
    });

    it('When a department signs a share step holding U+0000, Then it is refused as invalid-record (the trail index reads bodies as JSON on PostgreSQL)', async () => {
      const dept = await registerDepartment(sys, 41);
      const provider = await registerDepartment(sys, 42);
      const err = await expectCode(dept.request(provider, { id: `NUL-${Date.now()}`, purpose: '比对\u0000抽检结果' }), 'invalid-record');
      expect(err.details?.issues).to.deep.equal([{ path: 'purpose', message: 'contains U+0000 (a NUL character), which traceledger does not store; remove it' }]);
      expect(dept.seq, 'its sequence did not move').to.equal(0);
    });

    /** An ingest over the system's own store whose group commits throw `error` when they hold the record `poisoned`; the sizes of the groups it was asked to commit. */
    const refusingIngest = (poisoned: string, error: Error) => {
      const groups: number[] = [];
      const refusing = new Proxy(sys.store, {
        get(target, prop) {
          if (prop === 'insertRecordsEach') {
            return async (recs: readonly { id: string }[]) => {
              groups.push(recs.length);
              if (recs.some((r) => r.id === poisoned)) throw error;
              return target.insertRecordsEach(recs as never);
            };
          }
          const value = Reflect.get(target, prop) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const ingest = new IngestService(refusing, { chainId: sys.deployment.chainId, verifyingContract: sys.deployment.traceLedger }, new Wallet(`0x${'01'.repeat(32)}`));
      return { ingest, groups };
    };

    it("When the store refuses one record's data in a group commit (a refusal ingest did not foresee, as PostgreSQL's of U+0000 was), Then only that record is refused: the other submitters' records committed with it are accepted", async () => {
      const subs = await Promise.all(Array.from({ length: 6 }, () => signedReport(sys, lab.key)));
      const poisoned = subs[3]!.record.id;
      const { ingest, groups } = refusingIngest(poisoned, Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' }));
      const outcomes = await Promise.all(subs.map((sub) => ingest.submitSigned(sub).then((ack) => ack.status, (e: Error) => e.message)));
      expect(groups[0], 'the six shared one commit').to.equal(6);
      expect(outcomes).to.deep.equal(['accepted', 'accepted', 'accepted', 'unsupported Unicode escape sequence', 'accepted', 'accepted']);
      for (const sub of subs) expect(Boolean(await sys.store.getRecord(sub.record.id)), sub.record.id).to.equal(sub.record.id !== poisoned);
      expect(groups.length, 'a few more commits (halves), not one per record').to.be.at.most(7);
    });

    it('When a group commit fails for a reason that is not one record\'s data (a statement timeout, a lost connection), Then the whole group fails at once as before, nothing stored, without committing it again in parts', async () => {
      for (const code of ['57014', 'ECONNRESET', undefined]) {
        const subs = await Promise.all(Array.from({ length: 4 }, () => signedReport(sys, lab.key)));
        const { ingest, groups } = refusingIngest(subs[1]!.record.id, Object.assign(new Error(`the commit failed (${code ?? 'no code'})`), code ? { code } : {}));
        const outcomes = await Promise.all(subs.map((sub) => ingest.submitSigned(sub).then((ack) => ack.status, (e: Error) => e.message)));
        expect(groups, String(code)).to.deep.equal([4]);
        expect(new Set(outcomes), String(code)).to.deep.equal(new Set([`the commit failed (${code ?? 'no code'})`]));
        for (const sub of subs) expect(await sys.store.getRecord(sub.record.id)).to.equal(undefined);
      }
    });
  });

  describe('attacks on the trust rules (issue 9), each refused with its own code', () => {
    let labA: { id: string; key: Wallet };
    /** The lab fields of a report in lab A's own name, as registered. */
    let ownLab: ReturnType<typeof reportInput>['lab'];

    before(async () => {
      labA = await registerLab(sys, LAB_A_CMA, undefined, undefined, { name: '安康市甲检测中心' });
      await registerLab(sys, '202727050141', undefined, undefined, { name: '西安市乙检测有限公司' });
      ownLab = { ...reportInput().lab, ...(await registeredLabOf(sys, labA.key)) };
    });

    it("lab-impersonation: When lab A's valid key signs a report naming lab B's name and CMA number, Then lab-identity-mismatch names lab A", async () => {
      const sub = await signedReport(sys, labA.key, { lab: { ...ownLab, name: '西安市乙检测有限公司', cmaNumber: '202727050141' } });
      const err = await expectCode(sys.ingest.submitSigned(sub), 'lab-identity-mismatch');
      expect(err.status).to.equal(403);
      expect(err.message).to.contain('安康市甲检测中心').and.contain('CMA 202727050140');
      expect(err.details).to.deep.include({ mismatched: ['lab.name', 'lab.cmaNumber'] });
      expect(await sys.store.getRecord(sub.record.id)).to.equal(undefined);
    });

    it("lab-impersonation (CMA only): When lab A names lab B's CMA number under its own name, Then lab-identity-mismatch", async () => {
      await expectCode(sys.ingest.submitSigned(await signedReport(sys, labA.key, { lab: { ...ownLab, cmaNumber: '202727050141' } })), 'lab-identity-mismatch');
    });

    it('inflated-accreditation: When lab A states a CMA validity beyond the registered one, Then lab-identity-mismatch names lab.cmaValidUntil', async () => {
      const err = await expectCode(sys.ingest.submitSigned(await signedReport(sys, labA.key, { lab: { ...ownLab, cmaValidUntil: '2099-12-31' } })), 'lab-identity-mismatch');
      expect(err.details).to.deep.include({ mismatched: ['lab.cmaValidUntil'] });
    });

    it('back-dated-30-days: When a report is dated 30 days back, Then issued-at-too-old', async () => {
      const err = await expectCode(sys.ingest.submitSigned(await signedReport(sys, labA.key, { issuedAt: issuedNow(-30 * DAY) })), 'issued-at-too-old');
      expect(err.status).to.equal(400);
    });

    it('dated-1970: When a report is dated 1970-01-01, Then issued-at-too-old', async () => {
      await expectCode(sys.ingest.submitSigned(await signedReport(sys, labA.key, { issuedAt: '1970-01-01T00:00:00Z' })), 'issued-at-too-old');
    });

    it('dated-ahead: When a report is dated 10 minutes ahead, Then issued-at-in-future', async () => {
      const err = await expectCode(sys.ingest.submitSigned(await signedReport(sys, labA.key, { issuedAt: issuedNow(600) })), 'issued-at-in-future');
      expect(err.status).to.equal(400);
    });

    it('back-dated-by-expired-key: When a key that has expired signs a report dated 30 days back, Then it is refused', async () => {
      const expired = await registerLab(sys, '202727050142', undefined, { from: nowS() - REGISTERED_SINCE, to: nowS() - 60 });
      await expectCode(sys.ingest.submitSigned(await signedReport(sys, expired.key, { issuedAt: issuedNow(-30 * DAY) })), 'issued-at-too-old');
    });

    it('expired-key-inside-window: When a key that expired a minute ago signs a report dated half an hour ago (inside the window, when it was valid), Then key-not-valid-at-receipt', async () => {
      const expired = await registerLab(sys, '202727050143', undefined, { from: nowS() - REGISTERED_SINCE, to: nowS() - 60 });
      const err = await expectCode(sys.ingest.submitSigned(await signedReport(sys, expired.key, { issuedAt: issuedNow(-HOUR / 2) })), 'key-not-valid-at-receipt');
      expect(err.status).to.equal(403);
    });

    it('lapsed-accreditation-inside-window: When a lab whose accreditation ended a minute ago submits a report dated half an hour ago, Then accreditation-lapsed', async () => {
      const lapsed = await registerLab(sys, '202727050144', undefined, undefined, { accreditation: { from: nowS() - REGISTERED_SINCE, to: nowS() - 60 } });
      const err = await expectCode(sys.ingest.submitSigned(await signedReport(sys, lapsed.key, { issuedAt: issuedNow(-HOUR / 2) })), 'accreditation-lapsed');
      expect(err.status).to.equal(403);
    });

    it('all-zero-salts: When every salt is 32 zero digits, Then weak-salt', async () => {
      const sub = await signedReport(sys, labA.key, {}, { salts: (names) => Object.fromEntries(names.map((n) => [n, '0'.repeat(32)])) });
      const err = await expectCode(sys.ingest.submitSigned(sub), 'weak-salt');
      expect(err.status).to.equal(400);
    });

    it('repeated-salt: When one random salt is used for two fields (client and result), Then weak-salt names both', async () => {
      const sub = await signedReport(sys, labA.key, {}, { salts: saltsWith((s) => (s.result = s.client!)) });
      const err = await expectCode(sys.ingest.submitSigned(sub), 'weak-salt');
      expect(err.details).to.deep.equal({ field: 'result', otherField: 'client' });
    });

    it('patterned-salt: When the private client field gets a guessable salt ("deadbeef" × 4), Then weak-salt', async () => {
      const sub = await signedReport(sys, labA.key, {}, { salts: saltsWith((s) => (s.client = 'deadbeef'.repeat(4))) });
      await expectCode(sys.ingest.submitSigned(sub), 'weak-salt');
    });

    it('genuine: When lab A signs in its own name with random salts, dated half an hour ago or 4 minutes ahead, Then both are accepted', async () => {
      for (const issuedAt of [issuedNow(-HOUR / 2), issuedNow(240)]) {
        const ack = await sys.ingest.submitSigned(await signedReport(sys, labA.key, { issuedAt }));
        expect(ack.status).to.equal('accepted');
      }
    });

    it('back-dated-batch: When a producer submits through its token a batch dated 30 days back or 10 minutes ahead, Then issued-at-too-old / issued-at-in-future; dated now, accepted', async () => {
      const batch = (issuedAt: string) => batchInput({ id: `B-TIME-${Date.now()}-${issuedAt}`.replace(/:/g, ''), issuedAt });
      await expectCode(sys.ingest.submitBatchForProducer(producerId, batch(issuedNow(-30 * DAY))), 'issued-at-too-old');
      await expectCode(sys.ingest.submitBatchForProducer(producerId, batch(issuedNow(600))), 'issued-at-in-future');
      expect((await sys.ingest.submitBatchForProducer(producerId, batch(issuedNow()))).status).to.equal('accepted');
    });

    it('back-dated-share: When a department signs a share request dated 30 days back, Then issued-at-too-old, and its sequence is untouched', async () => {
      const requester = await registerDepartment(sys, 901);
      const provider = await registerDepartment(sys, 902);
      await expectCode(requester.request(provider, { id: `req-old-${Date.now()}`, issuedAt: issuedNow(-30 * DAY) }), 'issued-at-too-old');
      expect(requester.seq, 'the refused record took no seq').to.equal(0);
      const ack = await requester.request(provider, { id: `req-now-${Date.now()}` });
      expect(ack.status).to.equal('accepted');
    });

    describe('record ids are namespaced by their submitter ({code}-{local})', () => {
      /** A second producer, registered for these tests (USCC.client), and a first one (USCC.producer) whose namespace it must not use. */
      let squatter: string;
      before(async () => {
        // It owns its own GS1 company prefix 6909999 (GTINs of the fixture producer's prefixes are not its own).
        squatter = await registerProducer(sys, '平利县富硒茶叶合作社', USCC.client, ['6909999']);
      });
      const squatterBatch = (overrides: Partial<ReturnType<typeof batchInputNow>>) => batchInputNow({ producer: { uscc: USCC.client, name: '平利县富硒茶叶合作社' }, gtin: '6909999000012', ...overrides });

      it("id squatting: a producer cannot register a batch in a lab's namespace / another producer's namespace (403 id-not-in-namespace)", async () => {
        const labsId = `202727050140-R2026-${Date.now()}`;
        const inLab = await expectCode(sys.ingest.submitBatchForProducer(squatter, squatterBatch({ id: labsId })), 'id-not-in-namespace');
        expect(inLab.status).to.equal(403);
        expect(inLab.message).to.contain(`must start with "${USCC.client}-"`);
        const othersId = `${USCC.producer}-ZY-${Date.now()}`;
        await expectCode(sys.ingest.submitBatchForProducer(squatter, squatterBatch({ id: othersId })), 'id-not-in-namespace');
        await expectCode(sys.ingest.submitBatchesForProducer(squatter, [squatterBatch({ id: `LOCAL-${Date.now()}` }), squatterBatch({ id: othersId })]), 'id-not-in-namespace');
        expect(await sys.store.getRecord(labsId)).to.equal(undefined);
        expect(await sys.store.getRecord(othersId)).to.equal(undefined);
        expect(await sys.store.getRecord(`${USCC.client}-${othersId}`), 'never prefixed twice').to.equal(undefined);
      });

      it("When a producer gives a plain id, Then the server places it in the producer's namespace; an id already there is kept; one too long with the prefix is invalid-record", async () => {
        const local = `ZY-${Date.now()}`;
        const ack = await sys.ingest.submitBatchForProducer(squatter, squatterBatch({ id: local }));
        expect(ack.id).to.equal(`${USCC.client}-${local}`);
        expect((await sys.store.getRecord(ack.id))?.body.id).to.equal(ack.id);
        const own = `${USCC.client}-KEPT-${Date.now()}`;
        expect((await sys.ingest.submitBatchForProducer(squatter, squatterBatch({ id: own }))).id).to.equal(own);
        const err = await expectCode(sys.ingest.submitBatchForProducer(squatter, squatterBatch({ id: 'L'.repeat(50) })), 'invalid-record');
        expect(err.message).to.contain('longer than 64 characters');
      });

      it("id squatting: a lab's report id outside its CMA namespace is refused", async () => {
        const cases = [`R-${Date.now()}`, `202727050141-R-${Date.now()}`, `${USCC.producer}-R-${Date.now()}`];
        for (const id of cases) {
          const err = await expectCode(sys.ingest.submitSigned(await signedReport(sys, labA.key, { id })), 'id-not-in-namespace');
          expect(err.status).to.equal(403);
          expect(err.message).to.contain('record ids of 安康市甲检测中心 must start with "202727050140-", e.g. "202727050140-R2026-0001"');
          expect(await sys.store.getRecord(id)).to.equal(undefined);
        }
        expect((await sys.ingest.submitSigned(await signedReport(sys, labA.key, { id: `202727050140-R-${Date.now()}` }))).status).to.equal('accepted');
      });

      it("id squatting: a department's share id outside its namespace is refused", async () => {
        const requester = await registerDepartment(sys, 903);
        const provider = await registerDepartment(sys, 904);
        const err = await expectCode(requester.request(provider, { id: `${provider.uscc}-req-${Date.now()}` }), 'id-not-in-namespace');
        expect(err.message).to.contain(`must start with "${requester.uscc}-"`);
        expect(requester.seq, 'the refused record took no seq').to.equal(0);
        const ack = await requester.request(provider, { id: `req-${Date.now()}` });
        expect(ack.id.startsWith(`${requester.uscc}-`)).to.equal(true);
      });

      it("When a lab's signed report with an id outside its namespace reaches the store without ingest, Then the verifier fails it at checkRecordId (real chain)", async () => {
        const id = `202727050141-R-${Date.now()}`; // lab B's namespace, signed by lab A
        const sub = await signedReport(sys, labA.key, { id });
        const { root } = commitRecord(sub.record, sub.salts);
        const entry = createLogEntry({ type: 'SeleniumTestReport', id, recordRoot: root, signer: labA.key.address, signature: sub.signature, issuedAt: sub.record.issuedAt });
        await sys.store.insertRecord({
          id,
          logId: 'products',
          type: 'SeleniumTestReport',
          body: sub.record as unknown as Record<string, unknown>,
          salts: sub.salts,
          recordRoot: root,
          signer: entry.signer,
          signature: entry.signature,
          issuedAt: sub.record.issuedAt,
          entry: canonicalString(entry),
          leafHash: logEntryLeafHash(entry),
          participantId: labA.id,
          subject: sub.record.batchId,
        });
        const bundle = await buildBundle(sys.store, sys.deployment, id);
        const result = await verifyBundle(bundle, { chain: new RpcChainReader(sys.provider, sys.deployment) });
        expect(result.failedStep, JSON.stringify(result.steps, null, 1)).to.equal('checkRecordId');
        expect(result.steps.find((x) => x.step === 'checkRecordId')?.message).to.equal(`Record id ${id} is not in the namespace of 安康市甲检测中心 (202727050140).`);
        const offline = await verifyBundle(bundle);
        expect(offline.steps.find((x) => x.step === 'checkRecordId')).to.include({ status: 'skipped', code: 'noChainEndpoint' });
      });

      it('label hijack: GTIN + lot registered twice → 409 duplicate-batch naming the first', async () => {
        const lot = freshLot();
        const first = await sys.ingest.submitBatchForProducer(squatter, squatterBatch({ id: `FIRST-${Date.now()}`, lot }));
        const err = await expectCode(sys.ingest.submitBatchForProducer(squatter, squatterBatch({ id: `SECOND-${Date.now()}`, lot })), 'duplicate-batch');
        expect(err.status).to.equal(409);
        expect(err.message).to.contain(`GTIN 06909999000012 lot ${lot} is already registered as batch ${first.id}`);
        expect(err.details?.existingBatchId).to.equal(first.id);
        // Another producer cannot take the label either (the GTIN is not its own), nor does a lot differing only in GTIN collide.
        await expectCode(sys.ingest.submitBatchForProducer(producerId, batchInputNow({ id: `HIJACK-${Date.now()}`, lot, gtin: '6909999000012' })), 'gtin-not-owned');
        expect((await sys.ingest.submitBatchForProducer(squatter, squatterBatch({ id: `OTHER-GTIN-${Date.now()}`, lot, gtin: '6909999000029' }))).status).to.equal('accepted');
      });

      it('label hijack: two batches of one submission with the same GTIN + lot → 400 naming both, nothing stored', async () => {
        const lot = freshLot();
        const a = `${USCC.client}-A-${Date.now()}`;
        const b = `${USCC.client}-B-${Date.now()}`;
        const err = await expectCode(sys.ingest.submitBatchesForProducer(squatter, [squatterBatch({ id: a, lot }), squatterBatch({ id: b, lot })]), 'invalid-input');
        expect(err.status).to.equal(400);
        expect(err.message).to.contain(`batch 1 repeats GTIN 06909999000012 lot ${lot} of batch 0 (${a})`);
        expect(err.details).to.include({ index: 1, firstIndex: 0 });
        expect(await sys.store.getRecord(a)).to.equal(undefined);
      });
    });

    it('When the window is configured shorter (ISSUED_AT_MAX_AGE_SECONDS), Then ingest applies it: a report two hours old is refused with 1 h', async () => {
      const strict = new IngestService(sys.store, { chainId: sys.deployment.chainId, verifyingContract: sys.deployment.traceLedger }, new Wallet(`0x${'01'.repeat(32)}`), {
        issuedAtWindow: { maxAgeSeconds: HOUR, maxAheadSeconds: 0 },
      });
      const err = await expectCode(strict.submitSigned(await signedReport(sys, labA.key, { issuedAt: issuedNow(-2 * HOUR) })), 'issued-at-too-old');
      expect(err.message).to.contain('within 1 h');
      expect(sys.config.ISSUED_AT_MAX_AGE_SECONDS, 'the booted system reads the default').to.equal(72 * HOUR);
    });
  });
});
