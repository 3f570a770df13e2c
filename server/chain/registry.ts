/** Participants and revocations: writes to the registries, and a mirror of their on-chain state in the store. */
import { ZeroHash, keccak256, toUtf8Bytes, type ContractRunner, type ContractTransactionResponse, type Provider } from 'ethers';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { MirrorState, Participant, ParticipantKey, ParticipantKind, Revocation, Store } from '../store/types';
import {
  ParticipantRegistry__factory,
  RevocationRegistry__factory,
  type ParticipantRegistry,
  type RevocationRegistry,
} from '../../typechain-types';
import type { Deployment } from './deploy';

const KIND_CODES: Record<ParticipantKind, number> = { lab: 0, producer: 1, department: 2 };
const KIND_NAMES: ParticipantKind[] = ['lab', 'producer', 'department'];

export const kindCode = (k: ParticipantKind): number => KIND_CODES[k];

const REGISTRY_INTERFACES = [ParticipantRegistry__factory.createInterface(), RevocationRegistry__factory.createInterface()];

/**
 * The registries' custom error in revert data (`0x` + selector + arguments), when ethers did not decode it
 * itself (e.g. a revert while estimating gas on some nodes); null if it is none of theirs.
 */
export function decodeRegistryRevert(data: unknown): { name: string; args: readonly unknown[] } | null {
  if (typeof data !== 'string' || !/^0x[0-9a-fA-F]{8}/.test(data)) return null;
  for (const iface of REGISTRY_INTERFACES) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) return { name: parsed.name, args: [...parsed.args] };
    } catch {
      // not this interface's error (or malformed arguments)
    }
  }
  return null;
}

/** The on-chain id of a participant: keccak256("traceledger:{kind}:{code}"). */
export function participantIdFor(kind: ParticipantKind, code: string): string {
  return keccak256(toUtf8Bytes(`traceledger:${kind}:${code}`));
}

export interface NewLab {
  name: string;
  cmaNumber: string;
  accreditedFrom: number;
  accreditedUntil: number;
}

/** How long a registry write waits for its receipt before answering `unavailable` (ms). */
export const RECEIPT_TIMEOUT_MS = 60_000;

export interface RegistriesOptions {
  /**
   * The durability barrier: resolves once the block is saved (the embedded node's ensureDurable). Every
   * write awaits it for its receipt's block before returning, so nothing is acknowledged that a crash
   * could undo. None with an external chain (confirmations do that job).
   */
  ensureDurable?: (blockNumber: number, blockHash: string) => Promise<void>;
  /** Default RECEIPT_TIMEOUT_MS. */
  receiptTimeoutMs?: number;
}

/** The registry writes of the operator; each returns once its transaction is mined and durable. */
export class Registries {
  readonly participants: ParticipantRegistry;
  readonly revocations: RevocationRegistry;

  constructor(
    readonly deployment: Deployment,
    private readonly runner: ContractRunner,
    private readonly opts: RegistriesOptions = {},
  ) {
    this.participants = ParticipantRegistry__factory.connect(deployment.participantRegistry, runner);
    this.revocations = RevocationRegistry__factory.connect(deployment.revocationRegistry, runner);
  }

  /**
   * Sends a transaction and waits for its receipt (at most receiptTimeoutMs, then AppError `unavailable`)
   * and for its block to be durable. After a failed send or a timeout the operator's nonce is re-read by
   * the next send: a nonce counted for a transaction the node never took would leave a gap forever.
   */
  private async write(what: string, send: () => Promise<ContractTransactionResponse>): Promise<string> {
    let tx: ContractTransactionResponse;
    try {
      tx = await send();
    } catch (e) {
      this.resetNonce();
      throw e;
    }
    const timeoutMs = this.opts.receiptTimeoutMs ?? RECEIPT_TIMEOUT_MS;
    let receipt;
    try {
      receipt = await tx.wait(1, timeoutMs);
    } catch (e) {
      if ((e as { code?: string }).code === 'TIMEOUT') {
        this.resetNonce();
        throw new AppError('unavailable', `${what}: transaction ${tx.hash} was not mined within ${Math.round(timeoutMs / 1000)} s; retry`, { txHash: tx.hash }, { cause: e });
      }
      throw e;
    }
    if (!receipt) throw new AppError('unavailable', `${what}: transaction ${tx.hash} has no receipt; retry`, { txHash: tx.hash });
    await this.opts.ensureDurable?.(receipt.blockNumber, receipt.blockHash);
    return tx.hash;
  }

