/** ParticipantRegistry.sol: registration, signing keys and their windows, revocation, access control. */
import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expect } from 'chai';
import { ethers } from 'hardhat';

import type { ParticipantRegistry } from '../../typechain-types';

const Kind = { Lab: 0, Producer: 1, Department: 2 } as const;

const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const REGISTRAR_ROLE = ethers.id('REGISTRAR_ROLE');
const REGULATOR_ROLE = ethers.id('REGULATOR_ROLE');

const LAB = { id: ethers.id('cma:210012345678'), name: 'Enshi Selenium Testing Center', cma: '210012345678' };
const PRODUCER = { id: ethers.id('uscc:91422800MA4F0XXX1Q'), name: 'Enshi Tea Co.', code: '91422800MA4F0XXX1Q' };
const DEPARTMENT = {
  id: ethers.id('uscc:11422800011234567K'),
  name: 'Enshi Market Supervision',
  code: '11422800011234567K',
};

const HOUR = 3_600;
const DAY = 86_400;
const YEAR = 365 * DAY;
/** A time after every block of these tests (2096): windows given in absolute time start after it. */
const F = 4_000_000_000;

interface RegistryFixture {
  readonly registry: ParticipantRegistry;
  readonly admin: HardhatEthersSigner;
  readonly registrar: HardhatEthersSigner;
  readonly regulator: HardhatEthersSigner;
  readonly stranger: HardhatEthersSigner;
  readonly labKey: HardhatEthersSigner;
  readonly producerKey: HardhatEthersSigner;
  readonly departmentKey: HardhatEthersSigner;
  /** Block time at the end of the fixture. */
  readonly now: number;
  readonly accreditedFrom: number;
  readonly accreditedUntil: number;
}

async function signers(): Promise<HardhatEthersSigner[]> {
  return ethers.getSigners();
}

async function deployRegistry(): Promise<Omit<RegistryFixture, 'now' | 'accreditedFrom' | 'accreditedUntil'>> {
  const [admin, registrar, regulator, stranger, labKey, producerKey, departmentKey] = await signers();
  if (!admin || !registrar || !regulator || !stranger || !labKey || !producerKey || !departmentKey) {
    throw new Error('need 7 signers');
  }
  const registry = await ethers.deployContract('ParticipantRegistry', [admin.address]);
  await registry.connect(admin).grantRole(REGISTRAR_ROLE, registrar.address);
  await registry.connect(admin).grantRole(REGULATOR_ROLE, regulator.address);
  return { registry, admin, registrar, regulator, stranger, labKey, producerKey, departmentKey };
}

/**
 * A lab accredited from a year ago to a year ahead, a producer, a department: none with keys yet. Windows
 * cannot start in the past, so the lab is registered a year ago (then the chain's clock moves on a year).
 */
async function deployWithParticipants(): Promise<RegistryFixture> {
  const base = await deployRegistry();
  const { registry, registrar } = base;
  const start = await time.latest();
  const accreditedFrom = start;
  const accreditedUntil = start + 2 * YEAR;
  await registry.connect(registrar).registerLab(LAB.id, LAB.name, LAB.cma, accreditedFrom, accreditedUntil);
  await registry.connect(registrar).registerProducer(PRODUCER.id, PRODUCER.name, PRODUCER.code);
  await registry.connect(registrar).registerDepartment(DEPARTMENT.id, DEPARTMENT.name, DEPARTMENT.code);
  await time.increaseTo(accreditedFrom + YEAR);
  return { ...base, now: await time.latest(), accreditedFrom, accreditedUntil };
}

/** As above, and the lab key valid for two years from 30 days ago (added then): wider than the accreditation at its end. */
async function deployWithLabKey(): Promise<RegistryFixture & { keyFrom: number; keyTo: number }> {
  const fixture = await deployWithParticipants();
  const keyFrom = fixture.now;
  const keyTo = keyFrom + 30 * DAY + 2 * YEAR;
  await fixture.registry.connect(fixture.registrar).addSigningKey(LAB.id, fixture.labKey.address, keyFrom, keyTo);
  await time.increaseTo(keyFrom + 30 * DAY);
  return { ...fixture, now: await time.latest(), keyFrom, keyTo };
}

