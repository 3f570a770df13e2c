import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createContext, type AppContext } from '../../../server/http/context';
import { gs1CheckDigit, nowSeconds, secondsToInstant } from '../../../server/records';
import { buildBundle } from '../../../server/service/bundles';
import { Readable } from 'node:stream';
import { ByteRecordCounter, MAX_CSV_ROWS, columnOfPath, decodeCsvBytes, importBatchesCsv, newUlid, parseBatchesCsv, readBatchesCsv, type CsvImportReport } from '../../../server/service/csv-import';
import { RecordCounter } from '../../../server/service/csv-import-worker';
import { AppError } from '../../../server/errors';
import { rejection } from '../../support/assertions';
import type { System } from '../../../server/system';
import { verifyBundle } from '../../../server/verification/verify';
import { RpcChainReader } from '../../../server/chain/reader';
import { USCC } from '../records/fixtures';
import { FIXTURE_PRODUCT_KEYS, bootTestSystem, eventually, registerProducer } from '../../support/system';

const PRODUCER = { uscc: USCC.producer, name: '紫阳县富硒茶业有限公司' };
/** The id a row's `id` cell becomes: it is placed in the producer's namespace. */
const full = (local: string): string => `${PRODUCER.uscc}-${local}`;
const HEADER = 'id,gtin,lot,product_category,origin_county_code,origin_town_code,origin_name,production_kind,production_date,quantity,quantity_unit,report_ids,product_name,certificate_basis,contact_phone';

let run = 0;

/** A valid CSV row for batch `i` of an import (ids and lots unique per test run). */
function row(tag: string, i: number, overrides: Partial<Record<string, string>> = {}): string {
  const gtinBody = `6972345${String(i % 100_000).padStart(5, '0')}`;
  const cells: Record<string, string> = {
    id: `${tag}-${i}`,
    gtin: gtinBody + gs1CheckDigit(gtinBody),
    lot: `${tag}-${i}`.slice(-20),
    product_category: 'tea',
    origin_county_code: '610924',
    origin_town_code: '610924100',
    origin_name: '陕西省安康市紫阳县城关镇',
    production_kind: 'harvest',
    production_date: '2025-04-02',
    quantity: String(100 + i),
    quantity_unit: 'kg',
    report_ids: '',
    product_name: '紫阳富硒绿茶',
    certificate_basis: 'self-test;commissioned-test',
    contact_phone: '0915-4321000',
    ...overrides,
  };
  return HEADER.split(',')
    .map((c) => {
      const v = cells[c] ?? '';
      return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
    })
    .join(',');
}

function csvOf(rows: string[], eol = '\n'): string {
  return [HEADER, ...rows].join(eol) + eol;
}

const tagOf = () => `T${Date.now().toString(36).toUpperCase()}${++run}`;

