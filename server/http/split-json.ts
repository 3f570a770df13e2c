/**
 * JSON.parse of a large request body of the shape `{"member": [element, element, …]}` (a bulk submission), one element
 * at a time, for the fast dispatch (./fast-path.ts).
 *
 * Why: V8 keeps a string of more than ~128 kB (a UTF-8 body of 64 kB with a single non-ASCII character becomes a
 * two-byte string of that size) in its large-object space, each one on pages of its own, mapped, faulted in and unmapped
 * again. Decoding a 104 kB bulk of 50 reports with Chinese lab names took 1.1-1.3 ms that way, against 0.07 ms for a
 * 60 kB one, and JSON.parse of it only 0.08 ms: ~25 µs a report of the event loop, and the kernel's time besides.
 * Each element decoded and parsed on its own stays a small string.
 *
 * The answer is JSON.parse's own: the elements are found by a scan of the bytes that follows strings (and their escapes)
 * and brackets, and each is parsed by JSON.parse. Anything else (another shape, an element that does not parse, a
 * bracket that does not match) answers undefined, and the caller parses the body whole, as before, refusing it with
 * JSON.parse's error. test/server/http/split-json.test.ts holds it to JSON.parse over random JSON.
 */

/** Bodies from this many bytes are split; below it the whole string is small enough. */
export const SPLIT_FROM_BYTES = 48 * 1024;

/**
 * Most elements split: beyond, the whole parse. A parse per element costs more than the whole parse's share of it
 * when elements are tiny: a 240 kB body of 120,000 one-digit elements took 25-53 ms split against 5-12 ms whole, a
 * cost an anonymous client could make the event loop pay. A bulk holds far fewer (MAX_BULK_REPORTS).
 */
export const MAX_SPLIT_ELEMENTS = 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

const isWhitespace = (b: number | undefined): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** The index just past the string whose opening quote is at `open`, or -1 when it does not end. */
function endOfString(buf: Buffer, open: number): number {
  const n = buf.length;
  for (let k = open + 1; k < n; k++) {
    const b = buf[k];
    if (b === QUOTE) return k + 1;
    // An escape: the next byte is part of it (\" and \\ among them), never the string's end.
    if (b === BACKSLASH) k++;
  }
  return -1;
}

/**
 * The value of the JSON text in `buf` from byte `start` on (past any byte order mark), when it is an object of one member
 * whose value is an array; undefined otherwise, or when any part of it is not valid JSON.
 */
export function parseSplitJson(buf: Buffer, start = 0): unknown {
  const n = buf.length;
  let i = start;
  const skip = () => {
    while (i < n && isWhitespace(buf[i])) i++;
  };
  skip();
  if (buf[i] !== OPEN_BRACE) return undefined;
  i++;
  skip();
  if (buf[i] !== QUOTE) return undefined;
  const keyEnd = endOfString(buf, i);
  if (keyEnd < 0) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(buf.toString('utf8', i, keyEnd));
  } catch {
    return undefined;
  }
  // JSON.parse makes "__proto__" an own member; leave that to it.
  if (typeof key !== 'string' || key === '__proto__') return undefined;
  i = keyEnd;
  skip();
  if (buf[i] !== COLON) return undefined;
  i++;
  skip();
  if (buf[i] !== OPEN_BRACKET) return undefined;
  i++;
  const elements: unknown[] = [];
  let from = i;
  let depth = 0;
  for (;;) {
    if (i >= n) return undefined;
    const b = buf[i]!;
    if (b === QUOTE) {
      i = endOfString(buf, i);
      if (i < 0) return undefined;
      continue;
    }
    if (b === OPEN_BRACKET || b === OPEN_BRACE) depth++;
    else if (b === CLOSE_BRACKET || b === CLOSE_BRACE) {
      if (depth > 0) depth--;
      else if (b === CLOSE_BRACE) return undefined;
      else {
        // The array's end: its last element, unless it is empty.
        const empty = elements.length === 0 && isBlank(buf, from, i);
        if (!empty && !pushParsed(elements, buf, from, i)) return undefined;
        i++;
        break;
      }
    } else if (b === COMMA && depth === 0) {
      if (elements.length === MAX_SPLIT_ELEMENTS - 1 || !pushParsed(elements, buf, from, i)) return undefined;
      from = i + 1;
    }
    i++;
  }
  skip();
  if (buf[i] !== CLOSE_BRACE) return undefined;
  i++;
  skip();
  if (i !== n) return undefined;
  return { [key]: elements };
}

function isBlank(buf: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isWhitespace(buf[k])) return false;
  return true;
}

/** Parses the element in bytes [from, to) onto `out`; false when it is not valid JSON. */
function pushParsed(out: unknown[], buf: Buffer, from: number, to: number): boolean {
  try {
    out.push(JSON.parse(buf.toString('utf8', from, to)));
    return true;
  } catch {
    return false;
  }
}
