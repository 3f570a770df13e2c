import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { freePort } from '../../../server/chain/anvil';
import { DeploymentGoneError } from '../../../server/chain/deploy';
import { kindCode } from '../../../server/chain/registry';
import { createContext } from '../../../server/http/context';
import { verifyBatchForConsumer } from '../../../server/service/consumer';
import type { System } from '../../../server/system';
import { anchorAll, bootConsumerSystem, submitBatch, submitReport } from '../../support/batches';
import { cli, show } from '../../support/cli';
import { bootTestSystem, REGISTERED_SINCE, tempDir } from '../../support/system';
import { registerDepartment } from '../../support/trails';

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('Redeploying the contracts after the chain lost them (traceledger chain redeploy)', function () {
  this.timeout(240_000);

  it('When the chain state is lost, Then start refuses naming the redeploy command; after it, the participants are back and the old report verifies again', async () => {
    // Arrange: a lab (one key kept, one revoked), a producer with product keys, a department; a valid report on
    // batch A, a report on batch B revoked by the regulator; everything anchored.
    const dataDir = tempDir('traceledger-redeploy-');
    const f = await bootConsumerSystem({ dataDir });
    const revokedKey = Wallet.createRandom();
    let batchA: { id: string };
    let batchB: { id: string };
    let department: { id: string; key: { address: string } };
    try {
      department = await registerDepartment(f.sys, 1);
      await f.sys.registries.addKey(f.lab.id, revokedKey.address, nowSeconds() - REGISTERED_SINCE, nowSeconds() + 3600 * 24 * 365);
      await f.sys.registries.revokeKey(revokedKey.address);
      batchA = await submitBatch(f);
      await submitReport(f, batchA.id);
      batchB = await submitBatch(f);
      const revoked = await submitReport(f, batchB.id);
      await anchorAll(f.sys);
      await f.sys.registries.revokeRecord(revoked.leafHash, 3);
      await f.sys.mirror.sync();
      expect((await verifyBatchForConsumer(f.ctx, batchA.id)).verdict).to.equal('valid');
      expect((await verifyBatchForConsumer(f.ctx, batchB.id)).verdict).to.equal('revoked');
    } finally {
      await f.sys.stop();
    }
    const deploymentFile = f.sys.config.deploymentPath;
    const before = fs.readFileSync(deploymentFile, 'utf8');
    const old = JSON.parse(before) as { traceLedger: string; deployedAt: string };
    // Both saves of the chain state (the file and its previous copy): otherwise the start falls back to the copy.
    fs.rmSync(f.sys.config.chainStatePath);
    fs.rmSync(`${f.sys.config.chainStatePath}.prev`, { force: true });

    // Act 1: start on the wiped chain.
    let refusal: unknown;
    try {
      const sys = await bootTestSystem({ dataDir, manualWorker: true });
      await sys.stop();
    } catch (e) {
      refusal = e;
    }

    // Assert 1: refused, plainly, and nothing deployed.
    expect(refusal).to.be.instanceOf(DeploymentGoneError);
    const message = (refusal as Error).message;
    expect(message).to.contain(`names TraceLedger ${old.traceLedger} on chain 31337, deployed ${old.deployedAt}`);
    expect(message).to.contain('has no contract at that address');
    expect(message).to.contain('the chain was reset, or its state file');
    expect(message).to.contain(`restore the chain's data (e.g. the state file ${path.join(dataDir, 'anvil-state.json')}`);
    expect(message).to.contain(`npx traceledger chain redeploy --data-dir ${dataDir}`);
    expect(fs.readFileSync(deploymentFile, 'utf8')).to.equal(before);
    // ... and the refused start saved no chain state: the empty chain must not stand where the operator restores one.
    expect(fs.existsSync(f.sys.config.chainStatePath), 'a state file written by the refused start').to.equal(false);

    // Act 2: the operator redeploys, with the CLI, the server stopped.
    const r = await cli(['chain', 'redeploy', '--data-dir', dataDir], { env: { CHAIN_PORT: String(await freePort()), LOG_LEVEL: 'silent' } });

    // Assert 2: what it did, and the old deployment file kept.
    expect(r.code, show(r)).to.equal(0);
    expect(r.stdout).to.contain('carried over: 1 lab(s), 1 producer(s), 1 department(s), 2 signing key(s), 2 product key(s), 0 spot-check designation(s), 0 participant revocation(s), 1 regulator record revocation(s)');
    expect(r.stdout).to.match(/[1-9]\d* checkpoint\(s\) will be anchored again/);
    expect(r.stdout, show(r)).to.contain(`not carried over: key ${revokedKey.address.toLowerCase()} of lab`);
    const archived = path.join(dataDir, `deployment.${old.deployedAt.replace(/:/g, '-')}.json`);
    expect(fs.readFileSync(archived, 'utf8')).to.equal(before);
    const now = JSON.parse(fs.readFileSync(deploymentFile, 'utf8')) as { deployedAt: string };
    expect(now.deployedAt).to.not.equal(old.deployedAt);

    // Assert 3: the server starts; participants and keys are on the new chain; after re-anchoring the old report verifies.
    let sys2: System | undefined;
    try {
      sys2 = await bootTestSystem({ dataDir, manualWorker: true });
      const reg = sys2.registries.participants;
      const t = nowSeconds();
      expect(await reg.isValidSigner(f.lab.key.address, kindCode('lab'), t)).to.equal(true);
      expect(await reg.isValidSigner(department!.key.address, kindCode('department'), t)).to.equal(true);
      expect(await reg.isValidSigner(revokedKey.address, kindCode('lab'), t)).to.equal(false);
      expect(await reg.productKeyOwner('06901234567892')).to.equal(f.producerId);
      expect((await sys2.store.getParticipant(f.lab.id))?.active).to.equal(true);
      await anchorAll(sys2);
      const ctx = createContext(sys2);
      const viewA = await verifyBatchForConsumer(ctx, batchA!.id);
      expect(viewA.verdict, JSON.stringify(viewA.steps)).to.equal('valid');
      expect(viewA.reports.map((x) => x.verdict)).to.deep.equal(['valid']);
      expect((await verifyBatchForConsumer(ctx, batchB!.id)).verdict).to.equal('revoked');
    } finally {
      await sys2?.stop();
    }
  });

  it('When the contracts are still on the chain, Then redeploy refuses and changes nothing', async () => {
    const dataDir = tempDir('traceledger-redeploy-');
    const sys = await bootTestSystem({ dataDir, manualWorker: true });
    await sys.stop();
    const before = fs.readFileSync(sys.config.deploymentPath, 'utf8');
    const r = await cli(['chain', 'redeploy', '--data-dir', dataDir], { env: { CHAIN_PORT: String(await freePort()), LOG_LEVEL: 'silent' } });
    expect(r.code, show(r)).to.equal(1);
    expect(r.stderr).to.contain('are still on the chain: nothing to redeploy');
    expect(fs.readFileSync(sys.config.deploymentPath, 'utf8')).to.equal(before);
  });

  it('When the server is running on the data directory, Then redeploy refuses (the data directory lock) and changes nothing', async () => {
    const dataDir = tempDir('traceledger-redeploy-');
    const sys = await bootTestSystem({ dataDir, manualWorker: true });
    try {
      const before = fs.readFileSync(sys.config.deploymentPath, 'utf8');
      const r = await cli(['chain', 'redeploy', '--data-dir', dataDir], { env: { CHAIN_PORT: String(await freePort()), LOG_LEVEL: 'silent' } });
      expect(r.code, show(r)).to.equal(1);
      expect(r.stderr).to.contain(`another traceledger (pid ${process.pid}`);
      expect(fs.readFileSync(sys.config.deploymentPath, 'utf8')).to.equal(before);
    } finally {
      await sys.stop();
    }
  });

  it('When a redeploy did not finish (its marker is left), Then start refuses and names the command to run again', async () => {
    const dataDir = tempDir('traceledger-redeploy-');
    const sys = await bootTestSystem({ dataDir, manualWorker: true });
    await sys.stop();
    const saved = JSON.parse(fs.readFileSync(sys.config.deploymentPath, 'utf8')) as { deployedAt: string };
    fs.writeFileSync(path.join(dataDir, 'deployment.redeploying'), JSON.stringify({ startedAt: '2026-01-02T03:04:05.000Z', replacing: saved.deployedAt }));
    const refusal = await bootTestSystem({ dataDir, manualWorker: true }).then(
      (s) => s.stop().then(() => null),
      (e: Error) => e,
    );
    expect(refusal).to.be.instanceOf(DeploymentGoneError);
    expect(refusal!.message).to.contain('(traceledger chain redeploy, started 2026-01-02T03:04:05.000Z) did not finish');
    expect(refusal!.message).to.contain(`Run it again to finish it: npx traceledger chain redeploy --data-dir ${dataDir}`);
  });
});
