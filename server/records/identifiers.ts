/** Check-digit rules of the identifiers records carry: GS1 GTIN, GS1 lot (CSET 82), GB 32100-2015 USCC, CMA. */

// ---------------------------------------------------------------------------
// GS1 GTIN (GS1 General Specifications §7.9.1: mod-10 check digit, weights 3,1 from the right).

/** The GS1 mod-10 check digit of `body` (the GTIN without its last digit). Requires `body` to be all digits. */
export function gs1CheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const digit = body.charCodeAt(body.length - 1 - i) - 48;
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

/** Why a GTIN string was rejected, or null when it is a valid GTIN-8/12/13/14. */
export function gtinProblem(gtin: string): string | null {
  if (!/^(?:\d{8}|\d{12}|\d{13}|\d{14})$/.test(gtin)) return 'must be a GTIN-8, -12, -13 or -14: 8, 12, 13 or 14 digits';
  const expected = gs1CheckDigit(gtin.slice(0, -1));
  const actual = gtin.charCodeAt(gtin.length - 1) - 48;
  return actual === expected ? null : `has check digit ${actual}, but the GS1 check digit of ${gtin.slice(0, -1)} is ${expected}`;
}

/** True for a GTIN-8/12/13/14 with a correct check digit. */
export function isValidGtin(gtin: string): boolean {
  return gtinProblem(gtin) === null;
}

/** The GTIN-14 form (left-padded with zeros, as GS1 Digital Link and AI (01) carry it). Requires a valid GTIN. */
export function toGtin14(gtin: string): string {
  return gtin.padStart(14, '0');
}

/**
 * True when a GTIN-14 carries a GS1 China prefix (690–699): for a GTIN-13 inside it
 * (indicator 0) the three digits after the indicator, for a GTIN-8 (six leading zeros)
 * the first three digits of the GTIN-8. GS1 prefixes say who allocated the number, not
 * where the product comes from, so this is informational, never a validity rule.
 * Requires a 14-digit string.
 */
export function hasChinaGs1Prefix(gtin14: string): boolean {
  const prefix = gtin14.startsWith('000000') ? gtin14.slice(6, 9) : gtin14.slice(1, 4);
  return /^69\d$/.test(prefix);
}

// ---------------------------------------------------------------------------
// GS1 AI (10) batch/lot: 1–20 characters of GS1 CSET 82 (GS1 General Specifications Figure 7.11-1):
// ! " % & ' ( ) * + , - . / 0–9 : ; < = > ? A–Z _ a–z. The range %-? is 0x25–0x3F.

/** A lot number: 1–20 characters of the GS1 82-character set. */
export const GS1_LOT_PATTERN = /^[!"%-?A-Z_a-z]{1,20}$/;

// ---------------------------------------------------------------------------
// Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters of a 31-symbol
// alphabet (digits and capitals without I, O, S, V, Z); characters 3–8 are the administrative
// division code; the 18th is a check character with weights 3^(i-1) mod 31.

const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

/** Shape of a USCC before its check character is checked. */
export const USCC_PATTERN = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/** The GB 32100-2015 check character of the first 17 characters. Requires 17 characters of the USCC alphabet. */
export function usccCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(first17.charAt(i)) * USCC_WEIGHTS[i]!;
  return USCC_ALPHABET.charAt((31 - (sum % 31)) % 31);
}

/** Why a USCC was rejected, or null when it is valid. */
export function usccProblem(uscc: string): string | null {
  if (!USCC_PATTERN.test(uscc)) {
    return 'must be 18 characters: digits and capital letters except I, O, S, V, Z, with characters 3–8 digits (GB 32100-2015)';
  }
  const expected = usccCheckCharacter(uscc.slice(0, 17));
  const actual = uscc.charAt(17);
  return actual === expected ? null : `has check character ${actual}, but GB 32100-2015 gives ${expected}`;
}

/** True for a unified social credit code with a correct GB 32100-2015 check character. */
export function isValidUscc(uscc: string): boolean {
  return usccProblem(uscc) === null;
}

// ---------------------------------------------------------------------------
// Lab accreditation numbers.

/** CMA (资质认定) certificate number: 12 digits; digits 3–4 are the issuing province (27 = Shaanxi). */
export const CMA_PATTERN = /^\d{12}$/;

/** The issuing province code of a CMA number (digits 3–4), e.g. "27" for Shaanxi. Requires a 12-digit string. */
export function cmaProvinceCode(cma: string): string {
  return cma.slice(2, 4);
}

/** CNAS laboratory accreditation number, e.g. "CNAS L1234". */
export const CNAS_LAB_PATTERN = /^CNAS L\d{4,5}$/;
