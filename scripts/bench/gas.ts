/** Gas on the in-process Hardhat network: TraceLedger.anchor with real consistency proofs against one struct per record. */
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { id } from 'ethers';
import type { ContractTransactionResponse } from 'ethers';
import { InvariantError } from '../../server/ledger/errors';
import { toHex } from '../../server/ledger/rfc6962';
import type { Hash } from '../../server/ledger/rfc6962';
import { LogWriter, MemoryNodeStore } from '../../server/ledger/tree';
import type { LogTree } from '../../server/ledger/tree';
import { NaiveRecordStore__factory, ParticipantRegistry__factory, RevocationRegistry__factory, TraceLedger__factory } from '../../typechain-types';
import type { NaiveRecordStore } from '../../typechain-types';

/** Two checkpoints of one log: the first anchored without a proof, the second with the consistency proof from it. */
export interface AnchorScenario {
  readonly name: string;
  readonly fromSize: number;
  readonly toSize: number;
}

/** Sizes of the gas benchmark. */
export interface GasConfig {
  readonly scenarios: readonly AnchorScenario[];
  /** Records per checkpoint whose naive/ours ratio is printed; each needs a scenario with toSize − fromSize = k. */
  readonly ratioKs: readonly number[];
  /** Single store() calls averaged (after a first one, reported apart: it also creates the array). */
  readonly naiveStores: number;
  /** storeMany() batches averaged, and records per batch. */
  readonly naiveBatches: number;
  readonly naiveBatchSize: number;
}

/** Where a transaction's gas went, from an opcode trace (exact: gas left before each step minus after it). */
export interface GasSplit {
  readonly gasUsed: number;
  /** 21,000 per transaction. */
  readonly txBase: number;
  /** gasUsed − txBase − execution: EIP-2028 calldata gas (4 per zero byte, 16 per other byte). */
  readonly calldata: number;
  readonly calldataBytes: number;
  readonly sstore: number;
  readonly sload: number;
  /** LOG0..LOG4. */
  readonly events: number;
  /** STATICCALL to the SHA-256 precompile (0x02): call access plus the precompile itself. */
  readonly sha256: number;
  readonly sha256Calls: number;
  /** Every other opcode: ABI decoding, calldata copies, mapping slot keccaks, role checks, jumps, memory. */
  readonly other: number;
}

/** One anchored checkpoint extension. */
export interface AnchorResult {
  readonly scenario: AnchorScenario;
  readonly records: number;
  readonly proofLength: number;
  /** gasUsed of the first checkpoint (no proof). */
  readonly firstGasUsed: number;
  /** gasUsed of the second checkpoint (with the proof). */
  readonly gasUsed: number;
  readonly gasPerRecord: number;
  readonly split: GasSplit;
}

/** The fields a NaiveRecordStore caller supplies for one record. */
export interface NaiveRecord {
  readonly batchId: string;
  readonly producer: string;
  readonly seleniumValue: number;
  readonly lab: string;
  readonly reportHash: string;
}

/** The naive baseline: one storage struct per record. */
export interface NaiveResult {
  readonly firstStoreGas: number;
  readonly storeGasAvg: number;
  readonly stores: number;
  readonly storeManyGasPerRecord: number;
  readonly batches: number;
  readonly batchSize: number;
  readonly storeSplit: GasSplit;
  /** The first record stored. */
  readonly sample: NaiveRecord;
}

/** naive gas per record ÷ ours gas per record, for k records per checkpoint. */
export interface GasRatio {
  readonly k: number;
  readonly oursPerRecord: number;
  readonly storeOverOurs: number;
  readonly storeManyOverOurs: number;
}

/** Everything the gas benchmark measured. */
export interface GasResult {
  readonly hardfork: string;
  readonly anchors: readonly AnchorResult[];
  readonly naive: NaiveResult;
  readonly ratios: readonly GasRatio[];
}

const TX_BASE_GAS = 21_000;
const SHA256_PRECOMPILE = 2n;
const LAB = 'Shaanxi Selenium Testing Center';

