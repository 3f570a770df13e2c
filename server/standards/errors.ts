/** Typed errors of the selenium standards module: caller mistakes (with a code) and broken invariants. */

/** Why the caller's input was rejected: a closed union, one code per rule. */
export type StandardsErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_VALUE'
  | 'UNKNOWN_UNIT'
  | 'UNKNOWN_CATEGORY'
  | 'INVALID_DATE'
  | 'INVALID_STANDARD_CODE'
  | 'UNKNOWN_THRESHOLD_FORMAT'
  | 'INVALID_THRESHOLD_TABLE';

/** One problem found in a threshold table, located by its JSON path. */
export interface TableIssue {
  readonly path: string;
  readonly message: string;
}

/** The caller passed something the function's preconditions exclude; `code` says which rule. */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  constructor(
    readonly code: StandardsErrorCode,
    message: string,
    readonly issues: readonly TableIssue[] = [],
  ) {
    super(message);
  }
}

/** Something that must always hold did not: a bug, since validated tables exclude it. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}
