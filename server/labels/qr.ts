/**
 * QR codes of label URIs: PNG and SVG images, and the module matrix for vector drawing (PDF).
 * Always error correction level M (15 % of the symbol may be damaged) and a quiet zone of
 * 4 modules (ISO/IEC 18004), the same symbol in every output.
 */
import QRCode from 'qrcode';
import { AppError } from '../errors';

/** Error correction level of every traceledger QR code. */
export const QR_ERROR_CORRECTION = 'M' as const;

/** Quiet zone around the symbol, in modules (ISO/IEC 18004 asks for 4). */
export const QR_QUIET_ZONE = 4;

/** Longest text put in a QR code (a Digital Link URI is far shorter; version 40-M holds 2331 bytes). */
export const QR_MAX_TEXT = 1024;

export interface QrImageOptions {
  /** Width (= height) of the image in pixels, quiet zone included; default 512 (PNG). The SVG scales freely. */
  size?: number;
  /** Quiet zone in modules; default {@link QR_QUIET_ZONE}. */
  margin?: number;
}

/** The square module matrix of `text`'s QR symbol (true = dark), without the quiet zone. */
export interface QrMatrix {
  size: number;
  version: number;
  isDark(row: number, col: number): boolean;
}

function checkText(text: string): void {
  if (typeof text !== 'string' || text.length === 0) throw new AppError('invalid-input', 'QR text must not be empty');
  if (text.length > QR_MAX_TEXT) throw new AppError('invalid-input', `QR text must be at most ${QR_MAX_TEXT} characters`);
}

function checkSize(size: number): number {
  if (!Number.isInteger(size) || size < 64 || size > 4096) throw new AppError('invalid-input', 'QR image size must be an integer from 64 to 4096 pixels');
  return size;
}

/** A PNG image of `text`'s QR code. Requires 1–1024 characters of text and a size of 64–4096 px. */
export async function qrPng(text: string, opts: QrImageOptions = {}): Promise<Buffer> {
  checkText(text);
  return QRCode.toBuffer(text, {
    type: 'png',
    errorCorrectionLevel: QR_ERROR_CORRECTION,
    margin: opts.margin ?? QR_QUIET_ZONE,
    width: checkSize(opts.size ?? 512),
  });
}

/** An SVG image (a standalone document) of `text`'s QR code. Requires 1–1024 characters of text. */
export async function qrSvg(text: string, opts: QrImageOptions = {}): Promise<string> {
  checkText(text);
  return QRCode.toString(text, {
    type: 'svg',
    errorCorrectionLevel: QR_ERROR_CORRECTION,
    margin: opts.margin ?? QR_QUIET_ZONE,
    ...(opts.size === undefined ? {} : { width: checkSize(opts.size) }),
  });
}

/** The module matrix of `text`'s QR symbol, to draw it as vectors. Requires 1–1024 characters of text. */
export function qrMatrix(text: string): QrMatrix {
  checkText(text);
  const qr = QRCode.create(text, { errorCorrectionLevel: QR_ERROR_CORRECTION });
  const { size, data } = qr.modules;
  return { size, version: qr.version, isDark: (row, col) => data[row * size + col] === 1 };
}
