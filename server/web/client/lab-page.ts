/**
 * The lab console's script (/lab), bundled by server/web/console-bundles.ts. The keystore file stays in IndexedDB and
 * is decrypted here; the report is validated with the record schema, committed and signed here exactly as
 * `traceledger sign-report` does, and only the signed report goes to POST /api/v1/reports. The PDF is hashed here.
 * A revocation is signed here too (EIP-712, ../../chain/revocation-signature.ts) and the server relays it on chain.
 */
import { revocationDomain, signRevocation } from '../../chain/revocation-signature';
import { namespacedId } from '../../records/record-types';
import { parseRecord } from '../../records/schemas';
import { $, api, chainBinding, el, lang, newUlid, recordProblem, say, sha256OfFile, signParsed, val, type Wallet } from './console-common';
import { setupKeyCard, type Profile } from './key-card';

interface Threshold {
  tier: string;
  basis: string;
  min: number;
  max: number | null;
  minInclusive: boolean;
  maxInclusive: boolean;
}
interface PageData {
  categories: { key: string; name_zh: string; name_en: string; standards: { code: string; title_zh: string; title_en: string; status: string; thresholds: Threshold[] }[] }[];
  units: string[];
  reasons: string[];
}
interface ReportView {
  id: string;
  status: 'anchored' | 'pending';
  leafHash: string;
  fields: { batchId?: string; result?: number; unit?: string };
  checkpoint: { size: number; txHash?: string | null } | null;
  revocation?: { reason: string; revokedAt: string; by: string } | null;
}

/** How long a signed revocation may wait before the server relays it (seconds). */
const REVOCATION_VALIDITY_S = 600;

const M = {
  zh: {
    profile: (p: Profile) => `${p.name} · CMA ${p.code} · 有效期至 ${p.accreditedUntil?.slice(0, 10) ?? '?'}`,
    hashing: '正在本机计算 PDF 的 SHA-256…',
    pdfHash: (h: string) => `PDF SHA-256：${h}（未上传）`,
    noPdf: '请选择报告 PDF：报告中记录的是它的 SHA-256。',
    locked: '请先解锁密钥。',
    signing: '正在签名并提交…',
    accepted: (id: string) => `已提交报告 ${id}，等待上链…`,
    anchored: (id: string, s: number) => `报告 ${id} 已上链（${s.toFixed(1)} 秒）。`,
    stillPending: (id: string) => `报告 ${id} 已接收，尚未上链；稍后刷新列表查看。`,
    refused: '服务器拒绝了此报告：',
    anchoredState: '已上链',
    pendingState: '待上链',
    revoked: (r: string) => `已撤销（${r}）`,
    none: '还没有报告。',
    revoke: '撤销…',
    revokeHow: (leaf: string, code: number, registry: string) => `叶哈希 ${leaf} · 原因代码 ${code} · 撤销合约 ${registry}`,
    revoking: (id: string) => `正在签名并撤销报告 ${id}…`,
    revokedOk: (id: string, r: string) => `报告 ${id} 已在链上撤销（${r}）。`,
    revokeRefused: '服务器拒绝了此撤销：',
  },
  en: {
    profile: (p: Profile) => `${p.name} · CMA ${p.code} · valid until ${p.accreditedUntil?.slice(0, 10) ?? '?'}`,
    hashing: 'Computing the PDF’s SHA-256 on this computer…',
    pdfHash: (h: string) => `PDF SHA-256: ${h} (not uploaded)`,
    noPdf: 'Choose the report PDF: the report records its SHA-256.',
    locked: 'Unlock the key first.',
    signing: 'Signing and submitting…',
    accepted: (id: string) => `Report ${id} submitted; waiting for it to be anchored…`,
    anchored: (id: string, s: number) => `Report ${id} is anchored on chain (${s.toFixed(1)} s).`,
    stillPending: (id: string) => `Report ${id} is accepted and not anchored yet; refresh the list later.`,
    refused: 'The server refused this report: ',
    anchoredState: 'anchored',
    pendingState: 'pending',
    revoked: (r: string) => `revoked (${r})`,
    none: 'No reports yet.',
    revoke: 'Revoke…',
    revokeHow: (leaf: string, code: number, registry: string) => `leaf hash ${leaf} · reason code ${code} · RevocationRegistry ${registry}`,
    revoking: (id: string) => `Signing and revoking report ${id}…`,
    revokedOk: (id: string, r: string) => `Report ${id} is revoked on chain (${r}).`,
    revokeRefused: 'The server refused this revocation: ',
  },
}[lang];

const data = JSON.parse($('lab-data').textContent ?? '{}') as PageData;
let wallet: Wallet | undefined;
let profile: Profile | undefined;
let pdfSha256: string | undefined;
const remembered = window.localStorage;

// --- the form's knowledge: categories, standards, thresholds --------------------------

