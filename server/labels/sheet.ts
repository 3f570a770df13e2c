/**
 * A printable A4 sheet of batch labels (pdfkit): a grid of cells (3 × 8 of 70 × 37 mm by default,
 * the common 24-up label sheet), each with the batch's QR code, drawn as vectors, "扫码验真" (scan to verify)
 * and a human-readable code under it, and its product name, lot, producer, GTIN and harvest or production date. Chinese text needs a CJK font
 * ({@link findCjkFont}); without one the sheet is set in Helvetica, Chinese text is left out, and
 * the PDF's Subject says so.
 */
import PDFDocument from 'pdfkit';
import { AppError } from '../errors';
import { findCjkFont, type CjkFont } from './fonts';
import { QR_QUIET_ZONE, qrMatrix } from './qr';

/** What one label shows (public batch data only). */
export interface LabelItem {
  /** What the QR code holds: the batch's GS1 Digital Link URI, or its /b/{id} link. */
  uri: string;
  /** Printed under the QR code, for a person to read out or type: the lot (with a GTIN) or the batch id. */
  code: string;
  productName: string;
  lot: string;
  producerName: string;
  /** GTIN as printed (GTIN-14 or the GTIN-13 on the pack); absent for batches without one. */
  gtin?: string | undefined;
  /** Harvest or production date, YYYY-MM-DD. */
  date: string;
  dateKind: 'harvest' | 'production';
}

export interface LabelSheetOptions {
  /** Labels across; default 3. */
  columns?: number;
  /** Labels down; default 8. */
  rows?: number;
  /** The font for Chinese text; default: the first one found on the system; null: Helvetica, Chinese text left out. */
  font?: CjkFont | null;
  /** Light grey cutting lines around each label; default true. */
  cutLines?: boolean;
  /** The PDF's title. */
  title?: string;
  /** Told when there is no CJK font. */
  logger?: { warn(obj: object, msg: string): void };
}

/** Most labels in one PDF. */
export const MAX_LABELS = 1000;

const A4 = { width: 595.28, height: 841.89 };
const MM = 72 / 25.4;

interface Typeface {
  name: string;
  cjk: boolean;
}

/** Caption of each line, in Chinese and in the ASCII fallback. */
const CAPTIONS = {
  lot: ['批次 Lot', 'Lot'],
  producer: ['生产者', 'Producer'],
  gtin: ['GTIN', 'GTIN'],
  harvest: ['采收日期', 'Harvested'],
  production: ['生产日期', 'Produced'],
  scan: ['扫码验真', 'Scan to verify'],
} as const;

/** Text without what Helvetica (WinAnsi) cannot show: non-ASCII characters go, spaces collapse. */
export function asciiOnly(s: string): string {
  return s
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function checkGrid(n: number, what: string, max: number): number {
  if (!Number.isInteger(n) || n < 1 || n > max) throw new AppError('invalid-input', `${what} must be an integer from 1 to ${max}`);
  return n;
}

/**
 * Renders `items` as A4 label sheets, `columns × rows` labels per page, in order (left to right,
 * top to bottom); pages = ceil(items / (columns × rows)). Requires 1 to {@link MAX_LABELS} items.
 */
export async function labelSheetPdf(items: readonly LabelItem[], opts: LabelSheetOptions = {}): Promise<Buffer> {
  if (items.length === 0) throw new AppError('invalid-input', 'a label sheet needs at least one label');
  if (items.length > MAX_LABELS) throw new AppError('invalid-input', `at most ${MAX_LABELS} labels in one PDF`);
  const columns = checkGrid(opts.columns ?? 3, 'columns', 10);
  const rows = checkGrid(opts.rows ?? 8, 'rows', 20);
  const perPage = columns * rows;

  const font = opts.font === undefined ? findCjkFont() : opts.font;
  const fallbackNote = 'no CJK font found: Chinese text is left out (install fonts-wqy-microhei)';
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0,
    autoFirstPage: false,
    info: {
      Title: opts.title ?? 'traceledger batch labels',
      Author: 'traceledger',
      Creator: 'traceledger',
      Subject: `${items.length} batch label${items.length === 1 ? '' : 's'}, ${columns} x ${rows} per A4 sheet${font ? '' : `; ${fallbackNote}`}`,
      Keywords: 'traceledger, GS1 Digital Link, QR',
    },
  });
  const done = collect(doc);

  let face: Typeface = { name: 'Helvetica', cjk: false };
  if (font) {
    try {
      doc.registerFont('cjk', font.path, font.postscriptName);
      doc.font('cjk');
      face = { name: 'cjk', cjk: true };
    } catch (e) {
      opts.logger?.warn({ font: font.path, err: (e as Error).message }, 'the CJK font cannot be loaded; labels fall back to Helvetica');
      doc.info.Subject += `; ${fallbackNote}`;
    }
  } else {
    opts.logger?.warn({}, `label sheet: ${fallbackNote}`);
  }

  const cell = { width: A4.width / columns, height: A4.height / rows };
  items.forEach((item, i) => {
    const slot = i % perPage;
    if (slot === 0) doc.addPage({ size: 'A4', margin: 0 });
    const x = (slot % columns) * cell.width;
    const y = Math.floor(slot / columns) * cell.height;
    if (opts.cutLines ?? true) doc.save().lineWidth(0.3).strokeColor('#c8c8c8').rect(x, y, cell.width, cell.height).stroke().restore();
    drawLabel(doc, item, { x, y, ...cell }, face);
  });
  doc.end();
  return done;
}

