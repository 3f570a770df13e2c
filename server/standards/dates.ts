/** Calendar dates as ISO 'YYYY-MM-DD' strings, which compare correctly as strings. */
import { InvalidArgumentError } from './errors';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `s` is 'YYYY-MM-DD' and names a real day of the proleptic Gregorian calendar. */
export function isIsoDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = ISO_DATE.exec(s);
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** Throws InvalidArgumentError('INVALID_DATE') unless `date` is a real 'YYYY-MM-DD' day. */
export function assertIsoDate(date: unknown, what: string): asserts date is string {
  if (!isIsoDate(date)) {
    throw new InvalidArgumentError('INVALID_DATE', `${what} must be an ISO date 'YYYY-MM-DD', got ${JSON.stringify(date)}.`);
  }
}
