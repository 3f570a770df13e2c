/**
 * SHA-256 (FIPS 180-4), the RFC 6962 root of a record's field leaves, and keccak-256, in AssemblyScript, compiled
 * to WebAssembly by `npm run build:wasm` (scripts/wasm/build.ts) into server/crypto/hashes-wasm.ts, which
 * server/crypto/wasm-hashes.ts loads. Not part of the TypeScript build (tsconfig and eslint exclude scripts/wasm/*.as.ts).
 *
 * Why: the server hashes many short messages (a record root is ~40 SHA-256 of 30–200 bytes, an EIP-712 digest ~8
 * keccak-256 of 32–300 bytes); through node:crypto or the keccak binding, crossing into C++ costs more than the
 * hashing. Here one call computes a whole field tree, and a keccak-256 costs a fraction of a binding call.
 *
 * fieldRoot hashes four messages at once, one per 32-bit lane of WebAssembly SIMD (v128; build.ts passes --enable
 * simd, Node has it since 16): about 1.9x faster than one at a time on a 20-leaf tree.
 *
 * No allocation, no runtime: fixed areas of linear memory (static data); the caller writes its input into the
 * I/O area and reads 32 bytes from the output area. Every function is synchronous and not reentrant (one instance
 * per thread). The results are the same bytes as node:crypto and @noble/hashes (property-tested in
 * test/server/crypto/wasm-hashes.test.ts).
 */

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** The area the caller writes input into: 1 MiB. */
const IO_SIZE: i32 = 1 << 20;
const io: usize = memory.data(1 << 20, 16);
/** Leaves fieldRoot takes at most; their offsets (n + 1 little-endian u32) and their hashes. */
const MAX_LEAVES: i32 = 4096;
const offs: usize = memory.data(4 * (4096 + 1), 16);
const nodes: usize = memory.data(32 * 4096, 16);
const H: usize = memory.data(32, 16);
const tail: usize = memory.data(128, 16);
const out: usize = memory.data(32, 16);

export function ioPtr(): usize { return io; }
export function ioSize(): i32 { return IO_SIZE; }
export function offsetsPtr(): usize { return offs; }
export function maxLeaves(): i32 { return MAX_LEAVES; }
export function outPtr(): usize { return out; }

function initH(): void {
  store<u32>(H, 0x6a09e667, 0); store<u32>(H, 0xbb67ae85, 4); store<u32>(H, 0x3c6ef372, 8); store<u32>(H, 0xa54ff53a, 12);
  store<u32>(H, 0x510e527f, 16); store<u32>(H, 0x9b05688c, 20); store<u32>(H, 0x1f83d9ab, 24); store<u32>(H, 0x5be0cd19, 28);
}

// The functions of FIPS 180-4 §4.1.2; ch and maj in their 3- and 4-operation forms.
@inline function bsig0(x: u32): u32 { return rotr<u32>(x, 2) ^ rotr<u32>(x, 13) ^ rotr<u32>(x, 22); }
@inline function bsig1(x: u32): u32 { return rotr<u32>(x, 6) ^ rotr<u32>(x, 11) ^ rotr<u32>(x, 25); }
@inline function ssig0(x: u32): u32 { return rotr<u32>(x, 7) ^ rotr<u32>(x, 18) ^ (x >>> 3); }
@inline function ssig1(x: u32): u32 { return rotr<u32>(x, 17) ^ rotr<u32>(x, 19) ^ (x >>> 10); }
@inline function ch(e: u32, f: u32, g: u32): u32 { return g ^ (e & (f ^ g)); }
@inline function maj(a: u32, b: u32, c: u32): u32 { return (a & b) | (c & (a | b)); }

/**
 * One compression of the 64 bytes at `block` into H. The message schedule is a window of 16 locals, extended in
 * place before each 16 rounds; the rounds are written out 16 at a time with the working variables renamed instead
 * of shifted, so nothing goes through memory but H and K.
 */
