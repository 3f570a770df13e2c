/**
 * `npm run demo`: fills a running `npm start` with a demo lab (its own signing key), two producers,
 * three departments, eight batches of tea and rice with GTINs, their selenium reports — one below
 * the selenium range, one later revoked — and two data-sharing trails (one raising an alert), then
 * prints the consumer URLs and the auditor console.
 * It talks to the server only through its public HTTP API, as a lab's or producer's tooling would.
 *
 * Finds the server as scripts/demo-api.ts findServer says: DEMO_SERVER when set, else the URL that npm start wrote to
 * $DATA_DIR/server.json (default data/server.json), else http://localhost:$PORT (default 3000). ADMIN_TOKEN or
 * $DATA_DIR/admin-token (default data/). Keys of the demo lab and departments are kept under
 * $DATA_DIR/demo/ so a second run reuses them.
 */
import path from 'node:path';
import { DATA_DIR, SERVER, api, demoKey, ensureParticipant, instant, isoIn, submitSigned } from './demo-api';
import { DEPARTMENTS, runDemoTrails } from './demo-trails';

const YEAR = 365 * 24 * 3600;

const PRODUCERS = [
  // `prefix`: the GS1 company prefix its GTINs start with, assigned to it on chain (ingest refuses a GTIN not its own).
  { name: '紫阳县富硒茶业有限公司', uscc: '91610924MA6YAB3K2L', prefix: '697234501', county: '610924', town: '610924100', place: '陕西省安康市紫阳县城关镇' },
  { name: '汉阴县凤堰富硒米业合作社', uscc: '93610921MA6Y9XB607', prefix: '697234502', county: '610921', town: '610921104', place: '陕西省安康市汉阴县漩涡镇' },
];

interface DemoBatch {
  id: string;
  gtin: string;
  lot: string;
  category: 'tea' | 'paddy-rice';
  product: string;
  producer: 0 | 1;
  harvest: string;
  kg: number;
  se: number;
}

// GTINs with China prefix 697 and correct GS1 check digits.
const BATCHES: DemoBatch[] = [
  { id: 'DEMO-ZY-TEA-001', gtin: '6972345010010', lot: 'ZY26-MJ0328', category: 'tea', product: '紫阳毛尖（明前）', producer: 0, harvest: '2026-03-28', kg: 180, se: 0.42 },
  { id: 'DEMO-ZY-TEA-002', gtin: '6972345010027', lot: 'ZY26-CF0402', category: 'tea', product: '紫阳翠峰', producer: 0, harvest: '2026-04-02', kg: 240, se: 0.36 },
  { id: 'DEMO-ZY-TEA-003', gtin: '6972345010034', lot: 'ZY26-LC0410', category: 'tea', product: '紫阳富硒绿茶', producer: 0, harvest: '2026-04-10', kg: 320, se: 0.12 },
  { id: 'DEMO-ZY-TEA-004', gtin: '6972345010041', lot: 'ZY26-LC0416', category: 'tea', product: '紫阳富硒绿茶', producer: 0, harvest: '2026-04-16', kg: 410, se: 0.31 },
  { id: 'DEMO-HY-RICE-001', gtin: '6972345020019', lot: 'HY25-FY1008', category: 'paddy-rice', product: '凤堰富硒大米', producer: 1, harvest: '2025-10-08', kg: 5000, se: 0.085 },
  { id: 'DEMO-HY-RICE-002', gtin: '6972345020026', lot: 'HY25-FY1015', category: 'paddy-rice', product: '凤堰富硒大米', producer: 1, harvest: '2025-10-15', kg: 4200, se: 0.11 },
  { id: 'DEMO-HY-RICE-003', gtin: '6972345020033', lot: 'HY25-XW1020', category: 'paddy-rice', product: '漩涡富硒香米', producer: 1, harvest: '2025-10-20', kg: 3600, se: 0.064 },
  { id: 'DEMO-HY-RICE-004', gtin: '6972345020040', lot: 'HY25-XW1026', category: 'paddy-rice', product: '漩涡富硒香米', producer: 1, harvest: '2025-10-26', kg: 3900, se: 0.072 },
];
/** The report that the lab later revokes (sample mix-up). */
const REVOKED = 'DEMO-HY-RICE-002';

