/* server/cli/commands/audit: `traceledger audit-report check` tells a signed export from a changed or forged one, JSON or CSV. */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { RpcChainReader } from '../../../server/chain/reader';
import { exportAuditReport } from '../../../server/service/audit-report';
import type { System } from '../../../server/system';
import { cli, show } from '../../support/cli';
import { bootTestSystem, tempDir } from '../../support/system';
import { completeShare, registerDepartment } from '../../support/trails';

describe('server/cli audit-report check', function () {
  this.timeout(180_000);
  let sys: System;
  let dir: string;
  let json: string;
  let csv: string;

  before(async () => {
    sys = await bootTestSystem();
    const a = await registerDepartment(sys, 1);
    const b = await registerDepartment(sys, 2);
    await completeShare(a, b, 'cli-audit');
    const ctx = { sys, reader: new RpcChainReader(sys.provider, sys.deployment) };
    dir = tempDir('traceledger-audit-cli-');
    const j = await exportAuditReport(ctx, a.id, {}, 'json');
    const c = await exportAuditReport(ctx, a.id, {}, 'csv');
    json = path.join(dir, 'report.json');
    csv = path.join(dir, 'report.csv');
    fs.writeFileSync(json, JSON.stringify(j.format === 'json' ? j.report : null, null, 2));
    fs.writeFileSync(csv, c.format === 'csv' ? c.csv : '');
  });
  after(async () => sys.stop());

  it('When a signed JSON and a signed CSV export are checked, Then both are VALID (exit 0), signed by the operator', async () => {
    for (const file of [json, csv]) {
      const r = await cli(['audit-report', 'check', file, '--rpc', sys.rpcUrl, '--contract', sys.deployment.traceLedger]);
      expect(r.code, show(r)).to.equal(0);
      expect(r.stdout).to.contain('VALID').and.contain(sys.operatorAddress);
    }
  });

  it('When a byte of the CSV was changed, or the report names another contract than the trusted one, Then it is INVALID (exit 1)', async () => {
    const changed = path.join(dir, 'changed.csv');
    fs.writeFileSync(changed, fs.readFileSync(csv, 'utf8').replace(/,request,/, ',reply,'));
    const r = await cli(['audit-report', 'check', changed, '--rpc', sys.rpcUrl]);
    expect(r.code, show(r)).to.equal(1);
    expect(r.stdout).to.contain('INVALID').and.contain('changed after it was signed');
    const other = await cli(['audit-report', 'check', json, '--rpc', sys.rpcUrl, '--contract', `0x${'12'.repeat(20)}`]);
    expect(other.code, show(other)).to.equal(1);
  });

  it('When the file carries no signature, Then it is unusable (exit 2) with the reason', async () => {
    const bare = path.join(dir, 'bare.json');
    fs.writeFileSync(bare, '{"format":"traceledger-audit-report-v1"}');
    const r = await cli(['audit-report', 'check', bare, '--rpc', sys.rpcUrl]);
    expect(r.code, show(r)).to.equal(2);
    expect(r.stderr).to.contain('no signature');
  });
});