function compress(block: usize): void {
  let w0 = bswap<u32>(load<u32>(block, 0)), w1 = bswap<u32>(load<u32>(block, 4)), w2 = bswap<u32>(load<u32>(block, 8)), w3 = bswap<u32>(load<u32>(block, 12));
  let w4 = bswap<u32>(load<u32>(block, 16)), w5 = bswap<u32>(load<u32>(block, 20)), w6 = bswap<u32>(load<u32>(block, 24)), w7 = bswap<u32>(load<u32>(block, 28));
  let w8 = bswap<u32>(load<u32>(block, 32)), w9 = bswap<u32>(load<u32>(block, 36)), w10 = bswap<u32>(load<u32>(block, 40)), w11 = bswap<u32>(load<u32>(block, 44));
  let w12 = bswap<u32>(load<u32>(block, 48)), w13 = bswap<u32>(load<u32>(block, 52)), w14 = bswap<u32>(load<u32>(block, 56)), w15 = bswap<u32>(load<u32>(block, 60));
  let a = load<u32>(H, 0), b = load<u32>(H, 4), c = load<u32>(H, 8), d = load<u32>(H, 12);
  let e = load<u32>(H, 16), f = load<u32>(H, 20), g = load<u32>(H, 24), h = load<u32>(H, 28);
  let t: u32;
  for (let r: usize = 0; r < 64; r += 16) {
    if (r != 0) {
      w0 += ssig0(w1) + w9 + ssig1(w14);
      w1 += ssig0(w2) + w10 + ssig1(w15);
      w2 += ssig0(w3) + w11 + ssig1(w0);
      w3 += ssig0(w4) + w12 + ssig1(w1);
      w4 += ssig0(w5) + w13 + ssig1(w2);
      w5 += ssig0(w6) + w14 + ssig1(w3);
      w6 += ssig0(w7) + w15 + ssig1(w4);
      w7 += ssig0(w8) + w0 + ssig1(w5);
      w8 += ssig0(w9) + w1 + ssig1(w6);
      w9 += ssig0(w10) + w2 + ssig1(w7);
      w10 += ssig0(w11) + w3 + ssig1(w8);
      w11 += ssig0(w12) + w4 + ssig1(w9);
      w12 += ssig0(w13) + w5 + ssig1(w10);
      w13 += ssig0(w14) + w6 + ssig1(w11);
      w14 += ssig0(w15) + w7 + ssig1(w12);
      w15 += ssig0(w0) + w8 + ssig1(w13);
    }
    const k = changetype<usize>(K) + (r << 2);
    t = h + bsig1(e) + ch(e, f, g) + load<u32>(k, 0) + w0; d += t; h = t + bsig0(a) + maj(a, b, c);
    t = g + bsig1(d) + ch(d, e, f) + load<u32>(k, 4) + w1; c += t; g = t + bsig0(h) + maj(h, a, b);
    t = f + bsig1(c) + ch(c, d, e) + load<u32>(k, 8) + w2; b += t; f = t + bsig0(g) + maj(g, h, a);
    t = e + bsig1(b) + ch(b, c, d) + load<u32>(k, 12) + w3; a += t; e = t + bsig0(f) + maj(f, g, h);
    t = d + bsig1(a) + ch(a, b, c) + load<u32>(k, 16) + w4; h += t; d = t + bsig0(e) + maj(e, f, g);
    t = c + bsig1(h) + ch(h, a, b) + load<u32>(k, 20) + w5; g += t; c = t + bsig0(d) + maj(d, e, f);
    t = b + bsig1(g) + ch(g, h, a) + load<u32>(k, 24) + w6; f += t; b = t + bsig0(c) + maj(c, d, e);
    t = a + bsig1(f) + ch(f, g, h) + load<u32>(k, 28) + w7; e += t; a = t + bsig0(b) + maj(b, c, d);
    t = h + bsig1(e) + ch(e, f, g) + load<u32>(k, 32) + w8; d += t; h = t + bsig0(a) + maj(a, b, c);
    t = g + bsig1(d) + ch(d, e, f) + load<u32>(k, 36) + w9; c += t; g = t + bsig0(h) + maj(h, a, b);
    t = f + bsig1(c) + ch(c, d, e) + load<u32>(k, 40) + w10; b += t; f = t + bsig0(g) + maj(g, h, a);
    t = e + bsig1(b) + ch(b, c, d) + load<u32>(k, 44) + w11; a += t; e = t + bsig0(f) + maj(f, g, h);
    t = d + bsig1(a) + ch(a, b, c) + load<u32>(k, 48) + w12; h += t; d = t + bsig0(e) + maj(e, f, g);
    t = c + bsig1(h) + ch(h, a, b) + load<u32>(k, 52) + w13; g += t; c = t + bsig0(d) + maj(d, e, f);
    t = b + bsig1(g) + ch(g, h, a) + load<u32>(k, 56) + w14; f += t; b = t + bsig0(c) + maj(c, d, e);
    t = a + bsig1(f) + ch(f, g, h) + load<u32>(k, 60) + w15; e += t; a = t + bsig0(b) + maj(b, c, d);
  }
  store<u32>(H, load<u32>(H, 0) + a, 0); store<u32>(H, load<u32>(H, 4) + b, 4);
  store<u32>(H, load<u32>(H, 8) + c, 8); store<u32>(H, load<u32>(H, 12) + d, 12);
  store<u32>(H, load<u32>(H, 16) + e, 16); store<u32>(H, load<u32>(H, 20) + f, 20);
  store<u32>(H, load<u32>(H, 24) + g, 24); store<u32>(H, load<u32>(H, 28) + h, 28);
}

