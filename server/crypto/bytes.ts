/**
 * The one vocabulary for bytes and hex: `0x` + lowercase hex is how every record, bundle and chain value
 * is written; bytes32 is exactly 32 bytes. Isomorphic (no Buffer), so the browser verifier shares it.
 */

/** A `0x`-prefixed hex string. Records and bundles use lowercase. */
export type Hex = `0x${string}`;

/** `0x` + 64 hex digits of either case. */
export const BYTES32_PATTERN_ANY_CASE = /^0x[0-9a-fA-F]{64}$/;
/** `0x` + 64 lowercase hex digits: the one spelling records commit to. */
export const BYTES32_PATTERN = /^0x[0-9a-f]{64}$/;
/** `0x` + 40 hex digits of either case. */
export const ADDRESS_PATTERN_ANY_CASE = /^0x[0-9a-fA-F]{40}$/;

const HEX_DIGITS = '0123456789abcdef';
const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!);

/** Lowercase hex of `bytes`, without a prefix. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_HEX[bytes[i]!]!;
  return s;
}

/** `0x` + lowercase hex of `bytes` (any length). */
export function toHex0x(bytes: Uint8Array): Hex {
  return `0x${toHex(bytes)}`;
}

/** The value of one hex digit, or -1. */
function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses hex with or without `0x`, either case. Throws `TypeError` for an odd length or a non-hex digit. */
export function fromHex(s: string): Uint8Array {
  const start = s.startsWith('0x') || s.startsWith('0X') ? 2 : 0;
  const n = s.length - start;
  if (n % 2 !== 0) throw new TypeError(`not a hex string (odd length): ${s.slice(0, 20)}`);
  const out = new Uint8Array(n / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(s.charCodeAt(start + 2 * i));
    const lo = nibble(s.charCodeAt(start + 2 * i + 1));
    if (hi < 0 || lo < 0) throw new TypeError(`not a hex string: ${s.slice(0, 20)}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** True for `0x` + 64 hex digits of either case. */
export function isBytes32Hex(hex: unknown): hex is Hex {
  return typeof hex === 'string' && BYTES32_PATTERN_ANY_CASE.test(hex);
}

/** The bytes of several arrays, one after the other. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Byte equality in time that depends only on the lengths. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** `n` (0 <= n < 2^256) as a 32-byte big-endian word. Throws `RangeError` outside that range. */
export function uint256Word(n: bigint | number): Uint8Array {
  let v = BigInt(n);
  if (v < 0n || v >= 1n << 256n) throw new RangeError(`${String(n)} is not a uint256`);
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The unsigned big-endian integer of `bytes`. */
export function bigIntOf(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}
