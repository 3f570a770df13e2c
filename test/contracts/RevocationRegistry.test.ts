/** RevocationRegistry.sol: record revocation by the issuing lab's key or a regulator, never by anyone else. */
import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expect } from 'chai';
import { ethers } from 'hardhat';

import type { ParticipantRegistry, RevocationRegistry } from '../../typechain-types';
import { leafHash, toHex } from '../support/rfc6962-reference';

const REGISTRAR_ROLE = ethers.id('REGISTRAR_ROLE');
const REGULATOR_ROLE = ethers.id('REGULATOR_ROLE');

const LAB_ID = ethers.id('cma:210012345678');
const PRODUCER_ID = ethers.id('uscc:91422800MA4F0XXX1Q');
const REPORT = toHex(leafHash(Buffer.from('{"v":1,"type":"report","id":"r-1"}')));
const REASON_SAMPLE_MIX_UP = 2;

const DAY = 86_400;

interface RevocationFixture {
  readonly registry: ParticipantRegistry;
  readonly revocations: RevocationRegistry;
  readonly admin: HardhatEthersSigner;
  readonly registrar: HardhatEthersSigner;
  readonly regulator: HardhatEthersSigner;
  readonly stranger: HardhatEthersSigner;
  readonly labKey: HardhatEthersSigner;
  readonly producerKey: HardhatEthersSigner;
  /** End of the lab's accreditation. */
  readonly accreditedUntil: number;
}

/** A lab accredited for 30 more days with a key valid for a year, a producer with a key, a regulator. */
async function deployRevocations(): Promise<RevocationFixture> {
  const [admin, registrar, regulator, stranger, labKey, producerKey] = await ethers.getSigners();
  if (!admin || !registrar || !regulator || !stranger || !labKey || !producerKey) throw new Error('need 6 signers');
  const registry = await ethers.deployContract('ParticipantRegistry', [admin.address]);
  await registry.connect(admin).grantRole(REGISTRAR_ROLE, registrar.address);
  await registry.connect(admin).grantRole(REGULATOR_ROLE, regulator.address);
  const now = await time.latest();
  const accreditedUntil = now + 30 * DAY;
  await registry
    .connect(registrar)
    .registerLab(LAB_ID, 'Enshi Selenium Testing Center', '210012345678', now - DAY, accreditedUntil);
  await registry.connect(registrar).addSigningKey(LAB_ID, labKey.address, now - DAY, now + 365 * DAY);
  await registry.connect(registrar).registerProducer(PRODUCER_ID, 'Enshi Tea Co.', '91422800MA4F0XXX1Q');
  await registry.connect(registrar).addSigningKey(PRODUCER_ID, producerKey.address, now - DAY, now + 365 * DAY);
  const revocations = await ethers.deployContract('RevocationRegistry', [registry.target]);
  return { registry, revocations, admin, registrar, regulator, stranger, labKey, producerKey, accreditedUntil };
}

