/**
 * Trust rules on what a submitter chooses, checked at ingest (ARCHITECTURE.md, "Trust model"): a signed
 * time is a claim, so `issuedAt` must lie in a window around the server's receipt time; a lab's
 * identity is its key, so a report names the lab registered for its signing key; record ids are
 * namespaced by the participant that submits them (`{code}-{local}`, see records/record-types); and salts the
 * submitter drew must look random. Pure functions that throw AppError; no I/O.
 */
import { AppError } from '../errors';
import { instantToSeconds, isInNamespace, isWellFormedUnicode, namespacedId, placeInNamespace, secondsToInstant, type SeleniumTestReport } from '../records';
import type { ReportBasis } from '../verification/batch';
import type { Participant } from '../store/types';

// ---------------------------------------------------------------------------
// issuedAt against the receipt time.

/** How far a record's `issuedAt` may lie from the server's receipt time (config ISSUED_AT_MAX_AGE_SECONDS, ISSUED_AT_MAX_AHEAD_SECONDS). */
export interface IssuedAtWindow {
  /** At most this many seconds before receipt. */
  maxAgeSeconds: number;
  /** At most this many seconds after receipt (clock skew between the signer and us). */
  maxAheadSeconds: number;
}

/** 72 hours old, 5 minutes ahead. */
export const DEFAULT_ISSUED_AT_WINDOW: IssuedAtWindow = { maxAgeSeconds: 72 * 3600, maxAheadSeconds: 300 };

/** A duration for messages: whole days from 4 days on ("30 days"), else hours, minutes and seconds ("72 h", "5 min 1 s"). */
export function describeSeconds(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s >= 4 * 86_400) return `${Math.floor(s / 86_400)} days`;
  const parts = [
    [Math.floor(s / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'min'],
    [s % 60, 's'],
  ] as const;
  const shown = parts.filter(([n]) => n > 0).map(([n, unit]) => `${n} ${unit}`);
  return shown.length > 0 ? shown.join(' ') : '0 s';
}

/**
 * Requires `receivedAt - maxAgeSeconds <= issuedAt <= receivedAt + maxAheadSeconds` (seconds).
 * Throws AppError 'issued-at-too-old' or 'issued-at-in-future'. Requires `issuedAt` to be a valid
 * instant (records are parsed before this runs).
 */
export function assertIssuedAtInWindow(issuedAt: string, receivedAt: number, window: IssuedAtWindow): void {
  const at = instantToSeconds(issuedAt);
  const details = { issuedAt, receivedAt: secondsToInstant(receivedAt), maxAgeSeconds: window.maxAgeSeconds, maxAheadSeconds: window.maxAheadSeconds };
  if (at < receivedAt - window.maxAgeSeconds) {
    throw new AppError(
      'issued-at-too-old',
      `issuedAt ${issuedAt} is ${describeSeconds(receivedAt - at)} before the server received the record (${details.receivedAt}); ` +
        `a record must reach the server within ${describeSeconds(window.maxAgeSeconds)} of being issued: sign it again with the current time`,
      details,
    );
  }
  if (at > receivedAt + window.maxAheadSeconds) {
    throw new AppError(
      'issued-at-in-future',
      `issuedAt ${issuedAt} is ${describeSeconds(at - receivedAt)} after the server received the record (${details.receivedAt}); ` +
        `at most ${describeSeconds(window.maxAheadSeconds)} of clock difference is allowed`,
      details,
    );
  }
}

// ---------------------------------------------------------------------------
// A report's lab is its signing key's lab.

/**
 * The CMA validity date a report must state for `lab`: the UTC calendar date of its registered
 * accreditation end (a registrar who gives a date registers its midnight UTC, so the same date
 * comes back). Requires a lab (validTo set).
 */
export const registeredCmaValidUntil = (lab: Participant): string => secondsToInstant(lab.validTo ?? 0).slice(0, 10);

