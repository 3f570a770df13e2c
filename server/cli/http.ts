/** The CLI's calls to a running traceledger server: one request, the body streamed with upload progress. */
import http from 'node:http';
import https from 'node:https';
import { CliError, EXIT, unusable } from './errors';

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** The API URL of `path` (e.g. /batches/import) on the server at `base`. */
export function apiUrl(base: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw unusable(`--server ${base} is not a URL (e.g. http://localhost:3000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw unusable(`--server ${base}: only http and https are supported`);
  return new URL(`${url.pathname.replace(/\/+$/, '')}/api/v1${path}`, url);
}

const SLICE = 64 * 1024;

/** Sends one request; `onUpload(sent, total)` follows the body as it goes out. Throws (exit 2) when the server cannot be reached. */
export function send(
  method: string,
  url: URL,
  opts: { headers?: Record<string, string>; body?: Buffer; onUpload?: (sent: number, total: number) => void; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const body = opts.body ?? Buffer.alloc(0);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method, headers: { ...opts.headers, 'content-length': String(body.length) }, timeout: opts.timeoutMs ?? 120_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
      res.on('error', (e) => reject(unreachable(url, e)));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => reject(unreachable(url, e)));
    let sent = 0;
    const pump = (): void => {
      while (sent < body.length) {
        const slice = body.subarray(sent, sent + SLICE);
        sent += slice.length;
        opts.onUpload?.(sent, body.length);
        if (!req.write(slice)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

function unreachable(url: URL, e: Error): CliError {
  const code = (e as NodeJS.ErrnoException).code;
  return unusable(`cannot reach the server at ${url.origin}: ${code ?? e.message}`, e);
}

/** The JSON of an answer; throws (exit 1) with the server's `{ error: { code, message } }` for a status outside `ok`. */
export function jsonOf<T>(answer: HttpAnswer, ok: readonly number[] = [200, 201]): T {
  let json: unknown;
  try {
    json = JSON.parse(answer.body.toString('utf8'));
  } catch {
    json = undefined;
  }
  if (!ok.includes(answer.status)) throw refusal(answer, json);
  if (json === undefined) throw unusable(`the server answered HTTP ${answer.status} without JSON; is --server a traceledger server?`);
  return json as T;
}

/** The error a non-success answer stands for. */
export function refusal(answer: HttpAnswer, json?: unknown): CliError {
  if (json === undefined) {
    try {
      json = JSON.parse(answer.body.toString('utf8'));
    } catch {
      json = undefined;
    }
  }
  const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (err?.message) return new CliError(`the server refused (HTTP ${answer.status} ${err.code ?? ''}): ${err.message}`.replace(' )', ')'), EXIT.REFUSED);
  if (answer.status === 404) return unusable('the server has no such route (HTTP 404); is --server a traceledger server?');
  return new CliError(`the server answered HTTP ${answer.status}`, EXIT.REFUSED);
}

/** POSTs `body` as JSON to `path` of the server's API and returns the answer's JSON; throws as {@link jsonOf} for a status outside `ok`. */
export async function postJson<T>(server: string, path: string, body: unknown, opts: { token?: string; ok?: readonly number[] } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return jsonOf<T>(await send('POST', apiUrl(server, path), { headers, body: Buffer.from(JSON.stringify(body), 'utf8') }), opts.ok ?? [200, 201]);
}
