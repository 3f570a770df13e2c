/**
 * The shipped selenium threshold table (selenium-thresholds.v1.json) as plain data, without its zod schema,
 * so the browser verifier can classify without bundling zod. The same file is validated against the schema
 * when ./table loads on the server (a bad edit fails at start), and a test checks that validation leaves it
 * unchanged.
 */
import type { ThresholdTable } from './schema';
import shippedTable from './selenium-thresholds.v1.json';

export const SHIPPED_THRESHOLD_TABLE: ThresholdTable = shippedTable as unknown as ThresholdTable;
