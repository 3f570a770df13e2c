/** Plain-sentence reasons, in English and Chinese, for each outcome of a selenium classification. */
import type { Standard, Threshold, Tier } from './schema';
import { formatMgPerKg } from './units';
import { boundNg } from './placement';

/** One sentence in both languages. */
export interface Reason {
  readonly en: string;
  readonly zh: string;
}

/** What is being classified, as text: the value, the category's names, and the standard's code. */
export interface Subject {
  readonly value: Reason;
  readonly categoryEn: string;
  readonly categoryZh: string;
  readonly code: string;
}

const TIER_EN: Readonly<Record<Tier, string>> = { 'selenium-rich': 'selenium-rich', 'selenium-containing': 'selenium-containing' };
const TIER_ZH: Readonly<Record<Tier, string>> = { 'selenium-rich': '富硒', 'selenium-containing': '含硒' };

const mg = (x: number): string => formatMgPerKg(boundNg(x));

/** A threshold's range as text: "0.25–4.00 mg/kg", "at least 0.15 mg/kg" / "≥ 0.15 mg/kg", or both bounds spelt out. */
export function rangeText(t: Threshold): Reason {
  const lowEn = `${t.minInclusive ? 'at least' : 'more than'} ${mg(t.min)}`;
  const lowZh = `${t.minInclusive ? '≥' : '>'} ${mg(t.min)}`;
  if (t.max === null) return { en: `${lowEn} mg/kg`, zh: `${lowZh} mg/kg` };
  if (t.minInclusive && t.maxInclusive) return { en: `${mg(t.min)}–${mg(t.max)} mg/kg`, zh: `${mg(t.min)}–${mg(t.max)} mg/kg` };
  return {
    en: `${lowEn} and ${t.maxInclusive ? 'at most' : 'less than'} ${mg(t.max)} mg/kg`,
    zh: `${lowZh} 且 ${t.maxInclusive ? '≤' : '<'} ${mg(t.max)} mg/kg`,
  };
}

/** The value lies inside tier `t`. */
export function withinReason(s: Subject, t: Threshold): Reason {
  const [tierEn, tierZh, range] = [TIER_EN[t.tier], TIER_ZH[t.tier], rangeText(t)];
  if (t.max === null) {
    return {
      en: `${s.value.en} is ${range.en}, the ${tierEn} threshold of ${s.code} for ${s.categoryEn}: ${tierEn}.`,
      zh: `${s.value.zh} 达到 ${s.code} 对${s.categoryZh}规定的${tierZh}下限（${range.zh}）：${tierZh}。`,
    };
  }
  return {
    en: `${s.value.en} is within ${range.en} of ${s.code} for ${s.categoryEn}: ${tierEn}.`,
    zh: `${s.value.zh} 在 ${s.code} 对${s.categoryZh}规定的${tierZh}范围 ${range.zh} 内：${tierZh}。`,
  };
}

/** The value lies between two tiers' published ranges: it takes the lower tier. */
export function gapReason(s: Subject, lower: Threshold, upper: Threshold): Reason {
  const [low, high] = [rangeText(lower), rangeText(upper)];
  return {
    en:
      `${s.value.en} is above the ${TIER_EN[lower.tier]} range (${low.en}) and below the ${TIER_EN[upper.tier]} range (${high.en}) ` +
      `of ${s.code} for ${s.categoryEn}; a value between the two published ranges takes the lower tier: ${TIER_EN[lower.tier]}.`,
    zh:
      `${s.value.zh} 高于 ${s.code} 对${s.categoryZh}规定的${TIER_ZH[lower.tier]}范围（${low.zh}）、低于${TIER_ZH[upper.tier]}范围（${high.zh}）；` +
      `两档之间的值按较低一档判定：${TIER_ZH[lower.tier]}。`,
  };
}

/** The value lies below the lowest tier. */
export function belowReason(s: Subject, lowest: Threshold): Reason {
  const range = rangeText(lowest);
  const notEn = lowest.tier === 'selenium-containing' ? 'neither selenium-containing nor selenium-rich' : `not ${TIER_EN[lowest.tier]}`;
  const notZh = lowest.tier === 'selenium-containing' ? '既非含硒也非富硒' : `非${TIER_ZH[lowest.tier]}`;
  return {
    en: `${s.value.en} is below the ${TIER_EN[lowest.tier]} range (${range.en}) of ${s.code} for ${s.categoryEn}: below range, ${notEn}.`,
    zh: `${s.value.zh} 低于 ${s.code} 对${s.categoryZh}规定的${TIER_ZH[lowest.tier]}范围（${range.zh}）：低于范围，${notZh}。`,
  };
}

