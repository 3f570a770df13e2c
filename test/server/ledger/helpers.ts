/** Shared test helpers for the ledger: the RFC 6962 vector files, deterministic leaves, a counting node reader. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fromHex, leafHash, toHex } from '../../../server/ledger/rfc6962';
import type { Hash } from '../../../server/ledger/rfc6962';
import type { NodeId, NodeReader } from '../../../server/ledger/tree';

/** test/server/ledger → test/vectors/rfc6962: the in-repo copy (see its PROVENANCE.md); tests read nothing outside the repository. */
export const VECTORS_DIR = path.resolve(__dirname, '../../vectors/rfc6962');

export interface InclusionProbe {
  file: string;
  desc: string;
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[];
  wantErr: boolean;
}

export interface ConsistencyProbe {
  file: string;
  desc: string;
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[];
  wantErr: boolean;
}

export interface ReferenceTree {
  leafInputs: string[];
  leafHashes: string[];
  nodeHashes: string[][];
  rootHashes: string[];
  inclusion: { leafIndex: number; treeSize: number; proof: string[] }[];
  consistency: { size1: number; size2: number; proof: string[] }[];
  rekorConsistency: { size1: number; size2: number; root1: string; root2: string; proof: string[] };
}

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(VECTORS_DIR, name), 'utf8')) as T;
}

export function loadInclusionProbes(): InclusionProbe[] {
  return readJson<{ probes: InclusionProbe[] }>('upstream-tdm-inclusion-probes.json').probes;
}

export function loadConsistencyProbes(): ConsistencyProbe[] {
  return readJson<{ probes: ConsistencyProbe[] }>('upstream-tdm-consistency-probes.json').probes;
}

export function loadReferenceTree(): ReferenceTree {
  return readJson<ReferenceTree>('upstream-reference-tree.json');
}

/** Hex of each hash, for readable deep-equality assertions (Buffer and Uint8Array never deep-equal). */
export function hexes(hashes: readonly Uint8Array[]): string[] {
  return hashes.map(toHex);
}

export function unhex(hashes: readonly string[]): Hash[] {
  return hashes.map(fromHex);
}

/** `count` distinct leaf hashes derived from `seed`. */
export function makeLeaves(count: number, seed = 0): Hash[] {
  const leaves: Hash[] = [];
  const data = Buffer.alloc(12);
  for (let i = 0; i < count; i++) {
    data.writeUInt32BE(seed >>> 0, 0);
    data.writeUInt32BE(i, 4);
    data.writeUInt32BE(0x7e57, 8);
    leaves.push(leafHash(data));
  }
  return leaves;
}

/** A copy of `h` with bit `bit` (0 = lowest bit of the first byte) flipped. */
export function flipBit(h: Uint8Array, bit: number): Uint8Array {
  const out = new Uint8Array(h);
  out[bit >> 3] = out[bit >> 3]! ^ (1 << (bit & 7));
  return out;
}

/** Wraps a reader and counts calls and node ids read. */
export class CountingReader implements NodeReader {
  calls = 0;
  nodes = 0;

  constructor(private readonly inner: NodeReader) {}

  async readNodes(ids: readonly NodeId[]): Promise<Hash[]> {
    this.calls++;
    this.nodes += ids.length;
    return this.inner.readNodes(ids);
  }

  reset(): void {
    this.calls = 0;
    this.nodes = 0;
  }
}

/** ⌈log2 n⌉ for n >= 1. */
export function ceilLog2(n: number): number {
  let l = 0;
  while (2 ** l < n) l++;
  return l;
}
