/** Loads the selenium threshold table: validates raw data against the schema, and holds the shipped v1 file. */
import type { z } from 'zod';
import { InvalidArgumentError } from './errors';
import type { TableIssue } from './errors';
import { THRESHOLD_TABLE_FORMAT, ThresholdTableSchema } from './schema';
import type { ThresholdTable } from './schema';
import shippedTable from './selenium-thresholds.v1.json';

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}${out === '' ? '' : '.'}${String(key)}`), '') || '(root)';
}

function toTableIssues(error: z.ZodError): TableIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

function formatOf(raw: unknown): unknown {
  return typeof raw === 'object' && raw !== null && 'format' in raw ? raw.format : undefined;
}

/**
 * Validates raw data (e.g. parsed JSON) as a selenium threshold table and returns it, frozen.
 * Requires `format` to be "traceledger-selenium-thresholds-v1": throws InvalidArgumentError
 * 'UNKNOWN_THRESHOLD_FORMAT' otherwise, and 'INVALID_THRESHOLD_TABLE' (with every issue and its path) if any row
 * or cross-reference is wrong.
 */
export function parseThresholdTable(raw: unknown): ThresholdTable {
  const format = formatOf(raw);
  if (format !== THRESHOLD_TABLE_FORMAT) {
    throw new InvalidArgumentError(
      'UNKNOWN_THRESHOLD_FORMAT',
      `Selenium threshold table has format ${JSON.stringify(format)}; this reader knows only "${THRESHOLD_TABLE_FORMAT}".`,
    );
  }
  const parsed = ThresholdTableSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = toTableIssues(parsed.error);
    const lines = issues.map((issue) => `  - ${issue.path}: ${issue.message}`).join('\n');
    throw new InvalidArgumentError('INVALID_THRESHOLD_TABLE', `Selenium threshold table is invalid (${issues.length} problem(s)):\n${lines}`, issues);
  }
  return parsed.data;
}

/** The shipped table, validated when this module loads: a bad edit of the JSON file fails at startup, loudly. */
const SHIPPED: ThresholdTable = parseThresholdTable(shippedTable);

/** The shipped, validated selenium threshold table (selenium-thresholds.v1.json). */
export function seleniumThresholds(): ThresholdTable {
  return SHIPPED;
}