  private resetNonce(): void {
    const signer = this.runner as { reset?: () => void };
    if (typeof signer.reset === 'function') signer.reset();
  }

  async registerLab(lab: NewLab): Promise<string> {
    const id = participantIdFor('lab', lab.cmaNumber);
    await this.write('registerLab', () => this.participants.registerLab(id, lab.name, lab.cmaNumber, lab.accreditedFrom, lab.accreditedUntil));
    return id;
  }

  async registerProducer(name: string, creditCode: string): Promise<string> {
    const id = participantIdFor('producer', creditCode);
    await this.write('registerProducer', () => this.participants.registerProducer(id, name, creditCode));
    return id;
  }

  async registerDepartment(name: string, creditCode: string): Promise<string> {
    const id = participantIdFor('department', creditCode);
    await this.write('registerDepartment', () => this.participants.registerDepartment(id, name, creditCode));
    return id;
  }

  async addKey(participantId: string, signer: string, validFrom: number, validTo: number): Promise<void> {
    await this.write('addSigningKey', () => this.participants.addSigningKey(participantId, signer, validFrom, validTo));
  }

  /**
   * Assigns the producer a product key: a GS1 company prefix (6-12 digits, GTIN-13 form) or one GTIN-14. The
   * contract refuses a key that overlaps another assigned key (ParticipantRegistryProductKeyTaken / …Overlaps).
   */
  async assignProductKey(producerId: string, key: string): Promise<void> {
    await this.write('assignProductKey', () => this.participants.assignProductKey(producerId, key));
  }

  async revokeKey(signer: string): Promise<void> {
    await this.write('revokeSigningKey', () => this.participants.revokeSigningKey(signer));
  }

  /** The regulator designates the lab `labId` for official spot checks (监督抽检) over `[from, until]` (seconds). */
  async designateSpotCheckLab(labId: string, from: number, until: number): Promise<void> {
    await this.write('designateSpotCheckLab', () => this.participants.designateSpotCheckLab(labId, from, until));
  }

  /** The regulator ends the lab's spot-check designation now. */
  async endSpotCheckDesignation(labId: string): Promise<void> {
    await this.write('endSpotCheckDesignation', () => this.participants.endSpotCheckDesignation(labId));
  }

  async revokeParticipant(participantId: string): Promise<void> {
    await this.write('revokeParticipant', () => this.participants.revokeParticipant(participantId));
  }

  /**
   * Revokes a record by its leaf hash, for the caller's party (a regulator, or the lab of a valid lab key).
   * Only the issuing lab's and the regulator's revocations count with verifiers.
   */
  async revokeRecord(leafHash: string, reasonCode: number): Promise<string> {
    return this.write('revoke', () => this.revocations.revoke(leafHash, reasonCode));
  }

  /**
   * Relays a party's signed revocation (see ./revocation-signature.ts) with the operator's key: recorded for the
   * signer's party, with the signer as `revokedBy`. Check {@link supportsSignedRevocation} first.
   */
  async revokeRecordWithSignature(leafHash: string, reasonCode: number, deadline: number, signature: string): Promise<string> {
    return this.write('revokeWithSignature', () => this.revocations.revokeWithSignature(leafHash, reasonCode, deadline, signature));
  }

  private signedRevocations: boolean | undefined;

