/** Service configuration, parsed once from the environment against a schema. Nothing else reads process.env. */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** An address Express's 'trust proxy' list takes: an IPv4/IPv6 address, optionally with a /prefix, or a named range. */
function isProxyAddress(s: string): boolean {
  if (s === 'loopback' || s === 'linklocal' || s === 'uniquelocal') return true;
  const [addr, prefix, ...rest] = s.split('/');
  if (rest.length > 0 || addr === undefined || net.isIP(addr) === 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (net.isIP(addr) === 4 ? 32 : 128));
}

const intFrom = (def: number) => z.coerce.number().int().nonnegative().default(def);

/** Every key the service reads, with what it means. */
export const ConfigSchema = z.object({
  /** Folder for the embedded chain state, SQLite database and deployment file. */
  DATA_DIR: z.string().default('data'),
  /** HTTP port of the service. */
  PORT: intFrom(3000),
  /** JSON-RPC port of the embedded anvil node on 127.0.0.1 (ignored when RPC_URL is set). */
  CHAIN_PORT: intFrom(8545),
  /**
   * PostgreSQL (postgres:// or postgresql:// URL, e.g. postgresql://user:password@host:5432/traceledger): when set,
   * the store is PostgreSQL (several instances may share it) instead of SQLite in DATA_DIR. Never logged with its password.
   */
  DATABASE_URL: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\/[^/]/.test(v) && URL.canParse(v), { error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  /** PostgreSQL connections each instance keeps at most (with DATABASE_URL). */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  /** An external EVM JSON-RPC endpoint; when set, no embedded node is started. */
  RPC_URL: z.string().url().optional(),
  /**
   * At start, how many seconds to wait for the chain node to answer (eth_chainId, eth_blockNumber), retrying with
   * backoff and logging each failed attempt, before giving up with an error; 0 tries once.
   */
  CHAIN_WAIT_SECONDS: intFrom(60),
  /** Hex private key of the operator (deployer / anchorer). Required with RPC_URL unless SIGNER_KEY_FILE is set. */
  SIGNER_KEY: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/).optional(),
  /** File holding the operator's hex private key. */
  SIGNER_KEY_FILE: z.string().optional(),
  /**
   * With RPC_URL, start even when SIGNER_KEY / SIGNER_KEY_FILE is a published dev key (the "test test … junk"
   * mnemonic's accounts): for a throwaway local test chain only. Default false: such a key is refused at start.
   */
  ALLOW_DEV_KEYS: z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).default('false').transform((v) => v === 'true' || v === '1'),
  /** Public base URL printed on QR labels (host and optional path, https assumed when no scheme). */
  PUBLIC_BASE_URL: z.string().optional(),
  /** JSON-RPC URL the consumer's browser may read the chain from (optional). */
  PUBLIC_RPC_URL: z.string().url().optional(),
  /** Anchor a checkpoint once this many entries are waiting. */
  ANCHOR_EVERY_ENTRIES: intFrom(256),
  /** ... or once the oldest waiting entry is this many seconds old. */
  ANCHOR_EVERY_SECONDS: intFrom(10),
  /**
   * Most requests the server puts in one JSON-RPC batch to the chain node (its own reads and writes, and the relay
   * POST /api/v1/chain/rpc); FISCO BCOS's gateway refuses a batch of more than 8.
   */
  RPC_BATCH_MAX: z.coerce.number().int().positive().default(8),
  /** Confirmations to wait for before a checkpoint counts as anchored. */
  CONFIRMATIONS: intFrom(1),
  /**
   * With DATABASE_URL (several instances on one database): how long the anchoring leader's lease lasts unless
   * renewed (ms). When the leader dies, another instance takes over within LEADER_LEASE_MS + LEADER_RENEW_MS.
   */
  LEADER_LEASE_MS: z.coerce.number().int().min(500).default(5000),
  /** How often the leader renews its lease, and the others try to take it (ms; below LEADER_LEASE_MS / 2). */
  LEADER_RENEW_MS: z.coerce.number().int().min(100).default(1000),
  /**
   * /healthz answers degraded when an accepted record has waited this many seconds without being anchored,
   * or a checkpoint's transaction has been submitted this long without confirming (keep it above ANCHOR_EVERY_SECONDS).
   */
  ANCHOR_LAG_DEGRADED_SECONDS: z.coerce.number().int().positive().default(120),
  /**
   * Bearer token of the operator / regulator for admin routes (participants, tokens, revocations).
   * When unset, one is generated at first start and kept in DATA_DIR/admin-token (mode 0600).
   */
  ADMIN_TOKEN: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  /** Bearer token that may read /metrics (besides the admin token); without it /metrics answers 401 to everyone but the admin. */
  METRICS_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  /** Requests per minute each client address may send to the read-only chain route POST /api/v1/chain/rpc; 0 turns the limit off. */
  RATE_LIMIT_CHAIN_RPC_PER_MINUTE: intFrom(600),
  /** Write requests (POST, DELETE) each API token (or client address) may make per minute; 0 turns the limit off. */
  RATE_LIMIT_WRITES_PER_MINUTE: intFrom(600),
  /**
   * Which proxies in front of the service to believe about the client's address (X-Forwarded-For), as Express's
   * 'trust proxy' setting: unset or "false" believes none (the socket's address is the client's); a number is the
   * count of proxy hops in front of the service (e.g. 1 behind one load balancer); otherwise a comma-separated list
   * of proxy addresses or subnets (10.0.0.0/8, loopback, uniquelocal…). The write rate limit keys on that address.
   */
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((v, ctx): false | number | string[] => {
      if (v === undefined || v.trim() === '' || v.trim() === 'false') return false;
      if (/^\d+$/.test(v.trim())) return Number(v.trim());
      const list = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
      const bad = list.filter((x) => !isProxyAddress(x));
      if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `not a hop count, an IP address, a subnet or loopback/linklocal/uniquelocal: ${bad.join(', ')}` });
      return list;
    }),
  /** Seconds a client may take to send a whole request (headers and body) on every route but the dataset-check upload. */
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(30),
  /** Seconds a client may take to send a request's headers. */
  HEADERS_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(20),
  /** Seconds a client may take to send a dataset-check upload (POST /api/v1/deliveries/{id}/check, several GB); default 2 h. */
  UPLOAD_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(7200),
  /** Most client connections the HTTP server holds open at once; further ones are closed at once. */
  MAX_CONNECTIONS: z.coerce.number().int().positive().default(512),
  /**
   * Expensive reads (QR images, label sheets, trail verifications, share receipts) each API token (or client
   * address) may make per minute, in a bucket apart from the writes'; 0 turns the limit off.
   */
  EXPENSIVE_READS_PER_MINUTE: intFrom(120),
  /** Days a data-sharing delivery may wait for the receiving department's receipt before an alert is raised. */
  COUNTERSIGN_DAYS: intFrom(5),
  /** A signed record's issuedAt may be at most this many seconds before the server receives it (default 72 h). */
  ISSUED_AT_MAX_AGE_SECONDS: intFrom(259_200),
  /** ... and at most this many seconds after (clock skew; default 5 min). */
  ISSUED_AT_MAX_AHEAD_SECONDS: intFrom(300),
  /** /healthz answers degraded when the file system holding DATA_DIR has less than this many MB free. */
  DISK_FREE_MIN_MB: intFrom(64),
  /** Log level for pino. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Worker threads that check signatures of submitted records; 0 checks them on the main thread. Default: one less than the CPU count (at least 0). */
  INGEST_THREADS: z.coerce.number().int().min(0).max(32).default(Math.max(0, os.availableParallelism() - 1)),
});

