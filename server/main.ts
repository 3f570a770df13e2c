/**
 * Entry point of `npm start`: configuration → the system (chain, contracts, store, worker) → the
 * HTTP service. Ctrl-C (SIGINT) or SIGTERM stops it cleanly: the HTTP server closes, the worker
 * stops, SQLite closes, and the server saves the embedded chain node's state once more before
 * stopping it. Nothing depends on that last save: every acknowledged write was saved before its
 * answer (server/chain/embedded.ts), so even a kill -9 loses nothing acknowledged.
 */
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { createApp, createHttpServer } from './http/app';
import { createContext } from './http/context';
import { loadConfig, type Config } from './config';
import { deadLabelUrlBanner, deadLabelUrlProblem } from './labels';
import { ensureAdminToken, type AdminToken } from './service/admin-token';
import { staleBuild } from './runtime';
import { bootSystem, type System } from './system';
import { redactDatabaseUrl } from './store';

/** How long open connections get to finish once a stop was asked for. */
const DRAIN_MS = 5000;

function fail(message: string): never {
  process.stderr.write(`traceledger: ${message}\n`);
  process.exit(1);
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Where the embedded chain's operator key lives (an old data directory may still use anvil's published dev key). */
function operatorNote(config: Config, sys: System): string {
  if (!sys.anvil) return '';
  return fs.existsSync(config.operatorKeyPath) ? ` (key in ${config.operatorKeyPath}, mode 0600)` : " (anvil's published dev key: see the warning above)";
}

/**
 * DATA_DIR/server.json, written once the server listens and removed when it stops: where a tool on this machine finds
 * it (`npm run demo` reads data/server.json, the default data directory's). `pid` tells a file left by a killed server
 * (its process gone) from a live one.
 */
const SERVER_FILE = 'server.json';

interface ServerFile {
  url: string;
  port: number;
  pid: number;
  startedAt: string;
  dataDir: string;
}

function writeServerFile(config: Config): () => void {
  const file = path.join(config.DATA_DIR, SERVER_FILE);
  const content: ServerFile = { url: `http://localhost:${config.PORT}`, port: config.PORT, pid: process.pid, startedAt: new Date().toISOString(), dataDir: config.DATA_DIR };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return () => {
    try {
      if ((JSON.parse(fs.readFileSync(file, 'utf8')) as ServerFile).pid === process.pid) fs.rmSync(file, { force: true });
    } catch {
      // already gone, or not ours
    }
  };
}

function banner(config: Config, sys: System, admin: AdminToken, publicBaseUrl: string, deadLabels: string | null): string {
  const local = `http://localhost:${config.PORT}`;
  const chain = sys.anvil ? `${sys.rpcUrl} (embedded anvil, chain id ${sys.deployment.chainId}, state in ${config.chainStatePath})` : `${sys.rpcUrl} (chain id ${sys.deployment.chainId})`;
  const adminLine =
    admin.source === 'env' ? 'from ADMIN_TOKEN' : admin.source === 'generated' ? `generated now, in ${admin.path} (mode 0600)` : `in ${admin.path}`;
  const lines = [
    'traceledger is running',
    `  API          ${local}/api/v1`,
    `  OpenAPI      ${local}/openapi.json`,
    `  Health       ${local}/healthz`,
    `  Metrics      ${local}/metrics (needs ${config.METRICS_TOKEN ? 'METRICS_TOKEN' : 'the admin token'} as a Bearer token)`,
    `  Console      ${local}/console (producers)`,
    `  Lab          ${local}/lab`,
    `  Department   ${local}/department`,
    `  Auditor      ${local}/audit`,
    ...(publicBaseUrl !== local ? [`  Public URL   ${publicBaseUrl} (printed on labels)`] : []),
    `  Chain RPC    ${chain}`,
    `  Contracts    TraceLedger ${sys.deployment.traceLedger} (deployed ${sys.deployment.deployedAt})`,
    `  Store        ${storeLine(config, sys)}`,
    `  Data dir     ${config.DATA_DIR}`,
    `  Operator     ${sys.operatorAddress}${operatorNote(config, sys)}`,
    `  Admin token  ${adminLine}`,
    ...deadLabelUrlBanner(deadLabels),
    'Press Ctrl-C to stop.',
  ];
  return lines.join('\n') + '\n';
}

/** Which store, and (on a shared database) this instance's part. */
function storeLine(config: Config, sys: System): string {
  if (!config.DATABASE_URL) return `SQLite ${config.dbPath}`;
  const part = sys.leadership();
  const role = part.leader ? 'this instance leads anchoring' : `anchoring led by ${part.holder ?? 'another instance'}`;
  return `PostgreSQL ${redactDatabaseUrl(config.DATABASE_URL)} (${role})`;
}

async function main(): Promise<void> {
  // Compiled (dist/), never run what the sources no longer say: npm start rebuilds first, a hand-run node dist/… may not.
  const stale = staleBuild();
  if (stale) fail(`the compiled server in dist/ is out of date with the sources (${stale}): start it with npm start, which rebuilds it first, or run npm run build`);
  let config: Config;
  let admin: AdminToken;
  try {
    config = loadConfig(process.env);
    admin = ensureAdminToken(config);
  } catch (e) {
    fail(messageOf(e));
  }

  let sys: System;
  try {
    sys = await bootSystem(config);
  } catch (e) {
    fail(`could not start: ${messageOf(e)}`);
  }

  const ctx = createContext(sys);
  // Short request and header timeouts everywhere but the dataset-check upload, and a cap on connections (server/http/app.ts).
  const server = createHttpServer(createApp(ctx), config);
  try {
    await listen(server, config.PORT);
  } catch (e) {
    await sys.stop();
    const busy = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
    fail(busy ? `port ${config.PORT} is in use; set PORT to another one` : `could not listen on port ${config.PORT}: ${messageOf(e)}`);
  }
  let removeServerFile = (): void => undefined;
  try {
    removeServerFile = writeServerFile(config);
  } catch (e) {
    sys.logger.warn({ err: messageOf(e) }, `could not write ${path.join(config.DATA_DIR, SERVER_FILE)}: npm run demo will look for the server at http://localhost:$PORT (default 3000) only`);
  }
  // Labels printed now would carry QR codes no phone can open: say so loudly, in the banner and in the log.
  const deadLabels = deadLabelUrlProblem(ctx.publicBaseUrl, config.PUBLIC_BASE_URL);
  process.stdout.write(banner(config, sys, admin, ctx.publicBaseUrl, deadLabels));
  if (deadLabels !== null) sys.logger.warn({ publicBaseUrl: ctx.publicBaseUrl }, `${deadLabels}; set PUBLIC_BASE_URL before printing labels`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`traceledger: ${signal} again, exiting at once\n`);
      process.exit(1);
    }
    stopping = true;
    sys.logger.info({ signal }, 'stopping');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    await closed;
    clearTimeout(force);
    removeServerFile();
    await sys.stop();
    process.stdout.write('traceledger stopped; the chain state and the database are saved\n');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stop(signal).catch((e: unknown) => fail(`error while stopping: ${messageOf(e)}`));
    });
  }
}

void main();