/** SHA-256 of `len` bytes at `p` into the 32 bytes at `dst`. */
function sha256At(p: usize, len: usize, dst: usize): void {
  initH();
  const full = len >> 6;
  for (let i: usize = 0; i < full; i++) compress(p + (i << 6));
  const blocks = padTail(p + (full << 6), len, tail);
  compress(tail);
  if (blocks == 2) compress(tail + 64);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(dst + i, bswap<u32>(load<u32>(H + i)));
}

/** SHA-256 of the first `len` bytes of the I/O area, into the output area. */
export function sha256(len: i32): void { sha256At(io, <usize>len, out); }

// Four messages at once, one per 32-bit lane of a v128 (WebAssembly SIMD): the leaves of a field tree four at a
// time, then each level's pairs four at a time. Lane j of word k is word k of message j.
/** The first 16 words of the four blocks, transposed. */
const SW: usize = memory.data(16 * 16, 16);
const SH: usize = memory.data(8 * 16, 16);
/** K[i] in all four lanes. */
const K4: usize = memory.data(64 * 16, 16);
for (let i: usize = 0; i < 64; i++) v128.store(K4 + (i << 4), i32x4.splat(unchecked(K[<i32>i])));
/** Per lane: the pointer to its next block, its block count, its padded last block(s). */
const lanePtr: usize = memory.data(16, 16);
const laneBlocks: usize = memory.data(16, 16);
const laneTail: usize = memory.data(4 * 128, 16);
/** Per lane: 0x01 || left || right, padded (two blocks); bytes 1..64 change, the rest is fixed. */
const lanePair: usize = memory.data(4 * 128, 16);
for (let j: usize = 0; j < 4; j++) {
  store<u8>(lanePair + (j << 7), 0x01);
  store<u8>(lanePair + (j << 7), 0x80, 65);
  store<u64>(lanePair + (j << 7), bswap<u64>(65 << 3), 120);
}

@inline function add4(x: v128, y: v128): v128 { return i32x4.add(x, y); }
@inline function vrotr(x: v128, n: i32): v128 { return v128.or(i32x4.shr_u(x, n), i32x4.shl(x, 32 - n)); }
@inline function vbsig0(x: v128): v128 { return v128.xor(v128.xor(vrotr(x, 2), vrotr(x, 13)), vrotr(x, 22)); }
@inline function vbsig1(x: v128): v128 { return v128.xor(v128.xor(vrotr(x, 6), vrotr(x, 11)), vrotr(x, 25)); }
@inline function vssig0(x: v128): v128 { return v128.xor(v128.xor(vrotr(x, 7), vrotr(x, 18)), i32x4.shr_u(x, 3)); }
@inline function vssig1(x: v128): v128 { return v128.xor(v128.xor(vrotr(x, 17), vrotr(x, 19)), i32x4.shr_u(x, 10)); }
/** maj(a, b, c): c where a and b differ, else a. */
@inline function vmaj(a: v128, b: v128, c: v128): v128 { return v128.bitselect(c, a, v128.xor(a, b)); }
/** Each 32-bit lane's bytes reversed (big-endian words). */
@inline function bswap4(x: v128): v128 { return i8x16.shuffle(x, x, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12); }

/** SH = the initial hash value in every lane. */
function initSH(): void {
  v128.store(SH, i32x4.splat(0x6a09e667), 0); v128.store(SH, i32x4.splat(0xbb67ae85), 16);
  v128.store(SH, i32x4.splat(0x3c6ef372), 32); v128.store(SH, i32x4.splat(0xa54ff53a), 48);
  v128.store(SH, i32x4.splat(0x510e527f), 64); v128.store(SH, i32x4.splat(0x9b05688c), 80);
  v128.store(SH, i32x4.splat(0x1f83d9ab), 96); v128.store(SH, i32x4.splat(0x5be0cd19), 112);
}

/**
 * One compression in each lane j of the 64 bytes at lanePtr[j] into SH, kept only in the lanes where `keep` is
 * all ones (the other lanes' state is left as it was: their message has ended). As compress: the schedule in 16
 * locals extended in place, the rounds written out 16 at a time with the working variables renamed.
 */
