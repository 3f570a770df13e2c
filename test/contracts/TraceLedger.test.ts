/** TraceLedger.sol: roles, anchoring, on-chain consistency checks against a forging anchorer, inclusion, gas. */
import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { expect } from 'chai';
import { ethers } from 'hardhat';

import type { TraceLedger } from '../../typechain-types';
import { ReferenceTree, leafHash, toHex } from '../support/rfc6962-reference';

interface LedgerFixture {
  readonly ledger: TraceLedger;
  readonly admin: HardhatEthersSigner;
  readonly anchorer: HardhatEthersSigner;
  readonly stranger: HardhatEthersSigner;
}

const LOG_ID = ethers.id('traceledger/log/reports');
const OTHER_LOG_ID = ethers.id('traceledger/log/shares');
const ANCHORER_ROLE = ethers.id('ANCHORER_ROLE');
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;

/** The honest log: 64 entries. */
const TREE = ReferenceTree.ofCounter(64);

function root(size: number, tree: ReferenceTree = TREE): string {
  return toHex(tree.root(size));
}

function consistency(size1: number, size2: number, tree: ReferenceTree = TREE): string[] {
  return tree.consistencyProof(size1, size2).map(toHex);
}

async function deployLedger(): Promise<LedgerFixture> {
  const [admin, anchorer, stranger] = await ethers.getSigners();
  if (admin === undefined || anchorer === undefined || stranger === undefined) throw new Error('need 3 signers');
  const { participants, revocations } = await deployRegistries(admin.address);
  const ledger = await ethers.deployContract('TraceLedger', [admin.address, participants, revocations]);
  await ledger.connect(admin).grantRole(ANCHORER_ROLE, anchorer.address);
  return { ledger, admin, anchorer, stranger };
}

/** The two registries TraceLedger names (its trust-root companions). */
async function deployRegistries(admin: string): Promise<{ participants: string; revocations: string }> {
  const participants = await ethers.deployContract('ParticipantRegistry', [admin]);
  const revocations = await ethers.deployContract('RevocationRegistry', [await participants.getAddress()]);
  return { participants: await participants.getAddress(), revocations: await revocations.getAddress() };
}

/** The ledger with the honest log anchored at size 8. */
async function deployLedgerAnchoredAt8(): Promise<LedgerFixture> {
  const fixture = await deployLedger();
  await fixture.ledger.connect(fixture.anchorer).anchor(LOG_ID, 8, root(8), []);
  return fixture;
}

