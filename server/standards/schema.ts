/** The zod schema of the selenium threshold table (format traceledger-selenium-thresholds-v1) and its cross-reference rules. */
import { z } from 'zod';
import { isIsoDate } from './dates';
import { scaleToInteger } from './units';

/** The only format this reader accepts. */
export const THRESHOLD_TABLE_FORMAT = 'traceledger-selenium-thresholds-v1';

/** On what the selenium content is measured: the product as sold, its dry matter, or milled rice. */
export const BASES = ['as-sold', 'dry', 'milled'] as const;
/** Tiers a standard can define: 富硒 (selenium-rich) and 含硒 (selenium-containing). */
export const TIERS = ['selenium-rich', 'selenium-containing'] as const;
/** Whether a standard's thresholds were read in a published source. */
export const STATUSES = ['confirmed', 'unconfirmed'] as const;

const text = z.string().regex(/\S/, 'must not be blank');
const isoDate = z.string().refine(isIsoDate, "must be a real date 'YYYY-MM-DD'");
const categoryKey = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case kebab-case, e.g. "paddy-rice"');
const standardCode = z
  .string()
  .regex(/^[A-Z]+\d*(?:\/[TZ])? \d+(?:\.\d+)*-\d{4}$/, 'must be a standard code with its year, e.g. "GB/T 22499-2008"');
const mgPerKg = z
  .number()
  .nonnegative()
  .refine((x) => scaleToInteger(x, 6).exact, 'must have at most 6 decimal places (1 ng/kg)');

const CategorySchema = z
  .strictObject({
    key: categoryKey,
    name_zh: text,
    name_en: text,
    standards: z.array(standardCode).min(1).readonly(),
    note: text.nullable(),
  })
  .readonly();

const StandardSchema = z
  .strictObject({
    code: standardCode,
    year: z.int().min(1900).max(2100),
    title_zh: text,
    title_en: text,
    scope: text,
    status: z.enum(STATUSES),
    effectiveFrom: isoDate,
    supersededBy: standardCode.nullable(),
    supersededFrom: isoDate.nullable(),
    note: text.nullable(),
  })
  .readonly();

const ThresholdSchema = z
  .strictObject({
    standard: standardCode,
    category: categoryKey,
    basis: z.enum(BASES),
    tier: z.enum(TIERS),
    min: mgPerKg,
    minInclusive: z.boolean(),
    max: mgPerKg.nullable(),
    maxInclusive: z.boolean(),
    unit: z.literal('mg/kg'),
    extraCondition: text.nullable(),
    extraCondition_zh: text.nullable(),
    note: text.nullable(),
  })
  .readonly();

/** One product category and the standards that cover it, in order of preference. */
export type Category = z.infer<typeof CategorySchema>;
/** One standard: identity, status and the dates it is in force. */
export type Standard = z.infer<typeof StandardSchema>;
/** One tier of one standard for one category, in mg/kg. */
export type Threshold = z.infer<typeof ThresholdSchema>;
/** Measurement basis of a threshold. */
export type Basis = (typeof BASES)[number];
/** A tier a standard defines. */
export type Tier = (typeof TIERS)[number];

interface TableShape {
  readonly categories: readonly Category[];
  readonly standards: readonly Standard[];
  readonly thresholds: readonly Threshold[];
}

/** A cross-reference problem, located by its path in the table. */
interface RuleIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

type TableRule = (table: TableShape) => RuleIssue[];

const ng = (mg: number): number => scaleToInteger(mg, 6).value;

function duplicates<T>(items: readonly T[], keyOf: (item: T) => string, field: string, list: string): RuleIssue[] {
  const seen = new Set<string>();
  const issues: RuleIssue[] = [];
  items.forEach((item, i) => {
    const key = keyOf(item);
    if (seen.has(key)) issues.push({ path: [list, i, field], message: `duplicate ${field} "${key}"` });
    seen.add(key);
  });
  return issues;
}

/** Category keys and standard codes are unique. */
const uniqueIdentifiers: TableRule = (t) => [
  ...duplicates(t.categories, (c) => c.key, 'key', 'categories'),
  ...duplicates(t.standards, (s) => s.code, 'code', 'standards'),
];

/** A code ends with its year: "GB/T 22499-2008" has year 2008. */
const codeCarriesYear: TableRule = (t) =>
  t.standards.flatMap((s, i) =>
    s.code.endsWith(`-${s.year}`) ? [] : [{ path: ['standards', i, 'year'], message: `year ${s.year} does not match code "${s.code}"` }],
  );

/** supersededBy and supersededFrom come together, name another listed standard, and follow both effective dates. */
const supersessionResolves: TableRule = (t) =>
  t.standards.flatMap((s, i): RuleIssue[] => {
    if ((s.supersededBy === null) !== (s.supersededFrom === null)) {
      return [{ path: ['standards', i, 'supersededFrom'], message: 'supersededBy and supersededFrom must both be set or both be null' }];
    }
    if (s.supersededBy === null || s.supersededFrom === null) return [];
    const successor = t.standards.find((o) => o.code === s.supersededBy);
    if (successor === undefined || successor.code === s.code) {
      return [{ path: ['standards', i, 'supersededBy'], message: `"${s.supersededBy}" is not another standard of the table` }];
    }
    if (s.supersededFrom <= s.effectiveFrom || s.supersededFrom < successor.effectiveFrom) {
      return [{ path: ['standards', i, 'supersededFrom'], message: `${s.supersededFrom} must be after effectiveFrom ${s.effectiveFrom} and not before ${successor.code} takes effect (${successor.effectiveFrom})` }];
    }
    return [];
  });

