import { expect } from 'chai';
import { qrMatrix, qrPng, qrSvg } from '../../../server/labels';
import { labelUri } from '../../../server/records/digital-link';
import { expectedModules, svgModules } from './helpers';

const URI = labelUri('https://trace.ankang.example.cn', { id: 'AK-ZY-2025-001', gtin: '6972345010010', lot: 'ZY25-MJ0328' });

describe('server/labels/qr', () => {
  it('When a label URI is rendered as PNG, Then it is a PNG of the asked size', async () => {
    const png = await qrPng(URI, { size: 300 });
    expect([...png.subarray(0, 8)]).to.deep.equal([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString('ascii')).to.equal('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).to.deep.equal([300, 300]);
  });

  it('When a label URI is rendered as SVG, Then its path draws exactly the level-M symbol of that URI with a 4-module quiet zone', async () => {
    const svg = await qrSvg(URI);
    const drawn = svgModules(svg);
    expect(drawn).to.deep.equal(expectedModules(URI));
    const quiet = [...drawn.slice(0, 4), ...drawn.slice(-4)].flat().concat(drawn.flatMap((r) => [...r.slice(0, 4), ...r.slice(-4)]));
    expect(quiet.every((m) => m === 0)).to.equal(true);
  });

  it('When another URI is rendered, Then the SVG differs (the symbol carries the text)', async () => {
    const other = labelUri('https://trace.ankang.example.cn', { id: 'x', gtin: '6972345010010', lot: 'ZY25-MJ0329' });
    expect(svgModules(await qrSvg(other))).to.not.deep.equal(svgModules(await qrSvg(URI)));
  });

  it('When the matrix is asked for, Then it is the version that fits the URI, square, with finder patterns in three corners', () => {
    const m = qrMatrix(URI);
    expect(m.size).to.equal(17 + 4 * m.version);
    for (const [r, c] of [[0, 0], [0, m.size - 7], [m.size - 7, 0]] as const) {
      expect([0, 1, 2, 3, 4, 5, 6].every((i) => m.isDark(r, c + i) && m.isDark(r + 6, c + i) && m.isDark(r + i, c) && m.isDark(r + i, c + 6))).to.equal(true);
    }
  });

  it('When the text is empty or the size is out of range, Then it is refused as invalid input', async () => {
    for (const p of [qrPng(''), qrSvg(''), qrPng(URI, { size: 10 })]) {
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
