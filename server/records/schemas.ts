/**
 * Zod schemas of every record type (ARCHITECTURE.md, domain §3–§5), their inferred types, and the table
 * that marks each top-level field PUBLIC or PRIVATE for selective disclosure.
 *
 * Conventions, the same in every record:
 * - objects are strict: an unknown key is an error, at every level;
 * - calendar dates are `YYYY-MM-DD`; instants are ISO 8601 UTC with whole seconds, `YYYY-MM-DDTHH:mm:ssZ`
 *   (an instant maps exactly onto the EIP-712 `uint64` seconds);
 * - 32-byte hashes are `0x` + 64 lowercase hex digits (the form ethers uses for bytes32);
 * - text is 1..max characters with no leading or trailing whitespace, so that one value has one
 *   canonical form (a record's root commits to exact strings);
 * - the only normalising transform is the GTIN, stored as GTIN-14; `parseRecord` is idempotent.
 * Cross-record rules (a reply answers an existing request, delivered fields ⊆ approved fields,
 * a conditional item has a legal basis…) belong to the auditor, which must be able to see
 * violations; these schemas check the shape and the rules internal to one record.
 */
import { z } from 'zod';
import { RecordError, type RecordIssue } from './errors';
import { RESULT_UNITS } from '../standards/units';
import { RECORD_ID_PATTERN, REVOCATION_REASONS, type RecordType } from './record-types';

export { RECORD_ID_PATTERN, REVOCATION_REASONS, RECORD_TYPES, isRecordType, revocationReasonNumber, revocationReasonOf } from './record-types';
export type { RecordType, RevocationReason } from './record-types';
import {
  CMA_PATTERN,
  CNAS_LAB_PATTERN,
  GS1_LOT_PATTERN,
  gtinProblem,
  toGtin14,
  usccProblem,
} from './identifiers';

// ---------------------------------------------------------------------------
// Building blocks.


/** `0x` + 64 lowercase hex digits. */
export const BYTES32_PATTERN = /^0x[0-9a-f]{64}$/;

/** The `prevHash` of a department's first share record (seq 1): 32 zero bytes. */
export const GENESIS_PREV_HASH = `0x${'0'.repeat(64)}` as const;

/** Smallest instant accepted: instants are converted to uint64 seconds for EIP-712. */
const EPOCH = '1970-01-01T00:00:00Z';

const recordId = z.string().regex(RECORD_ID_PATTERN, {
  error: 'must be a record id: 1–64 letters, digits, "_" or "-" (e.g. a ULID or UUID)',
});

const bytes32 = z.string().regex(BYTES32_PATTERN, { error: 'must be 0x followed by 64 lowercase hex digits' });

const isoDate = z.iso.date({ error: 'must be a calendar date YYYY-MM-DD' });

const isoInstant = z.iso
  .datetime({ precision: 0, error: 'must be an ISO 8601 UTC time YYYY-MM-DDTHH:mm:ssZ (whole seconds, Z)' })
  .refine((s) => s >= EPOCH, { error: 'must not be before 1970-01-01T00:00:00Z' });

/** 1..max characters, no leading/trailing whitespace. */
function text(max: number) {
  return z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => s.trim() === s, { error: 'must not start or end with whitespace' });
}

const finiteNonNegative = z.number().finite().min(0, { error: 'must be ≥ 0' });
const finitePositive = z.number().finite().gt(0, { error: 'must be > 0' });
const count = z.number().int({ error: 'must be an integer' }).min(0, { error: 'must be ≥ 0' }).max(Number.MAX_SAFE_INTEGER);

const cmaNumber = z.string().regex(CMA_PATTERN, { error: 'CMA number must be 12 digits' });

const uscc = z.string().superRefine((s, ctx) => {
  const problem = usccProblem(s);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `unified social credit code ${problem}` });
});

const gtin = z
  .string()
  .superRefine((s, ctx) => {
    const problem = gtinProblem(s);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: `GTIN ${problem}` });
  })
  .transform(toGtin14);

const lot = z.string().regex(GS1_LOT_PATTERN, {
  error: 'lot must be 1–20 characters of the GS1 82-character set (letters, digits and !"%&\'()*+,-./:;<=>?_)',
});

/** A string key such as a product category or security level, owned by configuration. */
const key = z.string().regex(/^[a-z0-9-]{1,64}$/, { error: 'must be a key of 1–64 lowercase letters, digits or "-"' });

