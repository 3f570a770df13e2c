/** zod schemas of what the API answers, shared by the route contracts and named as components of /openapi.json. */
import { z } from 'zod';
import { REVOCATION_REASONS, RECORD_TYPES } from '../records';
import { AUDIT_REPORT_FORMAT } from '../service/audit-report';
import { TOKEN_ROLES } from '../service/tokens';
import { ALERT_KINDS, RECEIPT_FORMAT, TRAIL_STEPS } from '../trails';
import { ErrorBodySchema, component } from './contract';

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const isoTime = z.iso.datetime({ offset: true });
const int = z.number().int();
const logId = z.enum(['products', 'data-sharing']);
const recordType = z.enum(RECORD_TYPES);
const reason = z.enum([...REVOCATION_REASONS, 'unknown']);

export const Health = component(
  'Health',
  z.object({
    status: z.enum(['ok', 'degraded']),
    chain: z.object({
      ok: z.boolean(),
      block: int.nullable(),
      error: z.string().optional(),
      node: z.enum(['running', 'restarting', 'stopped']).optional().describe('The embedded chain node (absent with RPC_URL): restarting after it died, error says so.'),
      durableBlock: int.optional().describe('Head block of the last save of the embedded chain state.'),
    }),
    store: z
      .object({ ok: z.boolean(), error: z.string().optional(), diskFreeMb: int.optional().describe('free MB on the file system holding DATA_DIR') })
      .describe('not ok when the store does not answer, a write failed with a storage fault since the last successful one, or DATA_DIR has less than DISK_FREE_MIN_MB free'),
    anchoring: z.object({ ok: z.boolean(), lagSeconds: z.number().optional(), lastError: z.string().optional() }),
    instance: z
      .object({ id: z.string(), leader: z.boolean(), leaderId: z.string().nullable(), term: int.nullable() })
      .optional()
      .describe("This server instance among those sharing its database: whether it is the anchoring leader (it sequences, anchors and follows the chain), and who is. With SQLite the one instance always leads."),
    threads: z
      .object({
        signatures: z.object({
          threads: int.describe('Threads set to check signatures (INGEST_THREADS); 0: on the main thread, as configured.'),
          onMainThread: z.boolean().describe('True when signatures are checked on the main thread, as configured or because the threads could not start.'),
          stopped: int.describe('Signature threads that stopped and were replaced since the start.'),
          refused: int.describe('Submissions those threads held, refused as unavailable (nothing stored; they can be sent again).'),
          lastFailure: z.object({ at: z.string(), error: z.string() }).optional(),
        }),
        chainStateSaves: z.object({ onMainThread: z.boolean() }).optional().describe('The embedded chain (absent with RPC_URL): true when its state is saved on the main thread because the writing thread could not start.'),
        walCheckpoints: z.object({ onMainThread: z.boolean() }).optional().describe("SQLite (absent with PostgreSQL): true when the database's WAL is checkpointed on the main thread because the checkpoint thread could not start."),
        warning: z.string().optional(),
      })
      .optional()
      .describe('Where the work kept off the event loop runs. A fallback to the main thread is slower with the same answers, and a stopped thread is replaced: neither makes the status degraded; warning says what happened.'),
  }),
);

export const ChainInfo = z.object({
  chainId: int,
  traceLedger: z.string(),
  participantRegistry: z.string(),
  revocationRegistry: z.string(),
  deployedAt: z.unknown(),
  eip712Domain: z.object({ name: z.string(), version: z.string(), chainId: int, verifyingContract: z.string() }),
  publicRpcUrl: z.string().nullable(),
});

export const Receipt = component(
  'Receipt',
  z
    .object({
      format: z.literal(RECEIPT_FORMAT),
      logId,
      recordId: z.string(),
      leafIndex: int,
      leafHash: hex32,
      logSize: int,
      issuedAt: isoTime,
      chainId: int,
      traceLedger: z.string(),
      signature: z.string(),
    })
    .describe(`${RECEIPT_FORMAT}: the operator's EIP-712 signature (domain traceledger, struct Receipt) that the record sits at leafIndex with leafHash.`),
);

export const Acceptance = component(
  'Acceptance',
  z.object({
    id: z.string(),
    type: recordType,
    logId,
    recordRoot: hex32,
    leafHash: hex32,
    signer: z.string(),
    status: z.literal('accepted'),
    receipt: Receipt.nullable()
      .optional()
      .describe("Share steps only: the operator's signed receipt; null when the record was not sequenced within a second (ask GET /api/v1/shares/{id}/receipt)."),
  }),
);

