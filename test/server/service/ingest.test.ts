import { expect } from 'chai';
import { Wallet } from 'ethers';
import { AppError } from '../../../server/errors';
import { RpcChainReader } from '../../../server/chain/reader';
import { buildBundle } from '../../../server/service/bundles';
import type { SqliteStore } from '../../../server/store/sqlite';
import type { System } from '../../../server/system';
import { verifyBundle } from '../../../server/verification/verify';
import { signedReport } from '../../support/records';
import { bootTestSystem, eventually, registerLab } from '../../support/system';

async function expectCode(p: Promise<unknown>, code: string) {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected AppError ${code}`).to.be.instanceOf(AppError);
  expect((err as AppError).code, (err as Error).message).to.equal(code);
}

describe('server/service/ingest (real anvil node)', function () {
  this.timeout(120_000);
  let sys: System;
  let lab: { id: string; key: Wallet };

  before(async () => {
    sys = await bootTestSystem();
    lab = await registerLab(sys);
  });
  after(async () => sys?.stop());

  it('When a registered lab submits a signed report, Then it is accepted, anchored, and its inclusion proof verifies on chain', async () => {
    const sub = await signedReport(sys, lab.key);
    const ack = await sys.ingest.submitSigned(sub);
    expect(ack.status).to.equal('accepted');
    expect(ack.signer).to.equal(lab.key.address.toLowerCase());

    const bundle = await eventually(async () => {
      const b = await buildBundle(sys.store, sys.deployment, ack.id);
      return b.checkpoint ? b : undefined;
    });
    const onChain = await sys.chain.verifyInclusion(bundle.log.chainLogId, bundle.checkpoint!.size, bundle.log.leafIndex!, bundle.log.leafHash, bundle.log.inclusionProof);
    expect(onChain).to.equal(true);

    const reader = new RpcChainReader(sys.provider, sys.deployment);
    const result = await verifyBundle(bundle, { chain: reader, category: 'tea' });
    expect(result.verdict, JSON.stringify(result.steps, null, 1)).to.equal('valid');
    expect(result.classification?.tier).to.equal('selenium-rich');
  });

  it('When the same record is submitted twice, Then the second is refused as a replay', async () => {
    const sub = await signedReport(sys, lab.key);
    await sys.ingest.submitSigned(sub);
    await expectCode(sys.ingest.submitSigned(sub), 'replay');
  });

  it('When a report is signed by an unregistered key, Then it is refused with unknown-signer', async () => {
    await expectCode(sys.ingest.submitSigned(await signedReport(sys, Wallet.createRandom() as unknown as Wallet)), 'unknown-signer');
  });

  it('When a report is signed by an expired key, Then it is refused with key-expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await registerLab(sys, '202727050124', Wallet.createRandom() as unknown as Wallet, { from: now - 1000, to: now - 10 });
    await expectCode(sys.ingest.submitSigned(await signedReport(sys, expired.key)), 'key-expired');
  });

  it('When a report is signed by a revoked key, Then it is refused with key-revoked', async () => {
    const revoked = await registerLab(sys, '202727050125');
    await sys.registries.revokeKey(revoked.key.address);
    await sys.mirror.sync();
    await expectCode(sys.ingest.submitSigned(await signedReport(sys, revoked.key)), 'key-revoked');
  });

  it('When a signed value is changed after signing, Then the signature recovers another address and it is refused', async () => {
    const sub = await signedReport(sys, lab.key);
    const tampered = { ...sub, record: { ...sub.record, result: 0.5 } };
    await expectCode(sys.ingest.submitSigned(tampered), 'unknown-signer');
  });

  it('When a record fails its schema, Then it is refused with invalid-record and the field named', async () => {
    const sub = await signedReport(sys, lab.key);
    let err: AppError | undefined;
    try {
      await sys.ingest.submitSigned({ ...sub, record: { ...sub.record, lab: { ...sub.record.lab, cmaNumber: '12' } } });
    } catch (e) {
      err = e as AppError;
    }
    expect(err?.code).to.equal('invalid-record');
    expect(JSON.stringify(err?.details)).to.contain('cmaNumber');
  });

  it('When a stored record is edited in the database, Then its verification fails at checkFieldDisclosures', async () => {
    const ack = await sys.ingest.submitSigned(await signedReport(sys, lab.key));
    await eventually(async () => (await buildBundle(sys.store, sys.deployment, ack.id)).checkpoint);
    const db = (sys.store as SqliteStore).db;
    const row = db.prepare('SELECT body FROM records WHERE id = ?').get(ack.id) as { body: string };
    const body = JSON.parse(row.body) as { result: number };
    body.result = 0.9;
    db.prepare('UPDATE records SET body = ? WHERE id = ?').run(JSON.stringify(body), ack.id);

    const result = await verifyBundle(await buildBundle(sys.store, sys.deployment, ack.id), { chain: new RpcChainReader(sys.provider, sys.deployment) });
    expect(result.verdict).to.equal('invalid');
    expect(result.failedStep).to.equal('checkFieldDisclosures');
  });
});
