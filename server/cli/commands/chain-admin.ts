/**
 * `traceledger deploy`, `traceledger participants …` (registration, signing keys, producers' product keys) and `traceledger chain redeploy`: the operator's chain administration,
 * straight against the contracts with the registrar's key file (no server needed).
 */
import { nowSeconds } from '../../records/time';
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type * as ChainKeys from '../../chain/keys';
import type { NewParticipant } from '../../service/participants';
import type { ParticipantKind } from '../../store/types';
import type { CliRegistrar } from '../chain';
import { CliError, EXIT, unusable, type CliRun } from '../errors';
import { note, parseWhen, say, writeOutput } from '../io';

const YEAR = 365 * 24 * 3600;

interface ChainOpts {
  rpc: string;
  keyFile: string;
  deployment: string;
}

const rpcOption = () => new Option('--rpc <url>', 'JSON-RPC endpoint of the chain').makeOptionMandatory();
const keyFileOption = () => new Option('--key-file <file>', "file holding the registrar's private key (the deployer's, unless granted)").makeOptionMandatory();
const deploymentOption = () => new Option('--deployment <file>', 'deployment file written by `traceledger deploy` (default: deployment.json, or DIR/deployment.json with --data-dir)');
const dataDirOption = () =>
  new Option('--data-dir <dir>', "a server's data directory (DATA_DIR, embedded chain): its deployment.json, and for writes its operator-key (the key generated at its first start)");

export function registerDeploy(program: Command, _run: CliRun): void {
  program
    .command('deploy')
    .summary('deploy the contracts and write a deployment file')
    .description(
      'Deploys ParticipantRegistry, TraceLedger and RevocationRegistry with the key in --key-file, which gets every role (ANCHORER, REGISTRAR, REGULATOR), and writes their addresses to --out. The server reads that file from DATA_DIR/deployment.json.',
    )
    .addOption(rpcOption())
    .addOption(keyFileOption())
    .option('--out <file>', 'where to write the deployment', 'deployment.json')
    .option('--force', 'overwrite an existing deployment file')
    .action(async (opts: { rpc: string; keyFile: string; out: string; force?: boolean }) => {
      if (fs.existsSync(opts.out) && !opts.force) throw unusable(`${opts.out} exists; pass --force to deploy anew and replace it`);
      const { connect, signerFromKeyFile } = await import('../chain');
      const { deployContracts } = await import('../../chain/deploy');
      const { onChain } = await import('../../service/chain-errors');
      const { provider, chainId } = await connect(opts.rpc);
      try {
        const { signer, address } = signerFromKeyFile(opts.keyFile, provider);
        note(`deploying to chain ${chainId} as ${address}…`);
        const deployment = await onChain('deploying the contracts', () => deployContracts(signer));
        writeOutput(opts.out, JSON.stringify(deployment, null, 2) + '\n');
        say(`chain                ${deployment.chainId}`);
        say(`TraceLedger          ${deployment.traceLedger}`);
        say(`ParticipantRegistry  ${deployment.participantRegistry}`);
        say(`RevocationRegistry   ${deployment.revocationRegistry}`);
        say(`operator             ${deployment.operator}`);
        say(`wrote ${opts.out}`);
      } finally {
        provider.destroy();
      }
    });
}

