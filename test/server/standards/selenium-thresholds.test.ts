/** The shipped selenium threshold file: it validates, holds ARCHITECTURE.md, domain §2, and every kind of bad edit fails loudly. */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, parseThresholdTable, seleniumThresholds, toNanogramsPerKg } from '../../../server/standards';
import type { StandardsErrorCode } from '../../../server/standards';
import { readThresholdTableFile } from '../../../server/standards/load-file';
import shipped from '../../../server/standards/selenium-thresholds.v1.json';

type RawTable = typeof shipped;

/** A fresh, mutable copy of the shipped file. */
function edit(): RawTable {
  return structuredClone(shipped);
}

function at<T>(items: T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`test setup: no item ${index}`);
  return item;
}

function thresholdIndex(t: RawTable, standard: string, category: string, tier: string): number {
  const i = t.thresholds.findIndex((th) => th.standard === standard && th.category === category && th.tier === tier);
  if (i < 0) throw new Error(`test setup: no threshold ${standard} / ${category} / ${tier}`);
  return i;
}

function standardIndex(t: RawTable, code: string): number {
  const i = t.standards.findIndex((s) => s.code === code);
  if (i < 0) throw new Error(`test setup: no standard ${code}`);
  return i;
}

/** Runs `fn`, expecting an InvalidArgumentError; returns it. */
function rejection(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidArgumentError);
    return e as InvalidArgumentError;
  }
  return expect.fail('expected an InvalidArgumentError');
}

const PADDY = (t: RawTable): number => thresholdIndex(t, 'GB/T 22499-2008', 'paddy-rice', 'selenium-rich');
const CEREAL_RICH = (t: RawTable): number => thresholdIndex(t, 'DB61/T 556-2018', 'cereal-products-shaanxi', 'selenium-rich');
const CEREAL_CONTAINING = (t: RawTable): number => thresholdIndex(t, 'DB61/T 556-2018', 'cereal-products-shaanxi', 'selenium-containing');
const GB_2008 = (t: RawTable): number => standardIndex(t, 'GB/T 22499-2008');

/**
 * A bad edit, named after what it breaks: `mutate` edits a copy of the file in place, or `replace` returns
 * something else to load; `wantPath` (computed on the unedited file) is the path the error must name.
 */
interface BadEdit {
  readonly desc: string;
  readonly mutate?: (t: RawTable) => void;
  readonly replace?: (t: RawTable) => unknown;
  readonly wantErr: StandardsErrorCode;
  readonly wantPath?: (t: RawTable) => string;
}

