/**
 * The `traceledger` command: verify proof bundles, deploy the contracts, register participants,
 * issue producer tokens, import batches from CSV, print label sheets, sign lab reports; and for
 * data-sharing trails: sign and submit share steps, check receipts, verify trails, check
 * datasets, and monitor the logs.
 * Every failure is one line on stderr and a non-zero exit code (see EXIT in ./errors).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerAudit } from './commands/audit';
import { registerChain, registerDeploy, registerParticipants } from './commands/chain-admin';
import { registerImport } from './commands/import';
import { registerKeys } from './commands/keys';
import { registerReports } from './commands/reports';
import { registerLabels } from './commands/labels';
import { registerTokens } from './commands/tokens';
import { registerTrails } from './commands/trails';
import { registerVerify } from './commands/verify';
import { EXIT, describeFailure, type CliRun, type ExitCode } from './errors';

const EXIT_HELP = `
Exit codes:
  0  done; verify and trail verify: valid; receipts check: included;
     dataset check: the file matches; monitor: no divergence
  1  refused: an invalid or revoked bundle, refused CSV rows, an operation the
     chain or server refused, an invalid trail, an omitted or invalid receipt,
     a dataset that does not match, a log that diverges
  2  unusable: bad usage, an unreadable or malformed input file, an endpoint
     that cannot be reached
  3  pending: not yet anchored on chain (verify, trail verify, receipts check;
     share submit: no receipt yet); try again later
  141  the reader of the output went away (e.g. | head): stopped, as on SIGPIPE
`;

/** The program with every command; `run.exitCode` is what a command ends with when it does not throw. */
export function buildProgram(run: CliRun): Command {
  const program = new Command('traceledger')
    .description('traceledger: a blockchain-anchored ledger for selenium-rich product traceability and data-sharing trails')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_HELP)
    .configureHelp({ showGlobalOptions: false, sortSubcommands: false })
    .exitOverride();
  registerVerify(program, run);
  registerDeploy(program, run);
  registerParticipants(program, run);
  registerChain(program, run);
  registerTokens(program, run);
  registerImport(program, run);
  registerLabels(program, run);
  registerKeys(program, run);
  registerReports(program, run);
  registerTrails(program, run);
  registerAudit(program, run);
  // Sub-commands inherit the exit override, so usage errors end in main's catch with exit 2.
  const inherit = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.exitOverride().showHelpAfterError('(run with --help for usage)');
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** The package's version, from the nearest package.json above this file (server/cli/ from the sources, dist/server/cli/ compiled). */
function version(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'traceledger' && pkg.version) return pkg.version;
    } catch {
      // none here: look further up
    }
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}

/** The status of a process whose reader went away (128 + SIGPIPE), as Unix tools end when their output is cut short. */
export const EXIT_READER_GONE = 141;

/**
 * `traceledger verify bundle.json | head -3`: once the reader has gone, a write to stdout or stderr fails with EPIPE.
 * The command then ends quietly with status 141, as a Unix tool killed by SIGPIPE does, instead of a stack trace.
 */
let quietOnEpipe = false;
function endQuietlyWhenReaderGoes(): void {
  if (quietOnEpipe) return;
  quietOnEpipe = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT_READER_GONE);
      throw e;
    });
  }
}

/** Runs the CLI on `argv` (as process.argv) and returns the exit code; never throws. */
export async function main(argv: readonly string[]): Promise<ExitCode> {
  endQuietlyWhenReaderGoes();
  const run: CliRun = { exitCode: EXIT.OK };
  const program = buildProgram(run);
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return EXIT.UNUSABLE;
    }
    await program.parseAsync([...argv]);
    return run.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed the message (or the help / version).
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.OK : EXIT.UNUSABLE;
    }
    const { message, exitCode } = describeFailure(e);
    process.stderr.write(`traceledger: ${message}\n`);
    return exitCode;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
    // A provider or socket left open must not keep a finished command alive.
    setTimeout(() => process.exit(code), 200).unref();
  });
}
