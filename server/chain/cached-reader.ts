/**
 * A ChainReader for the server's hot paths. Answers that can never change are cached for good:
 * an anchored root (the chain only grows), whether a key was valid at a past instant (revocations
 * carry block time and cannot be back-dated), roles, key owners and GTIN owners. Record revocations (one per
 * revoking party) are read from the store's mirror of the chain, which the participant mirror keeps current.
 */
import type { ChainCheckpoint } from './types';
import type { Store } from '../store/types';
import type { ParticipantKind } from '../store/types';
import { NOT_REVOKED, type OnChainParticipant } from '../verification/chain';
import type { ChainReader, OnChainRevocation } from './reader';

export class CachedChainReader implements ChainReader {
  private readonly roots = new Map<string, string>();
  private readonly signers = new Map<string, boolean>();
  private readonly owners = new Map<string, string | null>();
  private readonly anchorers = new Map<string, boolean>();
  private readonly productOwners = new Map<string, string>();
  private readonly participants = new Map<string, { participant: OnChainParticipant; at: number }>();
  private chain: number | undefined;

  constructor(
    private readonly inner: ChainReader,
    private readonly store: Store,
  ) {}

  async chainId(): Promise<number> {
    return (this.chain ??= await this.inner.chainId());
  }

  async rootAt(chainLogId: string, size: number): Promise<string | null> {
    const key = `${chainLogId}:${size}`;
    const hit = this.roots.get(key);
    if (hit !== undefined) return hit;
    const root = await this.inner.rootAt(chainLogId, size);
    if (root !== null) this.roots.set(key, root); // "not anchored yet" may change, so it is not cached
    return root;
  }

  /** Not cached (the head moves), but its root is remembered as the root at that size. */
  async latest(chainLogId: string): Promise<ChainCheckpoint> {
    const head = await this.inner.latest(chainLogId);
    if (head.size > 0) this.roots.set(`${chainLogId}:${head.size}`, head.root);
    return head;
  }

  async isValidSigner(address: string, role: ParticipantKind, at: number): Promise<boolean> {
    const key = `${address.toLowerCase()}:${role}:${at}`;
    const hit = this.signers.get(key);
    if (hit !== undefined) return hit;
    const ok = await this.inner.isValidSigner(address, role, at);
    // A key not yet valid at `at` stays so, and one revoked by now was revoked after `at` or not;
    // but a key registered later could make a "no" into a "yes" only for future instants.
    if (ok || at * 1000 < Date.now() - 60_000) this.signers.set(key, ok);
    return ok;
  }

  async isAnchorer(address: string): Promise<boolean> {
    const key = address.toLowerCase();
    const hit = this.anchorers.get(key);
    if (hit !== undefined) return hit;
    const ok = await this.inner.isAnchorer(address);
    this.anchorers.set(key, ok);
    return ok;
  }

  async participantOf(address: string): Promise<string | null> {
    const key = address.toLowerCase();
    if (this.owners.has(key)) return this.owners.get(key)!;
    const id = await this.inner.participantOf(address);
    if (id !== null) this.owners.set(key, id); // an address belongs to one participant, ever
    return id;
  }

  /** A participant's kind, name and code never change; its revocation and accreditation may, so entries expire. */
  async participant(id: string): Promise<OnChainParticipant | null> {
    const key = id.toLowerCase();
    const hit = this.participants.get(key);
    if (hit !== undefined && Date.now() - hit.at < 30_000) return hit.participant;
    const p = await this.inner.participant(id);
    if (p !== null) {
      if (this.participants.size > 10_000) this.participants.clear();
      this.participants.set(key, { participant: p, at: Date.now() });
    }
    return p;
  }

  /** A product key is never reassigned nor removed: an owner found is kept; "none" is not (a key may be assigned later). */
  async productKeyOwner(gtin14: string): Promise<string | null> {
    const hit = this.productOwners.get(gtin14);
    if (hit !== undefined) return hit;
    const id = await this.inner.productKeyOwner(gtin14);
    if (id !== null) {
      if (this.productOwners.size > 10_000) this.productOwners.clear();
      this.productOwners.set(gtin14, id);
    }
    return id;
  }

  /** From the store's mirror (one row per revoking party), not cached: a party may revoke at any time. */
  async revocationBy(leafHash: string, revokerId: string): Promise<OnChainRevocation> {
    const r = await this.store.getRevocation(leafHash, revokerId);
    return r ? { revoked: true, reasonCode: r.reasonCode, revokedAt: r.revokedAt, revokedBy: r.revokedBy } : { ...NOT_REVOKED };
  }

  /** Not cached: the regulator may designate a lab or end its designation at any time. */
  async spotCheckWindow(labId: string): Promise<{ from: number; until: number } | null> {
    return this.inner.spotCheckWindow(labId);
  }
}
