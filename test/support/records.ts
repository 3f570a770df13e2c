/** Signed record submissions, as a lab's tooling produces them, for tests against a running system. */
import type { Wallet } from 'ethers';
import { commitRecord, parseRecord, signRecord, type SeleniumTestReportInput } from '../../server/records';
import type { System } from '../../server/system';
import { reportInput } from '../server/records/fixtures';

let counter = 0;
/** A lab-signed report submission, as the lab's tooling produces it. */
export async function signedReport(sys: System, key: Wallet, overrides: Partial<SeleniumTestReportInput> = {}) {
  counter++;
  const record = parseRecord('SeleniumTestReport', reportInput({ id: `RPT-${Date.now()}-${counter}`, reportNumber: `AKSE-2026-${counter}`, issuedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...overrides }));
  const { root, salts } = commitRecord(record);
  const binding = { chainId: sys.deployment.chainId, verifyingContract: sys.deployment.traceLedger };
  const signature = await signRecord(key, 'SeleniumTestReport', record, root, binding);
  return { type: 'SeleniumTestReport' as const, record, salts, signature };
}

