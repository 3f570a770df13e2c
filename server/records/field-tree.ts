/**
 * The salted field tree of a record (ARCHITECTURE.md, "Fixed cryptography"): the record root and selective disclosure.
 *
 * - Each top-level field `name` with value `value` becomes the leaf data
 *   `canonical([salt, name, value])` (RFC 8785 UTF-8), where `salt` is 16 random bytes written as
 *   32 lowercase hex digits (no 0x) — a fresh salt per field, so a withheld field cannot be guessed
 *   from its leaf hash.
 * - Fields whose value is `undefined` are absent (as in JSON); any other value must be canonicalisable.
 * - Leaves are ordered by field name with JavaScript's default sort, i.e. by UTF-16 code units
 *   (the same order RFC 8785 uses for object keys). Record field names are ASCII, so this is
 *   also byte order.
 * - The tree is RFC 6962: leaf hash SHA-256(0x00 || data) as the ledger's `leafHash` (hashed here in one piece from the text), node hash
 *   SHA-256(0x01 || left || right), computed by the ledger's own tree code (`rootHash`, `inclusionProof`:
 *   one SHA-256 per leaf and per node), so paths verify with the ledger's `verifyInclusion`. It is the
 *   tree merkletreejs builds with `hashLeaves: false`, no sorting and odd nodes promoted unchanged (the
 *   shape ARCHITECTURE.md names); the tests keep merkletreejs as a cross-check, the code no longer uses it.
 * - Roots and path elements are bytes32 hex: `0x` + 64 lowercase hex digits.
 *
 * Uniqueness of field names is what a schema (strict object) guarantees; the server recomputes the
 * root from the full record at ingestion, so a signer cannot commit two leaves with one name.
 */
import { randomBytes } from 'node:crypto';
import { primitives, sha256 } from '../crypto/primitives';
import { inclusionProof, rootHash, type Hash } from '../ledger/rfc6962';
import { canonicalString, canonicalStringOfParsed, plainCanonicalString, type JsonValue } from './canonical';
import { SALT_PATTERN, type Disclosure } from './disclosure';
import { RecordError } from './errors';
import { toHex0x, type Hex } from './hex';
import { publicFieldNames, type RecordType } from './schemas';

export { fieldLeafData, fieldLeafHash, SALT_PATTERN, verifyDisclosures, type Disclosure } from './disclosure';

/** Salts by field name. */
export type FieldSalts = Record<string, string>;

/** What {@link commitRecord} returns. */
export interface RecordCommitment {
  /** The record root (bytes32 hex). */
  root: Hex;
  /** The salt of every field; keep them with the record (the holder needs them to disclose). */
  salts: FieldSalts;
  /** The field names in leaf order. */
  fieldNames: string[];
  /** Number of leaves (= fieldNames.length). */
  leafCount: number;
}

/** What {@link discloseFields} returns. */
export interface DisclosureSet {
  root: Hex;
  leafCount: number;
  /** In leaf order. */
  disclosures: Disclosure[];
}

/** A fresh salt: 16 bytes from the OS CSPRNG, as 32 hex digits. */
export function newSalt(): string {
  return randomBytes(16).toString('hex');
}

/** The names of the fields of `record` (own keys whose value is not undefined), in leaf order. */
export function fieldNamesOfRecord(record: object): string[] {
  requirePlainObject(record);
  // Own enumerable string keys, as Object.entries gives them, without building the pairs.
  const names: string[] = [];
  const values = record as Record<string, unknown>;
  for (const key in values) if (Object.hasOwn(values, key) && values[key] !== undefined) names.push(key);
  return names.sort();
}

interface BuiltTree {
  names: string[];
  /** The field leaf hashes in leaf order. */
  leaves: Hash[];
}

function buildTree(record: object, salts: FieldSalts, opts: { checkSalts: boolean } = { checkSalts: true }): BuiltTree {
  const names = fieldNamesOfRecord(record);
  return { names, leaves: leavesOf(record, salts, names, opts) };
}

/** The field leaf hashes of `record`'s fields `names` (from fieldNamesOfRecord), the salts checked first if asked. */
function leavesOf(record: object, salts: FieldSalts, names: readonly string[], opts: { checkSalts: boolean }): Hash[] {
  return leafTextsOf(record, salts, names, opts).map(textLeafHash);
}

