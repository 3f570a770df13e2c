/** Selenium classification: every range edge of the shipped table, supersession, standard choice, units, bad input, monotonicity. */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  classify,
  InvalidArgumentError,
  listCategories,
  parseThresholdTable,
  standardsInForce,
} from '../../../server/standards';
import type { ClassificationTier, ClassifyInput, ThresholdTable, Tier } from '../../../server/standards';

/** A date on which every modelled standard is in force (the day before GB/T 22499-2008 is superseded). */
const DATE = '2026-06-30';

/** `mg` (a decimal string) moved by `deltaNg` nanograms per kilogram, as the number a lab would type. */
function shifted(mg: string, deltaNg: number): number {
  return (Math.round(Number(mg) * 1e6) + deltaNg) / 1e6;
}

function classifyMg(category: string, result: number, extra: Partial<ClassifyInput> = {}): ReturnType<typeof classify> {
  return classify({ category, result, unit: 'mg/kg', date: DATE, ...extra });
}

/** One published range, written out from ARCHITECTURE.md, domain §2 (not read from the data file, so the test checks the data). */
interface RangeCase {
  readonly category: string;
  readonly standard: string;
  readonly requested: boolean;
  readonly tier: Tier;
  readonly min: string;
  readonly max: string | null;
  readonly justBelow: ClassificationTier;
  readonly justAbove: ClassificationTier;
}

const rich = (category: string, standard: string, min: string, max: string | null, requested = false): RangeCase => ({
  category,
  standard,
  requested,
  tier: 'selenium-rich',
  min,
  max,
  justBelow: 'below-range',
  justAbove: 'above-range',
});

/** DB61/T 556-2018: 含硒 [c1, c2] then 富硒 [r, ∞); values in (c2, r) take the lower tier. */
function shaanxi(category: string, c1: string, c2: string, r: string): RangeCase[] {
  return [
    { category, standard: 'DB61/T 556-2018', requested: false, tier: 'selenium-containing', min: c1, max: c2, justBelow: 'below-range', justAbove: 'selenium-containing' },
    { category, standard: 'DB61/T 556-2018', requested: false, tier: 'selenium-rich', min: r, max: null, justBelow: 'selenium-containing', justAbove: 'selenium-rich' },
  ];
}

const RANGES: readonly RangeCase[] = [
  rich('paddy-rice', 'GB/T 22499-2008', '0.04', '0.30'),
  rich('tea', 'NY/T 600-2002', '0.25', '4.00'),
  rich('tea', 'GH/T 1135-2017', '0.25', '4.00', true),
  rich('grains', 'GH/T 1135-2017', '0.10', '0.50'),
  rich('beans', 'GH/T 1135-2017', '0.10', '1.00'),
  rich('tubers-dried', 'GH/T 1135-2017', '0.10', '1.00'),
  rich('vegetables-dried', 'GH/T 1135-2017', '0.10', '1.00'),
  rich('edible-fungi-dried', 'GH/T 1135-2017', '0.10', '5.00'),
  rich('meat-eggs', 'GH/T 1135-2017', '0.15', '0.50'),
  ...shaanxi('tea-prepackaged-shaanxi', '0.075', '0.14', '0.15'),
  ...shaanxi('cereal-products-shaanxi', '0.075', '0.14', '0.15'),
  ...shaanxi('edible-oil-soy-sauce-shaanxi', '0.040', '0.070', '0.075'),
  rich('prepackaged-food-claim', 'GB 28050-2011', '0.18', null),
];

