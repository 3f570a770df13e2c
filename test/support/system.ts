/** Boots the real system (anvil + contracts + SQLite + worker) in a temporary folder, and sets up participants. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import pino from 'pino';
import { freePort } from '../../server/chain/anvil';
import { loadConfig } from '../../server/config';
import { bootSystem, type BootOptions, type System } from '../../server/system';

export interface TestSystemOptions extends BootOptions {
  dataDir?: string;
  env?: Record<string, string>;
}

export function tempDir(prefix = 'traceledger-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** With TRACELEDGER_TEST_STORE=postgres, the test systems' databases: one fresh PostgreSQL database per data folder. */
const postgresOf = new Map<string, string>();

/** DATABASE_URL for a test system in `dataDir`: none (SQLite), unless TRACELEDGER_TEST_STORE=postgres. */
async function testDatabaseUrl(dataDir: string): Promise<Record<string, string>> {
  if (process.env.TRACELEDGER_TEST_STORE !== 'postgres') return {};
  let url = postgresOf.get(dataDir);
  if (!url) {
    const { freshDatabase } = await import('./postgres');
    url = await freshDatabase();
    postgresOf.set(dataDir, url);
  }
  return { DATABASE_URL: url };
}

/**
 * Boots the system in `dataDir` (default: a new temporary folder). Its store is SQLite in the folder, or with
 * TRACELEDGER_TEST_STORE=postgres in the environment, a PostgreSQL database of its own (the same for every boot in
 * that folder); `env.DATABASE_URL` chooses one explicitly.
 */
export async function bootTestSystem(opts: TestSystemOptions = {}): Promise<System> {
  const dataDir = opts.dataDir ?? tempDir();
  const config = loadConfig({
    ...(await testDatabaseUrl(dataDir)),
    DATA_DIR: dataDir,
    CHAIN_PORT: String(await freePort()),
    ANCHOR_EVERY_ENTRIES: '4',
    ANCHOR_EVERY_SECONDS: '1',
    CONFIRMATIONS: '1',
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  return bootSystem(config, { logger: pino({ level: 'silent' }), mirrorIntervalMs: 0, ...opts });
}

const YEAR = 365 * 24 * 3600;

/** What a test may choose about a lab it registers. */
export interface LabOptions {
  /** Default 安康市富硒产品质量检验检测中心. */
  name?: string;
  /** Accreditation window in seconds (default: from REGISTERED_SINCE before now to 3 years ahead). */
  accreditation?: { from: number; to: number };
}

/**
 * How long before now fixtures start their windows: the registry refuses windows that start more than an
 * hour before the block (back-dating), and records a test signs a few minutes back must fall inside.
 */
export const REGISTERED_SINCE = 50 * 60;

/** Registers a lab (accredited from REGISTERED_SINCE ago for 3 years) with a fresh signing key (valid as long, or `window`), and mirrors it. */
export async function registerLab(sys: System, cmaNumber = '202727050123', key: Wallet = Wallet.createRandom() as unknown as Wallet, window?: { from: number; to: number }, opts: LabOptions = {}) {
  const now = Math.floor(Date.now() / 1000);
  const id = await sys.registries.registerLab({
    name: opts.name ?? '安康市富硒产品质量检验检测中心',
    cmaNumber,
    accreditedFrom: opts.accreditation?.from ?? now - REGISTERED_SINCE,
    accreditedUntil: opts.accreditation?.to ?? now + 3 * YEAR,
  });
  await sys.registries.addKey(id, key.address, window?.from ?? now - REGISTERED_SINCE, window?.to ?? now + 2 * YEAR);
  await sys.mirror.sync();
  return { id, key };
}

/**
 * The GS1 company prefixes of the GTINs in the fixtures: batchInput's 6901234567892 (test/server/records/fixtures)
 * and the CSV samples' 6972345…. A producer submitting those batches must hold them (ingest refuses another's GTIN).
 */
export const FIXTURE_PRODUCT_KEYS: readonly string[] = ['6901234', '6972345'];

/** Registers a producer, assigns it `productKeys` (GS1 company prefixes or GTIN-14s; none by default), and mirrors it. */
export async function registerProducer(sys: System, name: string, uscc: string, productKeys: readonly string[] = []) {
  const id = await sys.registries.registerProducer(name, uscc);
  for (const key of productKeys) await sys.registries.assignProductKey(id, key);
  await sys.mirror.sync();
  return id;
}

/** Polls `fn` until it returns a truthy value or `ms` pass. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, ms = 30_000, step = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, step));
  }
}

/** Sequences every waiting record of `logId` (the store appends a bounded number per transaction). */
export async function sequenceAll(store: System['store'], logId: Parameters<System['store']['sequencePending']>[0]): Promise<void> {
  while ((await store.sequencePending(logId, 5000)).appended > 0);
}
