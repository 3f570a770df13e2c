/**
 * The OpenAPI 3.1 description of the REST API, served at /openapi.json, generated from the route contracts
 * (./contract.ts) with zod's own JSON Schema output (JSON Schema 2020-12, the dialect of OpenAPI 3.1). Schemas named
 * with `component()` become #/components/schemas and are referenced wherever they are used.
 */
import { z } from 'zod';
import { COMPONENTS, HTTP_METHODS, impliedResponses, openApiPath, type Caller, type HttpMethod, type RouteContract } from './contract';

/** A JSON Schema (2020-12). */
export type SchemaObject = Record<string, unknown>;

export interface ParameterObject {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: SchemaObject;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: ParameterObject[];
  requestBody?: { required: boolean; description?: string; content: Record<string, { schema: SchemaObject }> };
  responses: Record<string, { description: string; headers?: Record<string, { description: string; schema: SchemaObject }>; content?: Record<string, { schema: SchemaObject }> }>;
}

export type PathItemObject = Partial<Record<HttpMethod, OperationObject>>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } };
  servers: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, SchemaObject>;
    securitySchemes: Record<string, { type: 'http'; scheme: 'bearer'; description: string }>;
  };
}

export { HTTP_METHODS };

const INFO: OpenApiDocument['info'] = {
  title: 'traceledger',
  version: '1.0.0',
  description:
    'Blockchain-anchored ledger for selenium-rich product traceability and government data-sharing trails. ' +
    'Producers submit batches with an API token; labs submit EIP-712-signed selenium test reports; ' +
    'departments submit EIP-712-signed share steps (request, reply, delivery, receipt) and get a signed receipt; ' +
    'every record is appended to an RFC 6962 log whose checkpoints are anchored on chain, and its proof bundle ' +
    'verifies with nothing but a JSON-RPC endpoint. Errors answer `{ "error": { "code", "message" } }`. ' +
    'Generated from the route contracts the server validates requests with.',
  license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
};

const TAGS: OpenApiDocument['tags'] = [
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
];

const SECURITY_SCHEMES: OpenApiDocument['components']['securitySchemes'] = {
  adminToken: { type: 'http', scheme: 'bearer', description: "The operator's admin token: ADMIN_TOKEN, or the one generated into DATA_DIR/admin-token. It passes every route but those that act for one producer." },
  producerToken: { type: 'http', scheme: 'bearer', description: "A producer's API token (tlp_…) from POST /api/v1/tokens: it acts for that producer." },
  labToken: { type: 'http', scheme: 'bearer', description: "A lab's API token (tll_…): it reads what is the lab's." },
  departmentToken: { type: 'http', scheme: 'bearer', description: "A department's API token (tld_…): it reads the share details and alerts of its own trail." },
  registrarToken: { type: 'http', scheme: 'bearer', description: "The registrar's token (tlr_…): registers participants and their keys, issues producer, lab and department tokens." },
  regulatorToken: { type: 'http', scheme: 'bearer', description: "The regulator's token (tlg_…): revokes records, designates spot checks, reads what an auditor reads." },
  auditorToken: { type: 'http', scheme: 'bearer', description: "An auditor's token (tla_…): reads trails (verified afresh), share details, alerts and audit reports; changes nothing." },
  metricsToken: { type: 'http', scheme: 'bearer', description: "The monitoring system's token for /metrics: METRICS_TOKEN." },
};

/** OpenAPI's security requirement of each caller (`{}`: no token needed). */
const SECURITY: Record<Caller, Record<string, string[]>> = {
  anyone: {},
  producer: { producerToken: [] },
  lab: { labToken: [] },
  department: { departmentToken: [] },
  registrar: { registrarToken: [] },
  regulator: { regulatorToken: [] },
  auditor: { auditorToken: [] },
  operator: { adminToken: [] },
  metrics: { metricsToken: [] },
};

/** The callers a route lets in, the operator included where the authenticator lets it pass (../http/auth.ts). */
function callersOf(c: RouteContract): Caller[] {
  const producerOnly = c.auth.length === 1 && c.auth[0] === 'producer';
  return producerOnly || c.auth.includes('operator') || c.auth.includes('metrics') ? [...c.auth] : [...c.auth, 'operator'];
}

const INLINE = '~inline~';
const INLINE_REF = `#/components/schemas/${INLINE}`;

/**
 * Every zod schema the contracts use, converted in one pass (io 'input': what a client sends, and, for an answer,
 * the JSON a client receives and the schema accepts). Named components come out as `$ref`s.
 */
class SchemaSet {
  private readonly registry = z.registry<{ id: string }>();
  private readonly inline = new Map<z.ZodType, string>();
  private converted: Record<string, SchemaObject> | undefined;

