/** RevocationRegistry.sol: record revocation by a lab's key or a regulator, kept per revoking party so that none blocks another. */
import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expect } from 'chai';
import { ethers } from 'hardhat';

import type { ParticipantRegistry, RevocationRegistry } from '../../typechain-types';
import { leafHash, toHex } from '../support/rfc6962-reference';

const REGISTRAR_ROLE = ethers.id('REGISTRAR_ROLE');
const REGULATOR_ROLE = ethers.id('REGULATOR_ROLE');

/** The lab that issued REPORT. */
const LAB_ID = ethers.id('cma:210012345678');
/** Another accredited lab: it did not issue REPORT. */
const STRANGER_LAB_ID = ethers.id('cma:210087654321');
const PRODUCER_ID = ethers.id('uscc:91422800MA4F0XXX1Q');
const REGULATOR_ID = ethers.ZeroHash;
const REPORT = toHex(leafHash(Buffer.from('{"v":1,"type":"report","id":"r-1"}')));
const REASON_SAMPLE_MIX_UP = 2;
const REASON_FRAUD_SUSPECTED = 4;

const DAY = 86_400;
const REVOCATION_TYPES = {
  Revocation: [
    { name: 'leafHash', type: 'bytes32' },
    { name: 'reasonCode', type: 'uint16' },
    { name: 'deadline', type: 'uint64' },
  ],
};

interface SignedRevocation {
  readonly leafHash: string;
  readonly reasonCode: number;
  readonly deadline: number;
  readonly signature: string;
}

/** The EIP-712 domain of `revocations`: name "traceledger", version "1", this chain, the contract itself. */
async function revocationDomain(revocations: RevocationRegistry): Promise<{ name: string; version: string; chainId: bigint; verifyingContract: string }> {
  const { chainId } = await ethers.provider.getNetwork();
  return { name: 'traceledger', version: '1', chainId, verifyingContract: await revocations.getAddress() };
}

/** `key` signs the revocation of `leafHash` for `reasonCode`, valid until `deadline`, for the contract `revocations`. */
async function signRevocation(
  revocations: RevocationRegistry,
  key: HardhatEthersSigner,
  leaf: string,
  reasonCode: number,
  deadline: number,
): Promise<SignedRevocation> {
  const value = { leafHash: leaf, reasonCode, deadline };
  return { ...value, signature: await key.signTypedData(await revocationDomain(revocations), REVOCATION_TYPES, value) };
}
const NOT_REVOKED = [false, 0n, 0n, ethers.ZeroAddress];

interface RevocationFixture {
  readonly registry: ParticipantRegistry;
  readonly revocations: RevocationRegistry;
  readonly admin: HardhatEthersSigner;
  readonly registrar: HardhatEthersSigner;
  readonly regulator: HardhatEthersSigner;
  readonly secondRegulator: HardhatEthersSigner;
  readonly stranger: HardhatEthersSigner;
  readonly labKey: HardhatEthersSigner;
  readonly secondLabKey: HardhatEthersSigner;
  readonly strangerLabKey: HardhatEthersSigner;
  readonly producerKey: HardhatEthersSigner;
  /** End of the lab's accreditation. */
  readonly accreditedUntil: number;
}

/**
 * The issuing lab, accredited for 30 more days with two keys valid for a year; a stranger lab with one key;
 * a producer with a key; two regulators; an address nobody registered.
 */
