/*
 * server/trails/audit-signature (and the export of server/service/audit-report): an exported audit report, JSON or
 * CSV, is signed by the operator's key; it checks valid against the chain as exported, and invalid once a byte of
 * it changes, when another key signed it, or when it names another TraceLedger than the one the checker trusts.
 */
import { expect } from 'chai';
import { RpcChainReader } from '../../../server/chain/reader';
import { beijingTime, exportAuditReport } from '../../../server/service/audit-report';
import type { System } from '../../../server/system';
import { AUDIT_SIGNATURE_FORMAT, checkAuditReport, signAuditJson } from '../../../server/trails/audit-signature';
import { bootTestSystem } from '../../support/system';
import { completeShare, randomKey, registerDepartment, type Department } from '../../support/trails';

describe('server/trails/audit-signature: signed audit report exports', function () {
  this.timeout(120_000);
  let sys: System;
  let a: Department;
  let reader: RpcChainReader;
  const ctx = () => ({ sys, reader });

  before(async () => {
    sys = await bootTestSystem();
    reader = new RpcChainReader(sys.provider, sys.deployment);
    a = await registerDepartment(sys, 1);
    const b = await registerDepartment(sys, 2);
    await completeShare(a, b, 'audit-sig');
  });
  after(async () => sys.stop());

  it('When a JSON report is exported, Then it carries the operator\'s signature and checks valid against the chain', async () => {
    const out = await exportAuditReport(ctx(), a.id, {}, 'json');
    if (out.format !== 'json') throw new Error('expected JSON');
    expect(out.report.signature).to.include({ format: AUDIT_SIGNATURE_FORMAT, mediaType: 'application/json', departmentId: a.id });
    expect(out.report.signature.signer.toLowerCase()).to.equal(sys.operatorAddress.toLowerCase());
    const check = await checkAuditReport(JSON.stringify(out.report, null, 2), reader, sys.deployment.traceLedger);
    expect(check.status, check.message).to.equal('valid');
  });

  it('When one field of a signed JSON report is changed (a record dropped, a verdict turned), Then it checks invalid', async () => {
    const out = await exportAuditReport(ctx(), a.id, {}, 'json');
    if (out.format !== 'json') throw new Error('expected JSON');
    const dropped = { ...out.report, entries: out.report.entries.slice(1) };
    expect((await checkAuditReport(JSON.stringify(dropped), reader)).message).to.match(/changed after it was signed/);
    const turned = { ...out.report, verification: { ...out.report.verification, verdict: out.report.verification.verdict === 'valid' ? 'invalid' : 'valid' } };
    expect((await checkAuditReport(JSON.stringify(turned), reader)).status).to.equal('invalid');
  });

  it('When a CSV report is exported, Then its last line signs every byte before it; a changed byte checks invalid', async () => {
    const out = await exportAuditReport(ctx(), a.id, {}, 'csv');
    if (out.format !== 'csv') throw new Error('expected CSV');
    expect(out.csv.startsWith('\uFEFF')).to.equal(true);
    expect(out.csv.trimEnd().split('\r\n').at(-1)).to.match(/^signature,/);
    expect((await checkAuditReport(out.csv, reader)).status).to.equal('valid');
    const changed = out.csv.replace('request', 'reqvest');
    expect(changed).to.not.equal(out.csv);
    expect((await checkAuditReport(changed, reader)).message).to.match(/changed after it was signed/);
  });

  it('Given a report signed by a key that is not an anchorer (an attacker signing a forged report), Then it checks invalid', async () => {
    const out = await exportAuditReport(ctx(), a.id, {}, 'json');
    if (out.format !== 'json') throw new Error('expected JSON');
    const { signature: _s, ...report } = out.report;
    const forged = await signAuditJson(randomKey(), { departmentId: a.id, generatedAt: report.generatedAt, chainId: report.chain.chainId, traceLedger: report.chain.traceLedger }, report);
    const check = await checkAuditReport(JSON.stringify(forged), reader);
    expect(check.status).to.equal('invalid');
    expect(check.message).to.match(/not an anchorer/);
    expect((await checkAuditReport(JSON.stringify(out.report), reader, `0x${'ab'.repeat(20)}`)).message).to.match(/not 0xabab/);
    expect((await checkAuditReport('{"format":"x"}', reader)).message).to.match(/no signature/);
  });

  it('When times are written to the CSV, Then they are Beijing time with the offset, as on the audit page', () => {
    expect(beijingTime('2026-04-01T10:00:00Z')).to.equal('2026-04-01T18:00:00+08:00');
    expect(beijingTime('2026-12-31T20:30:05Z')).to.equal('2027-01-01T04:30:05+08:00');
    expect(beijingTime(null)).to.equal(null);
  });
});
