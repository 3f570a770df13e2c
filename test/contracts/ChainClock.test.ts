/**
 * ChainClock.sol, and the contracts on a chain whose block.timestamp counts milliseconds (FISCO BCOS): every time
 * they store, emit or compare stays in seconds.
 */
import { loadFixture, takeSnapshot, time, type SnapshotRestorer } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expect } from 'chai';
import { ethers } from 'hardhat';

import type { ChainClockHarness, ParticipantRegistry, RevocationRegistry, TraceLedger } from '../../typechain-types';
import { leafHash, toHex } from '../support/rfc6962-reference';

const REGISTRAR_ROLE = ethers.id('REGISTRAR_ROLE');
const REGULATOR_ROLE = ethers.id('REGULATOR_ROLE');
const ANCHORER_ROLE = ethers.id('ANCHORER_ROLE');
const LAB_ID = ethers.id('cma:210012345678');
const LOG_ID = ethers.id('traceledger/log/reports');
const REPORT = toHex(leafHash(Buffer.from('{"v":1,"type":"report","id":"r-ms"}')));
const HOUR = 3600;
const YEAR = 365 * 86_400;

interface ClockFixture {
  readonly clock: ChainClockHarness;
  readonly registry: ParticipantRegistry;
  readonly revocations: RevocationRegistry;
  readonly ledger: TraceLedger;
  readonly admin: HardhatEthersSigner;
  readonly labKey: HardhatEthersSigner;
}

async function deployAll(): Promise<ClockFixture> {
  const [admin, labKey] = await ethers.getSigners();
  if (!admin || !labKey) throw new Error('need 2 signers');
  const clock = await ethers.deployContract('ChainClockHarness');
  const registry = await ethers.deployContract('ParticipantRegistry', [admin.address]);
  const revocations = await ethers.deployContract('RevocationRegistry', [await registry.getAddress()]);
  const ledger = await ethers.deployContract('TraceLedger', [admin.address, await registry.getAddress(), await revocations.getAddress()]);
  await registry.grantRole(REGISTRAR_ROLE, admin.address);
  await registry.grantRole(REGULATOR_ROLE, admin.address);
  await ledger.grantRole(ANCHORER_ROLE, admin.address);
  return { clock, registry, revocations, ledger, admin, labKey };
}

/** Makes the next block's timestamp `seconds` counted in milliseconds, as a FISCO BCOS node stamps its blocks. */
async function nextBlockInMilliseconds(seconds: number): Promise<number> {
  await time.setNextBlockTimestamp(seconds * 1000);
  return seconds;
}

