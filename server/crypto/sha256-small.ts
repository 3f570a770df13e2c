/**
 * SHA-256 (FIPS 180-4) in plain JavaScript for short messages: the record root's ~40 hashes of 30–200 bytes
 * each, where a call into OpenSSL costs more in binding overhead than the compression itself. Isomorphic (no
 * `node:*`). The same bytes as node:crypto for every length (property-tested); `./native` uses it below
 * {@link SMALL_SHA256_LIMIT} bytes where WebAssembly is unavailable (./wasm-hashes.ts is faster still). Not constant-time with respect to the length only
 * in the number of blocks, like every SHA-256; the hashed data is public.
 */

/**
 * Below this many bytes (messages of at most three blocks) the native primitives hash in WebAssembly, or else in
 * JavaScript, not through OpenSSL. JavaScript against OpenSSL, measured
 * (CPU µs per call, node 20, SHA-NI) 1.1–1.2 vs 1.6–1.8 for 33–65 bytes, 1.6–1.9 vs 2.2–2.5 for 100–150 bytes,
 * and slower from four blocks on (2.8 vs 1.9 at 200 bytes).
 */
export const SMALL_SHA256_LIMIT = 184;

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

// Scratch state, reused: the function is synchronous and returns fresh bytes.
const H = new Int32Array(8);
const W = new Int32Array(64);
/** The last one or two blocks: the message's tail, 0x80, zeros and the bit length. */
const TAIL = new Uint8Array(128);

/** One compression of the 64-byte block at `off` of `d` into H. */
function compress(d: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) W[i] = (d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!;
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = H[0]!;
  let b = H[1]!;
  let c = H[2]!;
  let d0 = H[3]!;
  let e = H[4]!;
  let f = H[5]!;
  let g = H[6]!;
  let h = H[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d0 + t1) | 0;
    d0 = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d0) | 0;
  H[4] = (H[4]! + e) | 0;
  H[5] = (H[5]! + f) | 0;
  H[6] = (H[6]! + g) | 0;
  H[7] = (H[7]! + h) | 0;
}

/**
 * SHA-256 of `data` (any length; meant for short messages, see {@link SMALL_SHA256_LIMIT}), as fresh bytes.
 * Requires data.length < 2^53 / 8 (every Uint8Array a process can hold).
 */
export function sha256Small(data: Uint8Array): Uint8Array {
  H.set(IV);
  const len = data.length;
  const full = len - (len % 64);
  for (let off = 0; off < full; off += 64) compress(data, off);
  const rem = len - full;
  const blocks = rem < 56 ? 1 : 2;
  TAIL.fill(0);
  for (let i = 0; i < rem; i++) TAIL[i] = data[full + i]!;
  TAIL[rem] = 0x80;
  // The message length in bits, 64-bit big-endian, in the last 8 bytes.
  const end = 64 * blocks;
  const hi = Math.floor(len / 0x20000000);
  const lo = (len << 3) >>> 0;
  TAIL[end - 8] = hi >>> 24;
  TAIL[end - 7] = hi >>> 16;
  TAIL[end - 6] = hi >>> 8;
  TAIL[end - 5] = hi;
  TAIL[end - 4] = lo >>> 24;
  TAIL[end - 3] = lo >>> 16;
  TAIL[end - 2] = lo >>> 8;
  TAIL[end - 1] = lo;
  compress(TAIL, 0);
  if (blocks === 2) compress(TAIL, 64);
  const out = new Uint8Array(32);
  for (let i = 0, j = 0; i < 8; i++, j += 4) {
    const v = H[i]!;
    out[j] = v >>> 24;
    out[j + 1] = v >>> 16;
    out[j + 2] = v >>> 8;
    out[j + 3] = v;
  }
  return out;
}
