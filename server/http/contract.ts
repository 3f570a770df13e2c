/**
 * Route contracts: each API route declares its method, path, prose, callers, and the zod schemas of its path
 * parameters, query, body and answers. Registering a route through {@link RouteTable} validates the request with those
 * very schemas (the handler gets the parsed values), and /openapi.json is generated from the same contracts
 * (./openapi.ts), so what is documented and what is accepted cannot drift apart.
 */
import type { IRouter, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { AppError } from '../errors';
import { requiredFieldMessage } from '../records';

/**
 * Who may call a route: anyone (no token needed), the holder of a token of a role (../service/tokens.ts), the operator
 * (the admin token), the monitoring system's METRICS_TOKEN. The operator passes every route that names any role but
 * 'producer' alone (those act for one producer).
 */
export type Caller = 'anyone' | 'producer' | 'lab' | 'department' | 'registrar' | 'regulator' | 'auditor' | 'operator' | 'metrics';

/** Every caller: anyone, and a token of any role must be valid (a route whose answer depends on who asks). */
export const ANY_CALLER: readonly Caller[] = ['anyone', 'producer', 'lab', 'department', 'registrar', 'regulator', 'auditor', 'operator'];

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export const HTTP_METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

/** One answer of a route. */
export interface ResponseContract {
  description: string;
  /** Body schema per media type (a JSON answer: `application/json`). JSON bodies are what the drift test checks. */
  content?: Record<string, z.ZodType>;
  headers?: Record<string, { description: string; schema: z.ZodType }>;
}

/** A JSON request body, parsed by the API's JSON parser and validated with `schema`. */
export interface JsonBodyContract<B extends z.ZodType> {
  /** What the body is validated with here; the handler is given its output. */
  schema: B;
  description?: string;
  /** The refusal of a body that fails `schema` (default: invalid-input naming every issue). */
  invalid?: (err: z.ZodError) => AppError;
  /**
   * The body's whole schema, when `schema` checks only its envelope because the handler's next stage validates the rest
   * with this same schema and refusal anyway (a signed record: the signature threads parse it before anything else;
   * the whole report body took 15-23 µs of the event loop a report, its envelope takes 6-7). The OpenAPI document gives
   * it, and a body failing `schema` is refused as it refuses it, so the answer still names every issue.
   */
  whole?: z.ZodType;
  /**
   * `schema`'s output for a value that certainly passes it, checked without zod, or undefined when it may not (zod then
   * decides): for the hot routes' bodies, where zod's copies cost the event loop more than the check.
   */
  fast?: (value: unknown) => z.output<B> | undefined;
}

/** A body the handler reads itself as a stream (a CSV file, a dataset upload): documented, never parsed here. */
export interface UploadContract {
  contentType: string;
  description: string;
  schema: z.ZodType;
}

export interface RouteContract<P extends z.ZodType | undefined = z.ZodType | undefined, Q extends z.ZodType | undefined = z.ZodType | undefined, B extends z.ZodType | undefined = z.ZodType | undefined> {
  method: HttpMethod;
  /** The full path, Express style (`/api/v1/batches/:id`). */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  /** Who may call it; {@link RouteTable}'s `authFor` turns the list into the auth middleware. */
  auth: readonly Caller[];
  /** A per-caller rate limit, mounted after the auth middleware. */
  limit?: 'write' | 'expensive-read';
  params?: P;
  query?: Q;
  body?: B extends z.ZodType ? JsonBodyContract<B> : undefined;
  /** Streamed bodies; with `body` as well, the JSON body is parsed only when the request is JSON. */
  uploads?: readonly UploadContract[];
  /** Every answer by status. The error answers the route's declarations imply (400, 401, 403, 429) are added when absent. */
  responses: Record<number, ResponseContract>;
  /** Middleware that runs before the auth middleware and validation (the chain relay's own CORS, limit and parser). */
  before?: readonly RequestHandler[];
  /** How a request that fails the schemas is answered, when not with the API's error envelope (the chain relay speaks JSON-RPC). */
  refuse?: (res: Response, error: AppError) => void;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler is given: the parsed path parameters, query and body. */
export interface RouteInput<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
}

export interface Route<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> extends RouteContract<P, Q, B> {
  handler: (input: RouteInput<P, Q, B>, req: Request, res: Response) => unknown;
}

/** Registers routes on one router, mounted at `mount`. */
export interface Api {
  route<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(route: Route<P, Q, B>): void;
}

// ---------------------------------------------------------------------------
// Shared schemas.

/** Schemas shared by several routes, by the name they have under #/components/schemas. */
export const COMPONENTS = new Map<z.ZodType, string>();

/** `schema`, named `name` in the document's components (referenced, not repeated, wherever it is used). */
export function component<T extends z.ZodType>(name: string, schema: T): T {
  if ([...COMPONENTS.values()].includes(name)) throw new Error(`component ${name} is named twice`);
  COMPONENTS.set(schema, name);
  return schema;
}

/** The error envelope every failed API request gets (./errors.ts). */
export const ErrorBodySchema = component(
  'Error',
  z
  .object({
    error: z.object({
      code: z.string().meta({ examples: ['invalid-input', 'replay'] }),
      message: z.string().min(1),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
    .meta({ description: 'Every refusal: `{ "error": { "code", "message", "details"? } }`.' }),
);

/** An error answer with the envelope. */
export const errorAnswer = (description: string): ResponseContract => ({ description, content: { 'application/json': ErrorBodySchema } });

/** A JSON answer. */
export const jsonAnswer = (description: string, schema: z.ZodType, headers?: ResponseContract['headers']): ResponseContract => ({
  description,
  content: { 'application/json': schema },
  ...(headers ? { headers } : {}),
});

/** The answers every route implies by what it declares, unless it declares them itself. */
export function impliedResponses(c: RouteContract): Record<number, ResponseContract> {
  const out: Record<number, ResponseContract> = {};
  if (c.params || c.query || c.body) out[400] = errorAnswer('The request is malformed (invalid-input): a path parameter, query parameter or body fails its schema.');
  const needsToken = !c.auth.includes('anyone');
  if (needsToken || c.auth.length > 1) out[401] = errorAnswer(needsToken ? 'No valid token (unauthorized).' : 'A token was given but is not valid (unauthorized).');
  // A valid token of another role answers 403 (the metrics guard knows only its two tokens: 401).
  if (needsToken && !c.auth.includes('metrics')) out[403] = errorAnswer('The token may not do this (forbidden).');
  if (c.body) out[413] = errorAnswer('The JSON body is over 256 kB (payload-too-large).');
  if (c.limit) out[429] = errorAnswer(c.limit === 'write' ? 'Too many write requests (rate-limited).' : 'Too many expensive reads (rate-limited).');
  return { ...out, ...c.responses };
}

// ---------------------------------------------------------------------------
// Validation.

/** The keys a query schema reads (through refinements and transforms). */
export function schemaKeys(schema: z.ZodType | undefined): string[] {
  if (schema === undefined) return [];
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodPipe) return schemaKeys(schema.in as z.ZodType);
  return [];
}

/**
 * Refuses a query that gives one of `keys` more than once (`?limit=1&limit=2`) or with brackets (`?limit[]=1`,
 * `?limit[a]=1`): a parameter is one plain value, never an array or object coerced into one.
 */
export function assertPlainQuery(query: Record<string, unknown>, keys: readonly string[]): void {
  for (const [key, value] of Object.entries(query)) {
    const base = key.replace(/\[.*$/, '');
    if (!keys.includes(base)) continue;
    if (key !== base || typeof value !== 'string') {
      throw new AppError('invalid-input', `${base}: must be given once, as a plain value (not repeated, no brackets)`);
    }
  }
}

/**
 * Refuses a path parameter or query value holding U+0000 (`%00`), whatever its schema: every one is an id, a code, a
 * cursor or a search term, PostgreSQL refuses U+0000 in text (the lookup answered 500), and none holds one.
 */
export function assertNoNulIn(values: unknown, what: 'path' | 'query'): void {
  if (typeof values !== 'object' || values === null) return;
  for (const [name, value] of Object.entries(values)) {
    const texts = Array.isArray(value) ? value : [value];
    if (texts.some((v) => typeof v === 'string' && v.includes('\u0000'))) {
      throw new AppError('invalid-input', `${name}: must not contain U+0000 (a NUL character)${what === 'path' ? ' (%00 in the path)' : ' (%00 in the query)'}`);
    }
  }
}

/** 400 invalid-input naming every issue: `path: message; …`. */
export function invalidInput(err: z.ZodError): AppError {
  const message = err.issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
  return new AppError('invalid-input', message, undefined, { cause: err });
}

/** `value` parsed with `schema` (a missing member reads "is required", as in the record schemas); `refusal` of the error otherwise. */
function parseWith<S extends z.ZodType>(schema: S, value: unknown, refusal: (err: z.ZodError) => AppError = invalidInput): z.output<S> {
  const parsed = schema.safeParse(value, { error: requiredFieldMessage });
  if (parsed.success) return parsed.data;
  throw refusal(parsed.error);
}

/** A JSON body validated by its contract: with `schema`, refused (when it fails) as `whole`, if given, refuses it. */
export function parseJsonBody<B extends z.ZodType>(body: JsonBodyContract<B>, value: unknown): z.output<B> {
  const quick = body.fast?.(value);
  if (quick !== undefined) return quick;
  const parsed = body.schema.safeParse(value, { error: requiredFieldMessage });
  if (parsed.success) return parsed.data;
  const whole = body.whole?.safeParse(value, { error: requiredFieldMessage });
  throw (body.invalid ?? invalidInput)(whole?.success === false ? whole.error : parsed.error);
}

/** The middleware that validates a request against `c` and calls its handler with the parsed values. */
function validated(c: Route<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>): RequestHandler {
  const queryKeys = schemaKeys(c.query);
  return async (req, res, next) => {
    let input: RouteInput<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;
    try {
      assertNoNulIn(req.params, 'path');
      const params = c.params ? parseWith(c.params, req.params) : undefined;
      let query;
      if (c.query) {
        assertPlainQuery(req.query as Record<string, unknown>, queryKeys);
        assertNoNulIn(req.query, 'query');
        query = parseWith(c.query, req.query);
      }
      const readsJson = c.body !== undefined && (!c.uploads?.length || typeof req.is('application/json') === 'string');
      const body = readsJson && c.body ? parseJsonBody(c.body, req.body) : undefined;
      input = { params, query, body };
    } catch (e) {
      if (c.refuse && e instanceof AppError) return c.refuse(res, e);
      return next(e);
    }
    await c.handler(input, req, res);
  };
}

// ---------------------------------------------------------------------------
// The table of routes.

export interface RouteTableOptions {
  /** The auth middleware for a list of callers (throws for a list it cannot enforce). */
  authFor: (callers: readonly Caller[]) => RequestHandler[];
  limits: Record<NonNullable<RouteContract['limit']>, RequestHandler>;
}

/** Every route registered, in order: what /openapi.json is generated from. */
export class RouteTable {
  readonly routes: RouteContract[] = [];

  constructor(private readonly opts: RouteTableOptions) {}

  /** An {@link Api} registering on `router`, which is mounted at `mount` (each contract's path starts with it). */
  on(router: IRouter, mount = ''): Api {
    return {
      route: (route) => {
        const r = route as unknown as Route<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;
        if (!r.path.startsWith(mount)) throw new Error(`route ${r.path} is not under ${mount}`);
        if (this.routes.some((x) => x.method === r.method && x.path === r.path)) throw new Error(`route ${r.method.toUpperCase()} ${r.path} is declared twice`);
        const handlers: RequestHandler[] = [...(r.before ?? []), ...this.opts.authFor(r.auth), ...(r.limit ? [this.opts.limits[r.limit]] : []), validated(r)];
        router[r.method](r.path.slice(mount.length) || '/', ...handlers);
        const { handler: _handler, before: _before, refuse: _refuse, ...contract } = r;
        this.routes.push(contract);
      },
    };
  }
}

/** `/api/v1/batches/:id` as OpenAPI writes it: `/api/v1/batches/{id}`. */
export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');
