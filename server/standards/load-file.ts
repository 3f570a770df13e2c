/** Reads a selenium threshold table from a JSON file (for tools that check an edited file); Node only. */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from './errors';
import type { ThresholdTable } from './schema';
import { parseThresholdTable } from './table';

/**
 * Reads and validates the threshold table at `path`.
 * Requires a readable UTF-8 JSON file; throws InvalidArgumentError 'INVALID_THRESHOLD_TABLE' if it is not JSON,
 * and whatever parseThresholdTable throws if it is not a valid table. File-system errors propagate.
 */
export function readThresholdTableFile(path: string): ThresholdTable {
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new InvalidArgumentError('INVALID_THRESHOLD_TABLE', `${path} is not JSON: ${(cause as Error).message}`);
  }
  return parseThresholdTable(raw);
}
