/**
 * A bounded, deterministic HTTP fuzzer driven by an OpenAPI 3.1 document: from a seed, it builds a list of
 * malformed requests for every path and method of the document (path parameters, query, bodies, encodings,
 * headers), sends them to a running server and judges each answer (no 5xx, no hang, no stack trace or file
 * path, the JSON error envelope on every 4xx of the API).
 */
import http from 'node:http';
import zlib from 'node:zlib';

// ---------------------------------------------------------------------------------------------------------
// A seeded PRNG (mulberry32): the same seed gives the same requests.

export class Rng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). Requires n >= 1. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The operations of the document.

/** The parts of OpenAPI 3.1 the fuzzer reads. */
export interface ApiSchema {
  $ref?: string;
  type?: string | string[];
  enum?: readonly unknown[];
  const?: unknown;
  properties?: Record<string, ApiSchema>;
  required?: readonly string[];
  items?: ApiSchema;
  oneOf?: ApiSchema[];
  anyOf?: ApiSchema[];
  allOf?: ApiSchema[];
  minimum?: number;
  maximum?: number;
  [keyword: string]: unknown;
}
interface ApiParameter {
  $ref?: string;
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: ApiSchema;
}
export interface ApiDocument {
  paths: Record<string, Record<string, { parameters?: ApiParameter[]; requestBody?: { content?: Record<string, { schema?: ApiSchema }> } }>>;
  components?: { schemas?: Record<string, ApiSchema>; parameters?: Record<string, ApiParameter> };
}

export interface Operation {
  method: string;
  /** The path template, e.g. `/api/v1/batches/{id}`. */
  path: string;
  pathParams: string[];
  query: { name: string; schema: ApiSchema }[];
  /** Request body media types and their schemas (empty without a body). */
  bodies: { contentType: string; schema: ApiSchema }[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Resolves a local `#/components/…` reference. */
function resolve<T extends { $ref?: string }>(doc: ApiDocument, x: T): T {
  if (!x.$ref) return x;
  const parts = x.$ref.replace(/^#\//, '').split('/');
  let node: unknown = doc;
  for (const p of parts) node = (node as Record<string, unknown>)[p];
  if (node === undefined) throw new Error(`unresolved $ref ${x.$ref}`);
  return resolve(doc, node as T);
}

/** Every path and method of `doc`, with its parameters and request bodies resolved. */
export function operationsOf(doc: ApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const params = (op.parameters ?? []).map((p) => resolve(doc, p));
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: resolve(doc, p.schema ?? {}) })),
        bodies: Object.entries(op.requestBody?.content ?? {}).map(([contentType, c]) => ({ contentType, schema: c.schema ?? {} })),
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------------------
// Values.

/** Strings that break parsers, decoders and path handling (none names a real file). */
const NASTY_STRINGS = [
  '',
  ' ',
  'A'.repeat(4000),
  '批次-富硒茶-🍵',
  '\u0000',
  'a\u0000b',
  '../../../../etc/passwd',
  '..\\..\\windows',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  '\ud800',
  '\uffff\ufffe',
  '%E0%A4%A',
  'null',
  'true',
  '-1',
  '1e309',
  `0x${'f'.repeat(64)}`,
  '0'.repeat(300),
  '\r\nX-Injected: 1',
];

const EDGE_NUMBERS = [0, -0, -1, 1.5, 2 ** 31, 2 ** 53 + 1, -(2 ** 53) - 1, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER];

/** A value of the wrong kind for anything. */
function wrongValue(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => rng.pick(NASTY_STRINGS),
    () => rng.pick(EDGE_NUMBERS),
    () => null,
    () => rng.chance(0.5),
    () => [],
    () => ({}),
    () => [rng.pick(NASTY_STRINGS), rng.pick(EDGE_NUMBERS)],
    () => ({ __proto__: { polluted: true } }),
    () => JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown,
    () => 'x'.repeat(rng.pick([1000, 50_000])),
  ])();
}

