/**
 * The data-sharing part of `npm run demo`: three departments with their own signing keys, and two
 * share trails submitted through the HTTP API as each department's tooling would (signed with
 * its key, seq and prevHash taken from GET /api/v1/departments/{id}/head):
 * - a clean one: 市场监督管理局 requests 抽检数据 from 农业农村局, which approves and delivers a CSV
 *   (generated here, kept under DATA_DIR/demo/; only its SHA-256 is recorded), countersigned;
 * - one that raises an alert: 卫生健康委员会 requests a conditional (有条件共享) item without stating
 *   a legal basis, and 农业农村局 approves and delivers it anyway (conditional-without-legal-basis).
 * A second run skips every step already on record (same ids), so it changes nothing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Wallet } from 'ethers';
import { SHARE_STEP_TYPES, namespacedId, type ShareStep } from '../server/records';
import { DEMO_DIR, demoKey, ensureParticipant, isoIn, submitSigned, type DemoApi } from './demo-api';

const YEAR = 365 * 24 * 3600;
const DAY = 24 * 3600;

export const DEPARTMENTS = [
  { key: 'dept-samr', name: '安康市市场监督管理局', uscc: '11610900MB0F12345D' },
  { key: 'dept-agri', name: '安康市农业农村局', uscc: '11610900MB0G23456Q' },
  { key: 'dept-health', name: '安康市卫生健康委员会', uscc: '11610900MB0H345674' },
] as const;

/**
 * The demo shares (the clean one and the one that raises an alert), by the local part of their ids:
 * record ids are namespaced by the department that signs them, so a request and its receipt are
 * `{requester's USCC}-…`, a reply and its delivery `{provider's USCC}-…` (see {@link shareIds}).
 */
export const DEMO_SHARES = {
  clean: { request: 'DEMO-SHARE-1-REQ', reply: 'DEMO-SHARE-1-REP', delivery: 'DEMO-SHARE-1-DEL', receipt: 'DEMO-SHARE-1-RCP' },
  alert: { request: 'DEMO-SHARE-2-REQ', reply: 'DEMO-SHARE-2-REP', delivery: 'DEMO-SHARE-2-DEL', receipt: 'DEMO-SHARE-2-RCP' },
} as const;

type ShareIds = { request: string; reply: string; delivery: string; receipt: string };

/** The full ids of a share's steps: each in the namespace of the department that signs it. */
export const shareIds = (requester: { uscc: string }, provider: { uscc: string }, local: ShareIds): ShareIds => ({
  request: namespacedId(requester.uscc, local.request),
  reply: namespacedId(provider.uscc, local.reply),
  delivery: namespacedId(provider.uscc, local.delivery),
  receipt: namespacedId(requester.uscc, local.receipt),
});

/** The 抽检数据 delivered in the clean share: small, and the same bytes on every run. */
const SAMPLING_CSV = [
  'producer_uscc,producer_name,origin_county,planting_area_mu,sample_se_mg_per_kg',
  '91610924MA6YAB3K2L,紫阳县富硒茶业有限公司,610924,1260,0.42',
  '93610921MA6Y9XB607,汉阴县凤堰富硒米业合作社,610921,3400,0.085',
  '91610926MA6YAB3K2X,平利县女娲茶业有限公司,610926,880,0.31',
  '91610902MA70B2C3D4,汉滨区瀛湖富硒茶场,610902,540,0.27',
].join('\n');

interface Dept {
  id: string;
  name: string;
  uscc: string;
  key: Wallet;
}

const ref = (d: Dept) => ({ name: d.name, uscc: d.uscc });
const instant = (secondsFromNow = -5) => isoIn(secondsFromNow);

/**
 * Signs and submits one step of `dept` unless a record with its id is on record already;
 * seq and prevHash come from the department's head on the server. Saves the receipt under
 * DATA_DIR/demo/receipts/.
 */
