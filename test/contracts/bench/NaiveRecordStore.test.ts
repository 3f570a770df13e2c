/** NaiveRecordStore.sol: the gas benchmark baseline stores and returns whole records. */
import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';

import type { NaiveRecordStore } from '../../../typechain-types';

interface StoreFixture {
  readonly store: NaiveRecordStore;
  readonly producer: string;
}

async function deployStore(): Promise<StoreFixture> {
  const [, producer] = await ethers.getSigners();
  if (producer === undefined) throw new Error('need 2 signers');
  return { store: await ethers.deployContract('NaiveRecordStore'), producer: producer.address };
}

const REPORT_HASH = ethers.id('report r-1');

describe('NaiveRecordStore', function () {
  it('When a record is stored, Then RecordStored is emitted and every field reads back, with the block time', async function () {
    const { store, producer } = await loadFixture(deployStore);

    await expect(store.store('ES-2024-0001', producer, 4_200, 'Enshi Selenium Testing Center', REPORT_HASH))
      .to.emit(store, 'RecordStored')
      .withArgs(0, producer, 'ES-2024-0001', REPORT_HASH);

    expect(await store.recordCount()).to.equal(1n);
    expect(await store.getRecord(0)).to.deep.equal([
      'ES-2024-0001',
      producer,
      4_200n,
      'Enshi Selenium Testing Center',
      REPORT_HASH,
      BigInt(await time.latest()),
    ]);
  });

  it('When records are stored in one batch, Then they get consecutive ids', async function () {
    const { store, producer } = await loadFixture(deployStore);
    const inputs = [1, 2, 3].map((i) => ({
      batchId: `ES-2024-000${i}`,
      producer,
      seleniumValue: 100 * i,
      lab: 'Enshi Selenium Testing Center',
      reportHash: ethers.id(`report r-${i}`),
    }));

    await store.storeMany(inputs);

    expect(await store.recordCount()).to.equal(3n);
    expect((await store.getRecord(2)).batchId).to.equal('ES-2024-0003');
  });

  it('When an unknown record is read, Then it reverts with NaiveRecordStoreUnknownRecord', async function () {
    const { store } = await loadFixture(deployStore);

    await expect(store.getRecord(0)).to.be.revertedWithCustomError(store, 'NaiveRecordStoreUnknownRecord').withArgs(0);
  });
});