describe('TraceLedger', function () {
  describe('deployment and roles', function () {
    it('When deployed, Then the admin holds DEFAULT_ADMIN_ROLE and ANCHORER_ROLE is keccak256("ANCHORER_ROLE")', async function () {
      const { ledger, admin } = await loadFixture(deployLedger);

      expect(await ledger.ANCHORER_ROLE()).to.equal(ANCHORER_ROLE);
      expect(await ledger.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).to.equal(true);
      expect(await ledger.hasRole(ANCHORER_ROLE, admin.address)).to.equal(false);
    });

    it('When deployed with the zero address as admin, Then it reverts with TraceLedgerInvalidAdmin', async function () {
      const factory = await ethers.getContractFactory('TraceLedger');
      const { participants, revocations } = await deployRegistries((await ethers.getSigners())[0]!.address);

      await expect(factory.deploy(ethers.ZeroAddress, participants, revocations))
        .to.be.revertedWithCustomError(factory, 'TraceLedgerInvalidAdmin')
        .withArgs(ethers.ZeroAddress);
    });

    it('When deployed, Then it names its registries for verifiers (the one trust root), fixed', async function () {
      const { ledger } = await loadFixture(deployLedger);
      const participants = await ledger.participantRegistry();
      const revocations = await ledger.revocationRegistry();

      expect(await (await ethers.getContractAt('RevocationRegistry', revocations)).participantRegistry()).to.equal(participants);
      expect(await ethers.provider.getCode(participants)).to.not.equal('0x');
      expect(ledger.interface.getFunction('participantRegistry').stateMutability).to.equal('view');
      const names: string[] = [];
      ledger.interface.forEachFunction((fn) => names.push(fn.name));
      expect(names.filter((n) => /registry/i.test(n)).sort(), 'no setter: the registries cannot be swapped').to.deep.equal(['participantRegistry', 'revocationRegistry']);
    });

    it('When a registry is an account without code or the zero address, Then deployment reverts with TraceLedgerInvalidRegistry', async function () {
      const factory = await ethers.getContractFactory('TraceLedger');
      const [admin, eoa] = await ethers.getSigners();
      const { participants, revocations } = await deployRegistries(admin!.address);

      await expect(factory.deploy(admin!.address, eoa!.address, revocations)).to.be.revertedWithCustomError(factory, 'TraceLedgerInvalidRegistry').withArgs(eoa!.address);
      await expect(factory.deploy(admin!.address, participants, ethers.ZeroAddress)).to.be.revertedWithCustomError(factory, 'TraceLedgerInvalidRegistry').withArgs(ethers.ZeroAddress);
    });

    it('When asked, Then it supports the ITraceLedger, IAccessControl and IERC165 interfaces', async function () {
      const { ledger } = await loadFixture(deployLedger);
      const iTraceLedger = (await ethers.getContractAt('ITraceLedger', ledger.target)).interface;
      const iAccessControl = (await ethers.getContractAt('IAccessControl', ledger.target)).interface;
      const interfaceId = (iface: typeof iTraceLedger | typeof iAccessControl): string => {
        let id = 0n;
        iface.forEachFunction((fn) => (id ^= BigInt(fn.selector)));
        return ethers.toBeHex(id, 4);
      };

      expect(await ledger.supportsInterface(interfaceId(iTraceLedger))).to.equal(true);
      expect(await ledger.supportsInterface(interfaceId(iAccessControl))).to.equal(true);
      expect(await ledger.supportsInterface('0x01ffc9a7')).to.equal(true);
      expect(await ledger.supportsInterface('0xffffffff')).to.equal(false);
    });

    it('When a stranger anchors, Then it reverts with AccessControlUnauthorizedAccount', async function () {
      const { ledger, stranger } = await loadFixture(deployLedger);

      await expect(ledger.connect(stranger).anchor(LOG_ID, 1, root(1), []))
        .to.be.revertedWithCustomError(ledger, 'AccessControlUnauthorizedAccount')
        .withArgs(stranger.address, ANCHORER_ROLE);
    });

    it('When the admin anchors without ANCHORER_ROLE, Then it reverts with AccessControlUnauthorizedAccount', async function () {
      const { ledger, admin } = await loadFixture(deployLedger);

      await expect(ledger.connect(admin).anchor(LOG_ID, 1, root(1), []))
        .to.be.revertedWithCustomError(ledger, 'AccessControlUnauthorizedAccount')
        .withArgs(admin.address, ANCHORER_ROLE);
    });

    it('When the admin revokes ANCHORER_ROLE, Then the former anchorer can no longer anchor', async function () {
      const { ledger, admin, anchorer } = await loadFixture(deployLedger);

      await expect(ledger.connect(admin).revokeRole(ANCHORER_ROLE, anchorer.address))
        .to.emit(ledger, 'RoleRevoked')
        .withArgs(ANCHORER_ROLE, anchorer.address, admin.address);
      await expect(ledger.connect(anchorer).anchor(LOG_ID, 1, root(1), []))
        .to.be.revertedWithCustomError(ledger, 'AccessControlUnauthorizedAccount')
        .withArgs(anchorer.address, ANCHORER_ROLE);
    });

    it('When a stranger grants itself ANCHORER_ROLE, Then it reverts with AccessControlUnauthorizedAccount', async function () {
      const { ledger, stranger } = await loadFixture(deployLedger);

      await expect(ledger.connect(stranger).grantRole(ANCHORER_ROLE, stranger.address))
        .to.be.revertedWithCustomError(ledger, 'AccessControlUnauthorizedAccount')
        .withArgs(stranger.address, DEFAULT_ADMIN_ROLE);
    });
  });

  describe('first checkpoint', function () {
    it('When a log is anchored for the first time, Then CheckpointAnchored is emitted with previousSize 0 and latest is set', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedger);

      await expect(ledger.connect(anchorer).anchor(LOG_ID, 5, root(5), []))
        .to.emit(ledger, 'CheckpointAnchored')
        .withArgs(LOG_ID, 5, root(5), 0);

      expect(await ledger.latest(LOG_ID)).to.deep.equal([5n, root(5), BigInt(await time.latest())]);
      expect(await ledger.rootAt(LOG_ID, 5)).to.equal(root(5));
    });

    it('When nothing was anchored, Then latest and rootAt are zero', async function () {
      const { ledger } = await loadFixture(deployLedger);

      expect(await ledger.latest(LOG_ID)).to.deep.equal([0n, ethers.ZeroHash, 0n]);
      expect(await ledger.rootAt(LOG_ID, 5)).to.equal(ethers.ZeroHash);
    });

    it('When the first checkpoint comes with a proof, Then it reverts with TraceLedgerUnexpectedProof', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedger);

      await expect(ledger.connect(anchorer).anchor(LOG_ID, 8, root(8), consistency(5, 8)))
        .to.be.revertedWithCustomError(ledger, 'TraceLedgerUnexpectedProof')
        .withArgs(LOG_ID, consistency(5, 8).length);
    });

    it('When the size is 0, Then it reverts with TraceLedgerInvalidCheckpoint', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedger);

      await expect(ledger.connect(anchorer).anchor(LOG_ID, 0, root(0), []))
        .to.be.revertedWithCustomError(ledger, 'TraceLedgerInvalidCheckpoint')
        .withArgs(LOG_ID, 0, root(0));
    });

    it('When the root is zero, Then it reverts with TraceLedgerInvalidCheckpoint', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedger);

      await expect(ledger.connect(anchorer).anchor(LOG_ID, 3, ethers.ZeroHash, []))
        .to.be.revertedWithCustomError(ledger, 'TraceLedgerInvalidCheckpoint')
        .withArgs(LOG_ID, 3, ethers.ZeroHash);
    });

    it('When the size does not fit 64 bits, Then it reverts with TraceLedgerInvalidCheckpoint', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedger);
      const size = 2n ** 64n;

      await expect(ledger.connect(anchorer).anchor(LOG_ID, size, root(1), []))
        .to.be.revertedWithCustomError(ledger, 'TraceLedgerInvalidCheckpoint')
        .withArgs(LOG_ID, size, root(1));
    });

    it('When two logs are anchored, Then each keeps its own checkpoints', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedgerAnchoredAt8);
      const shares = ReferenceTree.ofCounter(3);

      await ledger.connect(anchorer).anchor(OTHER_LOG_ID, 3, root(3, shares), []);

      expect((await ledger.latest(LOG_ID))[0]).to.equal(8n);
      expect((await ledger.latest(OTHER_LOG_ID))[0]).to.equal(3n);
      expect(await ledger.rootAt(OTHER_LOG_ID, 8)).to.equal(ethers.ZeroHash);
    });
  });

  describe('growth', function () {
    it('When the log grows with a valid consistency proof, Then the new checkpoint is anchored and the old root kept', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedgerAnchoredAt8);

      await expect(ledger.connect(anchorer).anchor(LOG_ID, 13, root(13), consistency(8, 13)))
        .to.emit(ledger, 'CheckpointAnchored')
        .withArgs(LOG_ID, 13, root(13), 8);

      expect(await ledger.latest(LOG_ID)).to.deep.equal([13n, root(13), BigInt(await time.latest())]);
      expect(await ledger.rootAt(LOG_ID, 8)).to.equal(root(8));
      expect(await ledger.rootAt(LOG_ID, 13)).to.equal(root(13));
    });

    it('When the log grows step by step from 1 to 64, Then every step verifies on chain', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedger);
      const sizes = [1, 2, 3, 7, 8, 9, 31, 32, 33, 63, 64];

      await ledger.connect(anchorer).anchor(LOG_ID, 1, root(1), []);
      for (let i = 1; i < sizes.length; i++) {
        const [from, to] = [sizes[i - 1] ?? 0, sizes[i] ?? 0];
        await expect(ledger.connect(anchorer).anchor(LOG_ID, to, root(to), consistency(from, to)))
          .to.emit(ledger, 'CheckpointAnchored')
          .withArgs(LOG_ID, to, root(to), from);
      }

      for (const size of sizes) expect(await ledger.rootAt(LOG_ID, size)).to.equal(root(size));
    });

    it('When the latest checkpoint is anchored again, Then nothing happens: no event, no revert, no new time', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedgerAnchoredAt8);
      const before = await ledger.latest(LOG_ID);
      await time.increase(3600);

      await expect(ledger.connect(anchorer).anchor(LOG_ID, 8, root(8), [])).to.not.emit(ledger, 'CheckpointAnchored');

      expect(await ledger.latest(LOG_ID)).to.deep.equal(before);
    });

    it('When the latest size is anchored again with a non-empty proof, Then it reverts with TraceLedgerInconsistentCheckpoint', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedgerAnchoredAt8);

      await expect(ledger.connect(anchorer).anchor(LOG_ID, 8, root(8), [root(8)]))
        .to.be.revertedWithCustomError(ledger, 'TraceLedgerInconsistentCheckpoint')
        .withArgs(LOG_ID, 8, 8);
    });
  });

  describe('an attacker holding the ANCHORER key', function () {
    it('When it anchors a shrunk log, Then it reverts with TraceLedgerShrinkingCheckpoint', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedgerAnchoredAt8);

      await expect(ledger.connect(anchorer).anchor(LOG_ID, 5, root(5), consistency(5, 8)))
        .to.be.revertedWithCustomError(ledger, 'TraceLedgerShrinkingCheckpoint')
        .withArgs(LOG_ID, 8, 5);
      await expect(ledger.connect(anchorer).anchor(LOG_ID, 5, root(5), []))
        .to.be.revertedWithCustomError(ledger, 'TraceLedgerShrinkingCheckpoint')
        .withArgs(LOG_ID, 8, 5);
    });

    it('When it anchors a fork (same size, other root), Then it reverts with TraceLedgerInconsistentCheckpoint', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedgerAnchoredAt8);
      const fork = ReferenceTree.ofCounter(9); // other leaves: drop leaf 0, keep 8
      const forkRoot = toHex(new ReferenceTree([...Array(8).keys()].map((i) => fork.leaf(i + 1))).root());

      await expect(ledger.connect(anchorer).anchor(LOG_ID, 8, forkRoot, []))
        .to.be.revertedWithCustomError(ledger, 'TraceLedgerInconsistentCheckpoint')
        .withArgs(LOG_ID, 8, 8);
    });

    it('When it anchors a bigger log whose old entries were edited, Then the proof fails with TraceLedgerInconsistentCheckpoint', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedgerAnchoredAt8);
      // Entry 2 rewritten, then 4 entries appended: the forged tree is self-consistent, but not with root(8).
      const forged = new ReferenceTree(
        [...Array(12).keys()].map((i) => (i === 2 ? leafHash(Buffer.from('edited entry 2')) : TREE.leaf(i))),
      );

      await expect(ledger.connect(anchorer).anchor(LOG_ID, 12, root(12, forged), consistency(8, 12, forged)))
        .to.be.revertedWithCustomError(ledger, 'TraceLedgerInconsistentCheckpoint')
        .withArgs(LOG_ID, 8, 12);
      await expect(ledger.connect(anchorer).anchor(LOG_ID, 12, root(12, forged), consistency(8, 12)))
        .to.be.revertedWithCustomError(ledger, 'TraceLedgerInconsistentCheckpoint')
        .withArgs(LOG_ID, 8, 12);
    });

    it('When it anchors growth with a truncated, empty or stale proof, Then it reverts with TraceLedgerInconsistentCheckpoint', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedgerAnchoredAt8);
      const attempts = [consistency(8, 12).slice(0, -1), [], consistency(5, 12), [...consistency(8, 12), root(8)]];

      for (const proof of attempts) {
        await expect(ledger.connect(anchorer).anchor(LOG_ID, 12, root(12), proof))
          .to.be.revertedWithCustomError(ledger, 'TraceLedgerInconsistentCheckpoint')
          .withArgs(LOG_ID, 8, 12);
      }
      expect((await ledger.latest(LOG_ID))[0]).to.equal(8n);
    });
  });

  describe('verifyInclusion', function () {
    it('When an entry is proved against an anchored checkpoint, Then it verifies, also against an older checkpoint', async function () {
      const { ledger, anchorer } = await loadFixture(deployLedgerAnchoredAt8);
      await ledger.connect(anchorer).anchor(LOG_ID, 20, root(20), consistency(8, 20));

      for (const [index, size] of [
        [0, 8],
        [7, 8],
        [0, 20],
        [13, 20],
        [19, 20],
      ] as const) {
        const proof = TREE.inclusionProof(index, size).map(toHex);
        expect(await ledger.verifyInclusion(LOG_ID, size, index, toHex(TREE.leaf(index)), proof)).to.equal(true);
      }
    });

    it('When the size was never anchored, Then verification fails even with a valid proof', async function () {
      const { ledger } = await loadFixture(deployLedgerAnchoredAt8);
      const proof = TREE.inclusionProof(3, 9).map(toHex);

      expect(await ledger.verifyInclusion(LOG_ID, 9, 3, toHex(TREE.leaf(3)), proof)).to.equal(false);
      expect(
        await ledger.verifyInclusion(OTHER_LOG_ID, 8, 3, toHex(TREE.leaf(3)), TREE.inclusionProof(3, 8).map(toHex)),
      ).to.equal(false);
    });

    it('When the leaf, the index or the proof is wrong, Then verification fails', async function () {
      const { ledger } = await loadFixture(deployLedgerAnchoredAt8);
      const proof = TREE.inclusionProof(3, 8).map(toHex);

      expect(await ledger.verifyInclusion(LOG_ID, 8, 3, toHex(TREE.leaf(4)), proof)).to.equal(false);
      expect(await ledger.verifyInclusion(LOG_ID, 8, 2, toHex(TREE.leaf(3)), proof)).to.equal(false);
      expect(await ledger.verifyInclusion(LOG_ID, 8, 3, toHex(TREE.leaf(3)), proof.slice(1))).to.equal(false);
      expect(await ledger.verifyInclusion(LOG_ID, 8, 8, toHex(TREE.leaf(3)), proof)).to.equal(false);
    });
  });

  describe('gas', function () {
    // Log sizes of the benchmark, up to 2^20 (2^20 - 1 → 2^20 takes a 21-node proof); the tree takes a few seconds
    // to build.
    const BIG = 1_048_576;

    async function anchorGas(
      big: ReferenceTree,
      ledger: TraceLedger,
      signer: HardhatEthersSigner,
      logId: string,
      from: number,
      to: number,
    ): Promise<{ first: bigint; grow: bigint; proofLength: number }> {
      const firstTx = await ledger.connect(signer).anchor(logId, from, toHex(big.root(from)), []);
      const proof = big.consistencyProof(from, to).map(toHex);
      const growTx = await ledger.connect(signer).anchor(logId, to, toHex(big.root(to)), proof);
      const [first, grow] = await Promise.all([firstTx.wait(), growTx.wait()]);
      if (first === null || grow === null) throw new Error('no receipt');
      expect((await ledger.latest(logId))[0]).to.equal(BigInt(to));
      return { first: first.gasUsed, grow: grow.gasUsed, proofLength: proof.length };
    }

    it('When anchoring with a consistency proof at sizes up to a million, Then a first anchor costs under 75k gas and a growing one under 90k', async function () {
      this.timeout(120_000);
      const { ledger, anchorer } = await loadFixture(deployLedger);
      const big = ReferenceTree.ofCounter(BIG);
      const cases: [number, number][] = [
        [1_000, 1_001],
        [1_000, 2_000],
        [1_000_000, 1_000_001],
        [999_999, 1_000_000],
        [BIG - 1, BIG],
      ];
      const rows: string[] = [];
      const results: { first: bigint; grow: bigint }[] = [];

      for (const [i, [from, to]] of cases.entries()) {
        const { first, grow, proofLength } = await anchorGas(big, ledger, anchorer, ethers.id(`gas/${i}`), from, to);
        rows.push(`${from} → ${to}: first anchor ${first} gas, anchor with ${proofLength}-node proof ${grow} gas`);
        results.push({ first, grow });
      }
      console.log(`      anchor gas:\n${rows.map((row) => `        ${row}`).join('\n')}`);
      for (const { first, grow } of results) {
        expect(first).to.be.lessThan(75_000n);
        expect(grow).to.be.lessThan(90_000n);
      }
    });
  });
});