describe('ParticipantRegistry', function () {
  describe('deployment', function () {
    it('When deployed, Then the admin holds DEFAULT_ADMIN_ROLE and the role ids are the keccak256 of their names', async function () {
      const { registry, admin } = await loadFixture(deployRegistry);

      expect(await registry.REGISTRAR_ROLE()).to.equal(REGISTRAR_ROLE);
      expect(await registry.REGULATOR_ROLE()).to.equal(REGULATOR_ROLE);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).to.equal(true);
      expect(await registry.hasRole(REGISTRAR_ROLE, admin.address)).to.equal(false);
    });

    it('When deployed with the zero address as admin, Then it reverts with ParticipantRegistryInvalidAdmin', async function () {
      const factory = await ethers.getContractFactory('ParticipantRegistry');

      await expect(factory.deploy(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, 'ParticipantRegistryInvalidAdmin')
        .withArgs(ethers.ZeroAddress);
    });

    it('When asked, Then it supports the IParticipantRegistry and IERC165 interfaces', async function () {
      const { registry } = await loadFixture(deployRegistry);
      const iface = (await ethers.getContractAt('IParticipantRegistry', registry.target)).interface;
      let id = 0n;
      iface.forEachFunction((fn) => (id ^= BigInt(fn.selector)));

      expect(await registry.supportsInterface(ethers.toBeHex(id, 4))).to.equal(true);
      expect(await registry.supportsInterface('0x01ffc9a7')).to.equal(true);
      expect(await registry.supportsInterface('0xffffffff')).to.equal(false);
    });
  });

  describe('registration', function () {
    it('When a lab is registered, Then ParticipantRegistered and AccreditationUpdated are emitted and its data stored', async function () {
      const { registry, registrar } = await loadFixture(deployRegistry);
      const from = F;
      const until = F + 200_000_000;

      const tx = registry.connect(registrar).registerLab(LAB.id, LAB.name, LAB.cma, from, until);

      await expect(tx).to.emit(registry, 'ParticipantRegistered').withArgs(LAB.id, Kind.Lab, LAB.name, LAB.cma);
      await expect(tx).to.emit(registry, 'AccreditationUpdated').withArgs(LAB.id, from, until);
      const lab = await registry.getParticipant(LAB.id);
      expect(lab.kind).to.equal(BigInt(Kind.Lab));
      expect(lab.name).to.equal(LAB.name);
      expect(lab.code).to.equal(LAB.cma);
      expect(lab.accreditedFrom).to.equal(BigInt(from));
      expect(lab.accreditedUntil).to.equal(BigInt(until));
      expect(lab.registeredAt).to.equal(BigInt(await time.latest()));
      expect(lab.revokedAt).to.equal(0n);
    });

    it('When a producer and a department are registered, Then ParticipantRegistered is emitted with their credit codes', async function () {
      const { registry, registrar } = await loadFixture(deployRegistry);

      await expect(registry.connect(registrar).registerProducer(PRODUCER.id, PRODUCER.name, PRODUCER.code))
        .to.emit(registry, 'ParticipantRegistered')
        .withArgs(PRODUCER.id, Kind.Producer, PRODUCER.name, PRODUCER.code);
      await expect(registry.connect(registrar).registerDepartment(DEPARTMENT.id, DEPARTMENT.name, DEPARTMENT.code))
        .to.emit(registry, 'ParticipantRegistered')
        .withArgs(DEPARTMENT.id, Kind.Department, DEPARTMENT.name, DEPARTMENT.code);

      const department = await registry.getParticipant(DEPARTMENT.id);
      expect(department.kind).to.equal(BigInt(Kind.Department));
      expect(department.code).to.equal(DEPARTMENT.code);
      expect(department.accreditedFrom).to.equal(0n);
      expect(department.accreditedUntil).to.equal(0n);
      expect(await registry.signingKeysOf(PRODUCER.id)).to.deep.equal([]);
    });

    it('When the id is zero or already taken, Then registration reverts with the id', async function () {
      const { registry, registrar } = await loadFixture(deployWithParticipants);

      await expect(registry.connect(registrar).registerProducer(ethers.ZeroHash, PRODUCER.name, PRODUCER.code))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryInvalidParticipantId')
        .withArgs(ethers.ZeroHash);
      await expect(registry.connect(registrar).registerDepartment(PRODUCER.id, DEPARTMENT.name, DEPARTMENT.code))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryDuplicateParticipant')
        .withArgs(PRODUCER.id);
    });

    it('When the name is empty, Then registration reverts with ParticipantRegistryEmptyName', async function () {
      const { registry, registrar } = await loadFixture(deployRegistry);

      await expect(registry.connect(registrar).registerProducer(PRODUCER.id, '', PRODUCER.code))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryEmptyName')
        .withArgs(PRODUCER.id);
    });

    // The last one is four full-width digits: 12 bytes of UTF-8, but not ASCII digits.
    for (const cma of ['21001234567', '2100123456789', '21001234567X', '２１００']) {
      it(`When the CMA number is ${JSON.stringify(
        cma,
      )}, Then registerLab reverts with ParticipantRegistryInvalidCmaNumber`, async function () {
        const { registry, registrar } = await loadFixture(deployRegistry);

        await expect(registry.connect(registrar).registerLab(LAB.id, LAB.name, cma, 1, 2))
          .to.be.revertedWithCustomError(registry, 'ParticipantRegistryInvalidCmaNumber')
          .withArgs(cma);
      });
    }

    for (const code of ['91422800MA4F0XXX1', '91422800MA4F0XXX1QQ', '91422800MA4I0XXX1Q', '91422800ma4f0xxx1q']) {
      it(`When the credit code is ${JSON.stringify(
        code,
      )}, Then registration reverts with ParticipantRegistryInvalidCreditCode`, async function () {
        const { registry, registrar } = await loadFixture(deployRegistry);

        await expect(registry.connect(registrar).registerProducer(PRODUCER.id, PRODUCER.name, code))
          .to.be.revertedWithCustomError(registry, 'ParticipantRegistryInvalidCreditCode')
          .withArgs(code);
        await expect(registry.connect(registrar).registerDepartment(DEPARTMENT.id, DEPARTMENT.name, code))
          .to.be.revertedWithCustomError(registry, 'ParticipantRegistryInvalidCreditCode')
          .withArgs(code);
      });
    }

    it('When the accreditation window is empty or reversed, Then registerLab reverts with ParticipantRegistryInvalidWindow', async function () {
      const { registry, registrar } = await loadFixture(deployRegistry);

      await expect(registry.connect(registrar).registerLab(LAB.id, LAB.name, LAB.cma, 100, 100))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryInvalidWindow')
        .withArgs(100, 100);
      await expect(registry.connect(registrar).registerLab(LAB.id, LAB.name, LAB.cma, 200, 100))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryInvalidWindow')
        .withArgs(200, 100);
    });

    it('When an unknown participant is read, Then it reverts with ParticipantRegistryUnknownParticipant', async function () {
      const { registry } = await loadFixture(deployRegistry);

      await expect(registry.getParticipant(LAB.id))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnknownParticipant')
        .withArgs(LAB.id);
      await expect(registry.signingKeysOf(LAB.id))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnknownParticipant')
        .withArgs(LAB.id);
    });
  });

  describe('signing keys', function () {
    it('When a key is added, Then SigningKeyAdded is emitted and the key is readable by address and by participant', async function () {
      const { registry, registrar, labKey } = await loadFixture(deployWithParticipants);

      await expect(registry.connect(registrar).addSigningKey(LAB.id, labKey.address, F + 1_000, F + 2_000))
        .to.emit(registry, 'SigningKeyAdded')
        .withArgs(LAB.id, labKey.address, F + 1_000, F + 2_000);

      expect(await registry.participantOf(labKey.address)).to.equal(LAB.id);
      expect(await registry.getSigningKey(labKey.address)).to.deep.equal([LAB.id, BigInt(F + 1_000), BigInt(F + 2_000), 0n]);
      expect(await registry.signingKeysOf(LAB.id)).to.deep.equal([labKey.address]);
    });

    it('When a participant has several keys, Then signingKeysOf lists them in the order they were added', async function () {
      const { registry, registrar, producerKey, stranger } = await loadFixture(deployWithParticipants);

      await registry.connect(registrar).addSigningKey(PRODUCER.id, producerKey.address, F + 1, F + 2);
      await registry.connect(registrar).addSigningKey(PRODUCER.id, stranger.address, F + 1, F + 2);

      expect(await registry.signingKeysOf(PRODUCER.id)).to.deep.equal([producerKey.address, stranger.address]);
    });

    it('When the key is already registered, to this or another participant, Then it reverts with ParticipantRegistryDuplicateKey', async function () {
      const { registry, registrar, labKey } = await loadFixture(deployWithLabKey);

      await expect(registry.connect(registrar).addSigningKey(LAB.id, labKey.address, 1, 2))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryDuplicateKey')
        .withArgs(labKey.address);
      await expect(registry.connect(registrar).addSigningKey(PRODUCER.id, labKey.address, 1, 2))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryDuplicateKey')
        .withArgs(labKey.address);
    });

    it('When the key is the zero address, Then it reverts with ParticipantRegistryInvalidSigner', async function () {
      const { registry, registrar } = await loadFixture(deployWithParticipants);

      await expect(registry.connect(registrar).addSigningKey(LAB.id, ethers.ZeroAddress, 1, 2))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryInvalidSigner')
        .withArgs(ethers.ZeroAddress);
    });

    it('back-dating: When a key window starts more than an hour before the block, Then addSigningKey reverts with ParticipantRegistryWindowStartsInPast; within the hour it is accepted', async function () {
      const { registry, registrar, labKey, producerKey } = await loadFixture(deployWithParticipants);
      const tolerance = Number(await registry.WINDOW_START_TOLERANCE());
      expect(tolerance).to.equal(3600);
      const next = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(next);

      await expect(registry.connect(registrar).addSigningKey(LAB.id, labKey.address, next - 30 * DAY, next + YEAR))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryWindowStartsInPast')
        .withArgs(next - 30 * DAY, next - tolerance);
      await time.setNextBlockTimestamp(next + 1);
      await expect(registry.connect(registrar).addSigningKey(LAB.id, labKey.address, next + 1 - tolerance - 1, next + YEAR)).to.be.revertedWithCustomError(
        registry,
        'ParticipantRegistryWindowStartsInPast',
      );
      await time.setNextBlockTimestamp(next + 2);
      await expect(registry.connect(registrar).addSigningKey(PRODUCER.id, producerKey.address, next + 2 - tolerance, next + YEAR)).to.emit(registry, 'SigningKeyAdded');
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, next - 30 * DAY)).to.equal(false);
    });

    it('back-dating: When an accreditation starts more than an hour before the block (e.g. 1970), Then registerLab reverts with ParticipantRegistryWindowStartsInPast', async function () {
      const { registry, registrar } = await loadFixture(deployRegistry);
      const next = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(next);

      await expect(registry.connect(registrar).registerLab(LAB.id, LAB.name, LAB.cma, 1, next + YEAR))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryWindowStartsInPast')
        .withArgs(1, next - 3600);
      await expect(registry.connect(registrar).registerLab(LAB.id, LAB.name, LAB.cma, next, next + YEAR)).to.emit(registry, 'ParticipantRegistered');
    });

    it('When the key window is empty or reversed, Then it reverts with ParticipantRegistryInvalidWindow', async function () {
      const { registry, registrar, labKey } = await loadFixture(deployWithParticipants);

      await expect(registry.connect(registrar).addSigningKey(LAB.id, labKey.address, 5, 5))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryInvalidWindow')
        .withArgs(5, 5);
      await expect(registry.connect(registrar).addSigningKey(LAB.id, labKey.address, 6, 5))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryInvalidWindow')
        .withArgs(6, 5);
    });

    it('When the participant is unknown, Then adding a key reverts with ParticipantRegistryUnknownParticipant', async function () {
      const { registry, registrar, labKey } = await loadFixture(deployRegistry);

      await expect(registry.connect(registrar).addSigningKey(LAB.id, labKey.address, 1, 2))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnknownParticipant')
        .withArgs(LAB.id);
    });

    it('When an unknown key is read, Then getSigningKey reverts and participantOf is zero', async function () {
      const { registry, stranger } = await loadFixture(deployWithParticipants);

      await expect(registry.getSigningKey(stranger.address))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnknownKey')
        .withArgs(stranger.address);
      expect(await registry.participantOf(stranger.address)).to.equal(ethers.ZeroHash);
    });
  });

  describe('isValidSigner', function () {
    it('When asked before, at the start of, inside, at the end of and after the key window, Then only inside the window is valid', async function () {
      const { registry, registrar, producerKey } = await loadFixture(deployWithParticipants);
      await registry.connect(registrar).addSigningKey(PRODUCER.id, producerKey.address, F + 1_000, F + 2_000);

      const at = async (t: number): Promise<boolean> => registry.isValidSigner(producerKey.address, Kind.Producer, F + t);
      expect(await at(999)).to.equal(false);
      expect(await at(1_000)).to.equal(true);
      expect(await at(1_500)).to.equal(true);
      expect(await at(2_000)).to.equal(true);
      expect(await at(2_001)).to.equal(false);
    });

    it('When asked about another kind of participant, Then the key is not valid for it', async function () {
      const { registry, registrar, departmentKey, now } = await loadFixture(deployWithParticipants);
      await registry.connect(registrar).addSigningKey(DEPARTMENT.id, departmentKey.address, now, now + DAY);

      expect(await registry.isValidSigner(departmentKey.address, Kind.Department, now)).to.equal(true);
      expect(await registry.isValidSigner(departmentKey.address, Kind.Lab, now)).to.equal(false);
      expect(await registry.isValidSigner(departmentKey.address, Kind.Producer, now)).to.equal(false);
    });

    it('When asked about an address that is no key, Then it is not valid', async function () {
      const { registry, stranger, now } = await loadFixture(deployWithParticipants);

      expect(await registry.isValidSigner(stranger.address, Kind.Lab, now)).to.equal(false);
      expect(await registry.isValidSigner(ethers.ZeroAddress, Kind.Lab, now)).to.equal(false);
    });

    it('When a lab key is used outside the accreditation window, Then it is not valid even inside the key window', async function () {
      const { registry, labKey, accreditedUntil, keyFrom, keyTo } = await loadFixture(deployWithLabKey);

      expect(keyTo).to.be.greaterThan(accreditedUntil);
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, keyFrom)).to.equal(true);
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, accreditedUntil)).to.equal(true);
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, accreditedUntil + 1)).to.equal(false);
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, keyTo)).to.equal(false);
    });

    it('When a lab is accredited after its key starts, Then the key is not valid before the accreditation', async function () {
      const { registry, registrar, labKey } = await loadFixture(deployRegistry);
      await registry.connect(registrar).registerLab(LAB.id, LAB.name, LAB.cma, F + 5_000, F + 9_000);
      await registry.connect(registrar).addSigningKey(LAB.id, labKey.address, F + 1_000, F + 10_000);

      expect(await registry.isValidSigner(labKey.address, Kind.Lab, F + 4_999)).to.equal(false);
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, F + 5_000)).to.equal(true);
    });
  });

  describe('revocation', function () {
    it('When the registrar revokes a key, Then SigningKeyRevoked is emitted and the key is invalid from then on, not before', async function () {
      const { registry, registrar, labKey } = await loadFixture(deployWithLabKey);

      const tx = await registry.connect(registrar).revokeSigningKey(labKey.address);
      const revokedAt = await time.latest();

      await expect(tx)
        .to.emit(registry, 'SigningKeyRevoked')
        .withArgs(LAB.id, labKey.address, registrar.address, revokedAt);
      expect((await registry.getSigningKey(labKey.address)).revokedAt).to.equal(BigInt(revokedAt));
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, revokedAt - 1)).to.equal(true);
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, revokedAt)).to.equal(false);
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, revokedAt + DAY)).to.equal(false);
    });

    it('When the regulator revokes a key, Then it is revoked too', async function () {
      const { registry, regulator, labKey } = await loadFixture(deployWithLabKey);

      const tx = await registry.connect(regulator).revokeSigningKey(labKey.address);
      const revokedAt = await time.latest();

      await expect(tx)
        .to.emit(registry, 'SigningKeyRevoked')
        .withArgs(LAB.id, labKey.address, regulator.address, revokedAt);
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, revokedAt)).to.equal(false);
    });

    it('When a key is revoked twice, Then it reverts with ParticipantRegistryRevokedKey', async function () {
      const { registry, registrar, regulator, labKey } = await loadFixture(deployWithLabKey);
      await registry.connect(registrar).revokeSigningKey(labKey.address);
      const revokedAt = await time.latest();

      await expect(registry.connect(regulator).revokeSigningKey(labKey.address))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryRevokedKey')
        .withArgs(labKey.address, revokedAt);
    });

    it('When an unknown key is revoked, Then it reverts with ParticipantRegistryUnknownKey', async function () {
      const { registry, registrar, stranger } = await loadFixture(deployWithLabKey);

      await expect(registry.connect(registrar).revokeSigningKey(stranger.address))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnknownKey')
        .withArgs(stranger.address);
    });

    it('When a revoked key is added again, Then it reverts with ParticipantRegistryDuplicateKey', async function () {
      const { registry, registrar, labKey } = await loadFixture(deployWithLabKey);
      await registry.connect(registrar).revokeSigningKey(labKey.address);

      await expect(registry.connect(registrar).addSigningKey(LAB.id, labKey.address, 1, 2))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryDuplicateKey')
        .withArgs(labKey.address);
    });

    it('When the regulator revokes a participant, Then ParticipantRevoked is emitted and its keys are invalid from then on, not before', async function () {
      const { registry, regulator, labKey } = await loadFixture(deployWithLabKey);

      const tx = await registry.connect(regulator).revokeParticipant(LAB.id);
      const revokedAt = await time.latest();

      await expect(tx).to.emit(registry, 'ParticipantRevoked').withArgs(LAB.id, regulator.address, revokedAt);
      expect((await registry.getParticipant(LAB.id)).revokedAt).to.equal(BigInt(revokedAt));
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, revokedAt - 1)).to.equal(true);
      expect(await registry.isValidSigner(labKey.address, Kind.Lab, revokedAt)).to.equal(false);
    });

    it('When a participant is revoked, Then it takes no new key, no renewal and no second revocation', async function () {
      const { registry, registrar, regulator, stranger, accreditedUntil } = await loadFixture(deployWithLabKey);
      await registry.connect(registrar).revokeParticipant(LAB.id);
      const revokedAt = await time.latest();

      await expect(registry.connect(registrar).addSigningKey(LAB.id, stranger.address, 1, 2))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryRevokedParticipant')
        .withArgs(LAB.id, revokedAt);
      await expect(registry.connect(registrar).renewAccreditation(LAB.id, accreditedUntil + YEAR))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryRevokedParticipant')
        .withArgs(LAB.id, revokedAt);
      await expect(registry.connect(regulator).revokeParticipant(LAB.id))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryRevokedParticipant')
        .withArgs(LAB.id, revokedAt);
    });

    it('When an unknown participant is revoked, Then it reverts with ParticipantRegistryUnknownParticipant', async function () {
      const { registry, regulator } = await loadFixture(deployRegistry);

      await expect(registry.connect(regulator).revokeParticipant(LAB.id))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnknownParticipant')
        .withArgs(LAB.id);
    });
  });

  describe('accreditation renewal', function () {
    it('When a lab accreditation is extended, Then AccreditationUpdated is emitted and the key is valid until the new end', async function () {
      const { registry, registrar, labKey, accreditedFrom, accreditedUntil } = await loadFixture(deployWithLabKey);
      const newUntil = accreditedUntil + YEAR;

      await expect(registry.connect(registrar).renewAccreditation(LAB.id, newUntil))
        .to.emit(registry, 'AccreditationUpdated')
        .withArgs(LAB.id, accreditedFrom, newUntil);

      expect(await registry.isValidSigner(labKey.address, Kind.Lab, accreditedUntil + 1)).to.equal(true);
    });

    it('When the renewal does not extend the accreditation, Then it reverts with ParticipantRegistryAccreditationNotExtended', async function () {
      const { registry, registrar, accreditedUntil } = await loadFixture(deployWithParticipants);

      await expect(registry.connect(registrar).renewAccreditation(LAB.id, accreditedUntil))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryAccreditationNotExtended')
        .withArgs(LAB.id, accreditedUntil, accreditedUntil);
      await expect(registry.connect(registrar).renewAccreditation(LAB.id, accreditedUntil - 1))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryAccreditationNotExtended')
        .withArgs(LAB.id, accreditedUntil, accreditedUntil - 1);
    });

    it('When a producer or an unknown participant is renewed, Then it reverts with the reason', async function () {
      const { registry, registrar, now } = await loadFixture(deployWithParticipants);

      await expect(registry.connect(registrar).renewAccreditation(PRODUCER.id, now + YEAR))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnexpectedKind')
        .withArgs(PRODUCER.id, Kind.Producer);
      await expect(registry.connect(registrar).renewAccreditation(ethers.id('nobody'), now + YEAR))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnknownParticipant')
        .withArgs(ethers.id('nobody'));
    });
  });

  describe('product keys (label hijack)', function () {
    const RIVAL = { id: ethers.id('uscc:91422800MA4F0XXX2Q'), name: 'Rival Tea Co.', code: '91422800MA4F0XXX2Q' };

    /** Two producers; the first holds the company prefix 6901234 and the GTIN 06909999000017. */
    async function deployWithProductKeys(): Promise<RegistryFixture> {
      const fixture = await deployWithLabKey();
      const { registry, registrar } = fixture;
      await registry.connect(registrar).registerProducer(RIVAL.id, RIVAL.name, RIVAL.code);
      await registry.connect(registrar).assignProductKey(PRODUCER.id, '6901234');
      await registry.connect(registrar).assignProductKey(PRODUCER.id, '06909999000017');
      return { ...fixture, now: await time.latest() };
    }

    it('When the registrar assigns a company prefix and a GTIN-14, Then each emits ProductKeyAssigned and is listed for the producer (gas, measured once: about 126k for a 7-digit prefix, 220k for a GTIN-14, 236k for a 12-digit prefix: one storage slot per marked prefix)', async function () {
      const { registry, registrar } = await loadFixture(deployWithParticipants);

      await expect(registry.connect(registrar).assignProductKey(PRODUCER.id, '6901234')).to.emit(registry, 'ProductKeyAssigned').withArgs(PRODUCER.id, '6901234');
      await expect(registry.connect(registrar).assignProductKey(PRODUCER.id, '16909999000014')).to.emit(registry, 'ProductKeyAssigned').withArgs(PRODUCER.id, '16909999000014');

      expect(await registry.productKeysOf(PRODUCER.id)).to.deep.equal(['6901234', '16909999000014']);
      expect(await registry.productKeysOf(LAB.id)).to.deep.equal([]);
    });

    it('label hijack: When a GTIN starts with a producer\'s company prefix after its indicator digit, Then productKeyOwner names that producer, at any indicator', async function () {
      const { registry } = await loadFixture(deployWithProductKeys);

      for (const gtin of ['06901234567892', '16901234567899', '06901234000001']) {
        expect(await registry.productKeyOwner(gtin)).to.equal(PRODUCER.id);
      }
    });

    it('label hijack: When a full GTIN-14 is assigned, Then productKeyOwner names its producer for that GTIN only', async function () {
      const { registry } = await loadFixture(deployWithProductKeys);

      expect(await registry.productKeyOwner('06909999000017')).to.equal(PRODUCER.id);
      expect(await registry.productKeyOwner('16909999000014')).to.equal(ethers.ZeroHash);
      expect(await registry.productKeyOwner('06909999000024')).to.equal(ethers.ZeroHash);
    });

    it('label hijack: When no key covers a GTIN, or the input is not 14 digits, Then productKeyOwner is zero', async function () {
      const { registry } = await loadFixture(deployWithProductKeys);

      for (const input of ['06901235000006', '6901234567892', '069012345678921', '0690123456789X', '', '6901234']) {
        expect(await registry.productKeyOwner(input), input).to.equal(ethers.ZeroHash);
      }
    });

    it('label hijack: When the registrar assigns another producer a key that an assigned key covers (itself, or a shorter prefix), Then it reverts with ParticipantRegistryProductKeyTaken naming the covering key and its owner', async function () {
      const { registry, registrar } = await loadFixture(deployWithProductKeys);
      const cases: [string, string][] = [
        ['6901234', '6901234'],
        ['69012345', '6901234'],
        ['690123456789', '6901234'],
        ['06901234567892', '6901234'],
        ['36901234567893', '6901234'],
        ['06909999000017', '06909999000017'],
      ];

      for (const [key, covering] of cases) {
        await expect(registry.connect(registrar).assignProductKey(RIVAL.id, key), key)
          .to.be.revertedWithCustomError(registry, 'ParticipantRegistryProductKeyTaken')
          .withArgs(key, covering, PRODUCER.id);
      }
      expect(await registry.productKeysOf(RIVAL.id)).to.deep.equal([]);
    });

    it('label hijack: When the registrar assigns another producer a prefix that covers an assigned key (a longer prefix or a GTIN-14), Then it reverts with ParticipantRegistryProductKeyOverlaps', async function () {
      const { registry, registrar } = await loadFixture(deployWithProductKeys);

      for (const key of ['690123', '690999', '6909999000']) {
        await expect(registry.connect(registrar).assignProductKey(RIVAL.id, key), key)
          .to.be.revertedWithCustomError(registry, 'ParticipantRegistryProductKeyOverlaps')
          .withArgs(key);
      }
    });

    it('label hijack: When a key sits beside the assigned ones (a sibling prefix, another indicator of an assigned GTIN), Then the rival gets it', async function () {
      const { registry, registrar } = await loadFixture(deployWithProductKeys);

      await registry.connect(registrar).assignProductKey(RIVAL.id, '6901235');
      await registry.connect(registrar).assignProductKey(RIVAL.id, '16909999000014');

      expect(await registry.productKeyOwner('06901235000006')).to.equal(RIVAL.id);
      expect(await registry.productKeyOwner('16909999000014')).to.equal(RIVAL.id);
      expect(await registry.productKeyOwner('06909999000017')).to.equal(PRODUCER.id);
    });

    it('label hijack: When a lab key, the regulator, the admin or a stranger assigns a product key, Then it reverts with AccessControlUnauthorizedAccount', async function () {
      const { registry, labKey, regulator, admin, stranger } = await loadFixture(deployWithProductKeys);

      for (const caller of [labKey, regulator, admin, stranger]) {
        await expect(registry.connect(caller).assignProductKey(RIVAL.id, '6905555'))
          .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
          .withArgs(caller.address, REGISTRAR_ROLE);
      }
    });

    it('label hijack: When the key would go to a lab, a department, a revoked producer or an unknown id, Then it reverts', async function () {
      const { registry, registrar, regulator } = await loadFixture(deployWithProductKeys);
      await registry.connect(regulator).revokeParticipant(RIVAL.id);
      const revokedAt = (await registry.getParticipant(RIVAL.id)).revokedAt;

      await expect(registry.connect(registrar).assignProductKey(LAB.id, '6905555'))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnexpectedKind')
        .withArgs(LAB.id, Kind.Lab);
      await expect(registry.connect(registrar).assignProductKey(DEPARTMENT.id, '6905555'))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnexpectedKind')
        .withArgs(DEPARTMENT.id, Kind.Department);
      await expect(registry.connect(registrar).assignProductKey(RIVAL.id, '6905555'))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryRevokedParticipant')
        .withArgs(RIVAL.id, revokedAt);
      await expect(registry.connect(registrar).assignProductKey(ethers.id('nobody'), '6905555'))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnknownParticipant')
        .withArgs(ethers.id('nobody'));
    });

    it('When a key is not 6 to 12 or 14 ASCII digits, Then it reverts with ParticipantRegistryInvalidProductKey', async function () {
      const { registry, registrar } = await loadFixture(deployWithProductKeys);

      for (const key of ['', '69055', '6905555555555', '690555555555555', '69055A', '６９０５５５', '0690555500001X']) {
        await expect(registry.connect(registrar).assignProductKey(PRODUCER.id, key), key)
          .to.be.revertedWithCustomError(registry, 'ParticipantRegistryInvalidProductKey')
          .withArgs(key);
      }
    });
  });

  describe('access control', function () {
    type Call = (registry: ParticipantRegistry, fixture: RegistryFixture) => Promise<unknown>;
    const registrarOnly: [string, Call][] = [
      ['registerLab', (r) => r.registerLab(ethers.id('lab 2'), 'Lab 2', '210099999999', 1, 2)],
      ['registerProducer', (r) => r.registerProducer(ethers.id('producer 2'), 'Producer 2', '91422800MA4F0XXX2Q')],
      ['registerDepartment', (r) => r.registerDepartment(ethers.id('dept 2'), 'Dept 2', '11422800011234568K')],
      ['renewAccreditation', (r, f) => r.renewAccreditation(LAB.id, f.accreditedUntil + YEAR)],
      ['addSigningKey', (r, f) => r.addSigningKey(LAB.id, f.stranger.address, 1, 2)],
      ['assignProductKey', (r) => r.assignProductKey(PRODUCER.id, '690123')],
    ];

    for (const [name, call] of registrarOnly) {
      it(`When a stranger or the regulator calls ${name}, Then it reverts with AccessControlUnauthorizedAccount`, async function () {
        const fixture = await loadFixture(deployWithLabKey);
        const { registry, stranger, regulator } = fixture;

        for (const caller of [stranger, regulator]) {
          await expect(call(registry.connect(caller), fixture))
            .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
            .withArgs(caller.address, REGISTRAR_ROLE);
        }
      });
    }

    const revokers: [string, Call][] = [
      ['revokeParticipant', (r) => r.revokeParticipant(LAB.id)],
      ['revokeSigningKey', (r, f) => r.revokeSigningKey(f.labKey.address)],
    ];

    for (const [name, call] of revokers) {
      it(`When a stranger or the admin calls ${name}, Then it reverts with ParticipantRegistryUnauthorizedRevoker`, async function () {
        const fixture = await loadFixture(deployWithLabKey);
        const { registry, stranger, admin } = fixture;

        for (const caller of [stranger, admin]) {
          await expect(call(registry.connect(caller), fixture))
            .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnauthorizedRevoker')
            .withArgs(caller.address);
        }
      });
    }

    it('When a stranger grants itself a role, Then it reverts with AccessControlUnauthorizedAccount', async function () {
      const { registry, stranger, registrar } = await loadFixture(deployRegistry);

      for (const role of [REGISTRAR_ROLE, REGULATOR_ROLE]) {
        await expect(registry.connect(stranger).grantRole(role, stranger.address))
          .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
          .withArgs(stranger.address, DEFAULT_ADMIN_ROLE);
        await expect(registry.connect(registrar).grantRole(role, stranger.address))
          .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
          .withArgs(registrar.address, DEFAULT_ADMIN_ROLE);
      }
    });
  });

  describe('spot-check designation (监督抽检)', function () {
    it('report hijack: only the regulator designates spot-check labs (a registrar, a lab key, the anchorer and the admin are refused)', async function () {
      const { registry, admin, registrar, stranger, labKey, now } = await loadFixture(deployWithLabKey);
      // The registry knows no anchorer: the operator's account holds no role here, like `stranger`.
      for (const caller of [registrar, labKey, stranger, admin]) {
        await expect(registry.connect(caller).designateSpotCheckLab(LAB.id, now, now + YEAR))
          .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
          .withArgs(caller.address, REGULATOR_ROLE);
      }
      expect(await registry.spotCheckWindow(LAB.id)).to.deep.equal([0n, 0n]);
    });

    it('When the regulator designates a lab, Then its window is recorded and SpotCheckDesignated is emitted', async function () {
      const { registry, regulator, now } = await loadFixture(deployWithLabKey);
      await expect(registry.connect(regulator).designateSpotCheckLab(LAB.id, now - HOUR / 2, now + YEAR))
        .to.emit(registry, 'SpotCheckDesignated')
        .withArgs(LAB.id, now - HOUR / 2, now + YEAR);
      expect(await registry.spotCheckWindow(LAB.id)).to.deep.equal([BigInt(now - HOUR / 2), BigInt(now + YEAR)]);
      // back-dating: a designation cannot start more than an hour before the block (it would vouch for past reports).
      await expect(registry.connect(regulator).designateSpotCheckLab(LAB.id, now - DAY, now + YEAR)).to.be.revertedWithCustomError(registry, 'ParticipantRegistryWindowStartsInPast');
    });

    it('When the window is empty or the participant is not a registered, unrevoked lab, Then the designation is refused', async function () {
      const { registry, regulator, now } = await loadFixture(deployWithLabKey);
      await expect(registry.connect(regulator).designateSpotCheckLab(LAB.id, now, now))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryInvalidWindow')
        .withArgs(now, now);
      await expect(registry.connect(regulator).designateSpotCheckLab(PRODUCER.id, now, now + DAY))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnexpectedKind')
        .withArgs(PRODUCER.id, Kind.Producer);
      const unknown = ethers.id('cma:999999999999');
      await expect(registry.connect(regulator).designateSpotCheckLab(unknown, now, now + DAY))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryUnknownParticipant')
        .withArgs(unknown);
      await registry.connect(regulator).revokeParticipant(LAB.id);
      const revokedAt = await time.latest();
      await expect(registry.connect(regulator).designateSpotCheckLab(LAB.id, now, now + DAY))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryRevokedParticipant')
        .withArgs(LAB.id, revokedAt);
    });

    it('When the regulator ends a designation, Then its window ends at that block time and it cannot be ended twice', async function () {
      const { registry, regulator, registrar, now } = await loadFixture(deployWithLabKey);
      await registry.connect(regulator).designateSpotCheckLab(LAB.id, now, now + YEAR);
      await expect(registry.connect(registrar).endSpotCheckDesignation(LAB.id))
        .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
        .withArgs(registrar.address, REGULATOR_ROLE);
      const tx = await registry.connect(regulator).endSpotCheckDesignation(LAB.id);
      const endedAt = await time.latest();
      await expect(tx).to.emit(registry, 'SpotCheckDesignated').withArgs(LAB.id, now, endedAt);
      expect(await registry.spotCheckWindow(LAB.id)).to.deep.equal([BigInt(now), BigInt(endedAt)]);
      await expect(registry.connect(regulator).endSpotCheckDesignation(LAB.id))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryNoSpotCheckDesignation')
        .withArgs(LAB.id);
    });

    it('When a lab was never designated, Then ending its designation is refused', async function () {
      const { registry, regulator } = await loadFixture(deployWithLabKey);
      await expect(registry.connect(regulator).endSpotCheckDesignation(LAB.id))
        .to.be.revertedWithCustomError(registry, 'ParticipantRegistryNoSpotCheckDesignation')
        .withArgs(LAB.id);
    });
  });
});
