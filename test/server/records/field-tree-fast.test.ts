/**
 * commitRecord's leaves written element by element (server/records/field-tree.ts leafText) against the reference:
 * the previous code, canonicalString of the whole [salt, name, value] array, hashed by node:crypto. Same roots on
 * random plain records, and on everything else the same refusal with the same message.
 */
import { createHash } from 'node:crypto';
import canonicalizeJcs from 'canonicalize';
import { expect } from 'chai';
import fc from 'fast-check';
import { RecordError, SALT_PATTERN, canonicalString, commitRecord, recordRootOfParsed, type FieldSalts } from '../../../server/records';

const sha = (data: Uint8Array): Uint8Array => createHash('sha256').update(data).digest();

/** RFC 6962 root with node:crypto, as the ledger defines it. */
function referenceRoot(leaves: Uint8Array[]): string {
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(sha(Buffer.concat([Buffer.from([1]), level[i]!, level[i + 1]!])));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return `0x${Buffer.from(level[0]!).toString('hex')}`;
}

/** The commit of given salts as the code did it before the fast path (root only; throws the same RecordErrors). */
function referenceCommit(record: object, salts: FieldSalts): string {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new RecordError('invalid-argument', 'a record must be a plain object');
  const names = Object.entries(record)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k)
    .sort();
  if (names.length === 0) throw new RecordError('invalid-argument', 'a record must have at least one field');
  const used = { ...salts };
  for (const name of names) {
    const salt = Object.hasOwn(used, name) ? used[name] : undefined;
    if (salt === undefined) throw new RecordError('invalid-argument', `no salt for field "${name}"`, { field: name });
    if (typeof salt !== 'string' || !SALT_PATTERN.test(salt)) throw new RecordError('invalid-argument', `salt of field "${name}" must be 32 lowercase hex digits (16 bytes)`, { field: name });
  }
  const extra = Object.keys(used).filter((k) => !names.includes(k));
  if (extra.length > 0) throw new RecordError('invalid-argument', `salts name fields the record does not have: ${extra.join(', ')}`, { field: extra[0]! });
  const values = record as Record<string, unknown>;
  const leaves = names.map((name) => sha(Buffer.concat([Buffer.from([0]), Buffer.from(canonicalString([used[name], name, values[name]]), 'utf8')])));
  return referenceRoot(leaves);
}

/** Either the root or the error's code and message. */
function outcome(fn: () => string): { root: string } | { code: string; message: string } {
  try {
    return { root: fn() };
  } catch (e) {
    if (!(e instanceof RecordError)) throw e;
    return { code: e.code, message: e.message };
  }
}

const saltHex = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex'));
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constant(''), fc.constant('富硒 "引号" \\ \n\u2028'));
const wellFormedText = text.filter((s) => !/[\uD800-\uDFFF]/u.test(s));
const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e21, -0, 0, 5e-324, 1e-7, 0.1 + 0.2, Number.MAX_SAFE_INTEGER, -1e21, 123456789012345680000), fc.integer());
const { value: plainValue } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant(null), fc.boolean(), number, wellFormedText, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(wellFormedText, tie('value'), { maxKeys: 4 })),
}));
const plainRecord = fc.dictionary(wellFormedText.filter((k) => k !== '__proto__'), plainValue, { minKeys: 1, maxKeys: 24 });

class Money {
  constructor(readonly cents: number) {}
}