/**
 * Requires the report's `lab.name`, `lab.cmaNumber` and `lab.cmaValidUntil` to be those registered
 * on chain for `lab`, the participant the signing key belongs to. Throws AppError
 * 'lab-identity-mismatch' naming the registered lab and the fields that differ.
 */
export function assertReportNamesSignersLab(report: SeleniumTestReport, lab: Participant, signer: string): void {
  const registered = { name: lab.name, cmaNumber: lab.code, cmaValidUntil: registeredCmaValidUntil(lab) };
  const named = { name: report.lab.name, cmaNumber: report.lab.cmaNumber, cmaValidUntil: report.lab.cmaValidUntil };
  const mismatched = (['name', 'cmaNumber', 'cmaValidUntil'] as const).filter((k) => named[k] !== registered[k]);
  if (mismatched.length === 0) return;
  const differences = mismatched.map((k) => `lab.${k} is "${named[k]}" but the registered one is "${registered[k]}"`).join('; ');
  throw new AppError(
    'lab-identity-mismatch',
    `the signing key ${signer} belongs to ${registered.name} (CMA ${registered.cmaNumber}, accredited until ${registered.cmaValidUntil}); ` +
      `a lab signs only reports in its own name: ${differences}`,
    { signer, registered, named, mismatched: mismatched.map((k) => `lab.${k}`) },
  );
}

// ---------------------------------------------------------------------------
// Record ids are namespaced by their submitter.

/** An example id in `code`'s namespace, for messages. */
const exampleId = (participant: Pick<Participant, 'kind' | 'code'>): string =>
  namespacedId(participant.code, participant.kind === 'lab' ? 'R2026-0001' : participant.kind === 'department' ? 'S2026-0001' : 'ZY-2026-09A');

function notInNamespace(id: string, participant: Pick<Participant, 'kind' | 'code' | 'name'>, why: string): AppError {
  return new AppError(
    'id-not-in-namespace',
    `${why}record ids of ${participant.name} must start with "${participant.code}-", e.g. "${exampleId(participant)}"`,
    { id, namespace: participant.code, example: exampleId(participant) },
  );
}

/**
 * A signed record's id (labs and departments sign their ids) must be in the namespace of the signing
 * key's participant: `{its code}-{local}`. Throws AppError 'id-not-in-namespace' giving the expected form.
 */
export function assertIdInSignersNamespace(id: string, signer: Pick<Participant, 'kind' | 'code' | 'name'>): void {
  if (!isInNamespace(id, signer.code)) throw notInNamespace(id, signer, `record id ${id} is not in the namespace of its signer: `);
}

/**
 * The full id of a producer's batch (producers do not sign; the operator attests their batches, so the
 * server namespaces the id itself): an id in the producer's namespace is kept, any other is prefixed with
 * `{USCC}-`. Throws 'id-not-in-namespace' for an id in another participant's namespace (it starts with
 * another USCC or a CMA number and "-"; it is never prefixed twice), and 'invalid-record' when the
 * prefixed id would exceed 64 characters. Requires `id` to be a valid record id.
 */
export function producerBatchId(id: string, producer: Pick<Participant, 'kind' | 'code' | 'name'>): string {
  const placed = placeInNamespace(id, producer.code);
  if (placed.ok) return placed.id;
  if (placed.problem === 'other-namespace') throw notInNamespace(id, producer, `batch id ${id} is in the namespace of ${placed.namespace}, not yours: `);
  throw new AppError('invalid-record', `batch id ${id} becomes ${placed.id} in the namespace of ${producer.name}, longer than 64 characters: choose a shorter id`, {
    id,
    namespacedId: placed.id,
    issues: [{ path: 'id', message: `with the prefix "${producer.code}-" it exceeds 64 characters` }],
  });
}

// A report counts on a batch by consent or by authority.

/** What ingest knows of a report's batch and lab: the stored batch's body and the batch's lab commissions. */
export interface ReportConsent {
  /** The stored batch's fields (reportIds, commissionedLabs). */
  batch: { reportIds?: unknown; commissionedLabs?: unknown };
  /** CMA numbers of the labs the batch's producer commissioned afterwards (LabCommission records). */
  commissionedLater: readonly string[];
}

