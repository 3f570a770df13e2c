/** Classifies a selenium result against the standard in force for its product category on the report's date. */
import { assertIsoDate } from './dates';
import { InvalidArgumentError } from './errors';
import { place, sortTiers } from './placement';
import type { Placement } from './placement';
import * as reasons from './reasons';
import type { Reason, Subject } from './reasons';
import type { Basis, Category, Standard, Threshold, ThresholdTable, Tier } from './schema';
import { SHIPPED_THRESHOLD_TABLE } from './shipped';
import { formatMgPerKg, isVolumeUnit, NG_PER_MG, parseSeleniumUnit, SELENIUM_UNITS, toNanogramsPerKg } from './units';
import type { SeleniumUnit } from './units';

/** The computed tier, or why there is none: outside every range, or no confirmed standard in force. */
export type ClassificationTier = Tier | 'below-range' | 'above-range' | 'no-standard';

/** A lab result to classify. */
export interface ClassifyInput {
  /** A category key of the threshold table, e.g. "paddy-rice". */
  readonly category: string;
  /** The selenium content as reported, >= 0. */
  readonly result: number;
  /** mg/kg, µg/kg (also ug/kg, μg/kg), µg/100g or µg/g. */
  readonly unit: string;
  /** The report's test or issue date, 'YYYY-MM-DD': picks the standards in force. */
  readonly date: string;
  /** A standard code to classify under instead of the preferred one, e.g. "GH/T 1135-2017" or "GH/T 1135". */
  readonly standard?: string | undefined;
}

/** The standard a classification used. */
export interface StandardRef {
  readonly code: string;
  readonly year: number;
  readonly title_zh: string;
  readonly title_en: string;
}

/** The range a classification compared against, in mg/kg; max null = no upper limit. */
export interface ThresholdRange {
  readonly min: number;
  readonly minInclusive: boolean;
  readonly max: number | null;
  readonly maxInclusive: boolean;
  readonly unit: 'mg/kg';
}

/**
 * The outcome. `range` is the tier matched (or, for a gap, the lower tier), the lowest tier for 'below-range',
 * the highest for 'above-range', null for 'no-standard'. `extraCondition` is a condition of the matched tier
 * (e.g. an organic-selenium share) that the selenium total alone does not show.
 */
export interface Classification {
  readonly tier: ClassificationTier;
  readonly standard: StandardRef | null;
  readonly range: ThresholdRange | null;
  readonly basis: Basis | null;
  /** The result in mg/kg; null for a per-volume result, which has no mass fraction. */
  readonly valueMgPerKg: number | null;
  readonly reason_en: string;
  readonly reason_zh: string;
  readonly extraCondition: string | null;
  readonly extraCondition_zh: string | null;
}

/** A product category and its standards in order of preference. */
export interface CategoryInfo {
  readonly key: string;
  readonly name_zh: string;
  readonly name_en: string;
  readonly standards: readonly string[];
}

/** Input after its preconditions hold. */
interface CheckedInput {
  readonly category: Category;
  readonly unit: SeleniumUnit;
  readonly ng: number;
  readonly date: string;
  readonly requested: string | null;
}

function requireCategory(table: ThresholdTable, key: unknown): Category {
  const category = table.categories.find((c) => c.key === key);
  if (category === undefined) {
    const known = table.categories.map((c) => c.key).join(', ');
    throw new InvalidArgumentError('UNKNOWN_CATEGORY', `Unknown product category ${JSON.stringify(key)}; known: ${known}.`);
  }
  return category;
}

function requireUnit(unit: unknown): SeleniumUnit {
  const parsed = typeof unit === 'string' ? parseSeleniumUnit(unit) : null;
  if (parsed === null) {
    throw new InvalidArgumentError('UNKNOWN_UNIT', `Unknown selenium unit ${JSON.stringify(unit)}; use one of ${SELENIUM_UNITS.join(', ')}.`);
  }
  return parsed;
}

function requireStandardCode(code: unknown): string | null {
  if (code === undefined) return null;
  if (typeof code !== 'string' || code.trim() === '') {
    throw new InvalidArgumentError('INVALID_STANDARD_CODE', `A requested standard must be a non-empty code, got ${JSON.stringify(code)}.`);
  }
  return code.trim();
}

