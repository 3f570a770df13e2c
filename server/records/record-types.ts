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

// ---------------------------------------------------------------------------
// Record id namespaces (ARCHITECTURE.md, "Trust model": record ids are namespaced by the participant that
// submits them). A record's id is `{code}-{local}`: `{code}` is the registered code of the submitting
// participant (a lab's 12-digit CMA number for its reports and revocations, a department's USCC for its
// share records, the producer's USCC for its batches), `{local}` is 1+ characters of [A-Za-z0-9_-]
// starting with a letter or digit, and the whole id stays within RECORD_ID_PATTERN (64 characters).
// A namespace is recognised by its shape alone, so these rules need no registry:
//   - 12 digits then "-": a lab's CMA namespace;
//   - 18 characters of the USCC alphabet shaped as GB 32100-2015 (digits 3–8) then "-": a USCC namespace.
// The two cannot be confused (a USCC has no "-" at position 13).

/** `{CMA}-` or `{USCC}-` at the start of an id: the namespace it claims. */
const NAMESPACE_PREFIX = /^(\d{12}|[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10})-/;

/** The local part of a namespaced id. */
const LOCAL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** The namespace code an id claims (a CMA number or a USCC, by shape), or null when it claims none. */
export function recordIdNamespace(id: string): string | null {
  const m = NAMESPACE_PREFIX.exec(id);
  return m && LOCAL_ID_PATTERN.test(id.slice(m[0].length)) ? m[1]! : null;
}

/** True when `id` is a valid record id of the form `{code}-{local}` (see above). */
export function isInNamespace(id: string, code: string): boolean {
  return RECORD_ID_PATTERN.test(id) && id.startsWith(`${code}-`) && LOCAL_ID_PATTERN.test(id.slice(code.length + 1));
}

/** `{code}-{local}`; may be longer than RECORD_ID_PATTERN allows (check with isInNamespace). */
export const namespacedId = (code: string, local: string): string => `${code}-${local}`;

/** Where a submitter's chosen id lands in its namespace (see {@link placeInNamespace}). */
export type NamespacePlacement = { ok: true; id: string } | { ok: false; problem: 'other-namespace'; namespace: string } | { ok: false; problem: 'too-long'; id: string };

/**
 * For submitters that do not sign their ids (a producer, whose batches the operator attests): the id a
 * chosen `id` gets in `code`'s namespace. Rule: an id already in `code`'s namespace is kept; an id that
 * claims another namespace (it starts with another CMA number or USCC and "-") is refused
 * ('other-namespace', never prefixed twice); any other id is prefixed with `{code}-`, refused
 * ('too-long') when the result exceeds 64 characters. Requires `id` to match RECORD_ID_PATTERN.
 */
export function placeInNamespace(id: string, code: string): NamespacePlacement {
  if (isInNamespace(id, code)) return { ok: true, id };
  const claimed = recordIdNamespace(id);
  if (claimed !== null && claimed !== code) return { ok: false, problem: 'other-namespace', namespace: claimed };
  const full = namespacedId(code, id);
  return RECORD_ID_PATTERN.test(full) ? { ok: true, id: full } : { ok: false, problem: 'too-long', id: full };
}

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
