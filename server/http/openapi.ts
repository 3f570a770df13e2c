/**
 * The OpenAPI 3.1 description of the REST API, served at /openapi.json. Written by hand; a test
 * walks the Express router and checks every route is here and every path here is a route.
 * Only the record bodies come from the zod schemas the server validates them with.
 */
import { z } from 'zod';
import { BatchSchema, REVOCATION_REASONS, RECORD_TYPES, SeleniumTestReportSchema, ShareRecordSchema } from '../records';
import { AUDIT_CSV_COLUMNS, AUDIT_REPORT_FORMAT } from '../service/audit-report';
import { DATASET_UPLOAD_LIMIT } from '../service/shares';
import { ALERT_KINDS, RECEIPT_FORMAT, TRAIL_STEPS } from '../trails';
import { CONSOLE_OPENAPI_PATHS } from './routes/consoles';

// ---------------------------------------------------------------------------
// The subset of OpenAPI 3.1 this document uses.

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1). */
export interface SchemaObject {
  $ref?: string;
  type?: JsonType | JsonType[];
  description?: string;
  format?: string;
  pattern?: string;
  enum?: readonly (string | number)[];
  const?: string | number | boolean;
  properties?: Record<string, SchemaObject>;
  required?: readonly string[];
  additionalProperties?: boolean | SchemaObject;
  items?: SchemaObject;
  oneOf?: SchemaObject[];
  allOf?: SchemaObject[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  default?: unknown;
  examples?: unknown[];
  [keyword: string]: unknown;
}
type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  description?: string;
  schema: SchemaObject;
}

export interface MediaTypeObject {
  schema: SchemaObject;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, { description: string; schema: SchemaObject }>;
  content?: Record<string, MediaTypeObject>;
}

export interface RefObject {
  $ref: string;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: (ParameterObject | RefObject)[];
  requestBody?: { required: boolean; description?: string; content: Record<string, MediaTypeObject> };
  responses: Record<string, ResponseObject | RefObject>;
}

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type PathItemObject = Partial<Record<HttpMethod, OperationObject>>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } };
  servers?: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, SchemaObject>;
    responses: Record<string, ResponseObject>;
    parameters: Record<string, ParameterObject>;
    securitySchemes: Record<string, { type: 'http'; scheme: 'bearer'; description: string }>;
  };
}

// ---------------------------------------------------------------------------
// Building blocks.

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: SchemaObject) => ({ 'application/json': { schema } });
const ok = (description: string, schema: SchemaObject): ResponseObject => ({ description, content: json(schema) });
const err = (name: string): RefObject => ({ $ref: `#/components/responses/${name}` });
const param = (name: string): RefObject => ({ $ref: `#/components/parameters/${name}` });

const ADMIN = [{ adminToken: [] }];
const PRODUCER = [{ producerToken: [] }];

const hex32: SchemaObject = { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' };
const isoTime: SchemaObject = { type: 'string', format: 'date-time' };
const nullable = (s: SchemaObject): SchemaObject => ({ oneOf: [s, { type: 'null' }] });
const timeInput: SchemaObject = {
  type: 'string',
  description: 'A calendar date YYYY-MM-DD (midnight UTC) or an ISO 8601 time.',
  examples: ['2026-01-01', '2026-01-01T08:00:00+08:00'],
};

/** JSON Schema of a record type's input, from the zod schema the server validates with. */
function recordInputSchema(schema: z.ZodType, description: string): SchemaObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as SchemaObject;
  return { ...rest, description };
}

