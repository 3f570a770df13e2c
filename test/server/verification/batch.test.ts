/*
 * The claim a label can make (server/verification/claim), derived by the shared batch verifier: one case per
 * claim, how several reports combine, and its headline in Chinese and English. Pure: no chain, no server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { classify, type Classification } from '../../../server/standards/classify';
import { claimOf, claimText, verifyBatch, type BatchClaim, type ClaimKind, type VerificationResult, type Verdict } from '../../../server/verification';
import { revocationReasonNumber } from '../../../server/records';

const VECTORS = path.join(__dirname, '../../vectors/bundles');
const vector = (name: string): { bundle: unknown } => JSON.parse(fs.readFileSync(path.join(VECTORS, `${name}.json`), 'utf8')) as { bundle: unknown };
/** The id of a vector's record (a report's: `{CMA}-…`, in its lab's namespace). */
const recordIdOf = (name: string): string => (vector(name).bundle as { record: { id: string } }).record.id;

const tea = (result: number, category = 'tea'): Classification => classify({ category, result, unit: 'mg/kg', date: '2025-10-06' });

let n = 0;
/** A verified record as the verifier returns it (only what the claim reads). */
function rec(o: { verdict?: Verdict; id?: string; issueDate?: string; issuedAt?: string; leafIndex?: number | null; classification?: Classification | null; revokedAt?: string; reason?: string } = {}): VerificationResult {
  n++;
  const leafIndex = o.leafIndex === undefined ? n : o.leafIndex;
  return {
    verdict: o.verdict ?? 'valid',
    steps: [],
    failedStep: null,
    record: { type: 'SeleniumTestReport', id: o.id ?? `R-${n}`, fields: { issueDate: o.issueDate ?? '2025-10-06', issuedAt: o.issuedAt ?? '2025-10-06T08:00:00Z' } },
    anchor: leafIndex === null ? null : { size: 100, root: '0x00', leafIndex, txHash: null, blockNumber: null, blockTime: null },
    signer: null,
    revocation: o.verdict === 'revoked' ? { reasonCode: 3, reason: o.reason ?? 'sample-mismatch', revokedAt: o.revokedAt ?? '2026-03-01T02:00:00Z', revokedBy: '0xab', source: 'chain' } : null,
    classification: o.classification === undefined ? tea(0.35) : o.classification,
    chainChecked: true,
    lab: null,
  };
}
const batch = (verdict: Verdict = 'valid', more: Partial<VerificationResult> = {}): VerificationResult => ({ ...rec({ verdict, id: 'B-1', classification: null }), ...more });

const kind = (c: BatchClaim): ClaimKind => c.kind;