function showCategory(): void {
  const cat = data.categories.find((c) => c.key === $<HTMLSelectElement>('category').value);
  const spec = $<HTMLSelectElement>('spec-standard');
  spec.replaceChildren(...(cat?.standards ?? []).map((s) => {
    const o = el('option', `${s.code} ${lang === 'zh' ? s.title_zh : s.title_en}`) as HTMLOptionElement;
    o.value = s.code;
    return o;
  }));
  const lines = (cat?.standards ?? []).flatMap((s) =>
    s.thresholds.map((t) => `${s.code} ${t.tier === 'selenium-rich' ? (lang === 'zh' ? '富硒' : 'selenium-rich') : lang === 'zh' ? '含硒' : 'selenium-containing'}: ${t.minInclusive ? '≥' : '>'} ${t.min}${t.max === null ? '' : ` ~ ${t.maxInclusive ? '≤' : '<'} ${t.max}`} mg/kg (${t.basis})`),
  );
  $('thresholds').textContent = lines.join(' · ');
}

// --- the key ------------------------------------------------------------------------

async function unlocked(w: Wallet, p: Profile): Promise<void> {
  wallet = w;
  profile = p;
  $('profile').textContent = M.profile(p);
  $<HTMLInputElement>('lab-name').value = p.name;
  $<HTMLInputElement>('lab-cma').value = p.code;
  $<HTMLInputElement>('lab-cma-until').value = p.accreditedUntil?.slice(0, 10) ?? '';
  $<HTMLButtonElement>('sign-submit').disabled = false;
  await listReports();
}

function locked(): void {
  wallet = undefined;
  profile = undefined;
  $<HTMLButtonElement>('sign-submit').disabled = true;
}

// --- the report ---------------------------------------------------------------------

async function pdfChosen(): Promise<void> {
  const file = $<HTMLInputElement>('pdf').files?.[0];
  pdfSha256 = undefined;
  if (!file) return;
  $('pdf-hash').textContent = M.hashing;
  pdfSha256 = await sha256OfFile(file);
  $('pdf-hash').textContent = M.pdfHash(pdfSha256);
}

const optional = (id: string): string | undefined => val(id) || undefined;
const num = (id: string): number => (val(id) === '' ? Number.NaN : Number(val(id)));

/** The report's fields from the form, as the record schema takes them. */
function reportFields(signer: Profile): Record<string, unknown> {
  const cma = val('lab-cma');
  return {
    // Record ids are namespaced by their signer: the signing key's lab, whatever the form says.
    id: namespacedId(signer.code, newUlid()),
    issuedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    reportNumber: val('report-number'),
    lab: { name: val('lab-name'), address: val('lab-address'), cmaNumber: cma, cmaValidUntil: val('lab-cma-until'), cnasNumber: optional('lab-cnas') },
    client: { name: val('client-name'), address: optional('client-address'), phone: optional('client-phone') },
    sample: { id: val('sample-id'), name: val('sample-name'), state: val('sample-state') },
    sampling: { by: val('sampling-by'), method: val('sampling-method'), date: val('sampling-date'), place: val('sampling-place') },
    receivedDate: val('received-date'),
    testDates: { from: val('test-from'), to: val('test-to') },
    issueDate: val('issue-date'),
    methodStandard: val('method-standard'),
    analyte: 'Se',
    result: num('result'),
    unit: $<HTMLSelectElement>('unit').value,
    lod: num('lod'),
    loq: num('loq'),
    uncertainty: { value: num('uncertainty'), k: num('k') },
    specificationStandard: $<HTMLSelectElement>('spec-standard').value,
    conclusion: val('conclusion'),
    signatories: { tester: val('tester'), reviewer: val('reviewer'), approver: val('approver') },
    reportPdfSha256: pdfSha256,
    batchId: val('batch-id'),
  };
}

