/** The CLI's exit codes and its one error type: a plain sentence and the exit code it ends with. */
import { AppError } from '../errors';
// records/errors alone, not the records index (its schemas and native crypto): `traceledger --help` loads this.
import { RecordError } from '../records/errors';

/**
 * Exit codes of every `traceledger` command:
 * - 0 `OK`: done; for `verify`, the record is valid.
 * - 1 `REFUSED`: the answer is no: the bundle is invalid or revoked, rows were refused, the chain
 *   or the server refused the operation.
 * - 2 `UNUSABLE`: the command could not run: bad usage, an unreadable or malformed input file
 *   (not JSON, not UTF-8, an unknown format version), an RPC endpoint or server that cannot be reached.
 * - 3 `PENDING`: `verify` only: the record is genuine so far but not yet anchored on chain; try again later.
 */
export const EXIT = { OK: 0, REFUSED: 1, UNUSABLE: 2, PENDING: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The outcome of one CLI run that a command sets when it ends without an error (default 0). */
export interface CliRun {
  exitCode: ExitCode;
}

/** A failure the CLI reports as one line, without a stack. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.REFUSED,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Input the command cannot use (exit 2). */
export const unusable = (message: string, cause?: unknown): CliError => new CliError(message, EXIT.UNUSABLE, { cause });

/** The one line and exit code any thrown value ends the CLI with. */
export function describeFailure(e: unknown): { message: string; exitCode: ExitCode } {
  if (e instanceof CliError) return { message: e.message, exitCode: e.exitCode };
  if (e instanceof AppError) {
    const issues = (e.details?.issues as { path: string; message: string }[] | undefined) ?? [];
    const unusableCodes = ['invalid-input', 'unsupported-version', 'payload-too-large', 'unavailable'];
    const message = issues.length > 0 ? `${e.message.split(':')[0]}:\n${issues.map((i) => `  ${i.path || '(record)'}: ${i.message}`).join('\n')}` : e.message;
    return { message, exitCode: unusableCodes.includes(e.code) ? EXIT.UNUSABLE : EXIT.REFUSED };
  }
  if (e instanceof RecordError) {
    const message = e.issues.length > 0 ? `${e.message.split(':')[0]}:\n${e.issues.map((i) => `  ${i.path || '(record)'}: ${i.message}`).join('\n')}` : e.message;
    return { message, exitCode: EXIT.REFUSED };
  }
  const err = e as { shortMessage?: string; message?: string; code?: string };
  return { message: err.shortMessage ?? err.message ?? String(e), exitCode: EXIT.REFUSED };
}