describe('server/verification/batch: the claim (what the label may claim)', () => {
  describe('one report', () => {
    it('When the report is valid and in the selenium-rich range, Then the claim is selenium-rich per its standard, green', () => {
      const c = claimOf(batch(), [rec({ id: 'R-rich' })], []);
      expect(c).to.include({ kind: 'selenium-rich', tone: 'good', reportId: 'R-rich' });
      expect(c.standard?.code).to.equal('NY/T 600-2002');
      expect(c.detail?.zh).to.contain('0.25–4.00 mg/kg');
    });

    it('When the report is in the selenium-containing tier, Then the claim is selenium-containing, green', () => {
      const c = claimOf(batch(), [rec({ classification: tea(0.1, 'tea-prepackaged-shaanxi') })], []);
      expect(c).to.include({ kind: 'selenium-containing', tone: 'good' });
      expect(c.standard?.code).to.equal('DB61/T 556-2018');
    });

    it('When the report is below the range, Then the claim is below-range, amber', () => {
      expect(claimOf(batch(), [rec({ classification: tea(0.2) })], [])).to.include({ kind: 'below-range', tone: 'warn' });
    });

    it('When the report is above the range, Then the claim is above-range, amber', () => {
      expect(claimOf(batch(), [rec({ classification: tea(5) })], [])).to.include({ kind: 'above-range', tone: 'warn' });
    });

    it('When no standard covers the result (or the batch names no known category), Then the claim is no-standard, amber', () => {
      expect(claimOf(batch(), [rec({ classification: null })], [])).to.include({ kind: 'no-standard', tone: 'warn' });
      const none: Classification = { ...tea(0.35), tier: 'no-standard', standard: null, range: null };
      expect(claimOf(batch(), [rec({ classification: none })], [])).to.include({ kind: 'no-standard', tone: 'warn' });
    });

    it('When the report is revoked, Then the claim is report-revoked, red, with its date and reason', () => {
      const c = claimOf(batch(), [rec({ id: 'R-x', verdict: 'revoked', revokedAt: '2026-03-01T17:00:00Z', reason: 'sample-mismatch' })], []);
      expect(c).to.include({ kind: 'report-revoked', tone: 'bad', reportId: 'R-x', revokedAt: '2026-03-01T17:00:00Z', reason: 'sample-mismatch' });
      expect(c.standard).to.equal(null);
    });

    it('When the report is not anchored yet, Then the claim is pending, amber', () => {
      expect(claimOf(batch(), [rec({ verdict: 'pending', leafIndex: null })], [])).to.include({ kind: 'pending', tone: 'warn' });
    });

    it('When the report is invalid, Then the claim is invalid, red, whatever it says', () => {
      expect(claimOf(batch(), [rec({ verdict: 'invalid' })], [])).to.include({ kind: 'invalid', tone: 'bad', reportId: null });
    });
  });

  describe('the batch itself', () => {
    it('When the batch has no report, Then the claim is no-report, amber; pending when it lists a report not on record yet', () => {
      expect(claimOf(batch(), [], [])).to.include({ kind: 'no-report', tone: 'warn' });
      expect(claimOf(batch(), [], ['R-later'])).to.include({ kind: 'pending', tone: 'warn' });
    });

    it('When the batch is invalid, Then the claim is invalid even with a selenium-rich report', () => {
      expect(kind(claimOf(batch('invalid'), [rec()], []))).to.equal('invalid');
    });

    it('When the batch was revoked (a recall), Then the claim is batch-revoked, red, with its date and reason', () => {
      const b = batch('revoked', { revocation: { reasonCode: 6, reason: 'product-recall', revokedAt: '2026-04-02T01:00:00Z', revokedBy: '0xab', source: 'chain' } });
      expect(claimOf(b, [rec()], [])).to.include({ kind: 'batch-revoked', tone: 'bad', revokedAt: '2026-04-02T01:00:00Z', reason: 'product-recall' });
    });

    it('When the batch is not anchored yet, Then the claim is pending even with a selenium-rich report', () => {
      expect(kind(claimOf(batch('pending'), [rec()], []))).to.equal('pending');
    });
  });

  describe('several reports: the newest that is not invalid decides', () => {
    it('When a newer valid report follows a revoked one, Then the newer one decides', () => {
      const c = claimOf(batch(), [rec({ id: 'old', verdict: 'revoked', issueDate: '2025-09-01' }), rec({ id: 'new', issueDate: '2025-10-06', classification: tea(0.3) })], []);
      expect(c).to.include({ kind: 'selenium-rich', reportId: 'new' });
    });

    it('When the newest report is revoked and an older one is valid, Then the claim is report-revoked', () => {
      const c = claimOf(batch(), [rec({ id: 'old', issueDate: '2025-09-01' }), rec({ id: 'new', verdict: 'revoked', issueDate: '2025-10-06' })], []);
      expect(c).to.include({ kind: 'report-revoked', reportId: 'new' });
    });

    it('When a newer report is below the range, Then it decides over an older selenium-rich one', () => {
      const c = claimOf(batch(), [rec({ id: 'old', issueDate: '2025-09-01' }), rec({ id: 'new', issueDate: '2025-10-06', classification: tea(0.2) })], []);
      expect(c).to.include({ kind: 'below-range', reportId: 'new' });
    });

    it('When the newest report is pending, Then the claim is pending, resting on it', () => {
      const c = claimOf(batch(), [rec({ id: 'old', issueDate: '2025-09-01' }), rec({ id: 'new', issueDate: '2025-10-06', verdict: 'pending', leafIndex: null })], []);
      expect(c).to.include({ kind: 'pending', reportId: 'new' });
    });

    it('When two reports share an issue date, Then the later one in the log decides (the lab revoked one and reissued it)', () => {
      const revoked = rec({ id: 'R-a', verdict: 'revoked', leafIndex: 10 });
      const reissued = rec({ id: 'R-b', leafIndex: 11 });
      expect(claimOf(batch(), [reissued, revoked], [])).to.include({ kind: 'selenium-rich', reportId: 'R-b' });
      expect(claimOf(batch(), [rec({ id: 'R-c', leafIndex: 12, verdict: 'revoked' }), reissued], [])).to.include({ kind: 'report-revoked', reportId: 'R-c' });
    });

    it('When one of several reports is invalid, Then the claim is invalid', () => {
      expect(kind(claimOf(batch(), [rec({ issueDate: '2025-10-06' }), rec({ verdict: 'invalid', issueDate: '2025-01-01' })], []))).to.equal('invalid');
    });

    it('When a listed report is not on record yet but another report is, Then the present one decides', () => {
      expect(kind(claimOf(batch(), [rec()], ['R-later']))).to.equal('selenium-rich');
    });
  });

  describe('the headline sentences', () => {
    const sentences = (c: BatchClaim) => ({ zh: claimText(c, 'zh').headline, en: claimText(c, 'en').headline });

    it('When each claim is put in words, Then zh and en say what was proven, the standard and the revocation date (Beijing) included', () => {
      expect(sentences(claimOf(batch(), [rec()], []))).to.deep.equal({ zh: '真实可信，按 NY/T 600-2002 属富硒', en: 'Authentic and selenium-rich per NY/T 600-2002' });
      expect(sentences(claimOf(batch(), [rec({ classification: tea(0.1, 'tea-prepackaged-shaanxi') })], []))).to.deep.equal({ zh: '真实可信，按 DB61/T 556-2018 属含硒', en: 'Authentic and selenium-containing per DB61/T 556-2018' });
      expect(sentences(claimOf(batch(), [rec({ classification: tea(0.2) })], []))).to.deep.equal({ zh: '真实可信，但硒含量低于富硒范围', en: 'Authentic, but below the selenium-rich range' });
      expect(sentences(claimOf(batch(), [], []))).to.deep.equal({ zh: '真实可信，尚无检测报告', en: 'Authentic, no lab report' });
      // 17:00 UTC on 1 March is 2 March in Beijing.
      expect(sentences(claimOf(batch(), [rec({ verdict: 'revoked', revokedAt: '2026-03-01T17:00:00Z', reason: 'sample-mismatch' })], []))).to.deep.equal({ zh: '检测报告已于 2026-03-02 撤销：样品不符', en: 'Report revoked on 2026-03-02: sample mismatch' });
      expect(sentences(claimOf(batch('invalid'), [], []))).to.deep.equal({ zh: '验证失败：请勿相信此标签', en: 'Invalid: do not trust this label' });
    });

    it('When the claim is below the range, Then its detail names the result, the standard and the range', () => {
      const c = claimOf(batch(), [rec({ classification: tea(0.2) })], []);
      expect(claimText(c, 'zh').detail).to.contain('0.20 mg/kg').and.contain('NY/T 600-2002').and.contain('0.25–4.00 mg/kg');
      expect(claimText(c, 'en').detail).to.contain('below the selenium-rich range');
    });

    it('When any claim is put in words, Then the zh sentences hold no English and the en ones no Chinese', () => {
      const cases: BatchClaim[] = [
        claimOf(batch(), [rec()], []),
        claimOf(batch(), [rec({ classification: tea(5) })], []),
        claimOf(batch(), [rec({ classification: null })], []),
        claimOf(batch(), [], []),
        claimOf(batch(), [], ['R-later']),
        claimOf(batch(), [rec({ verdict: 'revoked' })], []),
        claimOf(batch('revoked', { revocation: { reasonCode: 6, reason: 'product-recall', revokedAt: '2026-04-02T01:00:00Z', revokedBy: '0xab', source: 'chain' } }), [], []),
        claimOf(batch('invalid'), [], []),
      ];
      for (const c of cases) {
        const zh = claimText(c, 'zh');
        const en = claimText(c, 'en');
        expect(`${zh.headline} ${zh.detail}`.replace(/[A-Z]+\d*\/?T? ?[\d.]+-\d{4}|mg\/kg/g, ''), c.kind).not.to.match(/[a-z]{2,}/i);
        expect(`${en.headline} ${en.detail}`, c.kind).not.to.match(/[\u4e00-\u9fff]/);
      }
    });
  });

  describe('verifyBatch (offline, on the bundle vectors)', () => {
    it('When a genuine batch and its genuine report are verified, Then verifyBatch gives the selenium-rich claim', async () => {
      const out = await verifyBatch({ batch: vector('valid-batch').bundle, reports: [vector('valid-report').bundle] });
      expect(out.verdict).to.equal('valid');
      expect(out.claim).to.include({ kind: 'selenium-rich', reportId: recordIdOf('valid-report') });
      expect(out.claim.standard?.code).to.equal('NY/T 600-2002');
    });

    it('When the server reports the report revoked, Then verifyBatch gives report-revoked', async () => {
      const out = await verifyBatch(
        { batch: vector('valid-batch').bundle, reports: [vector('valid-report').bundle] },
        { reportedRevocations: { [recordIdOf('valid-report')]: { reasonCode: revocationReasonNumber('sample-mismatch'), revokedAt: '2026-03-01T02:00:00Z' } } },
      );
      expect(out.claim).to.include({ kind: 'report-revoked', reason: 'sample-mismatch', revokedAt: '2026-03-01T02:00:00Z' });
    });

    it('When a batch lists no report, Then no-report; when its listed report is missing, pending; when the report was tampered with, invalid', async () => {
      expect((await verifyBatch({ batch: vector('missing-optional-field-no-gtin').bundle, reports: [] })).claim.kind).to.equal('no-report');
      expect((await verifyBatch({ batch: vector('valid-batch').bundle, reports: [] })).claim.kind).to.equal('pending');
      expect((await verifyBatch({ batch: vector('valid-batch').bundle, reports: [vector('tampered-field').bundle] })).claim.kind).to.equal('invalid');
    });
  });
});
