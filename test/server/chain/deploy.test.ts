/** server/chain/deploy.ts checkRegistriesNamed: a saved deployment is used only when its TraceLedger names its registries, and they are today's. */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { checkRegistriesNamed, deployContracts, type Deployment } from '../../../server/chain/deploy';
import { RFC6962Harness__factory, TraceLedger__factory } from '../../../typechain-types';

interface DeployFixture {
  /** A deployment as `traceledger deploy` makes it. */
  readonly deployment: Deployment;
  /** A real contract lacking every registry function (a test harness), to stand where a registry should be. */
  readonly stranger: string;
}

/** The message `p` is rejected with; fails when it resolves. */
async function refusal(p: Promise<unknown>): Promise<string> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => (e as Error).message,
  );
  expect(outcome, 'refused').to.be.a('string');
  return outcome!;
}

async function deployFixture(): Promise<DeployFixture> {
  const [operator] = await ethers.getSigners();
  const deployment = await deployContracts(operator!);
  const harness = await new RFC6962Harness__factory(operator).deploy();
  return { deployment, stranger: await harness.getAddress() };
}

describe('server/chain/deploy checkRegistriesNamed', function () {
  it('When the deployment is the one deployContracts made, Then it is accepted', async function () {
    const { deployment } = await loadFixture(deployFixture);
    await checkRegistriesNamed(deployment, ethers.provider);
  });

  it('When the TraceLedger does not name its registries (an older one), Then start is refused', async function () {
    const { deployment, stranger } = await loadFixture(deployFixture);
    expect(await refusal(checkRegistriesNamed({ ...deployment, traceLedger: stranger }, ethers.provider))).to.match(/does not name its registries \(deployed by an older traceledger\)/);
  });

  it('When deployment.json names other registries than its TraceLedger, Then start is refused naming both', async function () {
    const { deployment, stranger } = await loadFixture(deployFixture);
    expect(await refusal(checkRegistriesNamed({ ...deployment, participantRegistry: stranger }, ethers.provider))).to.contain(
      `names registries ${stranger} and ${deployment.revocationRegistry}, but TraceLedger ${deployment.traceLedger} names ${deployment.participantRegistry} and ${deployment.revocationRegistry}`,
    );
  });

  it('When the ParticipantRegistry its TraceLedger names has no productKeyOwner nor spotCheckWindow (an older traceledger), Then start is refused', async function () {
    // A real TraceLedger naming a contract without those functions as its ParticipantRegistry: its constructor
    // checks only that the registries have code, so the names check passes and the new check is the one that refuses.
    const { deployment, stranger } = await loadFixture(deployFixture);
    const [operator] = await ethers.getSigners();
    const ledger = await new TraceLedger__factory(operator).deploy(operator!.address, stranger, deployment.revocationRegistry);
    const older: Deployment = { ...deployment, traceLedger: await ledger.getAddress(), participantRegistry: stranger };
    expect(await ledger.participantRegistry()).to.equal(stranger);

    expect(await refusal(checkRegistriesNamed(older, ethers.provider))).to.equal(
      `ParticipantRegistry ${stranger} has no product keys or spot-check designations (deployed by an older traceledger). Start with a fresh DATA_DIR, or redeploy.`,
    );
  });
});