describe('server/service/csv-import: reading and validating rows (no chain)', () => {
  it('When the sample file is read, Then its 20 Ankang rows are all valid', () => {
    const csv = fs.readFileSync(path.join(__dirname, '../../../scripts/samples/batches.csv'), 'utf8');
    const result = parseBatchesCsv(csv, PRODUCER);
    expect(result.refused, JSON.stringify(result.refused)).to.deep.equal([]);
    expect(result.rows).to.have.length(20);
    const counties = new Set(result.rows.map((r) => r.input.origin.countyCode));
    expect([...counties].sort()).to.deep.equal(['610921', '610924', '610926']);
  });

  it('When cells hold Chinese aliases and Excel dates, Then they are read as the schema values', () => {
    const csv = csvOf([row('A', 1, { production_kind: '采收', production_date: '2025/4/2', quantity_unit: '千克', certificate_basis: '自检；委托检测' })]);
    const [r] = parseBatchesCsv(csv, PRODUCER).rows;
    expect(r?.input.productionDate).to.deep.equal({ kind: 'harvest', date: '2025-04-02' });
    expect(r?.input.quantity.unit).to.equal('kg');
    expect(r?.input.certificate?.basis).to.deep.equal(['self-test', 'commissioned-test']);
  });

  it('When a header names an unknown column or misses a required one, Then the file is refused at line 1', () => {
    const result = parseBatchesCsv('lot,product_catgory\nA,tea\n', PRODUCER);
    expect(result.rows).to.deep.equal([]);
    expect(result.refused[0]?.line).to.equal(1);
    const messages = result.refused[0]!.errors.map((e) => e.message).join('\n');
    expect(messages).to.contain('unknown column "product_catgory"').and.to.contain('required column "quantity" is missing');
  });

  it('When an id repeats within the file, Then the later row is refused naming the first line', () => {
    const result = parseBatchesCsv(csvOf([row('D', 1), row('D', 2, { id: 'D-1' })]), PRODUCER);
    expect(result.refused).to.deep.equal([{ line: 3, errors: [{ field: 'id', message: `repeats the id ${full('D-1')} of line 2` }] }]);
  });

  it('label hijack: When two rows have the same GTIN and lot, Then the later row is refused at lot naming the first line', () => {
    const gtinOfRow1 = `697234500001${gs1CheckDigit('697234500001')}`;
    const result = parseBatchesCsv(csvOf([row('L', 1), row('L', 2, { gtin: gtinOfRow1, lot: 'L-1' })]), PRODUCER);
    expect(result.rows.map((r) => r.line)).to.deep.equal([2]);
    expect(result.refused).to.have.length(1);
    expect(result.refused[0]!.line).to.equal(3);
    expect(result.refused[0]!.errors[0]!.field).to.equal('lot');
    expect(result.refused[0]!.errors[0]!.message).to.match(/^repeats GTIN \d{14} lot L-1 of line 2/);
  });

  it("id squatting: When a row's id is in another participant's namespace, Then the row is refused at id; a plain id is prefixed with the producer's USCC", () => {
    const result = parseBatchesCsv(csvOf([row('N', 1, { id: '202727050123-R2026-0001' }), row('N', 2, { id: '91610900MA70A1234C-B1' }), row('N', 3), row('N', 4, { id: full('N-4') })]), PRODUCER);
    expect(result.refused.map((r) => [r.line, r.errors[0]!.field])).to.deep.equal([
      [2, 'id'],
      [3, 'id'],
    ]);
    expect(result.refused[0]!.errors[0]!.message).to.contain('namespace of 202727050123');
    expect(result.rows.map((r) => r.input.id)).to.deep.equal([full('N-3'), full('N-4')]);
  });

  it('When a GTIN was turned into a number by a spreadsheet, Then the row says so', () => {
    const result = parseBatchesCsv(csvOf([row('E', 1, { gtin: '6.97235E+12' })]), PRODUCER);
    expect(result.refused[0]?.errors[0]?.field).to.equal('gtin');
    expect(result.refused[0]?.errors[0]?.message).to.contain('format the column as text');
  });

  it('When a quoted cell spans lines, Then the rows after it keep their true line numbers', () => {
    const csv = csvOf([row('F', 1, { product_name: '紫阳富硒绿茶\n礼盒装' }), row('F', 2, { gtin: '6972345000012' })]);
    const result = parseBatchesCsv(csv, PRODUCER);
    expect(result.refused.map((r) => r.line)).to.deep.equal([4]);
  });

  it('When schema paths are mapped back, Then each names its CSV column', () => {
    expect(columnOfPath('origin.townCode')).to.equal('origin_town_code');
    expect(columnOfPath('certificate.quantity.value')).to.equal('quantity');
    expect(columnOfPath('reportIds[2]')).to.equal('report_ids');
    expect(columnOfPath('certificateIssuer.phone')).to.equal('contact_phone');
  });

  it('When bytes are neither UTF-8 nor GBK, Then they are refused with advice; a GBK export is read as GBK', () => {
    expect(() => decodeCsvBytes(Buffer.from([0xd7, 0xcf, 0xd1, 0xf4, 0xff]))).to.throw(/neither UTF-8 nor GBK/);
    // 紫阳 in GBK.
    expect(decodeCsvBytes(Buffer.from([0x6c, 0x6f, 0x74, 0x0a, 0xd7, 0xcf, 0xd1, 0xf4]))).to.equal('lot\n紫阳');
    expect(decodeCsvBytes(Buffer.from('\uFEFFlot\n茶', 'utf8'))).to.equal('lot\n茶');
  });

  it('When ULIDs are made, Then they are valid, distinct record ids that sort by time', () => {
    const a = newUlid(1_700_000_000_000);
    const b = newUlid(1_700_000_000_001);
    expect(a).to.match(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).to.equal(true);
    expect(newUlid()).to.not.equal(newUlid());
  });
});