/** The value lies above the highest tier's upper bound. */
export function aboveReason(s: Subject, highest: Threshold): Reason {
  const range = rangeText(highest);
  return {
    en: `${s.value.en} is above the ${TIER_EN[highest.tier]} range (${range.en}) of ${s.code} for ${s.categoryEn}: above range, not ${TIER_EN[highest.tier]} under this standard.`,
    zh: `${s.value.zh} 高于 ${s.code} 对${s.categoryZh}规定的${TIER_ZH[highest.tier]}范围（${range.zh}）：超出范围，按该标准不判为${TIER_ZH[highest.tier]}。`,
  };
}

/** The tier's extra condition, which a selenium total alone cannot show; null when the tier has none. */
export function extraConditionReason(t: Threshold): Reason | null {
  if (t.extraCondition === null || t.extraCondition_zh === null) return null;
  return {
    en: `Under ${t.standard}, ${TIER_EN[t.tier]} also requires ${t.extraCondition}, which this result does not show.`,
    zh: `按 ${t.standard} 判为${TIER_ZH[t.tier]}还须满足：${t.extraCondition_zh}；本结果未显示该项。`,
  };
}

/** Why standard `s` gives no tier for the category on `date`. Requires `date` to be an ISO date. */
export function notApplicableClause(s: Standard, date: string, hasThresholds: boolean, categoryEn: string, categoryZh: string): Reason {
  if (date < s.effectiveFrom) return { en: `${s.code} takes effect only on ${s.effectiveFrom}`, zh: `${s.code} 自 ${s.effectiveFrom} 起才实施` };
  if (s.supersededFrom !== null && date >= s.supersededFrom) {
    return { en: `${s.code} was superseded by ${s.supersededBy ?? '?'} on ${s.supersededFrom}`, zh: `${s.code} 已于 ${s.supersededFrom} 被 ${s.supersededBy ?? '?'} 代替` };
  }
  if (s.status !== 'confirmed') return { en: `${s.code} is in force but its selenium thresholds are unconfirmed`, zh: `${s.code} 现行，但其硒含量指标尚未确认` };
  if (!hasThresholds) return { en: `${s.code} sets no selenium threshold for ${categoryEn}`, zh: `${s.code} 未规定${categoryZh}的硒含量指标` };
  return { en: `${s.code} applies`, zh: `${s.code} 适用` };
}

/** No confirmed standard gives a tier: the headline plus one clause per standard considered. */
export function noStandardReason(categoryEn: string, categoryZh: string, date: string, clauses: readonly Reason[], requested: string | null): Reason {
  const why = { en: clauses.map((c) => c.en).join('; '), zh: clauses.map((c) => c.zh).join('；') };
  if (requested !== null) {
    return {
      en: `The requested standard ${requested} gives no tier for ${categoryEn} on ${date}: ${why.en}.`,
      zh: `所请求的标准 ${requested} 在 ${date} 不能判定${categoryZh}的硒含量等级：${why.zh}。`,
    };
  }
  return {
    en: `No confirmed selenium standard applies to ${categoryEn} on ${date}: ${why.en}.`,
    zh: `${date} 无适用于${categoryZh}的已确认硒含量标准：${why.zh}。`,
  };
}

/** The requested standard code is not in the table at all. */
export function unknownStandardReason(requested: string, categoryEn: string, categoryZh: string): Reason {
  return {
    en: `The threshold table has no standard "${requested}", so no tier is computed for ${categoryEn}.`,
    zh: `硒含量指标表中没有标准“${requested}”，无法判定${categoryZh}的硒含量等级。`,
  };
}

/** A result per litre: every selenium standard here is a mass fraction (mg/kg), so none applies. */
export function perVolumeReason(value: string, categoryEn: string, categoryZh: string): Reason {
  return {
    en: `The result ${value} is per volume; the selenium standards for ${categoryEn} are per mass (mg/kg), so no standard applies.`,
    zh: `检测结果 ${value} 按体积计；${categoryZh}的硒含量标准按质量计（mg/kg），无适用标准。`,
  };
}
