/** Typed errors of the records module: one `RecordError` whose `code` comes from a closed union. */

/**
 * Why a record, log entry, disclosure or signature was rejected.
 * - `invalid-record`: a record failed its zod schema (see `issues`).
 * - `invalid-json`: a value cannot be canonicalised (undefined, NaN, a Date, a lone surrogate…).
 * - `invalid-argument`: the caller broke a precondition (unknown field name, bad salts map…).
 * - `invalid-log-entry`: a log entry is malformed or not in canonical form.
 * - `unsupported-version`: a log entry's `v` is a version this reader does not know.
 * - `bad-disclosure`: a disclosed field does not verify against the record root (see `field`).
 * - `bad-signature`: a signature is malformed, high-s, unrecoverable or from the wrong signer.
 */
export type RecordErrorCode =
  | 'invalid-record'
  | 'invalid-json'
  | 'invalid-argument'
  | 'invalid-log-entry'
  | 'unsupported-version'
  | 'bad-disclosure'
  | 'bad-signature';

/** Every {@link RecordErrorCode}, for exhaustive maps (e.g. code → HTTP status). */
export const RECORD_ERROR_CODES: readonly RecordErrorCode[] = [
  'invalid-record',
  'invalid-json',
  'invalid-argument',
  'invalid-log-entry',
  'unsupported-version',
  'bad-disclosure',
  'bad-signature',
];

/** One schema problem: where (`path`, e.g. `lab.cmaNumber`, empty for the record itself) and what. */
export interface RecordIssue {
  path: string;
  message: string;
}

/** Extra details a {@link RecordError} may carry. */
export interface RecordErrorDetails {
  /** The field a disclosure error is about. */
  field?: string;
  /** Schema problems, for `invalid-record` and `invalid-log-entry`. */
  issues?: readonly RecordIssue[];
  cause?: unknown;
}

/** A record-level failure; `code` says which kind, `message` is a plain sentence. */
export class RecordError extends Error {
  override readonly name: string = 'RecordError';
  readonly field: string | undefined;
  readonly issues: readonly RecordIssue[];

  constructor(
    readonly code: RecordErrorCode,
    message: string,
    details: RecordErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.field = details.field;
    this.issues = details.issues ?? [];
  }
}

/** A log entry declares a format version this reader does not know (code `unsupported-version`). */
export class UnsupportedVersionError extends RecordError {
  override readonly name = 'UnsupportedVersionError';

  constructor(readonly version: unknown) {
    super('unsupported-version', `log entry version ${JSON.stringify(version) ?? String(version)} is not supported (this reader knows v1)`);
  }
}

/** True when `e` is a {@link RecordError}, optionally with the given code. */
export function isRecordError(e: unknown, code?: RecordErrorCode): e is RecordError {
  return e instanceof RecordError && (code === undefined || e.code === code);
}
