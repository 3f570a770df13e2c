/** server/chain/registry ParticipantMirror: it follows a chain that lost or re-mined blocks (evm_snapshot / evm_revert on a real anvil node). */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import pino from 'pino';
import { startAnvil } from '../../../server/chain/anvil';
import { ParticipantMirror, participantIdFor, Registries, signerStatus } from '../../../server/chain/registry';
import type { System } from '../../../server/system';
import { bootTestSystem, REGISTERED_SINCE, registerLab, registerProducer, tempDir } from '../../support/system';

const YEAR = 365 * 24 * 3600;

/** A logger that keeps what the mirror says. */
function recordingLogger() {
  const lines: { level: 'warn' | 'info'; obj: Record<string, unknown>; msg: string }[] = [];
  const logger = pino({ level: 'info' }, {
    write: (line: string) => {
      const { level, msg, ...obj } = JSON.parse(line) as { level: number; msg: string };
      lines.push({ level: level >= 40 ? 'warn' : 'info', obj, msg });
    },
  });
  return Object.assign(logger, { lines });
}

/** Registers a lab and its key on chain, without mirroring. */
async function labOnChain(sys: System, cmaNumber: string, registries: Registries = sys.registries) {
  const now = Math.floor(Date.now() / 1000);
  const key = Wallet.createRandom();
  const id = await registries.registerLab({ name: `lab ${cmaNumber}`, cmaNumber, accreditedFrom: now - REGISTERED_SINCE, accreditedUntil: now + 3 * YEAR });
  await registries.addKey(id, key.address, now - REGISTERED_SINCE, now + 2 * YEAR);
  return { id, key };
}

/** Takes the chain back to `snapshot` (its later blocks are gone); the operator's nonce count is re-read. */
async function revert(sys: System, snapshot: string) {
  expect(await sys.provider.send('evm_revert', [snapshot])).to.equal(true);
  sys.operator.reset();
}

const now = () => Math.floor(Date.now() / 1000);

