/** server/chain/registry.ts Registries (real anvil): writes never hang — a failed send re-reads the nonce, a receipt that does not come is `unavailable`. */
import { expect } from 'chai';
import { ANVIL_DEV_KEYS, startAnvil, type AnvilNode } from '../../../server/chain/anvil';
import { deployContracts, type Deployment } from '../../../server/chain/deploy';
import { accountSigner, jsonRpcProvider, type JsonRpcProvider, type NonceManager } from '../../../server/chain/provider';
import { participantIdFor, Registries } from '../../../server/chain/registry';
import { isAppError } from '../../../server/errors';
import { USCC } from '../records/fixtures';
import { rejection } from '../../support/assertions';

describe('server/chain/registry Registries writes (real anvil)', function () {
  this.timeout(120_000);
  let node: AnvilNode;
  let provider: JsonRpcProvider;
  let operator: NonceManager;
  let deployment: Deployment;

  beforeEach(async () => {
    node = await startAnvil({ port: 0 });
    provider = jsonRpcProvider(node.rpcUrl, { pollingInterval: 50 });
    operator = accountSigner(ANVIL_DEV_KEYS[0], provider).signer;
    deployment = await deployContracts(operator);
  });

  afterEach(async () => {
    provider.destroy();
    await node.stop();
  });

  it('When a send fails (the chain refuses it while estimating gas), Then the next write still goes through: the counted nonce was dropped', async () => {
    const registries = new Registries(deployment, operator, { receiptTimeoutMs: 10_000 });
    await registries.registerProducer('紫阳县富硒茶业有限公司', USCC.producer);
    // The same producer again: refused before it is sent, after the signer counted a nonce for it.
    await rejection(registries.registerProducer('紫阳县富硒茶业有限公司', USCC.producer));

    const id = await registries.registerDepartment('安康市市场监督管理局', USCC.requestingDepartment);
    expect(id).to.equal(participantIdFor('department', USCC.requestingDepartment));
    expect(Number((await registries.participants.getParticipant(id)).registeredAt)).to.be.greaterThan(0);
  });

  it('When the receipt does not come within the timeout (the node stopped mining), Then the write fails with unavailable, naming the transaction', async () => {
    const registries = new Registries(deployment, operator, { receiptTimeoutMs: 1000 });
    await provider.send('evm_setAutomine', [false]);
    const err = await rejection(registries.registerProducer('紫阳县富硒茶业有限公司', USCC.producer));
    expect(isAppError(err, 'unavailable'), String(err)).to.equal(true);
    expect(err.message).to.match(/registerProducer: transaction 0x[0-9a-f]{64} was not mined within 1 s; retry/);
  });

  it('When a barrier is given, Then a write returns only after the barrier resolved for its own block', async () => {
    const seen: { block: number; hash: string }[] = [];
    const registries = new Registries(deployment, operator, {
      ensureDurable: async (block, hash) => {
        seen.push({ block, hash });
      },
    });
    await registries.registerProducer('紫阳县富硒茶业有限公司', USCC.producer);
    const head = await provider.getBlock('latest');
    expect(seen).to.deep.equal([{ block: head!.number, hash: head!.hash }]);
  });
});