async function step(a: DemoApi, dept: Dept, fields: Record<string, unknown> & { id: string; step: ShareStep }): Promise<'submitted' | 'skipped'> {
  const trail = await a.get<{ entries: { recordId: string }[] }>(`/api/v1/departments/${dept.id}/trail?limit=10000`);
  if (trail.entries.some((e) => e.recordId === fields.id)) return 'skipped';
  const head = await a.get<{ nextSeq: number; prevHash: string }>(`/api/v1/departments/${dept.id}/head`);
  const ack = await submitSigned(a, '/api/v1/shares', SHARE_STEP_TYPES[fields.step], { ...fields, departmentId: dept.id, seq: head.nextSeq, prevHash: head.prevHash, issuedAt: instant() }, dept.key);
  if (ack.receipt) {
    const dir = path.join(DEMO_DIR, 'receipts');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${fields.id}.json`), JSON.stringify(ack.receipt, null, 2) + '\n');
  }
  return 'submitted';
}

/** The fields every step of a share between `requester` and `provider` about `item` carries. */
const between = (requester: Dept, provider: Dept, item: { id: string; version: string }) => ({
  requestingDepartment: ref(requester),
  providingDepartment: ref(provider),
  catalogueItem: item,
});

/** Registers the departments, then submits the two demo shares; returns the ids of every share record. */
export async function runDemoTrails(a: DemoApi, log: (s: string) => void): Promise<string[]> {
  const depts: Dept[] = [];
  for (const d of DEPARTMENTS) {
    const key = demoKey(d.key);
    const id = await ensureParticipant(a, { kind: 'department', name: d.name, uscc: d.uscc, keys: [{ address: key.address, validFrom: isoIn(-10 * 60), validTo: isoIn(2 * YEAR) }] }, d.uscc);
    depts.push({ id, name: d.name, uscc: d.uscc, key });
    log(`  department ${d.name} (${d.uscc}), signing key ${key.address}`);
  }
  const [samr, agri, health] = depts as [Dept, Dept, Dept];
  const validity = { from: isoIn(-DAY), to: isoIn(180 * DAY) };
  const done: string[] = [];
  const run = async (dept: Dept, fields: Record<string, unknown> & { id: string; step: ShareStep }) => {
    done.push(`${fields.step}:${await step(a, dept, fields)}`);
  };

  // 1. Clean: 市场监督管理局 ← 农业农村局, 富硒农产品抽检数据, delivered as a CSV file and countersigned.
  const csvFile = path.join(DEMO_DIR, '抽检数据-AK-NY-0042.csv');
  fs.mkdirSync(DEMO_DIR, { recursive: true });
  if (!fs.existsSync(csvFile)) fs.writeFileSync(csvFile, SAMPLING_CSV + '\n');
  const csv = fs.readFileSync(csvFile);
  const data = { dataSha256: `0x${createHash('sha256').update(csv).digest('hex')}`, rowCount: SAMPLING_CSV.split('\n').length - 1 };
  const fields = ['producer_uscc', 'producer_name', 'origin_county', 'planting_area_mu', 'sample_se_mg_per_kg'];
  const sampling = between(samr, agri, { id: 'AK-NY-0042', version: '2025.1' });
  const c = shareIds(samr, agri, DEMO_SHARES.clean);
  await run(samr, {
    id: c.request,
    step: 'request',
    ...sampling,
    shareClass: 'conditional',
    legalBasis: '《政务数据共享条例》第十五条；《中华人民共和国农产品质量安全法》第五十四条',
    purpose: '富硒产品抽检结果与产地备案信息比对',
    scenario: '市场监管部门对富硒茶、富硒米开展质量抽检',
    fieldsRequested: fields,
    scope: '安康市 2025 年富硒产品备案生产主体',
    method: 'file',
    validity,
    requestedAt: instant(),
    securityLevel: 'general',
    requestingOfficer: { name: '赵敏', title: '科长' },
  });
  await run(agri, {
    id: c.reply,
    step: 'reply',
    requestId: c.request,
    ...sampling,
    reply: { time: instant(), decision: 'approve' },
    fieldsApproved: fields,
    conditions: '仅用于抽检比对，不得向第三方提供',
    method: 'file',
    validity,
    securityLevel: 'general',
    providingOfficer: { name: '孙磊', title: '主任' },
  });
  await run(agri, {
    id: c.delivery,
    step: 'delivery',
    requestId: c.request,
    replyId: c.reply,
    ...sampling,
    fieldsDelivered: fields,
    method: 'file',
    delivery: { ...data, deliveredAt: instant() },
    providingOfficer: { name: '孙磊', title: '主任' },
  });
  await run(samr, {
    id: c.receipt,
    step: 'receipt',
    requestId: c.request,
    deliveryId: c.delivery,
    ...sampling,
    received: { ...data, receivedAt: instant() },
    requestingOfficer: { name: '赵敏', title: '科长' },
  });
  log(`  share      ${samr.name} ← ${agri.name}: 富硒农产品抽检数据 (AK-NY-0042), request → reply → delivery → receipt, clean`);
  log(`             dataset ${csvFile} (${data.rowCount} rows, sha256 ${data.dataSha256})`);

  // 2. Raises an alert: a conditional item requested without a legal basis, approved and delivered anyway.
  const filing = between(health, agri, { id: 'AK-NY-0107', version: '2025.2' });
  const x = shareIds(health, agri, DEMO_SHARES.alert);
  const filed = { dataSha256: `0x${createHash('sha256').update('AK-NY-0107 产地备案 demo extract').digest('hex')}`, rowCount: 126 };
  await run(health, {
    id: x.request,
    step: 'request',
    ...filing,
    shareClass: 'conditional',
    purpose: '富硒食品摄入与居民健康状况关联分析',
    scenario: '地方病防治监测',
    fieldsRequested: ['producer_uscc', 'origin_town', 'planting_area_mu'],
    scope: '安康市富硒农产品产地备案',
    method: 'api',
    validity,
    requestedAt: instant(),
    securityLevel: 'general',
    requestingOfficer: { name: '周琳', title: '副科长' },
  });
  await run(agri, {
    id: x.reply,
    step: 'reply',
    requestId: x.request,
    ...filing,
    reply: { time: instant(), decision: 'approve' },
    fieldsApproved: ['producer_uscc', 'origin_town', 'planting_area_mu'],
    method: 'api',
    validity,
    securityLevel: 'general',
    providingOfficer: { name: '孙磊', title: '主任' },
  });
  await run(agri, {
    id: x.delivery,
    step: 'delivery',
    requestId: x.request,
    replyId: x.reply,
    ...filing,
    fieldsDelivered: ['producer_uscc', 'origin_town', 'planting_area_mu'],
    method: 'api',
    delivery: { ...filed, deliveredAt: instant() },
    providingOfficer: { name: '孙磊', title: '主任' },
  });
  await run(health, {
    id: x.receipt,
    step: 'receipt',
    requestId: x.request,
    deliveryId: x.delivery,
    ...filing,
    received: { ...filed, receivedAt: instant() },
    requestingOfficer: { name: '周琳', title: '副科长' },
  });
  log(`  share      ${health.name} ← ${agri.name}: 富硒农产品产地备案 (AK-NY-0107, 有条件共享) without a legal basis  ← raises an alert (conditional-without-legal-basis)`);
  const skipped = done.filter((d) => d.endsWith(':skipped')).length;
  if (skipped > 0) log(`             ${skipped} of ${done.length} share steps were on record already and were skipped`);
  log(`             receipts in ${path.join(DEMO_DIR, 'receipts')}; check one with: traceledger receipts check FILE --rpc URL --server ${a.server}`);
  return [...Object.values(c), ...Object.values(x)];
}