describe('RevocationRegistry', function () {
  describe('deployment', function () {
    it('When deployed, Then it reads roles from the participant registry and uses the same REGULATOR_ROLE', async function () {
      const { registry, revocations } = await loadFixture(deployRevocations);

      expect(await revocations.participantRegistry()).to.equal(registry.target);
      expect(await revocations.REGULATOR_ROLE()).to.equal(await registry.REGULATOR_ROLE());
    });

    it('When deployed without a participant registry, Then it reverts with RevocationRegistryInvalidParticipantRegistry', async function () {
      const factory = await ethers.getContractFactory('RevocationRegistry');

      await expect(factory.deploy(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, 'RevocationRegistryInvalidParticipantRegistry')
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe('revoke', function () {
    it('When a record was never revoked, Then revocationOf says so with every field zero', async function () {
      const { revocations } = await loadFixture(deployRevocations);

      expect(await revocations.revocationOf(REPORT)).to.deep.equal([
        false,
        0n,
        0n,
        ethers.ZeroAddress,
        ethers.ZeroHash,
      ]);
    });

    it('When a valid lab key revokes, Then RecordRevoked names the lab and revocationOf records key, lab, reason and time', async function () {
      const { revocations, labKey } = await loadFixture(deployRevocations);

      const tx = await revocations.connect(labKey).revoke(REPORT, REASON_SAMPLE_MIX_UP);
      const revokedAt = await time.latest();

      await expect(tx)
        .to.emit(revocations, 'RecordRevoked')
        .withArgs(REPORT, LAB_ID, labKey.address, REASON_SAMPLE_MIX_UP);
      expect(await revocations.revocationOf(REPORT)).to.deep.equal([
        true,
        BigInt(REASON_SAMPLE_MIX_UP),
        BigInt(revokedAt),
        labKey.address,
        LAB_ID,
      ]);
    });

    it('When the regulator revokes, Then it is recorded with participant id zero', async function () {
      const { revocations, regulator } = await loadFixture(deployRevocations);

      const tx = await revocations.connect(regulator).revoke(REPORT, 0);
      const revokedAt = await time.latest();

      await expect(tx).to.emit(revocations, 'RecordRevoked').withArgs(REPORT, ethers.ZeroHash, regulator.address, 0);
      expect(await revocations.revocationOf(REPORT)).to.deep.equal([
        true,
        0n,
        BigInt(revokedAt),
        regulator.address,
        ethers.ZeroHash,
      ]);
    });

    it('When a regulator is also a lab key, Then its revocation is recorded as the regulator', async function () {
      const { registry, revocations, admin, labKey } = await loadFixture(deployRevocations);
      await registry.connect(admin).grantRole(REGULATOR_ROLE, labKey.address);

      await expect(revocations.connect(labKey).revoke(REPORT, 1))
        .to.emit(revocations, 'RecordRevoked')
        .withArgs(REPORT, ethers.ZeroHash, labKey.address, 1);
    });

    it('When a stranger, a producer key or the registry admin revokes, Then it reverts with RevocationRegistryUnauthorizedRevoker', async function () {
      const { revocations, stranger, producerKey, admin, registrar } = await loadFixture(deployRevocations);

      for (const caller of [stranger, producerKey, admin, registrar]) {
        await expect(revocations.connect(caller).revoke(REPORT, 1))
          .to.be.revertedWithCustomError(revocations, 'RevocationRegistryUnauthorizedRevoker')
          .withArgs(caller.address);
      }
      expect((await revocations.revocationOf(REPORT))[0]).to.equal(false);
    });

    it('When the lab key is revoked, Then it can no longer revoke records', async function () {
      const { registry, revocations, registrar, labKey } = await loadFixture(deployRevocations);
      await registry.connect(registrar).revokeSigningKey(labKey.address);

      await expect(revocations.connect(labKey).revoke(REPORT, 1))
        .to.be.revertedWithCustomError(revocations, 'RevocationRegistryUnauthorizedRevoker')
        .withArgs(labKey.address);
    });

    it('When the lab accreditation has expired, Then its key can no longer revoke records', async function () {
      const { revocations, labKey, accreditedUntil } = await loadFixture(deployRevocations);
      await time.increaseTo(accreditedUntil + 1);

      await expect(revocations.connect(labKey).revoke(REPORT, 1))
        .to.be.revertedWithCustomError(revocations, 'RevocationRegistryUnauthorizedRevoker')
        .withArgs(labKey.address);
    });

    it('When a record is revoked twice, Then it reverts with RevocationRegistryAlreadyRevoked and keeps the first revocation', async function () {
      const { revocations, labKey, regulator } = await loadFixture(deployRevocations);
      await revocations.connect(labKey).revoke(REPORT, REASON_SAMPLE_MIX_UP);
      const revokedAt = await time.latest();

      for (const caller of [labKey, regulator]) {
        await expect(revocations.connect(caller).revoke(REPORT, 9))
          .to.be.revertedWithCustomError(revocations, 'RevocationRegistryAlreadyRevoked')
          .withArgs(REPORT, revokedAt);
      }
      expect(await revocations.revocationOf(REPORT)).to.deep.equal([
        true,
        BigInt(REASON_SAMPLE_MIX_UP),
        BigInt(revokedAt),
        labKey.address,
        LAB_ID,
      ]);
    });
  });
});