  /**
   * Whether the deployed RevocationRegistry has revokeWithSignature: contracts deployed before it was added do not
   * (their call to revocationDigest reverts without data). A yes is remembered; an unreachable node throws.
   */
  async supportsSignedRevocation(): Promise<boolean> {
    if (this.signedRevocations) return true;
    try {
      await this.revocations.revocationDigest(ZeroHash, 0, 0);
      this.signedRevocations = true;
    } catch (e) {
      const { code, data } = e as { code?: string; data?: unknown };
      if (code !== 'CALL_EXCEPTION' || (data !== undefined && data !== null && data !== '0x')) throw e;
      this.signedRevocations = false;
    }
    return this.signedRevocations;
  }
}

/** Where the mirror stands: the last block it mirrored, and that block's hash (null: saved by a version that kept only the number). */
interface MirrorPosition {
  block: number;
  hash: string | null;
}

/** Reads a saved position: `{"block":N,"hash":"0x…"}`, or a bare block number (the format before hashes were kept). */
function parsePosition(saved: string | undefined): MirrorPosition | undefined {
  if (saved === undefined) return undefined;
  if (/^\d+$/.test(saved)) return { block: Number(saved), hash: null };
  try {
    const v = JSON.parse(saved) as { block?: unknown; hash?: unknown };
    if (typeof v.block === 'number' && Number.isSafeInteger(v.block) && typeof v.hash === 'string') return { block: v.block, hash: v.hash };
  } catch {
    // unreadable: as if none was saved
  }
  return undefined;
}

/** How many view calls a sync has in flight at once. */
const READ_CONCURRENCY = 32;

/** Runs `fn` over `items`, READ_CONCURRENCY at a time. */
async function inChunks<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += READ_CONCURRENCY) await Promise.all(items.slice(i, i + READ_CONCURRENCY).map(fn));
}

/** What a range of registry events touched: the participants, keys, product keys and revocations to read. */
interface Touched {
  participants: Set<string>;
  keys: Set<string>;
  productKeys: { key: string; producerId: string }[];
  revocations: Map<string, { leafHash: string; revokerId: string; txHash: string }>;
}

/**
 * Copies the registries' state into the store by replaying their events since the last mirrored
 * block, re-reading each touched participant, key and revocation from the contracts' views.
 *
 * It keeps the number and hash of the last block it mirrored. When the chain lost that block (an
 * external chain's reorg deeper than the confirmations, an embedded node restarted from an older state
 * file, a node replaced), the next sync sees it (the block is missing, has another hash, or the head is
 * below it), logs a warning, and rebuilds the mirror from the deployment block: it reads the whole
 * state from the chain first, then replaces the mirrored rows in one store transaction, so ingest never
 * sees genuine participants, keys, product keys or revocations missing; rows the chain no longer has go.
 * Syncs run one at a time (a call while one runs waits for it).
 */
