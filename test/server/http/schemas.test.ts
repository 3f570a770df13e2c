import { expect } from 'chai';
import fc from 'fast-check';
import { requiredFieldMessage } from '../../../server/records';
import { ReportEnvelope, plainReportEnvelope } from '../../../server/http/schemas';

/** What zod answers for `value`: its output, or undefined when it refuses. */
const byZod = (value: unknown): unknown => {
  const parsed = ReportEnvelope.safeParse(value, { error: requiredFieldMessage });
  return parsed.success ? parsed.data : undefined;
};

const SIGNATURE = `0x${'ab'.repeat(64)}1b`;
/** A report body as a lab's tooling sends it (the envelope does not look into the record). */
const body = (): Record<string, unknown> => ({
  record: { id: 'CMA-1', batchId: 'B-1', result: 0.31, lab: { name: 'Lab', cmaNumber: 'CMA' } },
  salts: { id: '0'.repeat(32), batchId: '1'.repeat(32), result: '2'.repeat(32), lab: '3'.repeat(32) },
  signature: SIGNATURE,
});

/** Holds the hand-written check to zod: whatever it lets through, zod passes with the same output. */
function agreesWithZod(value: unknown): void {
  const quick = plainReportEnvelope(value);
  if (quick === undefined) return;
  const zod = byZod(value);
  expect(zod, `zod refuses what the fast check let through: ${JSON.stringify(value)}`).to.not.equal(undefined);
  expect(quick).to.deep.equal(zod);
}

describe('server/http/schemas plainReportEnvelope: the report envelope without zod, never looser than zod', () => {
  it('When a well-formed body comes (with or without its type), Then the fast check takes it, with what zod would give', () => {
    for (const b of [body(), { ...body(), type: 'SeleniumTestReport' }, { ...body(), salts: {} }, { ...body(), signature: SIGNATURE.toUpperCase().replace('0X', '0x') }]) {
      expect(plainReportEnvelope(b)).to.equal(b);
      expect(byZod(b)).to.deep.equal(b);
    }
    // As JSON.parse gives it.
    const parsed: unknown = JSON.parse(JSON.stringify(body()));
    expect(plainReportEnvelope(parsed)).to.equal(parsed);
  });

  const refused: [string, (b: Record<string, unknown>) => unknown][] = [
    ['another member at the top', (b) => ({ ...b, extra: 1 })],
    ['no record', ({ record: _r, ...b }) => b],
    ['no salts', ({ salts: _s, ...b }) => b],
    ['no signature', ({ signature: _s, ...b }) => b],
    ['another type', (b) => ({ ...b, type: 'Batch' })],
    ['a type of null', (b) => ({ ...b, type: null })],
    ['the record an array', (b) => ({ ...b, record: [] })],
    ['the record null', (b) => ({ ...b, record: null })],
    ['the record a string', (b) => ({ ...b, record: 'x' })],
    ['the salts an array', (b) => ({ ...b, salts: ['0'.repeat(32)] })],
    ['a salt that is a number', (b) => ({ ...b, salts: { ...(b.salts as object), id: 1 } })],
    ['a salt that is null', (b) => ({ ...b, salts: { ...(b.salts as object), id: null } })],
    ['a signature without 0x', (b) => ({ ...b, signature: (b.signature as string).slice(2) })],
    ['a signature a byte short', (b) => ({ ...b, signature: (b.signature as string).slice(0, -2) })],
    ['a signature with a non-hex digit', (b) => ({ ...b, signature: `${(b.signature as string).slice(0, -1)}g` })],
    ['a signature with a newline after it', (b) => ({ ...b, signature: `${b.signature as string}\n` })],
    ['a signature that is a number', (b) => ({ ...b, signature: 1 })],
    ['the body an array', (b) => [b]],
    ['the body null', () => null],
    ['a body with another prototype', (b) => Object.assign(Object.create({ inherited: 1 }) as object, b)],
    // JSON.parse makes "__proto__" an own member; zod's copy would set a prototype instead, so zod decides.
    ['an own __proto__ member at the top', (b) => JSON.parse(`{"__proto__":{},${JSON.stringify(b).slice(1)}`) as unknown],
    ['an own __proto__ member in the salts', (b) => ({ ...b, salts: JSON.parse(`{"__proto__":"${'4'.repeat(32)}",${JSON.stringify(b.salts).slice(1)}`) as unknown })],
    ['an own __proto__ member in the record', (b) => ({ ...b, record: JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(b.record).slice(1)}`) as unknown })],
  ];
  for (const [name, change] of refused) {
    it(`When the body has ${name}, Then the fast check leaves it to zod`, () => {
      const value = change(body());
      expect(plainReportEnvelope(value)).to.equal(undefined);
      agreesWithZod(value);
    });
  }

  it('When bodies are mutated at random (members added, removed, replaced by any JSON value), Then nothing the fast check takes is refused or changed by zod', () => {
    const member = fc.constantFrom('record', 'salts', 'signature', 'type', 'extra', '__proto__', 'constructor', 'toString');
    const json = fc.jsonValue({ maxDepth: 2 });
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('set' as const), key: member, value: fc.oneof(json, fc.constant(SIGNATURE), fc.constant('SeleniumTestReport'), fc.constant({}), fc.constant(body().salts)) }),
      fc.record({ op: fc.constant('delete' as const), key: member }),
      fc.record({ op: fc.constant('salt' as const), key: fc.oneof(member, fc.string({ maxLength: 4 })), value: json }),
      fc.record({ op: fc.constant('reparse' as const) }),
    );
    let taken = 0;
    fc.assert(
      fc.property(fc.array(mutation, { maxLength: 4 }), (mutations) => {
        let value: Record<string, unknown> = body();
        for (const m of mutations) {
          if (m.op === 'set') value = JSON.parse(JSON.stringify({ ...value, [m.key]: m.value })) as Record<string, unknown>;
          else if (m.op === 'delete') delete value[m.key];
          else if (m.op === 'salt' && typeof value.salts === 'object' && value.salts !== null) value = { ...value, salts: JSON.parse(JSON.stringify({ ...value.salts, [m.key]: m.value })) as unknown };
          else if (m.op === 'reparse') value = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
        }
        if (plainReportEnvelope(value) !== undefined) taken++;
        agreesWithZod(value);
      }),
      { numRuns: 3000 },
    );
    // The fuzz reached both sides of the check.
    expect(taken).to.be.greaterThan(100);
  });
});