function compress4(keep: v128): void {
  const p0 = <usize>load<u32>(lanePtr, 0), p1 = <usize>load<u32>(lanePtr, 4);
  const p2 = <usize>load<u32>(lanePtr, 8), p3 = <usize>load<u32>(lanePtr, 12);
  // Load 4 words of each message, big-endian, and transpose the 4x4 words so that a v128 holds one word of all four.
  for (let q: usize = 0; q < 64; q += 16) {
    const r0 = bswap4(v128.load(p0 + q)), r1 = bswap4(v128.load(p1 + q));
    const r2 = bswap4(v128.load(p2 + q)), r3 = bswap4(v128.load(p3 + q));
    const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
    const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    const w = SW + (q << 2);
    v128.store(w, i64x2.shuffle(t0, t2, 0, 2), 0); v128.store(w, i64x2.shuffle(t0, t2, 1, 3), 16);
    v128.store(w, i64x2.shuffle(t1, t3, 0, 2), 32); v128.store(w, i64x2.shuffle(t1, t3, 1, 3), 48);
  }
  let w0 = v128.load(SW, 0), w1 = v128.load(SW, 16), w2 = v128.load(SW, 32), w3 = v128.load(SW, 48);
  let w4 = v128.load(SW, 64), w5 = v128.load(SW, 80), w6 = v128.load(SW, 96), w7 = v128.load(SW, 112);
  let w8 = v128.load(SW, 128), w9 = v128.load(SW, 144), w10 = v128.load(SW, 160), w11 = v128.load(SW, 176);
  let w12 = v128.load(SW, 192), w13 = v128.load(SW, 208), w14 = v128.load(SW, 224), w15 = v128.load(SW, 240);
  let a = v128.load(SH, 0), b = v128.load(SH, 16), c = v128.load(SH, 32), d = v128.load(SH, 48);
  let e = v128.load(SH, 64), f = v128.load(SH, 80), g = v128.load(SH, 96), h = v128.load(SH, 112);
  let t: v128;
  for (let r: usize = 0; r < 64 << 4; r += 256) {
    if (r != 0) {
      w0 = add4(add4(w0, vssig0(w1)), add4(w9, vssig1(w14)));
      w1 = add4(add4(w1, vssig0(w2)), add4(w10, vssig1(w15)));
      w2 = add4(add4(w2, vssig0(w3)), add4(w11, vssig1(w0)));
      w3 = add4(add4(w3, vssig0(w4)), add4(w12, vssig1(w1)));
      w4 = add4(add4(w4, vssig0(w5)), add4(w13, vssig1(w2)));
      w5 = add4(add4(w5, vssig0(w6)), add4(w14, vssig1(w3)));
      w6 = add4(add4(w6, vssig0(w7)), add4(w15, vssig1(w4)));
      w7 = add4(add4(w7, vssig0(w8)), add4(w0, vssig1(w5)));
      w8 = add4(add4(w8, vssig0(w9)), add4(w1, vssig1(w6)));
      w9 = add4(add4(w9, vssig0(w10)), add4(w2, vssig1(w7)));
      w10 = add4(add4(w10, vssig0(w11)), add4(w3, vssig1(w8)));
      w11 = add4(add4(w11, vssig0(w12)), add4(w4, vssig1(w9)));
      w12 = add4(add4(w12, vssig0(w13)), add4(w5, vssig1(w10)));
      w13 = add4(add4(w13, vssig0(w14)), add4(w6, vssig1(w11)));
      w14 = add4(add4(w14, vssig0(w15)), add4(w7, vssig1(w12)));
      w15 = add4(add4(w15, vssig0(w0)), add4(w8, vssig1(w13)));
    }
    const k = K4 + r;
    t = add4(add4(h, vbsig1(e)), add4(v128.bitselect(f, g, e), add4(w0, v128.load(k, 0)))); d = add4(d, t); h = add4(t, add4(vbsig0(a), vmaj(a, b, c)));
    t = add4(add4(g, vbsig1(d)), add4(v128.bitselect(e, f, d), add4(w1, v128.load(k, 16)))); c = add4(c, t); g = add4(t, add4(vbsig0(h), vmaj(h, a, b)));
    t = add4(add4(f, vbsig1(c)), add4(v128.bitselect(d, e, c), add4(w2, v128.load(k, 32)))); b = add4(b, t); f = add4(t, add4(vbsig0(g), vmaj(g, h, a)));
    t = add4(add4(e, vbsig1(b)), add4(v128.bitselect(c, d, b), add4(w3, v128.load(k, 48)))); a = add4(a, t); e = add4(t, add4(vbsig0(f), vmaj(f, g, h)));
    t = add4(add4(d, vbsig1(a)), add4(v128.bitselect(b, c, a), add4(w4, v128.load(k, 64)))); h = add4(h, t); d = add4(t, add4(vbsig0(e), vmaj(e, f, g)));
    t = add4(add4(c, vbsig1(h)), add4(v128.bitselect(a, b, h), add4(w5, v128.load(k, 80)))); g = add4(g, t); c = add4(t, add4(vbsig0(d), vmaj(d, e, f)));
    t = add4(add4(b, vbsig1(g)), add4(v128.bitselect(h, a, g), add4(w6, v128.load(k, 96)))); f = add4(f, t); b = add4(t, add4(vbsig0(c), vmaj(c, d, e)));
    t = add4(add4(a, vbsig1(f)), add4(v128.bitselect(g, h, f), add4(w7, v128.load(k, 112)))); e = add4(e, t); a = add4(t, add4(vbsig0(b), vmaj(b, c, d)));
    t = add4(add4(h, vbsig1(e)), add4(v128.bitselect(f, g, e), add4(w8, v128.load(k, 128)))); d = add4(d, t); h = add4(t, add4(vbsig0(a), vmaj(a, b, c)));
    t = add4(add4(g, vbsig1(d)), add4(v128.bitselect(e, f, d), add4(w9, v128.load(k, 144)))); c = add4(c, t); g = add4(t, add4(vbsig0(h), vmaj(h, a, b)));
    t = add4(add4(f, vbsig1(c)), add4(v128.bitselect(d, e, c), add4(w10, v128.load(k, 160)))); b = add4(b, t); f = add4(t, add4(vbsig0(g), vmaj(g, h, a)));
    t = add4(add4(e, vbsig1(b)), add4(v128.bitselect(c, d, b), add4(w11, v128.load(k, 176)))); a = add4(a, t); e = add4(t, add4(vbsig0(f), vmaj(f, g, h)));
    t = add4(add4(d, vbsig1(a)), add4(v128.bitselect(b, c, a), add4(w12, v128.load(k, 192)))); h = add4(h, t); d = add4(t, add4(vbsig0(e), vmaj(e, f, g)));
    t = add4(add4(c, vbsig1(h)), add4(v128.bitselect(a, b, h), add4(w13, v128.load(k, 208)))); g = add4(g, t); c = add4(t, add4(vbsig0(d), vmaj(d, e, f)));
    t = add4(add4(b, vbsig1(g)), add4(v128.bitselect(h, a, g), add4(w14, v128.load(k, 224)))); f = add4(f, t); b = add4(t, add4(vbsig0(c), vmaj(c, d, e)));
    t = add4(add4(a, vbsig1(f)), add4(v128.bitselect(g, h, f), add4(w15, v128.load(k, 240)))); e = add4(e, t); a = add4(t, add4(vbsig0(b), vmaj(b, c, d)));
  }
  v128.store(SH, v128.bitselect(add4(v128.load(SH, 0), a), v128.load(SH, 0), keep), 0);
  v128.store(SH, v128.bitselect(add4(v128.load(SH, 16), b), v128.load(SH, 16), keep), 16);
  v128.store(SH, v128.bitselect(add4(v128.load(SH, 32), c), v128.load(SH, 32), keep), 32);
  v128.store(SH, v128.bitselect(add4(v128.load(SH, 48), d), v128.load(SH, 48), keep), 48);
  v128.store(SH, v128.bitselect(add4(v128.load(SH, 64), e), v128.load(SH, 64), keep), 64);
  v128.store(SH, v128.bitselect(add4(v128.load(SH, 80), f), v128.load(SH, 80), keep), 80);
  v128.store(SH, v128.bitselect(add4(v128.load(SH, 96), g), v128.load(SH, 96), keep), 96);
  v128.store(SH, v128.bitselect(add4(v128.load(SH, 112), h), v128.load(SH, 112), keep), 112);
}

