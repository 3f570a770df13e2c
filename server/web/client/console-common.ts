/**
 * What the lab and department consoles share, in the browser: the REST API, the keystore kept in IndexedDB
 * (the encrypted file only; the decrypted key lives in this page's memory and is never sent anywhere), local
 * SHA-256 of files, and signing a record exactly as `traceledger sign-report` / `share sign` do: parse with the
 * record's schema, commit with fresh salts (server/records/field-tree), sign its EIP-712 message (server/records/eip712).
 */
import { KeystoreError, keystoreSummary, openKeystore } from '../../chain/keystore';
import { sha256 } from '../../crypto/primitives';
import { toHex0x } from '../../crypto/bytes';
import { signRecord, type ChainBinding } from '../../records/eip712';
import { commitRecord } from '../../records/field-tree';
import { RecordError } from '../../records/errors';
import type { RecordType } from '../../records/record-types';
import type { RecordOf } from '../../records/schemas';

export type Lang = 'zh' | 'en';
export type Wallet = Awaited<ReturnType<typeof openKeystore>>;

export const lang: Lang = document.documentElement.lang === 'en' ? 'en' : 'zh';

export const $ = <T extends HTMLElement = HTMLInputElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
};

export const val = (id: string): string => $<HTMLInputElement>(id).value.trim();

/** A refusal from the API, or a problem found here before sending: a stable code and a sentence. */
export class ConsoleError extends Error {
  override readonly name = 'ConsoleError';
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Calls the REST API; a non-2xx answer throws ConsoleError with the API's `{ error: { code, message } }`. */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown, token?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ConsoleError('network', (e as Error).message);
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ConsoleError(err?.code ?? String(res.status), err?.message ?? res.statusText, res.status);
  }
  return data as T;
}

let binding: Promise<ChainBinding> | undefined;
/** The chain and TraceLedger this server anchors to (the EIP-712 domain of every signature). */
export const chainBinding = (): Promise<ChainBinding> =>
  (binding ??= api<{ chainId: number; traceLedger: string }>('GET', '/chain').then((c) => ({ chainId: c.chainId, verifyingContract: c.traceLedger })));

// ---------------------------------------------------------------------------
// The keystore file, in IndexedDB.

const DB = 'traceledger-console';
const STORE = 'keystores';

function db(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const d = await db();
  return new Promise<T>((resolve, reject) => {
    const req = fn(d.transaction(STORE, mode).objectStore(STORE));
    req.onsuccess = () => resolve(req.result as T);
    req.onerror = () => reject(req.error);
  });
}

/** The encrypted keystore JSON kept for `role` (lab or department), if any. */
export const storedKeystore = (role: string): Promise<string | undefined> => tx<string | undefined>('readonly', (s) => s.get(role));
export const keepKeystore = (role: string, json: string): Promise<void> => tx<void>('readwrite', (s) => s.put(json, role));
export const forgetKeystore = (role: string): Promise<void> => tx<void>('readwrite', (s) => s.delete(role));

/** The address a keystore file names; throws ConsoleError 'not-a-keystore'. */
export function keystoreAddress(json: string): string | null {
  try {
    return keystoreSummary(json).address;
  } catch (e) {
    if (e instanceof KeystoreError) throw new ConsoleError(e.code, e.message);
    throw e;
  }
}

/** Decrypts the keystore here; throws ConsoleError 'wrong-password' or 'not-a-keystore'. */
export async function unlock(json: string, password: string, progress?: (f: number) => void): Promise<Wallet> {
  try {
    return await openKeystore(json, password, progress);
  } catch (e) {
    if (e instanceof KeystoreError) throw new ConsoleError(e.code, e.message);
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Files, ids, times.

/** SHA-256 of a file, read here and never uploaded: 0x + 64 lowercase hex digits. */
export async function sha256OfFile(file: Blob): Promise<`0x${string}`> {
  return toHex0x(sha256(new Uint8Array(await file.arrayBuffer())));
}

/** A ULID: 48 bits of milliseconds and 80 random bits, Crockford base32 (26 characters). */
export function newUlid(now = Date.now()): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let t = now;
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = alphabet.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  const rnd = new Uint8Array(16);
  crypto.getRandomValues(rnd);
  let random = '';
  for (const b of rnd) random += alphabet.charAt(b % 32);
  return time + random;
}

/** Now as an instant without milliseconds, as the CLI writes it. */
export const instantNow = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

// ---------------------------------------------------------------------------
// Signing.

/** What POST /api/v1/reports and /shares take. */
export interface SignedSubmission<T extends RecordType = RecordType> {
  type: T;
  record: RecordOf<T>;
  salts: Record<string, string>;
  signature: string;
}

/**
 * Commits a parsed record with fresh salts and signs it for this server's chain binding, as the CLI does.
 * `record` must be the output of the record type's schema (parseRecord / parseShareRecord).
 */
export async function signParsed<T extends RecordType>(wallet: Wallet, type: T, record: RecordOf<T>): Promise<SignedSubmission<T>> {
  const { root, salts } = commitRecord(record);
  const signature = await signRecord(wallet, type, record as never, root, await chainBinding());
  return { type, record, salts, signature };
}

/** A record's schema problems as one ConsoleError 'invalid-record' (field: message; …). */
export function recordProblem(e: unknown): ConsoleError {
  if (e instanceof RecordError) return new ConsoleError('invalid-record', e.message);
  return e instanceof ConsoleError ? e : new ConsoleError('error', (e as Error).message);
}

// ---------------------------------------------------------------------------
// Showing things.

export function el(tag: string, text?: string, cls?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/** Shows `text` in the status box #out, as a refusal (role=alert, its code in bold) or a plain note. */
export function say(text: string, kind: 'ok' | 'error' | 'note' = 'note', code?: string): void {
  const out = $('out');
  out.replaceChildren();
  out.className = kind === 'error' ? 'alert' : kind === 'ok' ? 'ok-note' : 'mono';
  out.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  out.dataset.kind = kind;
  if (code) {
    const c = el('strong', code, 'err-code');
    out.append(c, ' ');
  }
  out.append(text);
  out.dataset.code = code ?? '';
  if (out.scrollIntoView) out.scrollIntoView({ block: 'nearest' });
}
