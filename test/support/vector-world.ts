/**
 * The chain the bundle vectors (test/vectors/bundles/) were made against, as data (`world.json`), and its
 * replay on a fresh anvil node: the same operator key and nonces give the same contract addresses, the
 * same participants, keys and product keys are registered, the same labs designated for spot checks, the same
 * checkpoints anchored and the same records revoked. The batch vectors (test/vectors/batches/) use the same world.
 * The genesis block has a fixed timestamp, so key windows and block times do not depend on today's date.
 */
import { JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import { startAnvil, type AnvilNode } from '../../server/chain/anvil';
import { deployContracts, type Deployment } from '../../server/chain/deploy';
import { participantIdFor, Registries } from '../../server/chain/registry';
import { TraceLedger__factory, RevocationRegistry__factory } from '../../typechain-types';
import type { ParticipantKind } from '../../server/records';

export interface WorldKey {
  /** A test-only key, derived from a public label: never use it for anything real. */
  privateKey: string;
  validFrom: number;
  validTo: number;
}

export interface WorldParticipant {
  kind: ParticipantKind;
  code: string;
  name: string;
  accreditedFrom?: number;
  accreditedUntil?: number;
  keys: WorldKey[];
  /** A producer's product keys (GS1 company prefixes or GTIN-14s), assigned right after its registration. */
  productKeys?: string[];
}

export interface World {
  format: 'traceledger-vector-world-v1';
  desc: string;
  chainId: number;
  genesisTimestamp: number;
  /** The operator (deployer, anchorer, registrar, regulator): anvil's first dev key. */
  operatorKey: string;
  participants: WorldParticipant[];
  /**
   * The regulator's spot-check designations (ParticipantRegistry.designateSpotCheckLab), by lab CMA number, made
   * right after the participants. A window cannot start more than an hour before its block: use the genesis time.
   */
  spotChecks?: { labCode: string; from: number; until: number }[];
  /** Checkpoints in order; after a log's first, each carries the RFC 9162 consistency proof from the previous one. */
  anchors: { chainLogId: string; size: number; root: string; consistencyProof?: string[] }[];
  /**
   * Revocations in order; `byKey` null = the operator as regulator, else a participant's signing key (a lab's:
   * recorded under that lab, which counts only when it issued the record).
   */
  revocations: { leafHash: string; reasonCode: number; byKey: string | null }[];
}

export interface ReplayedWorld {
  node: AnvilNode;
  rpcUrl: string;
  deployment: Deployment;
  provider: JsonRpcProvider;
  stop(): Promise<void>;
}

/** Starts anvil at the world's genesis time and replays the world onto it. */
export async function replayWorld(world: World): Promise<ReplayedWorld> {
  const node = await startAnvil({ port: 0, chainId: world.chainId, genesisTimestamp: world.genesisTimestamp });
  const provider = new JsonRpcProvider(node.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  try {
    const operator = new NonceManager(new Wallet(world.operatorKey, provider));
    const deployment = await deployContracts(operator);
    const registries = new Registries(deployment, operator);
    for (const p of world.participants) {
      const id = participantIdFor(p.kind, p.code);
      if (p.kind === 'lab') await registries.registerLab({ name: p.name, cmaNumber: p.code, accreditedFrom: p.accreditedFrom ?? 0, accreditedUntil: p.accreditedUntil ?? 0 });
      else if (p.kind === 'producer') await registries.registerProducer(p.name, p.code);
      else await registries.registerDepartment(p.name, p.code);
      for (const k of p.keys) await registries.addKey(id, new Wallet(k.privateKey).address, k.validFrom, k.validTo);
      for (const key of p.productKeys ?? []) await registries.assignProductKey(id, key);
    }
    for (const d of world.spotChecks ?? []) await registries.designateSpotCheckLab(participantIdFor('lab', d.labCode), d.from, d.until);
    const ledger = TraceLedger__factory.connect(deployment.traceLedger, operator);
    for (const a of world.anchors) await (await ledger.anchor(a.chainLogId, a.size, a.root, a.consistencyProof ?? [])).wait();
    for (const r of world.revocations) {
      if (r.byKey === null) {
        await registries.revokeRecord(r.leafHash, r.reasonCode);
      } else {
        const lab = new Wallet(r.byKey, provider);
        await provider.send('anvil_setBalance', [lab.address, '0x56BC75E2D63100000']);
        await (await RevocationRegistry__factory.connect(deployment.revocationRegistry, lab).revoke(r.leafHash, r.reasonCode)).wait();
      }
    }
    return {
      node,
      rpcUrl: node.rpcUrl,
      deployment,
      provider,
      async stop() {
        provider.destroy();
        await node.kill();
      },
    };
  } catch (e) {
    provider.destroy();
    await node.kill();
    throw e;
  }
}