export type Config = z.infer<typeof ConfigSchema> & { dbPath: string; deploymentPath: string; chainStatePath: string; adminTokenPath: string; operatorKeyPath: string };

/** Parses the environment (or a given record). Throws with every offending key named. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // A key set to the empty string (`DATA_DIR= npm start`) means unset: its default applies, never "" (the
  // current directory, for DATA_DIR).
  const parsed = ConfigSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (c.RPC_URL && !c.SIGNER_KEY && !c.SIGNER_KEY_FILE) {
    throw new Error('invalid configuration:\n  RPC_URL is set, so SIGNER_KEY or SIGNER_KEY_FILE is required');
  }
  if (c.LEADER_RENEW_MS * 2 > c.LEADER_LEASE_MS) {
    throw new Error(`invalid configuration:\n  LEADER_RENEW_MS (${c.LEADER_RENEW_MS}) must be at most half of LEADER_LEASE_MS (${c.LEADER_LEASE_MS}): a leader renews its lease at least twice before it lapses`);
  }
  const dataDir = path.resolve(c.DATA_DIR);
  return {
    ...c,
    DATA_DIR: dataDir,
    dbPath: path.join(dataDir, 'traceledger.sqlite'),
    deploymentPath: path.join(dataDir, 'deployment.json'),
    chainStatePath: path.join(dataDir, 'anvil-state.json'),
    adminTokenPath: path.join(dataDir, 'admin-token'),
    /** The embedded node's operator key, generated at the first start (mode 0600). */
    operatorKeyPath: path.join(dataDir, 'operator-key'),
  };
}
