/** The one hex form records use for 32-byte values (declared in server/crypto/bytes): `0x` + 64 lowercase hex digits. */
import { BYTES32_PATTERN_ANY_CASE, fromHex, isBytes32Hex, toHex0x, type Hex } from '../crypto/bytes';
import { RecordError } from './errors';

export { isBytes32Hex, toHex0x, type Hex };

/** The 32 bytes of `hex`. Requires `0x` + 64 hex digits (either case); throws `RecordError('invalid-argument')` naming `what`. */
export function bytes32FromHex(hex: unknown, what = 'value'): Uint8Array {
  if (typeof hex !== 'string' || !BYTES32_PATTERN_ANY_CASE.test(hex)) {
    throw new RecordError('invalid-argument', `${what} must be 0x followed by 64 hex digits`);
  }
  return fromHex(hex);
}
