/** `traceledger audit-report check FILE --rpc URL`: is an exported audit report (JSON or CSV) as the operator signed it? */
import type { Command } from 'commander';
import { EXIT, unusable, type CliRun, type ExitCode } from '../errors';
import { readInputBytes, say } from '../io';

interface AuditCheckOpts {
  rpc: string;
  contract?: string;
  json?: boolean;
}

export function registerAudit(program: Command, run: CliRun): void {
  const audit = program.command('audit-report').summary('check an exported audit report against the chain').description('Audit reports (traceledger-audit-report-v1), exported as JSON or CSV from the auditor console or GET /api/v1/departments/{id}/audit-report, are signed with the operator\'s key.');
  audit
    .command('check')
    .summary('was this audit report signed by the operator, and is it unchanged?')
    .description(
      [
        "Checks the signature of an exported audit report: the file's SHA-256 must be the one signed (the JSON report without its signature member, canonical JSON; the CSV without its last line), the EIP-712 signature must recover to the signer it names, and that signer must be an anchorer of the TraceLedger contract on the chain read over --rpc. Nothing is sent to any traceledger server.",
        'Exit codes: 0 valid; 1 invalid (changed, signed by another key, another chain or contract); 2 an unreadable file or an unreachable chain.',
      ].join('\n\n'),
    )
    .argument('<file>', 'the exported report (.json or .csv), or - for standard input')
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint of the chain the report names')
    .option('--contract <address>', 'the TraceLedger address you trust; without it, the one the report names is used')
    .option('--json', 'print the check (status, message, signature) as JSON')
    .action(async (file: string, opts: AuditCheckOpts) => {
      run.exitCode = await checkAuditFile(file, opts);
    });
}

async function checkAuditFile(file: string, opts: AuditCheckOpts): Promise<ExitCode> {
  const text = readInputBytes(file).toString('utf8');
  const { checkAuditReport, readSignedAuditReport } = await import('../../trails/audit-signature');
  let traceLedger: string;
  try {
    traceLedger = opts.contract ?? readSignedAuditReport(text).signature.traceLedger;
  } catch (e) {
    throw unusable(`${file}: ${(e as Error).message}`, e);
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(traceLedger)) throw unusable(`--contract must be a 0x address, not ${traceLedger}`);
  const { JsonRpcChainReader } = await import('../../verification');
  const chain = JsonRpcChainReader.fromUrl(opts.rpc, { traceLedger });
  try {
    await chain.chainId();
  } catch (e) {
    throw unusable(`cannot reach the chain endpoint ${opts.rpc}: ${(e as Error).message}`, e);
  }
  const check = await checkAuditReport(text, chain, opts.contract);
  const code: ExitCode = check.status === 'valid' ? EXIT.OK : EXIT.REFUSED;
  if (opts.json) {
    say(JSON.stringify(check, null, 2));
    return code;
  }
  const s = check.signature;
  if (s) say(`${s.mediaType} audit report of department ${s.departmentId}, generated ${s.generatedAt}; chain ${s.chainId}, TraceLedger ${traceLedger}${opts.contract ? ' (trusted)' : ' (as the report names it; pin it with --contract)'}`);
  say(`${check.status.toUpperCase()}: ${check.message}`);
  return code;
}
