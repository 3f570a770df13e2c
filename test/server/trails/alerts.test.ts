import { expect } from 'chai';
import { loadConfig } from '../../../server/config';
import type { SqliteStore } from '../../../server/store/sqlite';
import type { System } from '../../../server/system';
import { ALERT_KINDS, listAlerts, type Alert, type AlertKind } from '../../../server/trails/alerts';
import { bootTestSystem } from '../../support/system';
import { completeShare, isoAt, registerDepartment, type Department } from '../../support/trails';

const DAY = 24 * 3600;

describe('server/trails/alerts (real anvil node)', function () {
  this.timeout(180_000);
  let sys: System;
  let cleanRequester: Department;
  let cleanProvider: Department;
  let requester: Department;
  let provider: Department;
  let gappy: Department;
  const now = Math.floor(Date.now() / 1000);
  const alerts = (opts: { now?: number; countersignDays?: number } = {}) =>
    listAlerts({ store: sys.store }, { countersignDays: opts.countersignDays ?? 5, now: (opts.now ?? now) * 1000 });
  const ofKind = (list: Alert[], kind: AlertKind, recordId: string) => list.filter((a) => a.kind === kind && a.recordIds.includes(recordId));

  before(async () => {
    sys = await bootTestSystem();
    cleanRequester = await registerDepartment(sys, 1, '安康市市场监督管理局');
    cleanProvider = await registerDepartment(sys, 2, '安康市农业农村局');
    requester = await registerDepartment(sys, 3, '安康市卫生健康委员会');
    provider = await registerDepartment(sys, 4, '安康市自然资源局');
    gappy = await registerDepartment(sys, 5, '安康市林业局');
    for (const tag of ['clean-1', 'clean-2']) await completeShare(cleanRequester, cleanProvider, tag);

    // Delivered outside the approved validity window.
    let req = await requester.request(provider, { id: 'req-late' });
    let rep = await provider.reply(requester, { id: 'rep-late', requestId: req.id, validity: { from: isoAt(now - 20 * DAY), to: isoAt(now - 10 * DAY) } });
    let del = await provider.deliver(requester, { id: 'del-late', requestId: req.id, replyId: rep.id });
    await requester.countersign(provider, { id: 'rcp-late', requestId: req.id, deliveryId: del.id });

    // A not-shared (不予共享) item delivered.
    req = await requester.request(provider, { id: 'req-secret', shareClass: 'not-shared' });
    rep = await provider.reply(requester, { id: 'rep-secret', requestId: req.id });
    del = await provider.deliver(requester, { id: 'del-secret', requestId: req.id, replyId: rep.id });
    await requester.countersign(provider, { id: 'rcp-secret', requestId: req.id, deliveryId: del.id });

    // A conditional (有条件) item approved without a legal basis (never delivered).
    req = await requester.request(provider, { id: 'req-no-basis', legalBasis: undefined });
    await provider.reply(requester, { id: 'rep-no-basis', requestId: req.id });

    // Fields beyond those approved.
    req = await requester.request(provider, { id: 'req-extra' });
    rep = await provider.reply(requester, { id: 'rep-extra', requestId: req.id, fieldsApproved: ['origin'] });
    del = await provider.deliver(requester, { id: 'del-extra', requestId: req.id, replyId: rep.id, fieldsDelivered: ['origin', 'plantingArea'] });
    await requester.countersign(provider, { id: 'rcp-extra', requestId: req.id, deliveryId: del.id });

    // Delivered ten days ago and never countersigned.
    req = await requester.request(provider, { id: 'req-unsigned' });
    rep = await provider.reply(requester, { id: 'rep-unsigned', requestId: req.id });
    await provider.deliver(requester, {
      id: 'del-unsigned',
      requestId: req.id,
      replyId: rep.id,
      delivery: { dataSha256: `0x${'5e'.repeat(32)}`, rowCount: 10, deliveredAt: isoAt(now - 10 * DAY) },
    });

    // A gap in a department's own sequence: its second record deleted from the database.
    for (const tag of ['g1', 'g2', 'g3']) await gappy.request(provider, { id: `req-${tag}` });
    const db = (sys.store as SqliteStore).db;
    db.prepare('DELETE FROM log_leaves WHERE record_id = ?').run(gappy.idOf('req-g2'));
    db.prepare('DELETE FROM records WHERE id = ?').run(gappy.idOf('req-g2'));
  });
  after(async () => sys?.stop());

  it('When the trails are clean and every delivery was countersigned, Then no alert is raised for their departments, even a year later', async () => {
    for (const at of [now, now + 365 * DAY]) {
      const list = await alerts({ now: at });
      const clean = list.filter((a) => a.departmentId === cleanRequester.id || a.departmentId === cleanProvider.id || a.recordIds.some((id) => id.includes('clean')));
      expect(clean, JSON.stringify(clean, null, 1)).to.deep.equal([]);
    }
  });

  it('When data is delivered outside the validity window, Then delivered-outside-validity is raised against the provider', async () => {
    const [a] = ofKind(await alerts(), 'delivered-outside-validity', provider.idOf('del-late'));
    expect(a).to.deep.include({ id: `delivered-outside-validity:${provider.idOf('del-late')}`, severity: 'high', departmentId: provider.id, recordIds: [provider.idOf('del-late')] });
    expect(a!.message_en).to.contain('outside the validity window');
    expect(a!.message_zh).to.contain('不在共享有效期');
    expect(ofKind(await alerts(), 'delivered-outside-validity', provider.idOf('del-extra'))).to.have.length(0);
  });

  it('When a not-shared item is delivered, Then not-shared-item-delivered is raised', async () => {
    const found = ofKind(await alerts(), 'not-shared-item-delivered', provider.idOf('del-secret'));
    expect(found).to.have.length(1);
    expect(found[0]!.recordIds).to.deep.equal([provider.idOf('del-secret'), requester.idOf('req-secret')]);
    expect(found[0]!.message_zh).to.contain('不予共享');
  });

  it('When a conditional item is approved without a legal basis, Then conditional-without-legal-basis is raised, and not for requests that state one', async () => {
    const list = await alerts();
    const found = ofKind(list, 'conditional-without-legal-basis', requester.idOf('req-no-basis'));
    expect(found).to.have.length(1);
    expect(found[0]).to.deep.include({ departmentId: provider.id, recordIds: [requester.idOf('req-no-basis'), provider.idOf('rep-no-basis')] });
    expect(list.filter((a) => a.kind === 'conditional-without-legal-basis')).to.have.length(1);
  });

  it('When fields beyond those approved are delivered, Then fields-beyond-approved is raised naming them', async () => {
    const found = ofKind(await alerts(), 'fields-beyond-approved', provider.idOf('del-extra'));
    expect(found).to.have.length(1);
    expect(found[0]!.message_en).to.contain('plantingArea');
    expect(found[0]!.recordIds).to.deep.equal([provider.idOf('del-extra'), provider.idOf('rep-extra')]);
  });

  it('When a delivery is not countersigned within COUNTERSIGN_DAYS, Then receipt-overdue is raised against the requester, dated at the deadline', async () => {
    const [a] = ofKind(await alerts({ countersignDays: 5 }), 'receipt-overdue', provider.idOf('del-unsigned'));
    expect(a).to.deep.include({ severity: 'medium', departmentId: requester.id, detectedAt: isoAt(now - 5 * DAY) });
    expect(ofKind(await alerts({ countersignDays: 30 }), 'receipt-overdue', provider.idOf('del-unsigned')), 'not yet due with 30 days').to.have.length(0);
    expect(loadConfig({}).COUNTERSIGN_DAYS, 'the default').to.equal(5);
    expect(loadConfig({ COUNTERSIGN_DAYS: '7' }).COUNTERSIGN_DAYS).to.equal(7);
  });

  it('When a department’s own sequence has a gap, Then sequence-gap is raised naming the records around it', async () => {
    const found = (await alerts()).filter((a) => a.kind === 'sequence-gap');
    expect(found).to.have.length(1);
    expect(found[0]).to.deep.include({ departmentId: gappy.id, recordIds: [gappy.idOf('req-g1'), gappy.idOf('req-g3')] });
    expect(found[0]!.message_en).to.contain('seq 2 missing');
  });

  it('When alerts are computed twice, Then ids and times are the same (stable), every kind occurs, and newest come first', async () => {
    const a = await alerts();
    const b = await alerts();
    expect(a.map((x) => [x.id, x.detectedAt])).to.deep.equal(b.map((x) => [x.id, x.detectedAt]));
    expect(new Set(a.map((x) => x.kind))).to.deep.equal(new Set(ALERT_KINDS));
    const times = a.map((x) => x.detectedAt);
    expect([...times].sort().reverse()).to.deep.equal(times);
    const filtered = await listAlerts({ store: sys.store }, { countersignDays: 5, now: now * 1000, departmentId: gappy.id });
    expect(filtered.map((x) => x.kind)).to.deep.equal(['sequence-gap']);
  });
});