function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One label: the QR code (quiet zone included) on the left, the text on the right, vertically centred. */
function drawLabel(doc: PDFKit.PDFDocument, item: LabelItem, box: Box, face: Typeface): void {
  const pad = Math.min(2.5 * MM, box.height * 0.08);
  const show = (s: string) => (face.cjk ? s : asciiOnly(s) || '-');
  const caption = (k: keyof typeof CAPTIONS) => CAPTIONS[k][face.cjk ? 0 : 1];
  // Under the QR code: "扫码验真" and the code, in a small size that still prints legibly (≥ 4.5 pt).
  const under = Math.max(4.5, Math.min(6, box.height / 16));
  doc.font(face.name).fontSize(under);
  const underLine = doc.currentLineHeight(true) + 0.3;
  const qrSide = Math.min(box.height - 2 * pad - 3 * underLine, box.width * 0.42);
  const qrTop = box.y + (box.height - qrSide - 3 * underLine) / 2;
  drawQr(doc, item.uri, box.x + pad, qrTop, qrSide);
  drawUnderQr(doc, [caption('scan'), item.code], { x: box.x + pad, y: qrTop + qrSide, width: qrSide, height: 3 * underLine }, under);

  const textX = box.x + pad + qrSide + 1 * MM;
  const width = box.x + box.width - 3 * MM - textX;

  const nameSize = Math.min(9, box.height / 11);
  const small = Math.min(6.5, box.height / 15);
  const blocks: { text: string; size: number; lines: number; gap: number }[] = [
    { text: show(item.productName), size: nameSize, lines: 2, gap: 2 },
    { text: `${caption('lot')}: ${item.lot}`, size: small, lines: 1, gap: 1 },
    { text: `${caption('producer')}: ${show(item.producerName)}`, size: small, lines: 2, gap: 1 },
    ...(item.gtin ? [{ text: `${caption('gtin')}: ${item.gtin}`, size: small, lines: 1, gap: 1 }] : []),
    { text: `${caption(item.dateKind)}: ${item.date}`, size: small, lines: 1, gap: 0 },
  ];

  doc.font(face.name).fillColor('#000000');
  const measured = blocks.map((b) => {
    // Shrink a little (to 80 %) rather than wrap a word or two onto a second line.
    doc.fontSize(b.size);
    const fit = (0.99 * b.size * width) / doc.widthOfString(b.text);
    if (fit < b.size && fit >= b.size * 0.8) b = { ...b, size: fit };
    doc.fontSize(b.size);
    const lineHeight = doc.currentLineHeight(true);
    const height = Math.min(doc.heightOfString(b.text, { width, lineGap: 0.5 }), b.lines * (lineHeight + 0.5));
    return { ...b, height };
  });
  const total = measured.reduce((sum, b) => sum + b.height + b.gap, 0);
  let y = box.y + Math.max(pad, (box.height - total) / 2);
  for (const b of measured) {
    doc.fontSize(b.size).text(b.text, textX, y, { width, height: b.height + 0.1, ellipsis: true, lineGap: 0.5 });
    y += b.height + b.gap;
  }
}

/** Centred lines under the QR code: the prompt on one line, the code on up to two (shrunk to fit, then wrapped). */
function drawUnderQr(doc: PDFKit.PDFDocument, [prompt, code]: [string, string], box: Box, size: number): void {
  doc.fillColor('#000000').fontSize(size);
  const line = doc.currentLineHeight(true) + 0.3;
  doc.text(prompt, box.x, box.y, { width: box.width, height: line, align: 'center', lineBreak: false, ellipsis: true });
  const fit = Math.max(size * 0.75, Math.min(size, (0.98 * size * box.width) / doc.widthOfString(code)));
  doc.fontSize(fit);
  // An id wraps after its "-" (line breaking allows a break after a hyphen).
  doc.text(code, box.x, box.y + line, { width: box.width, height: 2 * line, align: 'center', ellipsis: true, lineGap: 0 });
}

/** The QR symbol of `text` in a square of `side` points at (x, y), quiet zone included, as filled rectangles. */
function drawQr(doc: PDFKit.PDFDocument, text: string, x: number, y: number, side: number): void {
  const qr = qrMatrix(text);
  const module = side / (qr.size + 2 * QR_QUIET_ZONE);
  const x0 = x + QR_QUIET_ZONE * module;
  const y0 = y + QR_QUIET_ZONE * module;
  // A hair of overlap between rows keeps viewers from showing seams between touching modules.
  const seam = module * 0.03;
  doc.save();
  for (let r = 0; r < qr.size; r++) {
    let c = 0;
    while (c < qr.size) {
      if (!qr.isDark(r, c)) {
        c++;
        continue;
      }
      const start = c;
      while (c < qr.size && qr.isDark(r, c)) c++;
      doc.rect(x0 + start * module, y0 + r * module, (c - start) * module, module + seam);
    }
  }
  doc.fill('#000000').restore();
}