async function deployRevocations(): Promise<RevocationFixture> {
  const [admin, registrar, regulator, secondRegulator, stranger, labKey, secondLabKey, strangerLabKey, producerKey] = await ethers.getSigners();
  if (!admin || !registrar || !regulator || !secondRegulator || !stranger || !labKey || !secondLabKey || !strangerLabKey || !producerKey) {
    throw new Error('need 9 signers');
  }
  const registry = await ethers.deployContract('ParticipantRegistry', [admin.address]);
  await registry.connect(admin).grantRole(REGISTRAR_ROLE, registrar.address);
  await registry.connect(admin).grantRole(REGULATOR_ROLE, regulator.address);
  await registry.connect(admin).grantRole(REGULATOR_ROLE, secondRegulator.address);
  const now = await time.latest();
  const accreditedUntil = now + 30 * DAY;
  await registry
    .connect(registrar)
    .registerLab(LAB_ID, 'Enshi Selenium Testing Center', '210012345678', now, accreditedUntil);
  await registry.connect(registrar).addSigningKey(LAB_ID, labKey.address, now, now + 365 * DAY);
  await registry.connect(registrar).addSigningKey(LAB_ID, secondLabKey.address, now, now + 365 * DAY);
  await registry
    .connect(registrar)
    .registerLab(STRANGER_LAB_ID, 'Some Other Testing Lab', '210087654321', now, now + 365 * DAY);
  await registry.connect(registrar).addSigningKey(STRANGER_LAB_ID, strangerLabKey.address, now, now + 365 * DAY);
  await registry.connect(registrar).registerProducer(PRODUCER_ID, 'Enshi Tea Co.', '91422800MA4F0XXX1Q');
  await registry.connect(registrar).addSigningKey(PRODUCER_ID, producerKey.address, now, now + 365 * DAY);
  const revocations = await ethers.deployContract('RevocationRegistry', [registry.target]);
  return {
    registry,
    revocations,
    admin,
    registrar,
    regulator,
    secondRegulator,
    stranger,
    labKey,
    secondLabKey,
    strangerLabKey,
    producerKey,
    accreditedUntil,
  };
}

