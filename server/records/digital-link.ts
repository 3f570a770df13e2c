/** GS1 Digital Link URIs for batch labels: `/01/{GTIN-14}[/22/{cpv}][/10/{lot}][/21/{serial}]`, qualifiers in that fixed order. */
import { AppError } from '../errors';
import { gtinProblem, toGtin14 } from './identifiers';

/** GS1 AI 82 character set (the one lot numbers use). */
const AI82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$/;

export interface DigitalLink {
  gtin14: string;
  cpv?: string;
  lot?: string;
  serial?: string;
}

const QUALIFIERS = [
  ['22', 'cpv', 20],
  ['10', 'lot', 20],
  ['21', 'serial', 20],
] as const;

/** Percent-encodes everything but letters, digits, '-', '.' and '_' (a safe subset of what GS1 allows unescaped). */
export function encodeAi82(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'))
    .map((b) => (/[A-Za-z0-9\-._]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

function checkAi82(value: string, what: string, max: number): void {
  if (value.length < 1 || value.length > max) throw malformed(`${what} must be 1–${max} characters, got ${value.length}`);
  if (!AI82.test(value)) throw malformed(`${what} has characters outside the GS1 AI 82 set`);
}

const malformed = (why: string) => new AppError('malformed-digital-link', `malformed GS1 Digital Link: ${why}`);

/** The path part (from `/01/`) of a Digital Link. Requires a valid GTIN and a lot of 1–20 AI 82 characters. */
export function formatDigitalLinkPath(link: DigitalLink): string {
  const problem = gtinProblem(link.gtin14);
  if (problem) throw new AppError('invalid-input', `GTIN ${link.gtin14}: ${problem}`);
  let path = `/01/${toGtin14(link.gtin14)}`;
  for (const [ai, key, max] of QUALIFIERS) {
    const v = link[key];
    if (v === undefined) continue;
    checkAi82(v, key, max);
    path += `/${ai}/${encodeAi82(v)}`;
  }
  return path;
}

/** The full URI printed in a batch's QR code: base + Digital Link path, or base + /b/{id} without a GTIN. */
export function labelUri(baseUrl: string, batch: { id: string; gtin?: string | undefined; lot: string }): string {
  const base = baseUrl.replace(/\/+$/, '');
  if (!batch.gtin) return `${base}/b/${encodeURIComponent(batch.id)}`;
  return base + formatDigitalLinkPath({ gtin14: toGtin14(batch.gtin), lot: batch.lot });
}

/**
 * Parses the path of a Digital Link (`/01/…`, query excluded). Throws AppError
 * 'malformed-digital-link' (HTTP 400) for a bad GTIN, an unknown or out-of-order qualifier,
 * a bad percent-encoding, or a value outside the AI 82 set.
 */
export function parseDigitalLinkPath(path: string): DigitalLink {
  const parts = path.replace(/\/+$/, '').split('/').slice(1);
  if (parts[0] !== '01' || parts.length < 2 || parts.length % 2 !== 0) throw malformed('expected /01/{GTIN} followed by qualifier pairs');
  const gtin = parts[1]!;
  if (!/^\d{8}$|^\d{12,14}$/.test(gtin)) throw malformed('the GTIN must be 8, 12, 13 or 14 digits');
  const problem = gtinProblem(gtin);
  if (problem) throw malformed(`GTIN ${gtin}: ${problem}`);
  const link: DigitalLink = { gtin14: toGtin14(gtin) };
  let next = 0;
  for (let i = 2; i < parts.length; i += 2) {
    const ai = parts[i]!;
    const pos = QUALIFIERS.findIndex(([q]) => q === ai);
    if (pos < 0) throw malformed(`unknown qualifier ${ai} (01 may be followed by 22, 10 and 21)`);
    if (pos < next) throw malformed(`qualifier ${ai} is out of order (the order is 01, 22, 10, 21)`);
    next = pos + 1;
    let value: string;
    try {
      value = decodeURIComponent(parts[i + 1]!);
    } catch {
      throw malformed(`qualifier ${ai} has a bad percent-encoding`);
    }
    const [, key, max] = QUALIFIERS[pos]!;
    checkAi82(value, key, max);
    link[key] = value;
  }
  return link;
}
