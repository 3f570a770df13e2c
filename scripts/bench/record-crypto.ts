/**
 * bench:record-crypto — the per-record CPU cost of one share request's cryptography (issue 14), in µs per record
 * and as ratios against one raw libsecp256k1 recovery (the `secp256k1` package) measured in the same run.
 *
 * Parts, each over the same `--n` distinct signed records, best of `--runs` interleaved rounds:
 * - zod: parseRecord (the record schema; ingest's signature threads run it), for context;
 * - root (ingest): commitRecord(record, salts), the salted field tree from the parsed record;
 * - root (trail): recordRootOfParsed(body, salts), the same root from a stored body;
 * - digest (ingest): typedDataDigestBytes(typedDataFor(…)), the EIP-712 digest;
 * - digest (trail): ShareSignatureChecker.digest, the same digest with the domain built once;
 * - leaf hash: SHA-256(0x00 || entry) of the stored log entry;
 * - recover: recoverAddressFromDigest (raw recovery + keccak of the key + hex), and the raw recovery alone;
 * - ingest's signature thread (server/service/verify-submission.ts): assertStrongSalts, recoverSigner of the typed
 *   data (digest + recovery + checksum), and the whole verifySubmission (zod + root + salts + digest + recovery).
 * Times are CPU time of this single-threaded process (process.cpuUsage), so other load on the machine
 * inflates them less than wall time would. Every part's result is checked against the first run's, so a faster path that changed a byte fails loudly.
 * Usage: npx ts-node --transpile-only scripts/bench/record-crypto.ts [--n 2000] [--runs 7] [--json]
 */
import { randomBytes } from 'node:crypto';
import { Wallet, getBytes } from 'ethers';
import secp256k1 from 'secp256k1';
import { leafHash } from '../../server/ledger/rfc6962';
import {
  GENESIS_PREV_HASH,
  canonicalString,
  commitRecord,
  createLogEntry,
  parseRecord,
  parseSignature,
  recordRootOfParsed,
  recoverAddressFromDigest,
  recoverSigner,
  toHex0x,
  typedDataDigestBytes,
  typedDataFor,
  type SignedView,
} from '../../server/records';
import { assertStrongSalts } from '../../server/service/ingest-rules';
import { verifySubmission } from '../../server/service/verify-submission';
import { ShareSignatureChecker } from '../../server/trails/recompute';
import { buildShareRequest } from '../../test/server/records/fixtures';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

const BINDING = { chainId: 31337, verifyingContract: '0x5fbdb2315678afecb367f642d72c3c3d1a0e0c27' };

interface Sample {
  body: Record<string, unknown>;
  salts: Record<string, string>;
  root: string;
  at: number;
  entry: Buffer;
  digest: Uint8Array;
  signature: string;
  compact: Uint8Array;
  recid: number;
}

function samples(n: number): Sample[] {
  const key = Wallet.createRandom();
  const privateKey = getBytes(key.privateKey);
  const checker = new ShareSignatureChecker(BINDING);
  const template = buildShareRequest() as unknown as Record<string, unknown>;
  const out: Sample[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const body: Record<string, unknown> = {
      ...template,
      id: `bench-req-${seq}`,
      seq,
      prevHash: seq === 1 ? GENESIS_PREV_HASH : toHex0x(randomBytes(32)),
      purpose: `富硒产品抽检结果与产地备案信息比对 #${seq}`,
    };
    const salts = Object.fromEntries(Object.keys(body).map((name) => [name, randomBytes(16).toString('hex')]));
    const root = recordRootOfParsed(body, salts)!;
    const at = Math.floor(Date.parse(String(body.issuedAt)) / 1000);
    const digest = checker.digest('ShareRequest', body, root, at);
    const sig = secp256k1.ecdsaSign(digest, privateKey);
    const signature = `0x${Buffer.from(sig.signature).toString('hex')}${(27 + sig.recid).toString(16)}`;
    const entry = createLogEntry({ type: 'ShareRequest', id: String(body.id), recordRoot: root, signer: key.address.toLowerCase(), signature, issuedAt: String(body.issuedAt) });
    out.push({ body, salts, root, at, entry: Buffer.from(canonicalString(entry), 'utf8'), digest, signature, compact: sig.signature, recid: sig.recid });
  }
  return out;
}

interface Part {
  id: string;
  label: string;
  run: (s: Sample) => unknown;
}

