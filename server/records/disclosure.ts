/**
 * Checking disclosed fields against a record root (the salted field tree of ARCHITECTURE.md): the one
 * implementation, isomorphic, used by the server, the CLI and the consumer's browser. Building trees and
 * drawing salts is server-side, in ./field-tree.
 */
import { ProofError, InvalidArgumentError, leafHash, verifyInclusion, type Hash } from '../ledger/rfc6962';
import { canonicalBytes, type JsonValue } from './canonical';
import { RecordError } from './errors';
import { bytes32FromHex, isBytes32Hex, type Hex } from './hex';

/** A field salt: 16 bytes as 32 lowercase hex digits, no 0x. */
export const SALT_PATTERN = /^[0-9a-f]{32}$/;

/** One disclosed field: enough to recompute its leaf and check its path to the record root. */
export interface Disclosure {
  name: string;
  value: JsonValue;
  salt: string;
  /** Leaf index in the field tree. */
  index: number;
  /** RFC 9162 inclusion path, leaf to root, bytes32 hex. */
  path: Hex[];
}

/** The leaf data of one field: canonical([salt, name, value]) as UTF-8. Throws `invalid-json` for a non-JSON value. */
export function fieldLeafData(salt: string, name: string, value: unknown): Uint8Array {
  return canonicalBytes([salt, name, value]);
}

/** The RFC 6962 leaf hash of one field. */
export function fieldLeafHash(salt: string, name: string, value: unknown): Hash {
  return leafHash(fieldLeafData(salt, name, value));
}

/**
 * Checks every disclosure against the record `root` of a tree of `leafCount` leaves, with the
 * ledger's `verifyInclusion`, and that disclosed names are distinct and in leaf order.
 * Returns the verified values by name. Throws `RecordError('bad-disclosure')` with `field` set to
 * the first field that fails (a changed value, salt, index or path all fail here).
 * Requires 1 <= leafCount (a safe integer) and a bytes32 root (hex or bytes).
 * As in RFC 9162, the root does not commit to the size: some wrong leaf counts give the same
 * path shape and still verify, so treat `leafCount` as a hint, never as proof of how many fields exist.
 */
export function verifyDisclosures(
  disclosures: readonly Disclosure[],
  leafCount: number,
  root: Hex | Uint8Array,
): Record<string, JsonValue> {
  if (!Number.isSafeInteger(leafCount) || leafCount < 1) {
    throw new RecordError('bad-disclosure', `leaf count must be a positive integer, got ${String(leafCount)}`);
  }
  const rootBytes = typeof root === 'string' ? bytes32FromHex(root, 'record root') : root;
  if (!Array.isArray(disclosures as unknown)) throw new RecordError('bad-disclosure', 'disclosures must be an array');
  // Every shape first, so a malformed disclosure is named as such, not as the mismatch it causes in another's path.
  const names = disclosures.map(checkDisclosureShape);
  const verified: { name: string; index: number; value: JsonValue }[] = [];
  for (const [i, d] of disclosures.entries()) {
    const name = names[i]!;
    let leaf: Hash;
    try {
      leaf = fieldLeafHash(d.salt, name, d.value);
    } catch (cause) {
      throw new RecordError('bad-disclosure', `field "${name}" has a value that is not JSON: ${(cause as Error).message}`, { field: name, cause });
    }
    try {
      verifyInclusion({ index: d.index, size: leafCount, leafHash: leaf, proof: d.path.map((p) => bytes32FromHex(p)), root: rootBytes });
    } catch (cause) {
      if (cause instanceof ProofError || cause instanceof InvalidArgumentError || cause instanceof RecordError) {
        throw new RecordError('bad-disclosure', `field "${name}" does not verify against the record root: ${cause.message}`, { field: name, cause });
      }
      throw cause;
    }
    verified.push({ name, index: d.index, value: d.value });
  }
  // Leaves are sorted by name and names are unique, so disclosed names must increase with the index.
  verified.sort((a, b) => a.index - b.index);
  for (let i = 1; i < verified.length; i++) {
    const before = verified[i - 1]!;
    const after = verified[i]!;
    if (!(before.name < after.name)) {
      throw new RecordError(
        'bad-disclosure',
        `field "${after.name}" (index ${after.index}) is out of order with field "${before.name}" (index ${before.index}): leaves are sorted by name, each once`,
        { field: after.name },
      );
    }
  }
  return Object.fromEntries(verified.map((v) => [v.name, v.value]));
}

function checkDisclosureShape(d: Disclosure): string {
  if (typeof d !== 'object' || d === null) throw new RecordError('bad-disclosure', 'a disclosure must be an object');
  const name: unknown = d.name;
  if (typeof name !== 'string' || name === '') throw new RecordError('bad-disclosure', 'a disclosure must name its field');
  const bad = (what: string): never => {
    throw new RecordError('bad-disclosure', `field "${name}": ${what}`, { field: name });
  };
  if (typeof d.salt !== 'string' || !SALT_PATTERN.test(d.salt)) bad('salt must be 32 lowercase hex digits');
  if (!Number.isSafeInteger(d.index) || d.index < 0) bad('index must be a non-negative integer');
  if (!Array.isArray(d.path) || !d.path.every(isBytes32Hex)) bad('path must be a list of 0x-prefixed 32-byte hex hashes');
  if (!('value' in d)) bad('value is missing');
  return name;
}
