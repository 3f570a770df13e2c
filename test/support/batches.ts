/** A real system with a lab and a producer, and helpers to submit batches and reports and anchor them (consumer page tests). */
import type { Wallet } from 'ethers';
import { createContext, type AppContext } from '../../server/http/context';
import type { BatchInput, SeleniumTestReportInput } from '../../server/records';
import type { System } from '../../server/system';
import { batchInput, USCC } from '../server/records/fixtures';
import { signedReport } from './records';
import { FIXTURE_PRODUCT_KEYS, bootTestSystem, eventually, registerLab, registerProducer, type TestSystemOptions } from './system';

export const PRODUCER_NAME = '紫阳县富硒茶业有限公司';
export const GTIN14 = '06901234567892';
/** The CMA number of the lab bootConsumerSystem registers: batches commission it unless told otherwise. */
export const DEFAULT_LAB_CMA = '202727050123';

export interface ConsumerFixture {
  sys: System;
  ctx: AppContext;
  lab: { id: string; key: Wallet };
  producerId: string;
}

/** Boots a system whose worker the test drives (`anchorAll`), with a registered lab and producer (holding the fixtures' GTIN prefixes). */
export async function bootConsumerSystem(opts: TestSystemOptions = {}): Promise<ConsumerFixture> {
  const sys = await bootTestSystem({ manualWorker: true, ...opts, env: { ANCHOR_EVERY_ENTRIES: '1', ...opts.env } });
  try {
    const lab = await registerLab(sys);
    const producerId = await registerProducer(sys, PRODUCER_NAME, USCC.producer, FIXTURE_PRODUCT_KEYS);
    return { sys, ctx: createContext(sys), lab, producerId };
  } catch (e) {
    await sys.stop();
    throw e;
  }
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
let counter = 0;

/** Submits a batch (GTIN 06901234567892, a fresh lot, no listed reports, commissioning the default lab, unless overridden). */
export async function submitBatch(f: ConsumerFixture, overrides: Partial<BatchInput> = {}): Promise<{ id: string; lot: string; leafHash: string }> {
  counter++;
  const id = `${USCC.producer}-B-${Date.now()}-${counter}`;
  const lot = `ZY${Date.now() % 1_000_000}-${counter}`;
  const ack = await f.sys.ingest.submitBatchForProducer(f.producerId, batchInput({ id, lot, issuedAt: now(), reportIds: [], commissionedLabs: [DEFAULT_LAB_CMA], ...overrides }));
  return { id: ack.id, lot: overrides.lot ?? lot, leafHash: ack.leafHash };
}

/** Submits a lab-signed selenium report for `batchId`. */
export async function submitReport(f: ConsumerFixture, batchId: string, overrides: Partial<SeleniumTestReportInput> = {}): Promise<{ id: string; leafHash: string }> {
  const ack = await f.sys.ingest.submitSigned(await signedReport(f.sys, f.lab.key, { batchId, ...overrides }));
  return { id: ack.id, leafHash: ack.leafHash };
}

/** Drives the worker until every accepted product record is in a confirmed checkpoint. */
export async function anchorAll(sys: System): Promise<void> {
  await eventually(async () => {
    await sys.worker.tick('products');
    const head = await sys.store.logHead('products');
    const waiting = await sys.store.countUnsequenced('products');
    const cp = await sys.store.latestCheckpoint('products', 'confirmed');
    return waiting.count === 0 && head.size > 0 && cp?.size === head.size;
  });
}