/** A value shaped like `schema` (random content: never a seeded id, so no request changes seeded data by design). */
export function sample(doc: ApiDocument, schema: ApiSchema, rng: Rng, depth = 0): unknown {
  const s = resolve(doc, schema);
  if (depth > 6) return null;
  if (s.const !== undefined) return s.const;
  if (s.enum && s.enum.length > 0) return rng.pick(s.enum);
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives && alternatives.length > 0) return sample(doc, rng.pick(alternatives), rng, depth + 1);
  if (s.allOf && s.allOf.length > 0) {
    return Object.assign({}, ...s.allOf.map((part) => sample(doc, part, rng, depth + 1)).filter((v) => v && typeof v === 'object'));
  }
  const type = Array.isArray(s.type) ? rng.pick(s.type) : s.type ?? (s.properties ? 'object' : 'string');
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(s.properties ?? {})) {
        if (s.required?.includes(name) || rng.chance(0.5)) out[name] = sample(doc, prop, rng, depth + 1);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: rng.int(3) }, () => sample(doc, s.items ?? {}, rng, depth + 1));
    case 'integer':
      return Math.floor((s.minimum ?? 0) + rng.int(Math.max(1, Math.min(1000, (s.maximum ?? 1000) - (s.minimum ?? 0)))));
    case 'number':
      return rng.next() * 100;
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    default:
      return rng.pick(['ZY25-MJ0328', '2026-01-01T00:00:00Z', '6972345010010', 'fuzz', `0x${'ab'.repeat(20)}`, '11610900MB0000001X', 'tea']);
  }
}

/** `inner` wrapped `depth` times in arrays or objects, as text (JSON.stringify would recurse that deep). */
export function nestedJson(depth: number, inner = '1', kind: 'array' | 'object' = 'array'): string {
  return kind === 'array' ? '['.repeat(depth) + inner + ']'.repeat(depth) : '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
}

// ---------------------------------------------------------------------------------------------------------
// Requests.

export type AuthLevel = 'none' | 'producer' | 'admin';

export interface FuzzRequest {
  method: string;
  /** The raw request target (path and query) as sent: deliberately not always valid. */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The operation it was built from and how it was mutated (for the report). */
  operation: string;
  auth: AuthLevel;
  mutation: string;
}

/** Values the fuzzer may put where an id goes; GET requests may use them as they are (to reach deeper code). */
export interface FuzzSeeds {
  /** Path parameter name → real values (record ids, participant ids, departments, logs). */
  pathValues: Record<string, readonly string[]>;
  tokens: Record<Exclude<AuthLevel, 'none'>, string>;
}

/** Percent-encodes `s`; a lone surrogate (which encodeURIComponent refuses) becomes its WTF-8 bytes, invalid UTF-8. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s
      .split(/([\ud800-\udfff])/)
      .map((part) => (/^[\ud800-\udfff]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
      .join('');
  }
}

/** A path parameter as sent (percent-encoded unless the mutation is about the encoding). */
function pathValue(rng: Rng, name: string, method: string, seeds: FuzzSeeds): { value: string; mutation: string } {
  // Only reads start from real data: a write must never be able to change what was seeded, even by a legitimate reading of a mutated id.
  const real = method === 'GET' ? (seeds.pathValues[name] ?? []) : [];
  const base = real.length > 0 ? rng.pick(real) : 'ZY25-MJ0328';
  const mutations: [string, () => string][] = [
    ['empty', () => ''],
    ['huge', () => 'A'.repeat(rng.pick([200, 2000, 6000]))],
    ['bad-percent', () => rng.pick(['%E0%A4%A', '%', '%zz', `${base}%`, '%C0%AF', '%FF%FE', '%uD800'])],
    ['unicode', () => enc(rng.pick(['批次-富硒茶', '🍵🍵', '\u202e', 'Ⅻ', '\ufeffid']))],
    ['latin1-raw', () => 'caf\u00e9'],
    ['dot-dot', () => rng.pick(['..', '../..', '..%2F..%2F..%2Fhealthz', '%2e%2e%2f%2e%2e', '.', './'])],
    ['null-byte', () => rng.pick(['%00', `${base}%00`, `a%00b`, '%00'.repeat(10)])],
    ['mutated-real', () => enc(rng.pick([`${base}x`, base.toUpperCase(), base.slice(0, -1), ` ${base}`, `${base}'`]))],
    ['nasty', () => enc(rng.pick(NASTY_STRINGS))],
    ['number', () => String(rng.pick(EDGE_NUMBERS))],
    ['encoded-slash', () => `${base}%2F${base}`],
  ];
  if (real.length > 0) mutations.push(['real', () => enc(base)], ['real', () => enc(base)]);
  const [mutation, make] = rng.pick(mutations);
  return { value: make(), mutation: `path.${name}:${mutation}` };
}

