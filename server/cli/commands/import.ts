/**
 * `traceledger import CSV`: validates a batches CSV locally, then sends it to a server with the
 * producer's API token, and prints what was accepted and why rows were refused.
 *
 * Atomicity: by default the whole file goes in ONE request, which the server commits in one
 * transaction or not at all (the bar shows validation, then the upload, then the commit). With
 * --partial, the valid rows go in chunks of --chunk rows, each committed on its own: the bar
 * counts rows committed, and if the server fails midway the chunks before stay committed (the
 * report says which lines).
 */
import type { Command } from 'commander';
import type { CsvColumn, CsvImportReport } from '../../service/csv-import';
import { CliError, EXIT, unusable, type CliRun } from '../errors';
import { ProgressBar, readInputBytes, say } from '../io';

/** Stands in for the token's producer when validating locally (the producer's fields are never CSV columns). */
const PLACEHOLDER_PRODUCER = { uscc: '91610924MA6YAB3K2L', name: 'producer' };

interface ImportOpts {
  server?: string;
  token?: string;
  tokenFile?: string;
  partial?: boolean;
  dryRun?: boolean;
  chunk: string;
  json?: boolean;
}

export function registerImport(program: Command, run: CliRun): void {
  program
    .command('import')
    .summary('import batches from a CSV file (validated locally, then sent to a server)')
    .description(
      [
        'Reads a UTF-8 CSV of batches (a header row, then one batch per row; see scripts/samples/batches.csv and the columns below), validates every row locally, then sends it to the server with the producer\'s API token. Prints the rows accepted and, for each refused row, its line and the reason per column.',
        'All or nothing (default): the file goes in one request and the server commits every row in one transaction, or none if any row is refused. --partial: the valid rows go in chunks of --chunk rows, each committed in its own transaction; invalid rows are reported and skipped.',
        'Exit codes: 0 every row imported; 1 rows were refused (with --partial the others were imported); 2 the file or the server is unusable (unreadable, not UTF-8, unreachable).',
      ].join('\n\n'),
    )
    .addHelpText('after', columnsHelp)
    .argument('<csv>', 'the CSV file, or - for standard input')
    .option('--server <url>', 'the traceledger server, e.g. http://localhost:3000')
    .option('--token <token>', "the producer's API token (from `traceledger tokens create`)")
    .option('--token-file <file>', 'read the API token from a file instead (keeps it out of the process list)')
    .option('--partial', 'commit the valid rows even when others are refused')
    .option('--dry-run', 'validate locally only; send nothing')
    .option('--chunk <rows>', 'rows per request with --partial', '200')
    .option('--json', 'print the import report as JSON')
    .action(async (file: string, opts: ImportOpts) => {
      run.exitCode = await importCsv(file, opts);
    });
}

async function importCsv(file: string, opts: ImportOpts): Promise<0 | 1> {
  const { decodeCsvBytes, parseBatchesCsv, readCsvRows } = await import('../../service/csv-import');
  const chunkRows = Number(opts.chunk);
  if (!Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > 10_000) throw unusable('--chunk must be a whole number from 1 to 10000');
  const token = opts.dryRun ? undefined : tokenOf(opts);
  if (!opts.dryRun && !opts.server) throw unusable('--server is required (or validate locally only with --dry-run)');

  let text: string;
  try {
    text = decodeCsvBytes(readInputBytes(file));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw unusable(`${file}: ${(e as Error).message}`, e);
  }

  const bar = new ProgressBar('validating', 1);
  bar.update(0);
  const local = parseBatchesCsv(text, PLACEHOLDER_PRODUCER);
  bar.update(1);
  bar.done();
  if (local.total === 0 && local.refused.length === 0) throw new CliError(`${file} has no data rows; nothing to import`, EXIT.REFUSED);

  let report: CsvImportReport;
  if (opts.dryRun) {
    report = { committed: false, accepted: local.rows.map((r) => ({ line: r.line, id: String(r.input.id), leafHash: '' })), refused: local.refused };
    return print(report, local.total, opts, 'dry-run');
  }
  if (local.refused.length > 0 && !opts.partial) {
    return print({ committed: false, accepted: [], refused: local.refused }, local.total, opts, 'local', local.rows.length);
  }

  const { apiUrl, jsonOf, send } = await import('../http');
  const url = apiUrl(opts.server!, `/batches/import${opts.partial ? '?partial=1' : ''}`);
  const headers = { authorization: `Bearer ${token!}`, 'content-type': 'text/csv; charset=utf-8', accept: 'application/json' };

  if (!opts.partial) {
    const body = Buffer.from(text, 'utf8');
    const upload = new ProgressBar('uploading', body.length, 'bytes');
    const answer = await send('POST', url, { headers, body, onUpload: (sent) => (sent < body.length ? upload.update(sent) : upload.update(sent, 'committing')) });
    upload.done();
    report = reportOf(jsonOf(answer, [200, 201, 422]));
    return print(report, local.total, opts, 'server');
  }

  // --partial: only the locally valid rows, in chunks, each its own transaction.
  const read = readCsvRows(text);
  if ('error' in read) throw new CliError(read.error.message, EXIT.REFUSED); // cannot happen: parseBatchesCsv read it
  const valid = new Set(local.rows.map((r) => r.line));
  const rows = read.rows.filter((r) => valid.has(r.line));
  report = { committed: false, accepted: [], refused: [...local.refused] };
  const bar2 = new ProgressBar('importing', rows.length, 'rows');
  bar2.update(0);
  for (let i = 0; i < rows.length; i += chunkRows) {
    const chunk = rows.slice(i, i + chunkRows);
    const lineOf = new Map<number, number>();
    let next = 2;
    for (const r of chunk) {
      lineOf.set(next, r.line);
      next += 1 + (r.text.match(/\n/g)?.length ?? 0);
    }
    const body = Buffer.from(`${read.header.text}\n${chunk.map((r) => r.text).join('\n')}\n`, 'utf8');
    let part: CsvImportReport;
    try {
      part = reportOf(jsonOf(await send('POST', url, { headers, body }), [200, 201, 422]));
    } catch (e) {
      bar2.done();
      if (report.accepted.length > 0 && e instanceof CliError) {
        const lines = report.accepted.map((a) => a.line);
        throw new CliError(`${e.message}\n${report.accepted.length} rows (lines ${Math.min(...lines)}–${Math.max(...lines)}) were committed before this failure; the rest were not sent`, e.exitCode);
      }
      throw e;
    }
    const remap = (line: number) => lineOf.get(line) ?? line;
    report.accepted.push(...part.accepted.map((a) => ({ ...a, line: remap(a.line) })));
    report.refused.push(...part.refused.map((r) => ({ ...r, line: remap(r.line) })));
    report.committed ||= part.committed;
    bar2.update(Math.min(i + chunkRows, rows.length));
  }
  bar2.done();
  report.refused.sort((a, b) => a.line - b.line);
  return print(report, local.total, opts, 'server');
}

