/**
 * What `npm run demo` (scripts/demo.ts) and its data-sharing part (scripts/demo-trails.ts) share:
 * the server's HTTP API with the admin token, the demo's keys under $DATA_DIR/demo/, and signing
 * and posting records as an issuer's tooling does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { commitRecord, parseRecord, signRecord, type ChainBinding, type RecordType } from '../server/records';

/** Where the server keeps its data (DATA_DIR, default data/, as npm start's). */
export const DATA_DIR = path.resolve(process.env.DATA_DIR || 'data');

/** What `npm start` writes to DATA_DIR/server.json once it listens (server/main.ts), and removes when it stops. */
interface ServerFile {
  url: string;
  pid: number;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * The server the demo talks to, and how it was found: DEMO_SERVER when set; else the URL in DATA_DIR/server.json when
 * the server that wrote it still runs; else http://localhost:$PORT (default 3000, npm start's default).
 */
export function findServer(env: NodeJS.ProcessEnv = process.env, dataDir = DATA_DIR): { url: string; how: string } {
  if (env.DEMO_SERVER) return { url: env.DEMO_SERVER.replace(/\/+$/, ''), how: 'DEMO_SERVER' };
  const file = path.join(dataDir, 'server.json');
  let stale = '';
  try {
    const found = JSON.parse(fs.readFileSync(file, 'utf8')) as ServerFile;
    if (typeof found.url === 'string' && Number.isInteger(found.pid)) {
      if (alive(found.pid)) return { url: found.url.replace(/\/+$/, ''), how: file };
      stale = `; ${file} names pid ${found.pid}, which no longer runs`;
    }
  } catch {
    // no server.json: no server has run on this data directory, or it stopped
  }
  const port = env.PORT || '3000';
  return { url: `http://localhost:${port}`, how: `${env.PORT ? 'PORT' : "npm start's default port"}${stale || `, as no running server wrote ${file}`}` };
}

const found = findServer();
/** The server the demo talks to (see findServer). */
export const SERVER = found.url;

/** What to tell a user whose server cannot be reached. */
export function noServerMessage(url: string, how: string, why: string): string {
  return [
    `no traceledger server answers at ${url} (${why}; the URL comes from ${how}).`,
    'Start one in another terminal with `npm start`, wait for "traceledger is running", then run `npm run demo` again.',
    `A server started with another DATA_DIR is found when the demo gets the same DATA_DIR (it reads DATA_DIR/server.json); or set DEMO_SERVER=http://host:port.`,
  ].join('\n');
}
/** Where the demo keeps its keys and files (DATA_DIR/demo). */
export const DEMO_DIR = path.join(DATA_DIR, 'demo');

export interface DemoApi {
  /** The server's base URL. */
  server: string;
  get<T>(p: string): Promise<T>;
  post<T>(p: string, body: unknown, token?: string): Promise<{ status: number; body: T }>;
  adminToken: string;
  binding: ChainBinding;
}

function adminToken(): string {
  if (process.env.ADMIN_TOKEN) return process.env.ADMIN_TOKEN;
  const file = path.join(DATA_DIR, 'admin-token');
  if (!fs.existsSync(file)) {
    throw new Error(`no admin token in ${file}: start the server with npm start (it writes the token there at its first start), or set ADMIN_TOKEN; for a server with another DATA_DIR, give the demo the same DATA_DIR`);
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/** The server's API, with the admin token and the chain binding it reports. Throws when the server cannot be reached. */
export async function api(): Promise<DemoApi> {
  let chain: { chainId: number; traceLedger: string };
  try {
    const res = await fetch(`${SERVER}/api/v1/chain`);
    if (!res.ok) throw new Error(`GET /api/v1/chain: HTTP ${res.status}`);
    chain = (await res.json()) as typeof chain;
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    throw new Error(noServerMessage(SERVER, found.how, err.cause?.code ?? err.message));
  }
  const token = adminToken();
  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(SERVER + p);
    if (!res.ok) throw new Error(`GET ${p}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const post = async <T>(p: string, body: unknown, bearer = token) => {
    const res = await fetch(SERVER + p, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  return { server: SERVER, get, post, adminToken: token, binding: { chainId: chain.chainId, verifyingContract: chain.traceLedger } };
}

/** A key kept under data/demo/, created on first use. */
export function demoKey(name: string): Wallet {
  fs.mkdirSync(DEMO_DIR, { recursive: true });
  const file = path.join(DEMO_DIR, `${name}.key`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, Wallet.createRandom().privateKey + '\n', { mode: 0o600 });
  return new Wallet(fs.readFileSync(file, 'utf8').trim());
}

/** An ISO 8601 instant in whole seconds. */
export const instant = (d = new Date()) => d.toISOString().replace(/\.\d+Z$/, 'Z');
/** An ISO 8601 instant `seconds` from now. */
export const isoIn = (seconds: number) => instant(new Date(Date.now() + seconds * 1000));

/** Registers a participant unless one with the same code exists; returns its id. */
export async function ensureParticipant(a: DemoApi, body: Record<string, unknown>, code: string): Promise<string> {
  const list = await a.get<{ items?: { id: string; code: string }[] } | { id: string; code: string }[]>(`/api/v1/participants?kind=${String(body.kind)}`);
  const items = Array.isArray(list) ? list : (list.items ?? []);
  const found = items.find((p) => p.code === code);
  if (found) return found.id;
  const res = await a.post<{ id: string; error?: { message: string } }>('/api/v1/participants', body);
  if (res.status !== 201) throw new Error(`registering ${String(body.name)}: ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Signs a record as its issuer's tooling does (fresh salts, EIP-712) and posts it. */
export async function submitSigned(a: DemoApi, route: string, type: RecordType, input: unknown, key: Wallet) {
  const record = parseRecord(type, input);
  const { root, salts } = commitRecord(record);
  const signature = await signRecord(key, type, record as never, root, a.binding);
  const res = await a.post<{ id: string; leafHash: string; receipt?: unknown; error?: { code: string; message: string } }>(route, { record, salts, signature }, '');
  if (res.status !== 201 && res.body.error?.code !== 'replay') throw new Error(`${type} ${(record as { id: string }).id}: ${JSON.stringify(res.body)}`);
  return res.body;
}
