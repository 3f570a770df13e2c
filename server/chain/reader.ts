/** Read-only chain access for verifiers: anchored roots, signer roles and revocations, over any JSON-RPC endpoint. */
import { JsonRpcProvider, type Provider } from 'ethers';
import { RPC_BATCH_MAX_DEFAULT, RPC_BATCH_STALL_MS } from './provider';
import { ParticipantRegistry__factory, RevocationRegistry__factory, TraceLedger__factory } from '../../typechain-types';
import type { ChainCheckpoint } from './types';
import { participantKindOf, type ParticipantKind } from '../records/record-types';
import type { ChainReader as CoreChainReader, OnChainParticipant, OnChainRevocation } from '../verification/chain';
import './ethers-crypto';
import { kindCode } from './registry';

export interface ChainAddresses {
  chainId: number;
  traceLedger: string;
  participantRegistry: string;
  revocationRegistry: string;
}

export type { OnChainParticipant, OnChainRevocation } from '../verification/chain';

/** What the verifier asks the chain, and the log head the server's workers read. */
export interface ChainReader extends CoreChainReader {
  /** The log's latest anchored checkpoint (size 0 and a zero root when nothing is anchored yet). */
  latest(chainLogId: string): Promise<ChainCheckpoint>;
}

const ZERO32 = /^0x0{64}$/;

export class RpcChainReader implements ChainReader {
  private readonly ledger;
  private readonly registry;
  private readonly revocations;

  constructor(
    private readonly provider: Provider,
    addresses: ChainAddresses,
  ) {
    this.ledger = TraceLedger__factory.connect(addresses.traceLedger, provider);
    this.registry = ParticipantRegistry__factory.connect(addresses.participantRegistry, provider);
    this.revocations = RevocationRegistry__factory.connect(addresses.revocationRegistry, provider);
  }

  /** A reader over a JSON-RPC URL (the CLI's `--rpc`). */
  static fromUrl(url: string, addresses: ChainAddresses): RpcChainReader {
    return new RpcChainReader(new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: RPC_BATCH_MAX_DEFAULT, batchStallTime: RPC_BATCH_STALL_MS }), addresses);
  }

  /** A reader configured with the trust root only: the registries are the ones the TraceLedger at `traceLedger` names. */
  static async forTrustRoot(url: string, traceLedger: string): Promise<RpcChainReader> {
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: RPC_BATCH_MAX_DEFAULT, batchStallTime: RPC_BATCH_STALL_MS });
    try {
      const ledger = TraceLedger__factory.connect(traceLedger, provider);
      const [participantRegistry, revocationRegistry, network] = await Promise.all([ledger.participantRegistry(), ledger.revocationRegistry(), provider.getNetwork()]);
      return new RpcChainReader(provider, { chainId: Number(network.chainId), traceLedger, participantRegistry, revocationRegistry });
    } catch (e) {
      provider.destroy();
      throw e;
    }
  }

  async chainId(): Promise<number> {
    return Number((await this.provider.getNetwork()).chainId);
  }

  async rootAt(chainLogId: string, size: number): Promise<string | null> {
    const root = await this.ledger.rootAt(chainLogId, size);
    return ZERO32.test(root) ? null : root;
  }

  async latest(chainLogId: string): Promise<ChainCheckpoint> {
    const [size, root, anchoredAt] = await this.ledger.latest(chainLogId);
    return { size: Number(size), root, anchoredAt: Number(anchoredAt) };
  }

  async isValidSigner(address: string, role: ParticipantKind, at: number): Promise<boolean> {
    return this.registry.isValidSigner(address, kindCode(role), at);
  }

  async isAnchorer(address: string): Promise<boolean> {
    return this.ledger.hasRole(await this.ledger.ANCHORER_ROLE(), address);
  }

  async participantOf(address: string): Promise<string | null> {
    const id = await this.registry.participantOf(address);
    return ZERO32.test(id) ? null : id;
  }

  async participant(id: string): Promise<OnChainParticipant | null> {
    let p;
    try {
      p = await this.registry.getParticipant(id);
    } catch {
      return null; // an unregistered id reverts
    }
    const kind = participantKindOf(Number(p.kind));
    if (!kind || p.registeredAt === 0n) return null;
    return {
      id: id.toLowerCase(),
      kind,
      name: p.name,
      code: p.code,
      registeredAt: Number(p.registeredAt),
      revokedAt: Number(p.revokedAt),
      accreditedFrom: Number(p.accreditedFrom),
      accreditedUntil: Number(p.accreditedUntil),
    };
  }

  async productKeyOwner(gtin14: string): Promise<string | null> {
    const id = await this.registry.productKeyOwner(gtin14);
    return ZERO32.test(id) ? null : id.toLowerCase();
  }

  async revocationBy(leafHash: string, revokerId: string): Promise<OnChainRevocation> {
    const [revoked, reasonCode, revokedAt, revokedBy] = await this.revocations.revocationBy(leafHash, revokerId);
    return { revoked, reasonCode: Number(reasonCode), revokedAt: Number(revokedAt), revokedBy };
  }

  async spotCheckWindow(labId: string): Promise<{ from: number; until: number } | null> {
    const [from, until] = await this.registry.spotCheckWindow(labId);
    return until === 0n ? null : { from: Number(from), until: Number(until) };
  }

  destroy(): void {
    (this.provider as JsonRpcProvider).destroy?.();
  }
}
