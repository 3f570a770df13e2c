/** Plain-text tables and number formats for benchmark output. */

/** A column: its heading and whether its cells are right-aligned (numbers). */
export interface Column {
  readonly title: string;
  readonly align?: 'left' | 'right';
}

/** Renders rows under headings, columns padded to their widest cell, two spaces apart, indented by `indent`. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[], indent = '  '): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    indent +
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const w = widths[i]!;
        return c.align === 'right' ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  const rule = indent + widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.title)), rule, ...rows.map(line)].join('\n');
}

/** 1234567 → "1,234,567". */
export function int(x: number | bigint): string {
  return x.toLocaleString('en-US');
}

/** Milliseconds with a precision that suits their size: "12.3 ms", "1,234 ms". */
export function ms(x: number): string {
  return x >= 100 ? `${int(Math.round(x))} ms` : `${x.toFixed(1)} ms`;
}

/** A ratio as "12.3×" (three significant figures, at least one decimal below 100). */
export function ratio(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (x >= 100) return `${int(Math.round(x))}×`;
  return `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`;
}

/** One decimal with thousands separators: "166,512.4", "70.0". */
export function decimal1(x: number): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/** Percentage of `part` in `whole`, one decimal. */
export function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)} %`;
}
