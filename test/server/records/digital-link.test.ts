import { expect } from 'chai';
import fc from 'fast-check';
import { AppError } from '../../../server/errors';
import { gs1CheckDigit } from '../../../server/records';
import { encodeAi82, formatDigitalLinkPath, labelUri, parseDigitalLinkPath } from '../../../server/records/digital-link';

const GTIN13 = '6901234567892';
const GTIN14 = '06901234567892';
/** The GS1 AI 82 character set. */
const AI82_CHARS = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;

function expectMalformed(path: string): AppError {
  let thrown: unknown;
  try {
    parseDigitalLinkPath(path);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `${path} should be refused`).to.be.instanceOf(AppError);
  expect((thrown as AppError).code).to.equal('malformed-digital-link');
  expect((thrown as AppError).status).to.equal(400);
  return thrown as AppError;
}

describe('server/records/digital-link', () => {
  describe('parse', () => {
    it('When the link is /01/{GTIN-14}/10/{lot}, Then the GTIN and lot are read', () => {
      expect(parseDigitalLinkPath(`/01/${GTIN14}/10/ZY-2025-09A`)).to.deep.equal({ gtin14: GTIN14, lot: 'ZY-2025-09A' });
    });

    it('When the GTIN is a GTIN-13, -12 or -8, Then it is read as GTIN-14 (left-padded)', () => {
      expect(parseDigitalLinkPath(`/01/${GTIN13}/10/A`).gtin14).to.equal(GTIN14);
      expect(parseDigitalLinkPath('/01/036000291452/10/A').gtin14).to.equal('00036000291452');
      expect(parseDigitalLinkPath('/01/96385074/10/A').gtin14).to.equal('00000096385074');
    });

    it('When every qualifier is present in the order 22, 10, 21, Then all are read', () => {
      expect(parseDigitalLinkPath(`/01/${GTIN14}/22/V2/10/L1/21/S-9`)).to.deep.equal({ gtin14: GTIN14, cpv: 'V2', lot: 'L1', serial: 'S-9' });
    });

    it('When the link has only a GTIN, or a trailing slash, Then it is read', () => {
      expect(parseDigitalLinkPath(`/01/${GTIN14}`)).to.deep.equal({ gtin14: GTIN14 });
      expect(parseDigitalLinkPath(`/01/${GTIN14}/10/L1/`)).to.deep.equal({ gtin14: GTIN14, lot: 'L1' });
    });

    it('When a lot is percent-encoded, Then it is decoded (slash, percent, quote, space-free AI 82 characters)', () => {
      expect(parseDigitalLinkPath(`/01/${GTIN14}/10/A%2FB`).lot).to.equal('A/B');
      expect(parseDigitalLinkPath(`/01/${GTIN14}/10/50%25`).lot).to.equal('50%');
      expect(parseDigitalLinkPath(`/01/${GTIN14}/10/%22Q%22`).lot).to.equal('"Q"');
      expect(parseDigitalLinkPath(`/01/${GTIN14}/10/%41b`).lot).to.equal('Ab');
    });
  });

  describe('malformed links → malformed-digital-link (400)', () => {
    const cases: [string, string][] = [
      ['empty path', '/'],
      ['not starting with /01', `/02/${GTIN14}/10/L`],
      ['/01 without a GTIN', '/01'],
      ['GTIN with letters', '/01/69012345678X2/10/L'],
      ['GTIN of 9 digits', '/01/690123456/10/L'],
      ['GTIN of 15 digits', '/01/069012345678920/10/L'],
      ['wrong check digit', '/01/6901234567891/10/L'],
      ['qualifier without a value', `/01/${GTIN14}/10`],
      ['unknown qualifier', `/01/${GTIN14}/99/X`],
      ['data attribute as a path qualifier', `/01/${GTIN14}/17/261231`],
      ['10 before 22', `/01/${GTIN14}/10/L/22/V`],
      ['21 before 10', `/01/${GTIN14}/21/S/10/L`],
      ['repeated 10', `/01/${GTIN14}/10/A/10/B`],
      ['empty lot', `/01/${GTIN14}/10//21/S`],
      ['lot of 21 characters', `/01/${GTIN14}/10/${'A'.repeat(21)}`],
      ['bad percent-encoding', `/01/${GTIN14}/10/A%2`],
      ['invalid UTF-8 percent-encoding', `/01/${GTIN14}/10/%E6%89`],
      ['space in the lot', `/01/${GTIN14}/10/A%20B`],
      ['# in the lot', `/01/${GTIN14}/10/A%23B`],
      ['Chinese characters in the lot', `/01/${GTIN14}/10/%E6%89%B9%E5%8F%B7`],
      ['serial of 21 characters', `/01/${GTIN14}/10/L/21/${'9'.repeat(21)}`],
    ];
    for (const [name, path] of cases) {
      it(`When the link has ${name}, Then it is refused as malformed-digital-link`, () => {
        const e = expectMalformed(path);
        expect(e.message).to.match(/^malformed GS1 Digital Link: /);
      });
    }
  });

  describe('format', () => {
    it('When a batch has a GTIN-13, Then the path carries its GTIN-14 and lot', () => {
      expect(formatDigitalLinkPath({ gtin14: GTIN13, lot: 'ZY-2025-09A' })).to.equal(`/01/${GTIN14}/10/ZY-2025-09A`);
    });

    it('When the qualifiers are given in any order, Then they are written 22, 10, 21', () => {
      expect(formatDigitalLinkPath({ serial: 'S', lot: 'L', cpv: 'V', gtin14: GTIN14 })).to.equal(`/01/${GTIN14}/22/V/10/L/21/S`);
    });

    it('When a lot has characters outside letters, digits, "-", "." and "_", Then they are percent-encoded', () => {
      expect(formatDigitalLinkPath({ gtin14: GTIN14, lot: 'A/B%"' })).to.equal(`/01/${GTIN14}/10/A%2FB%25%22`);
      expect(encodeAi82("!'()*+,:;<=>?")).to.equal('%21%27%28%29%2A%2B%2C%3A%3B%3C%3D%3E%3F');
    });

    it('When the GTIN check digit is wrong, Then formatting refuses it as invalid-input', () => {
      expect(() => formatDigitalLinkPath({ gtin14: '6901234567891', lot: 'L' })).to.throw(AppError).with.property('code', 'invalid-input');
    });

    it('When the lot is outside the AI 82 set, Then formatting refuses it', () => {
      expect(() => formatDigitalLinkPath({ gtin14: GTIN14, lot: '批号' })).to.throw(AppError).with.property('code', 'malformed-digital-link');
    });

    it('When a batch has no GTIN, Then its label URI is /b/{id}; with one, the Digital Link', () => {
      expect(labelUri('https://trace.example.cn/', { id: 'B-1', lot: 'L' })).to.equal('https://trace.example.cn/b/B-1');
      expect(labelUri('https://trace.example.cn', { id: 'B-1', gtin: GTIN13, lot: 'L1' })).to.equal(`https://trace.example.cn/01/${GTIN14}/10/L1`);
    });
  });

  describe('round trip', () => {
    const lot = fc.string({ unit: fc.constantFrom(...AI82_CHARS), minLength: 1, maxLength: 20 });
    const gtin = fc
      .stringMatching(/^\d{12}$/)
      .map((body) => body + String(gs1CheckDigit(body)))
      .map((g13) => g13.padStart(14, '0'));

    it('When any valid GTIN and AI 82 lot, cpv and serial are formatted, Then parsing gives them back', () => {
      fc.assert(
        fc.property(gtin, lot, fc.option(lot, { nil: undefined }), fc.option(lot, { nil: undefined }), (gtin14, l, cpv, serial) => {
          const link = { gtin14, lot: l, ...(cpv === undefined ? {} : { cpv }), ...(serial === undefined ? {} : { serial }) };
          expect(parseDigitalLinkPath(formatDigitalLinkPath(link))).to.deep.equal(link);
        }),
        { numRuns: 300 },
      );
    });

    it('When a GTIN has any digit changed, Then the check digit catches it', () => {
      fc.assert(
        fc.property(gtin, fc.integer({ min: 0, max: 13 }), fc.integer({ min: 1, max: 9 }), (g, pos, delta) => {
          const digits = g.split('');
          digits[pos] = String((Number(digits[pos]) + delta) % 10);
          expectMalformed(`/01/${digits.join('')}/10/L`);
        }),
        { numRuns: 200 },
      );
    });
  });
});
