/** Selenium units: exact conversion of a reported result to integer nanograms per kilogram, and back to text. */
import { InvalidArgumentError } from './errors';

/**
 * The units a lab may report a selenium result in, as a record writes them (ASCII "ug" stands for µg):
 * the one list the record schema accepts. The per-mass units classify against the standards; the
 * per-volume units (liquids) do not, since every selenium standard is per mass: they get "no standard".
 */
export const RESULT_UNITS = ['mg/kg', 'ug/kg', 'ug/100g', 'ug/g', 'mg/L', 'ug/L'] as const;
export type ResultUnit = (typeof RESULT_UNITS)[number];

/** The per-volume result units: no threshold table compares them. */
export const VOLUME_UNITS: readonly ResultUnit[] = ['mg/L', 'ug/L'];

/** True for a per-volume unit (mg/L, µg/L, any spelling), which no selenium standard applies to. */
export function isVolumeUnit(unit: unknown): boolean {
  return typeof unit === 'string' && /^(m|u)g\/l$/.test(unitKey(unit));
}

/** The per-mass units a selenium result classifies in, as written canonically. */
export const SELENIUM_UNITS = ['mg/kg', 'µg/kg', 'µg/100g', 'µg/g'] as const;

/** A canonical selenium unit. */
export type SeleniumUnit = (typeof SELENIUM_UNITS)[number];

/** 1 unit = 10^k ng/kg. µg/g is the same mass fraction as mg/kg. */
const NG_PER_KG_EXPONENT: Readonly<Record<SeleniumUnit, number>> = {
  'mg/kg': 6,
  'µg/g': 6,
  'µg/100g': 4,
  'µg/kg': 3,
};

/** Spellings (after `unitKey`) that name each canonical unit. */
const UNIT_SPELLINGS: Readonly<Record<string, SeleniumUnit>> = {
  'mg/kg': 'mg/kg',
  'ug/kg': 'µg/kg',
  'ug/100g': 'µg/100g',
  'ug/g': 'µg/g',
};

/** ng/kg in 1 mg/kg. */
export const NG_PER_MG = 1_000_000;

/** The most selenium a sample can hold: the whole kilogram, 10^6 mg/kg. */
export const MAX_NG_PER_KG = 1_000_000 * NG_PER_MG;

/** Folds the micro sign, Greek mu, `mc`, case and spaces, so "μg / 100 g" and "ug/100g" compare equal. */
function unitKey(unit: string): string {
  return unit
    .normalize('NFKC') // micro sign U+00B5 -> Greek mu U+03BC
    .replace(/\s+/g, '')
    .toLowerCase()
    .replace(/^(μ|mc)g/, 'ug');
}

/**
 * The canonical unit a spelling names, or null if it names none.
 * Accepts mg/kg, µg/kg, µg/100g, µg/g, with µ, μ, u or mc, any case and spacing.
 */
export function parseSeleniumUnit(unit: string): SeleniumUnit | null {
  return UNIT_SPELLINGS[unitKey(unit)] ?? null;
}

/** A non-negative decimal: value = digits × 10^exponent exactly. */
interface Decimal {
  readonly digits: string;
  readonly exponent: number;
}

/** The shortest decimal that reads back as `x` (what the user typed). Requires x finite and >= 0. */
function decimalOf(x: number): Decimal {
  const [mantissa = '0', exp = '0'] = String(x).split('e');
  const [int = '0', frac = ''] = mantissa.split('.');
  return { digits: (int + frac).replace(/^0+(?=\d)/, ''), exponent: Number(exp) - frac.length };
}

/** x × 10^power rounded half-up to an integer, and whether no digit was dropped. Requires x finite and >= 0. */
export function scaleToInteger(x: number, power: number): { value: number; exact: boolean } {
  const { digits, exponent } = decimalOf(x);
  const shift = exponent + power;
  if (shift >= 0) return { value: Number(digits + '0'.repeat(shift)), exact: true };
  const kept = digits.length + shift;
  if (kept < 0) return { value: 0, exact: /^0+$/.test(digits) };
  const dropped = digits.slice(kept);
  const head = kept === 0 ? 0 : Number(digits.slice(0, kept));
  return { value: head + ((dropped[0] ?? '0') >= '5' ? 1 : 0), exact: /^0*$/.test(dropped) };
}

/**
 * A result as an integer number of ng/kg (1e-6 mg/kg), rounded half-up from the decimal the number
 * prints as, so 0.14 is exactly 140000 and float noise such as 0.1 + 0.2 lands on 300000.
 * Requires value finite, >= 0 and at most 10^6 mg/kg; throws InvalidArgumentError('INVALID_VALUE') otherwise.
 */
export function toNanogramsPerKg(value: number, unit: SeleniumUnit): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError('INVALID_VALUE', `A selenium result must be a finite number >= 0, got ${String(value)}.`);
  }
  const ng = scaleToInteger(value, NG_PER_KG_EXPONENT[unit]).value;
  if (ng > MAX_NG_PER_KG) {
    throw new InvalidArgumentError('INVALID_VALUE', `A selenium result of ${value} ${unit} exceeds 10^6 mg/kg, the whole sample.`);
  }
  return ng;
}

/** An integer ng/kg as a mg/kg decimal with 2 to 6 places: 75000 -> "0.075", 4000000 -> "4.00". Requires ng a safe integer >= 0. */
export function formatMgPerKg(ng: number): string {
  const whole = Math.floor(ng / NG_PER_MG);
  const fraction = String(ng % NG_PER_MG).padStart(6, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${whole}.${fraction}`;
}
