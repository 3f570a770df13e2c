/**
 * Registering participants (labs, producers, departments) and their signing keys on chain, as the
 * operator: each use case writes to the registry, then mirrors the chain so the next request sees it.
 */
import { checksumAddress } from '../chain/keys';
import { participantIdFor } from '../chain/registry';
import { AppError } from '../errors';
import type { Participant, ParticipantKey, ParticipantKind, Store } from '../store/types';
import type { Services } from './context';
import { onChain } from './chain-errors';
import { nowSeconds, secondsToInstant } from '../records/time';

type Registrar = Pick<Services, 'store' | 'registries' | 'mirror'>;

/**
 * How far before now a new key or accreditation window may start: ParticipantRegistry's
 * WINDOW_START_TOLERANCE (one hour). A window registered today cannot vouch for records dated before it.
 */
export const WINDOW_START_TOLERANCE_SECONDS = 3600;
/** Margin kept below the contract's tolerance, for the time a transaction waits to be mined. */
const MINING_MARGIN_SECONDS = 60;

/** A signing key to add; times in seconds since the epoch. */
export interface NewKey {
  address: string;
  validFrom: number;
  validTo: number;
}

export type NewParticipant =
  | { kind: 'lab'; name: string; cmaNumber: string; accreditedFrom: number; accreditedUntil: number; keys?: NewKey[] }
  | { kind: 'producer'; name: string; uscc: string; keys?: NewKey[] }
  | { kind: 'department'; name: string; uscc: string; keys?: NewKey[] };

export interface KeyView {
  address: string;
  validFrom: string;
  validTo: string;
  revokedAt: string | null;
}

export interface ParticipantView {
  id: string;
  kind: ParticipantKind;
  name: string;
  /** CMA number of a lab; unified social credit code of a producer or department. */
  code: string;
  active: boolean;
  /** A lab's accreditation window; null for other kinds. */
  accreditedFrom: string | null;
  accreditedUntil: string | null;
  registeredAt: string | null;
  revokedAt: string | null;
  /** A lab the regulator designated for official spot checks (监督抽检): its window; absent otherwise. */
  spotCheck?: { from: string | null; until: string | null };
}

export interface ParticipantDetail extends ParticipantView {
  keys: KeyView[];
}

const iso = (seconds: number | null | undefined) => (typeof seconds === 'number' && seconds > 0 ? new Date(seconds * 1000).toISOString() : null);

export const participantView = (p: Participant): ParticipantView => ({
  id: p.id,
  kind: p.kind,
  name: p.name,
  code: p.code,
  active: p.active,
  accreditedFrom: p.kind === 'lab' ? iso(p.validFrom) : null,
  accreditedUntil: p.kind === 'lab' ? iso(p.validTo) : null,
  registeredAt: iso(p.data.registeredAt as number | null | undefined),
  revokedAt: iso(p.data.revokedAt as number | null | undefined),
  ...spotCheckView(p.data.spotCheck as { from?: number; until?: number } | undefined),
});

const spotCheckView = (w: { from?: number; until?: number } | undefined) => (w === undefined ? {} : { spotCheck: { from: iso(w.from), until: iso(w.until) } });

export const keyView = (k: ParticipantKey): KeyView => ({
  address: checksumAddress(k.address),
  validFrom: iso(k.validFrom) ?? new Date(0).toISOString(),
  validTo: iso(k.validTo) ?? new Date(0).toISOString(),
  revokedAt: iso(k.revokedAt),
});

export async function listParticipants(store: Store, kind?: ParticipantKind): Promise<ParticipantView[]> {
  return (await store.listParticipants(kind)).map(participantView);
}

/** A participant with its signing keys. Throws 'not-found'. */
export async function describeParticipant(store: Store, id: string): Promise<ParticipantDetail> {
  const p = await store.getParticipant(id);
  if (!p) throw new AppError('not-found', `no participant ${id}`);
  return { ...participantView(p), keys: (await store.keysOfParticipant(id)).map(keyView) };
}

