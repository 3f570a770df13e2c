/**
 * Writes the golden v1 files of test/vectors/golden from the real code: a real system (anvil chain,
 * contracts, SQLite, anchoring worker) in a temporary folder, a lab-signed SeleniumTestReport
 * anchored on chain (its `traceledger-proof-v1` bundle and its log entry's canonical bytes), and the
 * operator's signed receipt (`traceledger-receipt-v1`) of a data-sharing trail record.
 *
 * The golden files pin the v1 formats: readers must keep accepting them. Do not regenerate them
 * casually (see test/vectors/golden/README.md); this script refuses to overwrite them without --force.
 *
 * Usage: npx ts-node --transpile-only scripts/vectors/golden.ts [--out DIR] [--force]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildBundle } from '../../server/service/bundles';
import type { System } from '../../server/system';
import { getReceipt } from '../../server/trails/receipts';
import { anchorAll, bootConsumerSystem, submitBatch, submitReport } from '../../test/support/batches';
import { eventually, tempDir } from '../../test/support/system';
import { registerDepartment } from '../../test/support/trails';

const ROOT = path.resolve(__dirname, '../..');
const DEFAULT_OUT = path.join(ROOT, 'test/vectors/golden');

/** The files this script writes, by role. */
export const GOLDEN_FILES = {
  bundle: 'proof-bundle-v1.json',
  entry: 'log-entry-v1.json',
  receipt: 'trail-receipt-v1.json',
  manifest: 'manifest.json',
} as const;

interface Args {
  out: string;
  force: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const i = argv.indexOf('--out');
  return { out: path.resolve(i >= 0 && argv[i + 1] ? argv[i + 1]! : DEFAULT_OUT), force: argv.includes('--force') };
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const pretty = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** Sequences, cuts, anchors and confirms everything waiting in the data-sharing log. */
async function anchorDataSharing(sys: System): Promise<void> {
  await eventually(async () => {
    await sys.worker.tick('data-sharing');
    const head = await sys.store.logHead('data-sharing');
    return head.size > 0 && (await sys.store.latestCheckpoint('data-sharing', 'confirmed'))?.size === head.size;
  });
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const existing = Object.values(GOLDEN_FILES).filter((f) => fs.existsSync(path.join(args.out, f)));
  if (existing.length > 0 && !args.force) {
    throw new Error(`${args.out} already holds ${existing.join(', ')}: golden files pin the v1 formats and are not regenerated casually (see its README.md). Use --out DIR to write elsewhere, or --force.`);
  }

  const dataDir = tempDir('traceledger-golden-');
  log(`booting a real system (anvil + SQLite) in ${dataDir}`);
  const f = await bootConsumerSystem({ dataDir });
  const { sys } = f;
  try {
    // Products log: a batch, its lab report, and a second batch, so the report's inclusion proof has more than one node.
    const batch = await submitBatch(f);
    const report = await submitReport(f, batch.id);
    await submitBatch(f);
    await anchorAll(sys);
    const bundle = await buildBundle(sys.store, sys.deployment, report.id);
    if (!bundle.checkpoint) throw new Error(`report ${report.id} is not anchored`);
    const stored = await sys.store.getRecord(report.id);
    if (!stored) throw new Error(`report ${report.id} is not stored`);

    // Data-sharing log: one department's request to another, anchored; the operator's receipt of it.
    const market = await registerDepartment(sys, 1, '安康市市场监督管理局');
    const agriculture = await registerDepartment(sys, 2, '安康市农业农村局');
    const request = await market.request(agriculture, { id: `req-golden-${Date.now()}` });
    await anchorDataSharing(sys);
    const issuer = { store: sys.store, operator: sys.operator, binding: { chainId: sys.deployment.chainId, traceLedger: sys.deployment.traceLedger } };
    const receipt = await getReceipt(issuer, request.id);
    if (!receipt) throw new Error(`no receipt for ${request.id}`);

    const manifest = {
      description: 'Golden v1 files (see README.md). Written by scripts/vectors/golden.ts from a real system; never regenerate casually.',
      generatedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      gitCommit: gitCommit(),
      files: GOLDEN_FILES,
      bundle: { recordType: bundle.record.type, recordId: bundle.record.id, leafIndex: bundle.log.leafIndex, leafHash: bundle.log.leafHash, checkpointSize: bundle.checkpoint.size },
      receipt: { recordId: receipt.recordId, operatorAddress: sys.operatorAddress, leafHash: request.leafHash },
      chain: bundle.chain,
    };

    fs.mkdirSync(args.out, { recursive: true });
    fs.writeFileSync(path.join(args.out, GOLDEN_FILES.bundle), pretty(bundle));
    // Exactly the leaf data: canonical JSON bytes, no trailing newline (a reader of bytes must accept only these).
    fs.writeFileSync(path.join(args.out, GOLDEN_FILES.entry), stored.entry);
    fs.writeFileSync(path.join(args.out, GOLDEN_FILES.receipt), pretty(receipt));
    fs.writeFileSync(path.join(args.out, GOLDEN_FILES.manifest), pretty(manifest));
    log(`wrote ${Object.values(GOLDEN_FILES).join(', ')} to ${args.out}`);
    log('update the sha256 block of test/vectors/golden/README.md: (cd DIR && sha256sum *.json)');
  } finally {
    await sys.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
