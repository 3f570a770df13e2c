/** Selenium standards as data, and classification of lab results against them. */
export { classify, listCategories, standardsInForce } from './classify';
export type { CategoryInfo, Classification, ClassificationTier, ClassifyInput, StandardRef, ThresholdRange } from './classify';
export { InvalidArgumentError, InvariantError } from './errors';
export type { StandardsErrorCode, TableIssue } from './errors';
export { BASES, STATUSES, THRESHOLD_TABLE_FORMAT, TIERS, ThresholdTableSchema } from './schema';
export type { Basis, Category, Standard, Threshold, ThresholdTable, Tier } from './schema';
export { parseThresholdTable, seleniumThresholds } from './table';
export { formatMgPerKg, isVolumeUnit, parseSeleniumUnit, RESULT_UNITS, SELENIUM_UNITS, toNanogramsPerKg, VOLUME_UNITS } from './units';
export type { ResultUnit, SeleniumUnit } from './units';
