/** Departments and their signed share steps, as a department's tooling produces them, for tests against a running system. */
import { Wallet, hexlify, randomBytes } from 'ethers';
import {
  GENESIS_PREV_HASH,
  canonicalString,
  recordIdNamespace,
  commitRecord,
  createLogEntry,
  logEntryLeafHash,
  parseShareRecord,
  signRecord,
  usccCheckCharacter,
  type ShareDelivery,
  type ShareReceipt,
  type ShareRecord,
  type ShareReply,
  type ShareRequest,
} from '../../server/records';
import type { Acceptance } from '../../server/service/ingest';
import type { NewRecord } from '../../server/store/types';
import type { System } from '../../server/system';
import { REGISTERED_SINCE } from './system';
import { departmentIdOf } from '../../server/trails/lifecycle';

const YEAR = 365 * 24 * 3600;

/** The n-th synthetic department's unified social credit code (valid check character; not a real entity). */
/** The fields of a share request from `requesting` to `providing` (a catalogue item, its legal basis and purpose, valid from 30 days ago for 180 days), without id, seq and prevHash. */
export function requestStepFields(requesting: Pick<Department, 'ref'>, providing: Pick<Department, 'ref'>) {
  return {
    step: 'request' as const,
    requestingDepartment: requesting.ref,
    providingDepartment: providing.ref,
    catalogueItem: { id: 'AK-NY-0042', version: '2025.1' },
    issuedAt: isoNow(),
    shareClass: 'conditional' as const,
    legalBasis: '《政务数据共享条例》第十五条',
    purpose: '富硒产品抽检结果与产地备案信息比对',
    scenario: '市场监管部门对富硒茶产品开展质量抽检',
    fieldsRequested: ['producerUscc', 'origin', 'plantingArea'],
    scope: '安康市紫阳县 2025 年备案茶园',
    method: 'api' as const,
    validity: { from: isoAt(Math.floor(Date.now() / 1000) - 30 * 24 * 3600), to: isoAt(Math.floor(Date.now() / 1000) + 180 * 24 * 3600) },
    requestedAt: isoNow(),
    securityLevel: 'general' as const,
    requestingOfficer: { name: '赵敏', title: '科长' },
  };
}

export function departmentUscc(n: number): string {
  const first17 = `11610900MB0${String(n).padStart(6, '0')}`;
  return first17 + usccCheckCharacter(first17);
}

/** A fresh wallet from a random key. */
export const randomKey = (): Wallet => new Wallet(hexlify(randomBytes(32)));

/** A signed share step submission (type, record, salts, signature), as the department's tooling produces it. */
export async function signedShareStep(sys: System, key: Wallet, input: unknown) {
  const { type, record } = parseShareRecord(input);
  const { root, salts } = commitRecord(record);
  const binding = { chainId: sys.deployment.chainId, verifyingContract: sys.deployment.traceLedger };
  const signature = await signRecord(key, type, record as never, root, binding);
  return { type, record, salts, signature };
}

