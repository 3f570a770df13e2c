/**
 * The vocabulary of record types, declared once: the types, the log each goes to, the participant role
 * that signs it, the participant kinds and their on-chain codes, and revocation reasons. Pure data,
 * isomorphic (the browser verifier imports it).
 */

/** Every record type, as it appears in a log entry's `type`. */
export const RECORD_TYPES = [
  'Batch',
  'SeleniumTestReport',
  'ShareRequest',
  'ShareReply',
  'ShareDelivery',
  'ShareReceipt',
  'Revocation',
  'LabCommission',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** A record id: 1–64 letters, digits, `_` or `-`, starting with a letter or digit (a ULID or UUID fits). */
export const RECORD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** True when `s` names a record type. */
export function isRecordType(s: unknown): s is RecordType {
  return typeof s === 'string' && (RECORD_TYPES as readonly string[]).includes(s);
}

/** The two logs. */
export type LogId = 'products' | 'data-sharing';
export const LOG_IDS: readonly LogId[] = ['products', 'data-sharing'];

/** Kinds of participant registered on chain, in the order of the contract's `ParticipantKind` enum. */
export const PARTICIPANT_KINDS = ['lab', 'producer', 'department'] as const;
export type ParticipantKind = (typeof PARTICIPANT_KINDS)[number];

/** The contract's enum value of a participant kind. */
export const participantKindCode = (k: ParticipantKind): number => PARTICIPANT_KINDS.indexOf(k);

/** The participant kind of a contract enum value, or undefined. */
export const participantKindOf = (code: number): ParticipantKind | undefined => PARTICIPANT_KINDS[code];

/** Which log each record type goes to, and which participant role may sign it. */
export const RECORD_ROUTING: { readonly [T in RecordType]: { logId: LogId; role: ParticipantKind } } = {
  Batch: { logId: 'products', role: 'producer' },
  SeleniumTestReport: { logId: 'products', role: 'lab' },
  Revocation: { logId: 'products', role: 'lab' },
  /** Attested by the operator for the producer that owns the batch, like a producer's batch. */
  LabCommission: { logId: 'products', role: 'producer' },
  ShareRequest: { logId: 'data-sharing', role: 'department' },
  ShareReply: { logId: 'data-sharing', role: 'department' },
  ShareDelivery: { logId: 'data-sharing', role: 'department' },
  ShareReceipt: { logId: 'data-sharing', role: 'department' },
};

/** Reasons a record is revoked; the index is the numeric code used on chain. */
export const REVOCATION_REASONS = [
  'issued-in-error',
  'superseded',
  'sample-mismatch',
  'accreditation-lapsed',
  'fraud-suspected',
  'product-recall',
  'key-compromised',
  'other',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** The on-chain uint16 reason code of a revocation reason (its index in REVOCATION_REASONS). */
export function revocationReasonNumber(reason: RevocationReason): number {
  return REVOCATION_REASONS.indexOf(reason);
}

/** The reason of an on-chain uint16 reason code, or undefined for a code this version does not know. */
export function revocationReasonOf(code: number): RevocationReason | undefined {
  return Number.isInteger(code) ? REVOCATION_REASONS[code] : undefined;
}
