/** The ledger benchmark's results: as plain-text tables, or as versioned JSON. */
import { decimal1, int, ms, percent, ratio, table } from './format';
import type { GasResult, GasSplit } from './gas';
import type { Timing } from './measure';
import type { RootsResult } from './roots';

/** Version tag of {@link toJson}'s output. */
export const REPORT_FORMAT = 'traceledger-bench-ledger-v1';

/** Where and when the benchmark ran. */
export interface RunInfo {
  readonly startedAt: string;
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string;
  /** Which SHA-256 / keccak-256 implementations `ours` ran on (server/crypto: the server's, as it runs). */
  readonly primitives: string;
  readonly totalSeconds: number;
}

/** The stored-tree build reported next to the root timings (one run, not compared). */
export interface WriterInfo {
  readonly leaves: number;
  readonly batchSize: number;
  readonly ms: number;
  /** ms ÷ (the SHA-256 limit per hash × (leaves − 1) node hashes). */
  readonly overLimit: number;
}

/** Everything one run measured. */
export interface BenchReport {
  readonly run: RunInfo;
  readonly roots: RootsResult;
  readonly writer: WriterInfo;
  readonly gas: GasResult;
}

/** The report as JSON: timings without the roots they returned. */
export function toJson(report: BenchReport): string {
  const timings = (ts: readonly Timing[]): object[] => ts.map(({ result: _result, ...t }) => t);
  const { roots } = report;
  return JSON.stringify(
    { format: REPORT_FORMAT, ...report, roots: { ...roots, atN: timings(roots.atN), atOzN: timings(roots.atOzN) } },
    null,
    2,
  );
}

/** The report as tables, for people. */
export function render(report: BenchReport): string {
  const { run, roots, writer, gas: g } = report;
  return [
    `traceledger ledger benchmark: node ${run.node}, ${run.cpus} × ${run.cpuModel}, primitives ${run.primitives}, ${run.startedAt}, ${run.totalSeconds.toFixed(0)} s`,
    'Speed figures are ratios of medians measured in this run; absolute times are for orientation only.',
    '',
    renderRoots(roots, writer),
    '',
    renderGas(g),
  ].join('\n');
}

function renderRoots(r: RootsResult, writer: WriterInfo): string {
  const { n, ozN } = r.config;
  const rows = (ts: readonly Timing[]): string[][] => {
    const limit = ts.find((t) => t.id === 'limit')!.medianMs;
    const ours = ts.find((t) => t.id === 'ours')!.medianMs;
    return ts.map((t) => [t.label, String(t.samplesMs.length), ms(t.medianMs), ms(t.bestMs), ratio(t.medianMs / limit), ratio(t.medianMs / ours)]);
  };
  const columns = [
    { title: 'contender' },
    { title: 'runs', align: 'right' },
    { title: 'median', align: 'right' },
    { title: 'best', align: 'right' },
    { title: '÷ limit', align: 'right' },
    { title: '÷ ours', align: 'right' },
  ] as const;
  const ozAtN = (r.atOzN.find((t) => t.id === 'oz-standard')!.medianMs * n) / ozN / 1000;
  const x = r.ratios;
  return [
    `1. Merkle root of n random 32-byte leaves, given already hashed (leaf hashing is timed apart, below). The SHA-256`,
    `   limit is the n−1 node hashes any root needs, with nothing around them. Each contender first runs once untimed on`,
    `   ${int(r.config.warmUpN)} leaves (JIT warm-up); then runs are interleaved, each after a full GC.`,
    '',
    `   n = ${int(n)}`,
    table(columns, rows(r.atN), '   '),
    '',
    `   n = ${int(ozN)}: OpenZeppelin takes minutes at ${int(n)} (StandardMerkleTree ≈ ${ozAtN.toFixed(0)} s a run by linear`,
    `   extrapolation, not measured; its leaf sort makes that a lower bound), so it is compared with ours at ${int(ozN)}.`,
    table(columns, rows(r.atOzN), '   '),
    '',
    '   Apart from the above (1 run each):',
    `   - our leafHash × ${int(r.leafPrep.leafHashN)}: ${ms(r.leafPrep.leafHashMs)}`,
    `   - ethers keccak256 × ${int(r.leafPrep.keccakLeavesN)} (the leaves merkletreejs users build): ${ms(r.leafPrep.keccakLeavesMs)}`,
    `   - LogWriter + MemoryNodeStore, ${int(writer.leaves)} leaves in batches of ${int(writer.batchSize)} (the stored tree`,
    `     the gas section proves from): ${ms(writer.ms)}, ${ratio(writer.overLimit)} the SHA-256 limit for its node hashes`,
    '',
    '   Ratios (a / b: how many times as long a took as b), of the medians and of the best runs:',
    table(
      [{ title: 'ratio' }, { title: 'n', align: 'right' }, { title: 'medians', align: 'right' }, { title: 'bests', align: 'right' }],
      (
        [
          ['ours rootHash / SHA-256 limit', n, x.oursOverLimit],
          ['ours Appender / SHA-256 limit', n, x.appenderOverLimit],
          ['merkletreejs (keccak256, sortPairs) / ours', n, x.merkletreejsOverOurs],
          ['merkletreejs (node SHA-256, sortPairs) / ours: same hash, tree code only', n, x.merkletreejsSha256OverOurs],
          ['ours rootHash / SHA-256 limit', ozN, x.oursOverLimitAtOzN],
          ['OZ StandardMerkleTree.of / ours (OZ hashes its own leaves: 2 keccak each)', ozN, x.ozStandardOverOurs],
          ['OZ SimpleMerkleTree.of (pre-hashed leaves) / ours', ozN, x.ozSimpleOverOurs],
        ] as const
      ).map(([name, size, r]) => [name, int(size), ratio(r.ofMedians), ratio(r.ofBests)]),
      '   ',
    ),
  ].join('\n');
}