/** The leaf texts (with their U+0000 prefix, see {@link textLeafHash}) of `record`'s fields `names`, the salts checked first if asked. */
function leafTextsOf(record: object, salts: FieldSalts, names: readonly string[], opts: { checkSalts: boolean }): string[] {
  if (names.length === 0) throw new RecordError('invalid-argument', 'a record must have at least one field');
  if (opts.checkSalts) checkSalts(names, salts);
  const values = record as Record<string, unknown>;
  return names.map((name) => `\u0000${leafText(saltAsStored(salts, name), name, values[name])}`);
}

/**
 * The RFC 6962 root of the leaves of `texts` (leaf texts with their U+0000 prefix): in one call where the installed
 * primitives take a whole tree (the server's WebAssembly), else leaf by leaf and the ledger's `rootHash`. The same bytes.
 */
function rootOfLeafTexts(texts: string[]): Hash {
  return primitives().rootOfLeafTexts?.(texts) ?? rootHash(texts.map(textLeafHash));
}

/**
 * canonical([salt, name, value]): RFC 8785 writes an array as its elements' canonical texts joined by commas,
 * so each element is written on its own (no array built and walked again). Anything that is not plain data
 * takes canonicalString of the whole array, which throws the same error, naming the same path, as before.
 */
function leafText(salt: string, name: string, value: unknown): string {
  const s = plainCanonicalString(salt);
  const n = plainCanonicalString(name);
  const v = plainCanonicalString(value);
  if (s === null || n === null || v === null) return canonicalString([salt, name, value]);
  return `[${s},${n},${v}]`;
}

/**
 * The RFC 6962 leaf hash SHA-256(0x00 || utf8(text)) of a field's leaf text, given as `\u0000${text}`: the same
 * bytes as the ledger's `leafHash(fieldLeafData(…))`, hashed in one piece (U+0000 is the single UTF-8 byte 0x00)
 * with Buffer's UTF-8 encoder, much cheaper than TextEncoder on short strings, and without copying the data behind a prefix.
 */
function textLeafHash(prefixedText: string): Hash {
  return sha256(Buffer.from(prefixedText, 'utf8'));
}

/**
 * Commits to every field of `record`: returns the record root, the salts and the leaf order.
 * With `salts` (e.g. from a lab's tooling, to recompute its root on the server) they must name
 * exactly the record's fields, each a 32-hex-digit salt; without, fresh salts are drawn.
 * Requires a plain object with at least one field, every value canonicalisable.
 * Call it on the output of `parseRecord`, so both sides commit to the same normalised record.
 */
export function commitRecord(record: object, salts?: FieldSalts): RecordCommitment {
  const names = fieldNamesOfRecord(record);
  const used: FieldSalts = salts === undefined ? Object.fromEntries(names.map((n) => [n, newSalt()])) : { ...salts };
  return { root: toHex0x(rootOfLeafTexts(leafTextsOf(record, used, names, { checkSalts: true }))), salts: used, fieldNames: names, leafCount: names.length };
}

/** The leaf hashes of `record` in leaf order (for cross-checks against the ledger's `rootHash`). */
export function fieldLeafHashes(record: object, salts: FieldSalts): Hash[] {
  return buildTree(record, salts).leaves;
}

/** The record root from the leaf hashes of {@link fieldLeafHashes} and the ledger's `rootHash`: the same as {@link commitRecord}'s. */
export function recordRootViaLedger(record: object, salts: FieldSalts): Hex {
  return toHex0x(rootHash(fieldLeafHashes(record, salts)));
}

/**
 * Discloses the fields `names` of `record` committed with `salts`: value, salt, leaf index and
 * path for each, in leaf order, with the root and leaf count a verifier needs.
 * Requires every name to be a field of the record, without repeats.
 */
export function discloseFields(record: object, salts: FieldSalts, names: readonly string[]): DisclosureSet {
  return disclose(record, salts, names, { checkSalts: true });
}

/**
 * Like {@link discloseFields}, without checking the salts: a salt that is missing, not a string or not
 * 32 hex digits is disclosed as stored (missing as ''), so a damaged stored record still yields a bundle
 * and the verifier names the damaged field at checkFieldDisclosures. Only for records read back from the
 * store, never for new ones. Requires every name to be a field of the record, without repeats, and every
 * value canonicalisable.
 */
export function discloseFieldsAsStored(record: object, salts: unknown, names: readonly string[]): DisclosureSet {
  const asStored = typeof salts === 'object' && salts !== null && !Array.isArray(salts) ? (salts as FieldSalts) : {};
  return disclose(record, asStored, names, { checkSalts: false });
}