export class ParticipantMirror {
  private readonly reg: ParticipantRegistry;
  private readonly rev: RevocationRegistry;
  private readonly kvKey: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly deployment: Deployment,
    private readonly provider: Provider,
    private readonly logger?: Pick<Logger, 'warn' | 'info'>,
  ) {
    this.reg = ParticipantRegistry__factory.connect(deployment.participantRegistry, provider);
    this.rev = RevocationRegistry__factory.connect(deployment.revocationRegistry, provider);
    this.kvKey = `mirror:${deployment.chainId}:${deployment.participantRegistry.toLowerCase()}:${deployment.deployedAt}`;
  }

  /**
   * Mirrors everything up to the latest block; returns the block reached. Each call first checks that the
   * chain still has the block last mirrored (one block read) and rebuilds the mirror when it does not.
   */
  async sync(): Promise<number> {
    return this.serialized(() => this.syncOnce(false));
  }

  /**
   * Rebuilds the mirror from the deployment block whatever the saved position says, in one store
   * transaction; returns the block reached. For when the chain may have changed in a way the block hash
   * check cannot see, e.g. after the embedded node restarted from its state file (sync() alone also
   * finds a rollback, at its next call, whenever the mirrored block is gone or was re-mined).
   */
  async resync(): Promise<number> {
    return this.serialized(() => this.syncOnce(true));
  }

  /** One sync at a time: in this process (the queue), and across the instances sharing the database (its lock). */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const locked = () => this.store.withLock('participant-mirror', fn);
    const run = this.queue.then(locked, locked);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async syncOnce(force: boolean): Promise<number> {
    const head = await this.provider.getBlock('latest');
    if (!head?.hash) throw new Error('the chain node returned no latest block');
    const tip = { block: head.number, hash: head.hash };
    const saved = parsePosition(await this.store.getKv(this.kvKey));
    if (force) return this.rebuild(tip, saved, null);
    if (saved === undefined) return this.advance(this.deployment.deployedBlock, tip);

    const lost = await this.rollbackOf(saved, tip);
    if (lost !== null) return this.rebuild(tip, saved, lost);
    if (saved.block >= tip.block) {
      // Nothing new; a position saved without its hash gets one now (the block is the head: see rollbackOf).
      if (saved.hash === null) await this.store.setKv(this.kvKey, JSON.stringify(tip));
      return tip.block;
    }
    return this.advance(saved.block + 1, tip);
  }

  /** How the chain shows it lost the mirrored block, or null when it still has it. A position without a hash is trusted once. */
  private async rollbackOf(saved: MirrorPosition, tip: MirrorPosition): Promise<string | null> {
    if (saved.block > tip.block) return `the chain's head ${tip.block} is below the mirrored block ${saved.block}`;
    if (saved.hash === null) return null;
    const hash = saved.block === tip.block ? tip.hash : ((await this.provider.getBlock(saved.block))?.hash ?? null);
    if (hash === null) return `the chain has no block ${saved.block} any more`;
    if (hash.toLowerCase() !== saved.hash.toLowerCase()) return `block ${saved.block} has hash ${hash} on the chain, not the mirrored ${saved.hash}`;
    return null;
  }

  /** Mirrors the events of blocks [from, tip] on top of what the store holds. */
  private async advance(from: number, tip: MirrorPosition): Promise<number> {
    const state = await this.readState(await this.touched(from, tip.block), tip.block);
    await this.store.applyMirrorState(state, { replace: false, position: { key: this.kvKey, value: JSON.stringify(tip) } });
    return tip.block;
  }

  /**
   * Reads the whole state from the deployment block to `tip`, then replaces the mirror with it in one transaction.
   * `lost` says how a rollback was detected; null when the rebuild was requested (resync).
   */
  private async rebuild(tip: MirrorPosition, saved: MirrorPosition | undefined, lost: string | null): Promise<number> {
    const started = Date.now();
    if (lost !== null) {
      this.logger?.warn(
        { fromBlock: saved?.block, fromHash: saved?.hash, toBlock: tip.block, toHash: tip.hash, detectedBy: lost },
        'the chain lost blocks the participant mirror had read (rolled back or replaced); rebuilding the mirror from the deployment block',
      );
    }
    // A chain without our registry (reset, or another chain behind the URL) has no state to mirror: emptying the
    // mirror would refuse every genuine signer. Keep it and fail the sync; a restart redeploys (bootSystem).
    if ((await this.provider.getCode(this.deployment.participantRegistry, tip.block)) === '0x') {
      throw new Error(
        `the chain has no ParticipantRegistry at ${this.deployment.participantRegistry} (block ${tip.block}): it was reset or is another chain; ` +
          'the participant mirror is kept as it was (restart traceledger to deploy the contracts again)',
      );
    }
    const state = await this.readState(await this.touched(this.deployment.deployedBlock, tip.block), tip.block);
    const removed = await this.store.applyMirrorState(state, { replace: true, position: { key: this.kvKey, value: JSON.stringify(tip) } });
    const summary = {
      reason: lost ?? 'requested (resync)',
      fromBlock: this.deployment.deployedBlock,
      toBlock: tip.block,
      participants: state.participants.length,
      keys: state.keys.length,
      productKeys: state.productKeys.length,
      revocations: state.revocations.length,
      removed,
      ms: Date.now() - started,
    };
    const changed = Object.values(removed).some((n) => n > 0);
    if (lost !== null || changed) this.logger?.warn(summary, 'participant mirror rebuilt from the chain');
    else this.logger?.info(summary, 'participant mirror re-checked against the chain: nothing to remove');
    return tip.block;
  }

  /** The participants, keys, product keys and revocations the registries' events of blocks [from, to] touched. */
  private async touched(from: number, to: number): Promise<Touched> {
    const t: Touched = { participants: new Set(), keys: new Set(), productKeys: [], revocations: new Map() };
    if (from > to) return t;
    for (const ev of await this.reg.queryFilter('*' as never, from, to)) {
      if (!('args' in ev) || !ev.args) continue;
      const args = ev.args as unknown as { participantId?: string; labId?: string; signer?: string; producerId?: string; key?: string };
      if (args.participantId) t.participants.add(args.participantId);
      if (args.labId) t.participants.add(args.labId); // SpotCheckDesignated
      if (args.signer) t.keys.add(args.signer);
      // ProductKeyAssigned: keys are never reassigned nor removed, so the event is the whole state.
      if (args.producerId && typeof args.key === 'string') {
        t.participants.add(args.producerId);
        t.productKeys.push({ key: args.key, producerId: args.producerId });
      }
    }
    // One revocation per (record, revoking party): a lab's participant id, or zero for the regulator.
    for (const ev of await this.rev.queryFilter(this.rev.filters.RecordRevoked(), from, to)) {
      const { leafHash, revokerId } = ev.args;
      t.revocations.set(`${leafHash}:${revokerId}`.toLowerCase(), { leafHash, revokerId, txHash: ev.transactionHash });
    }
    return t;
  }

  /**
   * Reads what `t` touched from the contracts' views at block `blockTag`: each participant with all its keys, each
   * key with its participant. Reads go out READ_CONCURRENCY at a time (the provider batches them into few requests).
   */
  private async readState(t: Touched, blockTag: number): Promise<MirrorState> {
    const participants = new Map<string, Promise<Participant | undefined>>();
    const keys = new Map<string, Promise<ParticipantKey>>();
    // Reads started by other reads (a key's participant, a participant's keys), awaited at the end: never from
    // inside each other, which would wait in a circle.
    const started: Promise<unknown>[] = [];
    const readParticipant = (id: string): Promise<Participant | undefined> => {
      let read = participants.get(id);
      if (!read) {
        read = (async () => {
          const p = await this.participantAt(id, blockTag);
          if (p) for (const signer of await this.reg.signingKeysOf(id, { blockTag })) started.push(readKey(signer));
          return p;
        })();
        read.catch(() => undefined); // its failure surfaces where it is awaited, not as an unhandled rejection meanwhile
        participants.set(id, read);
      }
      return read;
    };
    const readKey = (signer: string): Promise<ParticipantKey> => {
      let read = keys.get(signer.toLowerCase());
      if (!read) {
        read = (async () => {
          const k = await this.reg.getSigningKey(signer, { blockTag });
          started.push(readParticipant(k.participantId));
          return { address: signer, participantId: k.participantId, validFrom: Number(k.validFrom), validTo: Number(k.validTo), revokedAt: Number(k.revokedAt) || null };
        })();
        read.catch(() => undefined);
        keys.set(signer.toLowerCase(), read);
      }
      return read;
    };
    await inChunks([...t.participants], readParticipant);
    await inChunks([...t.keys], readKey);
    while (started.length > 0) await inChunks(started.splice(0), (p) => p);

    const revocations: Revocation[] = [];
    await inChunks([...t.revocations.values()], async ({ leafHash, revokerId, txHash }) => {
      const [revoked, reasonCode, revokedAt, revokedBy] = await this.rev.revocationBy(leafHash, revokerId, { blockTag });
      if (revoked) revocations.push({ leafHash, revokerId, reasonCode: Number(reasonCode), revokedAt: Number(revokedAt), revokedBy, txHash });
    });
    const found = (await Promise.all(participants.values())).filter((p): p is Participant => p !== undefined);
    const ids = new Set(found.map((p) => p.id));
    return {
      participants: found,
      // A key counts only with its participant (the store's foreign key); the contract registers keys only for participants.
      keys: (await Promise.all(keys.values())).filter((k) => ids.has(k.participantId)),
      productKeys: t.productKeys,
      revocations,
    };
  }

  private async participantAt(id: string, blockTag: number): Promise<Participant | undefined> {
    const p = await this.reg.getParticipant(id, { blockTag });
    const kind = KIND_NAMES[Number(p.kind)];
    if (!kind) return undefined;
    // A lab's spot-check designation (监督抽检), if it ever had one: ingest lets its reports count on any batch.
    const [spotFrom, spotUntil] = kind === 'lab' ? await this.reg.spotCheckWindow(id, { blockTag }) : [0n, 0n];
    return {
      id,
      kind,
      name: p.name,
      code: p.code,
      validFrom: kind === 'lab' ? Number(p.accreditedFrom) : null,
      validTo: kind === 'lab' ? Number(p.accreditedUntil) : null,
      data: {
        registeredAt: Number(p.registeredAt),
        revokedAt: Number(p.revokedAt) || null,
        ...(spotUntil === 0n ? {} : { spotCheck: { from: Number(spotFrom), until: Number(spotUntil) } }),
      },
      active: Number(p.revokedAt) === 0,
    };
  }
}

