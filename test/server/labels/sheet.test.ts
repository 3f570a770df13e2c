import { expect } from 'chai';
import { findCjkFont, labelSheetPdf, type LabelItem } from '../../../server/labels';
import { pdfInfo, pdfText } from './helpers';

function item(i: number, overrides: Partial<LabelItem> = {}): LabelItem {
  return {
    uri: `https://trace.ankang.example.cn/01/0697234501001${i % 10}/10/ZY25-${i}`,
    code: `ZY25-${i}`,
    productName: `紫阳富硒绿茶${i}号`,
    lot: `ZY25-${i}`,
    producerName: '紫阳县富硒茶业有限公司',
    gtin: '06972345010010',
    date: '2025-04-02',
    dateKind: 'harvest',
    ...overrides,
  };
}

const items = (n: number) => Array.from({ length: n }, (_, i) => item(i + 1));

describe('server/labels/sheet', function () {
  this.timeout(30_000);

  it('When this machine renders labels, Then it has a CJK font (scripts/ci-setup.sh installs fonts-wqy-microhei)', () => {
    expect(findCjkFont(), 'no CJK font: run scripts/ci-setup.sh').to.not.equal(null);
  });

  it('When 30 labels are printed 3 × 8, Then the PDF has 2 A4 pages', async () => {
    const info = pdfInfo(await labelSheetPdf(items(30)));
    expect(info.Pages).to.equal('2');
    expect(info['Page size']).to.match(/^595\.28 x 841\.89 pts \(A4\)/);
    expect(info.Subject).to.equal('30 batch labels, 3 x 8 per A4 sheet');
  });

  it('When 24 labels are printed, Then they fill exactly one page; on a 2 × 5 grid, three', async () => {
    expect(pdfInfo(await labelSheetPdf(items(24))).Pages).to.equal('1');
    expect(pdfInfo(await labelSheetPdf(items(24), { columns: 2, rows: 5 })).Pages).to.equal('3');
  });

  it('When a label is printed, Then its Chinese product name, producer, lot, GTIN and date are in the PDF text', async () => {
    const text = pdfText(await labelSheetPdf([item(7)]));
    for (const expected of ['紫阳富硒绿茶7号', '紫阳县富硒茶业有限公司', 'ZY25-7', '06972345010010', '采收日期', '2025-04-02']) {
      expect(text).to.contain(expected);
    }
  });

  it('When 30 labels are printed, Then every one carries "扫码验真" and its human-readable code under the QR code', async () => {
    const text = pdfText(await labelSheetPdf(items(30)));
    expect(text.match(/扫码验真/g) ?? []).to.have.length(30);
    for (let i = 1; i <= 30; i++) expect(text).to.match(new RegExp(`ZY25-${i}\\b[\\s\\S]*ZY25-${i}\\b`), `label ${i}: lot line and code`);
  });

  it('When a batch without a GTIN has a long id, Then its whole id is printed under the QR code (wrapped, never cut)', async () => {
    const id = '91610924MA6YAB3K2L-01JDQ3V5WZ8K4N2P6R8T0V2X4Z';
    const text = pdfText(await labelSheetPdf([item(1, { gtin: undefined, uri: `https://trace.ankang.example.cn/b/${id}`, code: id })])).replace(/\s+/g, '');
    expect(text).to.contain(id);
    expect(text).to.contain('扫码验真');
  });

  it('When no CJK font is available, Then the prompt under the QR code reads "Scan to verify"', async () => {
    const text = pdfText(await labelSheetPdf([item(2)], { font: null }));
    expect(text).to.contain('Scan to verify').and.to.contain('ZY25-2');
  });

  it('When a batch has no GTIN and was produced, not harvested, Then its label has no GTIN line and says 生产日期', async () => {
    const text = pdfText(await labelSheetPdf([item(1, { gtin: undefined, dateKind: 'production' })]));
    expect(text).to.not.contain('GTIN');
    expect(text).to.contain('生产日期');
  });

  it('When no CJK font is available, Then the sheet falls back to Helvetica, keeps the ASCII fields and says so in its metadata', async () => {
    const warnings: string[] = [];
    const pdf = await labelSheetPdf([item(3)], { font: null, logger: { warn: (_o, msg) => warnings.push(msg) } });
    const text = pdfText(pdf);
    expect(text).to.contain('Lot: ZY25-3').and.to.contain('06972345010010').and.to.not.contain('紫阳');
    expect(pdfInfo(pdf).Subject).to.contain('no CJK font found');
    expect(warnings.join()).to.contain('no CJK font found');
  });

  it('When no label or a bad grid is asked for, Then it is refused as invalid input', async () => {
    for (const p of [labelSheetPdf([]), labelSheetPdf(items(1), { columns: 0 }), labelSheetPdf(items(1), { rows: 2.5 })]) {
      let code: string | undefined;
      try {
        await p;
      } catch (e) {
        code = (e as { code?: string }).code;
      }
      expect(code).to.equal('invalid-input');
    }
  });
});