/** Seconds → the ISO instant records use. */
export const isoAt = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Now, a few seconds ago (so that it is never ahead of the server's clock). */
export const isoNow = (): string => isoAt(Math.floor(Date.now() / 1000) - 5);

/** A step's fields a test may set (the rest get realistic defaults). */
type StepBody<T extends ShareRecord> = Omit<T, 'step'>;

/**
 * A department as its own tooling sees it: its registry id, key and name, and the head of its own
 * sequence (next seq, prevHash = the leaf hash of its last accepted record).
 */
export class Department {
  seq = 0;
  prevHash: string = GENESIS_PREV_HASH;

  constructor(
    readonly sys: System,
    readonly id: string,
    readonly key: Wallet,
    readonly name: string,
    readonly uscc: string,
  ) {}

  get ref() {
    return { name: this.name, uscc: this.uscc };
  }

  /** The same department, at the same point of its sequence, signing with `key` instead (e.g. another department's key). */
  withKey(key: Wallet): Department {
    const view = new Department(this.sys, this.id, key, this.name, this.uscc);
    view.seq = this.seq;
    view.prevHash = this.prevHash;
    return view;
  }

  /** The sequence fields of this department's next record. */
  next() {
    return { departmentId: this.id, seq: this.seq + 1, prevHash: this.prevHash };
  }

  /** `local` in this department's namespace: `{USCC}-{local}` (an id that already names a namespace is kept). */
  idOf(local: string): string {
    return recordIdNamespace(local) === null ? `${this.uscc}-${local}` : local;
  }

  /**
   * Signs and submits `input` (which must carry this department's next seq and prevHash), advancing the
   * sequence on acceptance. Its id is placed in this department's namespace ({@link idOf}) first.
   */
  async submit(input: Record<string, unknown>): Promise<Acceptance> {
    const id = typeof input.id === 'string' ? this.idOf(input.id) : input.id;
    const ack = await this.sys.ingest.submitSigned(await signedShareStep(this.sys, this.key, { ...input, id }));
    this.seq = Number(input.seq);
    this.prevHash = ack.leafHash;
    return ack;
  }

  /** A request of this department (the requester) to `provider`. */
  request(provider: Department, fields: Partial<StepBody<ShareRequest>> & { id: string }) {
    return this.submit({ ...this.next(), ...requestStepFields(this, provider), ...fields });
  }

  /** This department's (the provider's) reply to `request` of `requester`. */
  reply(requester: Department, fields: Partial<StepBody<ShareReply>> & { id: string; requestId: string }) {
    return this.submit({
      ...this.next(),
      step: 'reply',
      requestingDepartment: requester.ref,
      providingDepartment: this.ref,
      catalogueItem: { id: 'AK-NY-0042', version: '2025.1' },
      issuedAt: isoNow(),
      reply: { time: isoNow(), decision: 'approve' },
      fieldsApproved: ['producerUscc', 'origin'],
      conditions: '仅用于抽检比对，不得向第三方提供',
      method: 'api',
      validity: { from: isoAt(Math.floor(Date.now() / 1000) - 30 * 24 * 3600), to: isoAt(Math.floor(Date.now() / 1000) + 90 * 24 * 3600) },
      securityLevel: 'general',
      providingOfficer: { name: '孙磊', title: '主任' },
      ...fields,
    });
  }

  /** This department's (the provider's) delivery to `requester`. */
  deliver(requester: Department, fields: Partial<StepBody<ShareDelivery>> & { id: string; requestId: string; replyId: string }) {
    return this.submit({
      ...this.next(),
      step: 'delivery',
      requestingDepartment: requester.ref,
      providingDepartment: this.ref,
      catalogueItem: { id: 'AK-NY-0042', version: '2025.1' },
      issuedAt: isoNow(),
      fieldsDelivered: ['producerUscc', 'origin'],
      method: 'api',
      delivery: { dataSha256: `0x${'5e'.repeat(32)}`, rowCount: 1287, deliveredAt: isoNow() },
      providingOfficer: { name: '孙磊', title: '主任' },
      ...fields,
    });
  }

  /** This department's (the requester's) receipt of a delivery by `provider`. */
  countersign(provider: Department, fields: Partial<StepBody<ShareReceipt>> & { id: string; requestId: string; deliveryId: string }) {
    return this.submit({
      ...this.next(),
      step: 'receipt',
      requestingDepartment: this.ref,
      providingDepartment: provider.ref,
      catalogueItem: { id: 'AK-NY-0042', version: '2025.1' },
      issuedAt: isoNow(),
      received: { dataSha256: `0x${'5e'.repeat(32)}`, rowCount: 1287, receivedAt: isoNow() },
      requestingOfficer: { name: '赵敏', title: '科长' },
      ...fields,
    });
  }
}

/** Registers department number `n` on chain with a fresh key valid two years either side of now, and mirrors it. */
export async function registerDepartment(sys: System, n: number, name = `安康市第${n}部门`, key: Wallet = randomKey()): Promise<Department> {
  const uscc = departmentUscc(n);
  const id = await sys.registries.registerDepartment(name, uscc);
  if (id !== departmentIdOf(uscc)) throw new Error('the registry id is not departmentIdOf(uscc)');
  const now = Math.floor(Date.now() / 1000);
  await sys.registries.addKey(id, key.address, now - REGISTERED_SINCE, now + 2 * YEAR);
  await sys.mirror.sync();
  return new Department(sys, id, key, name, uscc);
}

/** A complete share between two departments: request → reply → delivery → receipt; returns the four acceptances. */
export async function completeShare(requester: Department, provider: Department, tag: string) {
  const request = await requester.request(provider, { id: `req-${tag}` });
  const reply = await provider.reply(requester, { id: `rep-${tag}`, requestId: request.id });
  const delivery = await provider.deliver(requester, { id: `del-${tag}`, requestId: request.id, replyId: reply.id });
  const receipt = await requester.countersign(provider, { id: `rcp-${tag}`, requestId: request.id, deliveryId: delivery.id });
  return { request, reply, delivery, receipt };
}

/**
 * A share record signed by `key` and turned into the store's form exactly as ingest would, WITHOUT
 * going through ingest: what an attacker with database access (and, for some attacks, a key) can
 * insert directly. `input` is the record's raw fields.
 */
export async function craftStoredRecord(sys: System, key: Wallet, input: unknown, participantId: string | null): Promise<NewRecord> {
  const { type, record, salts, signature } = await signedShareStep(sys, key, input);
  const entry = createLogEntry({ type, id: record.id, recordRoot: commitRecord(record, salts).root, signer: key.address, signature, issuedAt: record.issuedAt });
  return {
    id: record.id,
    logId: 'data-sharing',
    type,
    body: record as unknown as Record<string, unknown>,
    salts,
    recordRoot: entry.recordRoot,
    signer: entry.signer,
    signature: entry.signature,
    issuedAt: record.issuedAt,
    entry: canonicalString(entry),
    leafHash: logEntryLeafHash(entry),
    participantId,
    subject: record.departmentId,
  };
}