describe('standards/classify', () => {
  describe('edges of every range in the table', () => {
    for (const r of RANGES) {
      const asked = r.requested ? { standard: r.standard } : {};
      const where = `${r.category}${r.requested ? ` (asking for ${r.standard})` : ''}`;

      it(`When ${where} is exactly ${r.min} mg/kg, Then it is ${r.tier} under ${r.standard}`, () => {
        const got = classifyMg(r.category, Number(r.min), asked);
        expect(got.tier).to.equal(r.tier);
        expect(got.standard?.code).to.equal(r.standard);
        expect(got.range?.min).to.equal(Number(r.min));
      });

      it(`When ${where} is ${shifted(r.min, -1)} mg/kg, just below ${r.min}, Then it is ${r.justBelow}`, () => {
        const got = classifyMg(r.category, shifted(r.min, -1), asked);
        expect(got.tier).to.equal(r.justBelow);
        expect(got.standard?.code).to.equal(r.standard);
      });

      if (r.max === null) {
        it(`When ${where} is 1000 mg/kg, Then it is still ${r.tier}: ${r.standard} sets no upper limit`, () => {
          const got = classifyMg(r.category, 1000, asked);
          expect(got.tier).to.equal(r.tier);
          expect(got.range?.max).to.equal(null);
        });
      } else {
        const max = r.max;
        it(`When ${where} is exactly ${max} mg/kg, Then it is ${r.tier} under ${r.standard} (upper bound inclusive)`, () => {
          const got = classifyMg(r.category, Number(max), asked);
          expect(got.tier).to.equal(r.tier);
          expect(got.range).to.include({ max: Number(max), maxInclusive: true });
        });

        it(`When ${where} is ${shifted(max, 1)} mg/kg, just above ${max}, Then it is ${r.justAbove}`, () => {
          const got = classifyMg(r.category, shifted(max, 1), asked);
          expect(got.tier).to.equal(r.justAbove);
          expect(got.standard?.code).to.equal(r.standard);
        });
      }
    }

    it('When rice is exactly 0.04 mg/kg, Then it is selenium-rich under GB/T 22499-2008', () => {
      const got = classifyMg('paddy-rice', 0.04);
      expect(got).to.deep.include({ tier: 'selenium-rich', basis: 'milled', valueMgPerKg: 0.04 });
      expect(got.standard).to.deep.equal({ code: 'GB/T 22499-2008', year: 2008, title_zh: '富硒稻谷', title_en: 'Selenium-rich paddy' });
    });

    it('When rice is 0.039 mg/kg, Then it is below range and the reason says not selenium-rich', () => {
      const got = classifyMg('paddy-rice', 0.039);
      expect(got.tier).to.equal('below-range');
      expect(got.reason_en).to.equal(
        '0.039 mg/kg is below the selenium-rich range (0.04–0.30 mg/kg) of GB/T 22499-2008 for paddy rice (tested as milled rice): below range, not selenium-rich.',
      );
      expect(got.reason_zh).to.contain('非富硒');
    });

    it('When Shaanxi cereal products are exactly 0.14 mg/kg, Then they are selenium-containing, not in a gap', () => {
      const got = classifyMg('cereal-products-shaanxi', 0.14);
      expect(got.tier).to.equal('selenium-containing');
      expect(got.reason_en).to.contain('is within 0.075–0.14 mg/kg');
    });

    it('When Shaanxi cereal products are 0.145 mg/kg, between 含硒 0.14 and 富硒 0.15, Then they take the lower tier and the reason says so', () => {
      const got = classifyMg('cereal-products-shaanxi', 0.145);
      expect(got.tier).to.equal('selenium-containing');
      expect(got.range).to.deep.equal({ min: 0.075, minInclusive: true, max: 0.14, maxInclusive: true, unit: 'mg/kg' });
      expect(got.reason_en).to.contain('takes the lower tier');
      expect(got.reason_zh).to.contain('按较低一档判定：含硒');
    });

    it('When tea is 4.10 mg/kg, Then it is above range: not selenium-rich under NY/T 600-2002', () => {
      const got = classifyMg('tea', 4.1);
      expect(got.tier).to.equal('above-range');
      expect(got.reason_en).to.equal(
        '4.10 mg/kg is above the selenium-rich range (0.25–4.00 mg/kg) of NY/T 600-2002 for tea: above range, not selenium-rich under this standard.',
      );
    });
  });

  describe('reasons', () => {
    it('When tea is 0.32 mg/kg, Then the reason is one plain sentence in each language', () => {
      const got = classifyMg('tea', 0.32);
      expect(got.reason_en).to.equal('0.32 mg/kg is within 0.25–4.00 mg/kg of NY/T 600-2002 for tea: selenium-rich.');
      expect(got.reason_zh).to.equal('0.32 mg/kg 在 NY/T 600-2002 对茶叶规定的富硒范围 0.25–4.00 mg/kg 内：富硒。');
    });

    it('When grains are selenium-rich under GH/T 1135-2017, Then the organic-selenium condition is returned and stated as not shown', () => {
      const got = classifyMg('grains', 0.2);
      expect(got.tier).to.equal('selenium-rich');
      expect(got.extraCondition).to.equal('organic selenium more than 65 % of total selenium');
      expect(got.extraCondition_zh).to.equal('有机硒占总硒比例大于 65%');
      expect(got.reason_en).to.contain('also requires organic selenium more than 65 % of total selenium, which this result does not show');
      expect(got.reason_zh).to.contain('有机硒占总硒比例大于 65%');
    });

    it('When meat is below range, Then no extra condition is returned', () => {
      const got = classifyMg('meat-eggs', 0.1);
      expect(got.tier).to.equal('below-range');
      expect(got.extraCondition).to.equal(null);
    });

    it('When Shaanxi edible oil is 0.2 mg/kg, Then the reason names the open-ended selenium-rich threshold', () => {
      const got = classifyMg('edible-oil-soy-sauce-shaanxi', 0.2);
      expect(got.reason_en).to.equal(
        '0.20 mg/kg is at least 0.075 mg/kg, the selenium-rich threshold of DB61/T 556-2018 for edible oils and soy sauce (Shaanxi): selenium-rich.',
      );
      expect(got.reason_zh).to.contain('≥ 0.075 mg/kg');
    });
  });

  describe('supersession of GB/T 22499-2008 on 2026-07-01', () => {
    it('When a rice report is dated 2026-06-30, Then GB/T 22499-2008 applies', () => {
      const got = classify({ category: 'paddy-rice', result: 0.04, unit: 'mg/kg', date: '2026-06-30' });
      expect(got.tier).to.equal('selenium-rich');
      expect(got.standard?.code).to.equal('GB/T 22499-2008');
    });

    it('When a rice report is dated 2026-07-01, Then no confirmed standard applies, with a reason and no guess', () => {
      const got = classify({ category: 'paddy-rice', result: 0.04, unit: 'mg/kg', date: '2026-07-01' });
      expect(got).to.deep.include({ tier: 'no-standard', standard: null, range: null, basis: null, extraCondition: null, valueMgPerKg: 0.04 });
      expect(got.reason_en).to.equal(
        'No confirmed selenium standard applies to paddy rice (tested as milled rice) on 2026-07-01: ' +
          'GB/T 22499-2008 was superseded by GB/T 22499-2025 on 2026-07-01; GB/T 22499-2025 is in force but its selenium thresholds are unconfirmed.',
      );
      expect(got.reason_zh).to.contain('GB/T 22499-2025 现行，但其硒含量指标尚未确认');
    });

    it('When GB/T 22499-2008 is asked for on a rice report of 2027-01-01, Then the reason says it was superseded', () => {
      const got = classify({ category: 'paddy-rice', result: 0.1, unit: 'mg/kg', date: '2027-01-01', standard: 'GB/T 22499-2008' });
      expect(got.tier).to.equal('no-standard');
      expect(got.reason_en).to.contain('GB/T 22499-2008 was superseded by GB/T 22499-2025 on 2026-07-01');
    });

    it('When the standards in force for rice are listed either side of 2026-07-01, Then the 2008 edition gives way to the unconfirmed 2025 one', () => {
      expect(standardsInForce('paddy-rice', '2026-06-30').map((s) => s.code)).to.deep.equal(['GB/T 22499-2008']);
      const after = standardsInForce('paddy-rice', '2026-07-01');
      expect(after.map((s) => [s.code, s.status])).to.deep.equal([['GB/T 22499-2025', 'unconfirmed']]);
    });
  });

  describe('effective dates', () => {
    const EFFECTIVE: readonly (readonly [string, number, string, string])[] = [
      ['paddy-rice', 0.1, 'GB/T 22499-2008', '2009-01-20'],
      ['tea', 0.3, 'NY/T 600-2002', '2002-12-20'],
      ['cereal-products-shaanxi', 0.2, 'DB61/T 556-2018', '2018-09-27'],
      ['prepackaged-food-claim', 0.2, 'GB 28050-2011', '2013-01-01'],
      // GH/T 1135-2017 is left out: its effectiveFrom is a placeholder until the printed date is confirmed.
    ];
    for (const [category, result, code, from] of EFFECTIVE) {
      it(`When a ${category} report is dated the day before ${code} takes effect, Then no standard applies; from ${from} it does`, () => {
        const dayBefore = new Date(Date.parse(`${from}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
        const before = classify({ category, result, unit: 'mg/kg', date: dayBefore });
        expect(before.tier).to.equal('no-standard');
        expect(before.reason_en).to.contain(`${code} takes effect only on ${from}`);
        const on = classify({ category, result, unit: 'mg/kg', date: from });
        expect(on.standard?.code).to.equal(code);
      });
    }
  });

  describe('choice of standard', () => {
    it('When tea is classified without a requested standard, Then NY/T 600-2002 (listed first) is used', () => {
      expect(classifyMg('tea', 0.3).standard?.code).to.equal('NY/T 600-2002');
    });

    it('When GH/T 1135-2017 is asked for tea, Then it is used with its organic-selenium condition', () => {
      const got = classifyMg('tea', 0.3, { standard: 'GH/T 1135-2017' });
      expect(got.standard?.code).to.equal('GH/T 1135-2017');
      expect(got.extraCondition).to.equal('organic selenium more than 60 % of total selenium');
    });

    it('When a standard is asked for without its year or with other spacing and case, Then it still matches', () => {
      expect(classifyMg('tea', 0.3, { standard: 'GH/T 1135' }).standard?.code).to.equal('GH/T 1135-2017');
      expect(classifyMg('tea', 0.3, { standard: ' gh/t1135-2017 ' }).standard?.code).to.equal('GH/T 1135-2017');
    });

    it('When a standard that sets no threshold for the category is asked for, Then the tier is no-standard with that reason', () => {
      const got = classifyMg('tea', 0.3, { standard: 'GB/T 22499-2008' });
      expect(got.tier).to.equal('no-standard');
      expect(got.reason_en).to.equal(
        'The requested standard GB/T 22499-2008 gives no tier for tea on 2026-06-30: GB/T 22499-2008 sets no selenium threshold for tea.',
      );
    });

    it('When a standard the table does not know is asked for, Then the tier is no-standard and the reason names it', () => {
      const got = classifyMg('tea', 0.3, { standard: 'DB42/T 1-2020' });
      expect(got.tier).to.equal('no-standard');
      expect(got.reason_en).to.contain('has no standard "DB42/T 1-2020"');
      expect(got.reason_zh).to.contain('DB42/T 1-2020');
    });

    it('When the requested standard is blank, Then classify throws INVALID_STANDARD_CODE', () => {
      expect(() => classifyMg('tea', 0.3, { standard: ' ' })).to.throw(InvalidArgumentError).with.property('code', 'INVALID_STANDARD_CODE');
    });
  });

  describe('units', () => {
    const SAME_AS_0_04_MG_PER_KG: readonly (readonly [number, string])[] = [
      [0.04, 'mg/kg'],
      [0.04, ' MG / KG '],
      [40, 'µg/kg'], // micro sign U+00B5
      [40, 'μg/kg'], // Greek mu U+03BC
      [40, 'ug/kg'],
      [40, 'mcg/kg'],
      [4, 'µg/100g'],
      [4, 'ug/100 g'],
      [0.04, 'µg/g'],
      [0.04, 'ug/g'],
    ];
    for (const [result, unit] of SAME_AS_0_04_MG_PER_KG) {
      it(`When rice is ${result} ${JSON.stringify(unit)}, Then it is 0.04 mg/kg and selenium-rich`, () => {
        const got = classify({ category: 'paddy-rice', result, unit, date: DATE });
        expect(got.valueMgPerKg).to.equal(0.04);
        expect(got.tier).to.equal('selenium-rich');
      });
    }

    it('When rice is 39.999 µg/kg, Then it is 0.039999 mg/kg and below range', () => {
      const got = classify({ category: 'paddy-rice', result: 39.999, unit: 'µg/kg', date: DATE });
      expect(got.valueMgPerKg).to.equal(0.039999);
      expect(got.tier).to.equal('below-range');
    });

    it('When a prepackaged food has 18 µg/100g, Then it meets the GB 28050-2011 claim of 0.18 mg/kg, and 17.9 µg/100g does not', () => {
      const at = classify({ category: 'prepackaged-food-claim', result: 18, unit: 'µg/100g', date: DATE });
      expect(at).to.deep.include({ tier: 'selenium-rich', valueMgPerKg: 0.18 });
      expect(at.reason_en).to.match(/^18 µg\/100g \(0\.18 mg\/kg\) is at least 0\.18 mg\/kg/);
      expect(classify({ category: 'prepackaged-food-claim', result: 17.9, unit: 'µg/100g', date: DATE }).tier).to.equal('below-range');
    });

    it('When a computed result carries float noise (0.1 + 0.2), Then it is compared as 0.30 mg/kg, the inclusive rice maximum', () => {
      const got = classifyMg('paddy-rice', 0.1 + 0.2);
      expect(got.valueMgPerKg).to.equal(0.3);
      expect(got.tier).to.equal('selenium-rich');
    });

    it('When a result has more than 6 decimals, Then it is rounded half-up to 1 ng/kg before comparing', () => {
      expect(classifyMg('paddy-rice', 0.0399995)).to.deep.include({ tier: 'selenium-rich', valueMgPerKg: 0.04 });
      expect(classifyMg('paddy-rice', 0.0399994)).to.deep.include({ tier: 'below-range', valueMgPerKg: 0.039999 });
    });

    it('When a result is 0, Then it is below range', () => {
      expect(classifyMg('paddy-rice', 0)).to.deep.include({ tier: 'below-range', valueMgPerKg: 0 });
    });

    for (const unit of ['mg/L', 'ug/L', 'µg / L']) {
      it(`When the unit is ${JSON.stringify(unit)} (per volume), Then the tier is no-standard with a reason, not an error`, () => {
        const got = classify({ category: 'tea', result: 0.3, unit, date: DATE });
        expect(got).to.deep.include({ tier: 'no-standard', standard: null, range: null, valueMgPerKg: null });
        expect(got.reason_en).to.match(/per volume/);
        expect(got.reason_zh).to.match(/按体积计/);
      });
    }

    for (const unit of ['ppm', 'mg/100g', 'g/kg', '']) {
      it(`When the unit is ${JSON.stringify(unit)}, Then classify throws UNKNOWN_UNIT naming the accepted units`, () => {
        expect(() => classify({ category: 'tea', result: 0.3, unit, date: DATE }))
          .to.throw(InvalidArgumentError, /mg\/kg, µg\/kg, µg\/100g, µg\/g/)
          .with.property('code', 'UNKNOWN_UNIT');
      });
    }
  });

  describe('bad input', () => {
    const BAD_VALUES: readonly (readonly [string, unknown])[] = [
      ['NaN', Number.NaN],
      ['negative', -0.01],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
      ['a string', '0.3'],
      ['null', null],
      ['more than the whole sample (2e6 mg/kg)', 2e6],
    ];
    for (const [desc, result] of BAD_VALUES) {
      it(`When the result is ${desc}, Then classify throws INVALID_VALUE`, () => {
        const input = { category: 'tea', result, unit: 'mg/kg', date: DATE } as unknown as ClassifyInput;
        expect(() => classify(input)).to.throw(InvalidArgumentError).with.property('code', 'INVALID_VALUE');
      });
    }

    it('When the category is unknown, Then classify throws UNKNOWN_CATEGORY listing the known keys', () => {
      expect(() => classifyMg('rice', 0.1)).to.throw(InvalidArgumentError, /known: paddy-rice, tea/).with.property('code', 'UNKNOWN_CATEGORY');
      expect(() => classifyMg('', 0.1)).to.throw(InvalidArgumentError).with.property('code', 'UNKNOWN_CATEGORY');
    });

    for (const date of ['2026-02-30', '2026/06/30', '20260630', '2026-6-30', '', undefined]) {
      it(`When the date is ${JSON.stringify(date)}, Then classify throws INVALID_DATE`, () => {
        const input = { category: 'tea', result: 0.3, unit: 'mg/kg', date } as unknown as ClassifyInput;
        expect(() => classify(input)).to.throw(InvalidArgumentError).with.property('code', 'INVALID_DATE');
      });
    }

    it('When classify is given no object, Then it throws INVALID_ARGUMENT', () => {
      expect(() => classify(null as unknown as ClassifyInput)).to.throw(InvalidArgumentError).with.property('code', 'INVALID_ARGUMENT');
    });

    it('When standardsInForce is given an unknown category or a bad date, Then it throws with the matching code', () => {
      expect(() => standardsInForce('rice', DATE)).to.throw(InvalidArgumentError).with.property('code', 'UNKNOWN_CATEGORY');
      expect(() => standardsInForce('tea', '2026-13-01')).to.throw(InvalidArgumentError).with.property('code', 'INVALID_DATE');
    });
  });

  describe('listCategories and standardsInForce', () => {
    it('When categories are listed, Then each has a key, zh and en names, and its standards in preference order', () => {
      const categories = listCategories();
      expect(categories.map((c) => c.key)).to.deep.equal([
        'paddy-rice',
        'tea',
        'grains',
        'beans',
        'tubers-dried',
        'vegetables-dried',
        'edible-fungi-dried',
        'meat-eggs',
        'tea-prepackaged-shaanxi',
        'cereal-products-shaanxi',
        'edible-oil-soy-sauce-shaanxi',
        'prepackaged-food-claim',
      ]);
      for (const c of categories) {
        expect(c.name_zh, c.key).to.match(/\S/);
        expect(c.name_en, c.key).to.match(/\S/);
      }
      expect(categories.find((c) => c.key === 'tea')?.standards).to.deep.equal(['NY/T 600-2002', 'GH/T 1135-2017']);
    });

    it('When tea standards are listed for a 2026 date, Then both confirmed standards are in force, preferred first', () => {
      expect(standardsInForce('tea', DATE).map((s) => s.code)).to.deep.equal(['NY/T 600-2002', 'GH/T 1135-2017']);
    });
  });
});

// ---- Synthetic tables: exclusive bounds, unconfirmed standards, and properties over random tables ----

interface SyntheticRow {
  readonly tier: Tier;
  readonly min: number;
  readonly minInclusive: boolean;
  readonly max: number | null;
  readonly maxInclusive: boolean;
}

/** A one-category, one-standard table "TS 1-2020" for "test-product", effective 2020-01-01. */
function syntheticTable(rows: readonly SyntheticRow[], status: 'confirmed' | 'unconfirmed' = 'confirmed'): ThresholdTable {
  return parseThresholdTable({
    format: 'traceledger-selenium-thresholds-v1',
    description: 'synthetic',
    notes: [],
    categories: [{ key: 'test-product', name_zh: '测试产品', name_en: 'test product', standards: ['TS 1-2020'], note: null }],
    standards: [
      {
        code: 'TS 1-2020',
        year: 2020,
        title_zh: '测试',
        title_en: 'Test',
        scope: 'tests',
        status,
        effectiveFrom: '2020-01-01',
        supersededBy: null,
        supersededFrom: null,
        note: null,
      },
    ],
    thresholds: rows.map((r) => ({
      standard: 'TS 1-2020',
      category: 'test-product',
      basis: 'as-sold',
      unit: 'mg/kg',
      extraCondition: null,
      extraCondition_zh: null,
      note: null,
      ...r,
    })),
  });
}

function classifyIn(table: ThresholdTable, result: number): ClassificationTier {
  return classify({ category: 'test-product', result, unit: 'mg/kg', date: DATE }, table).tier;
}

const RANK: Readonly<Record<ClassificationTier, number>> = {
  'no-standard': -1,
  'below-range': 0,
  'selenium-containing': 1,
  'selenium-rich': 2,
  'above-range': 3,
};

describe('standards/classify on synthetic tables', () => {
  it('When both bounds are exclusive, Then exactly min is below range and exactly max is above range', () => {
    const table = syntheticTable([{ tier: 'selenium-rich', min: 0.1, minInclusive: false, max: 0.5, maxInclusive: false }]);
    expect(classifyIn(table, 0.1)).to.equal('below-range');
    expect(classifyIn(table, 0.100001)).to.equal('selenium-rich');
    expect(classifyIn(table, 0.499999)).to.equal('selenium-rich');
    expect(classifyIn(table, 0.5)).to.equal('above-range');
  });

  it('When the 含硒 range is half-open [0.05, 0.10) and 富硒 starts at 0.10, Then 0.10 is selenium-rich and 0.099999 selenium-containing', () => {
    const table = syntheticTable([
      { tier: 'selenium-containing', min: 0.05, minInclusive: true, max: 0.1, maxInclusive: false },
      { tier: 'selenium-rich', min: 0.1, minInclusive: true, max: null, maxInclusive: false },
    ]);
    expect(classifyIn(table, 0.1)).to.equal('selenium-rich');
    expect(classifyIn(table, 0.099999)).to.equal('selenium-containing');
    expect(classifyIn(table, 0.049999)).to.equal('below-range');
  });

  it('When the only standard is unconfirmed, Then classification gives no-standard even though it has thresholds', () => {
    const table = syntheticTable([{ tier: 'selenium-rich', min: 0.1, minInclusive: true, max: null, maxInclusive: false }], 'unconfirmed');
    const got = classify({ category: 'test-product', result: 0.3, unit: 'mg/kg', date: DATE }, table);
    expect(got.tier).to.equal('no-standard');
    expect(got.reason_en).to.contain('TS 1-2020 is in force but its selenium thresholds are unconfirmed');
  });
});

describe('standards/classify properties', () => {
  const categories = listCategories().map((c) => c.key);
  const ngPerKg = fc.integer({ min: 0, max: 6_000_000 });

  it('When the value decreases for a fixed category and date, Then the tier never goes up (shipped table)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...categories), ngPerKg, ngPerKg, (category, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const tierLow = classifyMg(category, low / 1e6).tier;
        const tierHigh = classifyMg(category, high / 1e6).tier;
        return RANK[tierLow] <= RANK[tierHigh];
      }),
      { numRuns: 2000 },
    );
  });

  it('When a value is written in µg/kg or µg/100g instead of mg/kg, Then its classification does not change', () => {
    fc.assert(
      fc.property(fc.constantFrom(...categories), ngPerKg, (category, ng) => {
        const inMg = classifyMg(category, ng / 1e6);
        const inUgKg = classify({ category, result: ng / 1e3, unit: 'µg/kg', date: DATE });
        const inUg100g = classify({ category, result: ng / 1e4, unit: 'µg/100g', date: DATE });
        return (
          inMg.tier === inUgKg.tier && inMg.tier === inUg100g.tier && inMg.valueMgPerKg === inUgKg.valueMgPerKg && inMg.valueMgPerKg === inUg100g.valueMgPerKg
        );
      }),
      { numRuns: 1000 },
    );
  });

  /** Random valid two-tier tables: 含硒 [a, b] then 富硒 from c (= b when touching) to d or no limit, random inclusivity. */
  const twoTierTable = fc
    .record({
      bounds: fc.uniqueArray(fc.integer({ min: 1, max: 2_000_000 }), { minLength: 4, maxLength: 4 }).map((xs) => [...xs].sort((x, y) => x - y)),
      inclusive: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      touching: fc.boolean(),
      openEnded: fc.boolean(),
    })
    .map(({ bounds, inclusive, touching, openEnded }) => {
      const [a = 0, b = 0, c = 0, d = 0] = bounds;
      const [aIn = true, bIn = true, cIn = true, dIn = true] = inclusive;
      const containing: SyntheticRow = { tier: 'selenium-containing', min: a / 1e6, minInclusive: aIn, max: b / 1e6, maxInclusive: bIn };
      const richRow: SyntheticRow = {
        tier: 'selenium-rich',
        min: (touching ? b : c) / 1e6,
        minInclusive: touching ? !bIn : cIn,
        max: openEnded ? null : d / 1e6,
        maxInclusive: openEnded ? false : dIn,
      };
      return { rows: [containing, richRow] as const, table: syntheticTable([containing, richRow]) };
    });

  /** The tier read straight off the rows, for comparison. */
  function oracle(rows: readonly [SyntheticRow, SyntheticRow], ng: number): ClassificationTier {
    const inside = (r: SyntheticRow): boolean => {
      const [min, max] = [Math.round(r.min * 1e6), r.max === null ? null : Math.round(r.max * 1e6)];
      return (r.minInclusive ? ng >= min : ng > min) && (max === null || (r.maxInclusive ? ng <= max : ng < max));
    };
    const [containing, richRow] = rows;
    if (inside(richRow)) return 'selenium-rich';
    if (inside(containing)) return 'selenium-containing';
    const cMin = Math.round(containing.min * 1e6);
    if (containing.minInclusive ? ng < cMin : ng <= cMin) return 'below-range';
    const rMin = Math.round(richRow.min * 1e6);
    if (richRow.minInclusive ? ng < rMin : ng <= rMin) return 'selenium-containing';
    return 'above-range';
  }

  it('When tables with random bounds and inclusivity are generated, Then every value gets the tier its bounds say, monotonically', () => {
    fc.assert(
      fc.property(twoTierTable, fc.integer({ min: 0, max: 2_100_000 }), fc.integer({ min: 0, max: 2_100_000 }), ({ rows, table }, x, y) => {
        const [low, high] = x <= y ? [x, y] : [y, x];
        const tierLow = classifyIn(table, low / 1e6);
        const tierHigh = classifyIn(table, high / 1e6);
        expect(tierLow).to.equal(oracle(rows, low));
        expect(tierHigh).to.equal(oracle(rows, high));
        expect(RANK[tierLow]).to.be.at.most(RANK[tierHigh]);
      }),
      { numRuns: 500 },
    );
  });
});
