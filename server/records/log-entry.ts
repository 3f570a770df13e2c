/**
 * The log entry (ARCHITECTURE.md, "Fixed cryptography"): the leaf data of the RFC 6962 log, canonical JSON
 * `{"v":1,"type","id","recordRoot","signer","signature","issuedAt"}`.
 *
 * Every value has exactly one accepted spelling, because the bytes are hashed:
 * `recordRoot` is bytes32 hex (`0x` + 64 lowercase hex), `signer` a lowercase `0x` address,
 * `signature` 65 bytes r||s||v as `0x` + 130 lowercase hex with v = 27 or 28, `issuedAt` the
 * record's ISO 8601 UTC instant. {@link createLogEntry} lowercases; {@link parseLogEntry} does not
 * (it rejects anything {@link encodeLogEntry} would not produce).
 */
import { equalBytes, utf8 as utf8Bytes } from '../crypto/bytes';
import { leafHash, type Hash } from '../ledger/rfc6962';
import { canonicalBytes, canonicalString } from './canonical';
import { RecordError, UnsupportedVersionError, type RecordIssue } from './errors';
import { RECORD_ID_PATTERN, RECORD_TYPES, type RecordType } from './record-types';

/** The format version this code writes and the only one it reads. */
export const LOG_ENTRY_VERSION = 1;

/** A v1 log entry. */
export interface LogEntry {
  v: typeof LOG_ENTRY_VERSION;
  type: RecordType;
  id: string;
  recordRoot: string;
  signer: string;
  signature: string;
  issuedAt: string;
}

/** An ISO 8601 UTC instant with whole seconds, `YYYY-MM-DDTHH:mm:ssZ`. */
export const INSTANT_PATTERN = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;

/** True for a real instant (the calendar day exists) at or after 1970, in the one accepted spelling. */
export function isInstant(s: unknown): s is string {
  if (typeof s !== 'string' || !INSTANT_PATTERN.test(s) || s < '1970-01-01T00:00:00Z') return false;
  const ms = Date.parse(s);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 19) === s.slice(0, 19);
}

const FIELD_RULES: readonly [keyof LogEntry, (v: unknown) => boolean, string][] = [
  ['type', (v) => typeof v === 'string' && (RECORD_TYPES as readonly string[]).includes(v), `must be one of ${RECORD_TYPES.join(', ')}`],
  ['id', (v) => typeof v === 'string' && RECORD_ID_PATTERN.test(v), 'must be a record id: 1–64 letters, digits, "_" or "-" (e.g. a ULID or UUID)'],
  ['recordRoot', (v) => typeof v === 'string' && /^0x[0-9a-f]{64}$/.test(v), 'must be 0x followed by 64 lowercase hex digits'],
  ['signer', (v) => typeof v === 'string' && /^0x[0-9a-f]{40}$/.test(v), 'must be a lowercase 0x address (40 hex digits)'],
  ['signature', (v) => typeof v === 'string' && /^0x[0-9a-f]{128}(?:1b|1c)$/.test(v), 'must be 65 bytes r||s||v as 0x + 130 lowercase hex digits, v = 27 or 28'],
  ['issuedAt', isInstant, 'must be an ISO 8601 UTC time YYYY-MM-DDTHH:mm:ssZ (whole seconds, Z), not before 1970'],
];
const KNOWN_FIELDS = new Set<string>(['v', ...FIELD_RULES.map(([k]) => k)]);

/** The fields of a log entry before normalisation (any hex case; `v` is added). */
export type LogEntryFields = Omit<LogEntry, 'v'>;

/** Builds a v1 log entry, lowercasing the hex fields, and validates it. Throws `RecordError('invalid-log-entry')`. */
export function createLogEntry(fields: LogEntryFields): LogEntry {
  return validate({
    v: LOG_ENTRY_VERSION,
    type: fields.type,
    id: fields.id,
    recordRoot: lower(fields.recordRoot),
    signer: lower(fields.signer),
    signature: lower(fields.signature),
    issuedAt: fields.issuedAt,
  });
}

