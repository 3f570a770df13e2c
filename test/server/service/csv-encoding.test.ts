/*
 * server/service/csv-encoding: a CSV saved by Excel on a Chinese Windows (GBK) is read as the Chinese text it is;
 * bytes that are neither UTF-8 nor plausibly GBK (Big5, Shift-JIS, a damaged file) are refused, never stored as mojibake.
 */
import { expect } from 'chai';
import { AppError } from '../../../server/errors';
import { CsvDecoder, declaredCsvEncoding, decodeCsvFile, GbkSniffer } from '../../../server/service/csv-encoding';

// Fixtures encoded with iconv-lite once (bytes kept here so the test needs no encoder).
const GBK = {
  /** 陕西省安康市紫阳县城关镇 */
  place: Buffer.from('c9c2cef7caa1b0b2bfb5cad0d7cfd1f4cfd8b3c7b9d8d5f2', 'hex'),
  /** 紫阳毛尖 */
  tea: Buffer.from('d7cfd1f4c3abbce2', 'hex'),
  /** 喆 (a GBK extension character, outside GB2312) */
  rare: Buffer.from('86b4', 'hex'),
};
/** 紫陽縣城關鎮 in Big5. */
const BIG5 = Buffer.from('b5b5b6a7bfa4abb0c3f6c2ed', 'hex');
/** 紫陽県城関鎮 in Shift-JIS. */
const SJIS = Buffer.from('8e87977a8ca78fe98ad692c1', 'hex');

const csv = (...cells: Buffer[]): Buffer => Buffer.concat([Buffer.from('lot,origin_name,product_name\nZY-1,'), cells[0]!, Buffer.from(','), cells[1]!, Buffer.from('\n')]);

function refusal(f: () => unknown): AppError {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a refusal');
}

describe('server/service/csv-encoding', () => {
  it('When a file is UTF-8 (with a BOM), Then it is read as UTF-8 and the BOM dropped', () => {
    expect(decodeCsvFile(Buffer.from('\uFEFFlot\n紫阳毛尖\n'))).to.deep.equal({ text: 'lot\n紫阳毛尖\n', encoding: 'utf-8' });
  });

  it('When a file is GBK (Excel on a Chinese Windows), Then it is read as GBK with its Chinese text intact', () => {
    const { text, encoding } = decodeCsvFile(csv(GBK.place, GBK.tea));
    expect(encoding).to.equal('gbk');
    expect(text).to.equal('lot,origin_name,product_name\nZY-1,陕西省安康市紫阳县城关镇,紫阳毛尖\n');
  });

  it('When a GBK file arrives one byte at a time (characters split across chunks), Then the text is the same', () => {
    const bytes = csv(GBK.place, Buffer.concat([GBK.tea, GBK.rare]));
    const d = new CsvDecoder();
    let text = '';
    let restarts = 0;
    for (const b of bytes) {
      const out = d.push(Uint8Array.of(b));
      if (out.restart) {
        restarts++;
        text = '';
      }
      text += out.text;
    }
    text += d.end().text;
    expect(restarts, 'decoded again from the start once, when the first non-UTF-8 byte came').to.equal(1);
    expect(d.encoding).to.equal('gbk');
    expect(text).to.equal('lot,origin_name,product_name\nZY-1,陕西省安康市紫阳县城关镇,紫阳毛尖喆\n');
  });

  it('When a file is Big5 or Shift-JIS, Then it is refused with advice, not read as GBK mojibake', () => {
    for (const other of [BIG5, SJIS]) {
      const e = refusal(() => decodeCsvFile(csv(other, other)));
      expect(e.code).to.equal('invalid-input');
      expect(e.message).to.match(/neither UTF-8 nor GBK.*CSV UTF-8/);
    }
  });

  it('When a UTF-8 file has one damaged byte, Then it is refused (not re-read as GBK)', () => {
    const damaged = Buffer.from('lot,origin_name\nZY-1,陕西省安康市紫阳县城关镇\n');
    damaged[damaged.length - 3] = 0xff;
    expect(refusal(() => decodeCsvFile(damaged)).code).to.equal('invalid-input');
    const cut = Buffer.from('lot,origin_name\nZY-1,陕西省安康市紫阳县城关镇\n');
    cut[cut.length - 4] = 0x41;
    expect(refusal(() => decodeCsvFile(cut)).code).to.equal('invalid-input');
  });

  it('When a file ends in the middle of a GBK character, Then it is refused', () => {
    expect(refusal(() => decodeCsvFile(Buffer.concat([csv(GBK.place, GBK.tea), Buffer.from([0xd7])]))).code).to.equal('invalid-input');
  });

  it('Given the sniffer, When text is mostly rare or non-Chinese double-byte characters, Then it is not judged GBK', () => {
    const s = new GbkSniffer();
    expect(s.push(Buffer.concat([GBK.rare, GBK.rare, GBK.tea]))).to.equal(true);
    expect(s.end(), '2 of 4 characters outside common GB2312').to.equal(false);
    const t = new GbkSniffer();
    expect(t.push(Buffer.from([0x41, 0x80]))).to.equal(false);
  });

  it('When the upload declares a charset, Then GBK names are taken, UTF-8 is detected as usual, and others are 415 unsupported-encoding', () => {
    expect(declaredCsvEncoding('text/csv')).to.equal(undefined);
    expect(declaredCsvEncoding('text/csv; charset=UTF-8')).to.equal('utf-8');
    for (const name of ['gbk', 'GB2312', 'gb18030', '"cp936"']) expect(declaredCsvEncoding(`text/csv; charset=${name}`)).to.equal('gbk');
    const e = refusal(() => declaredCsvEncoding('text/csv; charset=big5'));
    expect(e.code).to.equal('unsupported-encoding');
    expect(e.status).to.equal(415);
  });
});