/** Registers a lab, producer or department with its first signing keys, and mirrors it. */
export async function registerParticipant(sys: Registrar, input: NewParticipant): Promise<ParticipantDetail> {
  const code = input.kind === 'lab' ? input.cmaNumber : input.uscc;
  const id = participantIdFor(input.kind, code);
  await assertNotRegistered(sys.store, id, input.kind, code);
  if (input.kind === 'lab') assertStartsNow(input.accreditedFrom, 'accreditedFrom');
  for (const key of input.keys ?? []) {
    assertStartsNow(key.validFrom, `validFrom of key ${key.address}`);
    await assertNewKey(sys.store, key.address);
  }

  await onChain(`registering ${input.kind} ${code}`, () => {
    if (input.kind === 'lab') return sys.registries.registerLab(input);
    if (input.kind === 'producer') return sys.registries.registerProducer(input.name, input.uscc);
    return sys.registries.registerDepartment(input.name, input.uscc);
  });
  for (const key of input.keys ?? []) {
    await onChain(`adding key ${key.address}`, () => sys.registries.addKey(id, key.address, key.validFrom, key.validTo));
  }
  await sys.mirror.sync();
  return describeParticipant(sys.store, id);
}

/** Adds a signing key to a registered, unrevoked participant, and mirrors it. */
export async function addParticipantKey(sys: Registrar, participantId: string, key: NewKey): Promise<KeyView> {
  const p = await sys.store.getParticipant(participantId);
  if (!p) throw new AppError('not-found', `no participant ${participantId}`);
  if (!p.active) throw new AppError('participant-revoked', `${p.name} was revoked; it takes no new key`);
  assertStartsNow(key.validFrom, 'validFrom');
  await assertNewKey(sys.store, key.address);
  await onChain(`adding key ${key.address}`, () => sys.registries.addKey(participantId, key.address, key.validFrom, key.validTo));
  await sys.mirror.sync();
  return keyView(await keyOf(sys.store, participantId, key.address));
}

/** A product key: a GS1 company prefix (6-12 digits, GTIN-13 form) or one GTIN-14, and the producer it belongs to. */
export interface ProductKeyView {
  key: string;
  kind: 'company-prefix' | 'gtin';
  producerId: string;
}

const productKeyView = (producerId: string, key: string): ProductKeyView => ({ key, kind: key.length === 14 ? 'gtin' : 'company-prefix', producerId });

/** The product keys assigned to a producer. Throws 'not-found' unless `producerId` is a producer. */
export async function listProductKeys(store: Store, producerId: string): Promise<ProductKeyView[]> {
  await producerOf(store, producerId);
  return (await store.productKeysOf(producerId)).map((key) => productKeyView(producerId, key));
}

/**
 * Assigns a producer a product key on chain (the registrar's word on which GTINs are its own: without one, its
 * batches with a GTIN are refused as 'gtin-not-owned'), and mirrors it. `key` is a company prefix of 6-12 digits
 * or a GTIN-14 (callers normalise GTIN-8/12/13 first). Throws 'not-found' (no such producer),
 * 'participant-revoked', or 'product-key-taken' when it overlaps another key.
 */
export async function assignProductKey(sys: Registrar, producerId: string, key: string): Promise<ProductKeyView> {
  const p = await producerOf(sys.store, producerId);
  if (!p.active) throw new AppError('participant-revoked', `${p.name} was revoked; it takes no new product key`);
  await onChain(`assigning product key ${key} to ${p.name}`, () => sys.registries.assignProductKey(producerId, key));
  await sys.mirror.sync();
  return productKeyView(producerId, key);
}

async function producerOf(store: Store, producerId: string): Promise<Participant> {
  const p = await store.getParticipant(producerId);
  if (!p || p.kind !== 'producer') throw new AppError('not-found', `no producer ${producerId}`);
  return p;
}

/**
 * The regulator designates the lab `labId` for official spot checks (监督抽检) over `[from, until]` (seconds;
 * `from` defaults to now): its reports then count on any batch. Mirrors it. Throws 'not-found' unless `labId` is
 * a registered lab, 'participant-revoked' for a revoked one, 'invalid-input' unless `from < until`,
 * 'window-starts-in-past' when `from` lies more than an hour before now (before any transaction, like the contract).
 */
