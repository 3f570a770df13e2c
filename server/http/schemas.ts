/** zod schemas of what the API reads from requests: path parameters, query strings and JSON bodies. */
import { z } from 'zod';
import { isAddress } from '../chain/keys';
import { AppError } from '../errors';
import { BatchSubmissionSchema, CMA_PATTERN, CalendarDateSchema, GtinSchema, InstantSchema, REVOCATION_REASONS, RecordIdSchema, SHARE_STEP_TYPES, SeleniumTestReportSchema, ShareRecordSchema, UsccSchema, summariseIssues, toRecordIssues } from '../records';
import { LOG_IDS, TOKEN_ROLES, type LogId } from '../store/types';
import { component, invalidInput } from './contract';

/** Refuses U+0000 in a string the API keeps or looks up: PostgreSQL's text refuses it (a 500 before), and no name, label or term holds one. */
const NO_NUL = [(s: string) => !s.includes('\u0000'), { error: 'must not contain U+0000 (a NUL character)' }] as const;

const text = (max: number) =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => s.trim() === s, { error: 'must not start or end with whitespace' })
    .refine(...NO_NUL);

/** A participant named by its id or its code, as a body gives it. */
const participantRef = z.string().min(1).refine(...NO_NUL);

/** A calendar date (YYYY-MM-DD, midnight UTC) or an ISO 8601 instant, as seconds since the epoch. */
const timeOnly = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'must be a date YYYY-MM-DD or an ISO 8601 time' })
  .transform((s) => Math.floor(Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s) / 1000));

const time = timeOnly.meta({ description: 'A calendar date YYYY-MM-DD (midnight UTC) or an ISO 8601 time.', examples: ['2026-01-01', '2026-01-01T08:00:00+08:00'] });

const address = z.string().refine((s) => isAddress(s), { error: 'must be a 0x address of 40 hex digits' });

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, { error: 'must be 0x followed by 64 hex digits' });

export const RecordIdParams = z.object({ id: RecordIdSchema });
export const BatchBody = component(
  'BatchInput',
  BatchSubmissionSchema.describe("A batch (ARCHITECTURE.md, domain §4). GTINs are stored as GTIN-14. `producer` left out: the token's producer, as registered; given: it must be that producer's USCC and registered name (else producer-mismatch, 403)."),
);
export const CommissionBody = z.strictObject({ labCmaNumber: z.string().regex(CMA_PATTERN, { error: 'CMA number must be 12 digits' }).describe("The lab's CMA number.") });
export const SpotCheckBody = z.strictObject({ from: InstantSchema.optional(), until: InstantSchema });
export const RevocationParams = z.object({ recordId: RecordIdSchema });
const participantId = bytes32.describe('keccak256("traceledger:{kind}:{code}").');
export const ParticipantParams = z.object({ id: participantId });
export const ParticipantKeyParams = z.object({ id: participantId, address });
export const TokenParams = z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be the 64 lower-case hex digits of the token hash' }) });

/** A search term: what a person types into a search box. */
const searchText = z.string().trim().min(1, { error: 'must not be empty' }).max(100, { error: 'must be at most 100 characters' }).refine(...NO_NUL);

export const BatchListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().optional().describe('The `next` cursor of the previous page.'),
  producer: z.string().optional().describe("A producer's participant id or unified social credit code."),
  order: z.enum(['asc', 'desc']).default('asc').describe('Oldest first (default) or newest first.'),
  q: searchText.optional().describe('Search (public fields only): part of the lot, id, GTIN or product name. Without a token, needs producer or gtin.'),
  lot: searchText.optional().describe('Part of the lot number.'),
  gtin: GtinSchema.optional().describe("A GTIN's batches."),
  category: z.string().regex(/^[a-z0-9-]{1,64}$/, { error: 'must be a category key such as tea' }).optional().describe('A product category key, e.g. tea.'),
  from: CalendarDateSchema.optional().describe('Harvest or production date from (inclusive), YYYY-MM-DD.'),
  to: CalendarDateSchema.optional().describe('Harvest or production date to (inclusive), YYYY-MM-DD.'),
});