/** The CSV columns with what each holds (loaded only when help is shown). */
function columnsHelp(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CSV_COLUMNS } = require('../../service/csv-import') as { CSV_COLUMNS: readonly CsvColumn[] };
  const width = Math.max(...CSV_COLUMNS.map((c) => c.name.length));
  const lines = CSV_COLUMNS.map((c) => `  ${c.name.padEnd(width)}  ${c.required ? '(required) ' : ''}${c.doc}`);
  return `\nCSV columns (a header row names them, in any order; cells are trimmed; empty = absent):\n${lines.join('\n')}\n`;
}

function tokenOf(opts: ImportOpts): string {
  if (opts.token && opts.tokenFile) throw unusable('give --token or --token-file, not both');
  if (opts.tokenFile) {
    const token = readInputBytes(opts.tokenFile).toString('utf8').trim();
    if (token === '') throw unusable(`${opts.tokenFile} is empty`);
    return token;
  }
  if (!opts.token) throw unusable('--token (or --token-file) is required to import (or validate locally only with --dry-run)');
  return opts.token;
}

function reportOf(json: unknown): CsvImportReport {
  const r = json as Partial<CsvImportReport> | null;
  if (!r || !Array.isArray(r.accepted) || !Array.isArray(r.refused) || typeof r.committed !== 'boolean') {
    throw unusable('the server did not answer with an import report; is --server a traceledger server?');
  }
  return r as CsvImportReport;
}

function print(report: CsvImportReport, total: number, opts: ImportOpts, where: 'dry-run' | 'local' | 'server', valid = 0): 0 | 1 {
  const code = report.refused.length === 0 && (where === 'dry-run' || report.committed) ? EXIT.OK : EXIT.REFUSED;
  if (opts.json) {
    say(JSON.stringify(report, null, 2));
    return code;
  }
  const refusedRows = report.refused.length;
  const headerRefused = report.refused.some((r) => r.line === 1);
  if (headerRefused) {
    say(`Nothing was ${where === 'dry-run' ? 'validated' : 'imported'}: the header row (line 1) is refused.`);
  } else if (where === 'dry-run') {
    say(`${report.accepted.length} of ${total} rows are valid; ${refusedRows} refused. Nothing was sent (--dry-run).`);
  } else if (report.committed) {
    say(`Imported ${report.accepted.length} of ${total} rows${opts.partial ? '' : ' in one transaction'}.`);
  } else if (where === 'local') {
    say(`Nothing was imported: ${refusedRows} of ${total} rows were refused (checked locally; nothing was sent).`);
    if (valid > 0) say(`Fix them and import again, or import with --partial to commit the ${valid} valid rows.`);
  } else {
    say(`Nothing was imported: ${refusedRows} of ${total} rows were refused.`);
  }
  if (refusedRows > 0) {
    say(headerRefused ? 'Refused:' : 'Refused rows:');
    for (const r of report.refused) {
      for (const [i, e] of r.errors.entries()) say(`  ${i === 0 ? `line ${r.line}`.padEnd(10) : ''.padEnd(10)} ${e.field ? `${e.field}: ` : ''}${e.message}`);
    }
  }
  return code;
}
