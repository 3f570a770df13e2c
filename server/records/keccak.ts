/**
 * keccak256 on the native binding of the `keccak` package (libkeccak), used straight — one reusable
 * sponge state, no stream object per hash — and registered as ethers' keccak256. Same digests as
 * ethers' JavaScript keccak, several times faster; the EIP-712 digest dominates record ingest.
 */
import path from 'node:path';
import { getBytes, keccak256 } from 'ethers';

interface KeccakState {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

// Keccak-256: rate 1088 bits, capacity 512 bits, the original (pre-SHA-3) padding suffix 0x01.
const RATE = 1088;
const CAPACITY = 512;
const SUFFIX = 0x01;

let state: KeccakState | undefined;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const build = require('node-gyp-build') as (dir: string) => new () => KeccakState;
  const Native = build(path.dirname(require.resolve('keccak/package.json')));
  if (typeof Native === 'function') state = new Native();
} catch {
  state = undefined; // no native build: ethers keeps its own implementation
}

function nativeKeccak(s: KeccakState, data: Uint8Array): Buffer {
  s.initialize(RATE, CAPACITY);
  s.absorb(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  s.absorbLastFewBits(SUFFIX);
  return s.squeeze(32);
}

if (state) {
  const s = state;
  keccak256.register((data: Uint8Array) => new Uint8Array(nativeKeccak(s, data)));
}

/** keccak256 of bytes, as bytes: the native binding without a hex round trip, else ethers. */
export function keccakBytes(data: Uint8Array): Uint8Array {
  return state ? nativeKeccak(state, data) : getBytes(keccak256(data));
}

/** True when keccak256 runs on the native binding. */
export const nativeKeccakAvailable = state !== undefined;
