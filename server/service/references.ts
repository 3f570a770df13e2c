/** Participant references as API callers give them: the on-chain id (bytes32 hex) or the registry code (USCC, CMA number). */
import { AppError } from '../errors';
import { participantIdFor } from '../chain/registry';
import { BYTES32_PATTERN } from '../records';
import type { ParticipantKind } from '../store/types';

const BYTES32_ANY_CASE = /^0x[0-9a-fA-F]{64}$/;

/** True when `ref` is a participant id (0x + 64 hex digits). */
export const isParticipantId = (ref: string): boolean => BYTES32_ANY_CASE.test(ref);

/** The participant id `ref` names: itself when it is an id, otherwise the id of the `kind` with that code. */
export function participantIdOf(kind: ParticipantKind, ref: string): string {
  if (isParticipantId(ref)) return ref.toLowerCase();
  if (!/^[0-9A-Z]{1,64}$/.test(ref)) throw new AppError('invalid-input', `${ref} is neither a participant id (0x + 64 hex digits) nor a registry code`);
  return participantIdFor(kind, ref);
}

/** Requires `id` to be a participant id; returns it in lower case. */
export function requireParticipantId(id: string): string {
  if (!BYTES32_PATTERN.test(id.toLowerCase())) throw new AppError('invalid-input', `${id} is not a participant id (0x + 64 hex digits)`);
  return id.toLowerCase();
}