async function submitReport(ev: Event): Promise<void> {
  ev.preventDefault();
  if (!wallet || !profile) {
    say(M.locked, 'error', 'locked');
    return;
  }
  if (!pdfSha256) {
    say(M.noPdf, 'error', 'no-pdf');
    return;
  }
  remembered.setItem('tl-lab-address', val('lab-address'));
  remembered.setItem('tl-lab-cnas', val('lab-cnas'));
  const started = performance.now();
  say(M.signing);
  let id: string;
  try {
    const record = parseRecord('SeleniumTestReport', reportFields(profile));
    const signed = await signParsed(wallet, 'SeleniumTestReport', record);
    id = (await api<{ id: string }>('POST', '/reports', { record: signed.record, salts: signed.salts, signature: signed.signature })).id;
  } catch (e) {
    const err = recordProblem(e);
    say(`${M.refused}${err.message}`, 'error', err.code);
    return;
  }
  say(M.accepted(id), 'note', 'accepted');
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const view = await api<ReportView>('GET', `/reports/${encodeURIComponent(id)}`).catch(() => undefined);
    if (view?.status === 'anchored') {
      const seconds = (performance.now() - started) / 1000;
      say(M.anchored(id, seconds), 'ok', 'anchored');
      $('out').dataset.ms = String(Math.round(seconds * 1000));
      await listReports();
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  say(M.stillPending(id), 'note', 'pending');
  await listReports();
}

// --- the lab's reports, and revocation ------------------------------------------------

async function listReports(): Promise<void> {
  if (!profile) return;
  const rows: HTMLElement[] = [];
  let after: string | null = null;
  do {
    const q: string = after === null ? '' : `&after=${after}`;
    const page: { items: ReportView[]; next: string | null } = await api('GET', `/labs/${profile.id}/reports?limit=100${q}`);
    for (const r of page.items) rows.push(reportRow(r));
    after = page.next;
  } while (after !== null);
  const body = $('reports');
  body.replaceChildren(...rows.reverse());
  if (rows.length === 0) {
    const tr = el('tr');
    const td = el('td', M.none);
    td.setAttribute('colspan', '5');
    tr.append(td);
    body.append(tr);
  }
}

function reportRow(r: ReportView): HTMLElement {
  const tr = el('tr');
  tr.dataset.id = r.id;
  tr.dataset.status = r.status;
  const state = el('td');
  state.append(el('span', r.status === 'anchored' ? M.anchoredState : M.pendingState, `badge ${r.status === 'anchored' ? 'v-valid' : 'v-pending'}`));
  if (r.revocation) state.append(' ', el('span', M.revoked(r.revocation.reason), 'badge v-revoked'));
  const revokeCell = el('td');
  const btn = el('button', M.revoke, 'btn btn-small btn-plain') as HTMLButtonElement;
  btn.type = 'button';
  // The lab revokes a report once; the regulator's revocation does not stop the lab's own.
  btn.disabled = r.revocation?.by === 'issuer';
  btn.addEventListener('click', () => void showRevoke(r));
  revokeCell.append(btn);
  tr.append(el('td', r.id, 'mono'), el('td', r.fields.batchId ?? '', 'mono'), el('td', r.fields.result === undefined ? '' : `${r.fields.result} ${(r.fields.unit ?? '').replace(/^u/, 'µ')}`), state, revokeCell);
  return tr;
}

/** The report the revoke box is open for. */
let revoking: ReportView | undefined;

async function showRevoke(r: ReportView): Promise<void> {
  revoking = r;
  const box = $('revoke-box');
  box.hidden = false;
  $('revoke-id').textContent = r.id;
  const chain = await api<{ revocationRegistry: string }>('GET', '/chain');
  const render = () => {
    const code = data.reasons.indexOf($<HTMLSelectElement>('revoke-reason').value);
    $('revoke-how').textContent = M.revokeHow(r.leafHash, code, chain.revocationRegistry);
  };
  $<HTMLSelectElement>('revoke-reason').onchange = render;
  render();
  box.scrollIntoView?.({ block: 'nearest' });
}

/** Signs the revocation of the chosen report with the lab's key, here, and has the server relay it on chain. */
async function revokeReport(): Promise<void> {
  const r = revoking;
  if (!r) return;
  if (!wallet) {
    say(M.locked, 'error', 'locked');
    return;
  }
  const select = $<HTMLSelectElement>('revoke-reason');
  const reason = select.value;
  const button = $<HTMLButtonElement>('revoke-submit');
  button.disabled = true;
  say(M.revoking(r.id));
  try {
    const chain = await api<{ chainId: number; revocationRegistry: string }>('GET', '/chain');
    const deadline = Math.floor(Date.now() / 1000) + REVOCATION_VALIDITY_S;
    const signature = await signRevocation(wallet, revocationDomain(chain.chainId, chain.revocationRegistry), { leafHash: r.leafHash, reasonCode: data.reasons.indexOf(reason), deadline });
    await api('POST', '/revocations/signed', { recordId: r.id, reason, deadline, signature });
  } catch (e) {
    const err = recordProblem(e);
    say(`${M.revokeRefused}${err.message}`, 'error', err.code);
    return;
  } finally {
    button.disabled = false;
  }
  say(M.revokedOk(r.id, select.selectedOptions[0]?.textContent ?? reason), 'ok', 'revoked');
  $('revoke-box').hidden = true;
  revoking = undefined;
  await listReports();
}

// --- wiring -------------------------------------------------------------------------

function start(): void {
  $<HTMLSelectElement>('category').addEventListener('change', showCategory);
  showCategory();
  $<HTMLInputElement>('lab-address').value = remembered.getItem('tl-lab-address') ?? '';
  $<HTMLInputElement>('lab-cnas').value = remembered.getItem('tl-lab-cnas') ?? '';
  $('pdf').addEventListener('change', () => void pdfChosen());
  $('report-form').addEventListener('submit', (e) => void submitReport(e));
  $('refresh').addEventListener('click', () => void listReports());
  $('revoke-submit').addEventListener('click', () => void revokeReport());
  void chainBinding();
  void setupKeyCard('lab', unlocked, locked).then(() => {
    document.body.dataset.ready = '1';
  });
}

start();