describe('server/chain/registry ParticipantMirror (real anvil node)', function () {
  this.timeout(120_000);
  let sys: System;
  beforeEach(async () => {
    sys = await bootTestSystem({ manualWorker: true });
  });
  afterEach(async () => sys?.stop());

  it('When the chain re-mined the mirrored block with other content, Then the next sync rebuilds: the new lab is mirrored, the lost one is gone, and a key from before stays valid throughout', async () => {
    const kept = await registerLab(sys, '202727050001');
    const producer = await registerProducer(sys, '紫阳县富硒茶业有限公司', '91610924MA6YAB3K2L', ['6901234']);
    const logger = recordingLogger();
    const mirror = new ParticipantMirror(sys.store, sys.deployment, sys.provider, logger);
    await mirror.sync();
    const snapshot = (await sys.provider.send('evm_snapshot', [])) as string;

    const a = await labOnChain(sys, '202727050002');
    await sys.registries.assignProductKey(producer, '6972345');
    const mirroredA = await mirror.sync();
    expect((await sys.store.getParticipant(a.id))?.name).to.equal('lab 202727050002');
    expect(await sys.store.productKeysOf(producer)).to.deep.equal(['6901234', '6972345']);

    await revert(sys, snapshot);
    const b = await labOnChain(sys, '202727050003');
    await sys.registries.assignProductKey(producer, '6911111');
    // The chain is back at the mirrored height, with other blocks: only their hashes tell.
    expect(await sys.provider.getBlockNumber()).to.be.at.least(mirroredA);

    // Ingest reads the mirror while it rebuilds: the key registered before the snapshot must never be missing.
    let rebuilt = false;
    const statuses: string[] = [];
    const sync = mirror.sync().finally(() => (rebuilt = true));
    while (!rebuilt) {
      const s = await signerStatus(sys.store, kept.key.address, 'lab', now());
      statuses.push(s.ok ? 'ok' : s.code);
      await new Promise((r) => setImmediate(r));
    }
    await sync;

    expect(statuses.length).to.be.greaterThan(1);
    expect(statuses.filter((s) => s !== 'ok')).to.deep.equal([]);
    expect((await sys.store.getParticipant(b.id))?.name).to.equal('lab 202727050003');
    expect((await signerStatus(sys.store, b.key.address, 'lab', now())).ok).to.equal(true);
    expect(await sys.store.getParticipant(a.id)).to.equal(undefined);
    expect(await signerStatus(sys.store, a.key.address, 'lab', now())).to.deep.include({ ok: false, code: 'unknown-signer' });
    expect(await sys.store.productKeysOf(producer)).to.deep.equal(['6901234', '6911111']);
    expect((await signerStatus(sys.store, kept.key.address, 'lab', now())).ok).to.equal(true);

    const warning = logger.lines.find((l) => l.msg.includes('the chain lost blocks'));
    expect(warning?.obj).to.include({ fromBlock: mirroredA });
    expect(warning?.obj.detectedBy).to.match(new RegExp(`block ${mirroredA} has hash 0x[0-9a-f]{64} on the chain, not the mirrored 0x`));
    const done = logger.lines.find((l) => l.msg === 'participant mirror rebuilt from the chain');
    expect(done?.obj.removed).to.deep.include({ participants: 1, keys: 1, productKeys: 1 });
  });

  it('When the chain went back below the mirrored block, Then the next sync says so and drops what the chain no longer has', async () => {
    const kept = await registerLab(sys, '202727050001');
    const logger = recordingLogger();
    const mirror = new ParticipantMirror(sys.store, sys.deployment, sys.provider, logger);
    const snapshot = (await sys.provider.send('evm_snapshot', [])) as string;
    const a = await labOnChain(sys, '202727050002');
    const mirrored = await mirror.sync();
    expect(await sys.store.getParticipant(a.id)).to.not.equal(undefined);

    await revert(sys, snapshot);
    const reached = await mirror.sync();

    expect(reached).to.be.below(mirrored);
    expect(await sys.store.getParticipant(a.id)).to.equal(undefined);
    expect((await signerStatus(sys.store, kept.key.address, 'lab', now())).ok).to.equal(true);
    const warning = logger.lines.find((l) => l.msg.includes('the chain lost blocks'));
    expect(warning?.obj).to.include({ fromBlock: mirrored, toBlock: reached, detectedBy: `the chain's head ${reached} is below the mirrored block ${mirrored}` });
  });

  it('When the saved position is a bare block number (the format before hashes), Then one sync goes on from it without a rebuild and saves the hash; a number above the head rebuilds', async () => {
    const kept = await registerLab(sys, '202727050001');
    const logger = recordingLogger();
    const mirror = new ParticipantMirror(sys.store, sys.deployment, sys.provider, logger);
    const kvKey = `mirror:${sys.deployment.chainId}:${sys.deployment.participantRegistry.toLowerCase()}:${sys.deployment.deployedAt}`;
    const head = await sys.provider.getBlockNumber();
    await sys.store.setKv(kvKey, String(head));
    const b = await labOnChain(sys, '202727050003');

    const reached = await mirror.sync();

    expect(logger.lines.filter((l) => l.level === 'warn')).to.deep.equal([]);
    expect(await sys.store.getParticipant(b.id)).to.not.equal(undefined);
    const block = await sys.provider.getBlock(reached);
    expect(JSON.parse((await sys.store.getKv(kvKey))!)).to.deep.equal({ block: reached, hash: block!.hash });
    await mirror.sync();
    expect(logger.lines.filter((l) => l.level === 'warn')).to.deep.equal([]);

    await sys.store.setKv(kvKey, String(reached + 1000));
    await mirror.sync();
    expect(logger.lines.find((l) => l.msg.includes('the chain lost blocks'))?.obj.detectedBy).to.equal(`the chain's head ${reached} is below the mirrored block ${reached + 1000}`);
    expect((await signerStatus(sys.store, kept.key.address, 'lab', now())).ok).to.equal(true);
  });

  it('When resync is asked for, Then the mirror is rebuilt from the chain whatever the position says: a row the chain never had goes, the rest stays', async () => {
    const kept = await registerLab(sys, '202727050001');
    const stray = participantIdFor('lab', '202727059999');
    await sys.store.upsertParticipant({ id: stray, kind: 'lab', name: 'never on chain', code: '202727059999', validFrom: 0, validTo: 2e9, data: {}, active: true });
    await sys.store.upsertKey({ address: Wallet.createRandom().address, participantId: stray, validFrom: 0, validTo: 2e9, revokedAt: null });
    const logger = recordingLogger();
    const mirror = new ParticipantMirror(sys.store, sys.deployment, sys.provider, logger);
    await mirror.sync();
    expect(await sys.store.getParticipant(stray)).to.not.equal(undefined); // the position check sees nothing wrong

    await mirror.resync();

    expect(await sys.store.getParticipant(stray)).to.equal(undefined);
    expect((await signerStatus(sys.store, kept.key.address, 'lab', now())).ok).to.equal(true);
    expect(logger.lines.find((l) => l.msg === 'participant mirror rebuilt from the chain')?.obj).to.deep.include({ reason: 'requested (resync)' });
  });

  it('When a chain node restarts from an older state file, Then the next sync drops what the lost blocks registered and keeps the rest', async () => {
    const kept = await registerLab(sys, '202727050001');
    const port = sys.anvil!.port;
    await sys.anvil!.stop(); // the server saves the node's state, then stops it
    const older = path.join(tempDir('traceledger-older-'), 'state.json');
    fs.copyFileSync(sys.config.chainStatePath, older);
    // A node of its own from that state (no durability barrier: the system's embedded chain is stopped).
    let node = await startAnvil({ port, loadStatePath: older });
    try {
      const registries = new Registries(sys.deployment, sys.operator);
      const logger = recordingLogger();
      const mirror = new ParticipantMirror(sys.store, sys.deployment, sys.provider, logger);
      const a = await labOnChain(sys, '202727050002', registries);
      await mirror.sync();
      expect(await sys.store.getParticipant(a.id)).to.not.equal(undefined);

      await node.stop();
      node = await startAnvil({ port, loadStatePath: older });
      sys.operator.reset();
      await mirror.sync();

      expect(await sys.store.getParticipant(a.id)).to.equal(undefined);
      expect((await signerStatus(sys.store, kept.key.address, 'lab', now())).ok).to.equal(true);
      expect(logger.lines.find((l) => l.msg.includes('the chain lost blocks'))?.obj.detectedBy).to.be.a('string');
    } finally {
      await node.stop();
    }
  });

  it('When the chain lost the registry itself (reset to genesis), Then the sync fails saying so and keeps the mirror, rather than emptying it', async () => {
    const kept = await registerLab(sys, '202727050001');
    await sys.provider.send('anvil_reset', []);

    const err = await sys.mirror.sync().then(
      () => undefined,
      (e: Error) => e,
    );

    expect(err?.message).to.match(/the chain has no ParticipantRegistry at 0x[0-9a-fA-F]{40} \(block \d+\): it was reset or is another chain; the participant mirror is kept/);
    expect((await signerStatus(sys.store, kept.key.address, 'lab', now())).ok).to.equal(true);
  });

  it('When syncs overlap (a timer tick during a slow one), Then they run one after the other and agree', async () => {
    const a = await labOnChain(sys, '202727050002');
    const results = await Promise.all([sys.mirror.sync(), sys.mirror.resync(), sys.mirror.sync()]);
    expect(results[2]).to.be.at.least(results[0]);
    expect((await signerStatus(sys.store, a.key.address, 'lab', now())).ok).to.equal(true);
  });
});