const BAD_EDITS: readonly BadEdit[] = [
  { desc: 'unknown-format-version', replace: (t) => ({ ...t, format: 'traceledger-selenium-thresholds-v2' }), wantErr: 'UNKNOWN_THRESHOLD_FORMAT' },
  { desc: 'missing-format', replace: ({ format: _format, ...rest }) => rest, wantErr: 'UNKNOWN_THRESHOLD_FORMAT' },
  { desc: 'not-an-object', replace: () => [], wantErr: 'UNKNOWN_THRESHOLD_FORMAT' },
  { desc: 'standards-not-a-list', replace: (t) => ({ ...t, standards: 'GB/T 22499-2008' }), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: () => 'standards' },
  { desc: 'threshold-row-is-null', replace: (t) => ({ ...t, thresholds: [null] }), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: () => 'thresholds[0]' },
  {
    desc: 'misspelt-field',
    mutate: (t) => Object.assign(at(t.thresholds, 0), { minInclusve: true }),
    wantErr: 'INVALID_THRESHOLD_TABLE',
    wantPath: () => 'thresholds[0]',
  },
  {
    desc: 'missing-field',
    mutate: (t) => delete (at(t.standards, 0) as Partial<RawTable['standards'][number]>).title_en,
    wantErr: 'INVALID_THRESHOLD_TABLE',
    wantPath: () => 'standards[0].title_en',
  },
  { desc: 'min-above-max', mutate: (t) => (at(t.thresholds, PADDY(t)).min = 0.5), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `thresholds[${PADDY(t)}].max` },
  { desc: 'seven-decimal-places', mutate: (t) => (at(t.thresholds, PADDY(t)).min = 0.0400001), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `thresholds[${PADDY(t)}].min` },
  { desc: 'negative-min', mutate: (t) => (at(t.thresholds, PADDY(t)).min = -0.04), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `thresholds[${PADDY(t)}].min` },
  { desc: 'min-as-string', mutate: (t) => Object.assign(at(t.thresholds, PADDY(t)), { min: '0.04' }), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `thresholds[${PADDY(t)}].min` },
  { desc: 'unit-not-mg-per-kg', mutate: (t) => (at(t.thresholds, PADDY(t)).unit = 'µg/kg'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `thresholds[${PADDY(t)}].unit` },
  { desc: 'unknown-tier', mutate: (t) => (at(t.thresholds, PADDY(t)).tier = 'selenium-enriched'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `thresholds[${PADDY(t)}].tier` },
  { desc: 'unknown-basis', mutate: (t) => (at(t.thresholds, PADDY(t)).basis = 'brown-rice'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `thresholds[${PADDY(t)}].basis` },
  { desc: 'threshold-names-unknown-standard', mutate: (t) => (at(t.thresholds, PADDY(t)).standard = 'GB/T 99999-2008'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `thresholds[${PADDY(t)}].standard` },
  { desc: 'threshold-names-unknown-category', mutate: (t) => (at(t.thresholds, PADDY(t)).category = 'rice'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `thresholds[${PADDY(t)}].category` },
  {
    desc: 'category-does-not-list-the-standard',
    mutate: (t) => (at(t.thresholds, PADDY(t)).standard = 'NY/T 600-2002'),
    wantErr: 'INVALID_THRESHOLD_TABLE',
    wantPath: (t) => `thresholds[${PADDY(t)}].standard`,
  },
  { desc: 'category-lists-unknown-standard', mutate: (t) => at(t.categories, 0).standards.push('GB/T 1-2000'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: () => 'categories[0].standards[2]' },
  { desc: 'category-lists-a-standard-twice', mutate: (t) => at(t.categories, 1).standards.push('NY/T 600-2002'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: () => 'categories[1].standards[2]' },
  { desc: 'category-with-no-standard', mutate: (t) => (at(t.categories, 0).standards = []), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: () => 'categories[0].standards' },
  { desc: 'bad-category-key', mutate: (t) => (at(t.categories, 0).key = 'Paddy Rice'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: () => 'categories[0].key' },
  { desc: 'blank-category-name', mutate: (t) => (at(t.categories, 0).name_zh = ' '), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: () => 'categories[0].name_zh' },
  { desc: 'duplicate-category-key', mutate: (t) => (at(t.categories, 1).key = 'paddy-rice'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: () => 'categories[1].key' },
  { desc: 'duplicate-standard-code', mutate: (t) => t.standards.push(structuredClone(at(t.standards, 0))), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `standards[${t.standards.length}].code` },
  { desc: 'code-without-year', mutate: (t) => (at(t.standards, 0).code = 'GB/T 22499'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: () => 'standards[0].code' },
  { desc: 'year-does-not-match-code', mutate: (t) => (at(t.standards, GB_2008(t)).year = 2009), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `standards[${GB_2008(t)}].year` },
  { desc: 'unknown-status', mutate: (t) => (at(t.standards, 0).status = 'draft'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: () => 'standards[0].status' },
  { desc: 'impossible-effective-date', mutate: (t) => (at(t.standards, GB_2008(t)).effectiveFrom = '2009-02-30'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `standards[${GB_2008(t)}].effectiveFrom` },
  {
    desc: 'superseded-by-without-date',
    mutate: (t) => Object.assign(at(t.standards, GB_2008(t)), { supersededFrom: null }),
    wantErr: 'INVALID_THRESHOLD_TABLE',
    wantPath: (t) => `standards[${GB_2008(t)}].supersededFrom`,
  },
  {
    desc: 'superseded-by-unknown-standard',
    mutate: (t) => (at(t.standards, GB_2008(t)).supersededBy = 'GB/T 22499-2030'),
    wantErr: 'INVALID_THRESHOLD_TABLE',
    wantPath: (t) => `standards[${GB_2008(t)}].supersededBy`,
  },
  {
    desc: 'superseded-before-successor-takes-effect',
    mutate: (t) => (at(t.standards, GB_2008(t)).supersededFrom = '2026-06-01'),
    wantErr: 'INVALID_THRESHOLD_TABLE',
    wantPath: (t) => `standards[${GB_2008(t)}].supersededFrom`,
  },
  {
    desc: 'overlapping-tiers',
    mutate: (t) => (at(t.thresholds, CEREAL_CONTAINING(t)).max = 0.15),
    wantErr: 'INVALID_THRESHOLD_TABLE',
    wantPath: (t) => `thresholds[${CEREAL_RICH(t)}].min`,
  },
  {
    desc: 'containing-above-rich',
    mutate: (t) => Object.assign(at(t.thresholds, CEREAL_CONTAINING(t)), { min: 0.2, max: 0.3 }),
    wantErr: 'INVALID_THRESHOLD_TABLE',
    wantPath: (t) => `thresholds[${CEREAL_RICH(t)}].min`,
  },
  { desc: 'duplicate-tier', mutate: (t) => (at(t.thresholds, CEREAL_CONTAINING(t)).tier = 'selenium-rich'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `thresholds[${CEREAL_RICH(t)}].tier` },
  { desc: 'mixed-basis', mutate: (t) => (at(t.thresholds, CEREAL_RICH(t)).basis = 'dry'), wantErr: 'INVALID_THRESHOLD_TABLE', wantPath: (t) => `thresholds[${CEREAL_RICH(t)}].basis` },
  {
    desc: 'open-range-with-inclusive-max',
    mutate: (t) => (at(t.thresholds, CEREAL_RICH(t)).maxInclusive = true),
    wantErr: 'INVALID_THRESHOLD_TABLE',
    wantPath: (t) => `thresholds[${CEREAL_RICH(t)}].maxInclusive`,
  },
  {
    desc: 'condition-without-chinese-text',
    mutate: (t) => Object.assign(at(t.thresholds, PADDY(t)), { extraCondition: 'organic selenium more than 50 %' }),
    wantErr: 'INVALID_THRESHOLD_TABLE',
    wantPath: (t) => `thresholds[${PADDY(t)}].extraCondition_zh`,
  },
];

/** ARCHITECTURE.md, domain §2, row by row: [standard, category, tier, basis, min, max]. */
const DOMAIN_ROWS: readonly (readonly [string, string, string, string, number, number | null])[] = [
  ['GB/T 22499-2008', 'paddy-rice', 'selenium-rich', 'milled', 0.04, 0.3],
  ['NY/T 600-2002', 'tea', 'selenium-rich', 'as-sold', 0.25, 4],
  ['GH/T 1135-2017', 'tea', 'selenium-rich', 'as-sold', 0.25, 4],
  ['GH/T 1135-2017', 'grains', 'selenium-rich', 'as-sold', 0.1, 0.5],
  ['GH/T 1135-2017', 'beans', 'selenium-rich', 'as-sold', 0.1, 1],
  ['GH/T 1135-2017', 'tubers-dried', 'selenium-rich', 'dry', 0.1, 1],
  ['GH/T 1135-2017', 'vegetables-dried', 'selenium-rich', 'dry', 0.1, 1],
  ['GH/T 1135-2017', 'edible-fungi-dried', 'selenium-rich', 'dry', 0.1, 5],
  ['GH/T 1135-2017', 'meat-eggs', 'selenium-rich', 'as-sold', 0.15, 0.5],
  ['DB61/T 556-2018', 'tea-prepackaged-shaanxi', 'selenium-containing', 'as-sold', 0.075, 0.14],
  ['DB61/T 556-2018', 'tea-prepackaged-shaanxi', 'selenium-rich', 'as-sold', 0.15, null],
  ['DB61/T 556-2018', 'cereal-products-shaanxi', 'selenium-containing', 'as-sold', 0.075, 0.14],
  ['DB61/T 556-2018', 'cereal-products-shaanxi', 'selenium-rich', 'as-sold', 0.15, null],
  ['DB61/T 556-2018', 'edible-oil-soy-sauce-shaanxi', 'selenium-containing', 'as-sold', 0.04, 0.07],
  ['DB61/T 556-2018', 'edible-oil-soy-sauce-shaanxi', 'selenium-rich', 'as-sold', 0.075, null],
  ['GB 28050-2011', 'prepackaged-food-claim', 'selenium-rich', 'as-sold', 0.18, null],
];

describe('standards/selenium-thresholds.v1.json', () => {
  it('When the shipped file is parsed, Then it validates and is the table the module loaded', () => {
    const table = parseThresholdTable(shipped);
    expect(table.format).to.equal('traceledger-selenium-thresholds-v1');
    expect(seleniumThresholds()).to.deep.equal(table);
  });

  it('When the shipped file is read from disk, Then it validates', () => {
    const table = readThresholdTableFile(join(__dirname, '../../../server/standards/selenium-thresholds.v1.json'));
    expect(table.thresholds).to.have.length(DOMAIN_ROWS.length);
  });

  it('When the loaded table is changed in place, Then it refuses: the table is frozen', () => {
    const table = seleniumThresholds();
    expect(Object.isFrozen(table)).to.equal(true);
    expect(Object.isFrozen(table.thresholds)).to.equal(true);
    expect(Object.isFrozen(table.thresholds[0])).to.equal(true);
  });

  it('When its thresholds are compared with ARCHITECTURE.md, domain §2, Then every row is there and nothing else, all inclusive', () => {
    const rows = seleniumThresholds().thresholds.map((t) => [t.standard, t.category, t.tier, t.basis, t.min, t.max] as const);
    expect(rows).to.have.deep.members(DOMAIN_ROWS.map((r) => [...r]));
    for (const t of seleniumThresholds().thresholds) {
      expect(t.minInclusive, `${t.standard} ${t.category} ${t.tier}`).to.equal(true);
      expect(t.maxInclusive, `${t.standard} ${t.category} ${t.tier}`).to.equal(t.max !== null);
      expect(t.unit).to.equal('mg/kg');
    }
  });

  it('When the organic-selenium conditions are read, Then they follow ARCHITECTURE.md, domain §2: grains etc. > 65 %, meat and eggs > 70 %, tea > 60 %', () => {
    const condition = (standard: string, category: string): string | null =>
      seleniumThresholds().thresholds.find((t) => t.standard === standard && t.category === category)?.extraCondition ?? null;
    for (const category of ['grains', 'beans', 'tubers-dried', 'vegetables-dried']) {
      expect(condition('GH/T 1135-2017', category), category).to.contain('65 %');
    }
    expect(condition('GH/T 1135-2017', 'meat-eggs')).to.contain('70 %');
    expect(condition('GH/T 1135-2017', 'tea')).to.contain('60 %');
    expect(condition('NY/T 600-2002', 'tea')).to.equal(null);
  });

  it('When GB/T 22499 is looked up, Then the 2008 edition is superseded by the unconfirmed 2025 edition from 2026-07-01, which has no thresholds', () => {
    const { standards, thresholds } = seleniumThresholds();
    expect(standards.find((s) => s.code === 'GB/T 22499-2008')).to.include({
      status: 'confirmed',
      supersededBy: 'GB/T 22499-2025',
      supersededFrom: '2026-07-01',
    });
    expect(standards.find((s) => s.code === 'GB/T 22499-2025')).to.include({ status: 'unconfirmed', effectiveFrom: '2026-07-01' });
    expect(thresholds.filter((t) => t.standard === 'GB/T 22499-2025')).to.deep.equal([]);
    expect(standards.filter((s) => s.status === 'unconfirmed').map((s) => s.code)).to.deep.equal(['GB/T 22499-2025']);
  });

  it('When GB 28050-2011 is read, Then its 0.18 mg/kg is exactly 18 µg/100 g', () => {
    const claim = seleniumThresholds().thresholds.find((t) => t.standard === 'GB 28050-2011');
    expect(claim?.min).to.equal(0.18);
    expect(toNanogramsPerKg(18, 'µg/100g')).to.equal(toNanogramsPerKg(0.18, 'mg/kg'));
  });

  describe('bad edits', () => {
    for (const bad of BAD_EDITS) {
      it(`When the file has ${bad.desc}, Then loading fails with ${bad.wantErr}${bad.wantPath ? ' naming the path' : ''}`, () => {
        const table = edit();
        const path = bad.wantPath?.(table);
        bad.mutate?.(table);
        const raw = bad.replace === undefined ? table : bad.replace(table);
        const err = rejection(() => parseThresholdTable(raw));
        expect(err.code).to.equal(bad.wantErr);
        if (path !== undefined) {
          expect(err.issues.map((i) => i.path)).to.include(path);
          expect(err.message).to.contain(`  - ${path}: `);
        }
      });
    }

    it('When a file has several problems, Then the error lists all of them, one per line', () => {
      const table = edit();
      at(table.thresholds, PADDY(table)).min = 0.5;
      at(table.categories, 0).key = 'Paddy Rice';
      const err = rejection(() => parseThresholdTable(table));
      expect(err.message).to.match(/^Selenium threshold table is invalid \(\d+ problem\(s\)\):\n/);
      expect(err.issues.length).to.be.at.least(2);
      expect(err.message.split('\n').length).to.equal(err.issues.length + 1);
    });

    it('When an edited file on disk is not JSON or not a valid table, Then reading it fails with INVALID_THRESHOLD_TABLE', () => {
      const dir = mkdtempSync(join(tmpdir(), 'traceledger-thresholds-'));
      try {
        const notJson = join(dir, 'not-json.json');
        writeFileSync(notJson, '{ "format": ');
        expect(rejection(() => readThresholdTableFile(notJson)).code).to.equal('INVALID_THRESHOLD_TABLE');

        const table = edit();
        at(table.thresholds, PADDY(table)).max = 0.01;
        const invalid = join(dir, 'invalid.json');
        writeFileSync(invalid, JSON.stringify(table));
        const err = rejection(() => readThresholdTableFile(invalid));
        expect(err.code).to.equal('INVALID_THRESHOLD_TABLE');
        expect(err.message).to.contain(`thresholds[${PADDY(table)}].max`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
