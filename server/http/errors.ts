/**
 * The one error handler: every failure answers `{ "error": { "code", "message" } }` with the
 * status of its code, never a stack trace. Unexpected errors are logged (without bodies) and answer 500.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../errors';
import { publicStorageMessage, storageFaultCode, storageUnavailable } from '../store/storage-faults';

/** The error envelope every failed request gets. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** What body-parser (and Express's router, http-errors) attach to the errors they raise. */
interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
  /** zlib's error code (Z_DATA_ERROR…) when a compressed body is corrupt. */
  code?: string;
}

/** Answers 404 not-found for a request no route matched. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('not-found', `no route ${req.method} ${req.path}`));
};

/** Maps anything thrown to an AppError; unknown failures become 'internal'. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // A full disk or failing storage is the operator's to fix, not a bug: 503, never a bare 500.
  if (storageFaultCode(err) !== null || storageFaultCode((err as { cause?: unknown } | null)?.cause) !== null) return storageUnavailable(storageFaultCode(err) !== null ? err : (err as { cause: unknown }).cause);
  if (err instanceof z.ZodError) return new AppError('invalid-input', summariseZod(err), undefined, { cause: err });
  const bp = err as BodyParserError | null;
  if (bp && typeof bp === 'object') {
    // Express's router marks a path parameter that is not valid percent-encoding (`/b/%ZZ`) with status 400.
    if (err instanceof URIError && bp.status === 400) return new AppError('invalid-input', 'the URL path is not valid percent-encoding (a % must be followed by two hex digits of UTF-8)');
    if (bp.type === 'entity.too.large') return new AppError('payload-too-large', `the request body is larger than the limit of ${bp.limit ?? '?'} bytes`);
    if (bp.type === 'entity.parse.failed') return new AppError('invalid-input', 'the request body is not valid JSON');
    if (bp.type === 'encoding.unsupported') return new AppError('unsupported-encoding', 'the request body\'s Content-Encoding is not supported: send it as identity, gzip, deflate or br');
    if (bp.type === 'charset.unsupported') return new AppError('unsupported-encoding', 'the request body\'s charset is not supported: send it as UTF-8');
    // zlib's own errors (a corrupt gzip or deflate body), wrapped by body-parser with status 400.
    if (typeof bp.code === 'string' && bp.code.startsWith('Z_')) return new AppError('invalid-input', 'the request body could not be decompressed: it is not valid for its Content-Encoding');
    if (typeof bp.status === 'number' && bp.status >= 400 && bp.status < 500) return new AppError('invalid-input', 'the request body could not be read (check its encoding and Content-Type)');
  }
  return new AppError('internal', 'an unexpected error occurred', undefined, { cause: err });
}

/** One line naming every zod issue: `body.field: message; …`. */
export function summariseZod(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
}

/**
 * The answer `err` gets, as the error handler gives it: its status and the error envelope. An unexpected failure or a
 * storage fault is logged here (without bodies); its cause never reaches the answer.
 */
export function errorAnswerOf(logger: Logger, req: { method: string; path: string }, err: unknown): { status: number; body: ErrorBody } {
  const e = toAppError(err);
  if (e.code === 'storage-unavailable') {
    const cause = e.cause ?? err;
    logger.error({ method: req.method, path: req.path, storageCode: e.details?.storageCode, err: cause instanceof Error ? { name: cause.name, message: cause.message } : String(cause) }, 'storage unavailable: check the free space and health of the disk holding DATA_DIR');
  }
  if (e.code === 'internal') {
    const cause = e.cause ?? err;
    logger.error({ method: req.method, path: req.path, err: cause instanceof Error ? { name: cause.name, message: cause.message, stack: cause.stack } : String(cause) }, 'request failed unexpectedly');
  }
  // A storage fault's details (paths, the disk) are for the log, not for anonymous clients.
  const body: ErrorBody = { error: { code: e.code, message: e.code === 'storage-unavailable' ? publicStorageMessage(e) : e.message } };
  if (e.details && e.code !== 'internal' && e.code !== 'storage-unavailable') body.error.details = e.details;
  return { status: e.status, body };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const { status, body } = errorAnswerOf(logger, req, err);
    // Already answered (a 408 for a request still being sent, a stream that failed midway): the error was logged above
    // if it was unexpected; the connection is closed rather than handed to Express, which would print the stack.
    if (res.headersSent) {
      if (!res.writableEnded) res.destroy();
      return;
    }
    res.status(status).json(body);
  };
}
