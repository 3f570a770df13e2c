/** `traceledger labels`: an A4 sheet of batch labels (PDF), from a running server or the server's data folder. */
import type { Command } from 'commander';
import { CliError, EXIT, unusable, type CliRun } from '../errors';
import { note, readInputBytes, say, writeOutput } from '../io';

interface LabelOpts {
  ids: string;
  out: string;
  server?: string;
  dataDir?: string;
  baseUrl?: string;
  columns: string;
  rows: string;
  tokenFile?: string;
}

export function registerLabels(program: Command, _run: CliRun): void {
  program
    .command('labels')
    .summary('print an A4 sheet of batch labels with QR codes (PDF)')
    .description(
      [
        'Writes a PDF of A4 label sheets (3 × 8 labels of 70 × 37 mm by default), one label per batch: its QR code (the GS1 Digital Link a consumer scans), product name, lot, producer, GTIN and harvest date.',
        'From a running server (--server: GET /api/v1/labels.pdf), or from the server\'s data folder (--data-dir, with --base-url the public URL the QR codes point to). Chinese text needs a CJK font on the machine that renders (apt-get install fonts-wqy-microhei); without one, it is left out.',
      ].join('\n\n'),
    )
    .requiredOption('--ids <ids>', 'batch ids, comma-separated')
    .requiredOption('--out <file>', 'the PDF to write (- for standard output)')
    .option('--server <url>', 'the traceledger server, e.g. http://localhost:3000')
    .option('--data-dir <dir>', "the server's data folder, read directly instead of --server")
    .option('--base-url <url>', 'with --data-dir: the public base URL in the QR codes', 'http://localhost:3000')
    .option('--columns <n>', 'labels across', '3')
    .option('--rows <n>', 'labels down', '8')
    .option('--token-file <file>', "with --server: a file holding the batches' producer's API token or the admin token (the server asks for one above 12 labels)")
    .action(async (opts: LabelOpts) => {
      const ids = opts.ids.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (ids.length === 0) throw unusable('--ids: give at least one batch id');
      if (Boolean(opts.server) === Boolean(opts.dataDir)) throw unusable('give either --server or --data-dir');
      const pdf = opts.server ? await fromServer(opts, ids) : await fromDataDir(opts, ids);
      writeOutput(opts.out, pdf);
      if (opts.out !== '-') say(`wrote ${opts.out}: ${ids.length} label${ids.length === 1 ? '' : 's'}`);
    });
}

async function fromServer(opts: LabelOpts, ids: string[]): Promise<Buffer> {
  const { apiUrl, refusal, send } = await import('../http');
  const url = apiUrl(opts.server!, '/labels.pdf');
  url.search = new URLSearchParams({ ids: ids.join(','), columns: opts.columns, rows: opts.rows }).toString();
  const headers: Record<string, string> = { accept: 'application/pdf' };
  if (opts.tokenFile) {
    const token = readInputBytes(opts.tokenFile).toString('utf8').trim();
    if (token === '') throw unusable(`${opts.tokenFile} is empty`);
    headers.authorization = `Bearer ${token}`;
  }
  const answer = await send('GET', url, { headers });
  if (answer.status !== 200) throw refusal(answer);
  if (!answer.contentType.startsWith('application/pdf')) throw new CliError(`the server answered ${answer.contentType || 'no content type'}, not a PDF`, EXIT.UNUSABLE);
  return answer.body;
}

async function fromDataDir(opts: LabelOpts, ids: string[]): Promise<Buffer> {
  const path = await import('node:path');
  const dbPath = path.join(path.resolve(opts.dataDir!), 'traceledger.sqlite');
  const { openExistingStore } = await import('../../store');
  const { labelItemsOf, labelSheetPdf, findCjkFont } = await import('../../labels');
  if (!findCjkFont()) note('warning: no CJK font found; Chinese text is left out (apt-get install fonts-wqy-microhei)');
  // The server's store: PostgreSQL when DATABASE_URL is set (as for the server), else its SQLite file.
  const store = await openExistingStore(dbPath, process.env);
  if (!store) throw unusable(`no database at ${dbPath}: is --data-dir the server's DATA_DIR?`);
  try {
    // As the server reads PUBLIC_BASE_URL: https when no scheme is given, no trailing slash.
    const base = (/^https?:\/\//.test(opts.baseUrl!) ? opts.baseUrl! : `https://${opts.baseUrl!}`).replace(/\/+$/, '');
    const items = await labelItemsOf(store, ids, base);
    return await labelSheetPdf(items, { columns: Number(opts.columns), rows: Number(opts.rows) });
  } finally {
    await store.close();
  }
}