describe('RevocationRegistry', function () {
  describe('deployment', function () {
    it('When deployed, Then it reads roles from the participant registry, uses the same REGULATOR_ROLE and revoker id zero for the regulator', async function () {
      const { registry, revocations } = await loadFixture(deployRevocations);

      expect(await revocations.participantRegistry()).to.equal(registry.target);
      expect(await revocations.REGULATOR_ROLE()).to.equal(await registry.REGULATOR_ROLE());
      expect(await revocations.REGULATOR_REVOKER_ID()).to.equal(REGULATOR_ID);
    });

    it('When deployed without a participant registry, Then it reverts with RevocationRegistryInvalidParticipantRegistry', async function () {
      const factory = await ethers.getContractFactory('RevocationRegistry');

      await expect(factory.deploy(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, 'RevocationRegistryInvalidParticipantRegistry')
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe('revoke', function () {
    it('When a record was never revoked, Then revocationBy says so with every field zero, for the lab and the regulator', async function () {
      const { revocations } = await loadFixture(deployRevocations);

      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal(NOT_REVOKED);
      expect(await revocations.revocationBy(REPORT, REGULATOR_ID)).to.deep.equal(NOT_REVOKED);
    });

    it('When a valid lab key revokes, Then RecordRevoked names the lab, and revocationBy(lab) records key, reason and time while the regulator slot stays empty', async function () {
      const { revocations, labKey } = await loadFixture(deployRevocations);

      const tx = await revocations.connect(labKey).revoke(REPORT, REASON_SAMPLE_MIX_UP);
      const revokedAt = await time.latest();

      await expect(tx)
        .to.emit(revocations, 'RecordRevoked')
        .withArgs(REPORT, LAB_ID, labKey.address, REASON_SAMPLE_MIX_UP);
      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal([
        true,
        BigInt(REASON_SAMPLE_MIX_UP),
        BigInt(revokedAt),
        labKey.address,
      ]);
      expect(await revocations.revocationBy(REPORT, REGULATOR_ID)).to.deep.equal(NOT_REVOKED);
    });

    it('When the regulator revokes, Then it is recorded under revoker id zero', async function () {
      const { revocations, regulator } = await loadFixture(deployRevocations);

      const tx = await revocations.connect(regulator).revoke(REPORT, 0);
      const revokedAt = await time.latest();

      await expect(tx).to.emit(revocations, 'RecordRevoked').withArgs(REPORT, REGULATOR_ID, regulator.address, 0);
      expect(await revocations.revocationBy(REPORT, REGULATOR_ID)).to.deep.equal([
        true,
        0n,
        BigInt(revokedAt),
        regulator.address,
      ]);
      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal(NOT_REVOKED);
    });

    it('When a regulator is also a lab key, Then its revocation is recorded as the regulator', async function () {
      const { registry, revocations, admin, labKey } = await loadFixture(deployRevocations);
      await registry.connect(admin).grantRole(REGULATOR_ROLE, labKey.address);

      await expect(revocations.connect(labKey).revoke(REPORT, 1))
        .to.emit(revocations, 'RecordRevoked')
        .withArgs(REPORT, REGULATOR_ID, labKey.address, 1);
      expect((await revocations.revocationBy(REPORT, LAB_ID))[0]).to.equal(false);
    });
  });

  describe('revokeWithSignature', function () {
    it('When a stranger relays a valid lab key\'s signed revocation, Then it is recorded for the lab with the signer as revokedBy, as if the key had called revoke', async function () {
      const { revocations, labKey, stranger } = await loadFixture(deployRevocations);
      const signed = await signRevocation(revocations, labKey, REPORT, REASON_SAMPLE_MIX_UP, (await time.latest()) + DAY);

      const tx = await revocations.connect(stranger).revokeWithSignature(REPORT, REASON_SAMPLE_MIX_UP, signed.deadline, signed.signature);
      const revokedAt = await time.latest();

      await expect(tx).to.emit(revocations, 'RecordRevoked').withArgs(REPORT, LAB_ID, labKey.address, REASON_SAMPLE_MIX_UP);
      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal([true, BigInt(REASON_SAMPLE_MIX_UP), BigInt(revokedAt), labKey.address]);
      expect(await revocations.revocationBy(REPORT, REGULATOR_ID)).to.deep.equal(NOT_REVOKED);
    });

    it("When a regulator's signed revocation is relayed, Then it is recorded as the regulator's, as revoke would", async function () {
      const { revocations, regulator, stranger } = await loadFixture(deployRevocations);
      const signed = await signRevocation(revocations, regulator, REPORT, 1, (await time.latest()) + DAY);

      await expect(revocations.connect(stranger).revokeWithSignature(REPORT, 1, signed.deadline, signed.signature))
        .to.emit(revocations, 'RecordRevoked')
        .withArgs(REPORT, REGULATOR_ID, regulator.address, 1);
      expect((await revocations.revocationBy(REPORT, REGULATOR_ID))[3]).to.equal(regulator.address);
    });

    it('When asked for the digest of a revocation, Then it equals the EIP-712 hash of Revocation(leafHash, reasonCode, deadline) in the contract\'s traceledger domain', async function () {
      const { revocations } = await loadFixture(deployRevocations);
      const value = { leafHash: REPORT, reasonCode: 3, deadline: 1_900_000_000 };

      expect(await revocations.revocationDigest(REPORT, 3, 1_900_000_000)).to.equal(
        ethers.TypedDataEncoder.hash(await revocationDomain(revocations), REVOCATION_TYPES, value),
      );
      expect(await revocations.REVOCATION_TYPEHASH()).to.equal(ethers.id('Revocation(bytes32 leafHash,uint16 reasonCode,uint64 deadline)'));
    });

    it('When the deadline has passed, Then it reverts with RevocationRegistryExpiredSignature and nothing is recorded', async function () {
      const { revocations, labKey, stranger } = await loadFixture(deployRevocations);
      const deadline = (await time.latest()) + 60;
      const signed = await signRevocation(revocations, labKey, REPORT, 1, deadline);
      await time.increaseTo(deadline + 1);

      await expect(revocations.connect(stranger).revokeWithSignature(REPORT, 1, deadline, signed.signature))
        .to.be.revertedWithCustomError(revocations, 'RevocationRegistryExpiredSignature')
        .withArgs(deadline);
      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal(NOT_REVOKED);
    });

    it('When an unregistered key or a producer key signs, Then it reverts with RevocationRegistryUnauthorizedRevoker naming the signer', async function () {
      const { revocations, stranger, producerKey, labKey } = await loadFixture(deployRevocations);
      const deadline = (await time.latest()) + DAY;

      for (const key of [stranger, producerKey]) {
        const signed = await signRevocation(revocations, key, REPORT, 1, deadline);
        await expect(revocations.connect(labKey).revokeWithSignature(REPORT, 1, deadline, signed.signature))
          .to.be.revertedWithCustomError(revocations, 'RevocationRegistryUnauthorizedRevoker')
          .withArgs(key.address);
      }
      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal(NOT_REVOKED);
    });

    it("When another lab's key signs a revocation of the report, Then it is recorded for that other lab only, never in the issuing lab's slot", async function () {
      const { revocations, strangerLabKey, stranger } = await loadFixture(deployRevocations);
      const signed = await signRevocation(revocations, strangerLabKey, REPORT, REASON_FRAUD_SUSPECTED, (await time.latest()) + DAY);

      await expect(revocations.connect(stranger).revokeWithSignature(REPORT, REASON_FRAUD_SUSPECTED, signed.deadline, signed.signature))
        .to.emit(revocations, 'RecordRevoked')
        .withArgs(REPORT, STRANGER_LAB_ID, strangerLabKey.address, REASON_FRAUD_SUSPECTED);
      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal(NOT_REVOKED);
      expect(await revocations.revocationBy(REPORT, REGULATOR_ID)).to.deep.equal(NOT_REVOKED);
    });

    it('When the relayer changes the reason, the leaf or the deadline, Then the signature recovers another address, which is refused, and nothing is recorded', async function () {
      const { revocations, labKey, stranger } = await loadFixture(deployRevocations);
      const signed = await signRevocation(revocations, labKey, REPORT, REASON_SAMPLE_MIX_UP, (await time.latest()) + DAY);
      const OTHER = ethers.id('another leaf');

      for (const [leaf, reason, deadline] of [
        [REPORT, REASON_FRAUD_SUSPECTED, signed.deadline],
        [OTHER, REASON_SAMPLE_MIX_UP, signed.deadline],
        [REPORT, REASON_SAMPLE_MIX_UP, signed.deadline + 1],
      ] as const) {
        const recovered = ethers.recoverAddress(await revocations.revocationDigest(leaf, reason, deadline), signed.signature);
        expect(recovered).to.not.equal(labKey.address);
        await expect(revocations.connect(stranger).revokeWithSignature(leaf, reason, deadline, signed.signature))
          .to.be.revertedWithCustomError(revocations, 'RevocationRegistryUnauthorizedRevoker')
          .withArgs(recovered);
      }
      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal(NOT_REVOKED);
      expect(await revocations.revocationBy(OTHER, LAB_ID)).to.deep.equal(NOT_REVOKED);
    });

    it('When a signed revocation is sent again, Then it reverts with RevocationRegistryAlreadyRevoked and the first revocation stays', async function () {
      const { revocations, labKey, stranger } = await loadFixture(deployRevocations);
      const signed = await signRevocation(revocations, labKey, REPORT, REASON_SAMPLE_MIX_UP, (await time.latest()) + DAY);
      await revocations.connect(stranger).revokeWithSignature(REPORT, REASON_SAMPLE_MIX_UP, signed.deadline, signed.signature);
      const revokedAt = await time.latest();

      await expect(revocations.connect(labKey).revokeWithSignature(REPORT, REASON_SAMPLE_MIX_UP, signed.deadline, signed.signature))
        .to.be.revertedWithCustomError(revocations, 'RevocationRegistryAlreadyRevoked')
        .withArgs(REPORT, LAB_ID, revokedAt);
      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal([true, BigInt(REASON_SAMPLE_MIX_UP), BigInt(revokedAt), labKey.address]);
    });

    it('When a signature made for one RevocationRegistry is sent to another deployment, Then it recovers another address and is refused', async function () {
      const { registry, revocations, labKey, stranger } = await loadFixture(deployRevocations);
      const other = await ethers.deployContract('RevocationRegistry', [registry.target]);
      const signed = await signRevocation(revocations, labKey, REPORT, 1, (await time.latest()) + DAY);

      await expect(other.connect(stranger).revokeWithSignature(REPORT, 1, signed.deadline, signed.signature)).to.be.revertedWithCustomError(
        other,
        'RevocationRegistryUnauthorizedRevoker',
      );
      expect(await other.revocationBy(REPORT, LAB_ID)).to.deep.equal(NOT_REVOKED);
    });

    it('When the signature is malformed or has a high s, Then it reverts with the ECDSA error', async function () {
      const { revocations, labKey, stranger } = await loadFixture(deployRevocations);
      const signed = await signRevocation(revocations, labKey, REPORT, 1, (await time.latest()) + DAY);
      const sig = ethers.Signature.from(signed.signature);
      const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const highS = ethers.concat([sig.r, ethers.toBeHex(N - BigInt(sig.s), 32), sig.v === 27 ? '0x1c' : '0x1b']);

      await expect(revocations.connect(stranger).revokeWithSignature(REPORT, 1, signed.deadline, ethers.dataSlice(signed.signature, 0, 64)))
        .to.be.revertedWithCustomError(revocations, 'ECDSAInvalidSignatureLength')
        .withArgs(64);
      await expect(revocations.connect(stranger).revokeWithSignature(REPORT, 1, signed.deadline, highS)).to.be.revertedWithCustomError(revocations, 'ECDSAInvalidSignatureS');
      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal(NOT_REVOKED);
    });

    it('When a revoked lab key signs, Then it reverts with RevocationRegistryUnauthorizedRevoker, as revoke does', async function () {
      const { registry, revocations, registrar, labKey, stranger } = await loadFixture(deployRevocations);
      const signed = await signRevocation(revocations, labKey, REPORT, 1, (await time.latest()) + DAY);
      await registry.connect(registrar).revokeSigningKey(labKey.address);

      await expect(revocations.connect(stranger).revokeWithSignature(REPORT, 1, signed.deadline, signed.signature))
        .to.be.revertedWithCustomError(revocations, 'RevocationRegistryUnauthorizedRevoker')
        .withArgs(labKey.address);
    });
  });

  describe('attacks', function () {
    it('When a stranger lab revokes a record first (squatting), Then the issuing lab still revokes it, and each revocation is kept under its own lab', async function () {
      const { revocations, strangerLabKey, labKey } = await loadFixture(deployRevocations);
      await revocations.connect(strangerLabKey).revoke(REPORT, REASON_FRAUD_SUSPECTED);
      const strangerAt = await time.latest();

      await expect(revocations.connect(labKey).revoke(REPORT, REASON_SAMPLE_MIX_UP))
        .to.emit(revocations, 'RecordRevoked')
        .withArgs(REPORT, LAB_ID, labKey.address, REASON_SAMPLE_MIX_UP);
      const issuerAt = await time.latest();

      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal([
        true,
        BigInt(REASON_SAMPLE_MIX_UP),
        BigInt(issuerAt),
        labKey.address,
      ]);
      expect(await revocations.revocationBy(REPORT, STRANGER_LAB_ID)).to.deep.equal([
        true,
        BigInt(REASON_FRAUD_SUSPECTED),
        BigInt(strangerAt),
        strangerLabKey.address,
      ]);
    });

    it('When a stranger lab revokes a record first, Then the regulator still revokes it', async function () {
      const { revocations, strangerLabKey, regulator } = await loadFixture(deployRevocations);
      await revocations.connect(strangerLabKey).revoke(REPORT, REASON_FRAUD_SUSPECTED);

      await expect(revocations.connect(regulator).revoke(REPORT, REASON_SAMPLE_MIX_UP))
        .to.emit(revocations, 'RecordRevoked')
        .withArgs(REPORT, REGULATOR_ID, regulator.address, REASON_SAMPLE_MIX_UP);
      const regulatorAt = await time.latest();

      expect(await revocations.revocationBy(REPORT, REGULATOR_ID)).to.deep.equal([
        true,
        BigInt(REASON_SAMPLE_MIX_UP),
        BigInt(regulatorAt),
        regulator.address,
      ]);
    });

    it('When the issuing lab and the regulator both revoke, in either order, Then neither blocks the other', async function () {
      const { revocations, labKey, regulator } = await loadFixture(deployRevocations);
      const OTHER = ethers.id('another leaf');

      await revocations.connect(labKey).revoke(REPORT, 1);
      await expect(revocations.connect(regulator).revoke(REPORT, 2)).to.emit(revocations, 'RecordRevoked');
      await revocations.connect(regulator).revoke(OTHER, 2);
      await expect(revocations.connect(labKey).revoke(OTHER, 1)).to.emit(revocations, 'RecordRevoked');

      for (const leaf of [REPORT, OTHER]) {
        expect((await revocations.revocationBy(leaf, LAB_ID))[0]).to.equal(true);
        expect((await revocations.revocationBy(leaf, REGULATOR_ID))[0]).to.equal(true);
      }
    });

    it('When the same lab revokes a record twice, with the same key or another of its keys, Then it reverts with RevocationRegistryAlreadyRevoked naming the lab and keeps the first revocation', async function () {
      const { revocations, labKey, secondLabKey } = await loadFixture(deployRevocations);
      await revocations.connect(labKey).revoke(REPORT, REASON_SAMPLE_MIX_UP);
      const revokedAt = await time.latest();

      for (const caller of [labKey, secondLabKey]) {
        await expect(revocations.connect(caller).revoke(REPORT, 9))
          .to.be.revertedWithCustomError(revocations, 'RevocationRegistryAlreadyRevoked')
          .withArgs(REPORT, LAB_ID, revokedAt);
      }
      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal([
        true,
        BigInt(REASON_SAMPLE_MIX_UP),
        BigInt(revokedAt),
        labKey.address,
      ]);
    });

    it('When the regulator revokes a record twice, from the same or another regulator account, Then it reverts with RevocationRegistryAlreadyRevoked naming revoker id zero', async function () {
      const { revocations, regulator, secondRegulator } = await loadFixture(deployRevocations);
      await revocations.connect(regulator).revoke(REPORT, REASON_SAMPLE_MIX_UP);
      const revokedAt = await time.latest();

      for (const caller of [regulator, secondRegulator]) {
        await expect(revocations.connect(caller).revoke(REPORT, 9))
          .to.be.revertedWithCustomError(revocations, 'RevocationRegistryAlreadyRevoked')
          .withArgs(REPORT, REGULATOR_ID, revokedAt);
      }
    });

    it('When an unregistered address, a producer key, the registry admin or the registrar revokes, Then it reverts with RevocationRegistryUnauthorizedRevoker and nothing is recorded', async function () {
      const { revocations, stranger, producerKey, admin, registrar } = await loadFixture(deployRevocations);

      for (const caller of [stranger, producerKey, admin, registrar]) {
        await expect(revocations.connect(caller).revoke(REPORT, 1))
          .to.be.revertedWithCustomError(revocations, 'RevocationRegistryUnauthorizedRevoker')
          .withArgs(caller.address);
      }
      expect(await revocations.revocationBy(REPORT, REGULATOR_ID)).to.deep.equal(NOT_REVOKED);
      expect(await revocations.revocationBy(REPORT, LAB_ID)).to.deep.equal(NOT_REVOKED);
    });

    it('When a lab key is revoked, Then it can no longer revoke records, while the lab\'s other key still can', async function () {
      const { registry, revocations, registrar, labKey, secondLabKey } = await loadFixture(deployRevocations);
      await registry.connect(registrar).revokeSigningKey(labKey.address);

      await expect(revocations.connect(labKey).revoke(REPORT, 1))
        .to.be.revertedWithCustomError(revocations, 'RevocationRegistryUnauthorizedRevoker')
        .withArgs(labKey.address);
      await expect(revocations.connect(secondLabKey).revoke(REPORT, 1))
        .to.emit(revocations, 'RecordRevoked')
        .withArgs(REPORT, LAB_ID, secondLabKey.address, 1);
    });

    it('When the lab itself is revoked, Then none of its keys can revoke records', async function () {
      const { registry, revocations, registrar, labKey, secondLabKey } = await loadFixture(deployRevocations);
      await registry.connect(registrar).revokeParticipant(LAB_ID);

      for (const caller of [labKey, secondLabKey]) {
        await expect(revocations.connect(caller).revoke(REPORT, 1))
          .to.be.revertedWithCustomError(revocations, 'RevocationRegistryUnauthorizedRevoker')
          .withArgs(caller.address);
      }
    });

    it('When the lab accreditation has expired, Then its key can no longer revoke records', async function () {
      const { revocations, labKey, accreditedUntil } = await loadFixture(deployRevocations);
      await time.increaseTo(accreditedUntil + 1);

      await expect(revocations.connect(labKey).revoke(REPORT, 1))
        .to.be.revertedWithCustomError(revocations, 'RevocationRegistryUnauthorizedRevoker')
        .withArgs(labKey.address);
    });
  });
});