/** Lane j's hash (SH, transposed back, big-endian) into the 32 bytes at dst, for the first m lanes (dsts at `dsts`, u32). */
function storeLanes(dsts: usize, m: i32): void {
  for (let half: usize = 0; half < 128; half += 64) {
    const s0 = v128.load(SH + half, 0), s1 = v128.load(SH + half, 16), s2 = v128.load(SH + half, 32), s3 = v128.load(SH + half, 48);
    const t0 = i32x4.shuffle(s0, s1, 0, 4, 1, 5), t1 = i32x4.shuffle(s0, s1, 2, 6, 3, 7);
    const t2 = i32x4.shuffle(s2, s3, 0, 4, 1, 5), t3 = i32x4.shuffle(s2, s3, 2, 6, 3, 7);
    const o = half >> 2;
    v128.store(<usize>load<u32>(dsts, 0) + o, bswap4(i64x2.shuffle(t0, t2, 0, 2)));
    if (m > 1) v128.store(<usize>load<u32>(dsts, 4) + o, bswap4(i64x2.shuffle(t0, t2, 1, 3)));
    if (m > 2) v128.store(<usize>load<u32>(dsts, 8) + o, bswap4(i64x2.shuffle(t1, t3, 0, 2)));
    if (m > 3) v128.store(<usize>load<u32>(dsts, 12) + o, bswap4(i64x2.shuffle(t1, t3, 1, 3)));
  }
}