/** A lab's spot-check window as mirrored from ParticipantRegistry (`data.spotCheck`), or null. */
export function spotCheckWindowOf(lab: Participant): { from: number; until: number } | null {
  const w = lab.data.spotCheck as { from?: unknown; until?: unknown } | undefined;
  return w && typeof w.from === 'number' && typeof w.until === 'number' && w.until > 0 ? { from: w.from, until: w.until } : null;
}

/**
 * Why a report from `lab` counts on its batch (ARCHITECTURE.md, "Trust model"): the batch lists it ('listed'), its
 * producer commissioned the lab on the batch or afterwards ('commissioned'), or the regulator designated the lab
 * for spot checks at `receivedAt` ('spot-check'). Throws AppError 'lab-not-commissioned' otherwise.
 */
export function assertReportCommissioned(report: SeleniumTestReport, lab: Participant, consent: ReportConsent, receivedAt: number): ReportBasis {
  const listed = Array.isArray(consent.batch.reportIds) && consent.batch.reportIds.includes(report.id);
  if (listed) return 'listed';
  const onBatch = Array.isArray(consent.batch.commissionedLabs) && consent.batch.commissionedLabs.includes(lab.code);
  if (onBatch || consent.commissionedLater.includes(lab.code)) return 'commissioned';
  const window = spotCheckWindowOf(lab);
  if (window !== null && window.from <= receivedAt && receivedAt <= window.until) return 'spot-check';
  throw new AppError(
    'lab-not-commissioned',
    `the producer of batch ${report.batchId} has not commissioned ${lab.name} (CMA ${lab.code}), and it is not designated for official spot checks; ` +
      `the producer must commission the lab first (name its CMA number in the batch's commissionedLabs, or POST /api/v1/batches/${report.batchId}/commissions)`,
    { batchId: report.batchId, labCmaNumber: lab.code },
  );
}

// ---------------------------------------------------------------------------
// Salts the submitter drew.

/**
 * Fewest distinct byte values among a submitted salt's 16 bytes. A salt of 16 uniformly random
 * bytes has fewer than 8 distinct values with probability below 10⁻¹² (about 15.5 on average), so
 * an honest client is practically never refused, while zero, constant, counter-like or short
 * repeated patterns ("deadbeef" × 4) are.
 */
export const MIN_DISTINCT_SALT_BYTES = 8;

/** The number of distinct byte values in a salt of hex digits. */
export function distinctSaltBytes(salt: string): number {
  const bytes = new Set<string>();
  for (let i = 0; i + 2 <= salt.length; i += 2) bytes.add(salt.slice(i, i + 2));
  return bytes.size;
}

/**
 * Refuses low-entropy salts chosen by a submitter (each is already 32 lowercase hex digits): a salt
 * that is all zero, one with fewer than {@link MIN_DISTINCT_SALT_BYTES} distinct byte values, or
 * one equal to another field's salt. Throws AppError 'weak-salt' naming the field(s). Salts the
 * server draws itself are not checked (they come from the OS CSPRNG).
 */