/** A query string for `op` (without the `?`), well-formed or not. */
function queryOf(rng: Rng, op: Operation, seeds: FuzzSeeds): { query: string; mutation: string } {
  const parts: string[] = [];
  const muts: string[] = [];
  const known = op.query.map((q) => q.name);
  for (const { name, schema } of op.query) {
    if (rng.chance(0.3)) continue;
    const kind = rng.pick(['valid', 'wrong-type', 'array', 'huge', 'nasty', 'bad-percent', 'edge', 'empty', 'bracket']);
    muts.push(`query.${name}:${kind}`);
    switch (kind) {
      case 'valid': {
        const v = name === 'ids' ? (seeds.pathValues.id ?? ['x']).join(',') : sample({ paths: {} }, schema, rng);
        parts.push(`${name}=${enc(String(v))}`);
        break;
      }
      case 'wrong-type':
        parts.push(`${name}=${enc(rng.pick(['abc', 'true', '{}', '[]', '1.5', '-3', 'NaN', 'Infinity']))}`);
        break;
      case 'array':
        parts.push(`${name}=1`, `${name}=2`, `${name}=`);
        break;
      case 'huge':
        parts.push(`${name}=${rng.chance(0.5) ? '9'.repeat(400) : 'a,'.repeat(2500)}`);
        break;
      case 'nasty':
        parts.push(`${name}=${enc(rng.pick(NASTY_STRINGS))}`);
        break;
      case 'bad-percent':
        parts.push(`${name}=${rng.pick(['%E0%A4%A', '%', '%zz', '%00'])}`);
        break;
      case 'edge':
        parts.push(`${name}=${enc(String(rng.pick(EDGE_NUMBERS)))}`);
        break;
      case 'empty':
        parts.push(rng.chance(0.5) ? `${name}=` : name);
        break;
      case 'bracket':
        parts.push(`${name}[a]=1`, `${name}[]=2`);
        break;
    }
  }
  if (rng.chance(0.2) || known.length === 0) {
    parts.push(rng.pick(['extra=1', 'format=json', 'format=csv', '__proto__[x]=1', 'lang=xx', 'size=4096', 'limit=-1', '=', '&&', `a=${'b'.repeat(3000)}`]));
    muts.push('query:extra');
  }
  return { query: parts.join('&'), mutation: muts.join(',') };
}

const corruptGzip = (rng: Rng, text: string): Buffer => {
  const gz = zlib.gzipSync(Buffer.from(text));
  return rng.pick([() => gz.subarray(0, Math.max(1, gz.length - 5)), () => Buffer.concat([gz.subarray(0, 10), rng.bytes(20)]), () => rng.bytes(40), () => Buffer.from([0x1f, 0x8b])])();
};

