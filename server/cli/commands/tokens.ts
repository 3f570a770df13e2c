/** `traceledger tokens create|list|revoke`: role API tokens, from the server's data folder or through its admin API. */
import { Option, type Command } from 'commander';
import type { TokenRole } from '../../service/tokens';
import { unusable, type CliRun } from '../errors';
import { ADMIN_TOKEN_ENV, ADMIN_TOKEN_OPTION_HELP, adminTokenOf, say } from '../io';

interface TokenOpts {
  producer?: string;
  role: string;
  participant?: string;
  label?: string;
  dataDir: string;
  server?: string;
  adminToken?: string;
  adminTokenFile?: string;
  json?: boolean;
}

export function registerTokens(program: Command, _run: CliRun): void {
  const tokens = program
    .command('tokens')
    .summary('issue API tokens (producers, labs, departments, registrar, regulator, auditor)')
    .description(
      'API tokens carry a role: a producer imports batches with one, no wallet needed; a lab or a department reads its own records with its own; the registrar registers participants; the regulator revokes records; the auditor reads trails, alerts and audit reports and changes nothing. The operator (the admin token) issues them all.',
    );

  tokens
    .command('create')
    .summary('issue an API token (shown once)')
    .description(
      [
        'Issues an API token and prints it once (only its SHA-256 is kept). A producer, lab or department token acts for one registered participant (--producer, or --participant with its participant id or code); registrar, regulator and auditor tokens for none.',
        "Locally (default): writes to the SQLite database in --data-dir, the server's DATA_DIR (the server may be running: the database is shared safely). The producer must already be mirrored there from the chain, i.e. registered and seen by the server. Remotely: with --server and the admin token (TRACELEDGER_ADMIN_TOKEN in the environment, or --admin-token-file, from the server's ADMIN_TOKEN or DATA_DIR/admin-token), through POST /api/v1/tokens.",
      ].join('\n\n'),
    )
    .addOption(new Option('--role <role>', 'what the token may do').choices(['producer', 'lab', 'department', 'registrar', 'regulator', 'auditor']).default('producer'))
    .option('--producer <ref>', "the producer's participant id (0x…) or unified social credit code (a producer token)")
    .option('--participant <ref>', "the lab's or department's participant id (0x…), CMA number or unified social credit code (a lab or department token)")
    .option('--label <label>', 'what the token is for, e.g. "ERP export" (default: "issued by the CLI")')
    .option('--data-dir <dir>', "the server's data folder", 'data')
    .option('--server <url>', 'issue it through a running server instead')
    .addOption(new Option('--admin-token <token>', ADMIN_TOKEN_OPTION_HELP).hideHelp())
    .option('--admin-token-file <file>', `read the admin token from a file (with --server; default: ${ADMIN_TOKEN_ENV} from the environment)`)
    .option('--json', 'print JSON (token, tokenHash, role, participantId, label, createdAt)')
    .action(async (opts: TokenOpts) => {
      const label = opts.label ?? 'issued by the CLI';
      const ref = opts.role === 'producer' ? (opts.producer ?? opts.participant) : opts.participant;
      if (opts.role === 'producer' && ref === undefined) throw unusable('a producer token needs --producer <participant id or USCC>');
      if ((opts.role === 'lab' || opts.role === 'department') && ref === undefined) throw unusable(`a ${opts.role} token needs --participant <participant id or code>`);
      if (!['producer', 'lab', 'department'].includes(opts.role) && (opts.producer ?? opts.participant) !== undefined) throw unusable(`a ${opts.role} token acts for no participant: leave out --producer/--participant`);
      const issued = opts.server ? await viaServer(opts, ref, label) : await locally(opts, ref, label);
      if (opts.json) return say(JSON.stringify(issued, null, 2));
      say(issued.token);
      const whom = issued.participantId ? ` for ${issued.role} ${issued.participantId}` : '';
      const use = issued.role === 'producer' ? 'import with: traceledger import FILE.csv --server URL --token-file FILE' : 'send it as Authorization: Bearer <token>, or paste it into the console';
      process.stderr.write(`${issued.role} token${whom} ("${issued.label}"), hash ${issued.tokenHash}\nshown once: keep it secret; ${use}\n`);
    });
}

interface Issued {
  token: string;
  tokenHash: string;
  role: string;
  participantId: string | null;
  label: string;
  createdAt: string;
}

/** The participant id of `ref` for a token of `role` (participant id, USCC or CMA number), or undefined for none. */
async function participantOf(role: string, ref: string | undefined): Promise<string | undefined> {
  if (ref === undefined) return undefined;
  const { participantIdOf } = await import('../../service/references');
  return participantIdOf(role as 'producer' | 'lab' | 'department', ref);
}

async function locally(opts: TokenOpts, ref: string | undefined, label: string): Promise<Issued> {
  const path = await import('node:path');
  const dbPath = path.join(path.resolve(opts.dataDir), 'traceledger.sqlite');
  const { openExistingStore } = await import('../../store');
  const { issueApiToken } = await import('../../service/tokens');
  const { AppError } = await import('../../errors');
  const participantId = await participantOf(opts.role, ref);
  // The server's store: PostgreSQL when DATABASE_URL is set (as for the server), else its SQLite file.
  const store = await openExistingStore(dbPath, process.env);
  if (!store) throw unusable(`no database at ${dbPath}: is --data-dir the server's DATA_DIR?`);
  try {
    return await issueApiToken(store, { role: opts.role as TokenRole, participantId, label });
  } catch (e) {
    if (e instanceof AppError && e.code === 'not-found') {
      throw new AppError('not-found', `${e.message} in ${dbPath} (register it on chain; the server mirrors it within seconds)`);
    }
    throw e;
  } finally {
    await store.close();
  }
}

async function viaServer(opts: TokenOpts, ref: string | undefined, label: string): Promise<Issued> {
  const admin = adminTokenOf(opts, '--server');
  const { apiUrl, jsonOf, send } = await import('../http');
  const body = Buffer.from(JSON.stringify({ role: opts.role, ...(ref === undefined ? {} : { participantId: ref }), label }), 'utf8');
  const answer = await send('POST', apiUrl(opts.server!, '/tokens'), { headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body });
  return jsonOf<Issued>(answer);
}
