import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../../server/config';
import { AppError, ERROR_STATUS } from '../../../server/errors';
import { commitRecord, instantToSeconds } from '../../../server/records';
import {
  DEFAULT_ISSUED_AT_WINDOW,
  MIN_DISTINCT_SALT_BYTES,
  assertIssuedAtInWindow,
  assertReportNamesSignersLab,
  assertStorableText,
  assertStrongSalts,
  registeredCmaValidUntil,
} from '../../../server/service/ingest-rules';
import type { Participant } from '../../../server/store/types';
import { buildReport } from '../records/fixtures';

/** Runs `fn` and returns the AppError it throws (failing the test when it throws nothing or something else). */
function appErrorOf(fn: () => void): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(AppError);
    return e as AppError;
  }
  expect.fail('expected an AppError');
}

const HOUR = 3600;
const DAY = 24 * HOUR;
const RECEIVED = instantToSeconds('2026-11-29T12:00:00Z');
const at = (offset: number) => new Date((RECEIVED + offset) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The lab the fixture report names, as the mirror holds it: accredited until 2028-05-31 (midnight UTC). */
const LAB: Participant = {
  id: `0x${'ab'.repeat(32)}`,
  kind: 'lab',
  name: '安康市富硒产品质量检验检测中心',
  code: '202727050123',
  validFrom: instantToSeconds('2023-06-01T00:00:00Z'),
  validTo: instantToSeconds('2028-05-31T00:00:00Z'),
  data: {},
  active: true,
};

describe('server/service/ingest-rules (the trust rules on what a submitter chooses)', () => {
  describe('issuedAt within the window of receipt', () => {
    it('When nothing is configured, Then the window is 72 h back and 5 min ahead, and ISSUED_AT_MAX_AGE_SECONDS / ISSUED_AT_MAX_AHEAD_SECONDS change it', () => {
      expect(DEFAULT_ISSUED_AT_WINDOW).to.deep.equal({ maxAgeSeconds: 259_200, maxAheadSeconds: 300 });
      const c = loadConfig({});
      expect([c.ISSUED_AT_MAX_AGE_SECONDS, c.ISSUED_AT_MAX_AHEAD_SECONDS]).to.deep.equal([259_200, 300]);
      const custom = loadConfig({ ISSUED_AT_MAX_AGE_SECONDS: '3600', ISSUED_AT_MAX_AHEAD_SECONDS: '60' });
      expect([custom.ISSUED_AT_MAX_AGE_SECONDS, custom.ISSUED_AT_MAX_AHEAD_SECONDS]).to.deep.equal([3600, 60]);
      expect(() => loadConfig({ ISSUED_AT_MAX_AGE_SECONDS: '-1' })).to.throw(/ISSUED_AT_MAX_AGE_SECONDS/);
    });

    it('When issuedAt is at either edge of the window, Then it passes', () => {
      for (const offset of [-72 * HOUR, -1, 0, 300]) assertIssuedAtInWindow(at(offset), RECEIVED, DEFAULT_ISSUED_AT_WINDOW);
    });

    it('When issuedAt is a second older than 72 h, 30 days old, or 1970, Then issued-at-too-old (400) says by how much and what the limit is', () => {
      for (const issuedAt of [at(-72 * HOUR - 1), at(-30 * DAY), '1970-01-01T00:00:00Z']) {
        const e = appErrorOf(() => assertIssuedAtInWindow(issuedAt, RECEIVED, DEFAULT_ISSUED_AT_WINDOW));
        expect(e.code).to.equal('issued-at-too-old');
        expect(e.status).to.equal(400);
        expect(e.message).to.contain(issuedAt).and.contain('72 h');
        expect(e.details).to.deep.include({ issuedAt, receivedAt: '2026-11-29T12:00:00Z', maxAgeSeconds: 259_200 });
      }
      expect(appErrorOf(() => assertIssuedAtInWindow(at(-30 * DAY), RECEIVED, DEFAULT_ISSUED_AT_WINDOW)).message).to.contain('30 days before');
      expect(appErrorOf(() => assertIssuedAtInWindow(at(-72 * HOUR - 1), RECEIVED, DEFAULT_ISSUED_AT_WINDOW)).message).to.contain('72 h 1 s before');
    });

    it('When issuedAt is 301 s or 10 min ahead of receipt, Then issued-at-in-future (400)', () => {
      for (const offset of [301, 600]) {
        const e = appErrorOf(() => assertIssuedAtInWindow(at(offset), RECEIVED, DEFAULT_ISSUED_AT_WINDOW));
        expect(e.code).to.equal('issued-at-in-future');
        expect(e.status).to.equal(400);
        expect(e.message).to.contain('5 min');
      }
    });
  });

  describe("a report names its signing key's lab", () => {
    it('When the report names the registered name, CMA number and validity date, Then it passes', () => {
      expect(registeredCmaValidUntil(LAB)).to.equal('2028-05-31');
      assertReportNamesSignersLab(buildReport(), LAB, '0xSigner');
    });

    it("When a report names another lab's name and CMA number, Then lab-identity-mismatch (403) names the registered lab and each differing field", () => {
      const report = buildReport({ lab: { ...buildReport().lab, name: '西安市某检测有限公司', cmaNumber: '202627000001' } });
      const e = appErrorOf(() => assertReportNamesSignersLab(report, LAB, '0xSigner'));
      expect(e.code).to.equal('lab-identity-mismatch');
      expect(e.status).to.equal(403);
      expect(e.message).to.contain('安康市富硒产品质量检验检测中心').and.contain('CMA 202727050123').and.contain('西安市某检测有限公司');
      expect(e.details).to.deep.include({ signer: '0xSigner', mismatched: ['lab.name', 'lab.cmaNumber'] });
      expect(e.details?.registered).to.deep.equal({ name: LAB.name, cmaNumber: LAB.code, cmaValidUntil: '2028-05-31' });
    });

    it('When only the CMA validity differs (a lab claiming a longer accreditation), Then lab-identity-mismatch names lab.cmaValidUntil', () => {
      const report = buildReport({ lab: { ...buildReport().lab, cmaValidUntil: '2030-12-31' } });
      const e = appErrorOf(() => assertReportNamesSignersLab(report, LAB, '0xSigner'));
      expect(e.details).to.deep.include({ mismatched: ['lab.cmaValidUntil'] });
    });
  });

  describe('salts a submitter drew', () => {
    const names = Object.keys(commitRecord(buildReport()).salts);
    const random = () => Object.fromEntries(names.map((n) => [n, randomBytes(16).toString('hex')]));

    it('When every salt is 16 fresh random bytes, Then they pass (hundreds of records, no false refusal)', () => {
      for (let i = 0; i < 500; i++) assertStrongSalts(random());
      assertStrongSalts(commitRecord(buildReport()).salts);
    });

    it('When the salts are all zero, Then weak-salt (400) names the field', () => {
      const e = appErrorOf(() => assertStrongSalts(Object.fromEntries(names.map((n) => [n, '0'.repeat(32)]))));
      expect(e.code).to.equal('weak-salt');
      expect(e.status).to.equal(400);
      expect(e.message).to.contain('all zero');
      expect(e.details?.field).to.be.a('string');
    });

    it('When one salt is repeated for two fields, Then weak-salt names both fields', () => {
      const salts = random();
      salts.result = salts.client!;
      const e = appErrorOf(() => assertStrongSalts(salts));
      expect(e.code).to.equal('weak-salt');
      expect(e.details).to.deep.equal({ field: 'result', otherField: 'client' });
    });

    it(`When a salt has fewer than ${MIN_DISTINCT_SALT_BYTES} distinct byte values (a constant, a counter, "deadbeef" × 4), Then weak-salt`, () => {
      for (const weak of ['ff'.repeat(16), `${'0'.repeat(30)}01`, 'deadbeef'.repeat(4), '00010203040506'.padEnd(32, '0')]) {
        const salts = random();
        salts.lab = weak;
        const e = appErrorOf(() => assertStrongSalts(salts));
        expect(e.code, weak).to.equal('weak-salt');
        expect(e.details?.field).to.equal('lab');
      }
      const eight = random();
      eight.lab = '0001020304050607'.repeat(2); // exactly 8 distinct values: the least accepted
      assertStrongSalts(eight);
    });
  });

  it('When the new refusals map to HTTP, Then time and salt problems are 400, key, accreditation and identity problems are 403', () => {
    expect(ERROR_STATUS['issued-at-too-old']).to.equal(400);
    expect(ERROR_STATUS['issued-at-in-future']).to.equal(400);
    expect(ERROR_STATUS['weak-salt']).to.equal(400);
    expect(ERROR_STATUS['key-not-valid-at-receipt']).to.equal(403);
    expect(ERROR_STATUS['accreditation-lapsed']).to.equal(403);
    expect(ERROR_STATUS['lab-identity-mismatch']).to.equal(403);
  });

  describe('text every store keeps', () => {
    it('When a record holds U+0000 or a lone surrogate anywhere (a value, an array element, a member name, high or low half), Then it is refused as invalid-record naming that field', () => {
      const cases: [unknown, string, string][] = [
        [{ origin: { name: '紫阳\u0000县' } }, 'origin.name', 'U+0000'],
        [{ list: ['ok', 'a\u0000'] }, 'list[1]', 'U+0000'],
        [{ nested: { ['k\u0000ey']: 1 } }, 'nested.k\u0000ey', 'U+0000'],
        [{ name: '富硒\ud800茶' }, 'name', 'lone UTF-16 surrogate'],
        [{ name: 'end \ud83d' }, 'name', 'lone UTF-16 surrogate'],
        [{ deep: [{ x: '\udc00 low first' }] }, 'deep[0].x', 'lone UTF-16 surrogate'],
        ['\u0000', '', 'U+0000'],
      ];
      for (const [record, path, what] of cases) {
        const e = appErrorOf(() => assertStorableText('Batch', record));
        expect(e.code, path).to.equal('invalid-record');
        expect(ERROR_STATUS[e.code]).to.equal(400);
        expect(e.message, path).to.contain(what);
        expect(e.details?.issues, path).to.deep.equal([{ path, message: (e.details!.issues as { message: string }[])[0]!.message }]);
        expect((e.details!.issues as { message: string }[])[0]!.message).to.contain(what);
      }
    });

    it('When a record holds only well-formed text (Chinese, emoji pairs, escapes, other control characters), numbers and nulls, Then it passes', () => {
      assertStorableText('SeleniumTestReport', buildReport());
      assertStorableText('Batch', { a: '紫阳县富硒茶 😀 \t\n "quoted" \\u0000 as six characters', b: [1, null, true, { c: '\u0001\u001f\ud83d\ude00' }] });
    });
  });
});