const phone = z.string().regex(/^\+?[0-9][0-9 -]{3,22}[0-9]$/, { error: 'must be a phone number (digits, spaces, "-", optional leading "+")' });

function uniqueList<T extends z.ZodType<string>>(item: T, min: number, max: number) {
  return z
    .array(item)
    .min(min, { error: `must list at least ${min}` })
    .max(max, { error: `must list at most ${max}` })
    .refine((xs) => new Set(xs).size === xs.length, { error: 'must not repeat an entry' });
}

/** A person acting for an organisation (personal data). */
const person = z.strictObject({
  name: text(100),
  title: text(100).optional(),
  phone: phone.optional(),
});

const department = z.strictObject({ name: text(200), uscc });

const period = z
  .strictObject({ from: isoInstant, to: isoInstant })
  .refine((p) => p.from <= p.to, { error: '"from" must not be after "to"', path: ['to'] });

const dateRange = z
  .strictObject({ from: isoDate, to: isoDate })
  .refine((p) => p.from <= p.to, { error: '"from" must not be after "to"', path: ['to'] });

/** Fields every record carries. */
const recordBase = {
  id: recordId,
  issuedAt: isoInstant,
};

/** Reusable field schemas (for log entries, bundles, HTTP params). */
export const RecordIdSchema = recordId;
export const Bytes32Schema = bytes32;
export const InstantSchema = isoInstant;
export const CalendarDateSchema = isoDate;
export const UsccSchema = uscc;
/** Accepts GTIN-8/12/13/14 with a valid check digit; outputs GTIN-14. */
export const GtinSchema = gtin;
export const LotSchema = lot;

// ---------------------------------------------------------------------------
// Batch (ARCHITECTURE.md, domain §4).

/** Units a batch or certificate quantity may use. */
export const QUANTITY_UNITS = ['kg', 'g', 't', 'L', 'mL', 'piece', 'package', 'box', 'bag'] as const;

/** Ways a 承诺达标合格证 commitment is backed. */
export const CERTIFICATE_BASES = ['self-control', 'self-test', 'commissioned-test'] as const;

const quantity = z.strictObject({ value: finitePositive, unit: z.enum(QUANTITY_UNITS) });

const origin = z
  .strictObject({
    countyCode: z.string().regex(/^\d{6}$/, { error: 'county code must be the 6-digit GB/T 2260 code' }),
    townCode: z.string().regex(/^\d{9}$/, { error: 'town code must be the 9-digit township code' }).optional(),
    name: text(200).optional(),
  })
  .refine((o) => o.townCode === undefined || o.townCode.startsWith(o.countyCode), {
    error: 'town code must start with the county code',
    path: ['townCode'],
  });

/** 承诺达标合格证: the public part (what is committed). */
const certificate = z.strictObject({
  productName: text(200),
  quantity,
  origin: text(200),
  issuedAt: isoInstant,
  commitments: z.array(text(500)).min(1, { error: 'must list at least one commitment' }).max(20),
  basis: uniqueList(z.enum(CERTIFICATE_BASES), 1, CERTIFICATE_BASES.length),
});

/** 承诺达标合格证: who commits and how to reach them (personal data for individual farmers). */
const certificateIssuer = z.strictObject({
  committingParty: text(200),
  committingPartyUscc: uscc.optional(),
  contactPerson: text(100).optional(),
  phone,
});

const batchShape = {
  ...recordBase,
  gtin: gtin.optional(),
  lot,
  producer: z.strictObject({ uscc, name: text(200) }),
  origin,
  productionDate: z.strictObject({ kind: z.enum(['harvest', 'production']), date: isoDate }),
  quantity,
  productCategory: key,
  reportIds: uniqueList(recordId, 0, 100),
  /** CMA numbers of the labs the producer commissions to test this batch: their reports count on it. */
  commissionedLabs: uniqueList(cmaNumber, 0, 20).optional(),
  certificate: certificate.optional(),
  certificateIssuer: certificateIssuer.optional(),
};

const certificatePair = {
  error: 'certificate and certificateIssuer go together: give both or neither',
  path: ['certificateIssuer'],
};

export const BatchSchema = z
  .strictObject(batchShape)
  .refine((b) => (b.certificate === undefined) === (b.certificateIssuer === undefined), certificatePair);

/** A batch as a producer submits it with its token: `producer` may be left out (the token's producer is recorded). */
export const BatchSubmissionSchema = z
  .strictObject({ ...batchShape, producer: batchShape.producer.optional() })
  .refine((b) => (b.certificate === undefined) === (b.certificateIssuer === undefined), certificatePair);

