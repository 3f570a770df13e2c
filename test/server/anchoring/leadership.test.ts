/**
 * Several server instances on one PostgreSQL database and one chain (in one test process, each with its own data
 * directory): one leader through the database's lease, one nonce owner for every chain write, each department's
 * sequence kept by the database, the deployment shared, cached verifications stamped with database state.
 */
import { expect } from 'chai';
import pino from 'pino';
import { Leadership } from '../../../server/anchoring/leadership';
import { startAnvil, type AnvilNode } from '../../../server/chain/anvil';
import { AppError } from '../../../server/errors';
import { openStore } from '../../../server/store';
import { loadConfig } from '../../../server/config';
import type { System } from '../../../server/system';
import { CachedTrailVerifier } from '../../../server/trails';
import { createContext } from '../../../server/http/context';
import { fundedKey } from '../../support/chain';
import { freshDatabase } from '../../support/postgres';
import { bootTestSystem, eventually, tempDir } from '../../support/system';
import { Department, registerDepartment } from '../../support/trails';

const LEASE_MS = 1500;
const RENEW_MS = 250;

describe('server/anchoring/leadership: instances sharing one PostgreSQL database', function () {
  this.timeout(180_000);

  let node: AnvilNode;
  let env: Record<string, string>;
  let a: System;
  let b: System;

  before(async () => {
    node = await startAnvil({});
    env = {
      RPC_URL: node.rpcUrl,
      SIGNER_KEY: await fundedKey(node.rpcUrl),
      DATABASE_URL: await freshDatabase(),
      LEADER_LEASE_MS: String(LEASE_MS),
      LEADER_RENEW_MS: String(RENEW_MS),
    };
    a = await bootTestSystem({ env });
    b = await bootTestSystem({ env });
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await node?.stop();
  });

  it('When a second instance starts on the database, Then it uses the first one’s contracts (deployed once), and exactly one of the two leads', async () => {
    expect(b.deployment).to.deep.equal(a.deployment);
    await eventually(async () => a.leadership().leader !== b.leadership().leader && (a.leadership().leader || b.leadership().leader));
    const leader = a.leadership().leader ? a : b;
    const follower = leader === a ? b : a;
    expect(follower.leadership().holder).to.equal(leader.leadership().instance);
    expect(leader.leadership().term).to.be.a('number');
  });

  it('When both instances send chain writes at once, Then each gets its own nonce: every registration lands', async () => {
    const before = await a.provider.getTransactionCount(a.operatorAddress, 'latest');
    const registered = await Promise.all([10, 11, 12].flatMap((n) => [registerDepartment(a, n), registerDepartment(b, n + 10)]));
    expect(new Set(registered.map((d) => d.id)).size).to.equal(6);
    // Each registration is two transactions (register, add its key).
    expect(await a.provider.getTransactionCount(a.operatorAddress, 'latest')).to.equal(before + 12);
    expect(a.operator.sent + b.operator.sent).to.be.at.least(12);
  });

  it('When the same department submits two records with one seq through two instances at once, Then the database takes exactly one; the other is a conflict naming the expected seq', async () => {
    const onA = await registerDepartment(a, 30);
    const provider = await registerDepartment(a, 31);
    const onB = new Department(b, onA.id, onA.key, onA.name, onA.uscc);
    const outcomes = await Promise.allSettled([onA.request(provider, { id: 'race-a' }), onB.request(provider, { id: 'race-b' })]);
    const accepted = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(accepted).to.have.length(1);
    expect(refused).to.have.length(1);
    expect(refused[0]!.reason).to.be.instanceOf(AppError);
    expect((refused[0]!.reason as AppError).code).to.equal('conflict');
    expect((refused[0]!.reason as AppError).details).to.include({ expectedSeq: 2 });
    const trail = await b.store.trailRecords(onA.id);
    expect(trail.map((r) => r.body.seq)).to.deep.equal([1]);
  });

  it('When one instance accepts a share step, Then a trail verification cached by the other sees it at once (its stamp is database state)', async () => {
    const requester = await registerDepartment(a, 40);
    const provider = await registerDepartment(a, 41);
    await requester.request(provider, { id: 'cache-1' });
    const ctxB = createContext(b);
    const cachedOnB = new CachedTrailVerifier({ store: b.store, reader: ctxB.reader, deployment: b.deployment });
    const first = await cachedOnB.verify(requester.id);
    await requester.request(provider, { id: 'cache-2' });
    expect((await cachedOnB.verify(requester.id)).entries).to.equal(first.entries + 1);
  });

  it('When the leader stops, Then the other instance takes the lease over and anchors what either accepts', async () => {
    const leader = a.leadership().leader ? a : b;
    const follower = leader === a ? b : a;
    const dept = await registerDepartment(follower, 50);
    const provider = await registerDepartment(follower, 51);
    await leader.stop();
    if (leader === a) a = undefined as never;
    else b = undefined as never;
    await eventually(async () => follower.leadership().leader, 10_000, 50);
    const ack = await dept.request(provider, { id: 'after-takeover' });
    await eventually(async () => {
      const rec = await follower.store.getRecord(ack.id);
      const cp = await follower.store.latestCheckpoint('data-sharing', 'confirmed');
      return rec?.leafIndex !== null && rec?.leafIndex !== undefined && cp !== undefined && cp.size > rec.leafIndex;
    }, 30_000, 200);
  });
});

describe('server/anchoring/leadership: the lease', function () {
  this.timeout(60_000);

  it('When the holder stops renewing (a dead process), Then another takes over once the lease lapses, with the next term; never two leaders at once', async () => {
    const url = await freshDatabase();
    const config = loadConfig({ DATA_DIR: tempDir(), DATABASE_URL: url });
    const [s1, s2] = [await openStore(config), await openStore(config)];
    const events: string[] = [];
    const make = (store: typeof s1, name: string) =>
      new Leadership(store, {
        holder: name,
        ttlMs: 1000,
        renewMs: 200,
        onLead: async () => void events.push(`${name}+`),
        onFollow: async () => void events.push(`${name}-`),
        logger: pino({ level: 'silent' }),
      });
    const one = make(s1, 'one');
    const two = make(s2, 'two');
    try {
      await one.start();
      await two.start();
      expect(one.isLeader()).to.equal(true);
      expect(two.isLeader()).to.equal(false);
      const term = one.status().term!;
      // "Dead": its timer stops, its lease stays in the database until it lapses.
      (one as unknown as { running: boolean }).running = false;
      const diedAt = Date.now();
      await eventually(async () => two.isLeader(), 5000, 20);
      const takeover = Date.now() - diedAt;
      expect(takeover).to.be.at.least(500);
      expect(two.status().term).to.equal(term + 1);
      // The dead one never acted past its own margin (it counts its lease from when it asked).
      expect(one.isLeader()).to.equal(false);
      expect(events).to.deep.equal(['one+', 'two+']);
    } finally {
      await two.stop();
      await s1.close();
      await s2.close();
    }
  });
});