/** Appends `leaves` to a fresh in-memory log in batches of `batchSize`, as the service does, and returns its tree. */
export async function buildLogTree(leaves: readonly Hash[], batchSize: number): Promise<LogTree> {
  const writer = new LogWriter(new MemoryNodeStore());
  for (let i = 0; i < leaves.length; i += batchSize) await writer.appendLeaves(leaves.slice(i, i + batchSize));
  return writer.tree();
}

/** Runs the gas benchmark. Requires `tree` to hold at least the largest scenario size. */
export async function benchGas(
  hre: HardhatRuntimeEnvironment,
  tree: LogTree,
  config: GasConfig,
  progress: (line: string) => void,
): Promise<GasResult> {
  const { ethers } = hre;
  const [deployer, producer] = await ethers.getSigners();
  if (deployer === undefined || producer === undefined) throw new InvariantError('the Hardhat network needs 2 signers');

  // Typed factories rather than ethers.deployContract('…'): that overload exists only where typechain's hardhat.d.ts is
  // loaded, which `ts-node scripts/bench/ledger.ts` does not do.
  const participants = await (await new ParticipantRegistry__factory(deployer).deploy(deployer.address)).waitForDeployment();
  const revocations = await (await new RevocationRegistry__factory(deployer).deploy(await participants.getAddress())).waitForDeployment();
  const ledger = await (await new TraceLedger__factory(deployer).deploy(deployer.address, await participants.getAddress(), await revocations.getAddress())).waitForDeployment();
  const anchorer = await ledger.ANCHORER_ROLE();
  if (!(await ledger.hasRole(anchorer, deployer.address))) await mined(ledger.grantRole(anchorer, deployer.address));

  const anchors: AnchorResult[] = [];
  for (const scenario of config.scenarios) {
    const { name, fromSize, toSize } = scenario;
    progress(`anchor ${name}: ${fromSize.toLocaleString('en-US')} → ${toSize.toLocaleString('en-US')}`);
    const logId = ethers.id(`traceledger-bench/${name}`);
    const first = await mined(ledger.anchor(logId, fromSize, hex(await tree.rootAt(fromSize)), []));
    const root = hex(await tree.rootAt(toSize));
    const proof = (await tree.consistencyProof(fromSize, toSize)).map(hex);
    const second = await mined(ledger.anchor(logId, toSize, root, proof));
    if ((await ledger.rootAt(logId, toSize)) !== root) throw new InvariantError(`${name}: the anchored root did not land`);
    const records = toSize - fromSize;
    anchors.push({
      scenario,
      records,
      proofLength: proof.length,
      firstGasUsed: first.gasUsed,
      gasUsed: second.gasUsed,
      gasPerRecord: second.gasUsed / records,
      split: await gasSplit(hre, second.hash, second.gasUsed, second.data),
    });
  }

  progress('naive baseline: NaiveRecordStore');
  const naiveStore = await (await new NaiveRecordStore__factory(deployer).deploy()).waitForDeployment();
  const naive = await benchNaive(hre, naiveStore, producer.address, config);

  const ratios = config.ratioKs.map((k): GasRatio => {
    const anchor = anchors.find((a) => a.records === k);
    if (anchor === undefined) throw new InvariantError(`no anchor scenario of ${k} records`);
    return {
      k,
      oursPerRecord: anchor.gasPerRecord,
      storeOverOurs: naive.storeGasAvg / anchor.gasPerRecord,
      storeManyOverOurs: naive.storeManyGasPerRecord / anchor.gasPerRecord,
    };
  });
  return { hardfork: hre.config.networks.hardhat.hardfork, anchors, naive, ratios };
}