export function registerParticipants(program: Command, _run: CliRun): void {
  const participants = program
    .command('participants')
    .summary('register labs, producers and departments on chain; manage their signing keys')
    .description(
      'Writes to ParticipantRegistry with the registrar key in --key-file (the deployer has the REGISTRAR role), reading the registry state from the chain itself. Participants are named by their on-chain id (0x + 64 hex digits) or as KIND:CODE, e.g. lab:202727050123 or producer:91610924MA6YAB3K2L.',
    );

  const add = participants.command('add').summary('register a participant (lab, producer or department)').description('Registers a participant, with optional signing keys.');

  withChain(add.command('lab'), true)
    .summary('register an accredited lab (CMA number) with its signing keys')
    .requiredOption('--name <name>', 'the lab, e.g. 安康市富硒产品质量检验检测中心')
    .requiredOption('--cma <number>', 'CMA certificate number, 12 digits')
    .option('--accredited-from <date>', 'start of the accreditation on this system (default: now; at most an hour in the past, so it cannot vouch for reports dated before its registration)')
    .requiredOption('--accredited-until <date>', 'end of the CMA accreditation (YYYY-MM-DD; CMA certificates last 6 years)')
    .option('--key <address...>', 'signing key address(es) the lab signs reports with')
    .option('--key-from <date>', 'keys valid from (default: now)')
    .option('--key-until <date>', 'keys valid until (default: the end of accreditation)')
    .action(async (opts: ChainOpts & { name: string; cma: string; accreditedFrom?: string; accreditedUntil: string; key?: string[]; keyFrom?: string; keyUntil?: string }) => {
      const { CMA_PATTERN } = await import('../../records');
      if (!CMA_PATTERN.test(opts.cma)) throw unusable(`--cma ${opts.cma}: a CMA certificate number is 12 digits`);
      const accreditedFrom = opts.accreditedFrom ? parseWhen(opts.accreditedFrom, '--accredited-from') : nowSeconds();
      const accreditedUntil = parseWhen(opts.accreditedUntil, '--accredited-until');
      await register(opts, { kind: 'lab', name: opts.name, cmaNumber: opts.cma, accreditedFrom, accreditedUntil, keys: keysOf(opts, accreditedUntil) });
    });

  for (const kind of ['producer', 'department'] as const) {
    withChain(add.command(kind), true)
      .summary(kind === 'producer' ? 'register a producer (unified social credit code)' : 'register a government department (unified social credit code)')
      .requiredOption('--name <name>', kind === 'producer' ? 'the producer, e.g. 紫阳县富硒茶业有限公司' : 'the department, e.g. 安康市农业农村局')
      .requiredOption('--uscc <code>', 'unified social credit code, 18 characters')
      .option('--key <address...>', 'signing key address(es)')
      .option('--key-from <date>', 'keys valid from (default: now)')
      .option('--key-until <date>', 'keys valid until (default: in 5 years)')
      .action(async (opts: ChainOpts & { name: string; uscc: string; key?: string[]; keyFrom?: string; keyUntil?: string }) => {
        const { usccProblem } = await import('../../records');
        const problem = usccProblem(opts.uscc);
        if (problem !== null) throw unusable(`--uscc ${opts.uscc}: the unified social credit code ${problem}`);
        await register(opts, { kind, name: opts.name, uscc: opts.uscc, keys: keysOf(opts, undefined) });
      });
  }

  withChain(participants.command('add-key'), true)
    .summary("add a signing key to a participant")
    .argument('<participant>', 'participant id, or KIND:CODE (lab:202727050123)')
    .argument('<address>', 'the key address')
    .option('--from <date>', 'valid from (default: now)')
    .option('--until <date>', 'valid until (default: in 5 years)')
    .action(async (ref: string, address: string, opts: ChainOpts & { from?: string; until?: string }) => {
      const { addParticipantKey } = await import('../../service/participants');
      const now = nowSeconds();
      const key = { address: checkAddress(address), validFrom: opts.from ? parseWhen(opts.from, '--from') : now, validTo: opts.until ? parseWhen(opts.until, '--until') : now + 5 * YEAR };
      await withRegistrar(opts, async (reg) => {
        const view = await addParticipantKey(reg, await participantRef(ref), key);
        say(`added ${view.address}, valid ${view.validFrom} to ${view.validTo}`);
      });
    });

  withChain(participants.command('revoke-key'), true)
    .summary('revoke a signing key from now on')
    .argument('<address>', 'the key address')
    .action(async (address: string, opts: ChainOpts) => {
      const { revokeParticipantKey } = await import('../../service/participants');
      await withRegistrar(opts, async (reg) => {
        const keys = await reg.store.keysOf(checkAddress(address));
        const key = keys[0];
        if (!key) throw new CliError(`${address} is not a registered signing key`, EXIT.REFUSED);
        const view = await revokeParticipantKey(reg, key.participantId, key.address);
        say(`revoked ${view.address} at ${view.revokedAt ?? '?'}`);
      });
    });

  withChain(participants.command('add-product-key'), true)
    .summary("assign a producer a GS1 company prefix or a GTIN (its batches may use only GTINs its keys cover)")
    .argument('<producer>', 'producer id, or producer:USCC')
    .option('--prefix <digits>', 'a GS1 company prefix, 6 to 12 digits in GTIN-13 form (without the GTIN-14 indicator digit), e.g. 6901234')
    .option('--gtin <gtin>', 'one GTIN-8/12/13/14 with its check digit (stored as its GTIN-14)')
    .action(async (ref: string, opts: ChainOpts & { prefix?: string; gtin?: string }) => {
      const { assignProductKey } = await import('../../service/participants');
      const key = await productKeyOf(opts);
      await withRegistrar(opts, async (reg) => {
        const view = await assignProductKey(reg, await participantRef(ref), key);
        say(`assigned ${view.kind} ${view.key} to ${view.producerId}`);
      });
    });

  withChain(participants.command('spot-check'), true)
    .summary('designate a lab for official spot checks (监督抽检), or end its designation (needs REGULATOR_ROLE)')
    .argument('<lab>', 'lab id, or lab:CMA (lab:202727050123)')
    .option('--from <date>', 'designated from (default: now)')
    .option('--until <date>', 'designated until (default: in 1 year)')
    .option('--end', 'end the designation now instead')
    .action(async (ref: string, opts: ChainOpts & { from?: string; until?: string; end?: boolean }) => {
      const { designateSpotCheckLab, endSpotCheckDesignation } = await import('../../service/participants');
      const now = nowSeconds();
      await withRegistrar(opts, async (reg) => {
        const id = await participantRef(ref);
        const view = opts.end
          ? await endSpotCheckDesignation(reg, id)
          : await designateSpotCheckLab(reg, id, { from: opts.from ? parseWhen(opts.from, '--from') : now, until: opts.until ? parseWhen(opts.until, '--until') : now + YEAR });
        say(`${view.name}: spot checks ${view.spotCheck?.from ?? '?'} to ${view.spotCheck?.until ?? '?'}`);
      });
    });

  withChain(participants.command('list'), false)
    .summary('list the registered participants and their keys')
    .addOption(new Option('--kind <kind>', 'only this kind').choices(['lab', 'producer', 'department']))
    .option('--json', 'print JSON')
    .action(async (opts: Omit<ChainOpts, 'keyFile'> & { kind?: ParticipantKind; json?: boolean }) => {
      const { describeParticipant, listParticipants } = await import('../../service/participants');
      await withRegistrar(opts, async (reg) => {
        // A producer's product keys (GS1 company prefixes and GTIN-14s) are listed with it, in text and JSON alike.
        const list = await Promise.all(
          (await listParticipants(reg.store, opts.kind)).map(async (p) => ({
            ...(await describeParticipant(reg.store, p.id)),
            ...(p.kind === 'producer' ? { productKeys: await reg.store.productKeysOf(p.id) } : {}),
          })),
        );
        if (opts.json) return say(JSON.stringify(list, null, 2));
        if (list.length === 0) return say('no participants registered');
        for (const p of list) {
          say(`${p.kind.padEnd(10)} ${p.active ? 'active ' : 'REVOKED'} ${p.code}  ${p.name}`);
          say(`           id ${p.id}`);
          if (p.kind === 'lab') say(`           accredited ${p.accreditedFrom ?? '?'} to ${p.accreditedUntil ?? '?'}`);
          if (p.spotCheck) say(`           spot checks ${p.spotCheck.from ?? '?'} to ${p.spotCheck.until ?? '?'}`);
          for (const k of p.keys) say(`           key ${k.address} ${k.validFrom} to ${k.validTo}${k.revokedAt ? `, revoked ${k.revokedAt}` : ''}`);
          for (const key of p.productKeys ?? []) say(`           product key ${key}`);
        }
      });
    });
}

