/** Merkle root speed: our RFC 6962 root against the SHA-256 limit, merkletreejs and @openzeppelin/merkle-tree, as ratios. */
import { hash, randomBytes } from 'node:crypto';
import { SimpleMerkleTree, StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { hexlify, keccak256 } from 'ethers';
import { MerkleTree } from 'merkletreejs';
import { Appender } from '../../server/ledger/appender';
import { InvariantError } from '../../server/ledger/errors';
import { equalBytes, leafHash, rootHash, toHex } from '../../server/ledger/rfc6962';
import type { Hash } from '../../server/ledger/rfc6962';
import { timeInterleaved, timeOnce, timingOf } from './measure';
import type { Contender, Timing } from './measure';

/** Sizes and repeat counts of the root benchmark. */
export interface RootsConfig {
  /** Leaves of the main comparison. */
  readonly n: number;
  /** Leaves of the OpenZeppelin comparison (its trees take minutes at `n`). Requires ozN <= n. */
  readonly ozN: number;
  /** Timed runs of the quick contenders (ours and the limit). */
  readonly fastRuns: number;
  /** Timed runs of the library contenders. */
  readonly slowRuns: number;
  /** Leaves of the untimed warm-up run of each contender. */
  readonly warmUpN: number;
}

/** Random leaf data and our leaf hashes of it. */
export interface LeafSet {
  /** Random 32-byte leaf data (views into one buffer). */
  readonly data: readonly Buffer[];
  /** `leafHash(data[i])`: SHA-256(0x00 || data[i]). */
  readonly leaves: readonly Hash[];
  /** Time taken by the leaf hashing, once. */
  readonly leafHashMs: number;
}

/** a / b of two timings, of their medians and of their best runs; > 1 means a took longer. */
export interface TimeRatio {
  readonly ofMedians: number;
  readonly ofBests: number;
}

/** The named ratios the benchmark is for. */
export interface RootRatios {
  readonly oursOverLimit: TimeRatio;
  readonly appenderOverLimit: TimeRatio;
  readonly merkletreejsOverOurs: TimeRatio;
  readonly merkletreejsSha256OverOurs: TimeRatio;
  readonly oursOverLimitAtOzN: TimeRatio;
  readonly ozStandardOverOurs: TimeRatio;
  readonly ozSimpleOverOurs: TimeRatio;
}

/** Everything the root benchmark measured. */
export interface RootsResult {
  readonly config: RootsConfig;
  /** Contenders at n. */
  readonly atN: readonly Timing[];
  /** Contenders at ozN. */
  readonly atOzN: readonly Timing[];
  /** Untimed-for-comparison leaf preparation: ours (SHA-256) and the keccak leaves merkletreejs users hash. */
  readonly leafPrep: { readonly leafHashMs: number; readonly leafHashN: number; readonly keccakLeavesMs: number; readonly keccakLeavesN: number };
  readonly ratios: RootRatios;
  /** Our root of the first n leaves, hex. */
  readonly root: string;
}

/** `count` random 32-byte leaf data and their RFC 6962 leaf hashes (the hashing timed once). Requires count >= 1. */
export function makeLeafSet(count: number): LeafSet {
  const all = randomBytes(32 * count);
  const data = Array.from({ length: count }, (_, i) => all.subarray(32 * i, 32 * (i + 1)));
  const { value: leaves, ms: leafHashMs } = timeOnce(() => data.map((d) => leafHash(d)));
  return { data, leaves, leafHashMs };
}

/** Runs the root benchmark over `set` (which needs at least config.n leaves). `progress` gets one line per timed run. */
export function benchRoots(set: LeafSet, config: RootsConfig, progress: (line: string) => void): RootsResult {
  const { n, ozN, fastRuns, slowRuns, warmUpN } = config;
  if (set.leaves.length < n || ozN > n) throw new RangeError(`need ozN <= n <= ${set.leaves.length} leaves`);
  const onRun = (c: Contender, ms: number): void => progress(`${c.label}, n = ${c.n.toLocaleString('en-US')}: ${Math.round(ms)} ms`);

  // Leaves as merkletreejs users make them: ethers' keccak256 of the data, as hex strings. Not part of any timing.
  progress(`ethers keccak256 of ${n.toLocaleString('en-US')} leaf data, for merkletreejs…`);
  const keccakLeaves = timeOnce(() => set.data.slice(0, n).map((d) => keccak256(d)));
  const sha256Leaves = set.leaves.slice(0, n).map(asBuffer);
  const ozValues = set.data.slice(0, ozN).map((d) => [hexlify(d)]);

  const contenders = (size: number, which: 'n' | 'ozN'): Contender[] => {
    const make = (id: string, label: string, runs: number, build: (m: number) => () => unknown): Contender => ({
      id,
      label,
      n: size,
      runs,
      warmUp: build(warmUpN),
      run: build(size),
    });
    const ours = [
      make('limit', `SHA-256 limit: n−1 × hash('sha256', 65 bytes)`, fastRuns, (m) => () => sha256Limit(m - 1)),
      make('ours', 'ours: rootHash(leaves)', fastRuns, (m) => {
        const leaves = set.leaves.slice(0, m);
        return () => rootHash(leaves);
      }),
    ];
    if (which === 'n') {
      return [
        ...ours,
        make('appender', 'ours: Appender.append × n, then root()', fastRuns, (m) => {
          const leaves = set.leaves.slice(0, m);
          return () => appenderRoot(leaves);
        }),
        make('merkletreejs', 'merkletreejs: new MerkleTree(leaves, keccak256, { sortPairs: true })', slowRuns, (m) => {
          const leaves = keccakLeaves.value.slice(0, m);
          return () => new MerkleTree(leaves, keccak256, { sortPairs: true }).getRoot();
        }),
        make('merkletreejs-sha256', 'merkletreejs: the same with node:crypto SHA-256', slowRuns, (m) => {
          const leaves = sha256Leaves.slice(0, m);
          return () => new MerkleTree(leaves, sha256, { sortPairs: true }).getRoot();
        }),
      ];
    }
    return [
      ...ours,
      make('oz-standard', `OpenZeppelin: StandardMerkleTree.of(values, ['bytes32'])`, slowRuns, (m) => {
        const values = ozValues.slice(0, m);
        return () => StandardMerkleTree.of(values, ['bytes32']).root;
      }),
      make('oz-simple', 'OpenZeppelin: SimpleMerkleTree.of(keccak leaves)', slowRuns, (m) => {
        const leaves = keccakLeaves.value.slice(0, m);
        return () => SimpleMerkleTree.of(leaves).root;
      }),
    ];
  };

  const atN = timeInterleaved(contenders(n, 'n'), onRun);
  const atOzN = timeInterleaved(contenders(ozN, 'ozN'), onRun);

  const ours = timingOf(atN, 'ours');
  const root = ours.result as Hash;
  if (!equalBytes(root, timingOf(atN, 'appender').result as Hash)) {
    throw new InvariantError('rootHash and Appender disagree on the root');
  }
  const over = (ts: readonly Timing[], a: string, b: string): TimeRatio => {
    const [x, y] = [timingOf(ts, a), timingOf(ts, b)];
    return { ofMedians: x.medianMs / y.medianMs, ofBests: x.bestMs / y.bestMs };
  };
  const ratios: RootRatios = {
    oursOverLimit: over(atN, 'ours', 'limit'),
    appenderOverLimit: over(atN, 'appender', 'limit'),
    merkletreejsOverOurs: over(atN, 'merkletreejs', 'ours'),
    merkletreejsSha256OverOurs: over(atN, 'merkletreejs-sha256', 'ours'),
    oursOverLimitAtOzN: over(atOzN, 'ours', 'limit'),
    ozStandardOverOurs: over(atOzN, 'oz-standard', 'ours'),
    ozSimpleOverOurs: over(atOzN, 'oz-simple', 'ours'),
  };
  return {
    config,
    atN,
    atOzN,
    leafPrep: { leafHashMs: set.leafHashMs, leafHashN: set.leaves.length, keccakLeavesMs: keccakLeaves.ms, keccakLeavesN: n },
    ratios,
    root: toHex(root),
  };
}

/**
 * The hashing limit: `count` one-shot SHA-256 calls on a 65-byte input (0x01 || left || right), the same call
 * our nodeHash makes, without the tree around it. One input byte changes per call.
 */
function sha256Limit(count: number): Buffer {
  const input = Buffer.alloc(65, 1);
  let out = input;
  for (let i = 0; i < count; i++) {
    input[1] = i & 0xff;
    out = hash('sha256', input, 'buffer');
  }
  return out;
}

function appenderRoot(leaves: readonly Hash[]): Hash {
  const appender = new Appender();
  for (const leaf of leaves) appender.append(leaf);
  return appender.root();
}

function sha256(data: Buffer): Buffer {
  return hash('sha256', data, 'buffer');
}

/** A Buffer view of the same bytes (merkletreejs wants Buffers). */
function asBuffer(h: Hash): Buffer {
  return Buffer.from(h.buffer, h.byteOffset, h.byteLength);
}
