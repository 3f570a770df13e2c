/** Loads the RFC 6962 test vectors (test/vectors/rfc6962, an in-repo copy; see its PROVENANCE.md) with exact 64-bit sizes and indices. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** test/support → test/vectors/rfc6962: inside the repository, so the tests read nothing outside it. */
export const VECTORS_DIR = path.resolve(__dirname, '../vectors/rfc6962');

export interface InclusionProbe {
  readonly file: string;
  readonly desc: string;
  readonly leafIdx: bigint;
  readonly treeSize: bigint;
  readonly root: string;
  readonly leafHash: string;
  readonly proof: readonly string[];
  readonly wantErr: boolean;
}

export interface ConsistencyProbe {
  readonly file: string;
  readonly desc: string;
  readonly size1: bigint;
  readonly size2: bigint;
  readonly root1: string;
  readonly root2: string;
  readonly proof: readonly string[];
  readonly wantErr: boolean;
}

export interface ReferenceTreeVectors {
  readonly leafInputs: readonly string[];
  readonly leafHashes: readonly string[];
  readonly rootHashes: readonly string[];
  readonly inclusion: readonly { leafIndex: number; treeSize: number; proof: readonly string[] }[];
  readonly consistency: readonly { size1: number; size2: number; proof: readonly string[] }[];
  readonly rekorConsistency: {
    size1: number;
    size2: number;
    root1: string;
    root2: string;
    proof: readonly string[];
  };
}

const INTEGER_FIELDS = /("(?:leafIdx|treeSize|size1|size2)"\s*:\s*)(\d+)/g;

/** JSON.parse, reading the size and index fields as bigint (one probe's index is 2^64 - 1). */
function readVectors(file: string): unknown {
  const text = readFileSync(path.join(VECTORS_DIR, file), 'utf8').replace(INTEGER_FIELDS, '$1"$2"');
  return JSON.parse(text, (key, value: unknown) =>
    ['leafIdx', 'treeSize', 'size1', 'size2'].includes(key) && typeof value === 'string' ? BigInt(value) : value,
  );
}

export function loadInclusionProbes(): InclusionProbe[] {
  return (readVectors('upstream-tdm-inclusion-probes.json') as { probes: InclusionProbe[] }).probes;
}

export function loadConsistencyProbes(): ConsistencyProbe[] {
  return (readVectors('upstream-tdm-consistency-probes.json') as { probes: ConsistencyProbe[] }).probes;
}

export function loadReferenceTree(): ReferenceTreeVectors {
  return JSON.parse(
    readFileSync(path.join(VECTORS_DIR, 'upstream-reference-tree.json'), 'utf8'),
  ) as ReferenceTreeVectors;
}

/** True when `hex` (no `0x`) is exactly 32 bytes, so it can be passed as a Solidity `bytes32`. */
export function isBytes32Hex(hex: string): boolean {
  return /^[0-9a-f]{64}$/i.test(hex);
}

/** True when every hash of an inclusion probe (root, leaf hash, proof nodes) is 32 bytes. */
export function inclusionProbeFitsBytes32(probe: InclusionProbe): boolean {
  return [probe.root, probe.leafHash, ...probe.proof].every(isBytes32Hex);
}

/** True when every hash of a consistency probe (both roots, proof nodes) is 32 bytes. */
export function consistencyProbeFitsBytes32(probe: ConsistencyProbe): boolean {
  return [probe.root1, probe.root2, ...probe.proof].every(isBytes32Hex);
}

/** `0x`-prefixed form of a vector hash. */
export function hex32(hex: string): string {
  return `0x${hex}`;
}
