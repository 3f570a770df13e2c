/**
 * The text encoding of an uploaded CSV. Excel on a Chinese Windows saves "CSV (逗号分隔)" in GBK (code page 936),
 * not UTF-8: such a file is decoded as GBK/GB18030 rather than refused, but only when its bytes look like Chinese text
 * in GBK — every double-byte character valid GBK, and nearly all of them Chinese characters or punctuation of GB2312
 * (not its kana, Greek or Cyrillic rows, nor its empty rows, where Big5's most common characters would land).
 * Anything else that is not UTF-8 (Big5, Shift-JIS, a damaged file) is refused: a wrong guess would store mojibake
 * under a producer's name, signed and anchored.
 */
import { AppError } from '../errors';

export type CsvEncoding = 'utf-8' | 'gbk';

/** Share of double-byte characters that must be common Chinese text (see {@link isCommonGb2312}) for a file to be read as GBK. */
const MIN_COMMON_SHARE = 0.9;

/**
 * A GB2312 character of Chinese text: punctuation and symbols (rows 1–3), pinyin and bopomofo (8), box drawing (9),
 * Chinese characters (16–87). Not kana, Greek, Cyrillic (4–7) nor the unassigned rows 10–15.
 */
function isCommonGb2312(lead: number, trail: number): boolean {
  if (trail < 0xa1 || trail > 0xfe) return false;
  return (lead >= 0xa1 && lead <= 0xa3) || lead === 0xa8 || lead === 0xa9 || (lead >= 0xb0 && lead <= 0xf7);
}

export const NOT_TEXT_MESSAGE = 'the CSV is neither UTF-8 nor GBK text (in Excel, save it as "CSV UTF-8 (逗号分隔)")';

/**
 * Judges, across chunks, whether bytes are Chinese text in GBK: `push` answers false as soon as a byte sequence is
 * not GBK; `end` answers whether the whole is (valid, ended on a whole character, nearly all common Chinese text).
 */
export class GbkSniffer {
  private lead = 0;
  private pairs = 0;
  private common = 0;
  private bad = false;

  push(bytes: Uint8Array): boolean {
    if (this.bad) return false;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.lead !== 0) {
        // GBK: lead 0x81–0xFE, trail 0x40–0x7E or 0x80–0xFE. (GB18030's four-byte forms are not Excel's output.)
        if (b < 0x40 || b === 0x7f || b === 0xff) return this.fail();
        this.pairs++;
        if (isCommonGb2312(this.lead, b)) this.common++;
        this.lead = 0;
      } else if (b >= 0x81 && b <= 0xfe) {
        this.lead = b;
      } else if (b >= 0x80) {
        return this.fail();
      }
    }
    return true;
  }

  /** False once a byte sequence was not GBK. */
  get plausible(): boolean {
    return !this.bad;
  }

  end(): boolean {
    if (this.bad || this.lead !== 0) return false;
    return this.pairs === 0 || this.common / this.pairs >= MIN_COMMON_SHARE;
  }

  private fail(): false {
    this.bad = true;
    return false;
  }
}

/** The encoding a Content-Type's charset names: undefined (none given: detect), utf-8 or gbk; throws 'unsupported-encoding' for others. */
export function declaredCsvEncoding(contentType: string | undefined): CsvEncoding | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  if (!m) return undefined;
  const charset = m[1]!.toLowerCase();
  if (charset === 'utf-8' || charset === 'utf8') return 'utf-8';
  if (charset === 'gbk' || charset === 'gb2312' || charset === 'gb18030' || charset === 'cp936') return 'gbk';
  throw new AppError('unsupported-encoding', `the CSV's charset ${charset} is not supported: send UTF-8 (or GBK, as Excel saves it)`);
}

/**
 * Decodes CSV bytes as they arrive: UTF-8 (a BOM dropped) until a byte says otherwise, then — when every byte so far
 * and after is GBK — GBK. `push` and `end` answer the text decoded so far (`restart` true when what was answered
 * before must be dropped: the text is decoded again from the start). Throws 'invalid-input' when the bytes are
 * neither.
 */
export class CsvDecoder {
  private decoder: TextDecoder;
  private readonly raw: Uint8Array[] = [];
  private readonly sniffer = new GbkSniffer();
  encoding: CsvEncoding;

  constructor(declared?: CsvEncoding) {
    this.encoding = declared ?? 'utf-8';
    this.decoder = this.newDecoder();
  }

  push(bytes: Uint8Array): { text: string; restart: boolean } {
    if (this.encoding === 'utf-8') this.raw.push(bytes);
    if (!this.sniffer.push(bytes) && this.encoding === 'gbk') throw notText();
    return this.decode(bytes, true);
  }

  end(): { text: string; restart: boolean } {
    const out = this.decode(new Uint8Array(0), false);
    if (this.encoding === 'gbk' && !this.sniffer.end()) throw notText();
    return out;
  }

  private decode(bytes: Uint8Array, stream: boolean): { text: string; restart: boolean } {
    try {
      return { text: this.decoder.decode(bytes, { stream }), restart: false };
    } catch {
      if (this.encoding === 'gbk') throw notText();
    }
    // Not UTF-8: GBK, if the bytes so far are (the sniffer has seen them all).
    if (!this.sniffer.plausible) throw notText();
    this.encoding = 'gbk';
    this.decoder = this.newDecoder();
    const all = Buffer.concat(this.raw);
    this.raw.length = 0;
    try {
      return { text: this.decoder.decode(all, { stream }), restart: true };
    } catch {
      throw notText();
    }
  }

  private newDecoder(): TextDecoder {
    return new TextDecoder(this.encoding === 'gbk' ? 'gb18030' : 'utf-8', { fatal: true, ignoreBOM: false });
  }
}

const notText = (): AppError => new AppError('invalid-input', NOT_TEXT_MESSAGE);

/** The text of a whole CSV file's bytes, UTF-8 or GBK as {@link CsvDecoder} judges; throws 'invalid-input' for neither. */
export function decodeCsvFile(bytes: Uint8Array, declared?: CsvEncoding): { text: string; encoding: CsvEncoding } {
  const d = new CsvDecoder(declared);
  const first = d.push(bytes);
  const last = d.end();
  return { text: first.text + last.text, encoding: d.encoding };
}