/** A body for `op` and the headers it needs. */
function bodyOf(rng: Rng, doc: ApiDocument, op: Operation): { body?: Buffer; headers: Record<string, string>; mutation: string } {
  const declared = op.bodies.length > 0 ? rng.pick(op.bodies) : undefined;
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const base = (): Record<string, unknown> => {
    const v = declared && declared.contentType === 'application/json' ? sample(doc, declared.schema, rng) : {};
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  };
  const ct = { 'Content-Type': 'application/json' };
  const kinds: [string, () => { body?: Buffer; headers: Record<string, string> }][] = [
    ['schema-sample', () => ({ body: json(base()), headers: ct })],
    [
      'missing-field',
      () => {
        const b = base();
        const keys = Object.keys(b);
        if (keys.length) delete b[rng.pick(keys)];
        return { body: json(b), headers: ct };
      },
    ],
    ['extra-field', () => ({ body: json({ ...base(), [rng.pick(['extra', '__proto__', 'constructor', 'x'.repeat(500)])]: wrongValue(rng) }), headers: ct })],
    [
      'wrong-type-field',
      () => {
        const b = base();
        const keys = Object.keys(b);
        b[keys.length ? rng.pick(keys) : 'record'] = wrongValue(rng);
        return { body: json(b), headers: ct };
      },
    ],
    ['wrong-top-level', () => ({ body: Buffer.from(rng.pick(['[]', 'null', '1', '"x"', 'true', '[{}]', '1e999', '-0'])), headers: ct })],
    ['edge-number', () => ({ body: Buffer.from(`{"record":${rng.pick(['1e999', '-1e999', '9007199254740993', '1'.repeat(400), '0.' + '0'.repeat(400) + '1'])},"size":1e400}`), headers: ct })],
    ['huge-string', () => ({ body: json({ ...base(), record: 'x'.repeat(rng.pick([100_000, 250_000])) }), headers: ct })],
    ['over-limit', () => ({ body: json({ blob: 'x'.repeat(300 * 1024) }), headers: ct })],
    [
      'deep-nesting',
      () => {
        const depth = rng.pick([64, 1000, 5000, 20_000]);
        const kind = rng.pick(['array', 'object'] as const);
        const where = rng.pick(['top', 'record', 'record-field', 'record-field', 'salts', 'keys']);
        const deep = nestedJson(depth, '1', kind);
        // Inside a record that passes the envelope's checks (a signature of the right shape), so the record itself gets parsed.
        const text =
          where === 'top'
            ? deep
            : where === 'record-field'
              ? `{"record":{"id":"fuzz-1","step":"request","batchId":"fuzz-b","notes":${deep}},"salts":{},"signature":"0x${'1b'.repeat(65)}"}`
              : `{"${where}":${deep}}`;
        return { body: Buffer.from(text), headers: ct };
      },
    ],
    ['not-json', () => ({ body: Buffer.from(rng.pick(['{', '{"a":', 'nul', "{'a':1}", '\u0000\u0001', '{"a":1}}', '\ufeff{"a":1}', '{"a":"\\uD800"}', '{"a":"\\x"}'])), headers: ct })],
    ['duplicate-keys', () => ({ body: Buffer.from('{"record":1,"record":{"id":"a"},"salts":{},"salts":[]}'), headers: ct })],
    ['empty-json', () => ({ body: Buffer.alloc(0), headers: ct })],
    ['charset', () => ({ body: json(base()), headers: { 'Content-Type': rng.pick(['application/json; charset=latin1', 'application/json; charset=utf-16', 'application/json; charset=nope', 'application/json; charset="']) } })],
    [
      'wrong-content-type',
      () => ({
        body: rng.chance(0.5) ? json(base()) : rng.bytes(64),
        headers: { 'Content-Type': rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz', 'multipart/form-data', 'application/xml', 'text/csv', 'application/octet-stream', '*/*', 'garbage', ';;;', 'application/json+x']) },
      }),
    ],
    ['form-body', () => ({ body: Buffer.from('record[id]=1&record[__proto__][x]=1&salts=%E0%A4%A'), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })],
    ['gzip-corrupt', () => ({ body: corruptGzip(rng, JSON.stringify(base())), headers: { ...ct, 'Content-Encoding': 'gzip' } })],
    ['deflate-corrupt', () => ({ body: rng.chance(0.5) ? rng.bytes(32) : zlib.deflateSync(Buffer.from('{"a":1}')).subarray(0, 4), headers: { ...ct, 'Content-Encoding': 'deflate' } })],
    ['gzip-valid', () => ({ body: zlib.gzipSync(json(base())), headers: { ...ct, 'Content-Encoding': 'gzip' } })],
    ['gzip-bomb', () => ({ body: zlib.gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)), headers: { ...ct, 'Content-Encoding': 'gzip' } })],
    ['unknown-encoding', () => ({ body: json(base()), headers: { ...ct, 'Content-Encoding': rng.pick(['br', 'compress', 'x-foo', 'gzip, gzip', 'identity, gzip']) } })],
    [
      'csv',
      () => ({
        body: Buffer.from(
          rng.pick([
            'gtin,lot\n6972345010010,"unclosed\n',
            '\ufeffa,b,c\n1,2,3\n',
            `${'x,'.repeat(5000)}\n`,
            'gtin,lot,issuedAt\n' + '6972345010010,L1,nope\n'.repeat(50),
            '\u0000\u0000\u0000',
            '',
          ]),
        ),
        headers: { 'Content-Type': rng.pick(['text/csv', 'text/csv; charset=utf-8', 'text/csv; charset=gbk']) },
      }),
    ],
    ['octet-stream', () => ({ body: rng.bytes(rng.pick([0, 10, 5000])), headers: { 'Content-Type': 'application/octet-stream' } })],
  ];
  const [mutation, make] = rng.pick(kinds);
  return { ...make(), mutation: `body:${mutation}` };
}

/** Extra or odd headers (the auth level's Authorization header may be replaced). */
function headerMutation(rng: Rng): { headers: Record<string, string>; mutation: string; replacesAuth?: boolean } {
  const options: [string, Record<string, string>, boolean?][] = [
    ['accept-html', { Accept: 'text/html' }],
    ['accept-odd', { Accept: rng.pick(['image/png', '*/*;q=0', 'application/linkset+json', ';;', 'a'.repeat(2000)]) }],
    ['auth-malformed', { Authorization: rng.pick(['Bearer', 'Bearer ', 'Basic YTpi', 'Bearer a b', `Bearer ${'x'.repeat(6000)}`, 'bearer tlp_nope', 'Token x', 'Bearer \u00e9']) }, true],
    ['auth-unknown-token', { Authorization: 'Bearer tlp_0000000000000000000000000000000000' }, true],
    ['forwarded', { 'X-Forwarded-For': rng.pick(['1.2.3.4, , ,', 'not-an-ip', '::1', '999.999.999.999']), Forwarded: 'for=nope' }],
    ['range', { Range: rng.pick(['bytes=0-1', 'bytes=-1', 'bytes=9999999-', 'nonsense']) }],
    ['conditional', { 'If-None-Match': '*', 'If-Modified-Since': 'never' }],
    ['method-override', { 'X-HTTP-Method-Override': 'DELETE' }],
    ['accept-language', { 'Accept-Language': rng.pick(['xx', '*', 'zh-CN;q=nope', 'a'.repeat(1000)]) }],
    ['cookie', { Cookie: `s=${'c'.repeat(4000)}` }],
    ['expect', { Expect: '100-continue' }],
  ];
  const [mutation, headers, replacesAuth] = rng.pick(options);
  return { headers, mutation: `header:${mutation}`, replacesAuth };
}

const AUTH_LEVELS: readonly AuthLevel[] = ['none', 'producer', 'admin'];

/**
 * `count` requests spread evenly over every operation of `doc` and every auth level (round robin, so each
 * pair gets its share), each with a random mix of path, query, body and header mutations.
 */
export function generateRequests(doc: ApiDocument, seeds: FuzzSeeds, rng: Rng, count: number): FuzzRequest[] {
  const ops = operationsOf(doc);
  const pairs = ops.flatMap((op) => AUTH_LEVELS.map((auth) => ({ op, auth })));
  const out: FuzzRequest[] = [];
  for (let i = 0; i < count; i++) {
    const { op, auth } = pairs[i % pairs.length]!;
    const muts: string[] = [];
    let target = op.path;
    for (const name of op.pathParams) {
      const { value, mutation } = pathValue(rng, name, op.method, seeds);
      target = target.replace(`{${name}}`, value);
      muts.push(mutation);
    }
    if (op.query.length > 0 || rng.chance(0.2)) {
      const { query, mutation } = queryOf(rng, op, seeds);
      if (query !== '') target += `?${query}`;
      if (mutation) muts.push(mutation);
    }
    const headers: Record<string, string> = {};
    if (auth !== 'none') headers.Authorization = `Bearer ${seeds.tokens[auth]}`;
    let body: Buffer | undefined;
    // Bodies for operations that take one, and now and then for any other (a body on a GET or DELETE).
    if (op.bodies.length > 0 || rng.chance(0.15)) {
      const b = bodyOf(rng, doc, op);
      body = b.body;
      Object.assign(headers, b.headers);
      muts.push(b.mutation);
    }
    if (rng.chance(0.25)) {
      const h = headerMutation(rng);
      Object.assign(headers, h.headers);
      muts.push(h.mutation);
    }
    out.push({ method: op.method, target, headers, body, operation: `${op.method} ${op.path}`, auth, mutation: muts.join(' ') || 'none' });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Sending and judging.

export interface FuzzAnswer {
  status: number | null;
  contentType: string;
  body: Buffer;
  ms: number;
  /** 'hang' when no answer came within the timeout; a socket error's code otherwise. */
  failure?: string;
}

/** Sends `req` to 127.0.0.1:`port` (over `agent`); a request without an answer within `timeoutMs` is a 'hang'. */
export function send(port: number, req: FuzzRequest, agent: http.Agent, timeoutMs: number): Promise<FuzzAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Omit<FuzzAnswer, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...a, ms: performance.now() - started });
    };
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = req.body.length;
    let r: http.ClientRequest;
    try {
      r = http.request({ host: '127.0.0.1', port, method: req.method, path: req.target, headers, agent });
    } catch (e) {
      // The client itself refused to send it (e.g. a character Node does not allow in a header): not the server's doing.
      resolve({ status: null, contentType: '', body: Buffer.alloc(0), ms: 0, failure: `client-refused:${(e as NodeJS.ErrnoException).code ?? 'error'}` });
      return;
    }
    const timer = setTimeout(() => {
      r.destroy(new Error('hang'));
      done({ status: null, contentType: '', body: Buffer.alloc(0), failure: 'hang' });
    }, timeoutMs);
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? null, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
      res.on('error', (e: NodeJS.ErrnoException) => done({ status: res.statusCode ?? null, contentType: '', body: Buffer.concat(chunks), failure: `response-error:${e.code ?? e.message}` }));
    });
    r.on('error', (e: NodeJS.ErrnoException) => done({ status: null, contentType: '', body: Buffer.alloc(0), failure: `socket:${e.code ?? e.message}` }));
    r.end(req.body);
  });
}