const flag = z
  .enum(['1', '0', 'true', 'false'], { error: 'must be 1, 0, true or false' })
  .optional()
  .transform((v) => v === '1' || v === 'true');

export const ImportQuery = z.object({ partial: flag });
export const BundleQuery = z.object({ download: flag.describe('Answer as an attachment.') });
export const ParticipantListQuery = z.object({ kind: z.enum(['lab', 'producer', 'department']).optional() });

/** A record as its signer's tooling sends it: the fields, every field's salt, and the EIP-712 signature. */
export const SignedRecordBody = z.strictObject({
  record: z.record(z.string(), z.unknown()),
  salts: z.record(z.string(), z.string()).describe('The 16-byte salt (hex) of every field, as the signer committed them.'),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, { error: 'must be a 65-byte signature, 0x + 130 hex digits' }).describe('EIP-712 signature over the record and its root.'),
});

/** A record body's refusal as the record layer words it: 400 invalid-record naming every issue, with `details.issues`. */
export function recordRefusal(what: string, err: z.ZodError): AppError {
  const issues = toRecordIssues(err);
  return new AppError('invalid-record', `invalid ${what}: ${summariseIssues(issues)}`, { issues }, { cause: err });
}

/**
 * A signed body's refusal: invalid-record when only the record's own fields fail their schema; invalid-input when the
 * envelope does (salts, signature, type) or the record is no object or names no known step (its type is unknown).
 */
export const signedBodyRefusal =
  (what: string) =>
  (err: z.ZodError): AppError => {
    const recordOnly = err.issues.every((i) => i.path[0] === 'record' && i.path.length > 1 && !(i.path.length === 2 && i.path[1] === 'step'));
    if (!recordOnly) return invalidInput(err);
    return recordRefusal(what, new z.ZodError(err.issues.map((i) => ({ ...i, path: i.path.slice(1) }))));
  };

/** A signed report, as `traceledger sign-report` writes it (its `type`, when present, must be SeleniumTestReport). */
export const ReportBody = component(
  'SignedReport',
  SignedRecordBody.extend({
    type: z.literal('SeleniumTestReport').optional().describe('Optional, as `traceledger sign-report` writes it.'),
    record: component('SeleniumTestReport', SeleniumTestReportSchema.describe('A selenium test report (DOMAIN.md §3).')),
  }),
);

/**
 * What POST /api/v1/reports checks of a {@link ReportBody} on the event loop: the envelope, the record only an object. The
 * signature threads validate the record with its schema before anything else (verify-submission.ts), refusing it as
 * `signedBodyRefusal` would (400 invalid-record naming every issue); a body failing the envelope is refused as ReportBody
 * refuses it.
 */
export const ReportEnvelope = SignedRecordBody.extend({ type: z.literal('SeleniumTestReport').optional() });

const SIGNATURE_HEX = /^0x[0-9a-fA-F]{130}$/;

/** A plain JSON object (as JSON.parse makes it) without an own `__proto__` member, whose copy by zod would differ. */
const isPlainJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype && !Object.hasOwn(v, '__proto__');

/**
 * ReportEnvelope's output for a body that certainly passes it, checked by hand: undefined when it may not, and zod then
 * decides (and words any refusal). The envelope's zod parse copied the record's and the salts' members, ~10 kB of
 * short-lived objects and 6-7 µs of the event loop a report; this check copies nothing. test/server/http/schemas.test.ts
 * holds it to zod's answer over valid bodies and their mutations.
 */
