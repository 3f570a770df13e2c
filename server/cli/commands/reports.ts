/**
 * `traceledger submit-reports FILE…`: a lab's signed reports (from `traceledger sign-report`) sent to a server,
 * up to 100 a request (POST /api/v1/reports/bulk), each accepted or refused on its own and printed with its file.
 */
import type { Command } from 'commander';
import { CliError, EXIT, unusable, type CliRun, type ExitCode } from '../errors';
import { note, readJsonFile, say } from '../io';

/** Reports a request: the server's most (MAX_BULK_REPORTS in server/http/schemas.ts). */
const PER_REQUEST = 100;
/** Bytes of reports a request, below the server's JSON body limit (JSON_LIMIT in server/http/app.ts, 256 kB) with room for the envelope. */
const BYTES_PER_REQUEST = 240 * 1024;

/**
 * The requests `sizes` (each report's JSON length, in order) go in: consecutive runs of at most `maxCount` reports and
 * `maxBytes` bytes (a report larger than that alone goes on its own), as [from, to) ranges.
 */
export function requestRanges(sizes: readonly number[], maxCount = PER_REQUEST, maxBytes = BYTES_PER_REQUEST): [number, number][] {
  const out: [number, number][] = [];
  let from = 0;
  let bytes = 0;
  sizes.forEach((size, i) => {
    if (i > from && (i - from === maxCount || bytes + size + 1 > maxBytes)) {
      out.push([from, i]);
      from = i;
      bytes = 0;
    }
    bytes += size + 1;
  });
  if (from < sizes.length) out.push([from, sizes.length]);
  return out;
}

interface SubmitOpts {
  server: string;
  json?: boolean;
}

/** What became of one file. */
interface Outcome {
  file: string;
  /** The HTTP status the report got on its own (201 accepted); 0 when it was not sent (its request was refused whole). */
  status: number;
  id?: string;
  leafHash?: string;
  error?: { code: string; message: string };
}

interface BulkAnswer {
  results: { index: number; status: number; acceptance?: { id: string; leafHash: string }; error?: { code: string; message: string } }[];
}

export function registerReports(program: Command, run: CliRun): void {
  program
    .command('submit-reports')
    .summary('submit signed reports (from sign-report) to a server, up to 100 a request')
    .description(
      [
        'Sends signed selenium test reports (the files traceledger sign-report writes) to POST /api/v1/reports/bulk, in the order given, up to 100 (and 240 kB) a request. Each report is checked on its own: the accepted ones are stored however the others fare. Prints, per file, "accepted" with the report id and leaf hash, or "refused" with the reason; --json prints the same as JSON.',
        'Each report counts as one write against the server\'s rate limit; a request that would pass it is refused whole, and its reports and the later ones are reported as not sent (send them again later: the accepted ones then answer "replay").',
        'Exit codes: 0 every report accepted; 1 some refused or not sent; 2 a file is not a signed report (nothing is sent), or the server cannot be reached.',
      ].join('\n\n'),
    )
    .argument('<signed...>', 'signed report JSON files (from traceledger sign-report)')
    .requiredOption('--server <url>', 'the traceledger server, e.g. http://localhost:3000')
    .option('--json', 'print the outcomes as JSON')
    .action(async (files: string[], opts: SubmitOpts) => {
      run.exitCode = await submitReports(files, opts);
    });
}

/** Reads every file first: one that is not a signed report stops the command before anything is sent. */
function readSigned(file: string): { record: unknown; salts: unknown; signature: unknown } {
  const input = readJsonFile(file) as { type?: unknown; record?: unknown; salts?: unknown; signature?: unknown } | null;
  if (!input || typeof input !== 'object' || Array.isArray(input) || input.record === undefined || input.salts === undefined || input.signature === undefined) {
    throw unusable(`${file} is not a signed report: it needs "record", "salts" and "signature" (from traceledger sign-report); nothing was sent`);
  }
  if (input.type !== undefined && input.type !== 'SeleniumTestReport') throw unusable(`${file} is a signed ${String(input.type)}, not a SeleniumTestReport; nothing was sent`);
  return { record: input.record, salts: input.salts, signature: input.signature };
}

async function submitReports(files: string[], opts: SubmitOpts): Promise<ExitCode> {
  const { postJson } = await import('../http');
  const signed = files.map(readSigned);
  const outcomes: Outcome[] = [];
  for (const [from, to] of requestRanges(signed.map((s) => Buffer.byteLength(JSON.stringify(s))))) {
    const slice = signed.slice(from, to);
    let answer: BulkAnswer;
    try {
      answer = await postJson<BulkAnswer>(opts.server, '/reports/bulk', { reports: slice }, { ok: [200] });
    } catch (e) {
      // Refused whole (the rate limit, a body too large…): this request's reports and the later ones were not sent.
      if (!(e instanceof CliError) || e.exitCode !== EXIT.REFUSED) throw e;
      for (let i = from; i < signed.length; i++) outcomes.push({ file: files[i]!, status: 0, error: { code: 'not-sent', message: e.message } });
      break;
    }
    for (const r of answer.results) {
      const file = files[from + r.index]!;
      outcomes.push(r.status === 201 && r.acceptance ? { file, status: 201, id: r.acceptance.id, leafHash: r.acceptance.leafHash } : { file, status: r.status, error: r.error ?? { code: String(r.status), message: `HTTP ${r.status}` } });
    }
  }
  const accepted = outcomes.filter((o) => o.status === 201).length;
  if (opts.json) say(JSON.stringify(outcomes, null, 2));
  else for (const o of outcomes) say(o.status === 201 ? `accepted  ${o.file}  ${o.id}  leaf ${o.leafHash}` : `${o.status === 0 ? 'not sent' : 'refused '}  ${o.file}  ${o.error!.code}: ${o.error!.message}`);
  note(`${accepted} of ${files.length} report(s) accepted${accepted < files.length ? `; ${files.length - accepted} refused or not sent` : ''}`);
  return accepted === files.length ? EXIT.OK : EXIT.REFUSED;
}