/** A stack frame or a server-side file path in an answer. */
const LEAK = /\n\s+at \S|\bat (?:async )?[\w.<>]+ \([^)]*:\d+:\d+\)|node_modules|\/work\/|\/home\/|\/usr\/(?:lib|src)\/|\b[\w-]+\.(?:ts|js):\d+/;
const TEXTUAL = /json|text|html|xml|csv|javascript/;

/**
 * Node's own HTTP parser refused the request before any application code ran (e.g. a raw non-ASCII byte in
 * the request line): it answers a bare `400 Bad Request` with no body and closes the connection.
 */
export const refusedByNodeParser = (answer: FuzzAnswer): boolean => answer.status === 400 && answer.contentType === '' && answer.body.length === 0;

/** API routes that answer JSON-RPC (their error envelope is `{ jsonrpc, id, error: { code: number, message } }`). */
const JSON_RPC_ROUTES = new Set(['/api/v1/chain/rpc']);

/** What is wrong with `answer` to `req`, or null when it is acceptable. */
export function judge(req: FuzzRequest, answer: FuzzAnswer): string | null {
  if (answer.failure) return answer.failure.startsWith('client-refused') ? null : answer.failure;
  if (refusedByNodeParser(answer)) return null;
  const status = answer.status ?? 0;
  if (status >= 500) return `status-${status}`;
  const text = TEXTUAL.test(answer.contentType) ? answer.body.toString('utf8') : '';
  if (text && LEAK.test(text)) return 'leak (stack trace or file path)';
  if (req.target.startsWith('/api/v1') && status >= 400) {
    let env: { error?: { code?: unknown; message?: unknown } } | undefined;
    try {
      env = JSON.parse(answer.body.toString('utf8')) as typeof env;
    } catch {
      return `no-envelope-${status}`;
    }
    // The chain relay speaks JSON-RPC: its refusals are JSON-RPC error objects (a numeric code), as its clients expect.
    const codeType = JSON_RPC_ROUTES.has(req.target.split('?')[0]!) ? 'number' : 'string';
    const error = env?.error;
    if (!error || typeof error.code !== codeType || typeof error.message !== 'string' || error.message === '') return `no-envelope-${status}`;
  }
  return null;
}

