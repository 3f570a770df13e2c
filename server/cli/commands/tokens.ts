/** `traceledger tokens create`: a producer API token, from the server's data folder or through its admin API. */
import { Option, type Command } from 'commander';
import { unusable, type CliRun } from '../errors';
import { ADMIN_TOKEN_ENV, ADMIN_TOKEN_OPTION_HELP, adminTokenOf, say } from '../io';

interface TokenOpts {
  producer: string;
  label?: string;
  dataDir: string;
  server?: string;
  adminToken?: string;
  adminTokenFile?: string;
  json?: boolean;
}

export function registerTokens(program: Command, _run: CliRun): void {
  const tokens = program.command('tokens').summary('issue API tokens for producers').description('Producer API tokens: a producer imports batches with one, no wallet needed.');

  tokens
    .command('create')
    .summary('issue an API token for a producer (shown once)')
    .description(
      [
        'Issues an API token for a registered producer and prints it once (only its SHA-256 is kept).',
        "Locally (default): writes to the SQLite database in --data-dir, the server's DATA_DIR (the server may be running: the database is shared safely). The producer must already be mirrored there from the chain, i.e. registered and seen by the server. Remotely: with --server and the admin token (TRACELEDGER_ADMIN_TOKEN in the environment, or --admin-token-file, from the server's ADMIN_TOKEN or DATA_DIR/admin-token), through POST /api/v1/tokens.",
      ].join('\n\n'),
    )
    .requiredOption('--producer <ref>', "the producer's participant id (0x…) or unified social credit code")
    .option('--label <label>', 'what the token is for, e.g. "ERP export" (default: "issued by the CLI")')
    .option('--data-dir <dir>', "the server's data folder", 'data')
    .option('--server <url>', 'issue it through a running server instead')
    .addOption(new Option('--admin-token <token>', ADMIN_TOKEN_OPTION_HELP).hideHelp())
    .option('--admin-token-file <file>', `read the admin token from a file (with --server; default: ${ADMIN_TOKEN_ENV} from the environment)`)
    .option('--json', 'print JSON (token, tokenHash, producerId, label, createdAt)')
    .action(async (opts: TokenOpts) => {
      const label = opts.label ?? 'issued by the CLI';
      const issued = opts.server ? await viaServer(opts, label) : await locally(opts, label);
      if (opts.json) return say(JSON.stringify(issued, null, 2));
      say(issued.token);
      process.stderr.write(`token for producer ${issued.producerId} ("${issued.label}"), hash ${issued.tokenHash}\nshown once: keep it secret; import with: traceledger import FILE.csv --server URL --token-file FILE\n`);
    });
}

interface Issued {
  token: string;
  tokenHash: string;
  producerId: string;
  label: string;
  createdAt: string;
}

async function locally(opts: TokenOpts, label: string): Promise<Issued> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const dbPath = path.join(path.resolve(opts.dataDir), 'traceledger.sqlite');
  if (!fs.existsSync(dbPath)) throw unusable(`no database at ${dbPath}: is --data-dir the server's DATA_DIR?`);
  const { openSqliteStore } = await import('../../store/sqlite');
  const { issueApiToken } = await import('../../service/tokens');
  const { participantIdOf } = await import('../../service/references');
  const { AppError } = await import('../../errors');
  const store = openSqliteStore(dbPath);
  try {
    return await issueApiToken(store, { producerId: participantIdOf('producer', opts.producer), label });
  } catch (e) {
    if (e instanceof AppError && e.code === 'not-found') {
      throw new AppError('not-found', `${e.message} in ${dbPath} (register it on chain; the server mirrors it within seconds)`);
    }
    throw e;
  } finally {
    await store.close();
  }
}

async function viaServer(opts: TokenOpts, label: string): Promise<Issued> {
  const admin = adminTokenOf(opts, '--server');
  const { apiUrl, jsonOf, send } = await import('../http');
  const body = Buffer.from(JSON.stringify({ producerId: opts.producer, label }), 'utf8');
  const answer = await send('POST', apiUrl(opts.server!, '/tokens'), { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body });
  return jsonOf<Issued>(answer);
}