/** The demo lab's CMA number: its reports' ids are in its namespace. */
const LAB_CMA = '202727050123';
/** Record ids are namespaced by their submitter: `{producer USCC}-…` for batches, `{lab CMA}-…` for reports. */
const batchIdOf = (b: DemoBatch): string => `${PRODUCERS[b.producer]!.uscc}-${b.id}`;
const reportIdOf = (demoId: string): string => `${LAB_CMA}-RPT-${demoId}`;

function batchRecord(b: DemoBatch, issuedAt: string) {
  const p = PRODUCERS[b.producer]!;
  return {
    id: batchIdOf(b),
    issuedAt,
    gtin: b.gtin,
    lot: b.lot,
    producer: { uscc: p.uscc, name: p.name },
    origin: { countyCode: p.county, townCode: p.town, name: p.place },
    productionDate: { kind: 'harvest', date: b.harvest },
    quantity: { value: b.kg, unit: 'kg' },
    productCategory: b.category,
    reportIds: [reportIdOf(b.id)],
    certificate: {
      productName: b.product,
      quantity: { value: b.kg, unit: 'kg' },
      origin: p.place,
      issuedAt,
      commitments: ['不使用禁用农药兽药、停用兽药和非法添加物', '常规农药兽药残留不超标', '对承诺的真实性负责'],
      basis: ['self-test', 'commissioned-test'],
    },
    certificateIssuer: { committingParty: p.name, committingPartyUscc: p.uscc, contactPerson: '王建国', phone: '0915-4321001' },
  };
}

/** A lab's name, CMA number and CMA validity as registered on chain: what its reports must state. */
interface LabIdentity {
  name: string;
  cmaNumber: string;
  cmaValidUntil: string;
}

function reportRecord(b: DemoBatch, issuedAt: string, lab: LabIdentity) {
  const harvest = new Date(`${b.harvest}T00:00:00Z`);
  const day = (n: number) => new Date(harvest.getTime() + n * 86_400_000).toISOString().slice(0, 10);
  const spec = b.category === 'tea' ? 'NY/T 600-2002' : 'GB/T 22499-2008';
  return {
    id: reportIdOf(b.id),
    issuedAt,
    reportNumber: `AKSE-${b.harvest.slice(0, 4)}-${b.id.slice(-7)}`,
    lab: { ...lab, address: '陕西省安康市汉滨区高新区科技路1号', cnasNumber: 'CNAS L12345' },
    client: { name: PRODUCERS[b.producer]!.name, phone: '0915-4321001' },
    sample: { id: `S-${b.lot}`, name: b.product, state: b.category === 'tea' ? '固体，绿色条索，密封完好' : '固体，精米，密封完好' },
    sampling: { by: '李娜', method: b.category === 'tea' ? 'GB/T 8302 取样' : 'GB/T 5491 扦样', date: day(2), place: PRODUCERS[b.producer]!.place },
    receivedDate: day(3),
    testDates: { from: day(4), to: day(6) },
    issueDate: day(8),
    methodStandard: 'GB 5009.93-2017 第一法',
    analyte: 'Se',
    result: b.se,
    unit: 'mg/kg',
    lod: 0.002,
    loq: 0.006,
    uncertainty: { value: Number((b.se * 0.08).toFixed(3)), k: 2 },
    specificationStandard: spec,
    conclusion: b.category === 'tea' ? (b.se >= 0.25 ? `硒含量符合 ${spec} 富硒茶要求` : `硒含量低于 ${spec} 富硒茶要求`) : `硒含量符合 ${spec} 富硒稻谷要求`,
    signatories: { tester: '王芳', reviewer: '陈强', approver: '刘洋' },
    reportPdfSha256: `0x${Buffer.from(b.id.padEnd(32, '-')).toString('hex').slice(0, 64)}`,
    batchId: batchIdOf(b),
  };
}