/** One report's outcome in a bulk submission: its place in the request, its status as the single route would answer it, and that answer. */
export const BulkReportOutcome = component(
  'BulkReportOutcome',
  z.object({
    index: int.describe('Its position in `reports` (0-based).'),
    status: int.describe('The status POST /api/v1/reports would have answered for it alone: 201 accepted, else its refusal (400, 403, 409, 422, 503…).'),
    location: z.string().optional().describe('Accepted: the URL of the report.'),
    acceptance: Acceptance.optional().describe('Accepted: durably stored, waiting to be anchored.'),
    error: ErrorBodySchema.shape.error.optional().describe('Refused: the error the single route would have answered.'),
  }),
);

export const BulkReportOutcomes = component(
  'BulkReportOutcomes',
  z.object({
    accepted: int.describe('How many were accepted (durably stored).'),
    refused: int,
    results: z.array(BulkReportOutcome).describe('One per report, in the order sent.'),
  }),
);

export const Checkpoint = component(
  'Checkpoint',
  z.object({ size: int, root: hex32, txHash: z.string().nullable(), blockNumber: int.nullable(), blockTime: isoTime.nullable() }),
);

const revocationParts = {
  by: z.enum(['issuer', 'regulator']),
  reason,
  reasonCode: int,
  revokedAt: isoTime,
  revokedBy: z.string().describe('The address that sent the revocation.'),
  participantId: hex32.nullable().describe('The revoking lab; null for the regulator.'),
  txHash: z.string().nullable(),
};

export const RevocationEntry = component(
  'RevocationEntry',
  z.object(revocationParts).describe("One party's revocation of a record: the issuing lab's or the regulator's. Another lab's revocation never counts and is not shown."),
);

export const Revocation = component(
  'Revocation',
  z
    .object({ recordId: z.string(), leafHash: hex32, ...revocationParts, revocations: z.array(RevocationEntry).min(1).max(2) })
    .describe("A record's revocation: the one that counts (the earliest of the issuer's and the regulator's; the regulator's on a tie), and in `revocations` every counting one, oldest first."),
);

const recordViewShape = {
  id: z.string(),
  type: recordType,
  logId,
  fields: z.record(z.string(), z.unknown()).describe('The public fields only.'),
  recordRoot: hex32,
  leafHash: hex32,
  signer: z.string(),
  issuedAt: isoTime,
  receivedAt: isoTime,
  leafIndex: int.nullable(),
  status: z.enum(['pending', 'anchored']),
  checkpoint: Checkpoint.nullable(),
  revocation: Revocation.nullable(),
  links: z.object({ self: z.string(), bundle: z.string(), scan: z.string().optional().describe('The URL in the QR code (batches only).') }),
};

export const RecordView = component('RecordView', z.object(recordViewShape));

export const ReportView = component(
  'ReportView',
  z.object({ ...recordViewShape, classification: z.record(z.string(), z.unknown()).nullable().describe('The tier the standards table gives the result, for the batch category.') }),
);

/** A share step as a caller sees it: without the admin token its details are withheld and named. */
export const ShareView = component(
  'ShareView',
  z.object({
    ...recordViewShape,
    step: z.enum(['request', 'reply', 'delivery', 'receipt']),
    departmentId: z.string(),
    seq: int,
    withheld: z.array(z.string()).optional().describe('The fields withheld from a caller who is neither a department of the share nor oversight (auditor, regulator, operator).'),
  }),
);

/** Any record: a share step is answered as a {@link ShareView}, a report as a {@link ReportView}. */
export const AnyRecordView = z.union([ShareView, ReportView, RecordView]);

export const RecordPage = component('RecordPage', z.object({ items: z.array(RecordView), next: z.string().nullable() }));

export const BatchPage = component(
  'BatchPage',
  z.object({
    ...RecordPage.shape,
    total: int.describe('How many batches match, on every page.'),
    producer: z.object({ id: hex32, uscc: z.string(), name: z.string() }).optional().describe("With a producer's token: the producer it acts for."),
  }),
);

export const CsvImportReport = component(
  'CsvImportReport',
  z.object({
    committed: z.boolean(),
    accepted: z.array(z.object({ line: int, id: z.string(), leafHash: hex32 })),
    refused: z.array(z.object({ line: int, errors: z.array(z.object({ field: z.string(), message: z.string(), code: z.string().optional().meta({ examples: ['gtin-not-owned'] }) })) })),
  }),
);

export const CsvImportRefusal = z.object({ ...CsvImportReport.shape, error: z.object({ code: z.string(), message: z.string().min(1) }) });

