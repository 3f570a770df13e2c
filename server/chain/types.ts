/** What the anchoring worker (server/anchoring/) needs from the chain, and what chain reads return; implemented over ethers in this folder. */

export interface ChainCheckpoint {
  size: number;
  /** 0x-prefixed bytes32. */
  root: string;
  anchoredAt: number;
}

export interface MinedAnchor {
  txHash: string;
  blockNumber: number;
  blockTime: number;
}

export type TxOutcome =
  | ({ status: 'mined'; confirmations: number } & MinedAnchor)
  | { status: 'reverted'; txHash: string; blockNumber: number }
  | { status: 'waiting' }
  | { status: 'unknown' };

export interface AnchorChain {
  readonly chainId: number;
  /** Address of the TraceLedger contract. */
  readonly contract: string;
  latest(logId: string): Promise<ChainCheckpoint>;
  /** The root anchored at exactly `size`, or null. */
  rootAt(logId: string, size: number): Promise<string | null>;
  /** Broadcasts TraceLedger.anchor and returns as soon as the node accepted the transaction. */
  sendAnchor(logId: string, size: number, root: string, proof: readonly string[]): Promise<{ txHash: string }>;
  /** Where a sent transaction stands now (does not block). */
  txOutcome(txHash: string): Promise<TxOutcome>;
  /**
   * Drops the sender's locally counted nonce so the next send re-reads its pending nonce from the chain
   * (after a failed send or a stuck transaction), and returns that nonce. The drop happens even when the
   * read fails. Optional: a chain whose signer counts no nonces needs none.
   */
  resyncNonce?(): Promise<{ address: string; pendingNonce: number }>;
  /** The CheckpointAnchored event for (logId, size), if any. */
  findAnchor(logId: string, size: number): Promise<MinedAnchor | null>;
}