export interface FuzzFinding {
  problem: string;
  operation: string;
  auth: AuthLevel;
  count: number;
  /** What `classify` says of the first request that showed it. */
  cause: string;
  /** One request that showed it, replayable by hand. */
  example: { method: string; target: string; mutation: string; status: number | null; body: string };
}

export interface FuzzSummary {
  sent: number;
  byClass: Record<string, number>;
  fiveXx: number;
  /** 5xx answers by the cause `classify` names for their request. */
  fiveXxBy: Record<string, number>;
  hangs: number;
  clientRefused: number;
  /** Answered by Node's HTTP parser with a bare 400 (see {@link refusedByNodeParser}), not by the application. */
  parserRefused: number;
  maxMs: number;
  maxMsRequest: string;
  findings: FuzzFinding[];
}

/** Sends every request (at most `concurrency` at a time) and sums up the answers, grouping problems by kind and operation. */
export async function runFuzz(
  port: number,
  requests: readonly FuzzRequest[],
  opts: { concurrency: number; timeoutMs: number; classify?: (req: FuzzRequest) => string },
): Promise<FuzzSummary> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const summary: FuzzSummary = { sent: 0, byClass: {}, fiveXx: 0, fiveXxBy: {}, hangs: 0, clientRefused: 0, parserRefused: 0, maxMs: 0, maxMsRequest: '', findings: [] };
  const byKey = new Map<string, FuzzFinding>();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < requests.length) {
      const req = requests[next++]!;
      const answer = await send(port, req, agent, opts.timeoutMs);
      if (answer.failure?.startsWith('client-refused')) {
        summary.clientRefused++;
        continue;
      }
      summary.sent++;
      const cls = answer.status === null ? 'none' : `${Math.floor(answer.status / 100)}xx`;
      summary.byClass[cls] = (summary.byClass[cls] ?? 0) + 1;
      if ((answer.status ?? 0) >= 500) {
        summary.fiveXx++;
        const cause = opts.classify?.(req) ?? 'unclassified';
        summary.fiveXxBy[cause] = (summary.fiveXxBy[cause] ?? 0) + 1;
      }
      if (answer.failure === 'hang') summary.hangs++;
      if (refusedByNodeParser(answer)) summary.parserRefused++;
      if (answer.ms > summary.maxMs) {
        summary.maxMs = answer.ms;
        summary.maxMsRequest = `${req.method} ${req.target.slice(0, 120)} [${req.mutation}]`;
      }
      const problem = judge(req, answer);
      if (problem === null) continue;
      const key = `${problem}|${req.operation}|${req.auth}`;
      const f = byKey.get(key);
      if (f) f.count++;
      else {
        const finding: FuzzFinding = {
          problem,
          operation: req.operation,
          auth: req.auth,
          count: 1,
          cause: opts.classify?.(req) ?? 'unclassified',
          example: { method: req.method, target: req.target.slice(0, 200), mutation: req.mutation, status: answer.status, body: answer.body.toString('utf8').slice(0, 300) },
        };
        byKey.set(key, finding);
        summary.findings.push(finding);
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return summary;
}
