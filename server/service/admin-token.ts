/**
 * The operator's admin bearer token (participants, API tokens, revocations): ADMIN_TOKEN when set,
 * otherwise generated at first start and kept in DATA_DIR/admin-token, readable by its owner only.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface AdminToken {
  token: string;
  /** Where it came from: the environment, a file kept from an earlier start, or a file written now. */
  source: 'env' | 'file' | 'generated';
  /** The file holding it; null when it came from ADMIN_TOKEN. */
  path: string | null;
}

/** Where the token comes from: these two keys of the configuration (server/config/). */
export interface AdminTokenSettings {
  ADMIN_TOKEN?: string | undefined;
  /** DATA_DIR/admin-token. */
  adminTokenPath: string;
}

const MIN_LENGTH = 32;

/** A fresh random admin token (256 bits). */
export function generateAdminToken(): string {
  return `tla_${crypto.randomBytes(32).toString('base64url')}`;
}

/**
 * The admin token for this configuration, creating DATA_DIR/admin-token (mode 0600) when neither
 * ADMIN_TOKEN nor the file exists. Idempotent. Throws when the file holds something too short to be a token.
 */
export function ensureAdminToken(config: AdminTokenSettings): AdminToken {
  if (config.ADMIN_TOKEN) return { token: config.ADMIN_TOKEN, source: 'env', path: null };
  const file = config.adminTokenPath;
  const kept = readTokenFile(file);
  if (kept !== undefined) return { token: kept, source: 'file', path: file };

  fs.mkdirSync(path.dirname(file), { recursive: true });
  const token = generateAdminToken();
  try {
    // 'wx': never overwrite a token another process has just written.
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return ensureAdminToken(config);
    throw e;
  }
  return { token, source: 'generated', path: file };
}

function readTokenFile(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const token = text.trim();
  if (token.length < MIN_LENGTH) throw new Error(`${file} does not hold an admin token (at least ${MIN_LENGTH} characters); delete it to have a new one generated`);
  return token;
}
