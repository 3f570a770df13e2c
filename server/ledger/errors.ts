/** Typed errors of the ledger core: caller mistakes, broken invariants, and failed proofs. */

/** The caller passed something the function's preconditions exclude. */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
}

/** Something that must always hold did not: a bug or corrupted storage. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/** Why a proof was rejected. */
export type ProofErrorReason =
  | 'index-out-of-range'
  | 'empty-tree'
  | 'size-shrunk'
  | 'wrong-proof-size'
  | 'bad-hash-length'
  | 'root-mismatch';

/** A proof did not verify; `reason` names the check that failed. */
export class ProofError extends Error {
  override readonly name = 'ProofError';
  constructor(
    readonly reason: ProofErrorReason,
    message: string,
  ) {
    super(`${reason}: ${message}`);
  }
}