async function main() {
  const a = await api();
  const log = (s: string) => process.stdout.write(`${s}\n`);
  log(`traceledger demo against ${SERVER} (chain ${a.binding.chainId}, TraceLedger ${a.binding.verifyingContract})`);

  const labKey = demoKey('lab');
  const labId = await ensureParticipant(
    a,
    {
      kind: 'lab',
      name: '安康市富硒产品质量检验检测中心',
      cmaNumber: LAB_CMA,
      accreditedFrom: isoIn(-10 * 60), // windows cannot start in the past (more than an hour before registration)
      // A CMA certificate is valid until a calendar date (registered as its midnight UTC).
      accreditedUntil: isoIn(3 * YEAR).slice(0, 10),
      keys: [{ address: labKey.address, validFrom: isoIn(-10 * 60), validTo: isoIn(2 * YEAR) }],
    },
    '202727050123',
  );
  // Reports state the lab exactly as registered (ingest refuses another name, CMA number or validity),
  // read back from the server so that a second run, on another day, still matches.
  const registered = await a.get<{ name: string; code: string; accreditedUntil: string }>(`/api/v1/participants/${labId}`);
  const lab: LabIdentity = { name: registered.name, cmaNumber: registered.code, cmaValidUntil: registered.accreditedUntil.slice(0, 10) };
  log(`  lab       ${lab.name} (CMA ${lab.cmaNumber}, valid until ${lab.cmaValidUntil}), signing key ${labKey.address}`);

  const tokens: string[] = [];
  for (const p of PRODUCERS) {
    const id = await ensureParticipant(a, { kind: 'producer', name: p.name, uscc: p.uscc }, p.uscc);
    const held = await a.get<{ items: { key: string }[] }>(`/api/v1/participants/${id}/product-keys`);
    if (!held.items.some((k) => k.key === p.prefix)) {
      const assigned = await a.post<unknown>(`/api/v1/participants/${id}/product-keys`, { key: p.prefix });
      if (assigned.status !== 201) throw new Error(`product key ${p.prefix} for ${p.name}: ${JSON.stringify(assigned.body)}`);
    }
    const t = await a.post<{ token: string }>('/api/v1/tokens', { producerId: id, label: 'demo' });
    if (t.status !== 201) throw new Error(`token for ${p.name}: ${JSON.stringify(t.body)}`);
    tokens.push(t.body.token);
    log(`  producer  ${p.name} (${p.uscc}), GS1 company prefix ${p.prefix}`);
  }

  const issuedAt = instant(new Date(Date.now() - 5_000));
  for (const b of BATCHES) {
    const res = await a.post<{ error?: { code: string } }>('/api/v1/batches', batchRecord(b, issuedAt), tokens[b.producer]);
    if (res.status !== 201 && res.body.error?.code !== 'replay') throw new Error(`batch ${b.id}: ${JSON.stringify(res.body)}`);
    await submitSigned(a, '/api/v1/reports', 'SeleniumTestReport', reportRecord(b, issuedAt, lab), labKey);
  }
  log(`  batches   ${BATCHES.length} (tea from 紫阳县, rice from 汉阴县), each with a lab-signed selenium report`);

  const shares = await runDemoTrails(a, log);

  log('  waiting for the records to be anchored on chain…');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ids = [...BATCHES.map((b) => reportIdOf(b.id)), ...shares];
    const views = await Promise.all(ids.map((id) => a.get<{ status?: string; anchor?: unknown }>(`/api/v1/records/${id}`)));
    if (views.every((v) => v.status === 'anchored')) break;
    if (Date.now() > deadline) throw new Error('records were not anchored within 120 s; is the anchoring worker running? see /healthz');
    await new Promise((r) => setTimeout(r, 1000));
  }

  const revoke = await a.post<{ error?: { code: string } }>('/api/v1/revocations', { recordId: reportIdOf(REVOKED), reason: 'sample-mismatch' });
  if (revoke.status !== 201 && revoke.body.error?.code !== 'conflict') throw new Error(`revocation: ${JSON.stringify(revoke.body)}`);
  log(`  revoked   the report of ${REVOKED} (sample mix-up)`);

  log('\nConsumer pages (scan these as QR codes, or open them):');
  for (const b of BATCHES) {
    const note = b.id === REVOKED ? '  ← report revoked' : b.category === 'tea' && b.se < 0.25 ? '  ← below the selenium-rich range' : '';
    log(`  ${SERVER}/01/${b.gtin.padStart(14, '0')}/10/${encodeURIComponent(b.lot)}${note}`);
  }
  log(`\nProducer console: ${SERVER}/console`);
  log(`Auditor console:  ${SERVER}/audit  (paste the admin token: ${process.env.ADMIN_TOKEN ? 'ADMIN_TOKEN' : path.join(DATA_DIR, 'admin-token')})`);
  log(`  trails: ${DEPARTMENTS.map((d) => d.name).join(', ')}; the share 卫生健康委员会 ← 农业农村局 (DEMO-SHARE-2) raises an alert: conditional item without a legal basis`);
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