/**
 * The mirror's answer to "was `address` a signing key of a participant of `kind` at `at` (seconds)";
 * the same rule as ParticipantRegistry.isValidSigner. Returns the participant and its key (one per address and
 * participant), or why not.
 */
export async function signerStatus(
  store: Store,
  address: string,
  kind: ParticipantKind,
  at: number,
): Promise<{ ok: true; participant: Participant; key: ParticipantKey } | { ok: false; code: 'unknown-signer' | 'wrong-role' | 'key-not-yet-valid' | 'key-expired' | 'key-revoked' | 'participant-revoked' | 'not-accredited'; message: string }> {
  const keys = await store.keysOf(address);
  if (keys.length === 0) return { ok: false, code: 'unknown-signer', message: `${address} is not a registered signing key` };
  let last: { ok: false; code: 'wrong-role' | 'key-not-yet-valid' | 'key-expired' | 'key-revoked' | 'participant-revoked' | 'not-accredited'; message: string } | undefined;
  for (const key of keys) {
    const p = await store.getParticipant(key.participantId);
    if (!p || p.kind !== kind) {
      last = { ok: false, code: 'wrong-role', message: `${address} is not a key of a ${kind}` };
      continue;
    }
    const revokedAt = (p.data.revokedAt as number | null | undefined) ?? null;
    if (at < key.validFrom) last = { ok: false, code: 'key-not-yet-valid', message: `${address} is valid only from ${iso(key.validFrom)}` };
    else if (at > key.validTo) last = { ok: false, code: 'key-expired', message: `${address} expired at ${iso(key.validTo)}` };
    else if (key.revokedAt !== null && at >= key.revokedAt) last = { ok: false, code: 'key-revoked', message: `${address} was revoked at ${iso(key.revokedAt)}` };
    else if (revokedAt !== null && at >= revokedAt) last = { ok: false, code: 'participant-revoked', message: `${p.name} was revoked at ${iso(revokedAt)}` };
    else if (kind === 'lab' && (at < (p.validFrom ?? 0) || at > (p.validTo ?? 0))) last = { ok: false, code: 'not-accredited', message: `${p.name} was not accredited at ${iso(at)}` };
    else return { ok: true, participant: p, key };
  }
  return last!;
}

const iso = (s: number) => new Date(s * 1000).toISOString();
