/** `traceledger verify BUNDLE --rpc URL`: checks a proof bundle against the chain, step by step. */
import type { Command } from 'commander';
import { CliError, EXIT, unusable, type CliRun, type ExitCode } from '../errors';
import { readJsonFile, say } from '../io';

const SYMBOL = { passed: '✓', failed: '✗', pending: '…', skipped: '-' } as const;

export function registerVerify(program: Command, run: CliRun): void {
  program
    .command('verify')
    .summary('verify a proof bundle (traceledger-proof-v1) against the chain')
    .description(
      [
        'Verifies a proof bundle with nothing but a JSON-RPC endpoint: the disclosed fields against the signed record root, the log entry and its leaf hash, the inclusion proof to the checkpoint, the checkpoint on chain, the signer registered for its role, revocation, and (for a selenium test report with --category) the tier its result reaches. Prints every step with ✓ passed, ✗ failed, … pending, - skipped.',
        'Exit codes: 0 valid; 1 invalid or revoked (the failed step is named); 2 the bundle or the endpoint is unusable (unreadable file, not JSON, not a traceledger-proof-v1 bundle, RPC unreachable); 3 pending: genuine so far but not yet anchored on chain, try again later.',
      ].join('\n\n'),
    )
    .argument('<bundle>', 'the bundle file, or - for standard input')
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint of the chain the bundle names')
    .option('--category <key>', 'product category of the batch, to classify a selenium test report (e.g. tea)')
    .option('--contract <address>', 'the TraceLedger address you trust; without it, the one the bundle names is used')
    .option('--json', 'print the verification result as JSON')
    .action(async (file: string, opts: { rpc: string; category?: string; contract?: string; json?: boolean }) => {
      run.exitCode = await verify(file, opts);
    });
}

async function verify(file: string, opts: { rpc: string; category?: string; contract?: string; json?: boolean }): Promise<ExitCode> {
  const { BUNDLE_FORMAT, ProofBundleSchema } = await import('../../verification/bundle');
  const input = readJsonFile(file);
  const format = (input as { format?: unknown } | null)?.format;
  if (format !== BUNDLE_FORMAT) {
    throw unusable(typeof format === 'string' ? `unknown bundle format "${format}"; this verifier reads ${BUNDLE_FORMAT}` : `${file} is not a ${BUNDLE_FORMAT} bundle (it has no "format")`);
  }
  const parsed = ProofBundleSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw unusable(`${file} is not a readable ${BUNDLE_FORMAT} bundle:\n${issues}`);
  }
  const bundle = parsed.data;
  if (opts.contract !== undefined && opts.contract.toLowerCase() !== bundle.chain.traceLedger.toLowerCase()) {
    throw new CliError(`INVALID: the bundle was anchored with TraceLedger ${bundle.chain.traceLedger}, not the trusted ${opts.contract}`, EXIT.REFUSED);
  }

  const { connect } = await import('../chain');
  const { RpcChainReader } = await import('../../chain/reader');
  const { verifyBundle } = await import('../../verification/verify');
  const { provider } = await connect(opts.rpc);
  try {
    const result = await verifyBundle(bundle, { chain: new RpcChainReader(provider, bundle.chain), category: opts.category });
    const code: ExitCode = result.verdict === 'valid' ? EXIT.OK : result.verdict === 'pending' ? EXIT.PENDING : EXIT.REFUSED;
    if (opts.json) {
      say(JSON.stringify(result, null, 2));
      return code;
    }
    say(`${BUNDLE_FORMAT}: ${bundle.record.type} ${bundle.record.id}`);
    say(`chain ${bundle.chain.chainId}, TraceLedger ${bundle.chain.traceLedger}${opts.contract ? ' (trusted)' : ' (as the bundle names it; pin it with --contract)'}`);
    say();
    const width = Math.max(...result.steps.map((s) => s.step.length));
    for (const s of result.steps) say(`  ${SYMBOL[s.status]} ${s.step.padEnd(width)}  ${s.message}`);
    say();
    say(verdictLine(result));
    return code;
  } finally {
    provider.destroy();
  }
}

function verdictLine(r: { verdict: string; failedStep: string | null; steps: { step: string; status: string; message: string }[] }): string {
  if (r.verdict === 'valid') return 'VALID: the record is genuine, anchored on chain, signed by a registered key, and not revoked.';
  if (r.verdict === 'revoked') {
    const step = r.steps.find((s) => s.step === 'checkNotRevoked');
    return `REVOKED (checkNotRevoked): ${step?.message ?? 'the record was revoked'}`;
  }
  if (r.verdict === 'pending') {
    const waiting = r.steps.filter((s) => s.status === 'pending').map((s) => s.step);
    return `PENDING (${waiting.join(', ')}): nothing failed, but the record is not anchored on chain yet; verify again later.`;
  }
  const failed = r.steps.find((s) => s.step === r.failedStep);
  return `INVALID: failed at ${r.failedStep ?? 'an unnamed step'}: ${failed?.message ?? ''}`.trimEnd();
}