describe('ChainClock', function () {
  // The millisecond blocks would leave every later test file's chain in the year 50000: put the chain back.
  let restore: SnapshotRestorer;
  before(async function () {
    restore = await takeSnapshot();
  });
  after(async function () {
    await restore.restore();
  });

  it('When block.timestamp counts seconds, Then _now is block.timestamp', async function () {
    const { clock } = await loadFixture(deployAll);
    const t = (await time.latest()) + 10;
    await time.setNextBlockTimestamp(t);
    await clock.tick();
    expect(await clock.lastTimestamp()).to.equal(BigInt(t));
    expect(await clock.lastNow()).to.equal(BigInt(t));
  });

  it('When block.timestamp is just above 1e11 (seconds in the year 5138), Then _now reads it as milliseconds', async function () {
    const { clock } = await loadFixture(deployAll);
    await time.setNextBlockTimestamp(100_000_000_001);
    await clock.tick();
    expect(await clock.lastNow()).to.equal(100_000_000n);
  });

  describe('on a chain whose block.timestamp counts milliseconds', function () {
    it('When a block is stamped in milliseconds, Then _now is the same instant in whole seconds', async function () {
      const { clock } = await loadFixture(deployAll);
      const s = (await time.latest()) + 100;
      await time.setNextBlockTimestamp(s * 1000 + 999);
      await clock.tick();
      expect(await clock.lastTimestamp()).to.equal(BigInt(s * 1000 + 999));
      expect(await clock.lastNow()).to.equal(BigInt(s));
    });

    it('When a lab is registered with a window in seconds starting 50 minutes back, Then it is accepted and registeredAt is in seconds', async function () {
      const { registry } = await loadFixture(deployAll);
      const now = await nextBlockInMilliseconds((await time.latest()) + 100);
      await registry.registerLab(LAB_ID, '安康市富硒产品质量检验检测中心', '210012345678', now - 50 * 60, now + YEAR);
      const lab = await registry.getParticipant(LAB_ID);
      expect(lab.registeredAt).to.equal(BigInt(now));
    });

    it('When a window starts more than an hour before the block, Then it is refused with the earliest start in seconds', async function () {
      const { registry } = await loadFixture(deployAll);
      const now = await nextBlockInMilliseconds((await time.latest()) + 100);
      await expect(registry.registerLab(LAB_ID, 'lab', '210012345678', now - HOUR - 1, now + YEAR))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryWindowStartsInPast')
        .withArgs(now - HOUR - 1, now - HOUR);
    });

    it('When a key is revoked, Then revokedAt is in seconds and the key is valid just before, not at, that second', async function () {
      const { registry, labKey, admin } = await loadFixture(deployAll);
      const start = (await time.latest()) + 100;
      await nextBlockInMilliseconds(start);
      await registry.registerLab(LAB_ID, 'lab', '210012345678', start - 60, start + YEAR);
      await nextBlockInMilliseconds(start + 1);
      await registry.addSigningKey(LAB_ID, labKey.address, start - 60, start + YEAR);
      const revokedAt = await nextBlockInMilliseconds(start + 30);
      await expect(registry.revokeSigningKey(labKey.address)).to.emit(registry, 'SigningKeyRevoked').withArgs(LAB_ID, labKey.address, admin.address, revokedAt);
      expect(await registry.isValidSigner(labKey.address, 0, revokedAt - 1)).to.equal(true);
      expect(await registry.isValidSigner(labKey.address, 0, revokedAt)).to.equal(false);
    });

    it('When a checkpoint is anchored, Then latest() says anchoredAt in seconds', async function () {
      const { ledger } = await loadFixture(deployAll);
      const now = await nextBlockInMilliseconds((await time.latest()) + 100);
      await ledger.anchor(LOG_ID, 1, REPORT, []);
      const [, , anchoredAt] = await ledger.latest(LOG_ID);
      expect(anchoredAt).to.equal(BigInt(now));
    });

    it('When the regulator revokes a record, Then revokedAt is in seconds', async function () {
      const { revocations } = await loadFixture(deployAll);
      const now = await nextBlockInMilliseconds((await time.latest()) + 100);
      await revocations.revoke(REPORT, 2);
      const r = await revocations.revocationBy(REPORT, ethers.ZeroHash);
      expect(r.revoked).to.equal(true);
      expect(r.revokedAt).to.equal(BigInt(now));
    });

    it('When a signed revocation has a deadline in seconds still ahead, Then it is accepted; once the deadline has passed, Then refused', async function () {
      const { registry, revocations, labKey, admin } = await loadFixture(deployAll);
      const start = (await time.latest()) + 100;
      await nextBlockInMilliseconds(start);
      await registry.registerLab(LAB_ID, 'lab', '210012345678', start - 60, start + YEAR);
      await nextBlockInMilliseconds(start + 1);
      await registry.addSigningKey(LAB_ID, labKey.address, start - 60, start + YEAR);
      const { chainId } = await ethers.provider.getNetwork();
      const domain = { name: 'traceledger', version: '1', chainId, verifyingContract: await revocations.getAddress() };
      const types = { Revocation: [{ name: 'leafHash', type: 'bytes32' }, { name: 'reasonCode', type: 'uint16' }, { name: 'deadline', type: 'uint64' }] };
      const deadline = start + 60;
      const signature = await labKey.signTypedData(domain, types, { leafHash: REPORT, reasonCode: 2, deadline });
      await nextBlockInMilliseconds(deadline + 1);
      await expect(revocations.connect(admin).revokeWithSignature(REPORT, 2, deadline, signature)).to.be.revertedWithCustomError(revocations, 'RevocationRegistryExpiredSignature').withArgs(deadline);
      const later = start + 120;
      const fresh = await labKey.signTypedData(domain, types, { leafHash: REPORT, reasonCode: 2, deadline: later + 10 });
      await nextBlockInMilliseconds(later);
      await revocations.connect(admin).revokeWithSignature(REPORT, 2, later + 10, fresh);
      expect((await revocations.revocationBy(REPORT, LAB_ID)).revokedAt).to.equal(BigInt(later));
    });
  });
});
