/** GTIN, lot, USCC and CMA rules: known answers and single-character changes. */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  GS1_LOT_PATTERN,
  cmaProvinceCode,
  gs1CheckDigit,
  gtinProblem,
  hasChinaGs1Prefix,
  isValidGtin,
  isValidUscc,
  toGtin14,
  usccCheckCharacter,
  usccProblem,
} from '../../../server/records';
import { USCC } from './fixtures';

describe('records/identifiers', () => {
  describe('GTIN', () => {
    it('When published example GTINs of every length are checked, Then their check digits are valid', () => {
      // EAN-13 (China prefix), UPC-A (GTIN-12), EAN-8, GTIN-14 (GS1 examples).
      for (const gtin of ['6901234567892', '036000291452', '96385074', '10614141000415', '00012345600012']) {
        expect(gtinProblem(gtin), gtin).to.equal(null);
      }
    });

    it('When the check digit is changed, Then the GTIN is rejected naming the expected digit', () => {
      expect(gtinProblem('6901234567891')).to.equal('has check digit 1, but the GS1 check digit of 690123456789 is 2');
    });

    it('When any single digit of a valid GTIN-13 changes, Then the check fails', () => {
      fc.assert(
        fc.property(fc.stringMatching(/^\d{12}$/), fc.nat(12), fc.integer({ min: 1, max: 9 }), (body, position, delta) => {
          const gtin = body + String(gs1CheckDigit(body));
          expect(isValidGtin(gtin)).to.equal(true);
          const digit = (Number(gtin[position]) + delta) % 10;
          const changed = gtin.slice(0, position) + String(digit) + gtin.slice(position + 1);
          expect(isValidGtin(changed)).to.equal(false);
        }),
      );
    });

    it('When a GTIN has a length other than 8, 12, 13 or 14, or a non-digit, Then it is rejected', () => {
      for (const gtin of ['', '1234567', '12345678901', '123456789012345', '690123456789X']) expect(isValidGtin(gtin), gtin).to.equal(false);
    });

    it('When GTIN-8/12/13 are normalised, Then they are left-padded to GTIN-14 and keep a valid check digit', () => {
      expect(toGtin14('96385074')).to.equal('00000096385074');
      expect(toGtin14('036000291452')).to.equal('00036000291452');
      expect(toGtin14('6901234567892')).to.equal('06901234567892');
      for (const g of ['96385074', '036000291452', '6901234567892']) expect(isValidGtin(toGtin14(g))).to.equal(true);
    });

    it('When the GS1 prefix is 690–699, Then it is noted as a China prefix (informational)', () => {
      expect(hasChinaGs1Prefix('06901234567892')).to.equal(true);
      expect(hasChinaGs1Prefix('06971234000019')).to.equal(true);
      expect(hasChinaGs1Prefix('00036000291452')).to.equal(false);
      expect(isValidGtin('69012341')).to.equal(true);
      expect(hasChinaGs1Prefix(toGtin14('69012341'))).to.equal(true); // GTIN-8 with prefix 690
    });
  });

  describe('lot (GS1 AI 10, CSET 82)', () => {
    it('When a lot uses the 82-character set, Then it matches; spaces, "#", CJK and 21 characters do not', () => {
      const cset82 = '!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
      expect(cset82.length).to.equal(82);
      for (const c of cset82) expect(GS1_LOT_PATTERN.test(c), c).to.equal(true);
      for (const lot of ['', 'A B', 'A#1', '批次1', 'A'.repeat(21), 'a$b', 'a@b']) expect(GS1_LOT_PATTERN.test(lot), lot).to.equal(false);
      expect(GS1_LOT_PATTERN.test('Z'.repeat(20))).to.equal(true);
    });
  });

  describe('USCC (GB 32100-2015)', () => {
    it('When published codes of registered companies are checked, Then their check characters are valid', () => {
      for (const code of ['91440300708461136T', '91330100716105852F', '9144030071526726XG', '91350100M000100Y43', '91110000802100433B']) {
        expect(usccProblem(code), code).to.equal(null);
      }
    });

    it('When the fixtures\' synthetic codes are checked, Then they are valid', () => {
      for (const code of Object.values(USCC)) expect(isValidUscc(code), code).to.equal(true);
    });

    it('When the check character is wrong, Then the code is rejected naming the right one', () => {
      expect(usccProblem('91610900MA70A1234X')).to.equal('has check character X, but GB 32100-2015 gives C');
    });

    it('When a code has a forbidden letter (I, O, S, V, Z), lowercase, a letter in the division code or a wrong length, Then it is rejected', () => {
      const base = '91610900MA70A1234';
      for (const code of [`${base}I`, 'O1610900MA70A1234C', '91610900ma70a1234c', '9161A900MA70A1234C', `${base}`, `${base}CC`]) {
        expect(isValidUscc(code), code).to.equal(false);
      }
    });

    it('When any single character of a valid code is replaced, Then the check character catches it', () => {
      const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
      fc.assert(
        fc.property(fc.nat(16), fc.nat(30), (position, symbolIndex) => {
          const code = USCC.producer;
          const replacement = alphabet[symbolIndex]!;
          fc.pre(replacement !== code[position]);
          fc.pre(position < 2 || position > 7 || /\d/.test(replacement));
          const changed = code.slice(0, position) + replacement + code.slice(position + 1);
          expect(isValidUscc(changed), changed).to.equal(false);
          expect(usccCheckCharacter(changed.slice(0, 17))).to.not.equal(code[17]);
        }),
      );
    });
  });

  describe('CMA', () => {
    it('When a CMA number is read, Then digits 3–4 give the issuing province (27 = Shaanxi)', () => {
      expect(cmaProvinceCode('202727050123')).to.equal('27');
    });
  });
});
