/**
 * Benchmark: EIP-712 signer recovery, ethers.verifyTypedData vs the records module's recoverSigner
 * (ethers digest + native libsecp256k1). Not a test: run it with
 *   npx hardhat run test/server/records/bench-recovery.ts
 * It does nothing when loaded by mocha.
 */
import secp256k1 from 'secp256k1';
import { TypedDataEncoder, getAddress, getBytes, keccak256, verifyTypedData } from 'ethers';
import { commitRecord, parseSignature, recoverSigner, signRecord, typedDataDigest, typedDataFor, type RecordTypedData } from '../../../server/records';
import { TEST_BINDING, buildReport, randomWallet } from './fixtures';

interface Sample {
  typedData: RecordTypedData;
  signature: string;
  address: string;
}

async function makeSamples(n: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const wallet = randomWallet();
    const record = buildReport({ id: `bench-${i}`, result: Math.round(Math.random() * 1000) / 1000 });
    const { root } = commitRecord(record);
    const typedData = typedDataFor('SeleniumTestReport', record, root, TEST_BINDING);
    const signature = await signRecord(wallet, 'SeleniumTestReport', record, root, TEST_BINDING);
    samples.push({ typedData, signature, address: wallet.address });
  }
  return samples;
}

function rate(label: string, samples: readonly Sample[], recover: (s: Sample) => string): number {
  for (const s of samples.slice(0, 50)) recover(s); // warm up
  const start = process.hrtime.bigint();
  for (const s of samples) {
    if (recover(s) !== s.address) throw new Error(`${label}: wrong signer`);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const perSecond = samples.length / seconds;
  console.log(`${label.padEnd(44)} ${perSecond.toFixed(0).padStart(8)} recoveries/s  (${((seconds / samples.length) * 1e6).toFixed(1)} µs each)`);
  return perSecond;
}

async function main(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const native = secp256k1 === require('secp256k1/bindings');
  console.log(`secp256k1 backend: ${native ? 'native libsecp256k1' : 'elliptic (JS fallback!)'}; node ${process.version}`);
  const samples = await makeSamples(Number(process.env.BENCH_N ?? 2000));
  const slow = rate('ethers.verifyTypedData', samples, (s) => verifyTypedData(s.typedData.domain, s.typedData.types, s.typedData.message, s.signature));
  const uncached = rate('TypedDataEncoder.hash + native, uncached', samples, (s) => {
    const { compact, recid } = parseSignature(s.signature);
    const digest = getBytes(TypedDataEncoder.hash(s.typedData.domain, s.typedData.types, s.typedData.message));
    const publicKey = secp256k1.ecdsaRecover(compact, recid, digest, false);
    return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
  });
  const fast = rate('recoverSigner (cached digest + native)', samples, (s) => recoverSigner(s.typedData, s.signature));
  rate('  of which typedDataDigest (cached)', samples, (s) => {
    typedDataDigest(s.typedData);
    return s.address;
  });
  console.log(`speed-up over ethers.verifyTypedData: uncached ${(uncached / slow).toFixed(1)}x, recoverSigner ${(fast / slow).toFixed(1)}x`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
