/** The salted field tree: same root as the ledger's RFC 6962 code, and selective disclosure that names the failing field. */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { MerkleTree } from 'merkletreejs';
import { inclusionProof, leafHash, rootHash, toHex } from '../../../server/ledger/rfc6962';
import {
  RECORD_TYPES,
  canonicalBytes,
  commitRecord,
  discloseFields,
  disclosePublicFields,
  fieldLeafData,
  fieldLeafHashes,
  fieldNamesOfRecord,
  publicFieldNames,
  recordRootOfParsed,
  recordRootViaLedger,
  verifyDisclosures,
  type Disclosure,
  type DisclosureSet,
} from '../../../server/records';
import { RECORD_BUILDERS, buildReport, expectRecordError } from './fixtures';

const ZERO_SALT = '0'.repeat(32);

/**
 * The field tree as ARCHITECTURE.md first defined it, built with merkletreejs: leaves pre-hashed with the 0x00
 * prefix (hashLeaves: false), a concatenator adding 0x01, no sorting, an odd last node promoted unchanged.
 * The code computes it with the ledger's tree; this is the cross-check.
 */
function merkletreejsFieldTree(leaves: readonly Uint8Array[]): MerkleTree {
  const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();
  return new MerkleTree(
    leaves.map((l) => Buffer.from(l)),
    sha256,
    { hashLeaves: false, sortLeaves: false, sortPairs: false, sort: false, duplicateOdd: false, concatenator: (inputs: Buffer[]) => Buffer.concat([Buffer.from([0x01]), ...inputs]) },
  );
}

function flipHexDigit(hex: string, position: number): string {
  const digit = hex[position]!;
  const flipped = digit === '0' ? '1' : '0';
  return hex.slice(0, position) + flipped + hex.slice(position + 1);
}

function withDisclosure(set: DisclosureSet, name: string, change: (d: Disclosure) => Disclosure): Disclosure[] {
  return set.disclosures.map((d) => (d.name === name ? change(d) : d));
}

