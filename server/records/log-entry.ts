/**
 * The log entry (DESIGN.md): the leaf data of the RFC 6962 log, canonical JSON
 * `{"v":1,"type","id","recordRoot","signer","signature","issuedAt"}`.
 *
 * Every value has exactly one accepted spelling, because the bytes are hashed:
 * `recordRoot` is bytes32 hex (`0x` + 64 lowercase hex), `signer` a lowercase `0x` address,
 * `signature` 65 bytes r||s||v as `0x` + 130 lowercase hex with v = 27 or 28, `issuedAt` the
 * record's ISO 8601 UTC instant. {@link createLogEntry} lowercases; {@link parseLogEntry} does not
 * (it rejects anything {@link encodeLogEntry} would not produce).
 */
import { z } from 'zod';
import { leafHash, type Hash } from '../ledger/rfc6962';
import { canonicalBytes } from './canonical';
import { RecordError, UnsupportedVersionError } from './errors';
import { Bytes32Schema, InstantSchema, RECORD_TYPES, RecordIdSchema, requiredFieldMessage, summariseIssues, toRecordIssues } from './schemas';

/** The format version this code writes and the only one it reads. */
export const LOG_ENTRY_VERSION = 1;

export const LogEntrySchema = z.strictObject({
  v: z.literal(LOG_ENTRY_VERSION),
  type: z.enum(RECORD_TYPES),
  id: RecordIdSchema,
  recordRoot: Bytes32Schema,
  signer: z.string().regex(/^0x[0-9a-f]{40}$/, { error: 'must be a lowercase 0x address (40 hex digits)' }),
  signature: z.string().regex(/^0x[0-9a-f]{128}(?:1b|1c)$/, { error: 'must be 65 bytes r||s||v as 0x + 130 lowercase hex digits, v = 27 or 28' }),
  issuedAt: InstantSchema,
});

export type LogEntry = z.output<typeof LogEntrySchema>;

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
    if (!Buffer.from(encodeLogEntry(entry)).equals(Buffer.from(input.buffer, input.byteOffset, input.byteLength))) {
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
  const parsed = LogEntrySchema.safeParse(value, { error: requiredFieldMessage });
  if (parsed.success) return parsed.data;
  const issues = toRecordIssues(parsed.error);
  throw new RecordError('invalid-log-entry', `invalid log entry: ${summariseIssues(issues)}`, { issues, cause: parsed.error });
}

function lower(s: unknown): unknown {
  return typeof s === 'string' ? s.toLowerCase() : s;
}