export function plainReportEnvelope(value: unknown): z.output<typeof ReportEnvelope> | undefined {
  if (!isPlainJsonObject(value)) return undefined;
  let members = 0;
  for (const key in value) {
    if (key !== 'record' && key !== 'salts' && key !== 'signature' && key !== 'type') return undefined;
    members++;
  }
  const { record, salts, signature, type } = value;
  const typed = Object.hasOwn(value, 'type');
  if (members !== (typed ? 4 : 3) || (typed && type !== 'SeleniumTestReport')) return undefined;
  if (!isPlainJsonObject(record) || !isPlainJsonObject(salts) || typeof signature !== 'string' || !SIGNATURE_HEX.test(signature)) return undefined;
  for (const key in salts) if (typeof salts[key] !== 'string') return undefined;
  return value as z.output<typeof ReportEnvelope>;
}

/** Most reports POST /api/v1/reports/bulk takes in one request (the JSON body limit, 256 kB, applies too). */
export const MAX_BULK_REPORTS = 100;

/** Many signed reports in one request: each is checked, and answered, on its own (so each item is read as the single route's body). */
export const BulkReportsBody = z.strictObject({
  reports: z
    .array(z.unknown())
    .min(1)
    .max(MAX_BULK_REPORTS)
    .describe(`1 to ${MAX_BULK_REPORTS} bodies of POST /api/v1/reports (SignedReport), each checked on its own: a malformed one is refused alone.`),
});

export const RevocationBody = z.strictObject({
  recordId: RecordIdSchema,
  reason: z.enum(REVOCATION_REASONS),
});

/** A lab's signed revocation of its own report (RevocationRegistry.revokeWithSignature), relayed by the operator. */
export const SignedRevocationBody = z.strictObject({
  recordId: RecordIdSchema,
  reason: z.enum(REVOCATION_REASONS),
  deadline: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .describe('Unix seconds: the last second the signature may be sent; signed with the revocation.'),
  signature: z
    .string()
    .regex(/^0x[0-9a-fA-F]{130}$/, { error: 'must be a 65-byte signature, 0x + 130 hex digits' })
    .describe(
      'EIP-712 signature of Revocation(bytes32 leafHash,uint16 reasonCode,uint64 deadline) in the domain { name "traceledger", version "1", chainId, verifyingContract: the RevocationRegistry } (GET /chain), by a key of the lab that signed the report; reasonCode is the index of `reason` in the reasons list.',
    ),
});

export const KeyBody = z
  .strictObject({ address, validFrom: time, validTo: time })
  .refine((k) => k.validFrom < k.validTo, { error: 'validFrom must be before validTo', path: ['validTo'] });

const keys = z
  .array(KeyBody)
  .max(10, { error: 'at most 10 keys at a time' })
  .refine((ks) => new Set(ks.map((k) => k.address.toLowerCase())).size === ks.length, { error: 'must not repeat an address' })
  .optional();

export const ParticipantBody = component('NewParticipant', z.discriminatedUnion('kind', [
  z
    .strictObject({
      kind: z.literal('lab'),
      name: text(200),
      cmaNumber: z.string().regex(CMA_PATTERN, { error: 'CMA number must be 12 digits' }),
      accreditedFrom: time,
      accreditedUntil: time,
      keys,
    })
    .refine((l) => l.accreditedFrom < l.accreditedUntil, { error: 'accreditedFrom must be before accreditedUntil', path: ['accreditedUntil'] }),
  z.strictObject({ kind: z.literal('producer'), name: text(200), uscc: UsccSchema, keys }),
  z.strictObject({ kind: z.literal('department'), name: text(200), uscc: UsccSchema, keys }),
]));

/**
 * A product key to assign: a GS1 company prefix (`key`, 6-12 digits, GTIN-13 form) or one GTIN (`gtin`, GTIN-8/12/13/14
 * with a valid check digit), normalised to the key the contract takes (a GTIN becomes its GTIN-14).
 */
export const ProductKeyBody = z
  .union([
    z.strictObject({ key: z.string().regex(/^\d{6,12}$/, { error: 'a GS1 company prefix is 6 to 12 digits (GTIN-13 form: without the GTIN-14 indicator digit)' }) }),
    z.strictObject({ gtin: GtinSchema }),
  ], { error: 'send { "key": "<company prefix>" } or { "gtin": "<GTIN>" }' })
  .transform((b) => ('key' in b ? b.key : b.gtin));

