/**
 * Time, named by its unit, declared once: `…Seconds` are Unix seconds (the chain's block time and EIP-712's
 * uint64), `…Ms` are milliseconds (JavaScript's Date), and an instant is an ISO 8601 UTC string with whole
 * seconds, `YYYY-MM-DDTHH:mm:ssZ` (the one spelling records commit to). Isomorphic.
 */
import { RecordError } from './errors';

/** Now, in whole Unix seconds. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Whole seconds since the Unix epoch of an ISO 8601 instant. Requires a valid instant at or after 1970 (`RecordError('invalid-argument')`). */
export function instantToSeconds(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || ms < 0) throw new RecordError('invalid-argument', `not an ISO 8601 instant at or after 1970: ${iso}`);
  return Math.floor(ms / 1000);
}

/** The instant `YYYY-MM-DDTHH:mm:ssZ` of whole Unix seconds. */
export const secondsToInstant = (seconds: number): string => new Date(Math.floor(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The instant of a millisecond time, truncated to the second. */
export const msToInstant = (ms: number): string => secondsToInstant(Math.floor(ms / 1000));