function checkInput(input: ClassifyInput, table: ThresholdTable): CheckedInput {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidArgumentError('INVALID_ARGUMENT', 'classify() needs an object { category, result, unit, date, standard? }.');
  }
  const category = requireCategory(table, input.category);
  const unit = requireUnit(input.unit);
  const ng = toNanogramsPerKg(input.result, unit);
  assertIsoDate(input.date, 'The report date');
  return { category, unit, ng, date: input.date, requested: requireStandardCode(input.standard) };
}

/** "GB/T 22499" or "gb/t22499-2008" both name "GB/T 22499-2008": spaces and case are ignored, the year is optional. */
function codeMatches(code: string, requested: string): boolean {
  const fold = (s: string): string => s.replace(/\s+/g, '').toUpperCase();
  return fold(code) === fold(requested) || fold(code).startsWith(`${fold(requested)}-`);
}

function isInForce(s: Standard, date: string): boolean {
  return s.effectiveFrom <= date && (s.supersededFrom === null || date < s.supersededFrom);
}

function thresholdsOf(table: ThresholdTable, code: string, categoryKey: string): Threshold[] {
  return table.thresholds.filter((t) => t.standard === code && t.category === categoryKey);
}

function listedStandards(table: ThresholdTable, category: Category): Standard[] {
  return category.standards.flatMap((code) => table.standards.filter((s) => s.code === code));
}

/** The standards to try, in preference order: the category's own list, or those matching the requested code. */
function candidates(table: ThresholdTable, category: Category, requested: string | null): Standard[] {
  const listed = listedStandards(table, category);
  if (requested === null) return listed;
  const rank = (s: Standard): number => (listed.includes(s) ? listed.indexOf(s) : listed.length);
  return table.standards.filter((s) => codeMatches(s.code, requested)).sort((a, b) => rank(a) - rank(b));
}

function isUsable(table: ThresholdTable, s: Standard, category: Category, date: string): boolean {
  return s.status === 'confirmed' && isInForce(s, date) && thresholdsOf(table, s.code, category.key).length > 0;
}

function standardRef(s: Standard): StandardRef {
  return { code: s.code, year: s.year, title_zh: s.title_zh, title_en: s.title_en };
}

function rangeOf(t: Threshold): ThresholdRange {
  return { min: t.min, minInclusive: t.minInclusive, max: t.max, maxInclusive: t.maxInclusive, unit: t.unit };
}

/** "0.32 mg/kg", or "18 µg/100g (0.18 mg/kg)" when reported in another unit. */
function valueText(result: number, unit: SeleniumUnit, ng: number): Reason {
  const mgText = `${formatMgPerKg(ng)} mg/kg`;
  if (unit === 'mg/kg') return { en: mgText, zh: mgText };
  return { en: `${String(result)} ${unit} (${mgText})`, zh: `${String(result)} ${unit}（${mgText}）` };
}

/** Tier, compared range, sentence and extra condition for a placement. */
function describe(p: Placement, subject: Subject): { tier: ClassificationTier; range: Threshold; reason: Reason; extra: Threshold | null } {
  switch (p.kind) {
    case 'within':
      return { tier: p.threshold.tier, range: p.threshold, reason: reasons.withinReason(subject, p.threshold), extra: p.threshold };
    case 'gap':
      return { tier: p.lower.tier, range: p.lower, reason: reasons.gapReason(subject, p.lower, p.upper), extra: p.lower };
    case 'below':
      return { tier: 'below-range', range: p.lowest, reason: reasons.belowReason(subject, p.lowest), extra: null };
    case 'above':
      return { tier: 'above-range', range: p.highest, reason: reasons.aboveReason(subject, p.highest), extra: null };
  }
}

/** A result per litre: valid input, but every standard is per mass, so no tier. */
function perVolume(input: ClassifyInput, table: ThresholdTable): Classification {
  const category = requireCategory(table, input.category);
  assertIsoDate(input.date, 'The report date');
  if (typeof input.result !== 'number' || !Number.isFinite(input.result) || input.result < 0) {
    throw new InvalidArgumentError('INVALID_VALUE', `A selenium result must be a finite number >= 0, got ${String(input.result)}.`);
  }
  const reason = reasons.perVolumeReason(`${String(input.result)} ${input.unit}`, category.name_en, category.name_zh);
  return { tier: 'no-standard', standard: null, range: null, basis: null, valueMgPerKg: null, reason_en: reason.en, reason_zh: reason.zh, extraCondition: null, extraCondition_zh: null };
}

