/** Signed record submissions, as a lab's tooling produces them, for tests against a running system. */
import type { Wallet } from 'ethers';
import { commitRecord, fieldNamesOf, parseRecord, signRecord, type SeleniumTestReportInput } from '../../server/records';
import { registeredCmaValidUntil } from '../../server/service/ingest-rules';
import type { System } from '../../server/system';
import { USCC, batchInputNow, freshLot, issuedNow, reportInput } from '../server/records/fixtures';
import { FIXTURE_PRODUCT_KEYS, registerProducer } from './system';

/** The lab fields of a report as registered on chain for `key`'s lab (from the system's mirror), or undefined for a key of no lab. */
export async function registeredLabOf(sys: System, key: Wallet): Promise<Pick<SeleniumTestReportInput['lab'], 'name' | 'cmaNumber' | 'cmaValidUntil'> | undefined> {
  for (const k of await sys.store.keysOf(key.address)) {
    const p = await sys.store.getParticipant(k.participantId);
    if (p?.kind === 'lab') return { name: p.name, cmaNumber: p.code, cmaValidUntil: registeredCmaValidUntil(p) };
  }
  return undefined;
}

export interface SignOptions {
  /** The salts to commit with, by field name (default: fresh random salts, as honest tooling draws them). */
  salts?: (fieldNames: readonly string[]) => Record<string, string>;
}

let counter = 0;
/**
 * A lab-signed report submission, as the lab's tooling produces it: issued now, its id in the lab's
 * namespace (`{CMA}-RPT-…`), naming the lab registered for `key` (name, CMA number and validity; the
 * fixture's lab for a key of no lab).
 * `overrides` replace fields, `lab` included.
 */
export async function signedReport(sys: System, key: Wallet, overrides: Partial<SeleniumTestReportInput> = {}, opts: SignOptions = {}) {
  // Taken before the await: calls made together (Promise.all) each get their own number, so their own id.
  const n = ++counter;
  const registered = await registeredLabOf(sys, key);
  // The id is in the lab's namespace: its CMA number, then "-".
  const cma = registered?.cmaNumber ?? reportInput().lab.cmaNumber;
  const base = reportInput({ id: `${cma}-RPT-${Date.now()}-${n}`, reportNumber: `AKSE-2026-${n}`, issuedAt: issuedNow(), batchId: FIXTURE_BATCH_ID });
  const record = parseRecord('SeleniumTestReport', { ...base, lab: { ...base.lab, ...registered }, ...overrides });
  const present = fieldNamesOf('SeleniumTestReport').filter((n) => n in record);
  const { root, salts } = commitRecord(record, opts.salts?.(present));
  const binding = { chainId: sys.deployment.chainId, verifyingContract: sys.deployment.traceLedger };
  const signature = await signRecord(key, 'SeleniumTestReport', record, root, binding);
  return { type: 'SeleniumTestReport' as const, record, salts, signature };
}

/**
 * The batch signed reports name by default: the report fixture's batch id in the fixture producer's namespace (the
 * id the server gives that batch), and the labs it commissions by default (the fixture lab's CMA number).
 */
export const FIXTURE_BATCH_ID = `${USCC.producer}-${reportInput().batchId}`;
export const FIXTURE_LAB_CMA = reportInput().lab.cmaNumber;

/**
 * Stores the batch a report refers to, as its producer would, before any report for it: ingest accepts a report
 * only for a batch on record whose producer commissioned the report's lab (or from a spot-check lab). The batch
 * is the fixture batch issued now (id `batchId`, default FIXTURE_BATCH_ID; lot `lot`, default a fresh one: GTIN + lot
 * is unique), commissioning the labs
 * with CMA numbers `labs` (default the fixture lab's), and submitted by `producerId` (default: the fixture
 * producer, registered on the way; register it only once per system).
 */
export async function storeReportBatch(sys: System, opts: { batchId?: string; labs?: readonly string[]; producerId?: string; lot?: string } = {}): Promise<{ id: string; producerId: string; leafHash: string }> {
  const producerId = opts.producerId ?? (await registerProducer(sys, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS));
  const input = batchInputNow({ id: opts.batchId ?? FIXTURE_BATCH_ID, lot: opts.lot ?? freshLot(), commissionedLabs: [...(opts.labs ?? [FIXTURE_LAB_CMA])] });
  const ack = await sys.ingest.submitBatchForProducer(producerId, input);
  return { id: ack.id, producerId, leafHash: ack.leafHash };
}