export const Commissions = z.object({
  batchId: z.string(),
  commissionedLabs: z.array(z.string()),
  commissions: z.array(z.object({ id: z.string(), issuedAt: isoTime, labCmaNumber: z.string(), bundle: z.url() })),
});

export const ProofBundle = component(
  'ProofBundle',
  z
    .object({
      format: z.literal('traceledger-proof-v1'),
      record: z.record(z.string(), z.unknown()),
      entry: z.record(z.string(), z.unknown()),
      log: z.record(z.string(), z.unknown()),
      checkpoint: z.record(z.string(), z.unknown()).nullable(),
      chain: z.record(z.string(), z.unknown()),
    })
    .describe('traceledger-proof-v1: verify with `traceledger verify BUNDLE --rpc URL`.'),
);

export const SigningKey = component('SigningKey', z.object({ address: z.string(), validFrom: isoTime, validTo: isoTime, revokedAt: isoTime.nullable() }));

export const Participant = component(
  'Participant',
  z.object({
    id: hex32,
    kind: z.enum(['lab', 'producer', 'department']),
    name: z.string(),
    code: z.string().describe('CMA number of a lab; unified social credit code otherwise.'),
    active: z.boolean(),
    accreditedFrom: isoTime.nullable(),
    accreditedUntil: isoTime.nullable(),
    registeredAt: isoTime.nullable(),
    revokedAt: isoTime.nullable(),
    spotCheck: z
      .object({ from: isoTime.nullable(), until: isoTime.nullable() })
      .optional()
      .describe('A lab the regulator designated for official spot checks (监督抽检): its window.'),
  }),
);

export const ParticipantDetail = component('ParticipantDetail', z.object({ ...Participant.shape, keys: z.array(SigningKey) }));

export const ProductKey = component(
  'ProductKey',
  z.object({
    key: z.string().regex(/^([0-9]{6,12}|[0-9]{14})$/).describe('A GS1 company prefix (GTIN-13 form) or a GTIN-14.'),
    kind: z.enum(['company-prefix', 'gtin']),
    producerId: hex32,
  }),
);

const tokenParts = {
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
  role: z.enum(TOKEN_ROLES),
  participantId: hex32.nullable().describe('The participant a producer, lab or department token acts for; null for the registrar, regulator and auditor.'),
  producerId: hex32.optional().describe('The participant id of a producer token (kept for clients of the producer-only API).'),
  label: z.string(),
  createdAt: isoTime,
};

export const IssuedToken = component('IssuedToken', z.object({ token: z.string().describe('Shown once: store it now.'), ...tokenParts }));

export const Token = component('Token', z.object({ ...tokenParts, revokedAt: isoTime.nullable() }));

export const ReceiptPending = z.object({ recordId: z.string(), status: z.literal('accepted'), message: z.string() });

export const DepartmentSummary = component(
  'DepartmentSummary',
  z.object({ departmentId: hex32, name: z.string().nullable(), uscc: z.string().nullable(), active: z.boolean().nullable(), records: int, lastSeq: int, lastIssuedAt: isoTime.nullable() }),
);

export const TrailHead = component('TrailHead', z.object({ departmentId: hex32, nextSeq: int.min(1), prevHash: hex32, lastRecordId: z.string().nullable() }));

export const TrailEntry = component(
  'TrailEntry',
  z.object({
    seq: int,
    recordId: z.string(),
    type: z.string(),
    step: z.enum(['request', 'reply', 'delivery', 'receipt']),
    issuedAt: isoTime,
    prevHash: hex32,
    leafIndex: int.nullable(),
    leafHash: hex32,
    status: z.enum(['accepted', 'sequenced', 'anchored']),
    fields: z.record(z.string(), z.unknown()).describe('The public fields only.'),
    withheld: z.array(z.string()).optional(),
  }),
);

export const Trail = component(
  'Trail',
  z.object({
    departmentId: hex32,
    department: z.object({ name: z.string(), uscc: z.string() }).nullable(),
    anchoredSize: int,
    entries: z.array(TrailEntry),
    next: int.nullable().describe('The `from` of the next page.'),
  }),
);

export const TrailStep = component(
  'TrailStep',
  z.object({
    step: z.enum(TRAIL_STEPS),
    status: z.enum(['passed', 'failed', 'pending']),
    code: z.string().describe('Key of the zh/en message table (server/verification/messages.ts).'),
    params: z.record(z.string(), z.union([z.string(), z.number()])).describe('Values the message is rendered with: ids, counts, hashes, ISO times.'),
    message: z.string().describe('The message in English.'),
    message_zh: z.string().describe('The message in Chinese.'),
  }),
);