// ---------------------------------------------------------------------------
// Selenium test report (ARCHITECTURE.md, domain §3).

/** Units a selenium result may be reported in (declared once, with the standards). ASCII "ug" stands for µg. */
export const SELENIUM_UNITS = RESULT_UNITS;

export const SeleniumTestReportSchema = z
  .strictObject({
    ...recordBase,
    reportNumber: text(64),
    lab: z.strictObject({
      name: text(200),
      address: text(300),
      cmaNumber,
      cmaValidUntil: isoDate,
      cnasNumber: z.string().regex(CNAS_LAB_PATTERN, { error: 'CNAS number must look like "CNAS L1234"' }).optional(),
    }),
    client: z.strictObject({ name: text(200), address: text(300).optional(), phone: phone.optional() }),
    sample: z.strictObject({ id: text(64), name: text(200), state: text(300) }),
    sampling: z.strictObject({ by: text(100), method: text(200), date: isoDate, place: text(300) }),
    receivedDate: isoDate,
    testDates: dateRange,
    issueDate: isoDate,
    methodStandard: text(200),
    analyte: z.literal('Se', { error: 'analyte must be "Se"' }),
    result: finiteNonNegative,
    unit: z.enum(SELENIUM_UNITS),
    lod: finiteNonNegative,
    loq: finiteNonNegative,
    uncertainty: z.strictObject({ value: finiteNonNegative, k: finitePositive }),
    specificationStandard: text(200),
    conclusion: text(1000),
    signatories: z.strictObject({ tester: text(100), reviewer: text(100), approver: text(100) }),
    reportPdfSha256: bytes32,
    batchId: recordId,
  })
  .superRefine((r, ctx) => {
    const order: [string, string, string, string][] = [
      ['sampling.date', r.sampling.date, 'receivedDate', r.receivedDate],
      ['receivedDate', r.receivedDate, 'testDates.from', r.testDates.from],
      ['testDates.to', r.testDates.to, 'issueDate', r.issueDate],
      ['issueDate', r.issueDate, 'lab.cmaValidUntil', r.lab.cmaValidUntil],
    ];
    for (const [earlierName, earlier, laterName, later] of order) {
      if (earlier > later) {
        ctx.addIssue({ code: 'custom', path: laterName.split('.'), message: `${laterName} ${later} is before ${earlierName} ${earlier}` });
      }
    }
    if (r.lod > r.loq) ctx.addIssue({ code: 'custom', path: ['loq'], message: `loq ${r.loq} is below lod ${r.lod}` });
  });

// ---------------------------------------------------------------------------
// Data-sharing trail (ARCHITECTURE.md, domain §5). Each step is signed by one department and carries that
// department's own sequence number and the leaf hash of its previous record (prevHash), so a
// gap or a rewrite in a department's sequence is visible.

/** Catalogue share classes: 无条件共享, 有条件共享, 不予共享. */
export const SHARE_CLASSES = ['unconditional', 'conditional', 'not-shared'] as const;

/** How data is shared. */
export const SHARE_METHODS = ['api', 'table', 'file', 'check-only', 'model'] as const;

/** The four steps of a share, in order. */
export const SHARE_STEPS = ['request', 'reply', 'delivery', 'receipt'] as const;

const fieldName = text(128);

const shareBase = {
  ...recordBase,
  /** The signing department's id in the participant registry (e.g. its USCC, or a bytes32 participant id as hex). */
  departmentId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, {
    error: 'departmentId must be 1–128 letters, digits, ".", "_", ":" or "-"',
  }),
  seq: z.number().int({ error: 'seq must be an integer' }).min(1, { error: 'seq must be ≥ 1' }).max(Number.MAX_SAFE_INTEGER),
  prevHash: bytes32,
  requestingDepartment: department,
  providingDepartment: department,
  catalogueItem: z.strictObject({ id: text(64), version: text(32) }),
};

function checkSequence(r: { seq: number; prevHash: string }, ctx: z.RefinementCtx): void {
  if (r.seq === 1 && r.prevHash !== GENESIS_PREV_HASH) {
    ctx.addIssue({ code: 'custom', path: ['prevHash'], message: 'prevHash of seq 1 must be 32 zero bytes' });
  }
  if (r.seq > 1 && r.prevHash === GENESIS_PREV_HASH) {
    ctx.addIssue({ code: 'custom', path: ['prevHash'], message: `prevHash of seq ${r.seq} must be the previous record's leaf hash, not zero` });
  }
}