export const TokenBody = z
  .strictObject({
    role: z.enum(TOKEN_ROLES).default('producer').describe('What the token may do (default producer). The registrar issues producer, lab and department tokens; only the operator the others.'),
    participantId: participantRef.optional().describe('The participant a producer, lab or department token acts for: its participant id, or its code (USCC, CMA number).'),
    producerId: participantRef.optional().describe('A producer token\'s producer (participant id or USCC): the same as participantId, kept for older clients.'),
    label: text(100),
  })
  .refine((b) => b.producerId === undefined || (b.role === 'producer' && b.participantId === undefined), { error: 'producerId is for a producer token, instead of participantId', path: ['producerId'] });

// ---------------------------------------------------------------------------
// Data-sharing trails.

/** A share step as its department's tooling sends it; the record type follows from `record.step` (`type` may repeat it). */
export const ShareBody = component(
  'SignedShare',
  SignedRecordBody.extend({
    type: z.enum(Object.values(SHARE_STEP_TYPES) as [string, ...string[]]).optional().describe('Optional: must be the type `record.step` implies.'),
    record: component('ShareRecord', ShareRecordSchema.describe('A share step (DOMAIN.md §5): request, reply, delivery or receipt, told apart by `step`.')),
  }),
);

/** A department: its participant id (0x + 64 hex digits) or its unified social credit code. */
export const DepartmentParams = z.object({ id: z.string().min(1).max(66).describe("The department's participant id (0x + 64 hex digits) or unified social credit code.") });

const seqNumber = z.coerce.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' }).min(1).max(Number.MAX_SAFE_INTEGER);

export const TrailQuery = z
  .object({ from: seqNumber.optional().describe('First seq (inclusive).'), to: seqNumber.optional().describe('Last seq (inclusive).'), limit: z.coerce.number().int().min(1).max(10_000).default(1000) })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { error: 'from must not be greater than to', path: ['to'] });

export const AlertQuery = z.object({
  department: z.string().min(1).max(66).optional().describe('Only the alerts this department answers for: its participant id or unified social credit code.'),
});

/** When an audit period starts or ends: a date YYYY-MM-DD (a whole day, UTC) or an ISO 8601 time. */
const periodBound = z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'must be a date YYYY-MM-DD or an ISO 8601 time' });

export const AuditReportQuery = z
  .object({
    from: periodBound.optional().describe('Start of the period (inclusive): a date YYYY-MM-DD (00:00 UTC) or an ISO 8601 time. Default: the first record.'),
    to: periodBound.optional().describe('End of the period (inclusive): a date YYYY-MM-DD covers its whole day (UTC); or an ISO 8601 time. Default: now.'),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .transform((q) => ({
    format: q.format,
    /** Inclusive start. */
    fromMs: q.from === undefined ? undefined : Date.parse(q.from.length === 10 ? `${q.from}T00:00:00Z` : q.from),
    /** Exclusive end: a date `to` covers its whole day. */
    toMs: q.to === undefined ? undefined : q.to.length === 10 ? Date.parse(`${q.to}T00:00:00Z`) + 86_400_000 : Date.parse(q.to) + 1,
  }));

/** The hash (and optionally the row count) of a dataset in hand. */
export const DeliveryCheckBody = z.strictObject({
  sha256: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, { error: 'must be 64 hex digits (0x optional)' }),
  rowCount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

export const DeliveryCheckQuery = z.object({ rowCount: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('With an upload: the row count to compare too.') });

export const LogParams = z.object({ logId: z.enum(LOG_IDS as [LogId, ...LogId[]], { error: `must be one of ${LOG_IDS.join(', ')}` }) });

const treeSize = z.coerce.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' }).min(0).max(Number.MAX_SAFE_INTEGER);

export const InclusionQuery = z.object({ index: treeSize, size: treeSize.min(1) });
export const ConsistencyQuery = z.object({ size1: treeSize, size2: treeSize });