/** The first `len & 63` bytes at `src` (a message's last, partial block) and the padding of a `len`-byte message, into `dst`; returns how many blocks that makes (1 or 2). */
function padTail(src: usize, len: usize, dst: usize): usize {
  const rest = len & 63;
  memory.copy(dst, src, rest);
  store<u8>(dst + rest, 0x80);
  const blocks: usize = rest < 56 ? 1 : 2;
  memory.fill(dst + rest + 1, 0, blocks * 64 - rest - 1 - 8);
  store<u64>(dst + blocks * 64 - 8, bswap<u64>((<u64>len) << 3));
  return blocks;
}

/** Per lane: its message's first byte, its whole blocks there, where its hash goes. */
const laneData: usize = memory.data(16, 16);
const laneFull: usize = memory.data(16, 16);
const laneDst: usize = memory.data(16, 16);

/**
 * The leaves ord[0..m) (2 <= m <= 4; u32 indices) hashed in the lanes, into nodes. The messages may differ in block
 * count: each lane's state stops changing after its own last block. Lanes from m on repeat leaf ord[0], unused.
 */
function leaves4(ord: usize, m: i32): void {
  let most: u32 = 0;
  for (let j: i32 = 0; j < 4; j++) {
    const lane: i32 = j < m ? j : 0;
    const i = <usize>load<u32>(ord + (<usize>lane << 2));
    const from = load<u32>(offs + (i << 2)), to = load<u32>(offs + (i << 2), 4);
    const len = <usize>(to - from);
    const full = len >> 6;
    const at = <usize>j << 2;
    const blocks = <u32>(full + padTail(io + from + (full << 6), len, laneTail + (<usize>j << 7)));
    store<u32>(laneData + at, io + from);
    store<u32>(laneFull + at, full);
    store<u32>(laneBlocks + at, blocks);
    store<u32>(laneDst + at, nodes + (i << 5));
    if (blocks > most) most = blocks;
  }
  initSH();
  const counts = v128.load(laneBlocks);
  for (let b: u32 = 0; b < most; b++) {
    for (let at: usize = 0; at < 16; at += 4) {
      const full = load<u32>(laneFull + at);
      const tail = laneTail + (at << 5);
      let p: usize;
      if (b < full) p = load<u32>(laneData + at) + (b << 6);
      else if (b < load<u32>(laneBlocks + at)) p = tail + ((b - full) << 6);
      else p = tail;
      store<u32>(lanePtr + at, p);
    }
    compress4(i32x4.gt_u(counts, i32x4.splat(b)));
  }
  storeLanes(laneDst, m);
}

/** nodes[i + j] = SHA-256(0x01 || nodes[2(i + j)] || nodes[2(i + j) + 1]) for j < m (2 <= m <= 4), in the lanes. */
function pairs4(i: usize, m: i32): void {
  for (let j: i32 = 0; j < 4; j++) {
    const lane: i32 = j < m ? j : 0;
    const src = nodes + ((i + <usize>lane) << 6);
    const pair = lanePair + (<usize>j << 7);
    v128.store(pair, v128.load(src, 0), 1); v128.store(pair, v128.load(src, 16), 17);
    v128.store(pair, v128.load(src, 32), 33); v128.store(pair, v128.load(src, 48), 49);
    store<u32>(lanePtr + (<usize>j << 2), pair);
    store<u32>(laneDst + (<usize>j << 2), nodes + ((i + <usize>j) << 5));
  }
  initSH();
  const all = i32x4.splat(-1);
  compress4(all);
  v128.store(lanePtr, add4(v128.load(lanePtr), i32x4.splat(64)));
  compress4(all);
  storeLanes(laneDst, m);
}

/** nodes[i] = SHA-256(0x01 || nodes[2i] || nodes[2i + 1]), scalar. */
function pair1(i: usize): void {
  const src = nodes + (i << 6);
  v128.store(lanePair, v128.load(src, 0), 1); v128.store(lanePair, v128.load(src, 16), 17);
  v128.store(lanePair, v128.load(src, 32), 33); v128.store(lanePair, v128.load(src, 48), 49);
  initH();
  compress(lanePair);
  compress(lanePair + 64);
  const dst = nodes + (i << 5);
  for (let k: usize = 0; k < 32; k += 4) store<u32>(dst + k, bswap<u32>(load<u32>(H + k)));
}

/** Leaf indices ordered by block count (1, 2, .., 7, 8 or more), so that a group of four mostly has one count. */
const order: usize = memory.data(4 * 4096, 16);
const bucket: usize = memory.data(4 * 9, 16);