/** Step 1, signed by the requesting department. */
export const ShareRequestSchema = z
  .strictObject({
    ...shareBase,
    step: z.literal('request'),
    shareClass: z.enum(SHARE_CLASSES),
    legalBasis: text(1000).optional(),
    purpose: text(1000),
    scenario: text(1000),
    fieldsRequested: uniqueList(fieldName, 1, 500),
    scope: text(1000),
    method: z.enum(SHARE_METHODS),
    validity: period,
    requestedAt: isoInstant,
    securityLevel: key,
    requestingOfficer: person,
  })
  .superRefine(checkSequence);

/** Step 2, signed by the providing department: approve (with terms) or refuse (with a reason). */
export const ShareReplySchema = z
  .strictObject({
    ...shareBase,
    step: z.literal('reply'),
    requestId: recordId,
    reply: z.strictObject({
      time: isoInstant,
      decision: z.enum(['approve', 'refuse']),
      refusalReason: text(1000).optional(),
    }),
    fieldsApproved: uniqueList(fieldName, 0, 500),
    conditions: text(1000).optional(),
    method: z.enum(SHARE_METHODS).optional(),
    validity: period.optional(),
    securityLevel: key,
    providingOfficer: person,
  })
  .superRefine(checkSequence)
  .superRefine((r, ctx) => {
    if (r.reply.decision === 'refuse') {
      if (r.reply.refusalReason === undefined) ctx.addIssue({ code: 'custom', path: ['reply', 'refusalReason'], message: 'a refusal must state its reason' });
      if (r.fieldsApproved.length > 0) ctx.addIssue({ code: 'custom', path: ['fieldsApproved'], message: 'a refusal approves no fields' });
    } else {
      if (r.reply.refusalReason !== undefined) ctx.addIssue({ code: 'custom', path: ['reply', 'refusalReason'], message: 'an approval has no refusal reason' });
      if (r.fieldsApproved.length === 0) ctx.addIssue({ code: 'custom', path: ['fieldsApproved'], message: 'an approval must list the approved fields' });
      if (r.method === undefined) ctx.addIssue({ code: 'custom', path: ['method'], message: 'an approval must state the method' });
      if (r.validity === undefined) ctx.addIssue({ code: 'custom', path: ['validity'], message: 'an approval must state the validity period' });
    }
  });

const deliveredData = {
  dataSha256: bytes32,
  rowCount: count,
};

/** Step 3, signed by the providing department: what was delivered (hash and size only, never the data). */
export const ShareDeliverySchema = z
  .strictObject({
    ...shareBase,
    step: z.literal('delivery'),
    requestId: recordId,
    replyId: recordId,
    fieldsDelivered: uniqueList(fieldName, 1, 500),
    method: z.enum(SHARE_METHODS),
    delivery: z.strictObject({ ...deliveredData, deliveredAt: isoInstant }),
    providingOfficer: person,
  })
  .superRefine(checkSequence);

/** Step 4, signed by the requesting department: the countersignature of what it received. */
export const ShareReceiptSchema = z
  .strictObject({
    ...shareBase,
    step: z.literal('receipt'),
    requestId: recordId,
    deliveryId: recordId,
    received: z.strictObject({ ...deliveredData, receivedAt: isoInstant }),
    requestingOfficer: person,
  })
  .superRefine(checkSequence);

/** Any share step, told apart by `step`. */
export const ShareRecordSchema = z.discriminatedUnion('step', [
  ShareRequestSchema,
  ShareReplySchema,
  ShareDeliverySchema,
  ShareReceiptSchema,
]);

// ---------------------------------------------------------------------------
// Revocation.

export const RevocationSchema = z.strictObject({
  ...recordBase,
  targetRecordId: recordId,
  targetLeafHash: bytes32,
  reasonCode: z.enum(REVOCATION_REASONS),
  reasonText: text(1000),
  revokedAt: isoInstant,
});

// ---------------------------------------------------------------------------
// Lab commission: the batch's producer commissions a lab after registering the batch, so the lab's
// reports count on it (ARCHITECTURE.md, "Trust model": a report counts on a batch by consent).

export const LabCommissionSchema = z.strictObject({
  ...recordBase,
  batchId: recordId,
  labCmaNumber: cmaNumber,
});

// ---------------------------------------------------------------------------
// Types and the registry of record types.