/** A field's salt as stored: the string, '' when missing, anything else as its JSON text (never a valid salt). */
function saltAsStored(salts: FieldSalts, name: string): string {
  const salt: unknown = Object.hasOwn(salts, name) ? salts[name] : undefined;
  if (typeof salt === 'string') return salt;
  return salt === undefined ? '' : (JSON.stringify(salt) ?? '');
}

function disclose(record: object, salts: FieldSalts, names: readonly string[], opts: { checkSalts: boolean }): DisclosureSet {
  const built = buildTree(record, salts, opts);
  const wanted = new Set<string>();
  for (const name of names) {
    if (wanted.has(name)) throw new RecordError('invalid-argument', `field "${name}" is asked for twice`, { field: name });
    if (!built.names.includes(name)) throw new RecordError('invalid-argument', `the record has no field "${name}"`, { field: name });
    wanted.add(name);
  }
  const values = record as Record<string, unknown>;
  const disclosures: Disclosure[] = [];
  built.names.forEach((name, index) => {
    if (!wanted.has(name)) return;
    const path = inclusionProof(built.leaves, index).map((h) => toHex0x(h));
    disclosures.push({ name, value: values[name] as JsonValue, salt: saltAsStored(salts, name), index, path });
  });
  return { root: toHex0x(rootHash(built.leaves)), leafCount: built.names.length, disclosures };
}

/** Discloses the PUBLIC fields (per the visibility table of `type`) that `record` has. */
export function disclosePublicFields(type: RecordType, record: object, salts: FieldSalts): DisclosureSet {
  const present = new Set(fieldNamesOfRecord(record));
  return discloseFields(record, salts, publicFieldNames(type).filter((n) => present.has(n)));
}

function checkSalts(names: readonly string[], salts: FieldSalts): void {
  if (typeof salts !== 'object' || salts === null) throw new RecordError('invalid-argument', 'salts must be an object of field name → salt');
  for (const name of names) {
    const salt = Object.hasOwn(salts, name) ? salts[name] : undefined;
    if (salt === undefined) throw new RecordError('invalid-argument', `no salt for field "${name}"`, { field: name });
    if (typeof salt !== 'string' || !SALT_PATTERN.test(salt)) {
      throw new RecordError('invalid-argument', `salt of field "${name}" must be 32 lowercase hex digits (16 bytes)`, { field: name });
    }
  }
  const named = new Set(names);
  const extra = Object.keys(salts).filter((k) => !named.has(k));
  if (extra.length > 0) {
    throw new RecordError('invalid-argument', `salts name fields the record does not have: ${extra.join(', ')}`, { field: extra[0]! });
  }
}

function requirePlainObject(record: unknown): asserts record is object {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new RecordError('invalid-argument', 'a record must be a plain object');
  }
}

/**
 * The record root of a stored body and its salts (the salted field tree of ARCHITECTURE.md), or null when
 * the salts do not name exactly the body's fields. Requires `body` to come from JSON.parse.
 * The hot path of trail verification: one SHA-256 per field leaf and per node. The leaf data is the canonical
 * JSON of [salt, name, value], written as text (for a parsed value, canonical JSON is JSON.stringify's strings
 * and numbers with sorted keys) and encoded with Buffer.from, much cheaper than TextEncoder on short strings.
 */
export function recordRootOfParsed(body: Record<string, unknown>, salts: Record<string, string>): Hex | null {
  const names = Object.keys(body)
    .filter((k) => body[k] !== undefined)
    .sort();
  if (names.length === 0 || Object.keys(salts).length !== names.length) return null;
  const texts: string[] = [];
  for (const name of names) {
    const salt = Object.hasOwn(salts, name) ? salts[name] : undefined;
    if (typeof salt !== 'string') return null;
    // A well-formed salt (32 hex digits) needs no escaping; anything else is written as JSON.stringify writes it.
    const saltJson = SALT_PATTERN.test(salt) ? `"${salt}"` : JSON.stringify(salt);
    texts.push(`\u0000[${saltJson},${nameJson(name)},${canonicalStringOfParsed(body[name])}]`);
  }
  return toHex0x(rootOfLeafTexts(texts));
}

/** Field names as JSON strings, remembered: records of a type share their names (bounded: stored bodies may hold any). */
const nameJsons = new Map<string, string>();
const NAME_JSONS_MAX = 512;

function nameJson(name: string): string {
  let json = nameJsons.get(name);
  if (json === undefined) {
    json = JSON.stringify(name);
    if (nameJsons.size < NAME_JSONS_MAX) nameJsons.set(name, json);
  }
  return json;
}
