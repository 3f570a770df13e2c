/** Deploys the three contracts once per chain and remembers their addresses in a deployment file. */
import fs from 'node:fs';
import path from 'node:path';
import { ZeroHash, type Provider, type Signer } from 'ethers';
import { z } from 'zod';
import { blockTimeSeconds } from '../verification/chain';
import { ParticipantRegistry__factory, RevocationRegistry__factory, TraceLedger__factory } from '../../typechain-types';

export const DeploymentSchema = z.object({
  format: z.literal('traceledger-deployment-v1'),
  chainId: z.number().int().positive(),
  traceLedger: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  participantRegistry: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  revocationRegistry: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  deployedBlock: z.number().int().nonnegative(),
  /** When this deployment was made: distinguishes redeployments at the same addresses on a reset chain. */
  deployedAt: z.string(),
  operator: z.string(),
});
export type Deployment = z.infer<typeof DeploymentSchema>;

/** Deploys ParticipantRegistry, TraceLedger and RevocationRegistry; the operator gets every role. */
export async function deployContracts(operator: Signer): Promise<Deployment> {
  const admin = await operator.getAddress();
  const provider = operator.provider;
  if (!provider) throw new Error('the operator signer has no provider');
  const { chainId } = await provider.getNetwork();

  // The registries first: TraceLedger names them, fixed, so verifiers need only its address (the trust root).
  const registry = await new ParticipantRegistry__factory(operator).deploy(admin);
  await registry.waitForDeployment();
  const revocations = await new RevocationRegistry__factory(operator).deploy(await registry.getAddress());
  await revocations.waitForDeployment();
  const ledger = await new TraceLedger__factory(operator).deploy(admin, await registry.getAddress(), await revocations.getAddress());
  const receipt = await (await ledger.waitForDeployment()).deploymentTransaction()?.wait();

  await (await ledger.grantRole(await ledger.ANCHORER_ROLE(), admin)).wait();
  await (await registry.grantRole(await registry.REGISTRAR_ROLE(), admin)).wait();
  await (await registry.grantRole(await registry.REGULATOR_ROLE(), admin)).wait();

  const deployTx = registry.deploymentTransaction();
  const first = deployTx ? await deployTx.wait() : receipt;
  return {
    format: 'traceledger-deployment-v1',
    chainId: Number(chainId),
    traceLedger: await ledger.getAddress(),
    participantRegistry: await registry.getAddress(),
    revocationRegistry: await revocations.getAddress(),
    deployedBlock: first?.blockNumber ?? 0,
    deployedAt: new Date().toISOString(),
    operator: admin,
  };
}

export function readDeployment(file: string): Deployment | undefined {
  if (!fs.existsSync(file)) return undefined;
  return DeploymentSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
}

