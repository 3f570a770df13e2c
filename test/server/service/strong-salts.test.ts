/** assertStrongSalts counts byte values in a bit set: the same verdicts, codes, messages and details as the code it replaced, on random and adversarial salts. */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { AppError } from '../../../server/errors';
import { MIN_DISTINCT_SALT_BYTES, assertStrongSalts, distinctSaltBytes } from '../../../server/service/ingest-rules';

/** The previous assertStrongSalts, verbatim. */
function referenceAssert(salts: Readonly<Record<string, string>>): void {
  const firstFieldOf = new Map<string, string>();
  for (const field of Object.keys(salts).sort()) {
    const salt = salts[field]!;
    if (/^0+$/.test(salt)) throw new AppError('weak-salt', `the salt of field "${field}" is all zero; each salt must be 16 random bytes`, { field });
    const distinct = distinctSaltBytes(salt);
    if (distinct < MIN_DISTINCT_SALT_BYTES) {
      throw new AppError(
        'weak-salt',
        `the salt of field "${field}" has only ${distinct} distinct byte values among its 16 (at least ${MIN_DISTINCT_SALT_BYTES} required); each salt must be 16 random bytes`,
        { field, distinctBytes: distinct },
      );
    }
    const other = firstFieldOf.get(salt);
    if (other !== undefined) {
      throw new AppError('weak-salt', `fields "${other}" and "${field}" have the same salt; each field needs its own 16 random bytes`, { field, otherField: other });
    }
    firstFieldOf.set(salt, field);
  }
}

function outcome(salts: Record<string, string>, fn: (s: Record<string, string>) => void): unknown {
  try {
    fn(salts);
    return 'accepted';
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    return { code: e.code, message: e.message, details: e.details };
  }
}

/** Salts from a few bytes repeated, random bytes, zeros, other cases and lengths. */
const salt = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex')),
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.uint8Array({ minLength: 16, maxLength: 16 })).map(([k, b]) => Buffer.from(b.map((_, i) => b[i % k]!)).toString('hex')),
  fc.integer({ min: 0, max: 40 }).map((n) => '0'.repeat(n)),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex').toUpperCase()),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxz'), minLength: 0, maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

describe('server/service: assertStrongSalts (bit-set count)', () => {
  it('When random and adversarial salts are checked, Then the verdict, code, message and details equal the previous code', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), salt, { maxKeys: 24 }), fc.boolean(), (salts, duplicate) => {
        const keys = Object.keys(salts);
        if (duplicate && keys.length >= 2) salts[keys[1]!] = salts[keys[0]!]!;
        expect(outcome(salts, assertStrongSalts)).to.deep.equal(outcome(salts, referenceAssert));
      }),
      { numRuns: 1000 },
    );
  });

  it('When salts are fresh random bytes, Then they are accepted; when one has 7 distinct bytes, it is refused naming its count', () => {
    for (let i = 0; i < 200; i++) {
      const salts = Object.fromEntries(Array.from({ length: 22 }, (_, j) => [`f${j}`, randomBytes(16).toString('hex')]));
      expect(outcome(salts, assertStrongSalts)).to.equal(outcome(salts, referenceAssert));
    }
    const seven = Buffer.from(Array.from({ length: 16 }, (_, i) => (i % 7) * 37)).toString('hex');
    const got = outcome({ a: randomBytes(16).toString('hex'), b: seven }, assertStrongSalts);
    expect(got).to.deep.include({ code: 'weak-salt', details: { field: 'b', distinctBytes: 7 } });
  });

  it('When salts are all zero, equal, uppercase or odd-length, Then each verdict equals the previous code', () => {
    const r = randomBytes(16).toString('hex');
    const cases: Record<string, string>[] = [
      { a: '0'.repeat(32) },
      { a: '0' },
      { a: '' },
      { a: r, b: r },
      { a: r.toUpperCase() },
      { a: `${r}0` },
      { a: `${r.slice(0, 31)}g` },
      { a: '00'.repeat(15) + '01' },
    ];
    for (const salts of cases) expect(outcome(salts, assertStrongSalts), JSON.stringify(salts)).to.deep.equal(outcome(salts, referenceAssert));
  });
});