describe('server/service/csv-import: reading an upload on a worker thread (no chain)', function () {
  this.timeout(60_000);
  const NOW = new Date('2025-04-03T00:00:00Z');
  /** `text` as a stream of small chunks, split inside multi-byte characters too. */
  const chunked = (text: string, size = 7) => {
    const bytes = Buffer.from(text);
    return Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
  };

  it('When records are counted across chunks, Then quoted newlines, CRLF and blank rows do not count', () => {
    const c = new RecordCounter();
    for (const part of ['lot,name\r\nA,"two\nli', 'nes"\r\n,,\r\n  , \n\u3000\nB,x']) c.push(part);
    c.end();
    expect(c.count).to.equal(3);
    // The main thread's byte counter never counts more: a row of non-ASCII alone is left to the worker.
    const b = new ByteRecordCounter();
    for (const part of ['lot,name\r\nA,"two\nli', 'nes"\r\n,,\r\n  , \n\u3000\nB,x\n茶,叶']) b.push(Buffer.from(part));
    b.end();
    expect(b.count).to.equal(3);
  });

  it('When an upload arrives in chunks split inside characters, Then it reads as parseBatchesCsv reads the whole text', async () => {
    const tag = tagOf();
    const csv = csvOf([row(tag, 1), row(tag, 2, { product_category: 'nope' }), row(tag, 3, { origin_name: '陕西省"安康市",\n紫阳县' })], '\r\n');
    const streamed = await readBatchesCsv(chunked(`\uFEFF${csv}`), PRODUCER, { now: NOW });
    expect(streamed).to.deep.equal({ ...parseBatchesCsv(csv, PRODUCER, { now: NOW }), encoding: 'utf-8' });
    expect(streamed.rows.map((r) => r.line)).to.deep.equal([2, 4]);
  });

  it('When an endless upload passes the row limit, Then reading stops and it is refused with payload-too-large', async () => {
    const tag = tagOf();
    let produced = 0;
    const endless = Readable.from(
      (function* () {
        yield Buffer.from(`${HEADER}\n`);
        for (;;) yield Buffer.from(`${row(tag, ++produced)}\n`);
      })(),
    );
    const e = await rejection(readBatchesCsv(endless, PRODUCER, { now: NOW }));
    expect(e).to.be.instanceOf(AppError);
    expect((e as AppError).code).to.equal('payload-too-large');
    expect(produced).to.be.greaterThan(MAX_CSV_ROWS);
  });

  it('When an upload is neither UTF-8 nor GBK, Then it is refused with invalid-input', async () => {
    const e = await rejection(readBatchesCsv(Readable.from([Buffer.from(`${HEADER}\n`), Buffer.from([0xd7, 0xcf, 0xd1, 0xf4, 0xff])]), PRODUCER));
    expect((e as AppError).code).to.equal('invalid-input');
    expect((e as AppError).message).to.contain('neither UTF-8 nor GBK');
  });

  it('When an upload fails midway, Then it is refused with invalid-input, not an unexpected error', async () => {
    const broken = new Readable({ read() {} });
    broken.push(Buffer.from(`${HEADER}\n`));
    setImmediate(() => broken.destroy(new Error('socket hang up')));
    const e = await rejection(readBatchesCsv(broken, PRODUCER));
    expect((e as AppError).code).to.equal('invalid-input');
  });
});

