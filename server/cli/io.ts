/** The CLI's input and output: files or stdin, key files, output files, times, and a progress bar on stderr. */
import fs from 'node:fs';
// ethers is loaded by the commands that need it (writeNewKeyFile), not by every run of the CLI.
import type * as ChainKeys from '../chain/keys';
import type { Wallet } from '../chain/keys';
import { CliError, EXIT, unusable } from './errors';

/** Writes a line to stdout (results). */
export const say = (line = ''): void => void process.stdout.write(`${line}\n`);

/** Writes a line to stderr (notes, warnings, progress). */
export const note = (line: string): void => void process.stderr.write(`${line}\n`);

/** The bytes of `file`, or of stdin for `-`. Throws (exit 2) when it cannot be read. */
export function readInputBytes(file: string): Buffer {
  try {
    return fs.readFileSync(file === '-' ? 0 : file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw unusable(`cannot read ${file === '-' ? 'standard input' : file}: ${why}`, e);
  }
}

/** The JSON value in `file` (or stdin for `-`). Throws (exit 2) when it cannot be read or is not JSON. */
export function readJsonFile(file: string): unknown {
  const text = readInputBytes(file).toString('utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw unusable(`${file === '-' ? 'standard input' : file} is not JSON: ${(e as Error).message.split('\n')[0]}`, e);
  }
}

/** The environment variable the CLI reads the server's admin token from. */
export const ADMIN_TOKEN_ENV = 'TRACELEDGER_ADMIN_TOKEN';

/** The help line of the refused `--admin-token` option, kept so the refusal can say why. */
export const ADMIN_TOKEN_OPTION_HELP = `refused: use ${ADMIN_TOKEN_ENV} or --admin-token-file (a token on the command line is visible to every user in the process list and kept in shell history)`;

/**
 * The server's admin token: from --admin-token-file, else the environment (TRACELEDGER_ADMIN_TOKEN). `--admin-token`
 * on the command line is refused (exit 2) saying why. Throws (exit 2) when there is none: `why` names what needs it.
 */
export function adminTokenOf(opts: { adminToken?: string; adminTokenFile?: string }, why: string, env: Record<string, string | undefined> = process.env): string {
  if (opts.adminToken !== undefined) {
    throw unusable(
      `--admin-token is refused: a token on the command line is visible to every user of this machine (ps, /proc) and kept in shell history. ` +
        `Put it in the environment (${ADMIN_TOKEN_ENV}) or a file readable only by you (--admin-token-file FILE, e.g. the server's DATA_DIR/admin-token)`,
    );
  }
  const token = opts.adminTokenFile ? readInputBytes(opts.adminTokenFile).toString('utf8').trim() : env[ADMIN_TOKEN_ENV]?.trim();
  if (!token) throw unusable(`${why} needs the admin token: ${ADMIN_TOKEN_ENV} in the environment or --admin-token-file (the server's ADMIN_TOKEN or DATA_DIR/admin-token)`);
  return token;
}

const KEY_PATTERN = /^(0x)?[0-9a-fA-F]{64}$/;

/** The private key in a key file (64 hex digits, optional 0x, as `keygen` writes it). Warns when others may read the file. */
export function readKeyFile(file: string): string {
  const key = readInputBytes(file).toString('utf8').trim();
  if (!KEY_PATTERN.test(key)) throw unusable(`${file} does not hold a private key (64 hex digits, optionally 0x-prefixed)`);
  try {
    if ((fs.statSync(file).mode & 0o077) !== 0) note(`warning: ${file} can be read by other users; chmod 600 ${file}`);
  } catch {
    // stdin or a special file: nothing to check.
  }
  return key.startsWith('0x') ? key : `0x${key}`;
}

/** Creates a key file holding a fresh private key, readable by its owner only. Refuses to overwrite unless `force`. */
export function writeNewKeyFile(file: string, force: boolean): Wallet {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { newWallet } = require('../chain/keys') as typeof ChainKeys;
  const wallet = newWallet();
  try {
    if (force) fs.rmSync(file, { force: true });
    fs.writeFileSync(file, `${wallet.privateKey}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${file} exists; keep that key, or pass --force to replace it`, EXIT.UNUSABLE);
    throw unusable(`cannot write ${file}: ${(e as Error).message}`, e);
  }
  return wallet;
}

/** Writes `data` to `file` (stdout for `-` or undefined) through a temporary file, with `mode`. */
export function writeOutput(file: string | undefined, data: string | Buffer, mode = 0o644): void {
  if (file === undefined || file === '-') {
    process.stdout.write(data);
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data, { mode });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw unusable(`cannot write ${file}: ${(e as Error).message}`, e);
  }
}

/** Seconds since the epoch of a YYYY-MM-DD date (00:00 UTC), an ISO 8601 instant, or a number of seconds. */
export function parseWhen(value: string, what: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(ms)) throw unusable(`${what}: "${value}" is not a date (YYYY-MM-DD), an ISO 8601 time or seconds since 1970`);
  return Math.floor(ms / 1000);
}

/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export class ProgressBar {
  private readonly tty = process.stderr.isTTY === true;
  private last = 0;
  private shown = false;

  constructor(
    private label: string,
    private total: number,
    private readonly unit = '',
  ) {}

  /** Redraws at most every 50 ms, and always at the end. */
  update(done: number, label?: string, total?: number): void {
    if (label !== undefined) this.label = label;
    if (total !== undefined) this.total = total;
    if (!this.tty) return;
    const now = Date.now();
    if (done < this.total && now - this.last < 50) return;
    this.last = now;
    const width = 28;
    const ratio = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(ratio * width);
    const count = this.unit === 'bytes' ? ` ${formatBytes(done)}/${formatBytes(this.total)}` : this.unit ? ` ${done}/${this.total} ${this.unit}` : '';
    process.stderr.write(`\r\x1b[K${this.label.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%${count}`);
    this.shown = true;
  }

  /** Clears the bar. */
  done(): void {
    if (this.tty && this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
