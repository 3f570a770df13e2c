/** RFC 8785 (JCS) canonical JSON: a strict front to the `canonicalize` package, as text and UTF-8 bytes. */
import canonicalizeJcs from 'canonicalize';
import { RecordError } from './errors';

/** A value that has a canonical JSON form: null, booleans, finite numbers, strings, arrays and plain objects. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const utf8 = new TextEncoder();

/** In a `u` regex a surrogate range matches only unpaired surrogates. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * The RFC 8785 canonical JSON text of `value`.
 * Requires a JSON value (see {@link JsonValue}): throws a `RecordError('invalid-json')` naming the
 * path of the first undefined, non-finite number, bigint, function, symbol, non-plain object
 * (Date, Map, Buffer, class instance…), cycle, or string with a lone UTF-16 surrogate.
 * The `canonicalize` package alone would silently drop undefined members and call `toJSON`.
 */
export function canonicalString(value: unknown): string {
  // The common case (plain data) is checked without building paths, then written directly: for a value
  // that passes the check, JCS's text is canonicalStringOfParsed's (tested against the package on random
  // values). Anything else takes the checked path, which names what is wrong.
  if (isPlainJson(value, 0)) return canonicalStringOfParsed(value);
  assertJson(value, '$', new Set());
  const text = canonicalizeJcs(value);
  if (text === undefined) throw new RecordError('invalid-json', 'value has no JSON form');
  return text;
}

/**
 * {@link canonicalString}`(value)` when `value` is plain data (what the fast path takes), else null: the caller
 * then calls canonicalString for its error. For composing the canonical text of a container from its members'
 * (RFC 8785 writes an array as its elements' texts joined by commas) without re-checking them.
 */
export function plainCanonicalString(value: unknown): string | null {
  return isPlainJson(value, 0) ? canonicalStringOfParsed(value) : null;
}

/** Deeper values take the checked path (which also finds cycles). */
const MAX_FAST_DEPTH = 64;

const hasIsWellFormed = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function';

/** True for a string without a lone UTF-16 surrogate (what RFC 8785 can write). */
export function isWellFormedUnicode(s: string): boolean {
  return hasIsWellFormed ? (s as unknown as { isWellFormed(): boolean }).isWellFormed() : !LONE_SURROGATE.test(s);
}

/** What {@link assertJson} accepts, checked without paths or a cycle set (false at depth > MAX_FAST_DEPTH, so a cycle is false). */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return isWellFormedUnicode(value);
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_FAST_DEPTH) return false;
  if (Array.isArray(value)) {
    const a = value as unknown[];
    for (let i = 0; i < a.length; i++) {
      if (!(i in a) || !isPlainJson(a[i], depth + 1)) return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    if (!isWellFormedUnicode(key) || !isPlainJson(obj[key], depth + 1)) return false;
  }
  return true;
}

/** The UTF-8 bytes of {@link canonicalString}`(value)`; same preconditions. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8.encode(canonicalString(value));
}

/** The ES6 / RFC 8785 text of a finite number, e.g. 0.35 → "0.35", 1e21 → "1e+21", -0 → "0". */
export function canonicalNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RecordError('invalid-json', `${n} is not a finite number`);
  return canonicalString(n);
}

function assertJson(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) fail(path, 'is a string with a lone UTF-16 surrogate');
      return;
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(path, `is ${value}, which JSON cannot carry`);
      return;
    case 'undefined':
      fail(path, 'is undefined (omit the member or use null)');
      return;
    case 'bigint':
      fail(path, 'is a bigint (use a number or a decimal string)');
      return;
    case 'object':
      break;
    default:
      fail(path, `is a ${typeof value}`);
  }
  if (value === null) return;
  if (ancestors.has(value)) fail(path, 'is a cycle back to an enclosing value');
  ancestors.add(value);
  if (Array.isArray(value)) {
    // for…of visits holes as undefined, which is rejected like an undefined element.
    let i = 0;
    for (const element of value as unknown[]) assertJson(element, `${path}[${i++}]`, ancestors);
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      fail(path, `is a ${describeObject(value)}, not a plain object (convert it to a string or plain data first)`);
    }
    for (const [key, member] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key)) fail(path, 'has a key with a lone UTF-16 surrogate');
      assertJson(member, `${path}${memberPath(key)}`, ancestors);
    }
  }
  ancestors.delete(value);
}

function memberPath(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describeObject(value: object): string {
  const name = (value.constructor as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? name : 'non-plain object';
}

const isJsonPrimitive = (v: unknown): boolean => v === null || typeof v !== 'object';

/** True when `obj`'s keys, in Object.keys order, rise strictly by UTF-16 code units and every value is a JSON primitive. */
function isFlatAndSorted(obj: Record<string, unknown>): boolean {
  let previous: string | undefined;
  for (const key of Object.keys(obj)) {
    if ((previous !== undefined && !(previous < key)) || !isJsonPrimitive(obj[key])) return false;
    previous = key;
  }
  return true;
}

function fail(path: string, what: string): never {
  throw new RecordError('invalid-json', `cannot canonicalise: ${path} ${what}`);
}

/**
 * The fast path of {@link canonicalString} for a value read with JSON.parse, which cannot hold what
 * canonicalString refuses (so nothing is checked): RFC 8785 canonical JSON of a value read with JSON.parse (strings, finite numbers, booleans,
 * null, arrays, plain objects): JCS serialises strings and numbers exactly as JSON.stringify does
 * and sorts object keys by UTF-16 code units, which is the default string sort.
 */
export function canonicalStringOfParsed(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    // An array of strings, numbers, booleans and nulls: JSON.stringify writes each member as JCS does.
    if (value.every(isJsonPrimitive)) return JSON.stringify(value);
    return `[${value.map(canonicalStringOfParsed).join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  // Keys already in JCS order (JSON.stringify writes them in Object.keys order) and no nested object or array:
  // JSON.stringify's text is the canonical one.
  if (isFlatAndSorted(obj)) return JSON.stringify(obj);
  let out = '{';
  let first = true;
  for (const key of Object.keys(obj).sort()) {
    const member = obj[key];
    if (member === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalStringOfParsed(member)}`;
    first = false;
  }
  return `${out}}`;
}