describe('records/field-tree', () => {
  describe('commitment', () => {
    for (const type of RECORD_TYPES) {
      it(`When a ${type} is committed, Then its root equals the ledger rootHash of the name-sorted salted leaves`, () => {
        const record = RECORD_BUILDERS[type]();

        const { root, salts, fieldNames, leafCount } = commitRecord(record);

        expect(fieldNames).to.deep.equal(Object.keys(record).sort());
        expect(leafCount).to.equal(fieldNames.length);
        const leaves = fieldNames.map((n) => leafHash(canonicalBytes([salts[n], n, (record as Record<string, unknown>)[n]])));
        expect(root).to.equal(`0x${toHex(rootHash(leaves))}`);
        expect(recordRootViaLedger(record, salts)).to.equal(root);
      });
    }

    it('When any record of random fields is committed, Then merkletreejs (the shape ARCHITECTURE.md names) agrees on root and on every path, and so does the stored-body root', () => {
      fc.assert(
        fc.property(
          fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 40 }),
          (record) => {
            const { root, salts, fieldNames } = commitRecord(record);
            const leaves = fieldLeafHashes(record, salts);
            expect(root).to.equal(`0x${toHex(rootHash(leaves))}`);
            const tree = merkletreejsFieldTree(leaves);
            expect(root).to.equal(`0x${tree.getRoot().toString('hex')}`);
            // The trail verifier's hot path, on the record as a store reads it back.
            expect(recordRootOfParsed(JSON.parse(JSON.stringify(record)) as Record<string, unknown>, salts)).to.equal(root);
            const set = discloseFields(record, salts, fieldNames);
            set.disclosures.forEach((d, i) => {
              expect(d.index).to.equal(i);
              expect(d.path).to.deep.equal(inclusionProof(leaves, i).map((h) => `0x${toHex(h)}`));
              expect(d.path).to.deep.equal(tree.getProof(Buffer.from(leaves[i]!), i).map((step) => `0x${step.data.toString('hex')}`));
            });
            // Object key order puts integer-like keys first, so compare as sorted lists.
            expect(Object.keys(verifyDisclosures(set.disclosures, set.leafCount, root)).sort()).to.deep.equal(fieldNames);
          },
        ),
        { numRuns: 150 },
      );
    });

    it('When a field leaf is built, Then its data is canonical([salt, name, value]) in UTF-8', () => {
      const data = fieldLeafData(ZERO_SALT, 'sample', { name: '富硒绿茶', id: 'S1' });
      expect(Buffer.from(data).toString('utf8')).to.equal(`["${ZERO_SALT}","sample",{"id":"S1","name":"富硒绿茶"}]`);
    });

    it('When field names mix cases, accents and astral characters, Then leaves follow UTF-16 code-unit order (plain JS sort)', () => {
      const record = { b: 1, B: 2, é: 3, '\u{1F600}': 4, '\uFB33': 5, a: 6 };
      // '\u{1F600}' is the surrogate pair D83D DE00, which sorts before U+FB33 by code units (not by code point).
      expect(fieldNamesOfRecord(record)).to.deep.equal(['B', 'a', 'b', 'é', '\u{1F600}', '\uFB33']);
      expect(commitRecord(record).fieldNames).to.deep.equal(['B', 'a', 'b', 'é', '\u{1F600}', '\uFB33']);
    });

    it('When salts are supplied, Then the same record always gives the same root (the lab and the server agree)', () => {
      const report = buildReport();
      const first = commitRecord(report);
      expect(commitRecord(report, first.salts).root).to.equal(first.root);
      expect(commitRecord(JSON.parse(JSON.stringify(report)) as object, first.salts).root).to.equal(first.root);
    });

    it('When salts are drawn, Then each field gets a fresh 16-byte salt and the root changes every time', () => {
      const report = buildReport();
      const a = commitRecord(report);
      const b = commitRecord(report);
      expect(a.root).to.not.equal(b.root);
      for (const name of a.fieldNames) {
        expect(a.salts[name]).to.match(/^[0-9a-f]{32}$/);
        expect(a.salts[name]).to.not.equal(b.salts[name]);
      }
      expect(new Set(Object.values(a.salts)).size).to.equal(a.fieldNames.length);
    });

    it('When any field value changes, Then the root changes', () => {
      const report = buildReport();
      const { root, salts } = commitRecord(report);
      expect(commitRecord({ ...report, result: 0.36 }, salts).root).to.not.equal(root);
    });

    it('When supplied salts miss a field, name an extra one or are malformed, Then commit fails naming the field', () => {
      const report = buildReport();
      const { salts } = commitRecord(report);
      const missing: Record<string, string> = { ...salts };
      delete missing.result;
      expect(expectRecordError(() => commitRecord(report, missing), 'invalid-argument').field).to.equal('result');
      expect(expectRecordError(() => commitRecord(report, { ...salts, price: ZERO_SALT }), 'invalid-argument').field).to.equal('price');
      expect(expectRecordError(() => commitRecord(report, { ...salts, unit: 'ABC' }), 'invalid-argument').field).to.equal('unit');
      expectRecordError(() => commitRecord(report, { ...salts, unit: salts.unit!.toUpperCase() }), 'invalid-argument');
    });

    it('When a top-level value is undefined, Then the field is absent, as in JSON', () => {
      const report = buildReport();
      const { salts, root } = commitRecord(report);
      expect(commitRecord({ ...report, extra: undefined }, salts).root).to.equal(root);
    });

    it('When a record is empty, an array or holds a non-JSON value, Then commit fails', () => {
      expectRecordError(() => commitRecord({}), 'invalid-argument');
      expectRecordError(() => commitRecord([1, 2]), 'invalid-argument');
      expectRecordError(() => commitRecord({ when: new Date(0) }), 'invalid-json');
    });
  });

  describe('disclosure', () => {
    const report = buildReport();
    const { root, salts, fieldNames } = commitRecord(report);

    it('When any subset of fields is disclosed, Then it verifies and returns exactly those values', () => {
      fc.assert(
        fc.property(fc.shuffledSubarray(fieldNames, { minLength: 1 }), (names) => {
          const set = discloseFields(report, salts, names);
          expect(set.root).to.equal(root);
          const verified = verifyDisclosures([...set.disclosures].reverse(), set.leafCount, root);
          expect(Object.keys(verified)).to.deep.equal([...names].sort());
          for (const n of names) expect(verified[n]).to.deep.equal((report as Record<string, unknown>)[n]);
        }),
        { numRuns: 100 },
      );
    });

    it('When only public fields are disclosed, Then private fields are withheld and the record still verifies', () => {
      const set = disclosePublicFields('SeleniumTestReport', report, salts);

      const verified = verifyDisclosures(set.disclosures, set.leafCount, root);

      expect(Object.keys(verified)).to.deep.equal(publicFieldNames('SeleniumTestReport'));
      for (const hidden of ['client', 'sampling', 'signatories']) expect(verified).to.not.have.property(hidden);
      const published = JSON.stringify(set);
      for (const secret of [report.signatories.tester, report.signatories.approver, report.sampling.by, report.client.phone!]) {
        expect(published).to.not.contain(secret);
      }
      expect(set.leafCount).to.equal(fieldNames.length);
    });

    it('When a disclosed value is changed, Then verification fails naming the field', () => {
      const set = discloseFields(report, salts, ['result', 'unit', 'lab']);
      const tampered = withDisclosure(set, 'result', (d) => ({ ...d, value: 0.5 }));

      const error = expectRecordError(() => verifyDisclosures(tampered, set.leafCount, root), 'bad-disclosure');

      expect(error.field).to.equal('result');
      expect(error.message).to.contain('field "result" does not verify against the record root');
    });

    it('When a nested disclosed value is changed, Then verification fails naming the top-level field', () => {
      const set = discloseFields(report, salts, ['lab']);
      const tampered = withDisclosure(set, 'lab', (d) => ({ ...d, value: { ...(d.value as object), cmaNumber: '202727059999' } }));
      expect(expectRecordError(() => verifyDisclosures(tampered, set.leafCount, root), 'bad-disclosure').field).to.equal('lab');
    });

    it('When a disclosed salt is changed, Then verification fails naming the field', () => {
      const set = discloseFields(report, salts, ['conclusion', 'result']);
      const tampered = withDisclosure(set, 'conclusion', (d) => ({ ...d, salt: flipHexDigit(d.salt, 0) }));
      expect(expectRecordError(() => verifyDisclosures(tampered, set.leafCount, root), 'bad-disclosure').field).to.equal('conclusion');
    });

    it('When a disclosed index is changed, Then verification fails naming the field', () => {
      const set = discloseFields(report, salts, ['result']);
      for (const index of [0, set.disclosures[0]!.index + 1, set.leafCount, -1, 1.5]) {
        const tampered = withDisclosure(set, 'result', (d) => ({ ...d, index }));
        expect(expectRecordError(() => verifyDisclosures(tampered, set.leafCount, root), 'bad-disclosure').field, `index ${index}`).to.equal('result');
      }
    });

    it('When any hex digit of any path element is changed, Then verification fails naming the field', () => {
      const set = discloseFields(report, salts, ['unit']);
      const path = set.disclosures[0]!.path;
      for (let element = 0; element < path.length; element++) {
        for (let digit = 2; digit < 66; digit += 7) {
          const tampered = withDisclosure(set, 'unit', (d) => ({ ...d, path: d.path.map((p, i) => (i === element ? (flipHexDigit(p, digit) as typeof p) : p)) }));
          expect(expectRecordError(() => verifyDisclosures(tampered, set.leafCount, root), 'bad-disclosure').field).to.equal('unit');
        }
      }
    });

    it('When a path is truncated, extended or malformed, Then verification fails naming the field', () => {
      const set = discloseFields(report, salts, ['unit']);
      const variants: unknown[] = [
        set.disclosures[0]!.path.slice(1),
        [...set.disclosures[0]!.path, set.disclosures[0]!.path[0]],
        set.disclosures[0]!.path.map((p) => p.slice(2)),
        'not-a-path',
      ];
      for (const path of variants) {
        const tampered = withDisclosure(set, 'unit', (d) => ({ ...d, path: path as Disclosure['path'] }));
        expect(expectRecordError(() => verifyDisclosures(tampered, set.leafCount, root), 'bad-disclosure').field).to.equal('unit');
      }
    });

    it('When a field is renamed, Then verification fails naming the new name', () => {
      const set = discloseFields(report, salts, ['result']);
      const tampered = withDisclosure(set, 'result', (d) => ({ ...d, name: 'loq' }));
      expect(expectRecordError(() => verifyDisclosures(tampered, set.leafCount, root), 'bad-disclosure').field).to.equal('loq');
    });

    it('When the leaf count is impossible for the path or the root is wrong, Then verification fails', () => {
      const set = discloseFields(report, salts, ['result']);
      const index = set.disclosures[0]!.index;
      expectRecordError(() => verifyDisclosures(set.disclosures, index, root), 'bad-disclosure'); // index beyond the tree
      expectRecordError(() => verifyDisclosures(set.disclosures, 1000, root), 'bad-disclosure'); // path of the wrong length
      expectRecordError(() => verifyDisclosures(set.disclosures, 0, root), 'bad-disclosure');
      expectRecordError(() => verifyDisclosures(set.disclosures, set.leafCount, `0x${'00'.repeat(32)}`), 'bad-disclosure');
    });

    it('When the same field is disclosed twice, Then verification fails as out of order', () => {
      const set = discloseFields(report, salts, ['result']);
      const error = expectRecordError(() => verifyDisclosures([...set.disclosures, ...set.disclosures], set.leafCount, root), 'bad-disclosure');
      expect(error.message).to.contain('out of order');
    });

    it('When a leaf was committed out of name order, Then its disclosures are rejected as out of order', () => {
      // A dishonest committer builds the tree with "z" before "a"; both leaves are genuinely in that tree.
      const leaves = [leafHash(fieldLeafData(ZERO_SALT, 'z', 1)), leafHash(fieldLeafData(ZERO_SALT, 'a', 2))];
      const badRoot = `0x${toHex(rootHash(leaves))}` as const;
      const disclosures: Disclosure[] = [
        { name: 'z', value: 1, salt: ZERO_SALT, index: 0, path: [`0x${toHex(leaves[1]!)}`] },
        { name: 'a', value: 2, salt: ZERO_SALT, index: 1, path: [`0x${toHex(leaves[0]!)}`] },
      ];
      expect(expectRecordError(() => verifyDisclosures(disclosures, 2, badRoot), 'bad-disclosure').field).to.equal('a');
    });

    it('When a disclosure is asked for a missing or repeated field, Then it fails naming the field', () => {
      expect(expectRecordError(() => discloseFields(report, salts, ['price']), 'invalid-argument').field).to.equal('price');
      expect(expectRecordError(() => discloseFields(report, salts, ['unit', 'unit']), 'invalid-argument').field).to.equal('unit');
    });

    it('When nothing is disclosed, Then verification succeeds with no values', () => {
      expect(verifyDisclosures([], fieldNames.length, root)).to.deep.equal({});
    });
  });
});
