/**
 * Registering participants (labs, producers, departments) and their signing keys on chain, as the
 * operator: each use case writes to the registry, then mirrors the chain so the next request sees it.
 */
import { checksumAddress } from '../chain/keys';
import { nowSeconds } from '../records/time';
import { participantIdFor } from '../chain/registry';
import { AppError } from '../errors';
import type { Participant, ParticipantKey, ParticipantKind, Store } from '../store/types';
import type { Services } from './context';
import { onChain } from './chain-errors';

type Registrar = Pick<Services, 'store' | 'registries' | 'mirror'>;

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
  for (const key of input.keys ?? []) await assertNewKey(sys.store, key.address);

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
  await assertNewKey(sys.store, key.address);
  await onChain(`adding key ${key.address}`, () => sys.registries.addKey(participantId, key.address, key.validFrom, key.validTo));
  await sys.mirror.sync();
  return keyView(await keyOf(sys.store, participantId, key.address));
}

/**
 * The regulator designates the lab `labId` for official spot checks (监督抽检) over `[from, until]` (seconds;
 * `from` defaults to now): its reports then count on any batch. Mirrors it. Throws 'not-found' unless `labId` is
 * a registered lab, 'participant-revoked' for a revoked one, 'invalid-input' unless `from < until`.
 */
export async function designateSpotCheckLab(sys: Registrar, labId: string, window: { from?: number | undefined; until: number }): Promise<ParticipantDetail> {
  const lab = await activeLab(sys.store, labId);
  const from = window.from ?? nowSeconds();
  if (from >= window.until) throw new AppError('invalid-input', `the spot-check window must end after it starts (from ${iso(from)}, until ${iso(window.until)})`);
  await onChain(`designating ${lab.name} for spot checks`, () => sys.registries.designateSpotCheckLab(labId, from, window.until));
  await sys.mirror.sync();
  return describeParticipant(sys.store, labId);
}

/** The regulator ends the lab's spot-check designation now, and mirrors it. Throws 'conflict' when none is in force. */
export async function endSpotCheckDesignation(sys: Registrar, labId: string): Promise<ParticipantDetail> {
  const lab = await sys.store.getParticipant(labId);
  if (!lab || lab.kind !== 'lab') throw new AppError('not-found', `no lab ${labId}`);
  const window = lab.data.spotCheck as { until?: number } | undefined;
  if (!window || (window.until ?? 0) <= nowSeconds()) throw new AppError('conflict', `${lab.name} has no spot-check designation in force`);
  await onChain(`ending the spot-check designation of ${lab.name}`, () => sys.registries.endSpotCheckDesignation(labId));
  await sys.mirror.sync();
  return describeParticipant(sys.store, labId);
}

async function activeLab(store: Store, labId: string): Promise<Participant> {
  const lab = await store.getParticipant(labId);
  if (!lab || lab.kind !== 'lab') throw new AppError('not-found', `no lab ${labId}`);
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
