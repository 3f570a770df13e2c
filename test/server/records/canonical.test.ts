/** RFC 8785 canonical JSON: the RFC's own examples, Appendix B numbers, and strict rejection of non-JSON values. */
import { expect } from 'chai';
import canonicalizeJcs from 'canonicalize';
import fc from 'fast-check';
import { canonicalBytes, canonicalNumber, canonicalString } from '../../../server/records';
import { expectRecordError } from './fixtures';

function float64FromBits(bits: bigint): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

describe('records/canonical', () => {
  describe('RFC 8785 known answers', () => {
    it('When the RFC 8785 §3.2.2 example is canonicalised, Then the text and UTF-8 bytes are the RFC\'s', () => {
      const input = String.raw`{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
      }`;
      const want = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
      // RFC 8785 §3.2.4, as printed there.
      const wantHex = [
        '7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72',
        '75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a',
        '5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31',
        '65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37',
        '5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30',
        '30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d',
      ]
        .join(' ')
        .replace(/ /g, '');

      const value: unknown = JSON.parse(input);

      expect(canonicalString(value)).to.equal(want);
      expect(Buffer.from(canonicalBytes(value)).toString('hex')).to.equal(wantHex);
    });

    it('When keys include non-ASCII and astral characters (RFC 8785 §3.2.3), Then they sort by UTF-16 code units', () => {
      const input = String.raw`{
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis"
      }`;
      const want =
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';

      expect(canonicalString(JSON.parse(input))).to.equal(want);
    });

    // RFC 8785 Appendix B: IEEE 754 bit patterns and their required serialisation.
    const APPENDIX_B: [bigint, string][] = [
      [0x0000000000000000n, '0'],
      [0x8000000000000000n, '0'],
      [0x0000000000000001n, '5e-324'],
      [0x8000000000000001n, '-5e-324'],
      [0x7fefffffffffffffn, '1.7976931348623157e+308'],
      [0xffefffffffffffffn, '-1.7976931348623157e+308'],
      [0x4340000000000000n, '9007199254740992'],
      [0xc340000000000000n, '-9007199254740992'],
      [0x4430000000000000n, '295147905179352830000'],
      [0x44b52d02c7e14af5n, '9.999999999999997e+22'],
      [0x44b52d02c7e14af6n, '1e+23'],
      [0x44b52d02c7e14af7n, '1.0000000000000001e+23'],
      [0x444b1ae4d6e2ef4en, '999999999999999700000'],
      [0x444b1ae4d6e2ef4fn, '999999999999999900000'],
      [0x444b1ae4d6e2ef50n, '1e+21'],
      [0x3eb0c6f7a0b5ed8cn, '9.999999999999997e-7'],
      [0x3eb0c6f7a0b5ed8dn, '0.000001'],
      [0x41b3de4355555553n, '333333333.3333332'],
      [0x41b3de4355555554n, '333333333.33333325'],
      [0x41b3de4355555555n, '333333333.3333333'],
      [0x41b3de4355555556n, '333333333.3333334'],
      [0x41b3de4355555557n, '333333333.33333343'],
      [0xbecbf647612f3696n, '-0.0000033333333333333333'],
      [0x43143ff3c1cb0959n, '1424953923781206.2'],
    ];

    it('When the RFC 8785 Appendix B numbers are serialised, Then each has the required form', () => {
      for (const [bits, want] of APPENDIX_B) {
        const n = float64FromBits(bits);
        expect(canonicalString(n), `bits 0x${bits.toString(16)}`).to.equal(want);
        expect(canonicalNumber(n)).to.equal(want);
      }
    });

    it('When the Appendix B non-finite patterns (NaN, ±Infinity) are given, Then they are rejected as invalid-json', () => {
      for (const bits of [0x7fffffffffffffffn, 0x7ff0000000000000n, 0xfff0000000000000n]) {
        expectRecordError(() => canonicalString({ n: float64FromBits(bits) }), 'invalid-json');
      }
      expectRecordError(() => canonicalNumber(Number.NaN), 'invalid-json');
    });
  });

  describe('strictness', () => {
    it('When a member is undefined, Then canonicalisation fails naming its path (the package alone would drop it)', () => {
      const error = expectRecordError(() => canonicalString({ a: { b: [1, undefined] } }), 'invalid-json');

      expect(error.message).to.contain('$.a.b[1]').and.to.contain('undefined');
    });

    it('When an array has a hole, Then it is rejected like an undefined element', () => {
      // eslint-disable-next-line no-sparse-arrays
      expectRecordError(() => canonicalString([1, , 3]), 'invalid-json');
    });

    it('When a value is a Date, Map, Buffer, class instance, bigint, function or symbol, Then it is rejected', () => {
      class Money {
        amount = 1;
      }
      const bad: unknown[] = [new Date(0), new Map(), Buffer.from('x'), new Money(), 1n, () => 1, Symbol('s')];
      for (const value of bad) expectRecordError(() => canonicalString({ value }), 'invalid-json');
    });

    it('When a string or key has a lone surrogate, Then it is rejected (RFC 8785 requires I-JSON strings)', () => {
      expectRecordError(() => canonicalString('\ud83d'), 'invalid-json');
      expectRecordError(() => canonicalString({ ['a\ude00']: 1 }), 'invalid-json');
      expect(canonicalString('\ud83d\ude00')).to.equal('"😀"');
    });

    it('When a value contains itself, Then it is rejected as a cycle', () => {
      const loop: Record<string, unknown> = {};
      loop.self = loop;
      expectRecordError(() => canonicalString(loop), 'invalid-json');
    });

    it('When the same object appears twice without a cycle, Then it is accepted', () => {
      const shared = { x: 1 };
      expect(canonicalString({ a: shared, b: shared })).to.equal('{"a":{"x":1},"b":{"x":1}}');
    });

    it('When -0 is serialised, Then it is "0"', () => {
      expect(canonicalString({ z: -0 })).to.equal('{"z":0}');
    });

    it('When a null-prototype object is given, Then it is treated as a plain object', () => {
      const o = Object.create(null) as Record<string, unknown>;
      o.b = 2;
      o.a = 1;
      expect(canonicalString(o)).to.equal('{"a":1,"b":2}');
    });
  });

  describe('properties', () => {
    it('When any JSON value is canonicalised, parsed and canonicalised again, Then the text is unchanged', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          const once = canonicalString(value);
          expect(canonicalString(JSON.parse(once))).to.equal(once);
          expect(Buffer.from(canonicalBytes(value)).toString('utf8')).to.equal(once);
        }),
        { numRuns: 300 },
      );
    });

    it('When any JSON value (any Unicode, deep nesting, odd numbers) is canonicalised, Then the text is the canonicalize package\'s', () => {
      // canonicalString writes checked plain data itself; the package (RFC 8785's reference port) is the cross-check.
      const deep = fc.letrec((tie) => ({
        value: fc.oneof(
          { depthSize: 'large' },
          fc.jsonValue(),
          fc.array(tie('value'), { maxLength: 3 }),
          fc.dictionary(fc.string({ unit: 'binary' }).filter((k) => !/[\uD800-\uDFFF]/u.test(k)), tie('value'), { maxKeys: 3 }),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.string({ unit: 'binary' }).filter((s) => !/[\uD800-\uDFFF]/u.test(s)),
        ),
      })).value;
      fc.assert(
        fc.property(deep, (value) => {
          expect(canonicalString(value)).to.equal(canonicalizeJcs(value));
        }),
        { numRuns: 500 },
      );
    });

    it('When a value is nested deeper than the fast path goes, Then it is canonicalised all the same', () => {
      let value: unknown = 'leaf';
      for (let i = 0; i < 200; i++) value = i % 2 === 0 ? [value] : { k: value };
      expect(canonicalString(value)).to.equal(canonicalizeJcs(value));
    });

    it('When a plain object carries a toJSON function or an undefined deep inside, Then it is rejected, not serialised', () => {
      expectRecordError(() => canonicalString({ a: [{ toJSON: () => 1 }] }), 'invalid-json');
      expectRecordError(() => canonicalString([[[{ x: undefined }]]]), 'invalid-json');
      expectRecordError(() => canonicalString({ n: Number.NaN }), 'invalid-json');
    });

    it('When an object\'s keys are inserted in another order, Then its canonical form is the same', () => {
      fc.assert(
        fc.property(fc.dictionary(fc.string({ unit: 'grapheme' }), fc.integer()), (dict) => {
          const reversed = Object.fromEntries(Object.entries(dict).reverse());
          expect(canonicalString(reversed)).to.equal(canonicalString(dict));
        }),
        { numRuns: 200 },
      );
    });
  });
});
