/** Deploys the three contracts once per chain and remembers their addresses in a deployment file. */
import fs from 'node:fs';
import path from 'node:path';
import { ZeroHash, type Provider, type Signer } from 'ethers';
import { z } from 'zod';
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
  fs.writeFileSync(tmp, JSON.stringify(d, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export interface EnsureDeploymentOptions {
  /** The durability barrier (the embedded node's ensureDurable): the file is written only once the deploy blocks are saved. */
  ensureDurable?: (blockNumber: number) => Promise<void>;
}

/**
 * The saved deployment if its contracts still exist on this chain; otherwise deploys anew
 * (first run, or a development chain that was reset) and saves it, once its blocks are durable.
 */
export async function ensureDeployment(file: string, operator: Signer, opts: EnsureDeploymentOptions = {}): Promise<{ deployment: Deployment; fresh: boolean }> {
  const saved = readDeployment(file);
  const provider = operator.provider!;
  const { chainId } = await provider.getNetwork();
  if (saved && saved.chainId === Number(chainId) && (await provider.getCode(saved.traceLedger)) !== '0x') {
    await checkRegistriesNamed(saved, provider);
    return { deployment: saved, fresh: false };
  }
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