const hexOf = (v: unknown): string => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v));

function main(): void {
  const n = arg('--n', 2000);
  const runs = arg('--runs', 7);
  const json = process.argv.includes('--json');
  const recs = samples(n);
  const checker = new ShareSignatureChecker(BINDING);
  const parts: Part[] = [
    { id: 'recover', label: 'raw libsecp256k1 recovery', run: (s) => secp256k1.ecdsaRecover(s.compact, s.recid, s.digest, false) },
    { id: 'zod', label: 'zod parseRecord', run: (s) => JSON.stringify(parseRecord('ShareRequest', s.body)) },
    { id: 'rootIngest', label: 'record root (commitRecord)', run: (s) => commitRecord(s.body, s.salts).root },
    { id: 'rootTrail', label: 'record root (recordRootOfParsed)', run: (s) => recordRootOfParsed(s.body, s.salts) },
    {
      id: 'digestIngest',
      label: 'EIP-712 digest (typedDataFor)',
      run: (s) => typedDataDigestBytes(typedDataFor('ShareRequest', s.body as unknown as SignedView<'ShareRequest'>, s.root, BINDING)),
    },
    { id: 'digestTrail', label: 'EIP-712 digest (trail checker)', run: (s) => checker.digest('ShareRequest', s.body, s.root, s.at) },
    { id: 'leaf', label: 'leaf hash of the log entry', run: (s) => leafHash(s.entry) },
    { id: 'address', label: 'signer address (recoverAddressFromDigest)', run: (s) => recoverAddressFromDigest(s.digest, parseSignature(s.signature)) },
    { id: 'strongSalts', label: 'ingest: assertStrongSalts', run: (s) => assertStrongSalts(s.salts) },
    {
      id: 'recoverSigner',
      label: 'ingest: recoverSigner(typedDataFor(…))',
      run: (s) => recoverSigner(typedDataFor('ShareRequest', s.body as unknown as SignedView<'ShareRequest'>, s.root, BINDING), s.signature),
    },
    { id: 'verifySubmission', label: 'ingest: verifySubmission (all of the above)', run: (s) => verifySubmission({ type: 'ShareRequest', record: s.body, salts: s.salts, signature: s.signature }, BINDING).signer },
  ];
  const best = new Map<string, number>(parts.map((p) => [p.id, Number.POSITIVE_INFINITY]));
  const expected = new Map<string, string[]>();
  for (const p of parts) expected.set(p.id, recs.map((s) => hexOf(p.run(s))));
  // Results must not depend on the run: the digests must equal what was signed, the roots what was committed.
  recs.forEach((s, i) => {
    if (expected.get('rootIngest')![i] !== s.root || expected.get('rootTrail')![i] !== s.root) throw new Error(`record ${i}: root differs`);
    const d = hexOf(s.digest);
    if (expected.get('digestIngest')![i] !== d || expected.get('digestTrail')![i] !== d) throw new Error(`record ${i}: digest differs`);
  });
  for (let round = 0; round < runs; round++) {
    for (const p of parts) {
      // CPU time of this (single-threaded) process, not wall time: on a shared machine a descheduled
      // stretch would otherwise count against whichever part was running.
      const t0 = process.cpuUsage();
      for (const s of recs) p.run(s);
      const used = process.cpuUsage(t0);
      const us = (used.user + used.system) / n;
      best.set(p.id, Math.min(best.get(p.id)!, us));
    }
  }
  for (const p of parts) {
    const want = expected.get(p.id)!;
    recs.forEach((s, i) => {
      if (hexOf(p.run(s)) !== want[i]) throw new Error(`${p.id}: record ${i} gave a different result on a later run`);
    });
  }
  const recover = best.get('recover')!;
  const rows = parts.map((p) => ({ id: p.id, label: p.label, usPerRecord: Number(best.get(p.id)!.toFixed(2)), ratioToRecovery: Number((best.get(p.id)! / recover).toFixed(3)) }));
  if (json) {
    process.stdout.write(`${JSON.stringify({ n, runs, rows }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`record-crypto — ${n} share requests, best of ${runs} rounds (CPU µs per record; ratio to one raw recovery)\n`);
  for (const r of rows) process.stdout.write(`  ${r.label.padEnd(44)} ${r.usPerRecord.toFixed(2).padStart(9)} µs  ${r.ratioToRecovery.toFixed(3).padStart(7)}×\n`);
}

main();
