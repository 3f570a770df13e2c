/** Reading label outputs back in tests: the module matrix of a qrcode SVG, and a PDF's pages and text (poppler). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QR_QUIET_ZONE, qrMatrix } from '../../../server/labels';

/** The dark modules of a qrcode SVG (`M x y.5 hN mDX DY …` strokes), as rows of 0/1, quiet zone included. */
export function svgModules(svg: string): number[][] {
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
  if (!Number.isInteger(size)) throw new Error('no square viewBox in the SVG');
  const d = /<path stroke="[^"]+" d="([^"]+)"/.exec(svg)?.[1];
  if (!d) throw new Error('no stroked path in the SVG');
  const grid = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  let x = 0;
  let y = 0;
  for (const [, op, a, b] of d.matchAll(/([MmHhVv])\s*(-?[\d.]+)(?:\s+(-?[\d.]+))?/g)) {
    const n = Number(a);
    if (op === 'M') [x, y] = [n, Number(b)];
    else if (op === 'm') [x, y] = [x + n, y + Number(b)];
    else if (op === 'h') {
      for (let i = 0; i < n; i++) grid[Math.floor(y)]![x + i] = 1;
      x += n;
    } else throw new Error(`unexpected path command ${op}`);
  }
  return grid;
}

/** The modules `text` must have at error correction M, quiet zone included. */
export function expectedModules(text: string): number[][] {
  const m = qrMatrix(text);
  const size = m.size + 2 * QR_QUIET_ZONE;
  return Array.from({ length: size }, (_, r) =>
    Array.from({ length: size }, (_, c) => {
      const [mr, mc] = [r - QR_QUIET_ZONE, c - QR_QUIET_ZONE];
      return mr >= 0 && mc >= 0 && mr < m.size && mc < m.size && m.isDark(mr, mc) ? 1 : 0;
    }),
  );
}

function poppler(tool: 'pdftotext' | 'pdfinfo', pdf: Buffer, args: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'traceledger-pdf-'));
  const file = path.join(dir, 'in.pdf');
  fs.writeFileSync(file, pdf);
  try {
    return execFileSync(tool, [...args, file, ...(tool === 'pdftotext' ? ['-'] : [])], { encoding: 'utf8' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${tool} is missing: install poppler-utils (scripts/ci-setup.sh does)`);
    throw e;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The text poppler extracts from a PDF, page breaks as form feeds. */
export const pdfText = (pdf: Buffer): string => poppler('pdftotext', pdf, ['-enc', 'UTF-8']);

/** `pdfinfo` fields of a PDF (Pages, Subject, Page size…). */
export function pdfInfo(pdf: Buffer): Record<string, string> {
  return Object.fromEntries(
    poppler('pdfinfo', pdf)
      .split('\n')
      .map((line) => /^([^:]+):\s*(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}