describe('server/service/csv-import: importing into the real system (anvil)', function () {
  this.timeout(180_000);
  let sys: System;
  let ctx: AppContext;
  let producerId: string;

  before(async () => {
    sys = await bootTestSystem({ env: { ANCHOR_EVERY_ENTRIES: '64' } });
    ctx = createContext(sys);
    producerId = await registerProducer(sys, PRODUCER.name, PRODUCER.uscc, FIXTURE_PRODUCT_KEYS);
  });
  after(async () => sys?.stop());

  /** The stored records of `ids` (row ids, placed in the producer's namespace as the import does). */
  const stored = async (ids: string[]) => (await Promise.all(ids.map((id) => sys.store.getRecord(id.startsWith(`${PRODUCER.uscc}-`) ? id : full(id))))).filter((r) => r !== undefined);

  it('When 200 valid rows are imported, Then all are committed at once and anchored so each verifies on chain', async () => {
    const tag = tagOf();
    const csv = csvOf(Array.from({ length: 200 }, (_, i) => row(tag, i)));

    // How fast is for scripts/bench (ratios in one run), never a timed assertion here: it failed on a loaded 2-core machine.
    const report = await importBatchesCsv(ctx, producerId, csv);

    expect(report.refused, JSON.stringify(report.refused)).to.deep.equal([]);
    expect(report.committed).to.equal(true);
    expect(report.accepted).to.have.length(200);
    expect(report.accepted[0]).to.include({ line: 2, id: full(`${tag}-0`) });
    expect(report.accepted[199]?.leafHash).to.match(/^0x[0-9a-f]{64}$/);

    const last = full(`${tag}-199`);
    const bundle = await eventually(async () => {
      const b = await buildBundle(sys.store, sys.deployment, last);
      return b.checkpoint ? b : undefined;
    });
    const result = await verifyBundle(bundle, { chain: new RpcChainReader(sys.provider, sys.deployment) });
    expect(result.verdict, JSON.stringify(result.steps, null, 1)).to.equal('valid');
    expect(result.record?.fields.origin).to.deep.equal({ countyCode: '610924', townCode: '610924100', name: '陕西省安康市紫阳县城关镇' });
  });

  it('When one row of many is bad, Then nothing is committed and the report names its line and field', async () => {
    const tag = tagOf();
    const rows = Array.from({ length: 50 }, (_, i) => row(tag, i));
    rows[36] = row(tag, 36, { origin_town_code: '610926105' }); // line 38: a 平利县 town under 紫阳县

    const report = await importBatchesCsv(ctx, producerId, csvOf(rows));

    expect(report.committed).to.equal(false);
    expect(report.accepted).to.deep.equal([]);
    expect(report.refused).to.deep.equal([{ line: 38, errors: [{ field: 'origin_town_code', message: 'town code must start with the county code' }] }]);
    expect(await stored(rows.map((_, i) => `${tag}-${i}`))).to.have.length(0);
  });

  it('When partial mode is asked, Then the good rows are committed and the bad ones reported', async () => {
    const tag = tagOf();
    const rows = Array.from({ length: 10 }, (_, i) => row(tag, i));
    rows[2] = row(tag, 2, { quantity: '十' });
    rows[7] = row(tag, 7, { gtin: '6972345000077', production_date: '2025-13-01' });

    const report = await importBatchesCsv(ctx, producerId, csvOf(rows), { partial: true });

    expect(report.committed).to.equal(true);
    expect(report.accepted.map((a) => a.line)).to.deep.equal([2, 3, 5, 6, 7, 8, 10, 11]);
    expect(report.refused.map((r) => r.line)).to.deep.equal([4, 9]);
    expect(report.refused[0]?.errors).to.deep.equal([{ field: 'quantity', message: 'must be a number such as 500 or 12.5, got "十"' }]);
    expect(report.refused[1]?.errors.map((e) => e.field)).to.deep.equal(['gtin', 'production_date']);
    expect(await stored(report.accepted.map((a) => a.id))).to.have.length(8);
    expect(await stored([`${tag}-2`, `${tag}-7`])).to.have.length(0);
  });

  it('When the file has a BOM, CRLF line ends and Chinese text, Then the text is kept exactly and lines are right', async () => {
    const tag = tagOf();
    const rows = [row(tag, 1, { product_name: '紫阳毛尖（明前）, 特级' }), row(tag, 2, { origin_name: '陕西省安康市平利县长安镇', origin_county_code: '610926', origin_town_code: '610926105' })];
    const csv = `\uFEFF${csvOf(rows, '\r\n')}`;

    const report = await importBatchesCsv(ctx, producerId, csv);

    expect(report.refused).to.deep.equal([]);
    expect(report.accepted.map((a) => a.line)).to.deep.equal([2, 3]);
    const first = await sys.store.getRecord(full(`${tag}-1`));
    expect((first?.body.certificate as { productName: string }).productName).to.equal('紫阳毛尖（明前）, 特级');
    expect((first?.body.producer as { name: string }).name).to.equal(PRODUCER.name);
    const second = await sys.store.getRecord(full(`${tag}-2`));
    expect((second?.body.origin as { name: string }).name).to.equal('陕西省安康市平利县长安镇');
  });

  it('When a file is imported twice, Then the second import is refused row by row as already accepted', async () => {
    const tag = tagOf();
    const csv = csvOf([row(tag, 1), row(tag, 2)]);
    expect((await importBatchesCsv(ctx, producerId, csv)).committed).to.equal(true);

    const again: CsvImportReport = await importBatchesCsv(ctx, producerId, csv, { partial: true });

    expect(again.committed).to.equal(false);
    expect(again.refused).to.deep.equal([
      { line: 2, errors: [{ field: 'id', message: `record ${full(`${tag}-1`)} was already accepted` }] },
      { line: 3, errors: [{ field: 'id', message: `record ${full(`${tag}-2`)} was already accepted` }] },
    ]);
  });

  it('When the id column is empty, Then each row gets a fresh ULID in the producer\'s namespace', async () => {
    const tag = tagOf();
    const report = await importBatchesCsv(ctx, producerId, csvOf([row(tag, 1, { id: '' }), row(tag, 2, { id: '' })]));
    expect(report.accepted.map((a) => a.id)).to.satisfy((ids: string[]) => ids.every((id) => new RegExp(`^${PRODUCER.uscc}-[0-9A-Z]{26}$`).test(id)) && ids[0] !== ids[1]);
  });

  it('When the producer is not a registered, active producer, Then the import is forbidden', async () => {
    let code: string | undefined;
    try {
      await importBatchesCsv(ctx, `0x${'ab'.repeat(32)}`, csvOf([row(tagOf(), 1)]));
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).to.equal('forbidden');
  });

  it('When a row is back-dated (issued_at 30 days ago) or dated ahead, Then it is refused at its line and column issued_at; with partial, the others are committed', async () => {
    const tag = tagOf();
    const issuedAt = (offset: number) => secondsToInstant(nowSeconds() + offset);
    const csv = [`${HEADER},issued_at`, `${row(tag, 1)},${issuedAt(-60)}`, `${row(tag, 2)},${issuedAt(-30 * 24 * 3600)}`, `${row(tag, 3)},${issuedAt(600)}`].join('\n') + '\n';

    const all = await importBatchesCsv(ctx, producerId, csv);
    expect(all.committed).to.equal(false);
    expect(all.refused.map((r) => [r.line, r.errors.map((e) => e.field)])).to.deep.equal([
      [3, ['issued_at']],
      [4, ['issued_at']],
    ]);
    expect(all.refused[0]!.errors[0]!.message).to.contain('30 days before');
    expect(await stored([`${tag}-1`, `${tag}-2`, `${tag}-3`])).to.have.length(0);

    const partial = await importBatchesCsv(ctx, producerId, csv, { partial: true });
    expect(partial.accepted.map((a) => a.id)).to.deep.equal([full(`${tag}-1`)]);
    expect(await stored([`${tag}-2`, `${tag}-3`])).to.have.length(0);
  });

  it('When the ingest service gets many batches at once and one is back-dated, Then issued-at-too-old refuses them all, naming its index', async () => {
    const tag = tagOf();
    const { rows } = parseBatchesCsv(csvOf([row(tag, 1), row(tag, 2)]), PRODUCER);
    const inputs = rows.map((r) => r.input);
    let err: { code?: string; details?: { index?: number } } | undefined;
    try {
      await sys.ingest.submitBatchesForProducer(producerId, [inputs[0]!, { ...inputs[1]!, issuedAt: '1970-01-01T00:00:00Z' }]);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).to.equal('issued-at-too-old');
    expect(err?.details?.index).to.equal(1);
    expect(await stored([`${tag}-1`, `${tag}-2`])).to.have.length(0);
  });

  it('When the ingest service gets many batches at once, Then a repeated id refuses them all, naming its index', async () => {
    const tag = tagOf();
    const { rows } = parseBatchesCsv(csvOf([row(tag, 1), row(tag, 2)]), PRODUCER);
    const inputs = rows.map((r) => r.input);
    await sys.ingest.submitBatchesForProducer(producerId, [inputs[0]!]);

    let err: { code?: string; details?: { index?: number } } | undefined;
    try {
      await sys.ingest.submitBatchesForProducer(producerId, [inputs[1]!, inputs[0]!]);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).to.equal('replay');
    expect(err?.details?.index).to.equal(1);
    expect(await sys.store.getRecord(full(`${tag}-2`))).to.equal(undefined);
  });
});
