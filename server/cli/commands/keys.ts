/** `traceledger keygen` and `traceledger sign-report`: a lab's key file, and reports signed with it, offline. */
import type { Command } from 'commander';
import { unusable, type CliRun } from '../errors';
import { note, readJsonFile, readKeyFile, say, writeNewKeyFile, writeOutput } from '../io';

interface SignOpts {
  keyFile: string;
  deployment?: string;
  chainId?: string;
  contract?: string;
  out?: string;
}

export function registerKeys(program: Command, _run: CliRun): void {
  program
    .command('keygen')
    .summary('create a key file (a new private key, readable by its owner only)')
    .description(
      'Creates a new secp256k1 private key in --out (mode 0600) and prints its address. Register the address for the lab or department (traceledger participants add-key), then sign with the key file.',
    )
    .requiredOption('--out <file>', 'the key file to create')
    .option('--force', 'replace an existing key file (the old key is lost)')
    .action((opts: { out: string; force?: boolean }) => {
      const wallet = writeNewKeyFile(opts.out, opts.force === true);
      say(wallet.address);
      note(`wrote ${opts.out} (mode 0600); register ${wallet.address} as a signing key, and keep the file secret`);
    });

  program
    .command('sign-report')
    .summary("sign a selenium test report with a lab's key file, ready for POST /api/v1/reports")
    .description(
      [
        'Validates a SeleniumTestReport (JSON: the record\'s fields), commits it with fresh salts and signs its EIP-712 message with the lab\'s key. Writes { type, record, salts, signature }, the body of POST /api/v1/reports. An absent "issuedAt" is set to now; an absent "id" gets a new ULID in the lab\'s namespace ("{its CMA number}-{ULID}": record ids are namespaced by their signer). The chain binding comes from --deployment, or from --chain-id and --contract.',
      ].join('\n\n'),
    )
    .argument('<report>', 'the report JSON file, or - for standard input')
    .requiredOption('--key-file <file>', "the lab's key file (from traceledger keygen)")
    .option('--deployment <file>', 'deployment file naming the chain and the TraceLedger contract')
    .option('--chain-id <n>', 'chain id (instead of --deployment)')
    .option('--contract <address>', 'TraceLedger address (instead of --deployment)')
    .option('--out <file>', 'where to write the signed submission (default: standard output)')
    .action(async (file: string, opts: SignOpts) => {
      const { walletFromKey } = await import('../../chain/keys');
      const { commitRecord, namespacedId, parseRecord, signRecord } = await import('../../records');
      const { newUlid } = await import('../../service/csv-import');
      const binding = await bindingOf(opts);
      const input = readJsonFile(file);
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw unusable(`${file} must hold a JSON object: the report's fields`);
      const fields = input as Record<string, unknown>;
      // Record ids are namespaced by their signer: a new id is `{the lab's CMA number}-{ULID}`.
      const cma = (fields.lab as { cmaNumber?: unknown } | undefined)?.cmaNumber;
      const filled = {
        ...fields,
        id: fields.id ?? (typeof cma === 'string' ? namespacedId(cma, newUlid()) : newUlid()),
        issuedAt: fields.issuedAt ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      };
      const record = parseRecord('SeleniumTestReport', filled);
      const wallet = walletFromKey(readKeyFile(opts.keyFile));
      const { root, salts } = commitRecord(record);
      const signature = await signRecord(wallet, 'SeleniumTestReport', record, root, binding);
      // Salts let whoever holds them disclose private fields: keep the output as private as the report.
      writeOutput(opts.out, JSON.stringify({ type: 'SeleniumTestReport', record, salts, signature }, null, 2) + '\n', 0o600);
      note(`signed report ${record.id} (root ${root}) as ${wallet.address} for chain ${binding.chainId}, TraceLedger ${binding.verifyingContract}`);
      if (opts.out && opts.out !== '-') note(`wrote ${opts.out}; submit it (with others) with: traceledger submit-reports ${opts.out} --server URL`);
    });
}

/** The chain binding (EIP-712 domain) from --deployment, or from --chain-id and --contract. */
export async function bindingOf(opts: Pick<SignOpts, 'deployment' | 'chainId' | 'contract'>): Promise<{ chainId: number; verifyingContract: string }> {
  const { checksumAddress, isAddress } = await import('../../chain/keys');
  if (opts.deployment) {
    if (opts.chainId || opts.contract) throw unusable('give --deployment, or --chain-id and --contract, not both');
    const { readDeployment } = await import('../../chain/deploy');
    let d;
    try {
      d = readDeployment(opts.deployment);
    } catch (e) {
      throw unusable(`${opts.deployment} is not a traceledger deployment file`, e);
    }
    if (!d) throw unusable(`no deployment file ${opts.deployment}`);
    return { chainId: d.chainId, verifyingContract: d.traceLedger };
  }
  if (!opts.chainId || !opts.contract) throw unusable('give --deployment, or both --chain-id and --contract');
  if (!/^[1-9]\d{0,15}$/.test(opts.chainId)) throw unusable(`--chain-id ${opts.chainId} is not a chain id`);
  if (!isAddress(opts.contract)) throw unusable(`--contract ${opts.contract} is not an address`);
  return { chainId: Number(opts.chainId), verifyingContract: checksumAddress(opts.contract) };
}
