/**
 * Ledger benchmark: Merkle root speed against the SHA-256 limit, merkletreejs and @openzeppelin/merkle-tree, and the
 * gas of anchoring checkpoints against storing one struct per record. Speed targets are ratios measured in the same
 * run (machines are noisy), never absolute times.
 *
 *   npm run bench:ledger                         tables on stdout, progress on stderr (a few minutes on 2 cores)
 *   npx ts-node scripts/bench/ledger.ts --json   the same figures as JSON (`hardhat run` passes no script flags)
 */
import { cpus } from 'node:os';
import hre from 'hardhat';
// The primitives the server runs with (server/records installs them; this script imports no records code, so it
// installs them itself): without this line `ours` hashed with the browser's @noble SHA-256.
import '../../server/crypto/native';
import { primitives } from '../../server/crypto/primitives';
import { InvariantError } from '../../server/ledger/errors';
import { toHex } from '../../server/ledger/rfc6962';
import { benchGas, buildLogTree } from './gas';
import type { GasConfig } from './gas';
import { timeOnceAsync, timingOf } from './measure';
import { render, toJson } from './report';
import type { BenchReport } from './report';
import { benchRoots, makeLeafSet } from './roots';
import type { RootsConfig } from './roots';

const ROOTS: RootsConfig = { n: 1_000_000, ozN: 100_000, fastRuns: 7, slowRuns: 3, warmUpN: 4_096 };

const GAS: GasConfig = {
  scenarios: [
    { name: 'of ~1,000', fromSize: 900, toSize: 1_000 },
    { name: 'of ~1,000,000', fromSize: 999_900, toSize: 1_000_000 },
    { name: '+1,000 records', fromSize: 1_000_000, toSize: 1_001_000 },
    { name: '+10,000 records', fromSize: 1_000_000, toSize: 1_010_000 },
  ],
  ratioKs: [1_000, 10_000],
  naiveStores: 20,
  naiveBatches: 3,
  naiveBatchSize: 50,
};

/** Leaves per LogWriter.appendLeaves call when building the stored tree. */
const WRITER_BATCH = 10_000;

function progress(line: string): void {
  process.stderr.write(`… ${line}\n`);
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const startedAt = new Date();
  const leafCount = Math.max(ROOTS.n, ...GAS.scenarios.map((s) => s.toSize));

  progress(`${leafCount.toLocaleString('en-US')} random leaves, hashed with leafHash…`);
  const leafSet = makeLeafSet(leafCount);
  const roots = benchRoots(leafSet, ROOTS, progress);

  progress(`LogWriter: ${leafCount.toLocaleString('en-US')} leaves into a MemoryNodeStore…`);
  const { value: tree, ms: writerMs } = await timeOnceAsync(() => buildLogTree(leafSet.leaves, WRITER_BATCH));
  const treeRoot = toHex(await tree.rootAt(ROOTS.n));
  if (treeRoot !== roots.root) throw new InvariantError(`LogTree root ${treeRoot} differs from rootHash ${roots.root}`);
  const limitPerHash = timingOf(roots.atN, 'limit').medianMs / (ROOTS.n - 1);

  const gas = await benchGas(hre, tree, GAS, progress);

  const report: BenchReport = {
    run: {
      startedAt: startedAt.toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
      primitives: primitives().name,
      totalSeconds: (Date.now() - startedAt.getTime()) / 1000,
    },
    roots,
    writer: { leaves: leafCount, batchSize: WRITER_BATCH, ms: writerMs, overLimit: writerMs / (limitPerHash * (leafCount - 1)) },
    gas,
  };
  process.stdout.write(`${json ? toJson(report) : render(report)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