  constructor() {
    for (const [schema, name] of COMPONENTS) this.registry.add(schema, { id: name });
  }

  /** A placeholder for `schema`'s JSON Schema, filled in by {@link resolve}. */
  use(schema: z.ZodType): SchemaObject {
    const name = COMPONENTS.get(schema);
    if (name !== undefined) return { $ref: `#/components/schemas/${name}` };
    let id = this.inline.get(schema);
    if (id === undefined) {
      id = `${INLINE}${this.inline.size}`;
      this.inline.set(schema, id);
      this.registry.add(schema, { id });
    }
    return { $inline: id };
  }

  private convert(): Record<string, SchemaObject> {
    const { schemas } = z.toJSONSchema(this.registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, SchemaObject> };
    const out: Record<string, SchemaObject> = {};
    for (const [id, s] of Object.entries(schemas)) {
      const { $schema: _dialect, $id: _id, ...rest } = s;
      out[id] = rest;
    }
    return out;
  }

  /** `value` with every placeholder replaced by its JSON Schema; and the named components. */
  resolve<T>(value: T): { value: T; components: Record<string, SchemaObject> } {
    this.converted ??= this.convert();
    const all = this.converted;
    const fill = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(fill);
      if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.$inline === 'string') return fill(all[o.$inline]);
        // An unnamed schema nested in another one is written out where it is used.
        if (typeof o.$ref === 'string' && o.$ref.startsWith(INLINE_REF)) return fill(all[o.$ref.slice(INLINE_REF.length - INLINE.length)]);
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fill(x)]));
      }
      return v;
    };
    const components = Object.fromEntries(Object.entries(all).filter(([id]) => !id.startsWith(INLINE)).map(([id, c]) => [id, fill(c) as SchemaObject]));
    return { value: fill(value) as T, components };
  }
}

/** The path or query parameters of a schema: one per property, with its description. */
function parametersOf(set: SchemaSet, schema: z.ZodType | undefined, where: 'path' | 'query'): ParameterObject[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, SchemaObject>; required?: string[] };
  const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : schema instanceof z.ZodPipe && schema.in instanceof z.ZodObject ? (schema.in.shape as Record<string, z.ZodType>) : {};
  return Object.keys(json.properties ?? {}).map((name) => {
    const prop = shape[name];
    const { description, ...rest } = json.properties![name]!;
    // A named schema stays a reference; any other is written out here.
    const s = prop && COMPONENTS.has(prop) ? set.use(prop) : rest;
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: s,
    };
  });
}

function operationOf(set: SchemaSet, c: RouteContract): OperationObject {
  const op: OperationObject = { operationId: c.operationId, summary: c.summary, tags: [...c.tags], responses: {} };
  if (c.description) op.description = c.description;
  if (!(c.auth.length === 1 && c.auth[0] === 'anyone')) op.security = callersOf(c).map((a) => SECURITY[a]);
  const parameters = [...parametersOf(set, c.params, 'path'), ...parametersOf(set, c.query, 'query')];
  if (parameters.length > 0) op.parameters = parameters;
  if (c.body || c.uploads?.length) {
    const content: Record<string, { schema: SchemaObject }> = {};
    if (c.body) content['application/json'] = { schema: set.use(c.body.whole ?? c.body.schema) };
    for (const u of c.uploads ?? []) content[u.contentType] = { schema: set.use(u.schema) };
    const description = [c.body?.description, ...(c.uploads ?? []).map((u) => `${u.contentType}: ${u.description}`)].filter(Boolean).join(' ');
    op.requestBody = { required: true, ...(description ? { description } : {}), content };
  }
  for (const [status, r] of Object.entries(impliedResponses(c)).sort(([a], [b]) => Number(a) - Number(b))) {
    op.responses[status] = {
      description: r.description,
      ...(r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([h, x]) => [h, { description: x.description, schema: set.use(x.schema) }])) } : {}),
      ...(r.content ? { content: Object.fromEntries(Object.entries(r.content).map(([type, s]) => [type, { schema: set.use(s) }])) } : {}),
    };
  }
  return op;
}

/** The document of `routes`, with `publicBaseUrl` as its server. */
export function openApiDocument(routes: readonly RouteContract[], publicBaseUrl: string): OpenApiDocument {
  const set = new SchemaSet();
  const paths: Record<string, PathItemObject> = {};
  for (const c of routes) (paths[openApiPath(c.path)] ??= {})[c.method] = operationOf(set, c);
  const { value, components } = set.resolve(paths);
  return {
    openapi: '3.1.0',
    info: INFO,
    servers: [{ url: publicBaseUrl }],
    tags: TAGS,
    paths: value,
    components: { schemas: components, securitySchemes: SECURITY_SCHEMES },
  };
}