const keyInput: SchemaObject = {
  type: 'object',
  required: ['address', 'validFrom', 'validTo'],
  additionalProperties: false,
  properties: { address: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' }, validFrom: timeInput, validTo: timeInput },
};

const withKeys = (props: Record<string, SchemaObject>): Record<string, SchemaObject> => ({
  ...props,
  keys: { type: 'array', maxItems: 10, items: keyInput, description: 'Signing keys to add at once (labs and departments sign records with them).' },
});

// ---------------------------------------------------------------------------
// The document.

export const OPENAPI: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'traceledger',
    version: '1.0.0',
    description:
      'Blockchain-anchored ledger for selenium-rich product traceability and government data-sharing trails. ' +
      'Producers submit batches with an API token; labs submit EIP-712-signed selenium test reports; ' +
      'departments submit EIP-712-signed share steps (request, reply, delivery, receipt) and get a signed receipt; ' +
      'every record is appended to an RFC 6962 log whose checkpoints are anchored on chain, and its proof bundle ' +
      'verifies with nothing but a JSON-RPC endpoint. Errors answer `{ "error": { "code", "message" } }`.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  tags: [
    { name: 'batches', description: 'Product batches, submitted by producers with their API token.' },
    { name: 'reports', description: 'Selenium test reports, signed by accredited labs.' },
    { name: 'records', description: 'Any record, and its proof bundle.' },
    { name: 'revocations', description: 'Revocations (recalls) of records, by the regulator.' },
    { name: 'participants', description: 'Labs, producers and departments registered on chain.' },
    { name: 'tokens', description: 'Producer API tokens.' },
    { name: 'data-sharing', description: 'Government data-sharing trails (政务数据共享): share steps signed by departments, their receipts, trails and their verification.' },
    { name: 'audit', description: 'For auditors, with the admin token: alerts, audit reports, dataset checks, the log monitor.' },
    { name: 'logs', description: 'Inclusion and consistency proofs of the logs, for receipt checkers and monitors.' },
    { name: 'operations', description: 'Health, metrics and this document.' },
  ],
  paths: {
    '/healthz': {
      get: {
        operationId: 'getHealth',
        summary: 'Health of the chain node, the store and the anchoring worker',
        tags: ['operations'],
        responses: {
          '200': ok('Everything answers.', ref('Health')),
          '503': ok('The chain or the store is unreachable, a write failed with a storage fault (disk full, I/O error) or the disk is nearly full (store.error, store.diskFreeMb), or anchoring halted or lags (anchoring.lagSeconds, anchoring.lastError).', ref('Health')),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics',
        description: 'Requests by route and status, records accepted by type, and per log its size, anchored size and anchoring lag. Needs METRICS_TOKEN or the admin token.',
        tags: ['operations'],
        security: [{ metricsToken: [] }, { adminToken: [] }],
        responses: { '200': { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } }, '401': err('Unauthorized') },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        summary: 'This document',
        tags: ['operations'],
        responses: { '200': ok('OpenAPI 3.1 document.', { type: 'object' }) },
      },
    },
    '/api/v1/chain': {
      get: {
        operationId: 'getChain',
        summary: 'The chain and contracts records are anchored on, and the EIP-712 domain labs and departments sign in',
        tags: ['operations'],
        responses: { '200': ok('Chain id, contract addresses and the EIP-712 domain.', { type: 'object' }) },
      },
    },
    '/api/v1/chain/rpc': {
      post: {
        operationId: 'chainRpc',
        summary: "A read-only JSON-RPC relay to the chain, for the consumer's browser",
        description:
          'Forwards only what verification reads: `eth_chainId`, `eth_blockNumber`, and `eth_call` at `"latest"` of the verifier\'s view functions on ' +
          'the TraceLedger and its two registries (`to` and `data` only). Any other method, contract or function is refused with a JSON-RPC error ' +
          '(-32601 method not available, -32602 not allowed) and never reaches the node. A JSON-RPC request or a batch of at most 20; ' +
          'bodies up to 16 KB, uncompressed; `RATE_LIMIT_CHAIN_RPC_PER_MINUTE` per client address. `GET /api/v1/chain` names it as ' +
          '`publicRpcUrl` when `PUBLIC_RPC_URL` is unset. Errors are JSON-RPC error objects, not the API\'s error envelope.',
        tags: ['operations'],
        requestBody: { required: true, content: json({ oneOf: [{ type: 'object' }, { type: 'array', maxItems: 20, items: { type: 'object' } }] }) },
        responses: {
          '200': ok('The JSON-RPC answer (or answers, in order), refusals included as JSON-RPC errors.', { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] }),
          '400': ok('Not JSON, or an empty or too long batch: a JSON-RPC error object.', { type: 'object' }),
          '413': ok('Body over 16 KB: a JSON-RPC error object.', { type: 'object' }),
          '415': ok('Not application/json, or compressed: a JSON-RPC error object.', { type: 'object' }),
          '429': ok('Over the rate limit: a JSON-RPC error object.', { type: 'object' }),
          '503': ok('The chain node does not answer: a JSON-RPC error object.', { type: 'object' }),
        },
      },
    },
    '/api/v1/batches': {
      post: {
        operationId: 'createBatch',
        summary: 'Submit a batch as a producer',
        description:
          "The batch's producer must be the token's producer, and its `issuedAt` within the window of receipt (issued-at-too-old, issued-at-in-future: 400). " +
          "Its GTIN, if any, must be covered by a product key assigned to the producer (gtin-not-owned: 403). " +
          'The operator attests it with its own key: the producer needs no wallet.',
        tags: ['batches'],
        security: PRODUCER,
        requestBody: { required: true, content: json(ref('BatchInput')) },
        responses: {
          '201': { ...ok('Accepted: durably stored, waiting to be anchored.', ref('Acceptance')), headers: { Location: { description: 'The batch.', schema: { type: 'string' } } } },
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '409': err('Conflict'),
          '413': err('PayloadTooLarge'),
          '429': err('RateLimited'),
        },
      },
      get: {
        operationId: 'listBatches',
        summary: 'List batches, oldest first',
        description: "With a producer's token, that producer's batches; otherwise all, or those of `producer`.",
        tags: ['batches'],
        security: [{}, ...PRODUCER],
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
          { name: 'after', in: 'query', description: 'The `next` cursor of the previous page.', schema: { type: 'string' } },
          { name: 'producer', in: 'query', description: "A producer's participant id or unified social credit code.", schema: { type: 'string' } },
        ],
        responses: { '200': ok('A page of batches.', ref('RecordPage')), '400': err('InvalidInput'), '401': err('Unauthorized') },
      },
    },
    '/api/v1/batches/import': {
      post: {
        operationId: 'importBatches',
        summary: 'Import batches from a CSV file',
        description:
          'All or nothing by default: any refused row means nothing is imported (422, with the report; 403 gtin-not-owned when a row names a GTIN ' +
          "not covered by the producer's product keys, that row's error carrying `code`). " +
          'With `partial=1` the valid rows are imported and the refused ones reported.',
        tags: ['batches'],
        security: PRODUCER,
        parameters: [{ name: 'partial', in: 'query', schema: { type: 'string', enum: ['1', '0', 'true', 'false'] } }],
        requestBody: {
          required: true,
          description: 'UTF-8, at most 10 MB and 10,000 rows (refused with 413 as soon as either is passed, while reading); may be sent with Content-Encoding gzip, deflate or br.',
          content: { 'text/csv': { schema: { type: 'string' } } },
        },
        responses: {
          '201': ok('Imported.', ref('CsvImportReport')),
          '422': ok('Rows were refused and nothing was imported.', { allOf: [ref('Error'), ref('CsvImportReport')] }),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '413': err('PayloadTooLarge'),
          '415': { description: 'A Content-Encoding other than identity, gzip, deflate or br (unsupported-encoding).', content: json(ref('Error')) },
          '429': err('RateLimited'),
          '503': { description: 'Two CSV imports are already being read; try again in a moment (unavailable).', content: json(ref('Error')) },
        },
      },
    },
    '/api/v1/batches/{id}': {
      get: {
        operationId: 'getBatch',
        summary: "A batch's public fields and anchoring status",
        tags: ['batches'],
        parameters: [param('RecordId')],
        responses: { '200': ok('The batch.', ref('RecordView')), '400': err('InvalidInput'), '404': err('NotFound') },
      },
    },
    '/api/v1/batches/{id}/commissions': {
      post: {
        operationId: 'commissionLab',
        summary: 'Commission a lab to test a batch, as its producer',
        description:
          "Only the batch's own producer (403 forbidden otherwise); the batch must be on record (422 unknown-batch). The operator attests a LabCommission " +
          "record for the producer, as for its batches; the lab's reports then count on the batch (DESIGN.md, trust model). A lab already commissioned: 409 conflict.",
        tags: ['batches'],
        security: PRODUCER,
        parameters: [param('RecordId')],
        requestBody: {
          required: true,
          content: json({ type: 'object', required: ['labCmaNumber'], additionalProperties: false, properties: { labCmaNumber: { type: 'string', pattern: '^\\d{12}$', description: "The lab's CMA number." } } }),
        },
        responses: {
          '201': ok('Accepted: durably stored, waiting to be anchored.', ref('Acceptance')),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '409': err('Conflict'),
          '422': err('UnknownBatch'),
          '429': err('RateLimited'),
        },
      },
      get: {
        operationId: 'listCommissions',
        summary: 'The labs a batch\'s producer commissions: named on the batch, and attached afterwards',
        tags: ['batches'],
        parameters: [param('RecordId')],
        responses: {
          '200': ok('The commissions.', {
            type: 'object',
            required: ['batchId', 'commissionedLabs', 'commissions'],
            properties: {
              batchId: { type: 'string' },
              commissionedLabs: { type: 'array', items: { type: 'string' } },
              commissions: {
                type: 'array',
                items: { type: 'object', required: ['id', 'issuedAt', 'labCmaNumber', 'bundle'], properties: { id: { type: 'string' }, issuedAt: isoTime, labCmaNumber: { type: 'string' }, bundle: { type: 'string', format: 'uri' } } },
              },
            },
          }),
          '400': err('InvalidInput'),
          '404': err('NotFound'),
        },
      },
    },
    '/api/v1/batches/{id}/qr.png': {
      get: {
        operationId: 'getBatchQrPng',
        summary: "The batch's QR code (GS1 Digital Link, or /b/{id} without a GTIN) as PNG",
        description: 'A size above 512 pixels needs the token of the batch\'s producer or the admin token. Counts against EXPENSIVE_READS_PER_MINUTE.',
        tags: ['batches'],
        parameters: [param('RecordId'), { name: 'size', in: 'query', required: false, schema: { type: 'integer', minimum: 64, maximum: 2048 } }],
        responses: {
          '200': { description: 'PNG image.', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } },
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '404': err('NotFound'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/batches/{id}/qr.svg': {
      get: {
        operationId: 'getBatchQrSvg',
        summary: "The batch's QR code as SVG",
        tags: ['batches'],
        description: 'Counts against EXPENSIVE_READS_PER_MINUTE.',
        parameters: [param('RecordId')],
        responses: { '200': { description: 'SVG image.', content: { 'image/svg+xml': { schema: { type: 'string' } } } }, '404': err('NotFound'), '429': err('RateLimited') },
      },
    },
    '/api/v1/labels.pdf': {
      get: {
        operationId: 'getLabelSheet',
        summary: 'A printable A4 label sheet (product, batch, producer, QR) for the chosen batches',
        description: 'More than 12 labels need the token of the producer of every batch, or the admin token. Counts against EXPENSIVE_READS_PER_MINUTE.',
        tags: ['batches'],
        parameters: [
          { name: 'ids', in: 'query', required: true, schema: { type: 'string' }, description: 'Comma-separated batch ids (at most 240).' },
          { name: 'columns', in: 'query', required: false, schema: { type: 'integer' } },
          { name: 'rows', in: 'query', required: false, schema: { type: 'integer' } },
        ],
        responses: {
          '200': { description: 'PDF.', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } },
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '404': err('NotFound'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/reports': {
      post: {
        operationId: 'submitReport',
        summary: 'Submit a selenium test report signed by a lab key',
        description:
          'No token: the EIP-712 signature is the credential. The signer must be a key registered on chain for an accredited lab, ' +
          'valid (key and accreditation) both at `issuedAt` and when the server receives the report, and not revoked. `issuedAt` must lie between ' +
          'ISSUED_AT_MAX_AGE_SECONDS (default 72 h) before and ISSUED_AT_MAX_AHEAD_SECONDS (default 5 min) after the receipt time. ' +
          "The report's `lab.name`, `lab.cmaNumber` and `lab.cmaValidUntil` must be those registered for the signing key's lab " +
          '(`cmaValidUntil` = the UTC date of its accreditation end). Each salt must be 16 random bytes: not all zero, at least 8 distinct byte values, ' +
          'none shared with another field. A record id or signature seen before is refused as a replay (409).',
        tags: ['reports'],
        requestBody: { required: true, content: json(ref('SignedReport')) },
        responses: {
          '201': ok('Accepted: durably stored, waiting to be anchored.', ref('Acceptance')),
          '400': { description: 'Malformed (invalid-input, invalid-record, bad-signature), a weak salt (weak-salt), or `issuedAt` outside the window of receipt (issued-at-too-old, issued-at-in-future).', content: json(ref('Error')) },
          '403': {
            description:
              'The signer may not submit it: unknown-signer, wrong-role, key-not-yet-valid, key-expired, key-revoked, participant-revoked, not-accredited, ' +
              'key-not-valid-at-receipt, accreditation-lapsed, lab-identity-mismatch (the report names another lab than the signing key\'s; the message names the registered lab), ' +
              'id-not-in-namespace (the report id must be `{the lab\'s CMA number}-{local}`), ' +
              "or lab-not-commissioned (the batch's producer did not commission the lab, and the regulator did not designate it for spot checks).",
            content: json(ref('Error')),
          },
          '409': err('Conflict'),
          '422': err('UnknownBatch'),
          '413': err('PayloadTooLarge'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/reports/{id}': {
      get: {
        operationId: 'getReport',
        summary: "A report's public fields, status, and the tier its result gets",
        tags: ['reports'],
        parameters: [param('RecordId')],
        responses: { '200': ok('The report.', ref('ReportView')), '400': err('InvalidInput'), '404': err('NotFound') },
      },
    },
    '/api/v1/records/{id}': {
      get: {
        operationId: 'getRecord',
        summary: 'Any record: public fields, type, leaf index and status',
        tags: ['records'],
        parameters: [param('RecordId')],
        responses: { '200': ok('The record.', ref('RecordView')), '400': err('InvalidInput'), '404': err('NotFound') },
      },
    },
    '/api/v1/records/{id}/bundle': {
      get: {
        operationId: 'getRecordBundle',
        summary: "A record's proof bundle (traceledger-proof-v1)",
        description: "Public fields with their salts and paths, the log entry, the inclusion proof to the latest anchored checkpoint, and the contract addresses. A data-sharing step's bundle discloses its details: it needs the admin (auditor) token (401 without).",
        tags: ['records'],
        parameters: [param('RecordId'), { name: 'download', in: 'query', description: 'Answer as an attachment.', schema: { type: 'string', enum: ['1', '0', 'true', 'false'] } }],
        responses: { '200': ok('The bundle.', ref('ProofBundle')), '400': err('InvalidInput'), '401': err('Unauthorized'), '404': err('NotFound'), '422': err('StoredDataFault') },
      },
    },
    '/api/v1/revocations': {
      post: {
        operationId: 'revokeRecord',
        summary: 'Revoke (recall) a record, as the regulator',
        description: "Records the regulator's revocation on chain. The issuing lab's own revocation (or another lab's) does not prevent it; 409 when the regulator already revoked the record. Answers the record's revocation as GET does.",
        tags: ['revocations'],
        security: ADMIN,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['recordId', 'reason'],
            additionalProperties: false,
            properties: { recordId: { type: 'string' }, reason: { type: 'string', enum: REVOCATION_REASONS } },
          }),
        },
        responses: {
          '201': ok('Revoked on chain.', ref('Revocation')),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '404': err('NotFound'),
          '409': err('Conflict'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/revocations/{recordId}': {
      get: {
        operationId: 'getRevocation',
        summary: "A record's revocation",
        description: "The revocation that counts: by the lab that issued the record or by the regulator. 404 when neither revoked it (another lab's revocation does not count).",
        tags: ['revocations'],
        parameters: [{ name: 'recordId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': ok('The revocation.', ref('Revocation')), '400': err('InvalidInput'), '404': err('NotFound') },
      },
    },
    '/api/v1/participants': {
      get: {
        operationId: 'listParticipants',
        summary: 'Participants mirrored from the chain',
        tags: ['participants'],
        parameters: [{ name: 'kind', in: 'query', schema: { type: 'string', enum: ['lab', 'producer', 'department'] } }],
        responses: {
          '200': ok('Participants.', { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('Participant') } } }),
          '400': err('InvalidInput'),
        },
      },
      post: {
        operationId: 'registerParticipant',
        summary: 'Register a lab, producer or department on chain',
        tags: ['participants'],
        security: ADMIN,
        requestBody: { required: true, content: json(ref('NewParticipant')) },
        responses: {
          '201': ok('Registered and mirrored.', ref('ParticipantDetail')),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '409': err('Conflict'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/participants/{id}': {
      get: {
        operationId: 'getParticipant',
        summary: 'A participant and its signing keys',
        tags: ['participants'],
        parameters: [param('ParticipantId')],
        responses: { '200': ok('The participant.', ref('ParticipantDetail')), '400': err('InvalidInput'), '404': err('NotFound') },
      },
    },
    '/api/v1/participants/{id}/keys': {
      post: {
        operationId: 'addParticipantKey',
        summary: 'Add a signing key to a participant',
        tags: ['participants'],
        security: ADMIN,
        parameters: [param('ParticipantId')],
        requestBody: { required: true, content: json(keyInput) },
        responses: {
          '201': ok('Added and mirrored.', ref('SigningKey')),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '404': err('NotFound'),
          '409': err('Conflict'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/participants/{id}/product-keys': {
      get: {
        operationId: 'listProductKeys',
        summary: "List a producer's product keys",
        description: "The GS1 company prefixes and GTINs assigned to the producer on chain: its batches may use only GTINs they cover.",
        tags: ['participants'],
        parameters: [param('ParticipantId')],
        responses: {
          '200': ok('Its product keys.', { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('ProductKey') } } }),
          '400': err('InvalidInput'),
          '404': err('NotFound'),
        },
      },
      post: {
        operationId: 'assignProductKey',
        summary: 'Assign a producer a GS1 company prefix or a GTIN',
        description:
          'The registrar assigns it on chain (ParticipantRegistry.assignProductKey); the answer comes once it is mined and mirrored. ' +
          'Send `key`, a company prefix of 6 to 12 digits in GTIN-13 form (the GTIN-14 without its indicator digit), or `gtin`, ' +
          'one GTIN-8/12/13/14 with a valid check digit (stored as its GTIN-14). A prefix covers every GTIN-14 whose digits after the indicator start with it. ' +
          "Keys never overlap: one covered by another producer's key, or covering one, is refused (product-key-taken: 409). " +
          'Without a key covering its GTIN, a batch is refused at ingest (gtin-not-owned: 403) and fails checkProductOwner in every verifier.',
        tags: ['participants'],
        security: ADMIN,
        parameters: [param('ParticipantId')],
        requestBody: {
          required: true,
          content: json({
            oneOf: [
              { type: 'object', required: ['key'], additionalProperties: false, properties: { key: { type: 'string', pattern: '^[0-9]{6,12}$', examples: ['6901234'] } } },
              { type: 'object', required: ['gtin'], additionalProperties: false, properties: { gtin: { type: 'string', pattern: '^([0-9]{8}|[0-9]{12,14})$', examples: ['06901234567892'] } } },
            ],
          }),
        },
        responses: {
          '201': ok('Assigned and mirrored.', ref('ProductKey')),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '404': err('NotFound'),
          '409': err('Conflict'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/admin/labs/{id}/spot-check': {
      post: {
        operationId: 'designateSpotCheckLab',
        summary: 'Designate a lab for official spot checks (监督抽检), as the regulator',
        description: "The lab's reports issued within [from, until] count on any batch, marked as spot checks. `from` defaults to now. Written to ParticipantRegistry with REGULATOR_ROLE.",
        tags: ['participants'],
        security: ADMIN,
        parameters: [param('ParticipantId')],
        requestBody: { required: true, content: json({ type: 'object', required: ['until'], additionalProperties: false, properties: { from: isoTime, until: isoTime } }) },
        responses: {
          '201': ok('Designated and mirrored.', ref('ParticipantDetail')),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '404': err('NotFound'),
          '409': err('Conflict'),
          '429': err('RateLimited'),
        },
      },
      delete: {
        operationId: 'endSpotCheckDesignation',
        summary: "End a lab's spot-check designation now",
        tags: ['participants'],
        security: ADMIN,
        parameters: [param('ParticipantId')],
        responses: { '200': ok('Ended and mirrored.', ref('ParticipantDetail')), '401': err('Unauthorized'), '403': err('Forbidden'), '404': err('NotFound'), '409': err('Conflict'), '429': err('RateLimited') },
      },
    },
    '/api/v1/participants/{id}/keys/{address}': {
      delete: {
        operationId: 'revokeParticipantKey',
        summary: "Revoke a participant's signing key from now on",
        description: 'Records it signed before stay valid; it signs nothing new.',
        tags: ['participants'],
        security: ADMIN,
        parameters: [param('ParticipantId'), { name: 'address', in: 'path', required: true, schema: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' } }],
        responses: {
          '200': ok('Revoked and mirrored.', ref('SigningKey')),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '404': err('NotFound'),
          '409': err('Conflict'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/tokens': {
      post: {
        operationId: 'issueToken',
        summary: 'Issue an API token for a producer',
        description: 'The token is in this answer only; the server keeps its SHA-256 hash.',
        tags: ['tokens'],
        security: ADMIN,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['producerId', 'label'],
            additionalProperties: false,
            properties: {
              producerId: { type: 'string', description: "The producer's participant id or unified social credit code." },
              label: { type: 'string', minLength: 1, maxLength: 100 },
            },
          }),
        },
        responses: {
          '201': ok('Issued.', ref('IssuedToken')),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '404': err('NotFound'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/tokens/{hash}': {
      delete: {
        operationId: 'revokeToken',
        summary: 'Revoke an API token by its hash',
        tags: ['tokens'],
        security: ADMIN,
        parameters: [{ name: 'hash', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{64}$' } }],
        responses: {
          '200': ok('Revoked (revoking again changes nothing).', ref('Token')),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '404': err('NotFound'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/shares': {
      post: {
        operationId: 'submitShare',
        summary: 'Submit a share step signed by a department key',
        description:
          'No token: the EIP-712 signature is the credential. The record type follows from `record.step` ' +
          '(request → ShareRequest, reply → ShareReply, delivery → ShareDelivery, receipt → ShareReceipt). ' +
          "The signer must be a key registered on chain for the department whose sequence the record is in (`departmentId`), valid at `issuedAt` and at receipt; " +
          '`issuedAt` must lie between ISSUED_AT_MAX_AGE_SECONDS (default 72 h) before and ISSUED_AT_MAX_AHEAD_SECONDS (default 5 min) after the receipt time; salts as for reports; ' +
          'the record must carry that department\'s next `seq` and, as `prevHash`, the leaf hash of its last record (see GET /api/v1/departments/{id}/head). ' +
          'The answer carries the operator\'s signed receipt (traceledger-receipt-v1) once the record is sequenced, usually at once; `receipt` is null when that took ' +
          'longer than a second: ask GET /api/v1/shares/{id}/receipt. Policy violations (delivering outside the validity window, fields beyond those approved…) are accepted and raise alerts.',
        tags: ['data-sharing'],
        requestBody: { required: true, content: json(ref('SignedShare')) },
        responses: {
          '201': { ...ok('Accepted: durably stored; with its receipt.', ref('Acceptance')), headers: { Location: { description: 'The share step.', schema: { type: 'string' } } } },
          '400': { description: 'Malformed (invalid-input, invalid-record, bad-signature), a weak salt (weak-salt), or `issuedAt` outside the window of receipt (issued-at-too-old, issued-at-in-future).', content: json(ref('Error')) },
          '403': {
            description: 'The signer may not submit it: a key of another department (forbidden), or unknown-signer, wrong-role, key-not-yet-valid, key-expired, key-revoked, participant-revoked, key-not-valid-at-receipt.',
            content: json(ref('Error')),
          },
          '404': { description: 'The step it answers (request, reply or delivery) does not exist (not-found).', content: json(ref('Error')) },
          '409': {
            description: 'A replayed record (replay), or not the next of the department\'s sequence (conflict; `error.details` has expectedSeq, expectedPrevHash and lastRecordId).',
            content: json(ref('Error')),
          },
          '413': err('PayloadTooLarge'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/shares/{id}': {
      get: {
        operationId: 'getShare',
        summary: "A share step's public fields, place in the log and status",
        description:
          'With the admin (auditor) token, every public field. Without it, only the trail fields (id, issuedAt, departmentId, seq, prevHash, step, ' +
          'the two departments, requestId, replyId, deliveryId); `withheld` names the others (purpose, legal basis, requested, approved and delivered ' +
          'fields, conditions, scope, validity, the delivery hash…). Departments have no token: their signature is their credential. The same holds ' +
          "for `GET /api/v1/records/{id}` of a share step and the entries of a department's trail; a share step's bundle needs the admin token.",
        tags: ['data-sharing'],
        parameters: [param('RecordId')],
        responses: { '200': ok('The share step.', ref('ShareView')), '400': err('InvalidInput'), '404': err('NotFound') },
      },
    },
    '/api/v1/shares/{id}/receipt': {
      get: {
        operationId: 'getShareReceipt',
        summary: "The operator's signed receipt of a share step (traceledger-receipt-v1)",
        description:
          'Deterministic: asking again returns the same bytes. Check it against the chain with `traceledger receipts check RECEIPT --rpc URL --server URL`. ' +
          'While the record waits to be sequenced (moments after acceptance) the answer is 202 with a Retry-After header: ask again. ' +
          'Signed once per record, then served from a cache; counts against EXPENSIVE_READS_PER_MINUTE.',
        tags: ['data-sharing'],
        parameters: [param('RecordId')],
        responses: {
          '200': ok('The receipt.', ref('Receipt')),
          '202': {
            description: 'Accepted but not sequenced yet: no receipt yet.',
            headers: { 'Retry-After': { description: 'Seconds to wait before asking again.', schema: { type: 'integer' } } },
            content: json({ type: 'object', required: ['recordId', 'status', 'message'], properties: { recordId: { type: 'string' }, status: { const: 'accepted' }, message: { type: 'string' } } }),
          },
          '400': err('InvalidInput'),
          '404': err('NotFound'),
          '429': err('RateLimited'),
        },
      },
    },
    '/api/v1/departments': {
      get: {
        operationId: 'listDepartments',
        summary: 'Every registered department (and any department id with records), with record count and last seq',
        tags: ['data-sharing'],
        responses: { '200': ok('Departments.', { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('DepartmentSummary') } } }) },
      },
    },
    '/api/v1/departments/{id}/head': {
      get: {
        operationId: 'getDepartmentHead',
        summary: "Where a department's sequence stands: the seq and prevHash its next record must carry",
        description: 'For signing tooling (`traceledger share sign --server URL`).',
        tags: ['data-sharing'],
        parameters: [param('DepartmentRef')],
        responses: { '200': ok('The head.', ref('TrailHead')), '400': err('InvalidInput'), '404': err('NotFound') },
      },
    },
    '/api/v1/departments/{id}/trail': {
      get: {
        operationId: 'getDepartmentTrail',
        summary: "A department's share records in seq order, public fields only",
        description: 'Pages by seq: pass the answer\'s `next` as `from` to read on.',
        tags: ['data-sharing'],
        parameters: [
          param('DepartmentRef'),
          { name: 'from', in: 'query', description: 'First seq (inclusive).', schema: { type: 'integer', minimum: 1 } },
          { name: 'to', in: 'query', description: 'Last seq (inclusive).', schema: { type: 'integer', minimum: 1 } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 } },
        ],
        responses: { '200': ok('A page of the trail.', ref('Trail')), '400': err('InvalidInput'), '404': err('NotFound') },
      },
    },
    '/api/v1/departments/{id}/trail/verify': {
      get: {
        operationId: 'verifyDepartmentTrail',
        summary: "Verifies a department's whole trail in named steps",
        description:
          `Steps: ${TRAIL_STEPS.join(', ')}. Nothing stored is trusted: leaf hashes, record roots and signers are recomputed, the anchored root and key registrations read from the chain. ` +
          'verdict: valid; invalid (a step failed; `firstProblem` names it); pending (nothing failed, but entries wait to be anchored). ' +
          'Cached per trail head: the same answer (timings included) until the department accepts a record or the anchored checkpoint moves. Counts against EXPENSIVE_READS_PER_MINUTE.',
        tags: ['data-sharing'],
        parameters: [param('DepartmentRef')],
        responses: { '200': ok('The verification (whatever its verdict).', ref('TrailVerification')), '400': err('InvalidInput'), '404': err('NotFound'), '429': err('RateLimited') },
      },
    },
    '/api/v1/departments/{id}/audit-report': {
      get: {
        operationId: 'getAuditReport',
        summary: "A department's audit report for a period, as JSON or CSV",
        description:
          `${AUDIT_REPORT_FORMAT}: the department's records issued in the period, the verification of its whole trail (steps and verdict), and the alerts it answers for detected in the period. ` +
          'CSV: UTF-8 with a byte order mark (Excel reads the Chinese), a header row, then one row per part of the report, the first column naming it: summary, step, record, alert. ' +
          `Columns: ${AUDIT_CSV_COLUMNS.join(', ')}.`,
        tags: ['audit'],
        security: ADMIN,
        parameters: [
          param('DepartmentRef'),
          { name: 'from', in: 'query', description: 'Start of the period (inclusive): a date YYYY-MM-DD (00:00 UTC) or an ISO 8601 time. Default: the first record.', schema: { type: 'string' } },
          { name: 'to', in: 'query', description: 'End of the period (inclusive): a date YYYY-MM-DD covers its whole day (UTC); or an ISO 8601 time. Default: now.', schema: { type: 'string' } },
          { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'], default: 'json' } },
        ],
        responses: {
          '200': {
            description: 'The report (CSV as an attachment).',
            content: { ...json(ref('AuditReport')), 'text/csv': { schema: { type: 'string' } } },
          },
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '404': err('NotFound'),
        },
      },
    },
    '/api/v1/alerts': {
      get: {
        operationId: 'listAlerts',
        summary: 'Policy alerts raised by the share records, newest first',
        description: `Kinds: ${ALERT_KINDS.join(', ')}. A delivery waits COUNTERSIGN_DAYS days (the answer's countersignDays) for its receipt before receipt-overdue.`,
        tags: ['audit'],
        security: ADMIN,
        parameters: [{ name: 'department', in: 'query', description: 'Only the alerts this department answers for: its participant id or unified social credit code.', schema: { type: 'string' } }],
        responses: {
          '200': ok('Alerts.', { type: 'object', required: ['countersignDays', 'items'], properties: { countersignDays: { type: 'integer' }, items: { type: 'array', items: ref('Alert') } } }),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
        },
      },
    },
    '/api/v1/deliveries/{id}/check': {
      post: {
        operationId: 'checkDelivery',
        summary: 'Does a dataset in hand match what a delivery recorded?',
        description:
          'Either JSON `{ sha256, rowCount? }` (hash the file yourself, e.g. `traceledger dataset check`), or the file itself as the body with ' +
          `Content-Type: application/octet-stream: it is hashed as it streams in, never stored or held whole; at most ${DATASET_UPLOAD_LIMIT / 1024 ** 3} GiB ` +
          '(the JSON body limit does not apply). With an upload, `?rowCount=` adds the row count to compare. Raw data never enters the system: only the hash is compared.',
        tags: ['audit'],
        security: ADMIN,
        parameters: [param('RecordId'), { name: 'rowCount', in: 'query', description: 'With an upload: the row count to compare too.', schema: { type: 'integer', minimum: 0 } }],
        requestBody: {
          required: true,
          content: {
            ...json({
              type: 'object',
              required: ['sha256'],
              additionalProperties: false,
              properties: { sha256: { type: 'string', pattern: '^(0x)?[0-9a-fA-F]{64}$' }, rowCount: { type: 'integer', minimum: 0 } },
            }),
            'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
          },
        },
        responses: {
          '200': ok('The comparison (match true or false).', ref('DeliveryCheck')),
          '400': err('InvalidInput'),
          '401': err('Unauthorized'),
          '403': err('Forbidden'),
          '404': err('NotFound'),
          '413': err('PayloadTooLarge'),
        },
      },
    },
    '/api/v1/logs/{logId}/inclusion': {
      get: {
        operationId: 'getInclusionProof',
        summary: 'The leaf at an index and its RFC 9162 inclusion proof in the tree of `size` entries',
        description: 'What `traceledger receipts check` asks for, at the size of the checkpoint anchored on chain.',
        tags: ['logs'],
        parameters: [
          param('LogId'),
          { name: 'index', in: 'query', required: true, schema: { type: 'integer', minimum: 0 } },
          { name: 'size', in: 'query', required: true, schema: { type: 'integer', minimum: 1 } },
        ],
        responses: { '200': ok('The proof.', ref('InclusionProof')), '400': err('InvalidInput') },
      },
    },
    '/api/v1/logs/{logId}/consistency': {
      get: {
        operationId: 'getConsistencyProof',
        summary: 'The RFC 9162 consistency proof between the trees of size1 and size2 entries, and both roots',
        tags: ['logs'],
        parameters: [
          param('LogId'),
          { name: 'size1', in: 'query', required: true, schema: { type: 'integer', minimum: 0 } },
          { name: 'size2', in: 'query', required: true, schema: { type: 'integer', minimum: 0 } },
        ],
        responses: { '200': ok('The proof.', ref('ConsistencyProof')), '400': err('InvalidInput') },
      },
    },
    '/api/v1/logs/{logId}/monitor': {
      get: {
        operationId: 'monitorLog',
        summary: 'Replays the whole stored log and compares its root at every anchored checkpoint with the chain',
        description: 'Every leaf hash is recomputed from its stored entry. `ok: false` names the first divergence (entry-missing, entry-duplicated, root-mismatch, stored-checkpoint-mismatch, checkpoint-not-on-chain).',
        tags: ['audit'],
        security: ADMIN,
        parameters: [param('LogId')],
        responses: { '200': ok('The monitor report (ok or the first divergence).', ref('MonitorReport')), '400': err('InvalidInput'), '401': err('Unauthorized'), '403': err('Forbidden') },
      },
    },
    ...(CONSOLE_OPENAPI_PATHS as Record<string, PathItemObject>),
  },
  components: {
    securitySchemes: {
      adminToken: { type: 'http', scheme: 'bearer', description: 'The operator / regulator token: ADMIN_TOKEN, or the one generated into DATA_DIR/admin-token.' },
      producerToken: { type: 'http', scheme: 'bearer', description: 'A producer API token from POST /api/v1/tokens.' },
      metricsToken: { type: 'http', scheme: 'bearer', description: "The monitoring system's token for /metrics: METRICS_TOKEN." },
    },
    parameters: {
      RecordId: { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' } },
      ParticipantId: { name: 'id', in: 'path', required: true, description: 'keccak256("traceledger:{kind}:{code}").', schema: hex32 },
      DepartmentRef: { name: 'id', in: 'path', required: true, description: "The department's participant id (0x + 64 hex digits) or unified social credit code.", schema: { type: 'string' } },
      LogId: { name: 'logId', in: 'path', required: true, schema: { type: 'string', enum: ['products', 'data-sharing'] } },
    },
    responses: {
      InvalidInput: { description: 'The request is malformed (invalid-input, invalid-record, bad-signature, …).', content: json(ref('Error')) },
      Unauthorized: { description: 'No valid token (unauthorized).', content: json(ref('Error')) },
      Forbidden: {
        description: "The token may not do this (forbidden), or a batch's GTIN is not covered by a product key of its producer (gtin-not-owned).",
        content: json(ref('Error')),
      },
      NotFound: { description: 'No such resource or route (not-found).', content: json(ref('Error')) },
      UnknownBatch: { description: 'The record names a batch that is not on record (unknown-batch).', content: json(ref('Error')) },
      StoredDataFault: {
        description: 'The stored record is damaged (its body, salts or log entry no longer parse): no bundle can be built, so it counts as invalid (stored-data-fault, naming it). A damaged salt still gives a bundle, which fails at checkFieldDisclosures.',
        content: json(ref('Error')),
      },
      Conflict: {
        description:
          'Already done: a replayed record (replay), a batch whose GTIN + lot is already registered (duplicate-batch; `error.details.existingBatchId`), or an existing participant, key or revocation (conflict); a product key overlapping an assigned one (product-key-taken).',
        content: json(ref('Error')),
      },
      PayloadTooLarge: { description: 'The body is over the limit: 256 kB of JSON, 10 MB of CSV, 64 GiB for a dataset check upload (payload-too-large).', content: json(ref('Error')) },
      RateLimited: { description: 'Too many write requests (rate-limited).', content: json(ref('Error')) },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string', examples: ['invalid-input', 'replay'] }, message: { type: 'string' }, details: { type: 'object' } },
          },
        },
      },
      Health: {
        type: 'object',
        required: ['status', 'chain', 'store', 'anchoring'],
        properties: {
          status: { type: 'string', enum: ['ok', 'degraded'] },
          chain: {
            type: 'object',
            required: ['ok', 'block'],
            properties: {
              ok: { type: 'boolean' },
              block: nullable({ type: 'integer' }),
              error: { type: 'string' },
              node: { type: 'string', enum: ['running', 'restarting', 'stopped'], description: 'The embedded chain node (absent with RPC_URL): restarting after it died, error says so.' },
              durableBlock: { type: 'integer', description: 'Head block of the last save of the embedded chain state.' },
            },
          },
          store: {
            type: 'object',
            required: ['ok'],
            description: 'not ok when the store does not answer, a write failed with a storage fault since the last successful one, or DATA_DIR has less than DISK_FREE_MIN_MB free',
            properties: { ok: { type: 'boolean' }, error: { type: 'string' }, diskFreeMb: { type: 'integer', description: 'free MB on the file system holding DATA_DIR' } },
          },
          anchoring: { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' }, lagSeconds: { type: 'number' }, lastError: { type: 'string' } } },
        },
      },
      BatchInput: recordInputSchema(BatchSchema, 'A batch (DOMAIN.md §4). GTINs are stored as GTIN-14.'),
      SeleniumTestReport: recordInputSchema(SeleniumTestReportSchema, 'A selenium test report (DOMAIN.md §3).'),
      SignedReport: {
        type: 'object',
        required: ['record', 'salts', 'signature'],
        additionalProperties: false,
        properties: {
          type: { const: 'SeleniumTestReport', description: 'Optional, as `traceledger sign-report` writes it.' },
          record: ref('SeleniumTestReport'),
          salts: { type: 'object', additionalProperties: { type: 'string' }, description: 'The 16-byte salt (hex) of every field, as the signer committed them.' },
          signature: { type: 'string', pattern: '^0x[0-9a-fA-F]{130}$', description: 'EIP-712 signature over the record and its root.' },
        },
      },
      Acceptance: {
        type: 'object',
        required: ['id', 'type', 'logId', 'recordRoot', 'leafHash', 'signer', 'status'],
        properties: {
          id: { type: 'string' },
          type: { type: 'string', enum: RECORD_TYPES },
          logId: { type: 'string', enum: ['products', 'data-sharing'] },
          recordRoot: hex32,
          leafHash: hex32,
          signer: { type: 'string' },
          status: { const: 'accepted' },
          receipt: { ...nullable(ref('Receipt')), description: "Share steps only: the operator's signed receipt; null when the record was not sequenced within a second (ask GET /api/v1/shares/{id}/receipt)." },
        },
      },
      Checkpoint: {
        type: 'object',
        required: ['size', 'root', 'txHash', 'blockNumber', 'blockTime'],
        properties: { size: { type: 'integer' }, root: hex32, txHash: nullable({ type: 'string' }), blockNumber: nullable({ type: 'integer' }), blockTime: nullable(isoTime) },
      },
      RecordView: {
        type: 'object',
        required: ['id', 'type', 'logId', 'fields', 'recordRoot', 'leafHash', 'signer', 'issuedAt', 'receivedAt', 'leafIndex', 'status', 'checkpoint', 'revocation', 'links'],
        properties: {
          id: { type: 'string' },
          type: { type: 'string', enum: RECORD_TYPES },
          logId: { type: 'string', enum: ['products', 'data-sharing'] },
          fields: { type: 'object', description: 'The public fields only.' },
          recordRoot: hex32,
          leafHash: hex32,
          signer: { type: 'string' },
          issuedAt: isoTime,
          receivedAt: isoTime,
          leafIndex: nullable({ type: 'integer' }),
          status: { type: 'string', enum: ['pending', 'anchored'] },
          checkpoint: nullable(ref('Checkpoint')),
          revocation: nullable(ref('Revocation')),
          links: {
            type: 'object',
            required: ['self', 'bundle'],
            properties: { self: { type: 'string' }, bundle: { type: 'string' }, scan: { type: 'string', description: 'The URL in the QR code (batches only).' } },
          },
        },
      },
      ReportView: {
        allOf: [ref('RecordView'), { type: 'object', required: ['classification'], properties: { classification: nullable({ type: 'object', description: 'The tier the standards table gives the result, for the batch category.' }) } }],
      },
      RecordPage: {
        type: 'object',
        required: ['items', 'next'],
        properties: { items: { type: 'array', items: ref('RecordView') }, next: nullable({ type: 'string' }) },
      },
      CsvImportReport: {
        type: 'object',
        required: ['committed', 'accepted', 'refused'],
        properties: {
          committed: { type: 'boolean' },
          accepted: { type: 'array', items: { type: 'object', required: ['line', 'id', 'leafHash'], properties: { line: { type: 'integer' }, id: { type: 'string' }, leafHash: hex32 } } },
          refused: {
            type: 'array',
            items: {
              type: 'object',
              required: ['line', 'errors'],
              properties: {
                line: { type: 'integer' },
                errors: { type: 'array', items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' }, code: { type: 'string', examples: ['gtin-not-owned'] } } } },
              },
            },
          },
        },
      },
      ProofBundle: {
        type: 'object',
        description: 'traceledger-proof-v1: verify with `traceledger verify BUNDLE --rpc URL`.',
        required: ['format', 'record', 'entry', 'log', 'checkpoint', 'chain'],
        properties: {
          format: { const: 'traceledger-proof-v1' },
          record: { type: 'object' },
          entry: { type: 'object' },
          log: { type: 'object' },
          checkpoint: nullable({ type: 'object' }),
          chain: { type: 'object' },
        },
      },
      RevocationEntry: {
        type: 'object',
        description: "One party's revocation of a record: the issuing lab's or the regulator's. Another lab's revocation never counts and is not shown.",
        required: ['by', 'reason', 'reasonCode', 'revokedAt', 'revokedBy', 'participantId', 'txHash'],
        properties: {
          by: { type: 'string', enum: ['issuer', 'regulator'] },
          reason: { type: 'string', enum: [...REVOCATION_REASONS, 'unknown'] },
          reasonCode: { type: 'integer' },
          revokedAt: isoTime,
          revokedBy: { type: 'string', description: 'The address that sent the revocation.' },
          participantId: { ...nullable(hex32), description: 'The revoking lab; null for the regulator.' },
          txHash: nullable({ type: 'string' }),
        },
      },
      Revocation: {
        type: 'object',
        description: "A record's revocation: the one that counts (the earliest of the issuer's and the regulator's; the regulator's on a tie), and in `revocations` every counting one, oldest first.",
        required: ['recordId', 'leafHash', 'by', 'reason', 'reasonCode', 'revokedAt', 'revokedBy', 'participantId', 'txHash', 'revocations'],
        properties: {
          recordId: { type: 'string' },
          leafHash: hex32,
          by: { type: 'string', enum: ['issuer', 'regulator'] },
          reason: { type: 'string', enum: [...REVOCATION_REASONS, 'unknown'] },
          reasonCode: { type: 'integer' },
          revokedAt: isoTime,
          revokedBy: { type: 'string' },
          participantId: nullable(hex32),
          txHash: nullable({ type: 'string' }),
          revocations: { type: 'array', minItems: 1, maxItems: 2, items: ref('RevocationEntry') },
        },
      },
      NewParticipant: {
        oneOf: [
          {
            type: 'object',
            required: ['kind', 'name', 'cmaNumber', 'accreditedFrom', 'accreditedUntil'],
            additionalProperties: false,
            properties: withKeys({ kind: { const: 'lab' }, name: { type: 'string' }, cmaNumber: { type: 'string', pattern: '^\\d{12}$' }, accreditedFrom: timeInput, accreditedUntil: timeInput }),
          },
          {
            type: 'object',
            required: ['kind', 'name', 'uscc'],
            additionalProperties: false,
            properties: withKeys({ kind: { type: 'string', enum: ['producer', 'department'] }, name: { type: 'string' }, uscc: { type: 'string', description: 'Unified social credit code (18 characters).' } }),
          },
        ],
      },
      Participant: {
        type: 'object',
        required: ['id', 'kind', 'name', 'code', 'active', 'accreditedFrom', 'accreditedUntil', 'registeredAt', 'revokedAt'],
        properties: {
          id: hex32,
          kind: { type: 'string', enum: ['lab', 'producer', 'department'] },
          name: { type: 'string' },
          code: { type: 'string', description: 'CMA number of a lab; unified social credit code otherwise.' },
          active: { type: 'boolean' },
          accreditedFrom: nullable(isoTime),
          accreditedUntil: nullable(isoTime),
          registeredAt: nullable(isoTime),
          revokedAt: nullable(isoTime),
          spotCheck: { type: 'object', description: 'A lab the regulator designated for official spot checks (监督抽检): its window.', properties: { from: nullable(isoTime), until: nullable(isoTime) } },
        },
      },
      ParticipantDetail: {
        allOf: [ref('Participant'), { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: ref('SigningKey') } } }],
      },
      ProductKey: {
        type: 'object',
        required: ['key', 'kind', 'producerId'],
        properties: {
          key: { type: 'string', pattern: '^([0-9]{6,12}|[0-9]{14})$', description: 'A GS1 company prefix (GTIN-13 form) or a GTIN-14.' },
          kind: { type: 'string', enum: ['company-prefix', 'gtin'] },
          producerId: hex32,
        },
      },
      SigningKey: {
        type: 'object',
        required: ['address', 'validFrom', 'validTo', 'revokedAt'],
        properties: { address: { type: 'string' }, validFrom: isoTime, validTo: isoTime, revokedAt: nullable(isoTime) },
      },
      IssuedToken: {
        type: 'object',
        required: ['token', 'tokenHash', 'producerId', 'label', 'createdAt'],
        properties: {
          token: { type: 'string', description: 'Shown once: store it now.' },
          tokenHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          producerId: hex32,
          label: { type: 'string' },
          createdAt: isoTime,
        },
      },
      ShareRecord: recordInputSchema(ShareRecordSchema, 'A share step (DOMAIN.md §5): request, reply, delivery or receipt, told apart by `step`.'),
      SignedShare: {
        type: 'object',
        required: ['record', 'salts', 'signature'],
        additionalProperties: false,
        properties: {
          type: { type: 'string', enum: ['ShareRequest', 'ShareReply', 'ShareDelivery', 'ShareReceipt'], description: 'Optional: must be the type `record.step` implies.' },
          record: ref('ShareRecord'),
          salts: { type: 'object', additionalProperties: { type: 'string' }, description: 'The 16-byte salt (hex) of every field, as the department committed them.' },
          signature: { type: 'string', pattern: '^0x[0-9a-fA-F]{130}$', description: "EIP-712 signature by a key of the department, over the record and its root." },
        },
      },
      ShareView: {
        allOf: [
          ref('RecordView'),
          {
            type: 'object',
            required: ['step', 'departmentId', 'seq'],
            properties: { step: { type: 'string', enum: ['request', 'reply', 'delivery', 'receipt'] }, departmentId: { type: 'string' }, seq: { type: 'integer' } },
          },
        ],
      },
      Receipt: {
        type: 'object',
        description: `${RECEIPT_FORMAT}: the operator's EIP-712 signature (domain traceledger, struct Receipt) that the record sits at leafIndex with leafHash.`,
        required: ['format', 'logId', 'recordId', 'leafIndex', 'leafHash', 'logSize', 'issuedAt', 'chainId', 'traceLedger', 'signature'],
        properties: {
          format: { const: RECEIPT_FORMAT },
          logId: { type: 'string', enum: ['products', 'data-sharing'] },
          recordId: { type: 'string' },
          leafIndex: { type: 'integer' },
          leafHash: hex32,
          logSize: { type: 'integer' },
          issuedAt: isoTime,
          chainId: { type: 'integer' },
          traceLedger: { type: 'string' },
          signature: { type: 'string' },
        },
      },
      DepartmentSummary: {
        type: 'object',
        required: ['departmentId', 'name', 'uscc', 'active', 'records', 'lastSeq', 'lastIssuedAt'],
        properties: {
          departmentId: hex32,
          name: nullable({ type: 'string' }),
          uscc: nullable({ type: 'string' }),
          active: nullable({ type: 'boolean' }),
          records: { type: 'integer' },
          lastSeq: { type: 'integer' },
          lastIssuedAt: nullable(isoTime),
        },
      },
      TrailHead: {
        type: 'object',
        required: ['departmentId', 'nextSeq', 'prevHash', 'lastRecordId'],
        properties: { departmentId: hex32, nextSeq: { type: 'integer', minimum: 1 }, prevHash: hex32, lastRecordId: nullable({ type: 'string' }) },
      },
      TrailEntry: {
        type: 'object',
        required: ['seq', 'recordId', 'type', 'step', 'issuedAt', 'prevHash', 'leafIndex', 'leafHash', 'status', 'fields'],
        properties: {
          seq: { type: 'integer' },
          recordId: { type: 'string' },
          type: { type: 'string' },
          step: { type: 'string', enum: ['request', 'reply', 'delivery', 'receipt'] },
          issuedAt: isoTime,
          prevHash: hex32,
          leafIndex: nullable({ type: 'integer' }),
          leafHash: hex32,
          status: { type: 'string', enum: ['accepted', 'sequenced', 'anchored'] },
          fields: { type: 'object', description: 'The public fields only.' },
        },
      },
      Trail: {
        type: 'object',
        required: ['departmentId', 'department', 'anchoredSize', 'entries', 'next'],
        properties: {
          departmentId: hex32,
          department: nullable({ type: 'object', required: ['name', 'uscc'], properties: { name: { type: 'string' }, uscc: { type: 'string' } } }),
          anchoredSize: { type: 'integer' },
          entries: { type: 'array', items: ref('TrailEntry') },
          next: nullable({ type: 'integer', description: 'The `from` of the next page.' }),
        },
      },
      TrailStep: {
        type: 'object',
        required: ['step', 'status', 'code', 'params', 'message', 'message_zh'],
        properties: {
          step: { type: 'string', enum: TRAIL_STEPS },
          status: { type: 'string', enum: ['passed', 'failed', 'pending'] },
          code: { type: 'string', description: 'Key of the zh/en message table (server/verification/messages.ts).' },
          params: { type: 'object', additionalProperties: { type: ['string', 'number'] }, description: 'Values the message is rendered with: ids, counts, hashes, ISO times.' },
          message: { type: 'string', description: 'The message in English.' },
          message_zh: { type: 'string', description: 'The message in Chinese.' },
        },
      },
      TrailVerification: {
        type: 'object',
        required: ['departmentId', 'verdict', 'steps', 'entries', 'checkpoint', 'timingsMs'],
        properties: {
          departmentId: hex32,
          verdict: { type: 'string', enum: ['valid', 'invalid', 'pending'] },
          steps: { type: 'array', items: ref('TrailStep') },
          entries: { type: 'integer' },
          firstProblem: { type: 'object', required: ['step', 'seq', 'recordId'], properties: { step: { type: 'string' }, seq: nullable({ type: 'integer' }), recordId: nullable({ type: 'string' }) } },
          checkpoint: nullable({ type: 'object', required: ['size', 'root'], properties: { size: { type: 'integer' }, root: hex32 } }),
          timingsMs: { type: 'object', additionalProperties: { type: 'number' } },
        },
      },
      Alert: {
        type: 'object',
        required: ['id', 'kind', 'severity', 'departmentId', 'recordIds', 'message_en', 'message_zh', 'detectedAt'],
        properties: {
          id: { type: 'string', description: 'Stable: `{kind}:{recordIds joined by +}`.' },
          kind: { type: 'string', enum: ALERT_KINDS },
          severity: { type: 'string', enum: ['high', 'medium'] },
          departmentId: { type: 'string', description: 'The department answerable for it (谁管理谁负责、谁使用谁负责).' },
          recordIds: { type: 'array', items: { type: 'string' } },
          message_en: { type: 'string' },
          message_zh: { type: 'string' },
          detectedAt: isoTime,
        },
      },
      AuditReport: {
        type: 'object',
        required: ['format', 'generatedAt', 'department', 'period', 'chain', 'verification', 'entries', 'alerts'],
        properties: {
          format: { const: AUDIT_REPORT_FORMAT },
          generatedAt: isoTime,
          department: { type: 'object', required: ['id', 'name', 'uscc'], properties: { id: hex32, name: nullable({ type: 'string' }), uscc: nullable({ type: 'string' }) } },
          period: { type: 'object', required: ['from', 'to'], properties: { from: nullable(isoTime), to: nullable(isoTime) } },
          chain: { type: 'object', required: ['chainId', 'traceLedger'], properties: { chainId: { type: 'integer' }, traceLedger: { type: 'string' } } },
          verification: { type: 'object', description: 'The verification of the whole trail: verdict, steps, entries, firstProblem, checkpoint.' },
          entries: { type: 'array', items: ref('TrailEntry') },
          alerts: { type: 'array', items: ref('Alert') },
        },
      },
      DeliveryCheck: {
        type: 'object',
        required: ['deliveryId', 'match', 'recorded', 'given'],
        properties: {
          deliveryId: { type: 'string' },
          match: { type: 'boolean' },
          recorded: { type: 'object', required: ['dataSha256', 'rowCount'], properties: { dataSha256: hex32, rowCount: { type: 'integer' } } },
          given: { type: 'object', required: ['sha256'], properties: { sha256: hex32, rowCount: { type: 'integer' } } },
          bytes: { type: 'integer', description: 'With an upload: the bytes hashed.' },
        },
      },
      InclusionProof: {
        type: 'object',
        required: ['logId', 'index', 'size', 'leafHash', 'proof', 'root'],
        properties: { logId: { type: 'string' }, index: { type: 'integer' }, size: { type: 'integer' }, leafHash: hex32, proof: { type: 'array', items: hex32 }, root: hex32 },
      },
      ConsistencyProof: {
        type: 'object',
        required: ['logId', 'size1', 'size2', 'root1', 'root2', 'proof'],
        properties: { logId: { type: 'string' }, size1: { type: 'integer' }, size2: { type: 'integer' }, root1: hex32, root2: hex32, proof: { type: 'array', items: hex32 } },
      },
      MonitorReport: {
        type: 'object',
        required: ['ok', 'logId'],
        properties: {
          ok: { type: 'boolean' },
          logId: { type: 'string' },
          entries: { type: 'integer' },
          checkpointsChecked: { type: 'integer' },
          latest: nullable({ type: 'object', properties: { size: { type: 'integer' }, root: hex32 } }),
          size: { type: 'integer', description: 'Divergence: the checkpoint size where the stored log first fails to reproduce the chain.' },
          leafIndex: nullable({ type: 'integer' }),
          expected: nullable({ type: 'string' }),
          onChain: nullable({ type: 'string' }),
          stored: nullable({ type: 'string' }),
          reason: { type: 'string', enum: ['entry-missing', 'entry-duplicated', 'root-mismatch', 'stored-checkpoint-mismatch', 'checkpoint-not-on-chain'] },
          message: { type: 'string' },
        },
      },
      Token: {
        type: 'object',
        required: ['tokenHash', 'producerId', 'label', 'createdAt', 'revokedAt'],
        properties: { tokenHash: { type: 'string' }, producerId: hex32, label: { type: 'string' }, createdAt: isoTime, revokedAt: nullable(isoTime) },
      },
    },
  },
};

/** The document with the server's public base URL. */
export function openApiDocument(publicBaseUrl: string): OpenApiDocument {
  return { ...OPENAPI, servers: [{ url: publicBaseUrl }] };
}
