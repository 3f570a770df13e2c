import { expect } from 'chai';
import fc from 'fast-check';
import { MAX_SPLIT_ELEMENTS, parseSplitJson } from '../../../server/http/split-json';

/** What the whole-body path gives: the UTF-8 decode and JSON.parse (undefined when it throws). */
const whole = (buf: Buffer, start = 0): unknown => {
  try {
    return JSON.parse(buf.toString('utf8', start)) as unknown;
  } catch {
    return undefined;
  }
};

/** Holds the split parse to the whole one: it answers nothing, or exactly what JSON.parse answers (which must not throw). */
function agrees(buf: Buffer, start = 0): unknown {
  const split = parseSplitJson(buf, start);
  if (split !== undefined) {
    const expected = whole(buf, start);
    expect(expected, `JSON.parse refuses what the split parse took: ${buf.toString('utf8').slice(0, 200)}`).to.not.equal(undefined);
    expect(split).to.deep.equal(expected);
    expect(Object.getPrototypeOf(split)).to.equal(Object.prototype);
  }
  return split;
}

const b = (text: string) => Buffer.from(text, 'utf8');

describe('server/http/split-json parseSplitJson: a bulk body element by element, the same value as JSON.parse or none', () => {
  it('When a body is one member holding an array (whitespace anywhere JSON allows it), Then its value is the one JSON.parse gives', () => {
    for (const text of [
      '{"reports":[{"a":1},{"b":[2,3]},"x",4,null,true]}',
      ' \t\r\n{ "reports" : [ {"a":1} , [ ] , { } ] } \n',
      '{"reports":[]}',
      '{"reports":[ ]}',
      '{"rep\\u006frts":[1]}',
      '{"reports":["安康 富硒茶", {"实验室":"安康市检验检测中心"}, "😀"]}',
      // Strings holding what the scan must not take for structure: brackets, braces, commas, escaped quotes and backslashes.
      '{"reports":["],[{,}", "a\\"],[", "\\\\", "\\\\\\"]", {"k\\"":"\\\\"}, "\\u0022,\\u005d"]}',
    ]) {
      expect(agrees(b(text)), text).to.deep.equal(JSON.parse(text));
    }
    // Past a byte order mark, as the fast dispatch calls it.
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b('{"reports":[1,2]}')]);
    expect(agrees(bom, 3)).to.deep.equal({ reports: [1, 2] });
  });

  const others: [name: string, text: string][] = [
    ['not an object', '[1,2]'],
    ['a member that is not an array', '{"reports":{"a":1}}'],
    ['two members', '{"reports":[1],"more":2}'],
    ['the member twice', '{"reports":[1],"reports":[2]}'],
    ['no members', '{}'],
    ['an own __proto__ member', '{"__proto__":[1]}'],
    ['an empty element', '{"reports":[1,,2]}'],
    ['a trailing comma', '{"reports":[1,]}'],
    ['a leading comma', '{"reports":[,1]}'],
    ['an element that is not JSON', '{"reports":[{"a":}]}'],
    ['a brace closing the array', '{"reports":[1}]'],
    ['an unclosed array', '{"reports":[1,2'],
    ['an unclosed string', '{"reports":["abc]}'],
    ['trailing data', '{"reports":[1]} x'],
    ['two bodies', '{"reports":[1]}{"reports":[2]}'],
    ['a single-quoted string', "{'reports':[1]}"],
    ['an unquoted key', '{reports:[1]}'],
    ['a control character in a string', '{"reports":["a\u0001b"]}'],
    ['a bad escape', '{"reports":["\\x41"]}'],
    ['nothing', ''],
  ];
  for (const [name, text] of others) {
    it(`When the body is ${name}, Then the split parse answers nothing (the whole parse decides)`, () => {
      expect(agrees(b(text))).to.equal(undefined);
    });
  }

  it(`When a body holds more than ${MAX_SPLIT_ELEMENTS} elements (tiny ones would cost more parsed one by one), Then the whole parse takes it`, () => {
    const of = (n: number) => b(`{"reports":[${Array(n).fill('1').join(',')}]}`);
    expect((agrees(of(MAX_SPLIT_ELEMENTS)) as { reports: unknown[] }).reports).to.have.length(MAX_SPLIT_ELEMENTS);
    expect(agrees(of(MAX_SPLIT_ELEMENTS + 1))).to.equal(undefined);
    expect(agrees(of(120_000))).to.equal(undefined);
  });

  it('When an element holds bytes that are not UTF-8, Then each is replaced as the whole decode replaces it', () => {
    const bad = Buffer.concat([b('{"reports":["a'), Buffer.from([0xe5, 0xae]), b('",{"k":"'), Buffer.from([0xff, 0xc3]), b('"},"'), Buffer.from([0xf0, 0x9f, 0x98]), b('"]}')]);
    expect(agrees(bad)).to.not.equal(undefined);
  });

  it('When bodies of random JSON (any Unicode, escapes) come in that shape, Then each value is the one JSON.parse gives', () => {
    const ws = fc.constantFrom('', ' ', '\n', '\t ', '\r\n');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 8 }), fc.array(fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), { maxLength: 8 }), ws, ws, (key, elements, w1, w2) => {
        fc.pre(key !== '__proto__');
        const text = `${w1}{${w2}${JSON.stringify(key)}${w1}:${w2}[${elements.map((e) => `${w2}${JSON.stringify(e)}${w1}`).join(',')}]${w2}}${w1}`;
        expect(agrees(b(text))).to.deep.equal(JSON.parse(text));
      }),
      { numRuns: 1500 },
    );
  });

  it('When such bodies are damaged at random (a byte inserted, removed or replaced), Then the split parse gives JSON.parse\'s value or nothing', () => {
    const structural = fc.constantFrom(...'{}[],:"\\ \n0a'.split('').map((c) => c.charCodeAt(0)), 0xe5, 0xff, 0x00);
    let taken = 0;
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('insert', 'remove', 'replace'), byte: fc.oneof(structural, fc.integer({ min: 0, max: 255 })) }), { minLength: 1, maxLength: 3 }),
        (elements, damage) => {
          const bytes = [...b(JSON.stringify({ reports: elements }))];
          for (const { at, op, byte } of damage) {
            const i = at % (bytes.length + 1);
            if (op === 'insert') bytes.splice(i, 0, byte);
            else if (op === 'remove') bytes.splice(i, 1);
            else bytes[Math.min(i, bytes.length - 1)] = byte;
          }
          if (agrees(Buffer.from(bytes)) !== undefined) taken++;
        },
      ),
      { numRuns: 3000 },
    );
    // Some damage leaves valid JSON of the shape (a digit changed, a space added): the split parse took those.
    expect(taken).to.be.greaterThan(50);
  });
});
