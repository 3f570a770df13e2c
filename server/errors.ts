/** The service's one error type: a code from a closed union, a plain message, and the HTTP status each code maps to. */

export const ERROR_STATUS = {
  'invalid-input': 400,
  'invalid-record': 400,
  'bad-signature': 400,
  'bad-disclosure': 400,
  'unsupported-version': 400,
  'malformed-digital-link': 400,
  /** A submitted salt is all zero, has too few distinct bytes, or repeats another field's salt. */
  'weak-salt': 400,
  /** issuedAt lies more than ISSUED_AT_MAX_AGE_SECONDS before the server's receipt time. */
  'issued-at-too-old': 400,
  /** issuedAt lies more than ISSUED_AT_MAX_AHEAD_SECONDS after the server's receipt time. */
  'issued-at-in-future': 400,
  /** A key or accreditation window would start more than WINDOW_START_TOLERANCE_SECONDS before now. */
  'window-starts-in-past': 400,
  unauthorized: 401,
  'unknown-signer': 403,
  'wrong-role': 403,
  'key-not-yet-valid': 403,
  'key-expired': 403,
  'key-revoked': 403,
  'participant-revoked': 403,
  'not-accredited': 403,
  /** The signing key was valid at issuedAt but is not at the server's receipt time. */
  'key-not-valid-at-receipt': 403,
  /** The lab was accredited at issuedAt, but its accreditation ended before the server's receipt time. */
  'accreditation-lapsed': 403,
  /** A report names a lab (name, CMA number or validity) other than the signing key's registered lab. */
  'lab-identity-mismatch': 403,
  /** A batch names a producer (USCC or name) other than the registered producer its API token belongs to. */
  'producer-mismatch': 403,
  /** A batch's GTIN is not covered by a product key (GS1 company prefix or GTIN) assigned on chain to its producer. */
  'gtin-not-owned': 403,
  /** A record id is not in the namespace (`{code}-…`) of the participant that submits it. */
  'id-not-in-namespace': 403,
  /** A report from a lab the batch's producer did not commission, and not a designated spot-check lab. */
  'lab-not-commissioned': 403,
  /** A signed revocation of a report by a key that is not one of the lab that signed the report. */
  'not-report-issuer': 403,
  forbidden: 403,
  'not-found': 404,
  /** A record names a batch (batchId) that is not on record. */
  'unknown-batch': 422,
  /**
   * A stored record is damaged (its body, salts or log entry no longer parse, or its type is unknown): no proof
   * can be built from it, so it counts as invalid. Never a 500: the fault is in the data, and it is named.
   */
  'stored-data-fault': 422,
  replay: 409,
  /** A batch's GTIN + lot (its Digital Link) is already registered as another batch. */
  'duplicate-batch': 409,
  conflict: 409,
  /** A product key overlaps one already assigned (the same key, a prefix of it, or one it is a prefix of). */
  'product-key-taken': 409,
  /** The client did not send its whole request within the route's time limit (REQUEST_TIMEOUT_SECONDS, UPLOAD_TIMEOUT_SECONDS). */
  'request-timeout': 408,
  'payload-too-large': 413,
  /** The request line or headers are larger than the HTTP parser takes (answered before any route sees the request). */
  'headers-too-large': 431,
  /** The body's Content-Encoding (or charset) is not one the route reads: identity, gzip, deflate or br. */
  'unsupported-encoding': 415,
  'rate-limited': 429,
  /** The deployed contracts lack what the request needs (e.g. signed revocations before they were added): redeploy. */
  'not-supported': 501,
  unavailable: 503,
  /**
   * The server could not write its storage durably: its database (disk full, I/O error, read-only or corrupt file),
   * or the chain state save; nothing was acknowledged.
   */
  'storage-unavailable': 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const isAppError = (e: unknown, code?: ErrorCode): e is AppError => e instanceof AppError && (code === undefined || e.code === code);
