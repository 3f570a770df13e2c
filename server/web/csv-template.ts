/**
 * The CSV template of the producer's batch import (served at /console/batches-template.csv): every column the import
 * reads, in its order, and one example row that imports as it is. UTF-8 with a byte-order mark, CRLF line ends: Excel
 * then opens its Chinese text right (without the BOM it reads the file as the system's ANSI code page, i.e. GBK).
 */
import { CSV_COLUMNS } from '../service/csv-import';

export const BATCHES_TEMPLATE_FILE = 'batches-template.csv';

/** An example value for each column (empty: the import fills it in, or it is optional). */
export const TEMPLATE_EXAMPLE: Readonly<Record<(typeof CSV_COLUMNS)[number]['name'], string>> = {
  id: '',
  issued_at: '',
  gtin: '',
  lot: 'ZY26-0402A',
  product_category: 'tea',
  origin_county_code: '610924',
  origin_town_code: '610924100',
  origin_name: '陕西省安康市紫阳县城关镇',
  production_kind: 'harvest',
  production_date: '2026-04-02',
  quantity: '180',
  quantity_unit: 'kg',
  report_ids: '',
  product_name: '紫阳毛尖',
  certificate_origin: '',
  certificate_issued_at: '',
  certificate_commitments: '',
  certificate_basis: 'self-test',
  committing_party: '',
  committing_party_uscc: '',
  contact_person: '',
  contact_phone: '0915-4321001',
};

/** One CSV cell, quoted when it must be (RFC 4180). */
const cell = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The template: BOM, header row, example row. */
export function batchesCsvTemplate(): string {
  const header = CSV_COLUMNS.map((c) => c.name);
  const example = CSV_COLUMNS.map((c) => TEMPLATE_EXAMPLE[c.name]);
  return `\uFEFF${header.map(cell).join(',')}\r\n${example.map(cell).join(',')}\r\n`;
}