function noStandard(table: ThresholdTable, input: CheckedInput, tried: readonly Standard[]): Classification {
  const { category, date, requested } = input;
  const reason =
    requested !== null && tried.length === 0
      ? reasons.unknownStandardReason(requested, category.name_en, category.name_zh)
      : reasons.noStandardReason(
          category.name_en,
          category.name_zh,
          date,
          tried.map((s) => reasons.notApplicableClause(s, date, thresholdsOf(table, s.code, category.key).length > 0, category.name_en, category.name_zh)),
          requested,
        );
  return {
    tier: 'no-standard',
    standard: null,
    range: null,
    basis: null,
    valueMgPerKg: input.ng / NG_PER_MG,
    reason_en: reason.en,
    reason_zh: reason.zh,
    extraCondition: null,
    extraCondition_zh: null,
  };
}

/**
 * Classifies a selenium result (pure). Units are converted to mg/kg and compared exactly as integer ng/kg
 * (1e-6 mg/kg, rounded half-up from the number as written), so edges such as 0.14 or 0.04 are exact.
 *
 * Standard choice: among the standards the category lists (or, if `standard` is given, those matching that
 * code), the first in the category's preference order that is confirmed, in force on `date`
 * (effectiveFrom <= date < supersededFrom) and has thresholds for the category. If none qualifies, the tier is
 * 'no-standard' with a reason naming each standard and why it does not apply: never a guess.
 *
 * Tiers: inside a range gives its tier; between two published ranges gives the lower tier; below the lowest
 * range 'below-range'; above the highest bounded range 'above-range'.
 *
 * Requires: `category` a key of the table ('UNKNOWN_CATEGORY'); `result` a finite number >= 0 and at most
 * 10^6 mg/kg ('INVALID_VALUE'); `unit` a known unit ('UNKNOWN_UNIT'); `date` a real 'YYYY-MM-DD' day
 * ('INVALID_DATE'); `standard`, if given, a non-empty string ('INVALID_STANDARD_CODE'). Violations throw
 * InvalidArgumentError with that code. An unknown requested code is not an error: it gives 'no-standard'.
 */
export function classify(input: ClassifyInput, table: ThresholdTable = SHIPPED_THRESHOLD_TABLE): Classification {
  if (typeof input === 'object' && input !== null && isVolumeUnit(input.unit)) return perVolume(input, table);
  const checked = checkInput(input, table);
  const tried = candidates(table, checked.category, checked.requested);
  const chosen = tried.find((s) => isUsable(table, s, checked.category, checked.date));
  if (chosen === undefined) return noStandard(table, checked, tried);

  const tiers = sortTiers(thresholdsOf(table, chosen.code, checked.category.key));
  const subject: Subject = {
    value: valueText(input.result, checked.unit, checked.ng),
    categoryEn: checked.category.name_en,
    categoryZh: checked.category.name_zh,
    code: chosen.code,
  };
  const outcome = describe(place(tiers, checked.ng), subject);
  const extra = outcome.extra === null ? null : reasons.extraConditionReason(outcome.extra);
  return {
    tier: outcome.tier,
    standard: standardRef(chosen),
    range: rangeOf(outcome.range),
    basis: outcome.range.basis,
    valueMgPerKg: checked.ng / NG_PER_MG,
    reason_en: extra === null ? outcome.reason.en : `${outcome.reason.en} ${extra.en}`,
    reason_zh: extra === null ? outcome.reason.zh : `${outcome.reason.zh}${extra.zh}`,
    extraCondition: outcome.extra?.extraCondition ?? null,
    extraCondition_zh: outcome.extra?.extraCondition_zh ?? null,
  };
}

/** Every product category with its zh/en names and its standards in preference order. Requires a validated table. */
export function listCategories(table: ThresholdTable = SHIPPED_THRESHOLD_TABLE): CategoryInfo[] {
  return table.categories.map((c) => ({ key: c.key, name_zh: c.name_zh, name_en: c.name_en, standards: [...c.standards] }));
}

/**
 * The standards listed for `category` that are in force on `date` (effectiveFrom <= date < supersededFrom),
 * confirmed or not, in preference order. Requires a known category ('UNKNOWN_CATEGORY') and a real
 * 'YYYY-MM-DD' date ('INVALID_DATE'); throws InvalidArgumentError otherwise.
 */
export function standardsInForce(category: string, date: string, table: ThresholdTable = SHIPPED_THRESHOLD_TABLE): Standard[] {
  const found = requireCategory(table, category);
  assertIsoDate(date, 'The date');
  return listedStandards(table, found).filter((s) => isInForce(s, date));
}
