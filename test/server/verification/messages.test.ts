/* The one zh/en message table: every step and outcome has both languages, and the Chinese says nothing in English. */
import { expect } from 'chai';
import { LANGS, MESSAGES, STEP_TITLES, messageText, stepTitle, type MessageCode } from '../../../server/verification/messages';
import { STEPS } from '../../../server/verification/verify';
import { BATCH_REPORT_STEPS } from '../../../server/verification/batch';

/** Sample params for every key any message reads. */
const PARAMS = {
  type: 'SeleniumTestReport', id: 'R-1', format: 'x-v2', expected: 'traceledger-proof-v1', path: 'record.id', version: '2', disclosed: 19, hidden: 3, field: 'result',
  fields: 'result', recovered: '0xab', signer: '0xcd', role: 'lab', at: '2026-01-01T00:00:00Z', leaf: '0x12', computed: '0x34', stated: '0x56', position: 1, size: 9,
  root: '0x78', reason: 'root-mismatch', endpoint: 1, chainId: 31337, contract: '0x9a', named: '202727050123', name: '检测中心', code: '202761070456', by: 'regulator',
  zh: '富硒', en: 'selenium-rich', batch: 'B-1', step: 'checkSigner', category: 'tea', standard: 'NY/T 600-2002', word: '富硒', gtin: '06901234567892', uscc: '91610924MA6YXXXX1Q',
};

/** English words a Chinese sentence must not contain (parameters are ids, hashes and numbers). */
const ENGLISH = /\b(the|is|not|was|by|of|a|an|bundle|signature|signed|field|record|chain|checkpoint|revoked|step|failed)\b/i;

describe('server/verification/messages', () => {
  it('When any step a verifier runs is named, Then it has a title in Chinese and in English', () => {
    for (const step of [...STEPS, ...BATCH_REPORT_STEPS]) {
      for (const lang of LANGS) expect(stepTitle(step, lang), `${step} ${lang}`).to.not.equal(step);
      expect(STEP_TITLES[step].zh).to.match(/[\u4e00-\u9fff]/);
    }
  });

  for (const code of Object.keys(MESSAGES) as MessageCode[]) {
    it(`When ${code} is rendered, Then the Chinese has no English words and the English no Chinese`, () => {
      const zh = messageText(code, PARAMS, 'zh');
      const en = messageText(code, PARAMS, 'en');
      expect(zh, code).to.match(/[\u4e00-\u9fff]|富硒/);
      // Parameters are values (ids, paths, hashes): take them out, what is left is the sentence.
      const values = Object.values(PARAMS).map(String).sort((a, b) => b.length - a.length);
      const sentence = values.reduce<string>((t, v) => t.split(v).join(" "), zh);
      expect(sentence, code).to.not.match(ENGLISH);
      expect(en.replace(/检测中心|富硒/g, ''), code).to.not.match(/[\u4e00-\u9fff]/);
      expect(en.length).to.be.greaterThan(0);
    });
  }
});