export function assertStrongSalts(salts: Readonly<Record<string, string>>): void {
  const firstFieldOf = new Map<string, string>();
  // The byte values seen in one salt, as a 256-bit set (8 words).
  const seen = new Int32Array(8);
  for (const field of Object.keys(salts).sort()) {
    const salt = salts[field]!;
    // Lowercase hex of even length (every salt that reaches here) is counted byte by byte in the bit set; its
    // pairs of digits are then exactly distinctSaltBytes' distinct slices, and it is all zero exactly when every
    // byte is 0. Anything else takes the general code.
    let distinct = 0;
    let zero = salt.length > 0 && salt.length % 2 === 0;
    seen.fill(0);
    for (let i = 0; distinct >= 0 && i + 1 < salt.length; i += 2) {
      const hi = salt.charCodeAt(i);
      const lo = salt.charCodeAt(i + 1);
      const h = hi >= 48 && hi <= 57 ? hi - 48 : hi >= 97 && hi <= 102 ? hi - 87 : -1;
      const l = lo >= 48 && lo <= 57 ? lo - 48 : lo >= 97 && lo <= 102 ? lo - 87 : -1;
      if (h < 0 || l < 0) {
        distinct = -1;
        break;
      }
      const b = (h << 4) | l;
      if (b !== 0) zero = false;
      const bit = 1 << (b & 31);
      if ((seen[b >> 5]! & bit) === 0) {
        seen[b >> 5] = seen[b >> 5]! | bit;
        distinct++;
      }
    }
    if (distinct < 0 || salt.length % 2 !== 0) {
      zero = /^0+$/.test(salt);
      distinct = zero ? 0 : distinctSaltBytes(salt);
    }
    if (zero) throw new AppError('weak-salt', `the salt of field "${field}" is all zero; each salt must be 16 random bytes`, { field });
    if (distinct < MIN_DISTINCT_SALT_BYTES) {
      throw new AppError(
        'weak-salt',
        `the salt of field "${field}" has only ${distinct} distinct byte values among its 16 (at least ${MIN_DISTINCT_SALT_BYTES} required); each salt must be 16 random bytes`,
        { field, distinctBytes: distinct },
      );
    }
    const other = firstFieldOf.get(salt);
    if (other !== undefined) {
      throw new AppError('weak-salt', `fields "${other}" and "${field}" have the same salt; each field needs its own 16 random bytes`, { field, otherField: other });
    }
    firstFieldOf.set(salt, field);
  }
}

// ---------------------------------------------------------------------------
// Text every store keeps.

/**
 * Refuses a record whose text no store can keep as it was signed: a string (or member name) holding U+0000, which
 * PostgreSQL's JSON refuses (the batch and share indexes read bodies as jsonb), or a lone UTF-16 surrogate (half of
 * a character: not Unicode text, and RFC 8785 cannot write it). Checked before the record root is computed, so a
 * store never meets it: on PostgreSQL one such record failed the whole group commit it shared with other
 * submitters' records. Throws AppError 'invalid-record' naming the first such field, as a schema issue would.
 */
export function assertStorableText(type: string, record: unknown): void {
  const inner = unstorableText(record);
  if (inner === null) return;
  const found = { ...inner, path: inner.path.replace(/^\./, '') };
  const message = `${found.nul ? 'contains U+0000 (a NUL character)' : 'contains a lone UTF-16 surrogate (half of a character)'}, which traceledger does not store; remove it`;
  throw new AppError('invalid-record', `invalid ${type}: ${found.path === '' ? message : `${found.path}: ${message}`}`, { issues: [{ path: found.path, message }] });
}

/** Why `s` cannot be stored (null when it can): U+0000, or a surrogate without its pair. */
function badText(s: string): { nul: boolean } | null {
  if (s.includes('\u0000')) return { nul: true };
  return isWellFormedUnicode(s) ? null : { nul: false };
}

/**
 * The first string or member name under `value` that {@link badText} refuses, with its path as schema issues write it
 * (`origin.name`, `list[2]`): built on the way back out, so a record without one allocates nothing.
 */
function unstorableText(value: unknown): { path: string; nul: boolean } | null {
  if (typeof value === 'string') {
    const bad = badText(value);
    return bad && { path: '', ...bad };
  }
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableText(value[i]);
      if (found) return { ...found, path: `[${i}]${found.path}` };
    }
    return null;
  }
  const members = value as Record<string, unknown>;
  for (const key in members) {
    if (!Object.hasOwn(members, key)) continue;
    const badKey = badText(key);
    const found = badKey ? { path: '', ...badKey } : unstorableText(members[key]);
    if (found) return { ...found, path: `.${key}${found.path}` };
  }
  return null;
}