export const TrailVerification = component(
  'TrailVerification',
  z.object({
    departmentId: hex32,
    verdict: z.enum(['valid', 'invalid', 'pending']),
    steps: z.array(TrailStep),
    entries: int,
    firstProblem: z.object({ step: z.string(), seq: int.nullable(), recordId: z.string().nullable() }).optional(),
    checkpoint: z.object({ size: int, root: hex32 }).nullable(),
    timingsMs: z.record(z.string(), z.number()),
    basis: z
      .object({
        mode: z.enum(['full', 'incremental']),
        from: z.object({ size: int, root: hex32, entries: int, verifiedAt: isoTime }).nullable(),
        fullBecause: z.string().optional(),
      })
      .optional()
      .describe('Incremental: only the records since the kept verification were checked, its anchored checkpoint proven consistent with today\'s (RFC 9162). Full: every record checked, and why (an oversight request is always full).'),
  }),
);

export const Alert = component(
  'Alert',
  z.object({
    id: z.string().describe('Stable: `{kind}:{recordIds joined by +}`.'),
    kind: z.enum(ALERT_KINDS),
    severity: z.enum(['high', 'medium']),
    departmentId: z.string().describe('The department answerable for it (谁管理谁负责、谁使用谁负责).'),
    recordIds: z.array(z.string()),
    message_en: z.string(),
    message_zh: z.string(),
    detectedAt: isoTime,
  }),
);

export const Alerts = z.object({ countersignDays: int, items: z.array(Alert) });

export const AuditReport = component(
  'AuditReport',
  z.object({
    format: z.literal(AUDIT_REPORT_FORMAT),
    generatedAt: isoTime,
    department: z.object({ id: hex32, name: z.string().nullable(), uscc: z.string().nullable() }),
    period: z.object({ from: isoTime.nullable(), to: isoTime.nullable() }),
    chain: z.object({ chainId: int, traceLedger: z.string() }),
    verification: z.record(z.string(), z.unknown()).describe('The verification of the whole trail: verdict, steps, entries, firstProblem, checkpoint.'),
    entries: z.array(TrailEntry),
    alerts: z.array(Alert),
  }),
);

export const DeliveryCheck = component(
  'DeliveryCheck',
  z.object({
    deliveryId: z.string(),
    match: z.boolean(),
    recorded: z.object({ dataSha256: hex32, rowCount: int }),
    given: z.object({ sha256: hex32, rowCount: int.optional() }),
    bytes: int.optional().describe('With an upload: the bytes hashed.'),
  }),
);

export const InclusionProof = component('InclusionProof', z.object({ logId: z.string(), index: int, size: int, leafHash: hex32, proof: z.array(hex32), root: hex32 }));

export const ConsistencyProof = component('ConsistencyProof', z.object({ logId: z.string(), size1: int, size2: int, root1: hex32, root2: hex32, proof: z.array(hex32) }));

export const MonitorReport = component(
  'MonitorReport',
  z.object({
    ok: z.boolean(),
    logId: z.string(),
    entries: int.optional(),
    checkpointsChecked: int.optional(),
    latest: z.object({ size: int, root: hex32 }).nullable().optional(),
    size: int.optional().describe('Divergence: the checkpoint size where the stored log first fails to reproduce the chain.'),
    leafIndex: int.nullable().optional(),
    expected: z.string().nullable().optional(),
    onChain: z.string().nullable().optional(),
    stored: z.string().nullable().optional(),
    reason: z.enum(['entry-missing', 'entry-duplicated', 'root-mismatch', 'stored-checkpoint-mismatch', 'checkpoint-not-on-chain']).optional(),
    message: z.string().optional(),
    basis: z
      .object({ mode: z.enum(['full', 'incremental']), from: z.object({ size: int, root: hex32, verifiedAt: isoTime }).nullable(), fullBecause: z.string().optional() })
      .optional()
      .describe('Incremental: the run went on from the kept one, its checkpoint proven consistent with today\'s (RFC 9162); full: replayed from the start, and why.'),
  }),
);

/** Items of a list. */
export const itemsOf = (item: z.ZodType) => z.object({ items: z.array(item) });

/** A body that is not JSON: text (CSV, SVG, Prometheus) or bytes (PNG, PDF, a dataset). */
export const Text = z.string();
export const Binary = z.string().meta({ format: 'binary' });

/** A JSON-RPC answer or error object (the chain relay's). */
export const JsonRpcAnswer = z.looseObject({ jsonrpc: z.literal('2.0'), id: z.union([z.string(), z.number(), z.null()]) });