function renderGas(g: GasResult): string {
  const anchorRows = g.anchors.map((a) => [
    a.scenario.name,
    `${int(a.scenario.fromSize)} → ${int(a.scenario.toSize)}`,
    int(a.records),
    String(a.proofLength),
    int(a.firstGasUsed),
    int(a.gasUsed),
    decimal1(a.gasPerRecord),
  ]);
  const splitColumns = [
    { title: 'transaction' },
    { title: 'gasUsed', align: 'right' },
    { title: 'tx base', align: 'right' },
    { title: 'calldata (bytes)', align: 'right' },
    { title: 'SSTORE', align: 'right' },
    { title: 'SLOAD', align: 'right' },
    { title: 'LOG', align: 'right' },
    { title: 'SHA-256 (calls)', align: 'right' },
    { title: 'other', align: 'right' },
  ] as const;
  const splitRow = (name: string, s: GasSplit): string[] => [
    name,
    int(s.gasUsed),
    int(s.txBase),
    `${int(s.calldata)} (${int(s.calldataBytes)})`,
    int(s.sstore),
    int(s.sload),
    int(s.events),
    `${int(s.sha256)} (${s.sha256Calls})`,
    int(s.other),
  ];
  const last = g.anchors[g.anchors.length - 1]!;
  const share = (f: (s: GasSplit) => number): string => percent(f(last.split), last.split.gasUsed);
  const { naive } = g;
  return [
    `2. Gas on the in-process Hardhat network (hardfork ${g.hardfork}). Each log anchors a first checkpoint (no proof),`,
    '   then a second one with the RFC 9162 consistency proof computed by our LogTree; the contract verifies it.',
    table(
      [
        { title: 'log' },
        { title: 'checkpoints' },
        { title: 'k records', align: 'right' },
        { title: 'proof', align: 'right' },
        { title: '1st anchor gas', align: 'right' },
        { title: '2nd anchor gas', align: 'right' },
        { title: 'gas/record', align: 'right' },
      ],
      anchorRows,
      '   ',
    ),
    '',
    '   Where the gas goes (opcode trace: gas left before each step minus after it):',
    table(
      splitColumns,
      [...g.anchors.map((a) => splitRow(`anchor ${a.scenario.name}`, a.split)), splitRow('naive store(), one record', naive.storeSplit)],
      '   ',
    ),
    `   Anchor ${last.scenario.name}: tx base ${share((s) => s.txBase)}, calldata ${share((s) => s.calldata)}, storage ${share((s) => s.sstore + s.sload)},` +
      ` event ${share((s) => s.events)}, proof hashing ${share((s) => s.sha256)}, the rest ${share((s) => s.other)}.`,
    '',
    `   Naive baseline, NaiveRecordStore: one struct per record ("${naive.sample.batchId}", producer address,`,
    `   ${naive.sample.seleniumValue} µg/kg selenium, "${naive.sample.lab}", report hash, block time):`,
    table(
      [{ title: 'call' }, { title: 'gas per record', align: 'right' }],
      [
        ['store(), first record (also sets the array length from 0)', int(naive.firstStoreGas)],
        [`store(), average of the next ${naive.stores}`, decimal1(naive.storeGasAvg)],
        [`storeMany(${naive.batchSize} records), average of ${naive.batches} batches`, decimal1(naive.storeManyGasPerRecord)],
      ],
      '   ',
    ),
    '',
    '   Naive gas per record ÷ ours (ours stores no record on chain: one anchor per checkpoint of k records):',
    table(
      [
        { title: 'k records per checkpoint' },
        { title: 'ours gas/record', align: 'right' },
        { title: 'store() ÷ ours', align: 'right' },
        { title: 'storeMany() ÷ ours', align: 'right' },
      ],
      g.ratios.map((r) => [int(r.k), decimal1(r.oursPerRecord), ratio(r.storeOverOurs), ratio(r.storeManyOverOurs)]),
      '   ',
    ),
  ].join('\n');
}