async function benchNaive(
  hre: HardhatRuntimeEnvironment,
  store: NaiveRecordStore,
  producer: string,
  config: GasConfig,
): Promise<NaiveResult> {
  const recordAt = (i: number): NaiveRecord => {
    const batchId = `ANKANG-TEA-2026-${String(123 + i).padStart(6, '0')}`;
    // µg/kg: selenium-rich tea ranges from about 250 to 4,000.
    return { batchId, producer, seleniumValue: 250 + ((i * 37) % 3_750), lab: LAB, reportHash: id(`report of ${batchId}`) };
  };
  let next = 0;
  const nextRecord = (): NaiveRecord => recordAt(next++);
  const storeOne = (): Promise<MinedTx> => {
    const r = nextRecord();
    return mined(store.store(r.batchId, r.producer, r.seleniumValue, r.lab, r.reportHash));
  };

  const first = await storeOne();
  let storeTotal = 0;
  let last = first;
  for (let i = 0; i < config.naiveStores; i++) {
    last = await storeOne();
    storeTotal += last.gasUsed;
  }
  let manyTotal = 0;
  for (let b = 0; b < config.naiveBatches; b++) {
    const batch = Array.from({ length: config.naiveBatchSize }, nextRecord);
    manyTotal += (await mined(store.storeMany(batch))).gasUsed;
  }
  if (Number(await store.recordCount()) !== next) throw new InvariantError(`stored ${await store.recordCount()} records, want ${next}`);
  return {
    firstStoreGas: first.gasUsed,
    storeGasAvg: storeTotal / config.naiveStores,
    stores: config.naiveStores,
    storeManyGasPerRecord: manyTotal / (config.naiveBatches * config.naiveBatchSize),
    batches: config.naiveBatches,
    batchSize: config.naiveBatchSize,
    storeSplit: await gasSplit(hre, last.hash, last.gasUsed, last.data),
    sample: recordAt(0),
  };
}

interface MinedTx {
  readonly hash: string;
  readonly data: string;
  readonly gasUsed: number;
}

/** Waits for `sent` to be mined and checks it succeeded. */
async function mined(sent: Promise<ContractTransactionResponse>): Promise<MinedTx> {
  const tx = await sent;
  const receipt = await tx.wait();
  if (receipt === null || receipt.status !== 1) throw new InvariantError(`transaction ${tx.hash} failed`);
  return { hash: tx.hash, data: tx.data, gasUsed: Number(receipt.gasUsed) };
}

interface StructLog {
  readonly op: string;
  readonly gas: number;
  readonly gasCost: number;
  readonly depth: number;
  readonly stack?: readonly string[];
}

/** Splits a mined transaction's gas by opcode kind from `debug_traceTransaction`. */
async function gasSplit(hre: HardhatRuntimeEnvironment, txHash: string, gasUsed: number, data: string): Promise<GasSplit> {
  const trace = (await hre.network.provider.send('debug_traceTransaction', [
    txHash,
    { disableMemory: true, disableStorage: true },
  ])) as { structLogs: readonly StructLog[] };
  const steps = trace.structLogs;
  const sums = { sstore: 0, sload: 0, events: 0, sha256: 0, sha256Calls: 0, other: 0 };
  let execution = 0;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (step.depth !== 1) throw new InvariantError(`unexpected call into a contract at step ${i} (${step.op})`);
    // Gas actually consumed: the cost reported for a call is the gas it was offered, not what it used.
    const after = steps[i + 1];
    const used = after === undefined ? step.gasCost : step.gas - after.gas;
    execution += used;
    if (step.op === 'SSTORE') sums.sstore += used;
    else if (step.op === 'SLOAD') sums.sload += used;
    else if (step.op.startsWith('LOG')) sums.events += used;
    else if (step.op === 'STATICCALL' && callTarget(step) === SHA256_PRECOMPILE) {
      sums.sha256 += used;
      sums.sha256Calls++;
    } else sums.other += used;
  }
  return {
    gasUsed,
    txBase: TX_BASE_GAS,
    calldata: gasUsed - TX_BASE_GAS - execution,
    calldataBytes: (data.length - 2) / 2,
    ...sums,
  };
}

/** The address a CALL-family step calls: the second stack item from the top. */
function callTarget(step: StructLog): bigint | undefined {
  const stack = step.stack;
  const address = stack?.[stack.length - 2];
  return address === undefined ? undefined : BigInt(`0x${address.replace(/^0x/, '')}`);
}

function hex(h: Uint8Array): string {
  return `0x${toHex(h)}`;
}
