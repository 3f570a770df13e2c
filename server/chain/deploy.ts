/** Deploys the three contracts once per chain and remembers their addresses in a deployment file. */
import fs from 'node:fs';
import path from 'node:path';
import type { Signer } from 'ethers';
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

/**
 * The saved deployment if its contracts still exist on this chain; otherwise deploys anew
 * (first run, or a development chain that was reset) and saves it.
 */
export async function ensureDeployment(file: string, operator: Signer): Promise<{ deployment: Deployment; fresh: boolean }> {
  const saved = readDeployment(file);
  const provider = operator.provider!;
  const { chainId } = await provider.getNetwork();
  if (saved && saved.chainId === Number(chainId) && (await provider.getCode(saved.traceLedger)) !== '0x') {
    return { deployment: saved, fresh: false };
  }
  const deployment = await deployContracts(operator);
  writeDeployment(file, deployment);
  return { deployment, fresh: true };
}
