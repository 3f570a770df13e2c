/** `traceledger verify BUNDLE --rpc URL`: checks a proof bundle against the chain, step by step. */
import type { Command } from 'commander';
import { EXIT, unusable, type CliRun, type ExitCode } from '../errors';
import { readJsonFile, say } from '../io';
import type { Lang, MessageCode, Params, StepResult, VerificationResult } from '../../verification';

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
    .option('--lang <lang>', 'language of the step messages: en or zh', 'en')
    .action(async (file: string, opts: VerifyCliOptions) => {
      run.exitCode = await verify(file, opts);
    });
}

interface VerifyCliOptions {
  rpc: string;
  category?: string;
  contract?: string;
  json?: boolean;
  lang: string;
}

async function verify(file: string, opts: VerifyCliOptions): Promise<ExitCode> {
  if (opts.lang !== 'en' && opts.lang !== 'zh') throw unusable(`--lang must be en or zh, not ${opts.lang}`);
  const lang: Lang = opts.lang;
  // The same verifier as the server and the consumer's browser, on the native primitives.
  await import('../../crypto/native');
  const { BUNDLE_FORMAT, BundleReadError, JsonRpcChainReader, messageText, readBundle, stepTitle, verifyBundle } = await import('../../verification');
  const input = readJsonFile(file);
  let bundle;
  try {
    bundle = readBundle(input).bundle;
  } catch (e) {
    if (e instanceof BundleReadError) throw unusable(`${file} is not a readable ${BUNDLE_FORMAT} bundle: ${messageText(e.code, e.params, lang)}`);
    throw e;
  }
  // The trust root: the TraceLedger given with --contract (else the bundle's own, said so), on the chain the
  // endpoint serves. The registries are always read from that TraceLedger, never from the bundle.
  const trusted = opts.contract ?? bundle.chain.traceLedger;
  if (!/^0x[0-9a-fA-F]{40}$/.test(trusted)) throw unusable(`--contract must be a 0x address, not ${trusted}`);
  const chain = JsonRpcChainReader.fromUrl(opts.rpc, { traceLedger: trusted });
  let chainId: number;
  try {
    chainId = await chain.chainId();
  } catch (e) {
    throw unusable(`cannot reach the chain endpoint ${opts.rpc}: ${(e as Error).message}`, e);
  }
  const trustRoot = { chainId, traceLedger: trusted };
  const result = await verifyBundle(bundle, { chain, category: opts.category, trustRoot });
  if (result.steps.some((s) => s.code === 'chainUnreachable')) {
    throw unusable(`cannot reach the chain endpoint ${opts.rpc}: nothing was decided (check --rpc)`);
  }
  const code: ExitCode = result.verdict === 'valid' ? EXIT.OK : result.verdict === 'pending' ? EXIT.PENDING : EXIT.REFUSED;
  if (opts.json) {
    say(JSON.stringify(result, null, 2));
    return code;
  }
  say(`${BUNDLE_FORMAT}: ${bundle.record.type} ${bundle.record.id}`);
  say(`trust root: chain ${chainId}, TraceLedger ${trusted} ${opts.contract ? '(from --contract)' : "(the bundle's own: pin the one you trust with --contract)"}; registries read from it`);
  say();
  const width = Math.max(...result.steps.map((s) => s.step.length));
  for (const s of result.steps) say(`  ${SYMBOL[s.status]} ${s.step.padEnd(width)}  ${lang === 'en' ? s.message : `${stepTitle(s.step, lang)}：${messageText(s.code, s.params, lang)}`}`);
  say();
  say(verdictLine(result, lang, messageText));
  return code;
}

type Render = (code: MessageCode, params: Params, lang: Lang) => string;

function verdictLine(r: VerificationResult, lang: Lang, render: Render): string {
  const text = (s: StepResult) => (lang === 'en' ? s.message : render(s.code, s.params, lang));
  if (r.verdict === 'valid') return lang === 'zh' ? 'VALID：记录真实，已上链，由已登记的密钥签名，未被撤销。' : 'VALID: the record is genuine, anchored on chain, signed by a registered key, and not revoked.';
  if (r.verdict === 'revoked') {
    const step = r.steps.find((s) => s.step === 'checkNotRevoked');
    return `REVOKED (checkNotRevoked): ${step ? text(step) : ''}`;
  }
  if (r.verdict === 'pending') {
    const waiting = r.steps.filter((s) => s.status === 'pending').map((s) => s.step);
    return lang === 'zh'
      ? `PENDING (${waiting.join(', ')})：没有步骤失败，但记录尚未上链，请稍后再验证。`
      : `PENDING (${waiting.join(', ')}): nothing failed, but the record is not anchored on chain yet; verify again later.`;
  }
  const failed = r.steps.find((s) => s.step === r.failedStep);
  return `INVALID: failed at ${r.failedStep ?? 'an unnamed step'}: ${failed ? text(failed) : ''}`.trimEnd();
}