/** Every standard a category lists exists, once. */
const categoryStandardsResolve: TableRule = (t) =>
  t.categories.flatMap((c, i) =>
    c.standards.flatMap((code, j): RuleIssue[] => {
      if (!t.standards.some((s) => s.code === code)) return [{ path: ['categories', i, 'standards', j], message: `unknown standard "${code}"` }];
      if (c.standards.indexOf(code) !== j) return [{ path: ['categories', i, 'standards', j], message: `standard "${code}" listed twice` }];
      return [];
    }),
  );

/** A threshold names a known standard and a known category that lists that standard. */
const thresholdsResolve: TableRule = (t) =>
  t.thresholds.flatMap((th, i): RuleIssue[] => {
    if (!t.standards.some((s) => s.code === th.standard)) return [{ path: ['thresholds', i, 'standard'], message: `unknown standard "${th.standard}"` }];
    const category = t.categories.find((c) => c.key === th.category);
    if (category === undefined) return [{ path: ['thresholds', i, 'category'], message: `unknown category "${th.category}"` }];
    if (!category.standards.includes(th.standard)) {
      return [{ path: ['thresholds', i, 'standard'], message: `category "${th.category}" does not list standard "${th.standard}"` }];
    }
    return [];
  });

/** A range is non-empty; an open range has maxInclusive false; both condition texts or neither. */
const rangesAreWellFormed: TableRule = (t) =>
  t.thresholds.flatMap((th, i): RuleIssue[] => {
    const issues: RuleIssue[] = [];
    if (th.max === null && th.maxInclusive) issues.push({ path: ['thresholds', i, 'maxInclusive'], message: 'must be false when max is null (no upper limit)' });
    if (th.max !== null && ng(th.min) >= ng(th.max)) issues.push({ path: ['thresholds', i, 'max'], message: `max ${th.max} must be greater than min ${th.min}` });
    if ((th.extraCondition === null) !== (th.extraCondition_zh === null)) {
      issues.push({ path: ['thresholds', i, 'extraCondition_zh'], message: 'extraCondition and extraCondition_zh must both be set or both be null' });
    }
    return issues;
  });

/** True when range `a` ends strictly before range `b` starts. */
function endsBefore(a: Threshold, b: Threshold): boolean {
  if (a.max === null) return false;
  const [end, start] = [ng(a.max), ng(b.min)];
  return end < start || (end === start && !(a.maxInclusive && b.minInclusive));
}

/** Per standard and category: one row per tier, one basis, 含硒 wholly below 富硒. */
const tiersAreOrdered: TableRule = (t) => {
  const groups = new Map<string, { i: number; th: Threshold }[]>();
  t.thresholds.forEach((th, i) => {
    const key = `${th.standard} / ${th.category}`;
    groups.set(key, [...(groups.get(key) ?? []), { i, th }]);
  });
  return [...groups].flatMap(([group, rows]): RuleIssue[] => {
    const [a, b, extra] = rows;
    if (a === undefined || b === undefined) return [];
    if (extra !== undefined) return [{ path: ['thresholds', extra.i, 'tier'], message: `more than two tiers for ${group}` }];
    if (a.th.tier === b.th.tier) return [{ path: ['thresholds', b.i, 'tier'], message: `tier "${b.th.tier}" given twice for ${group}` }];
    if (a.th.basis !== b.th.basis) return [{ path: ['thresholds', b.i, 'basis'], message: `basis "${b.th.basis}" differs from "${a.th.basis}" for ${group}` }];
    const [low, high] = a.th.tier === 'selenium-containing' ? [a, b] : [b, a];
    return endsBefore(low.th, high.th)
      ? []
      : [{ path: ['thresholds', high.i, 'min'], message: `the selenium-containing range must end before the selenium-rich range starts for ${group}` }];
  });
};

/** The rules that relate rows to each other, checked once every row is well-formed. */
export const TABLE_RULES: readonly TableRule[] = [
  uniqueIdentifiers,
  codeCarriesYear,
  supersessionResolves,
  categoryStandardsResolve,
  thresholdsResolve,
  rangesAreWellFormed,
  tiersAreOrdered,
];

/** The whole table: rows are strict objects (an unknown or misspelt field fails), then TABLE_RULES. */
export const ThresholdTableSchema = z
  .strictObject({
    format: z.literal(THRESHOLD_TABLE_FORMAT),
    description: text,
    notes: z.array(text).readonly(),
    categories: z.array(CategorySchema).min(1).readonly(),
    standards: z.array(StandardSchema).min(1).readonly(),
    thresholds: z.array(ThresholdSchema).readonly(),
  })
  .superRefine((table, ctx) => {
    for (const rule of TABLE_RULES) {
      for (const issue of rule(table)) ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
    }
  })
  .readonly();

/** A validated selenium threshold table. */
export type ThresholdTable = z.infer<typeof ThresholdTableSchema>;
