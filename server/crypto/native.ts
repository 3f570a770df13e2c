/**
 * Native primitives for the server and the CLI: OpenSSL's SHA-256 (node:crypto; short messages in WebAssembly, or
 * in JavaScript, ./sha256-small.ts, both cheaper than the call), keccak-256 and whole field trees in WebAssembly (./wasm-hashes.ts:
 * a keccak-256 of 32–300 bytes costs 0.8–2 µs there against 2.7–6 µs through the `keccak` package's binding,
 * which stays for inputs over the module's 1 MiB) and libsecp256k1 (the `secp256k1` package).
 * Importing this module installs them; where a native build or WebAssembly is missing, the next one stays for
 * that primitive (binding, then @noble: same results, slower).
 */
import { hash as oneShotHash } from 'node:crypto';
import path from 'node:path';
import secp256k1 from 'secp256k1';
import { installPrimitives, noblePrimitives, type Primitives } from './primitives';
import { SMALL_SHA256_LIMIT, sha256Small } from './sha256-small';
import { loadWasmHashes } from './wasm-hashes';

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

function loadKeccak(): KeccakState | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const build = require('node-gyp-build') as (dir: string) => new () => KeccakState;
    const Native = build(path.dirname(require.resolve('keccak/package.json')));
    return typeof Native === 'function' ? new Native() : undefined;
  } catch {
    return undefined;
  }
}

const state = loadKeccak();

/** True when keccak-256 runs on the native binding. */
export const nativeKeccakAvailable = state !== undefined;

function nativeKeccak(data: Uint8Array): Uint8Array {
  const s = state!;
  s.initialize(RATE, CAPACITY);
  s.absorb(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  s.absorbLastFewBits(SUFFIX);
  return new Uint8Array(s.squeeze(32));
}

const wasm = loadWasmHashes();

/** True when keccak-256 and field trees run in WebAssembly. */
export const wasmHashesAvailable = wasm !== undefined;

/** keccak-256 where no WebAssembly: the binding, else @noble. */
const keccakOutsideWasm = nativeKeccakAvailable ? nativeKeccak : noblePrimitives.keccak256;

/** The native primitives (falling back per primitive where WebAssembly or a binding is missing). */
export const nativePrimitives: Primitives = {
  name: `native${wasm ? ' + wasm' : ''}${nativeKeccakAvailable || wasm ? '' : ' (keccak: noble)'}`,
  // Short messages (record-root leaves, tree nodes) cost less in WebAssembly (or JavaScript) than a call into OpenSSL:
  // 0.9–1.2 µs against 1.5–2 µs (JavaScript 1.1–1.7) for 32–183 bytes; from about 250 bytes on, OpenSSL is faster.
  sha256: wasm
    ? (data) => (data.length < SMALL_SHA256_LIMIT ? wasm.sha256(data) : oneShotHash('sha256', data, 'buffer'))
    : (data) => (data.length < SMALL_SHA256_LIMIT ? sha256Small(data) : oneShotHash('sha256', data, 'buffer')),
  keccak256: wasm ? (data) => (data.length <= wasm.maxInput ? wasm.keccak256(data) : keccakOutsideWasm(data)) : keccakOutsideWasm,
  recoverPublicKey: (digest, rs, recid) => secp256k1.ecdsaRecover(rs, recid, digest, false).subarray(1),
  ...(wasm ? { rootOfLeafTexts: (texts: readonly string[]) => wasm.rootOfLeafTexts(texts) } : {}),
};

installPrimitives(nativePrimitives);