/** Adds the chain options (--rpc, --deployment, and --key-file when the command writes). */
function withChain(cmd: Command, writes: boolean): Command {
  cmd.addOption(rpcOption()).addOption(deploymentOption()).addOption(dataDirOption());
  if (writes) cmd.addOption(new Option('--key-file <file>', "file holding the registrar's private key (the deployer's, unless granted; default with --data-dir: DIR/operator-key)"));
  // --data-dir names the deployment file and the operator's key of an embedded installation.
  cmd.hook('preAction', (_program, action) => {
    const o = action.opts<{ dataDir?: string; deployment?: string; keyFile?: string }>();
    if (o.deployment === undefined) action.setOptionValue('deployment', o.dataDir ? path.join(o.dataDir, 'deployment.json') : 'deployment.json');
    if (!writes || o.keyFile !== undefined) return;
    if (!o.dataDir) throw unusable("give the registrar's key: --key-file FILE, or --data-dir DIR (the server's DATA_DIR, whose operator-key is used)");
    action.setOptionValue('keyFile', path.join(o.dataDir, 'operator-key'));
  });
  return cmd;
}

async function withRegistrar(opts: { rpc: string; deployment: string; keyFile?: string }, fn: (reg: CliRegistrar) => Promise<void>): Promise<void> {
  const { openRegistrar } = await import('../chain');
  const reg = await openRegistrar(opts);
  try {
    await fn(reg);
  } finally {
    await reg.close();
  }
}

