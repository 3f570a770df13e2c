/**
 * The operator's one nonce owner. Every chain write of the operator — anchors, registrations, revocations, from
 * any server instance — is sent through this signer, which takes a lock first (Store.withLock: within the
 * process for SQLite, across every instance for PostgreSQL), reads the account's pending nonce from the node,
 * signs and broadcasts, and only then lets the next sender in. So two instances never sign two transactions
 * with one nonce, and a transaction the node never took leaves no gap (the next sender reads the node's count).
 * Reads and signatures that are not transactions (receipts, audit reports) take no lock.
 */
import { AbstractSigner, type Provider, type TransactionRequest, type TransactionResponse, type TypedDataDomain, type TypedDataField, type Wallet } from 'ethers';

/** Runs `fn` holding the chain-write lock. */
export type ChainWriteLock = <T>(fn: () => Promise<T>) => Promise<T>;

/** Not given (ethers takes undefined and null alike). */
const absent = (v: unknown): v is null | undefined => v === undefined || v === null;

export class SerializedSigner extends AbstractSigner {
  /** Transactions sent through this signer (for tests and metrics). */
  sent = 0;

  constructor(
    readonly wallet: Wallet,
    private readonly lock: ChainWriteLock,
  ) {
    super(wallet.provider);
  }

  override getAddress(): Promise<string> {
    return Promise.resolve(this.wallet.address);
  }

  override connect(provider: Provider | null): SerializedSigner {
    return new SerializedSigner(this.wallet.connect(provider), this.lock);
  }

  override signTransaction(tx: TransactionRequest): Promise<string> {
    return this.wallet.signTransaction(tx);
  }

  override signMessage(message: string | Uint8Array): Promise<string> {
    return this.wallet.signMessage(message);
  }

  override signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    return this.wallet.signTypedData(domain, types, value);
  }

  /**
   * Holding the lock: the node's pending nonce, the gas estimate and the fee data (asked together, so the provider sends
   * them in one request, where ethers would ask for each in turn), then sign and broadcast. On a network without
   * EIP-1559 fees, ethers asks for the fee data again as it fills in the legacy gas price.
   */
  override sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    return this.lock(async () => {
      const needsFees = absent(tx.gasPrice) && (absent(tx.maxFeePerGas) || absent(tx.maxPriorityFeePerGas)) && (absent(tx.type) || tx.type === 2);
      const [nonce, gasLimit, fees] = await Promise.all([
        this.wallet.getNonce('pending'),
        tx.gasLimit ?? this.wallet.estimateGas(tx),
        needsFees && this.wallet.provider ? this.wallet.provider.getFeeData() : undefined,
      ]);
      const eip1559 =
        fees && !absent(fees.maxFeePerGas) && !absent(fees.maxPriorityFeePerGas)
          ? { maxFeePerGas: tx.maxFeePerGas ?? fees.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? fees.maxPriorityFeePerGas }
          : {};
      const response = await this.wallet.sendTransaction({ ...tx, nonce, gasLimit, ...eip1559 });
      this.sent++;
      return response;
    });
  }

  /**
   * Nothing is counted locally: each send reads the node's pending nonce. Kept for the callers that drop a
   * NonceManager's count after a failed send (server/chain/traceledger.ts, registry.ts, the worker).
   */
  reset(): void {}
}
