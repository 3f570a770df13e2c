/*
 * Trail verification speaks through the verifiers' message table: every outcome of every trail
 * step has a code whose Chinese and English renderings are whole sentences, the Chinese one with
 * no English words left in it (ids, hashes, times and counts are values, not words).
 */
import { expect } from 'chai';
import { TRAIL_STEPS, type TrailMessageCode } from '../../../server/trails/trail';
import type { Params } from '../../../server/verification/messages';
import { TRAIL_MESSAGES as MESSAGES, TRAIL_STEP_TITLES as STEP_TITLES, trailMessageText as messageText, trailStepTitle as stepTitle } from '../../../server/verification/trail-messages';
import { CJK, englishWordsIn } from './localized';

const ID = 'req-demo-2';
const DEPT = `0x${'ab'.repeat(32)}`;
const HASH = `0x${'5e'.repeat(32)}`;
const ADDR = `0x${'c0'.repeat(20)}`;
const TIME = '2026-01-01T08:00:00.000Z';
const rec = { recordId: ID, seq: 3 };

/** Every trail outcome, with the parameters trail.ts gives it (one sample per variant). */
const SAMPLES: [TrailMessageCode, Params][] = [
  ['trailWrongChain', { endpoint: 1, expected: 31337 }],
  ['trailLeafNotAtIndex', { ...rec, leaf: HASH, index: 7, count: 1 }],
  ['trailLeafNotAtIndex', { ...rec, leaf: HASH, index: 7, count: 2 }],
  ['trailLeafTaken', { ...rec, index: 7, count: 1 }],
  ['trailLeafTaken', { ...rec, index: 7, count: 3 }],
  ['trailNoProof', { ...rec, index: 7, count: 1 }],
  ['trailNotAnchoredYet', { waiting: 2, entries: 6, ...rec, size: 12 }],
  ['trailNoRecordsYet', {}],
  ['trailAllAnchored', { entries: 6, size: 12, root: HASH }],
  ['trailSeqRepeated', rec],
  ['trailSeqSkipped', { ...rec, seq: 5, expected: 3, last: 4 }],
  ['trailSeqInvalid', { ...rec, seq: 'NaN' }],
  ['trailOutOfOrder', { ...rec, leafIndex: 4, beforeRecordId: 'req-demo-1', beforeSeq: 2, beforeLeafIndex: 9 }],
  ['trailLogHoles', { count: 1, first: 4 }],
  ['trailLogHoles', { count: 2, first: 4 }],
  ['trailStrayRecord', { recordId: ID, leafIndex: 4, subject: DEPT }],
  ['trailStrayRecord', { recordId: ID, leafIndex: 4 }],
  ['trailLogNotReproduced', { size: 12 }],
  ['trailNoRecordsAnywhere', {}],
  ['trailSequenceOk', { entries: 6 }],
  ['trailEntryUnreadable', { ...rec, reason: 'not-json' }],
  ['trailEntryUnreadable', { ...rec, reason: 'not-object' }],
  ['trailEntryUnreadable', { ...rec, reason: 'unknown-version', version: '2' }],
  ['trailEntryUnreadable', { ...rec, reason: 'wrong-fields' }],
  ['trailEntryUnreadable', { ...rec, reason: 'not-text' }],
  ['trailEntryUnreadable', { ...rec, reason: 'bad-record-root' }],
  ['trailEntryUnreadable', { ...rec, reason: 'bad-signer' }],
  ['trailEntryUnreadable', { ...rec, reason: 'bad-signature' }],
  ['trailEntryUnreadable', { ...rec, reason: 'bad-instant', issuedAt: '2026-13-01' }],
  ['trailBodyOtherRecord', { ...rec, bodyId: 'req-other', entryId: ID }],
  ['trailBodyOtherStep', { ...rec, bodyStep: 'reply', entryType: 'ShareRequest' }],
  ['trailBodyOtherTime', { ...rec, bodyIssuedAt: TIME, entryIssuedAt: '2026-01-02T08:00:00Z' }],
  ['trailBodyOtherDepartment', { ...rec, bodyDepartment: DEPT }],
  ['trailBodyAltered', { ...rec, recordRoot: HASH }],
  ['trailPrevHashMismatch', { ...rec, prevHash: HASH, want: `0x${'00'.repeat(32)}` }],
  ['trailPrevHashMismatch', { ...rec, prevHash: HASH, want: HASH.replace('5e', '11'), prevRecordId: 'req-demo-1', prevSeq: 2 }],
  ['trailNoRecords', {}],
  ['trailLinksOk', {}],
  ['trailSignatureNoEntry', rec],
  ['trailSignatureNotShare', { ...rec, type: 'Batch' }],
  ['trailSignatureWrongSigner', { ...rec, recovered: ADDR, signer: ADDR.replace('c0', 'd1') }],
  ['trailSignatureUnchecked', rec],
  ['trailSignerUnknown', { ...rec, signer: ADDR }],
  ['trailSignerOtherParticipant', { ...rec, signer: ADDR, owner: DEPT }],
  ['trailSignerNotValid', { ...rec, at: TIME, signer: ADDR }],
  ['trailSignerNotValid', { ...rec, at: TIME, signer: ADDR, why: 'key-revoked', since: TIME }],
  ['trailSignerNotValid', { ...rec, at: TIME, signer: ADDR, why: 'not-yet-valid', since: TIME }],
  ['trailSignerNotValid', { ...rec, at: TIME, signer: ADDR, why: 'expired', since: TIME }],
  ['trailSignerNotValid', { ...rec, at: TIME, signer: ADDR, why: 'department-revoked', since: TIME }],
  ['trailRecordIdOutsideNamespace', { ...rec, name: '安康市农业农村局', code: '11610900MB0G23456Q' }],
  ['trailSignaturesOk', { entries: 6, keys: 1 }],
  ['trailSignaturesOk', { entries: 6, keys: 2 }],
];