/** The canonical UTF-8 bytes of a valid entry: the log leaf data. Throws `invalid-log-entry` for an invalid one. */
export function encodeLogEntry(entry: LogEntry): Uint8Array {
  return canonicalBytes(validate(entry));
}

/** The RFC 6962 leaf hash of the entry: SHA-256(0x00 || encodeLogEntry(entry)). */
export function logEntryLeafHash(entry: LogEntry): Hash {
  return leafHash(encodeLogEntry(entry));
}

/** The canonical text of a valid entry (what the store keeps) and its leaf hash, validated and written once. Throws `invalid-log-entry`. */
export function logEntryTextAndLeafHash(entry: LogEntry): { text: string; leafHash: Hash } {
  const text = canonicalString(validate(entry));
  return { text, leafHash: leafHash(utf8Bytes(text)) };
}

/**
 * Reads a log entry from its leaf bytes or from a parsed object.
 * Checks `v` first: a number other than 1 throws {@link UnsupportedVersionError}
 * (code `unsupported-version`) before any other field is looked at, since another version may
 * have other fields. Then validates every field (strict: unknown keys rejected). Bytes must be
 * valid UTF-8 JSON in exactly canonical form, or their leaf hash would not be the entry's.
 * Other problems throw `RecordError('invalid-log-entry')`.
 */
export function parseLogEntry(input: Uint8Array | object): LogEntry {
  if (input instanceof Uint8Array) {
    const entry = validate(checkVersion(decodeJson(input)));
    if (!equalBytes(encodeLogEntry(entry), input)) {
      throw new RecordError('invalid-log-entry', 'log entry bytes are not in RFC 8785 canonical form');
    }
    return entry;
  }
  return validate(checkVersion(input));
}

function decodeJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (cause) {
    throw new RecordError('invalid-log-entry', 'log entry bytes are not valid UTF-8', { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new RecordError('invalid-log-entry', `log entry bytes are not JSON: ${(cause as Error).message}`, { cause });
  }
}

function checkVersion(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RecordError('invalid-log-entry', 'a log entry must be a JSON object');
  }
  if (!Object.hasOwn(value, 'v')) throw new RecordError('invalid-log-entry', 'log entry has no version "v"');
  const v: unknown = (value as { v: unknown }).v;
  if (typeof v !== 'number') throw new RecordError('invalid-log-entry', `log entry version "v" must be a number, got ${typeof v}`);
  if (v !== LOG_ENTRY_VERSION) throw new UnsupportedVersionError(v);
  return value;
}

function validate(value: unknown): LogEntry {
  const issues: RecordIssue[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ path: '', message: 'a log entry must be a JSON object' });
  } else {
    const o = value as Record<string, unknown>;
    if (o.v !== LOG_ENTRY_VERSION) issues.push({ path: 'v', message: Object.hasOwn(o, 'v') ? `must be ${LOG_ENTRY_VERSION}` : 'is required' });
    for (const [name, ok, message] of FIELD_RULES) {
      if (!Object.hasOwn(o, name) || o[name] === undefined) issues.push({ path: name, message: 'is required' });
      else if (!ok(o[name])) issues.push({ path: name, message });
    }
    const unknown = Object.keys(o).filter((k) => !KNOWN_FIELDS.has(k));
    if (unknown.length > 0) issues.push({ path: '', message: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}` });
  }
  if (issues.length === 0) {
    const o = value as LogEntry;
    return { v: LOG_ENTRY_VERSION, type: o.type, id: o.id, recordRoot: o.recordRoot, signer: o.signer, signature: o.signature, issuedAt: o.issuedAt };
  }
  const summary = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
  throw new RecordError('invalid-log-entry', `invalid log entry: ${summary}`, { issues });
}

function lower(s: unknown): unknown {
  return typeof s === 'string' ? s.toLowerCase() : s;
}
