/** Participants and revocations: writes to the registries, and a mirror of their on-chain state in the store. */
import { keccak256, toUtf8Bytes, type ContractRunner, type ContractTransactionResponse, type Provider } from 'ethers';
import { AppError } from '../errors';
import type { Participant, ParticipantKind, Store } from '../store/types';
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
}

/**
 * Copies the registries' state into the store by replaying their events since the last mirrored
 * block, re-reading each touched participant, key and revocation from the contracts' views.
 */
export class ParticipantMirror {
  private readonly reg: ParticipantRegistry;
  private readonly rev: RevocationRegistry;
  private readonly kvKey: string;

  constructor(
    private readonly store: Store,
    private readonly deployment: Deployment,
    private readonly provider: Provider,
  ) {
    this.reg = ParticipantRegistry__factory.connect(deployment.participantRegistry, provider);
    this.rev = RevocationRegistry__factory.connect(deployment.revocationRegistry, provider);
    this.kvKey = `mirror:${deployment.chainId}:${deployment.participantRegistry.toLowerCase()}:${deployment.deployedAt}`;
  }

  /** Mirrors everything up to the latest block; returns the block reached. */
  async sync(): Promise<number> {
    const saved = await this.store.getKv(this.kvKey);
    const from = saved === undefined ? this.deployment.deployedBlock : Number(saved) + 1;
    const to = await this.provider.getBlockNumber();
    if (from > to) return to;

    const touchedParticipants = new Set<string>();
    const touchedKeys = new Set<string>();
    const touchedRevocations = new Map<string, { leafHash: string; revokerId: string; txHash: string }>();
    const productKeys: { key: string; producerId: string }[] = [];
    for (const ev of await this.reg.queryFilter('*' as never, from, to)) {
      if (!('args' in ev) || !ev.args) continue;
      const args = ev.args as unknown as { participantId?: string; labId?: string; signer?: string; producerId?: string; key?: string };
      if (args.participantId) touchedParticipants.add(args.participantId);
      if (args.labId) touchedParticipants.add(args.labId); // SpotCheckDesignated
      if (args.signer) touchedKeys.add(args.signer);
      // ProductKeyAssigned: keys are never reassigned nor removed, so the event is the whole state.
      if (args.producerId && typeof args.key === 'string') {
        touchedParticipants.add(args.producerId);
        productKeys.push({ key: args.key, producerId: args.producerId });
      }
    }
    // One revocation per (record, revoking party): a lab's participant id, or zero for the regulator.
    for (const ev of await this.rev.queryFilter(this.rev.filters.RecordRevoked(), from, to)) {
      const { leafHash, revokerId } = ev.args;
      touchedRevocations.set(`${leafHash}:${revokerId}`.toLowerCase(), { leafHash, revokerId, txHash: ev.transactionHash });
    }

    for (const id of touchedParticipants) await this.mirrorParticipant(id);
    for (const signer of touchedKeys) await this.mirrorKey(signer);
    for (const k of productKeys) await this.store.upsertProductKey(k);
    for (const { leafHash, revokerId, txHash } of touchedRevocations.values()) {
      const [revoked, reasonCode, revokedAt, revokedBy] = await this.rev.revocationBy(leafHash, revokerId);
      if (!revoked) continue;
      await this.store.upsertRevocation({ leafHash, revokerId, reasonCode: Number(reasonCode), revokedAt: Number(revokedAt), revokedBy, txHash });
    }
    await this.store.setKv(this.kvKey, String(to));
    return to;
  }

  private async mirrorParticipant(id: string): Promise<void> {
    const p = await this.reg.getParticipant(id);
    const kind = KIND_NAMES[Number(p.kind)];
    if (!kind) return;
    // A lab's spot-check designation (监督抽检), if it ever had one: ingest lets its reports count on any batch.
    const [spotFrom, spotUntil] = kind === 'lab' ? await this.reg.spotCheckWindow(id) : [0n, 0n];
    const participant: Participant = {
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
    await this.store.upsertParticipant(participant);
    for (const signer of await this.reg.signingKeysOf(id)) await this.mirrorKey(signer);
  }

  private async mirrorKey(signer: string): Promise<void> {
    const k = await this.reg.getSigningKey(signer);
    if (!(await this.store.getParticipant(k.participantId))) await this.mirrorParticipant(k.participantId);
    await this.store.upsertKey({
      address: signer,
      participantId: k.participantId,
      validFrom: Number(k.validFrom),
      validTo: Number(k.validTo),
      revokedAt: Number(k.revokedAt) || null,
    });
  }
}

/**
 * The mirror's answer to "was `address` a signing key of a participant of `kind` at `at` (seconds)";
 * the same rule as ParticipantRegistry.isValidSigner. Returns the participant, or why not.
 */
export async function signerStatus(
  store: Store,
  address: string,
  kind: ParticipantKind,
  at: number,
): Promise<{ ok: true; participant: Participant } | { ok: false; code: 'unknown-signer' | 'wrong-role' | 'key-not-yet-valid' | 'key-expired' | 'key-revoked' | 'participant-revoked' | 'not-accredited'; message: string }> {
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
    else return { ok: true, participant: p };
  }
  return last!;
}

const iso = (s: number) => new Date(s * 1000).toISOString();