async function register(opts: ChainOpts, input: NewParticipant): Promise<void> {
  const { registerParticipant } = await import('../../service/participants');
  if (input.name.trim() === '' || input.name.trim() !== input.name) throw unusable('--name must not be empty nor start or end with spaces');
  await withRegistrar(opts, async (reg) => {
    const p = await registerParticipant(reg, input);
    say(`registered ${p.kind} ${p.name} (${p.code})`);
    say(`id ${p.id}`);
    for (const k of p.keys) say(`key ${k.address} valid ${k.validFrom} to ${k.validTo}`);
  });
}

function keysOf(opts: { key?: string[]; keyFrom?: string; keyUntil?: string }, defaultUntil: number | undefined) {
  const now = nowSeconds();
  const validFrom = opts.keyFrom ? parseWhen(opts.keyFrom, '--key-from') : now;
  const validTo = opts.keyUntil ? parseWhen(opts.keyUntil, '--key-until') : (defaultUntil ?? now + 5 * YEAR);
  return (opts.key ?? []).map((address) => ({ address: checkAddress(address), validFrom, validTo }));
}

/** `address` checksummed; ethers is loaded only here, not by every run of the CLI. */
function checkAddress(address: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { checksumAddress, isAddress } = require('../../chain/keys') as typeof ChainKeys;
  if (!isAddress(address)) throw unusable(`${address} is not an address (0x + 40 hex digits)`);
  return checksumAddress(address);
}

/** The product key of `--prefix` (6-12 digits) or `--gtin` (a valid GTIN, as its GTIN-14): exactly one of them. */
async function productKeyOf(opts: { prefix?: string; gtin?: string }): Promise<string> {
  if ((opts.prefix === undefined) === (opts.gtin === undefined)) throw unusable('give either --prefix or --gtin');
  if (opts.prefix !== undefined) {
    if (!/^\d{6,12}$/.test(opts.prefix)) throw unusable(`--prefix ${opts.prefix}: a GS1 company prefix is 6 to 12 digits (GTIN-13 form)`);
    return opts.prefix;
  }
  const { gtinProblem, toGtin14 } = await import('../../records/identifiers');
  const problem = gtinProblem(opts.gtin!);
  if (problem !== null) throw unusable(`--gtin ${opts.gtin!}: GTIN ${problem}`);
  return toGtin14(opts.gtin!);
}

