/** The one hex form records use for 32-byte values: `0x` + 64 lowercase hex digits, as ethers and Solidity tools expect for bytes32. */
import { RecordError } from './errors';

/** A `0x`-prefixed hex string. Records use lowercase. */
export type Hex = `0x${string}`;

const BYTES32_ANY_CASE = /^0x[0-9a-fA-F]{64}$/;

/** `0x` + lowercase hex of `bytes` (any length). */
export function toHex0x(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** The 32 bytes of `hex`. Requires `0x` + 64 hex digits (either case); throws `RecordError('invalid-argument')` naming `what`. */
export function bytes32FromHex(hex: unknown, what = 'value'): Uint8Array {
  if (typeof hex !== 'string' || !BYTES32_ANY_CASE.test(hex)) {
    throw new RecordError('invalid-argument', `${what} must be 0x followed by 64 hex digits`);
  }
  return new Uint8Array(Buffer.from(hex.slice(2), 'hex'));
}

/** True for `0x` + 64 hex digits of either case. */
export function isBytes32Hex(hex: unknown): hex is Hex {
  return typeof hex === 'string' && BYTES32_ANY_CASE.test(hex);
}