export function writeDeployment(file: string, d: Deployment): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(d, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The command an operator runs to deploy new contracts for a data directory whose chain lost them. */
export const redeployCommand = (dataDir: string): string => `npx traceledger chain redeploy --data-dir ${dataDir}`;

/** The file `traceledger chain redeploy` keeps while it runs: a start finding it refuses (the redeploy did not finish). */
export const redeployMarkerPath = (deploymentFile: string): string => path.join(path.dirname(deploymentFile), 'deployment.redeploying');

/** Where a replaced deployment file is kept: deployment.<deployedAt>.json beside it (colons made dashes). */
export const archivedDeploymentPath = (deploymentFile: string, d: Deployment): string =>
  path.join(path.dirname(deploymentFile), `deployment.${d.deployedAt.replace(/:/g, '-')}.json`);

/** The chain's latest block: number and time (seconds, also on a chain whose block headers count milliseconds). */
export async function chainHead(provider: Provider): Promise<{ number: number; timestamp: number }> {
  const block = await provider.getBlock('latest');
  if (!block) throw new Error('the chain node has no latest block');
  return { number: block.number, timestamp: blockTimeSeconds(block.timestamp) };
}

/** What the data directory's deployment file finds on the chain. */
export type DeploymentStatus =
  | { kind: 'none'; chainId: number }
  | { kind: 'present'; saved: Deployment; chainId: number }
  /** The saved contracts are not on this chain: their TraceLedger has no code, or the chain id changed. */
  | { kind: 'gone'; saved: Deployment; chainId: number; block: number; reason: 'no-code' | 'chain-id' }
  /** `traceledger chain redeploy` started and did not finish. */
  | { kind: 'interrupted'; saved: Deployment | undefined; chainId: number; startedAt: string; replaced: boolean };

export async function deploymentStatus(file: string, provider: Provider): Promise<DeploymentStatus> {
  const saved = readDeployment(file);
  const chainId = Number((await provider.getNetwork()).chainId);
  const marker = redeployMarkerPath(file);
  if (fs.existsSync(marker)) {
    let m: { startedAt?: string; replacing?: string } = {};
    try {
      m = JSON.parse(fs.readFileSync(marker, 'utf8')) as typeof m;
    } catch {
      // an empty or torn marker: the redeploy is to be run again from the start
    }
    // `replacing` names the deployment being replaced: a deployment file with another deployedAt was written already.
    return { kind: 'interrupted', saved, chainId, startedAt: m.startedAt ?? '?', replaced: saved !== undefined && m.replacing !== undefined && saved.deployedAt !== m.replacing };
  }
  if (!saved) return { kind: 'none', chainId };
  if (saved.chainId !== chainId) return { kind: 'gone', saved, chainId, block: (await chainHead(provider)).number, reason: 'chain-id' };
  if ((await provider.getCode(saved.traceLedger)) === '0x') return { kind: 'gone', saved, chainId, block: (await chainHead(provider)).number, reason: 'no-code' };
  return { kind: 'present', saved, chainId };
}

/**
 * Start-up found a saved deployment whose contracts this chain does not hold. Never redeployed silently: new
 * contracts would know none of the participants, keys, product keys or revocations, so genuine products would show
 * invalid. The operator chooses (the message names both ways).
 */
export class DeploymentGoneError extends Error {
  override readonly name = 'DeploymentGoneError';
}

/** The plain explanation of a `gone` or `interrupted` status, naming the operator's two choices and their commands. */
export function describeMissingDeployment(status: Extract<DeploymentStatus, { kind: 'gone' | 'interrupted' }>, file: string): string {
  const dataDir = path.dirname(file);
  if (status.kind === 'interrupted') {
    return [
      `a redeploy of the contracts (traceledger chain redeploy, started ${status.startedAt}) did not finish: ${redeployMarkerPath(file)} is still there.`,
      `Run it again to finish it: ${redeployCommand(dataDir)}`,
    ].join('\n');
  }
  const d = status.saved;
  const found =
    status.reason === 'chain-id'
      ? `${file} names contracts on chain ${d.chainId} (TraceLedger ${d.traceLedger}, deployed ${d.deployedAt} at block ${d.deployedBlock}), but the chain node is chain ${status.chainId} at block ${status.block}.`
      : `${file} names TraceLedger ${d.traceLedger} on chain ${d.chainId}, deployed ${d.deployedAt} at block ${d.deployedBlock}, but chain ${status.chainId} (now at block ${status.block}) has no contract at that address.`;
  return [
    `the contracts are gone: ${found}`,
    status.reason === 'chain-id'
      ? 'Likely cause: RPC_URL (or the embedded node) now points at another chain.'
      : "Likely cause: the chain was reset, or its state files (the embedded node's DATA_DIR/anvil-state.json and its .prev copy) were lost or replaced.",
    'Nothing was deployed. Choose one:',
    `  1. restore the chain's data (e.g. the state file ${path.join(dataDir, 'anvil-state.json')} from a backup, with the server stopped, or point RPC_URL at the right chain) and start again: npm start`,
    `  2. deploy new contracts and carry the participants over from the database (proof bundles issued before name the old contracts): ${redeployCommand(dataDir)}`,
  ].join('\n');
}

export interface EnsureDeploymentOptions {
  /** The durability barrier (the embedded node's ensureDurable): the file is written only once the deploy blocks are saved. */
  ensureDurable?: (blockNumber: number) => Promise<void>;
}

/**
 * The saved deployment if its contracts still exist on this chain. The first run (no deployment file) deploys and
 * saves it. A saved deployment whose contracts are gone (reset chain, lost state file, another chain id), or an
 * unfinished redeploy, is refused with DeploymentGoneError: never redeployed silently. A new deployment file is
 * written only once the deploy blocks are durable.
 */
export async function ensureDeployment(file: string, operator: Signer, opts: EnsureDeploymentOptions = {}): Promise<{ deployment: Deployment; fresh: boolean }> {
  const provider = operator.provider!;
  const status = await deploymentStatus(file, provider);
  if (status.kind === 'present') {
    await checkRegistriesNamed(status.saved, provider);
    return { deployment: status.saved, fresh: false };
  }
  if (status.kind !== 'none') throw new DeploymentGoneError(describeMissingDeployment(status, file));
  const deployment = await deployContracts(operator);
  // Every deploy transaction was awaited: the head covers them all.
  await opts.ensureDurable?.(await provider.getBlockNumber());
  writeDeployment(file, deployment);
  return { deployment, fresh: true };
}

/**
 * Refuses a saved deployment whose registries are not the ones its TraceLedger names: verifiers read them from
 * the TraceLedger (the trust root), so the server must use the same ones. A TraceLedger from before it named
 * its registries cannot be verified that way: start with a fresh data directory.
 */
export async function checkRegistriesNamed(d: Deployment, provider: Provider): Promise<void> {
  const ledger = TraceLedger__factory.connect(d.traceLedger, provider);
  let named: [string, string];
  try {
    named = await Promise.all([ledger.participantRegistry(), ledger.revocationRegistry()]);
  } catch (cause) {
    throw new Error(`TraceLedger ${d.traceLedger} does not name its registries (deployed by an older traceledger); verifiers could not trust it. Start with a fresh DATA_DIR, or redeploy.`, { cause });
  }
  if (named[0].toLowerCase() !== d.participantRegistry.toLowerCase() || named[1].toLowerCase() !== d.revocationRegistry.toLowerCase()) {
    throw new Error(`deployment.json names registries ${d.participantRegistry} and ${d.revocationRegistry}, but TraceLedger ${d.traceLedger} names ${named[0]} and ${named[1]}: the file was edited or belongs to another deployment.`);
  }
  // A ParticipantRegistry from before product keys and spot-check designations cannot tell who owns a GTIN.
  const registry = ParticipantRegistry__factory.connect(d.participantRegistry, provider);
  try {
    await Promise.all([registry.productKeyOwner('00000000000000'), registry.spotCheckWindow(ZeroHash)]);
  } catch (cause) {
    throw new Error(`ParticipantRegistry ${d.participantRegistry} has no product keys or spot-check designations (deployed by an older traceledger). Start with a fresh DATA_DIR, or redeploy.`, { cause });
  }
}
