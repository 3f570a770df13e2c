/** The TraceLedger contract over ethers v6: the anchoring worker's AnchorChain, and the reads verifiers need. */
import { type ContractRunner, type Provider, type Signer } from 'ethers';
import { blockTimeSeconds } from '../verification/chain';
import type { AnchorChain, ChainCheckpoint, MinedAnchor, TxOutcome } from './types';
import { TraceLedger__factory } from '../../typechain-types';
import type { TraceLedger } from '../../typechain-types';

export class TraceLedgerChain implements AnchorChain {
  readonly contract: string;
  private readonly ledger: TraceLedger;
  private readonly blockTimes = new Map<number, number>();

  constructor(
    readonly chainId: number,
    address: string,
    private readonly provider: Provider,
    private readonly runner: ContractRunner = provider,
  ) {
    this.contract = address;
    this.ledger = TraceLedger__factory.connect(address, runner);
  }

  /** Same contract, read-only or with another signer. */
  with(runner: Signer): TraceLedgerChain {
    return new TraceLedgerChain(this.chainId, this.contract, this.provider, runner);
  }

  get raw(): TraceLedger {
    return this.ledger;
  }

  async latest(logId: string): Promise<ChainCheckpoint> {
    const [size, root, anchoredAt] = await this.ledger.latest(logId);
    return { size: Number(size), root, anchoredAt: Number(anchoredAt) };
  }

  async rootAt(logId: string, size: number): Promise<string | null> {
    const root = await this.ledger.rootAt(logId, size);
    return /^0x0{64}$/.test(root) ? null : root;
  }

  async verifyInclusion(logId: string, size: number, index: number, leafHash: string, proof: readonly string[]): Promise<boolean> {
    return this.ledger.verifyInclusion(logId, size, index, leafHash, [...proof]);
  }

  async sendAnchor(logId: string, size: number, root: string, proof: readonly string[]): Promise<{ txHash: string }> {
    const tx = await this.ledger.anchor(logId, size, root, [...proof]);
    return { txHash: tx.hash };
  }

  async resyncNonce(): Promise<{ address: string; pendingNonce: number }> {
    const signer = this.runner as Partial<Signer> & { reset?: () => void };
    if (typeof signer.getAddress !== 'function') throw new Error('TraceLedgerChain: no signer to resync');
    // A NonceManager counts nonces locally (and keeps a failed nonce read); reset() makes its next send read 'pending'.
    if (typeof signer.reset === 'function') signer.reset();
    const address = await signer.getAddress();
    return { address, pendingNonce: await this.provider.getTransactionCount(address, 'pending') };
  }

  async txOutcome(txHash: string): Promise<TxOutcome> {
    // The receipt and the head block asked together (the provider sends them in one request: under load each request
    // waits its turn on the event loop). Right after a send the transaction's block is the head, whose time is then known
    // too; the head's number gives the confirmations as receipt.confirmations() would.
    const [receipt, head] = await Promise.all([this.provider.getTransactionReceipt(txHash), this.provider.getBlock('latest')]);
    if (!receipt) {
      const tx = await this.provider.getTransaction(txHash);
      return tx ? { status: 'waiting' } : { status: 'unknown' };
    }
    if (receipt.status !== 1) return { status: 'reverted', txHash, blockNumber: receipt.blockNumber };
    if (head && head.number >= receipt.blockNumber) {
      if (head.number === receipt.blockNumber) this.blockTimes.set(head.number, blockTimeSeconds(head.timestamp));
      const blockTime = await this.blockTime(receipt.blockNumber);
      return { status: 'mined', txHash, blockNumber: receipt.blockNumber, blockTime, confirmations: head.number - receipt.blockNumber + 1 };
    }
    // A head older than the receipt (a node that answered the two from different moments): asked again, together.
    const [confirmations, blockTime] = await Promise.all([receipt.confirmations(), this.blockTime(receipt.blockNumber)]);
    return { status: 'mined', txHash, blockNumber: receipt.blockNumber, blockTime, confirmations };
  }

  async findAnchor(logId: string, size: number): Promise<MinedAnchor | null> {
    const events = await this.ledger.queryFilter(this.ledger.filters.CheckpointAnchored(logId), 0, 'latest');
    const ev = events.find((e) => Number(e.args.size) === size);
    if (!ev) return null;
    return { txHash: ev.transactionHash, blockNumber: ev.blockNumber, blockTime: await this.blockTime(ev.blockNumber) };
  }

  /** The time of block `blockNumber` in seconds (a chain counting milliseconds, FISCO BCOS, is read in seconds). */
  private async blockTime(blockNumber: number): Promise<number> {
    const cached = this.blockTimes.get(blockNumber);
    if (cached !== undefined) return cached;
    const block = await this.provider.getBlock(blockNumber);
    const t = blockTimeSeconds(block?.timestamp ?? 0);
    this.blockTimes.set(blockNumber, t);
    return t;
  }
}

