/**
 * JSON-RPC access to the chain over ethers: a provider, and an account's signer whose nonces are
 * managed locally (so several transactions can be in flight).
 */
import { JsonRpcProvider, Network, NonceManager, Wallet } from 'ethers';

export type { JsonRpcProvider, NonceManager } from 'ethers';

export interface ProviderOptions {
  /** How often to poll for new blocks and transaction outcomes (ms). */
  pollingInterval: number;
  /** The chain id, when already known (e.g. probed): the network is then fixed and never detected. Otherwise it is detected once. */
  chainId?: number;
  /** Most requests in one JSON-RPC batch (default RPC_BATCH_MAX_DEFAULT: FISCO BCOS's gateway refuses longer batches). */
  batchMaxCount?: number;
}

/** Most requests per JSON-RPC batch unless configured (RPC_BATCH_MAX): FISCO BCOS refuses a batch of more than 8. */
export const RPC_BATCH_MAX_DEFAULT = 8;

/**
 * How long a request waits for others to share its JSON-RPC batch (ms). ethers waits 10 ms by default, which every
 * chain read then pays (an incremental audit's few reads, one after another, spent most of their time waiting); with
 * 0 the batch is what was asked for in the same turn of the event loop (a Promise.all of reads still goes as one).
 */
export const RPC_BATCH_STALL_MS = 0;

/** A provider for the JSON-RPC endpoint `url` that never caches answers. */
export function jsonRpcProvider(url: string, opts: ProviderOptions): JsonRpcProvider {
  const network = opts.chainId === undefined ? undefined : Network.from(opts.chainId);
  return new JsonRpcProvider(url, network, {
    staticNetwork: network ?? true,
    cacheTimeout: -1,
    pollingInterval: opts.pollingInterval,
    batchMaxCount: opts.batchMaxCount ?? RPC_BATCH_MAX_DEFAULT,
    batchStallTime: RPC_BATCH_STALL_MS,
  });
}

/** The account of `privateKey` on `provider`: its wallet, a signer over it with nonces managed locally, and its address. */
export function accountSigner(privateKey: string, provider: JsonRpcProvider): { wallet: Wallet; signer: NonceManager; address: string } {
  const wallet = new Wallet(privateKey, provider);
  return { wallet, signer: new NonceManager(wallet), address: wallet.address };
}