describe('server/trails trail messages (zh and en)', () => {
  const trailCodes = Object.keys(MESSAGES).filter((k) => k.startsWith('trail'));

  it('When the message table is read, Then every trail code has a sample here (so each is checked below)', () => {
    const sampled = new Set(SAMPLES.map(([code]) => code));
    expect(trailCodes.filter((c) => !sampled.has(c as TrailMessageCode))).to.deep.equal([]);
    expect(trailCodes.length).to.be.greaterThan(30);
  });

  it('When a trail outcome is rendered, Then zh and en are non-empty sentences with every parameter filled in, and the Chinese one has no English words', () => {
    for (const [code, params] of SAMPLES) {
      const zh = messageText(code, params, 'zh');
      const en = messageText(code, params, 'en');
      const what = `${code} ${JSON.stringify(params)}\n  zh: ${zh}\n  en: ${en}`;
      expect(zh.trim(), what).to.not.equal('');
      expect(en.trim(), what).to.not.equal('');
      expect(zh, what).to.not.contain('?');
      expect(en, what).to.not.contain('?');
      expect(zh, what).to.match(CJK);
      expect(en, what).to.not.match(CJK);
      expect(englishWordsIn(zh, params), what).to.deep.equal([]);
      for (const v of Object.values(params)) expect(String(v), `${what}\n  a parameter is a value, not prose`).to.not.match(/\s/);
    }
  });

  it('When the parameters that name an outcome vary, Then each variant reads differently in both languages', () => {
    const variants = (code: TrailMessageCode) => SAMPLES.filter(([c]) => c === code);
    for (const code of ['trailEntryUnreadable', 'trailSignerNotValid', 'trailPrevHashMismatch', 'trailStrayRecord', 'trailLeafTaken'] as const) {
      for (const lang of ['zh', 'en'] as const) {
        const texts = variants(code).map(([c, p]) => messageText(c, p, lang));
        expect(new Set(texts).size, `${code} ${lang}`).to.equal(texts.length);
      }
    }
  });

  it('When the trail steps are titled, Then each has a title in both languages in STEP_TITLES, Chinese without English words', () => {
    for (const step of TRAIL_STEPS) {
      expect(STEP_TITLES).to.have.property(step);
      expect(stepTitle(step, 'zh'), step).to.match(CJK).and.not.match(/[A-Za-z]{4,}/);
      expect(stepTitle(step, 'en'), step).to.not.match(CJK).and.not.equal(step);
    }
  });

  it('When the English sentences are rendered, Then they read as the API gave them before the codes (compatibility)', () => {
    expect(messageText('trailLeafTaken', { ...rec, index: 7, count: 2 }, 'en')).to.equal('record req-demo-2 (seq 3) is not in the anchored log: leaf 7 of the anchored log is another record (2 entries in all).');
    expect(messageText('trailLogHoles', { count: 1, first: 4 }, 'en')).to.equal(
      "The anchored log has 1 entry with no stored record (first: leaf 4): a record was deleted, and it may be one of this department's, so the trail cannot be shown complete.",
    );
    expect(messageText('trailSignerNotValid', { ...rec, at: TIME, signer: ADDR, why: 'key-revoked', since: TIME }, 'en')).to.equal(
      `record req-demo-2 (seq 3) was signed at ${TIME} by ${ADDR}, which was not a valid key of this department then (the key was revoked at ${TIME}).`,
    );
    expect(messageText('trailSequenceOk', { entries: 6 }, 'en')).to.equal('Seq 1..6, no gap or repeat; no record of this department is missing from the trail.');
    expect(messageText('trailSignaturesOk', { entries: 6, keys: 1 }, 'en')).to.equal(
      'All 6 signatures recover to 1 key registered on chain for this department and valid when each record was signed.',
    );
  });
});
