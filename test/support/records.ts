/** Signed record submissions, as a lab's tooling produces them, for tests against a running system. */
import type { Wallet } from 'ethers';
import { commitRecord, fieldNamesOf, parseRecord, signRecord, type SeleniumTestReportInput } from '../../server/records';
import { registeredCmaValidUntil } from '../../server/service/ingest-rules';
import type { System } from '../../server/system';
import { USCC, batchInputNow, issuedNow, reportInput } from '../server/records/fixtures';
import { registerProducer } from './system';

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
 * A lab-signed report submission, as the lab's tooling produces it: issued now, naming the lab
 * registered for `key` (name, CMA number and validity; the fixture's lab for a key of no lab).
 * `overrides` replace fields, `lab` included.
 */
export async function signedReport(sys: System, key: Wallet, overrides: Partial<SeleniumTestReportInput> = {}, opts: SignOptions = {}) {
  counter++;
  const base = reportInput({ id: `RPT-${Date.now()}-${counter}`, reportNumber: `AKSE-2026-${counter}`, issuedAt: issuedNow() });
  const registered = await registeredLabOf(sys, key);
  const record = parseRecord('SeleniumTestReport', { ...base, lab: { ...base.lab, ...registered }, ...overrides });
  const present = fieldNamesOf('SeleniumTestReport').filter((n) => n in record);
  const { root, salts } = commitRecord(record, opts.salts?.(present));
  const binding = { chainId: sys.deployment.chainId, verifyingContract: sys.deployment.traceLedger };
  const signature = await signRecord(key, 'SeleniumTestReport', record, root, binding);
  return { type: 'SeleniumTestReport' as const, record, salts, signature };
}

/** The batch the report fixtures name (reportInput().batchId) and the labs it commissions by default (the fixture lab's CMA number). */
export const FIXTURE_BATCH_ID = reportInput().batchId;
export const FIXTURE_LAB_CMA = reportInput().lab.cmaNumber;

/**
 * Stores the batch a report refers to, as its producer would, before any report for it: ingest accepts a report
 * only for a batch on record whose producer commissioned the report's lab (or from a spot-check lab). The batch
 * is the fixture batch issued now (id `batchId`, default the one reportInput() names; lot `lot`, default
 * ZY-2025-RPT, not the fixture batch's own lot), commissioning the labs
 * with CMA numbers `labs` (default the fixture lab's), and submitted by `producerId` (default: the fixture
 * producer, registered on the way; register it only once per system).
 */
export async function storeReportBatch(sys: System, opts: { batchId?: string; labs?: readonly string[]; producerId?: string; lot?: string } = {}): Promise<{ id: string; producerId: string; leafHash: string }> {
  const producerId = opts.producerId ?? (await registerProducer(sys, '紫阳县富硒茶业有限公司', USCC.producer));
  const input = batchInputNow({ id: opts.batchId ?? FIXTURE_BATCH_ID, lot: opts.lot ?? 'ZY-2025-RPT', commissionedLabs: [...(opts.labs ?? [FIXTURE_LAB_CMA])] });
  const ack = await sys.ingest.submitBatchForProducer(producerId, input);
  return { id: ack.id, producerId, leafHash: ack.leafHash };
}
