import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { RpcChainReader } from '../../../server/chain/reader';
import { AppError } from '../../../server/errors';
import type { System } from '../../../server/system';
import { checkDelivery, sha256File } from '../../../server/trails/dataset';
import { trailHead } from '../../../server/trails/lifecycle';
import { checkReceipt, receiptSigner, storeInclusionFetcher } from '../../../server/trails/receipts';
import { bootTestSystem, eventually, tempDir } from '../../support/system';
import { completeShare, isoNow, registerDepartment, type Department } from '../../support/trails';

async function expectCode(p: Promise<unknown>, code: string): Promise<AppError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected AppError ${code}`).to.be.instanceOf(AppError);
  expect((err as AppError).code, (err as Error).message).to.equal(code);
  return err as AppError;
}

describe('server/trails/lifecycle (real anvil node)', function () {
  this.timeout(180_000);
  let sys: System;
  let market: Department;
  let agriculture: Department;
  let health: Department;

  before(async () => {
    sys = await bootTestSystem();
    market = await registerDepartment(sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(sys, 2, '安康市农业农村局');
    health = await registerDepartment(sys, 3, '安康市卫生健康委员会');
  });
  after(async () => sys?.stop());

  const receiptDeps = () => ({ chain: new RpcChainReader(sys.provider, sys.deployment), fetchInclusion: storeInclusionFetcher(sys.store, 'data-sharing'), traceLedger: sys.deployment.traceLedger });

  it('When two departments go request → reply → delivery → receipt, Then every step is accepted with an operator receipt that checkReceipt finds included once anchored', async () => {
    const share = await completeShare(market, agriculture, 'happy');
    const acks = [share.request, share.reply, share.delivery, share.receipt];
    for (const ack of acks) {
      expect(ack.status).to.equal('accepted');
      expect(ack.receipt, `receipt of ${ack.id}`).to.not.equal(null);
      expect(ack.receipt!.recordId).to.equal(ack.id);
      expect(ack.receipt!.leafHash).to.equal(ack.leafHash);
      expect(ack.receipt!.logSize).to.equal(ack.receipt!.leafIndex + 1);
      expect(receiptSigner(ack.receipt!)).to.equal(sys.operatorAddress);
    }
    expect((await trailHead(sys.store, market.id)).nextSeq).to.equal(3);
    expect((await trailHead(sys.store, agriculture.id)).prevHash).to.equal(share.delivery.leafHash);

    const deps = receiptDeps();
    for (const ack of acks) {
      const check = await eventually(async () => {
        const c = await checkReceipt(ack.receipt!, deps);
        return c.status === 'not-yet-anchored' ? undefined : c;
      });
      expect(check.status, check.message).to.equal('included');
      expect(check.evidence.checkpoint!.size).to.be.greaterThan(ack.receipt!.leafIndex);
    }
  });

  it('When a record carries a seq that is not the next of its department, Then it is refused with conflict naming the expected seq and prevHash', async () => {
    const head = await trailHead(sys.store, market.id);
    const err = await expectCode(market.request(agriculture, { id: 'req-wrong-seq', seq: head.nextSeq + 1 }), 'conflict');
    expect(err.details).to.deep.include({ expectedSeq: head.nextSeq, expectedPrevHash: head.prevHash });
    expect(err.message).to.contain(`expected seq ${head.nextSeq}`);
  });

  it('When prevHash is not the leaf hash of the department’s last record, Then it is refused with conflict naming the expected prevHash', async () => {
    const head = await trailHead(sys.store, market.id);
    const err = await expectCode(market.request(agriculture, { id: 'req-wrong-prev', prevHash: `0x${'ab'.repeat(32)}` }), 'conflict');
    expect(err.details).to.deep.include({ expectedSeq: head.nextSeq, expectedPrevHash: head.prevHash });
    expect(err.message).to.contain(head.prevHash);
  });

  it('When a department signs a record in another department’s sequence, Then it is refused as forbidden', async () => {
    // The agriculture bureau's key signs a request that claims to be the market regulator's next record.
    // Its id is in the signer's own namespace: the sequence, not the id, is what it forges.
    const err = await expectCode(market.withKey(agriculture.key).request(agriculture, { id: agriculture.idOf('req-impostor') }), 'forbidden');
    expect(err.message).to.contain('a department signs only its own records');
  });

  it('When a reply answers a request that does not exist, Then it is refused as not-found', async () => {
    await expectCode(agriculture.reply(market, { id: 'rep-orphan', requestId: market.idOf('req-does-not-exist') }), 'not-found');
  });

  it('When a department that was not asked replies to a request, Then it is refused as invalid-input', async () => {
    const request = await market.request(agriculture, { id: 'req-for-agri' });
    await expectCode(health.reply(market, { id: 'rep-by-health', requestId: request.id, providingDepartment: health.ref }), 'invalid-input');
  });

  it('When a receipt countersigns a delivery made to another department, Then it is refused as invalid-input', async () => {
    const share = await completeShare(market, agriculture, 'for-market');
    await expectCode(health.countersign(agriculture, { id: 'rcp-by-health', requestId: share.request.id, deliveryId: share.delivery.id }), 'invalid-input');
  });

  it('When a receipt names a record that is not a delivery, Then it is refused as invalid-input', async () => {
    const request = await market.request(agriculture, { id: 'req-no-delivery' });
    await expectCode(market.countersign(agriculture, { id: 'rcp-of-request', requestId: request.id, deliveryId: request.id }), 'invalid-input');
  });

  it('When a department submits two records with the same seq at once, Then exactly one is accepted and the other is refused with conflict', async () => {
    const results = await Promise.allSettled([market.request(agriculture, { id: 'req-race-1' }), market.request(agriculture, { id: 'req-race-2' })]);
    expect(results.map((r) => r.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((refused.reason as AppError).code).to.equal('conflict');
    const trail = await sys.store.trailRecords(market.id);
    const seqs = trail.map((r) => Number(r.body.seq));
    expect(new Set(seqs).size, 'no seq taken twice').to.equal(seqs.length);
  });

  it('When the same record is submitted again, Then it is refused as a replay', async () => {
    const request = await market.request(agriculture, { id: 'req-replayed' });
    const again = await sys.store.getRecord(request.id);
    const sub = { type: 'ShareRequest' as const, record: again!.body, salts: again!.salts, signature: again!.signature };
    await expectCode(sys.ingest.submitSigned(sub), 'replay');
  });

  it('When a delivery breaks policy (fields beyond those approved, outside the validity window), Then it is accepted all the same, to be raised as an alert', async () => {
    const request = await market.request(agriculture, { id: 'req-policy' });
    const reply = await agriculture.reply(market, { id: 'rep-policy', requestId: request.id, fieldsApproved: ['origin'] });
    const delivery = await agriculture.deliver(market, {
      id: 'del-policy',
      requestId: request.id,
      replyId: reply.id,
      fieldsDelivered: ['origin', 'plantingArea'],
      delivery: { dataSha256: `0x${'77'.repeat(32)}`, rowCount: 3, deliveredAt: '2020-01-01T00:00:00Z' },
    });
    expect(delivery.status).to.equal('accepted');
  });

  it('When a delivered file is checked, Then checkDelivery matches its streamed SHA-256 and row count, and not another file', async () => {
    const dir = tempDir('traceledger-dataset-');
    try {
      const file = path.join(dir, 'delivery.csv');
      fs.writeFileSync(file, 'producerUscc,origin\n91610924MA6YAB3K2L,610924\n');
      const { sha256 } = await sha256File(file);
      const request = await market.request(agriculture, { id: 'req-file' });
      const reply = await agriculture.reply(market, { id: 'rep-file', requestId: request.id });
      const delivery = await agriculture.deliver(market, { id: 'del-file', requestId: request.id, replyId: reply.id, delivery: { dataSha256: sha256, rowCount: 1, deliveredAt: isoNow() } });

      const same = await checkDelivery(sys.store, delivery.id, { sha256, rowCount: 1 });
      expect(same).to.deep.include({ deliveryId: delivery.id, match: true, recorded: { dataSha256: sha256, rowCount: 1 } });
      fs.appendFileSync(file, '91610924MA6YAB3K2L,610925\n');
      const other = await checkDelivery(sys.store, delivery.id, await sha256File(file));
      expect(other.match).to.equal(false);
      expect((await checkDelivery(sys.store, delivery.id, { sha256, rowCount: 2 })).match, 'row count differs').to.equal(false);
      await expectCode(checkDelivery(sys.store, request.id, { sha256 }), 'not-found');
      await expectCode(checkDelivery(sys.store, delivery.id, { sha256: 'abc' }), 'invalid-input');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
