/** Ethereum addresses: EIP-55 checksums, and the address of a secp256k1 public key. Isomorphic. */
import { ADDRESS_PATTERN_ANY_CASE, toHex, utf8 } from './bytes';
import { keccak256 } from './primitives';

/** True for `0x` + 40 hex digits whose mixed case, if any, is a correct EIP-55 checksum. */
export function isAddress(s: unknown): s is string {
  if (typeof s !== 'string' || !ADDRESS_PATTERN_ANY_CASE.test(s)) return false;
  const body = s.slice(2);
  if (body === body.toLowerCase() || body === body.toUpperCase()) return true;
  return checksumAddress(s.toLowerCase()) === s;
}

/** The EIP-55 checksummed form of an address. Throws `TypeError` unless `isAddress(s)`. */
export function checksumAddress(s: string): string {
  if (!ADDRESS_PATTERN_ANY_CASE.test(s)) throw new TypeError(`not an address: ${String(s).slice(0, 50)}`);
  const lower = s.slice(2).toLowerCase();
  const hash = keccak256(utf8(lower));
  let out = '0x';
  // Digit i is uppercased when nibble i of the hash (high nibble first) is 8 or more.
  for (let i = 0; i < 40; i++) out += (i & 1 ? hash[i >> 1]! & 8 : hash[i >> 1]! & 0x80) !== 0 ? lower[i]!.toUpperCase() : lower[i]!;
  if (s.slice(2) !== lower && s.slice(2) !== lower.toUpperCase() && out !== s) throw new TypeError(`bad EIP-55 checksum: ${s}`);
  return out;
}

/** The lowercase address of a 64-byte uncompressed public key (x || y): the last 20 bytes of its keccak-256. */
export function addressOfPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 64) throw new TypeError('a public key must be 64 bytes x || y');
  return `0x${toHex(keccak256(publicKey).subarray(12))}`;
}