describe('server/records: commitRecord fast leaves vs the reference', () => {
  it('When a random plain record (unicode, 1e21, -0, nested, empty strings) is committed with its salts, Then the root equals the reference and recordRootOfParsed of its JSON', () => {
    fc.assert(
      fc.property(plainRecord, fc.array(saltHex, { minLength: 24, maxLength: 24 }), (record, saltList) => {
        const salts = Object.fromEntries(Object.keys(record).map((k, i) => [k, saltList[i]!]));
        const got = commitRecord(record, salts).root;
        expect(got).to.equal(referenceCommit(record, salts));
        // Independent of canonical.ts: the canonicalize package's text for every leaf.
        const names = Object.keys(record).sort();
        const leaves = names.map((n) => sha(Buffer.concat([Buffer.from([0]), Buffer.from(canonicalizeJcs([salts[n], n, record[n]])!, 'utf8')])));
        expect(got).to.equal(referenceRoot(leaves));
        expect(recordRootOfParsed(JSON.parse(JSON.stringify(record)) as Record<string, unknown>, salts)).to.equal(got);
      }),
      { numRuns: 400 },
    );
  });

  it('When a record holds what canonical JSON refuses (lone surrogates in values or keys, Date, Map, class instance, bigint, NaN, a cycle, a function, an array hole), Then commit refuses it with the reference message', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const holey: unknown[] = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const bad: unknown[] = [
      '\uD800',
      'ok\uDFFFok',
      { nested: ['x', '\uDBFF'] },
      { ['key\uD83D']: 1 },
      new Date(0),
      new Map([['a', 1]]),
      new Money(5),
      Buffer.from('hi'),
      10n,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      cyclic,
      () => 1,
      Symbol('s'),
      holey,
      [undefined],
      { inner: undefined, other: new Date(0) },
      Object.create({ inherited: 1 }) as object,
    ];
    for (const [i, value] of bad.entries()) {
      const record = { a: 'fine', b: value, c: 3 };
      const salts = { a: 'a'.repeat(32), b: 'b'.repeat(32), c: 'c'.repeat(32) };
      const got = outcome(() => commitRecord(record, salts).root);
      expect(got, `case ${i}`).to.deep.equal(outcome(() => referenceCommit(record, salts)));
      expect('code' in got, `case ${i} refused`).to.equal(true);
    }
  });

  it('When a field name has a lone surrogate, Then commit refuses it with the reference message', () => {
    const record = { ['na\uD800me']: 1, b: 2 };
    const salts = { ['na\uD800me']: 'a'.repeat(32), b: 'b'.repeat(32) };
    const got = outcome(() => commitRecord(record, salts).root);
    expect(got).to.deep.equal(outcome(() => referenceCommit(record, salts)));
    expect(got).to.have.property('code', 'invalid-json');
  });

  it('When salts are missing, extra, malformed, inherited or not strings, Then commit refuses exactly as the reference', () => {
    const record = { a: 1, b: 'two', c: [3] };
    const good = { a: '1'.repeat(32), b: '2'.repeat(32), c: '3'.repeat(32) };
    const hidden = Object.defineProperty({ a: good.a, b: good.b, x: good.c }, 'c', { value: good.c, enumerable: false });
    const cases: FieldSalts[] = [
      { a: good.a, b: good.b },
      { ...good, d: '4'.repeat(32) },
      { ...good, c: 'C'.repeat(32) },
      { ...good, c: '3'.repeat(31) },
      { ...good, c: 3 as unknown as string },
      Object.create(good) as FieldSalts,
      { a: good.a, b: good.b, c: good.c, ['__proto__']: good.a },
      hidden,
      { a: good.a, b: good.b, c: undefined as unknown as string, x: good.c },
    ];
    for (const [i, salts] of cases.entries()) {
      const got = outcome(() => commitRecord(record, salts).root);
      expect(got, `case ${i}`).to.deep.equal(outcome(() => referenceCommit(record, salts)));
      expect('code' in got, `case ${i} refused`).to.equal(true);
    }
  });

  it('When a record has undefined fields or a prototype-less object, Then both paths agree (absent fields, plain data)', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: 'v' });
    const record = { a: undefined, b: bare, c: -0, d: 1e21, e: '' };
    const salts = { b: 'b'.repeat(32), c: 'c'.repeat(32), d: 'd'.repeat(32), e: 'e'.repeat(32) };
    expect(commitRecord(record, salts).root).to.equal(referenceCommit(record, salts));
  });
});