export type Batch = z.output<typeof BatchSchema>;
export type BatchInput = z.input<typeof BatchSchema>;
export type SeleniumTestReport = z.output<typeof SeleniumTestReportSchema>;
export type SeleniumTestReportInput = z.input<typeof SeleniumTestReportSchema>;
export type ShareRequest = z.output<typeof ShareRequestSchema>;
export type ShareReply = z.output<typeof ShareReplySchema>;
export type ShareDelivery = z.output<typeof ShareDeliverySchema>;
export type ShareReceipt = z.output<typeof ShareReceiptSchema>;
export type ShareRecord = z.output<typeof ShareRecordSchema>;
export type ShareStep = (typeof SHARE_STEPS)[number];
export type Revocation = z.output<typeof RevocationSchema>;
export type LabCommission = z.output<typeof LabCommissionSchema>;
export type ShareClass = (typeof SHARE_CLASSES)[number];
export type ShareMethod = (typeof SHARE_METHODS)[number];
export type SeleniumUnit = (typeof SELENIUM_UNITS)[number];

/** The record of each type. */
export interface RecordTypeMap {
  Batch: Batch;
  SeleniumTestReport: SeleniumTestReport;
  ShareRequest: ShareRequest;
  ShareReply: ShareReply;
  ShareDelivery: ShareDelivery;
  ShareReceipt: ShareReceipt;
  Revocation: Revocation;
  LabCommission: LabCommission;
}
export type RecordOf<T extends RecordType> = RecordTypeMap[T];
export type AnyRecord = RecordTypeMap[RecordType];

/** The schema of each record type. */
export const RECORD_SCHEMAS = {
  Batch: BatchSchema,
  SeleniumTestReport: SeleniumTestReportSchema,
  ShareRequest: ShareRequestSchema,
  ShareReply: ShareReplySchema,
  ShareDelivery: ShareDeliverySchema,
  ShareReceipt: ShareReceiptSchema,
  Revocation: RevocationSchema,
  LabCommission: LabCommissionSchema,
} as const satisfies { [T in RecordType]: z.ZodType<RecordOf<T>> };

const SCHEMA_BY_TYPE: { readonly [T in RecordType]: z.ZodType<RecordOf<T>> } = RECORD_SCHEMAS;

/** The record type of a share step. */
export const SHARE_STEP_TYPES = {
  request: 'ShareRequest',
  reply: 'ShareReply',
  delivery: 'ShareDelivery',
  receipt: 'ShareReceipt',
} as const satisfies Record<ShareStep, RecordType>;

/**
 * Validates `input` as a record of `type` and returns the normalised record (GTIN as GTIN-14,
 * optional members that were `undefined` removed, so the result is plain JSON).
 * Throws `RecordError('invalid-record')` whose message and `issues` name every problem.
 */
export function parseRecord<T extends RecordType>(type: T, input: unknown): RecordOf<T> {
  const schema = SCHEMA_BY_TYPE[type];
  const parsed = schema.safeParse(input, { error: requiredFieldMessage });
  if (!parsed.success) throw invalidRecord(type, parsed.error);
  return dropUndefined(parsed.data) as RecordOf<T>;
}

/** Validates any share step (dispatching on `step`) and returns it with its record type. */
export function parseShareRecord(input: unknown): { type: (typeof SHARE_STEP_TYPES)[ShareStep]; record: ShareRecord } {
  const step = typeof input === 'object' && input !== null ? (input as { step?: unknown }).step : undefined;
  if (typeof step !== 'string' || !(SHARE_STEPS as readonly string[]).includes(step)) {
    throw new RecordError('invalid-record', `invalid share record: step must be one of ${SHARE_STEPS.join(', ')}`, {
      issues: [{ path: 'step', message: `must be one of ${SHARE_STEPS.join(', ')}` }],
    });
  }
  const type = SHARE_STEP_TYPES[step as ShareStep];
  return { type, record: parseRecord(type, input) };
}

/** zod error map used by every parse here: a missing member reads "is required". */
export function requiredFieldMessage(issue: { code?: string; input?: unknown }): string | undefined {
  return issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;
}

