/**
 * What `npm run demo` (scripts/demo.ts) and its data-sharing part (scripts/demo-trails.ts) share:
 * the server's HTTP API with the admin token, the demo's keys under $DATA_DIR/demo/, and signing
 * and posting records as an issuer's tooling does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { commitRecord, parseRecord, signRecord, type ChainBinding, type RecordType } from '../server/records';

/** Where the server keeps its data (DATA_DIR, default data/). */
export const DATA_DIR = path.resolve(process.env.DATA_DIR ?? 'data');
/** The server the demo talks to (DEMO_SERVER, default http://localhost:$PORT or 3000). */
export const SERVER = (process.env.DEMO_SERVER ?? `http://localhost:${process.env.PORT ?? 3000}`).replace(/\/+$/, '');
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
  if (!fs.existsSync(file)) throw new Error(`no admin token: set ADMIN_TOKEN, or run npm start first (it writes ${file})`);
  return fs.readFileSync(file, 'utf8').trim();
}

/** The server's API, with the admin token and the chain binding it reports. Throws when the server cannot be reached. */
export async function api(): Promise<DemoApi> {
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
  let chain: { chainId: number; traceLedger: string };
  try {
    chain = await get('/api/v1/chain');
  } catch (e) {
    throw new Error(`cannot reach the server at ${SERVER} (${(e as Error).message}); start it with npm start`);
  }
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