export async function designateSpotCheckLab(sys: Registrar, labId: string, window: { from?: number | undefined; until: number }): Promise<ParticipantDetail> {
  const lab = await activeLab(sys.store, labId);
  const from = window.from ?? nowSeconds();
  if (from >= window.until) throw new AppError('invalid-input', `the spot-check window must end after it starts (from ${iso(from)}, until ${iso(window.until)})`);
  assertStartsNow(from, 'from');
  await onChain(`designating ${lab.name} for spot checks`, () => sys.registries.designateSpotCheckLab(labId, from, window.until));
  await sys.mirror.sync();
  return describeParticipant(sys.store, labId);
}

/** The regulator ends the lab's spot-check designation now, and mirrors it. Throws 'conflict' when none is in force. */
export async function endSpotCheckDesignation(sys: Registrar, labId: string): Promise<ParticipantDetail> {
  const lab = await labOf(sys.store, labId);
  const window = lab.data.spotCheck as { until?: number } | undefined;
  if (!window || (window.until ?? 0) <= nowSeconds()) throw new AppError('conflict', `${lab.name} has no spot-check designation in force`);
  await onChain(`ending the spot-check designation of ${lab.name}`, () => sys.registries.endSpotCheckDesignation(labId));
  await sys.mirror.sync();
  return describeParticipant(sys.store, labId);
}

/** The registered lab `labId`. Throws 'not-found', naming what `labId` is when it is another kind of participant. */
async function labOf(store: Store, labId: string): Promise<Participant> {
  const lab = await store.getParticipant(labId);
  if (!lab) throw new AppError('not-found', `no lab ${labId}`);
  if (lab.kind !== 'lab') throw new AppError('not-found', `no lab ${labId}: it is the ${lab.kind} ${lab.name} (${lab.code})`);
  return lab;
}

async function activeLab(store: Store, labId: string): Promise<Participant> {
  const lab = await labOf(store, labId);
  if (!lab.active) throw new AppError('participant-revoked', `${lab.name} was revoked`);
  return lab;
}

/** Revokes one of a participant's signing keys from now on, and mirrors it. */
export async function revokeParticipantKey(sys: Registrar, participantId: string, address: string): Promise<KeyView> {
  const key = await keyOf(sys.store, participantId, address);
  if (key.revokedAt !== null) throw new AppError('conflict', `${checksumAddress(address)} was already revoked at ${iso(key.revokedAt)}`);
  await onChain(`revoking key ${address}`, () => sys.registries.revokeKey(checksumAddress(address)));
  await sys.mirror.sync();
  return keyView(await keyOf(sys.store, participantId, address));
}

/**
 * Throws 'window-starts-in-past' when a window would start more than the tolerance before now: the contract
 * refuses it too, but this names the field and says why before a transaction is sent.
 */
export function assertStartsNow(from: number, field: string, now: number = nowSeconds()): void {
  const earliest = now - WINDOW_START_TOLERANCE_SECONDS + MINING_MARGIN_SECONDS;
  if (from >= earliest) return;
  throw new AppError(
    'window-starts-in-past',
    `${field} ${secondsToInstant(from)} lies in the past: a key, accreditation or spot-check window may start at most an hour before its registration (now ${secondsToInstant(now)}), so that it cannot vouch for records dated before it was registered. Use the registration time.`,
    { field, from: secondsToInstant(from), earliest: secondsToInstant(earliest) },
  );
}

async function assertNotRegistered(store: Store, id: string, kind: ParticipantKind, code: string): Promise<void> {
  if (await store.getParticipant(id)) throw new AppError('conflict', `a ${kind} with code ${code} is already registered (${id})`);
}

async function assertNewKey(store: Store, address: string): Promise<void> {
  if ((await store.keysOf(address)).length > 0) {
    throw new AppError('conflict', `${checksumAddress(address)} is already a signing key; an address belongs to one participant, forever`);
  }
}

async function keyOf(store: Store, participantId: string, address: string): Promise<ParticipantKey> {
  const key = (await store.keysOfParticipant(participantId)).find((k) => k.address.toLowerCase() === address.toLowerCase());
  if (!key) throw new AppError('not-found', `${address} is not a signing key of participant ${participantId}`);
  return key;
}