/** zod issues as `{ path: 'lab.cmaNumber', message }`, unknown keys spelled out. */
export function toRecordIssues(error: z.ZodError): RecordIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => JSON.stringify(k)).join(', ');
      return { path, message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}` };
    }
    return { path, message: issue.message };
  });
}

/** One line naming every issue. */
export function summariseIssues(issues: readonly RecordIssue[]): string {
  return issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
}

function invalidRecord(type: RecordType, error: z.ZodError): RecordError {
  const issues = toRecordIssues(error);
  return new RecordError('invalid-record', `invalid ${type}: ${summariseIssues(issues)}`, { issues, cause: error });
}

function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropUndefined);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = dropUndefined(v);
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------
// Visibility.

/**
 * PUBLIC fields are disclosed to anyone who scans or holds a proof bundle; PRIVATE fields
 * (personal data, client names, trade secrets) are withheld, yet the record root still
 * commits to them through their salted leaves.
 */
export type Visibility = 'public' | 'private';

/** Every top-level field of every record type, marked. The mapped type makes a missing field a compile error. */
export type VisibilityTable = { readonly [T in RecordType]: { readonly [K in keyof RecordOf<T>]-?: Visibility } };

const shareBaseVisibility = {
  id: 'public',
  issuedAt: 'public',
  departmentId: 'public',
  seq: 'public',
  prevHash: 'public',
  requestingDepartment: 'public',
  providingDepartment: 'public',
  catalogueItem: 'public',
} as const;

export const VISIBILITY: VisibilityTable = {
  Batch: {
    id: 'public',
    issuedAt: 'public',
    gtin: 'public',
    lot: 'public',
    producer: 'public', // a registered business: name and USCC are public registry data
    origin: 'public',
    productionDate: 'public',
    quantity: 'public', // printed on the 合格证; bounds how many labels a batch can carry
    productCategory: 'public',
    reportIds: 'public',
    commissionedLabs: 'public', // which labs may report on the batch: the consumer's verifier needs it
    certificate: 'public',
    certificateIssuer: 'private', // committing party may be an individual farmer; phone
  },
  SeleniumTestReport: {
    id: 'public',
    issuedAt: 'public',
    reportNumber: 'public', // the regulator's public lookup is by report number
    lab: 'public',
    client: 'private', // client name and contact
    sample: 'public',
    sampling: 'private', // names the sampler
    receivedDate: 'public',
    testDates: 'public',
    issueDate: 'public',
    methodStandard: 'public',
    analyte: 'public',
    result: 'public',
    unit: 'public',
    lod: 'public',
    loq: 'public',
    uncertainty: 'public',
    specificationStandard: 'public',
    conclusion: 'public',
    signatories: 'private', // names of tester, reviewer, approver
    reportPdfSha256: 'public',
    batchId: 'public',
  },
  ShareRequest: {
    ...shareBaseVisibility,
    step: 'public',
    shareClass: 'public',
    legalBasis: 'public',
    purpose: 'public',
    scenario: 'public',
    fieldsRequested: 'public',
    scope: 'public',
    method: 'public',
    validity: 'public',
    requestedAt: 'public',
    securityLevel: 'public',
    requestingOfficer: 'private',
  },
  ShareReply: {
    ...shareBaseVisibility,
    step: 'public',
    requestId: 'public',
    reply: 'public',
    fieldsApproved: 'public',
    conditions: 'public',
    method: 'public',
    validity: 'public',
    securityLevel: 'public',
    providingOfficer: 'private',
  },
  ShareDelivery: {
    ...shareBaseVisibility,
    step: 'public',
    requestId: 'public',
    replyId: 'public',
    fieldsDelivered: 'public',
    method: 'public',
    delivery: 'public', // WARNING: for tiny payloads (check-only answers) the hash is guessable
    providingOfficer: 'private',
  },
  ShareReceipt: {
    ...shareBaseVisibility,
    step: 'public',
    requestId: 'public',
    deliveryId: 'public',
    received: 'public',
    requestingOfficer: 'private',
  },
  Revocation: {
    id: 'public',
    issuedAt: 'public',
    targetRecordId: 'public',
    targetLeafHash: 'public',
    reasonCode: 'public',
    reasonText: 'public',
    revokedAt: 'public',
  },
  LabCommission: {
    id: 'public',
    issuedAt: 'public',
    batchId: 'public',
    labCmaNumber: 'public',
  },
};

/** Every top-level field name a record of `type` may have (optional ones included), sorted. */
export function fieldNamesOf(type: RecordType): string[] {
  return Object.keys(VISIBILITY[type]).sort();
}

/** The PUBLIC top-level field names of `type`, sorted (the order of the field tree). */
export function publicFieldNames(type: RecordType): string[] {
  const table: Readonly<Record<string, Visibility>> = VISIBILITY[type];
  return Object.keys(table)
    .filter((name) => table[name] === 'public')
    .sort();
}