/** The bucket of leaf i: its block count, 8 for 8 or more, less one. */
@inline function leafBucket(i: usize): usize {
  const blocks = (<usize>(load<u32>(offs + (i << 2), 4) - load<u32>(offs + (i << 2))) + 72) >> 6;
  return blocks < 8 ? blocks - 1 : 7;
}

/**
 * The RFC 6962 root of `n` leaves (1 <= n <= MAX_LEAVES): leaf i is the SHA-256 of I/O bytes offsets[i]..offsets[i+1]
 * (the caller writes the 0x00 prefix), node SHA-256(0x01 || left || right), an odd last node promoted unchanged.
 * The leaf hashes stay at nodes[0..n) only until the tree is built over them. Into the output area.
 *
 * Four hashes at a time: the leaves in groups of four of about the same block count (a counting sort by block
 * count), then each level's pairs; a group of one is hashed scalar.
 */
export function fieldRoot(n: i32): void {
  const count = <usize>n;
  memory.fill(bucket, 0, 4 * 9);
  for (let i: usize = 0; i < count; i++) {
    const at = bucket + ((leafBucket(i) + 1) << 2);
    store<u32>(at, load<u32>(at) + 1);
  }
  for (let at = bucket + 4; at < bucket + 4 * 9; at += 4) store<u32>(at, load<u32>(at) + load<u32>(at - 4));
  for (let i: usize = 0; i < count; i++) {
    const at = bucket + (leafBucket(i) << 2);
    const k = load<u32>(at);
    store<u32>(order + (<usize>k << 2), <u32>i);
    store<u32>(at, k + 1);
  }
  let g: usize = 0;
  for (; g + 4 <= count; g += 4) leaves4(order + (g << 2), 4);
  const left = <i32>(count - g);
  if (left >= 2) leaves4(order + (g << 2), left);
  else if (left == 1) {
    const i = <usize>load<u32>(order + (g << 2));
    const from = load<u32>(offs + (i << 2)), to = load<u32>(offs + (i << 2), 4);
    sha256At(io + from, to - from, nodes + (i << 5));
  }
  let width = count;
  while (width > 1) {
    const half = width >> 1;
    let i: usize = 0;
    for (; i + 4 <= half; i += 4) pairs4(i, 4);
    const rest = <i32>(half - i);
    if (rest >= 2) pairs4(i, rest);
    else if (rest == 1) pair1(i);
    if (width & 1) memory.copy(nodes + (half << 5), nodes + ((width - 1) << 5), 32);
    width = half + (width & 1);
  }
  memory.copy(out, nodes, 32);
}

// keccak-256 (the original padding 0x01), rate 136 bytes.
const RC: StaticArray<u64> = [
  0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000, 0x000000000000808b, 0x0000000080000001,
  0x8000000080008081, 0x8000000000008009, 0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
  0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003, 0x8000000000008002, 0x8000000000000080,
  0x000000000000800a, 0x800000008000000a, 0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
];
const S: usize = memory.data(200, 16);
const kblock: usize = memory.data(136, 16);