/** A participant id from `0x…` or `KIND:CODE`. */
async function participantRef(ref: string): Promise<string> {
  if (/^0x[0-9a-fA-F]{64}$/.test(ref)) return ref.toLowerCase();
  const m = /^(lab|producer|department):(.+)$/.exec(ref);
  if (!m) throw unusable(`${ref} is neither a participant id (0x + 64 hex digits) nor KIND:CODE (e.g. lab:202727050123)`);
  const { participantIdFor } = await import('../../chain/registry');
  return participantIdFor(m[1] as ParticipantKind, m[2]!);
}

/**
 * `traceledger chain redeploy --data-dir DIR`: new contracts for a data directory whose chain lost them, with the
 * same configuration as `npm start` (DATA_DIR, RPC_URL or the embedded node, SIGNER_KEY / SIGNER_KEY_FILE), while
 * the server is stopped (it takes the data directory's lock). The participants are carried over from the database.
 */
export function registerChain(program: Command, _run: CliRun): void {
  const chain = program
    .command('chain')
    .summary("the operator's chain maintenance for a data directory (the server stopped)")
    .description('Maintenance of the contracts a data directory uses, with the same configuration as npm start (environment: RPC_URL or the embedded node, SIGNER_KEY or SIGNER_KEY_FILE). Run it while the server is stopped.');
  chain
    .command('redeploy')
    .summary('deploy new contracts after the chain lost them, and carry the participants over from the database')
    .description(
      'When npm start refuses because the contracts of DATA_DIR/deployment.json are gone (a reset chain, a lost state file): deploys new contracts, re-registers from the database every participant (labs with their accreditation, producers with their product keys, departments), their signing keys, open spot-check designations, participant revocations and the regulator\'s record revocations; keeps the old deployment file as deployment.<deployedAt>.json and writes the new one; every anchored checkpoint is anchored again on the new contract at the next start. Prints what it carried over and what it could not (e.g. a lab\'s own record revocations; windows that start more than an hour back are moved to now, so records issued before no longer verify). Proof bundles issued before name the old contracts.',
    )
    .requiredOption('--data-dir <dir>', 'the data directory (DATA_DIR) of the server')
    .action(async (opts: { dataDir: string }) => {
      const { loadConfig } = await import('../../config');
      const { bootSystem } = await import('../../system');
      const { redeployContracts } = await import('../../service/redeploy');
      const pino = (await import('pino')).default;
      if (!fs.existsSync(opts.dataDir)) throw unusable(`--data-dir ${opts.dataDir} does not exist`);
      const config = loadConfig({ ...process.env, DATA_DIR: opts.dataDir, INGEST_THREADS: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
      let report: Awaited<ReturnType<typeof redeployContracts>> | undefined;
      const sys = await bootSystem(config, {
        logger: pino({ level: config.LOG_LEVEL }, process.stderr),
        manualWorker: true,
        mirrorIntervalMs: 0,
        redeploy: async (ctx) => {
          report = await redeployContracts(ctx);
          return report.deployment;
        },
      });
      try {
        const r = report!;
        const c = r.carried;
        say(`redeployed on chain ${r.deployment.chainId}: TraceLedger ${r.deployment.traceLedger} (was ${r.previous.traceLedger}, deployed ${r.previous.deployedAt})`);
        if (r.archivedAs) say(`kept the old deployment file as ${r.archivedAs}`);
        say(`carried over: ${c.labs} lab(s), ${c.producers} producer(s), ${c.departments} department(s), ${c.keys} signing key(s), ${c.productKeys} product key(s), ${c.spotChecks} spot-check designation(s), ${c.participantsRevoked} participant revocation(s), ${c.recordRevocations} regulator record revocation(s)`);
        say(`${c.checkpointsToReanchor} checkpoint(s) will be anchored again on the new contract at the next start`);
        for (const line of r.moved) say(`moved: ${line}`);
        for (const line of r.notCarried) say(`not carried over: ${line}`);
        say('start the server again: npm start');
      } finally {
        await sys.stop();
      }
    });
}