function keccakF(): void {
  let a0 = load<u64>(S, 0), a1 = load<u64>(S, 8), a2 = load<u64>(S, 16), a3 = load<u64>(S, 24), a4 = load<u64>(S, 32);
  let a5 = load<u64>(S, 40), a6 = load<u64>(S, 48), a7 = load<u64>(S, 56), a8 = load<u64>(S, 64), a9 = load<u64>(S, 72);
  let a10 = load<u64>(S, 80), a11 = load<u64>(S, 88), a12 = load<u64>(S, 96), a13 = load<u64>(S, 104), a14 = load<u64>(S, 112);
  let a15 = load<u64>(S, 120), a16 = load<u64>(S, 128), a17 = load<u64>(S, 136), a18 = load<u64>(S, 144), a19 = load<u64>(S, 152);
  let a20 = load<u64>(S, 160), a21 = load<u64>(S, 168), a22 = load<u64>(S, 176), a23 = load<u64>(S, 184), a24 = load<u64>(S, 192);
  for (let r = 0; r < 24; r++) {
    // theta
    const c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
    const c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
    const c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
    const c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
    const c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
    const d0 = c4 ^ rotl<u64>(c1, 1);
    const d1 = c0 ^ rotl<u64>(c2, 1);
    const d2 = c1 ^ rotl<u64>(c3, 1);
    const d3 = c2 ^ rotl<u64>(c4, 1);
    const d4 = c3 ^ rotl<u64>(c0, 1);
    // rho and pi: b[y][2x+3y] = rot(a[x][y] ^ d[x], r[x][y]); lane index x + 5y
    const b0 = a0 ^ d0;
    const b10 = rotl<u64>(a1 ^ d1, 1);
    const b20 = rotl<u64>(a2 ^ d2, 62);
    const b5 = rotl<u64>(a3 ^ d3, 28);
    const b15 = rotl<u64>(a4 ^ d4, 27);
    const b16 = rotl<u64>(a5 ^ d0, 36);
    const b1 = rotl<u64>(a6 ^ d1, 44);
    const b11 = rotl<u64>(a7 ^ d2, 6);
    const b21 = rotl<u64>(a8 ^ d3, 55);
    const b6 = rotl<u64>(a9 ^ d4, 20);
    const b7 = rotl<u64>(a10 ^ d0, 3);
    const b17 = rotl<u64>(a11 ^ d1, 10);
    const b2 = rotl<u64>(a12 ^ d2, 43);
    const b12 = rotl<u64>(a13 ^ d3, 25);
    const b22 = rotl<u64>(a14 ^ d4, 39);
    const b23 = rotl<u64>(a15 ^ d0, 41);
    const b8 = rotl<u64>(a16 ^ d1, 45);
    const b18 = rotl<u64>(a17 ^ d2, 15);
    const b3 = rotl<u64>(a18 ^ d3, 21);
    const b13 = rotl<u64>(a19 ^ d4, 8);
    const b14 = rotl<u64>(a20 ^ d0, 18);
    const b24 = rotl<u64>(a21 ^ d1, 2);
    const b9 = rotl<u64>(a22 ^ d2, 61);
    const b19 = rotl<u64>(a23 ^ d3, 56);
    const b4 = rotl<u64>(a24 ^ d4, 14);
    // chi
    a0 = b0 ^ (~b1 & b2); a1 = b1 ^ (~b2 & b3); a2 = b2 ^ (~b3 & b4); a3 = b3 ^ (~b4 & b0); a4 = b4 ^ (~b0 & b1);
    a5 = b5 ^ (~b6 & b7); a6 = b6 ^ (~b7 & b8); a7 = b7 ^ (~b8 & b9); a8 = b8 ^ (~b9 & b5); a9 = b9 ^ (~b5 & b6);
    a10 = b10 ^ (~b11 & b12); a11 = b11 ^ (~b12 & b13); a12 = b12 ^ (~b13 & b14); a13 = b13 ^ (~b14 & b10); a14 = b14 ^ (~b10 & b11);
    a15 = b15 ^ (~b16 & b17); a16 = b16 ^ (~b17 & b18); a17 = b17 ^ (~b18 & b19); a18 = b18 ^ (~b19 & b15); a19 = b19 ^ (~b15 & b16);
    a20 = b20 ^ (~b21 & b22); a21 = b21 ^ (~b22 & b23); a22 = b22 ^ (~b23 & b24); a23 = b23 ^ (~b24 & b20); a24 = b24 ^ (~b20 & b21);
    // iota
    a0 ^= unchecked(RC[r]);
  }
  store<u64>(S, a0, 0); store<u64>(S, a1, 8); store<u64>(S, a2, 16); store<u64>(S, a3, 24); store<u64>(S, a4, 32);
  store<u64>(S, a5, 40); store<u64>(S, a6, 48); store<u64>(S, a7, 56); store<u64>(S, a8, 64); store<u64>(S, a9, 72);
  store<u64>(S, a10, 80); store<u64>(S, a11, 88); store<u64>(S, a12, 96); store<u64>(S, a13, 104); store<u64>(S, a14, 112);
  store<u64>(S, a15, 120); store<u64>(S, a16, 128); store<u64>(S, a17, 136); store<u64>(S, a18, 144); store<u64>(S, a19, 152);
  store<u64>(S, a20, 160); store<u64>(S, a21, 168); store<u64>(S, a22, 176); store<u64>(S, a23, 184); store<u64>(S, a24, 192);
}

function absorb(block: usize): void {
  for (let i: usize = 0; i < 17; i++) store<u64>(S + (i << 3), load<u64>(S + (i << 3)) ^ load<u64>(block + (i << 3)));
  keccakF();
}

/** keccak-256 of the first `len` bytes of the I/O area, into the output area. */
export function keccak256(len: i32): void {
  memory.fill(S, 0, 200);
  let done: usize = 0;
  const n = <usize>len;
  while (n - done >= 136) { absorb(io + done); done += 136; }
  const rest = n - done;
  memory.copy(kblock, io + done, rest);
  memory.fill(kblock + rest, 0, 136 - rest);
  store<u8>(kblock + rest, load<u8>(kblock + rest) | 0x01);
  store<u8>(kblock + 135, load<u8>(kblock + 135) | 0x80);
  absorb(kblock);
  memory.copy(out, S, 32);
}
