/** Server-rendered HTML of the consumer scan page (Chinese by default, English on request) and of its error page. */
import { formatMgPerKg, listCategories } from '../standards';
import type { ConsumerReport, ConsumerStep, ConsumerView } from '../service/consumer';
import { UNBREAKABLE, claimText, messageText, stepTitle, type BatchClaim, type ClaimKind, type Lang, type Verdict } from '../verification';

export type { Lang };

/** URLs of the page's stylesheet and script (content-hashed by the router). */
export interface PageAssets {
  css: string;
  js: string;
}

const STRINGS = {
  zh: {
    brand: '富硒溯源',
    brandSub: '区块链存证',
    switchLang: 'English',
    switchHref: 'en',
    verdict: { valid: '已验证', pending: '待上链', invalid: '验证失败', revoked: '已撤销' } satisfies Record<Verdict, string>,
    /** Why a report's tier pill is greyed out: its own state, or the label's claim rests on something else. */
    pillWhy: { revoked: '报告已撤销', invalid: '验证失败', pending: '待上链', older: '非最新报告，不作依据', batchRevoked: '批次已撤销' },
    product: '产品',
    category: '品类',
    producer: '生产者',
    uscc: '统一社会信用代码',
    origin: '产地',
    harvest: '采收日期',
    production: '生产日期',
    quantity: '数量',
    lot: '批号',
    gtin: '商品条码',
    batchId: '批次编号',
    certificate: '承诺达标合格证',
    certName: '品名',
    certIssued: '开具时间',
    certBasis: '承诺依据',
    certCommitments: '承诺内容',
    certIssuer: '承诺主体及联系方式已签名存证，为保护个人信息不公开显示。',
    basis: { 'self-control': '自我管控', 'self-test': '自检', 'commissioned-test': '委托检测' } as Record<string, string>,
    reports: '硒含量检测报告',
    noReports: '此批次尚无检测报告。',
    notCounted: (n: number) => `另有 ${n} 份报告不计入本批次（生产者未委托该检测机构）`,
    spotCheck: '监督抽检',
    missing: (ids: string) => `批次列出的报告尚未收到：${ids}`,
    lost: (ids: string) => `服务器已收录、但其数据已丢失或损坏的记录（不可信）：${ids}`,
    /** A report's own verdict: that the report is genuine, not that the product is selenium-rich (its tier says that). */
    reportVerdict: { valid: '真实有效', pending: '待上链', invalid: '验证失败', revoked: '已撤销' } satisfies Record<Verdict, string>,
    computed: '系统判定',
    labConclusion: '检测机构结论',
    standardUsed: '判定依据',
    range: '范围',
    labSpec: '报告引用标准',
    method: '检测方法',
    lab: '检测机构',
    labRegistered: '已在链上登记',
    labNotRegistered: '未能确认登记',
    reportNo: '报告编号',
    issued: '签发日期',
    revokedAlert: (reason: string, at: string) => `此报告已于 ${at} 撤销，原因：${reason}。`,
    batchRevokedAlert: (reason: string, at: string) => `此批次已于 ${at} 撤销，原因：${reason}。`,
    pendingAlert: '此记录尚未写入区块链。',
    failedAlert: (step: string, msg: string) => `未通过“${step}”：${msg}`,
    tier: {
      'selenium-rich': '富硒',
      'selenium-containing': '含硒',
      'below-range': '低于富硒范围',
      'above-range': '高于标准上限',
      'no-standard': '无适用标准',
    } as Record<string, string>,
    notClassified: '未分级',
    noUpper: '无上限',
    anchor: '上链记录',
    anchoredAt: '上链时间',
    block: '区块',
    tx: '交易',
    position: '日志位置',
    positionText: (i: number | null, n: number) => (i === null ? `共 ${n} 条` : `第 ${i + 1} 条，共 ${n} 条`),
    root: '检查点根',
    notAnchored: '尚未上链：记录已收到，等待下一次锚定。',
    batchSteps: '批次验证步骤',
    reportSteps: '报告验证步骤',
    browser: '本机独立验证',
    browserIntro: '您的浏览器会用页面内的证明自行重新计算哈希，不依赖本网站的结论。',
    noScript: '本机验证需要开启 JavaScript；上面的结果由服务器验证。',
    checking: '正在本机验证…',
    browserDetails: '查看明细',
    browserDetailsTitle: '本机验证明细',
    downloads: '下载与接口',
    bundle: '证明包',
    json: '验证结果 JSON',
    linkset: '链接集',
    footer: 'traceledger 开源溯源账本 · 仅哈希上链',
    status: { passed: '通过', failed: '未通过', pending: '等待', skipped: '跳过' } as Record<string, string>,
    units: { piece: '件', package: '包', box: '箱', bag: '袋' } as Record<string, string>,
    beijing: '北京时间',
    reasons: {
      'issued-in-error': '误签发',
      superseded: '已被新报告取代',
      'sample-mismatch': '样品不符',
      'accreditation-lapsed': '资质已失效',
      'fraud-suspected': '涉嫌造假',
      'product-recall': '产品召回',
      'key-compromised': '签名密钥泄露',
      other: '其他',
      unknown: '未知原因',
    } as Record<string, string>,
    errorTitle: '无法显示此页面',
  },
  en: {
    brand: 'Selenium trace',
    brandSub: 'on chain',
    switchLang: '中文',
    switchHref: 'zh',
    verdict: { valid: 'Verified', pending: 'Pending', invalid: 'Verification failed', revoked: 'Revoked' } satisfies Record<Verdict, string>,
    pillWhy: { revoked: 'report revoked', invalid: 'verification failed', pending: 'pending', older: 'older report, not relied on', batchRevoked: 'batch revoked' },
    product: 'Product',
    category: 'Category',
    producer: 'Producer',
    uscc: 'Credit code',
    origin: 'Origin',
    harvest: 'Harvested',
    production: 'Produced',
    quantity: 'Quantity',
    lot: 'Lot',
    gtin: 'GTIN',
    batchId: 'Batch id',
    certificate: 'Compliance certificate (承诺达标合格证)',
    certName: 'Product name',
    certIssued: 'Issued',
    certBasis: 'Basis',
    certCommitments: 'Commitments',
    certIssuer: 'The committing party and contact are signed and recorded, but not shown (personal data).',
    basis: { 'self-control': 'self-control', 'self-test': 'self-test', 'commissioned-test': 'commissioned test' } as Record<string, string>,
    reports: 'Selenium test reports',
    noReports: 'No lab report for this batch yet.',
    notCounted: (n: number) => `${n} more report(s) do not count for this batch (the producer did not commission the lab)`,
    spotCheck: '监督抽检 · official spot check',
    missing: (ids: string) => `Reports the batch lists that are not on record yet: ${ids}`,
    lost: (ids: string) => `Records the server accepted and then lost or cannot read (do not trust): ${ids}`,
    reportVerdict: { valid: 'Genuine', pending: 'Pending', invalid: 'Verification failed', revoked: 'Revoked' } satisfies Record<Verdict, string>,
    computed: 'Computed tier',
    labConclusion: "Lab's conclusion",
    standardUsed: 'Standard used',
    range: 'Range',
    labSpec: 'Standard cited by the lab',
    method: 'Test method',
    lab: 'Lab',
    labRegistered: 'registered on chain',
    labNotRegistered: 'registration not confirmed',
    reportNo: 'Report no.',
    issued: 'Issued',
    revokedAlert: (reason: string, at: string) => `This report was revoked on ${at}. Reason: ${reason}.`,
    batchRevokedAlert: (reason: string, at: string) => `This batch was revoked on ${at}. Reason: ${reason}.`,
    pendingAlert: 'This record is not anchored on chain yet.',
    failedAlert: (step: string, msg: string) => `Failed "${step}": ${msg}`,
    tier: {
      'selenium-rich': 'Selenium-rich',
      'selenium-containing': 'Selenium-containing',
      'below-range': 'Below range',
      'above-range': 'Above range',
      'no-standard': 'No standard',
    } as Record<string, string>,
    notClassified: 'Not classified',
    noUpper: 'no upper limit',
    anchor: 'Anchored on chain',
    anchoredAt: 'Anchored',
    block: 'Block',
    tx: 'Transaction',
    position: 'Log position',
    positionText: (i: number | null, n: number) => (i === null ? `${n} entries` : `entry ${i + 1} of ${n}`),
    root: 'Checkpoint root',
    notAnchored: 'Not anchored yet: recorded, waiting for the next checkpoint.',
    batchSteps: 'Batch verification steps',
    reportSteps: 'Report verification steps',
    browser: 'Checked by your browser',
    browserIntro: 'Your browser recomputes the hashes from the proofs in this page, without relying on this site.',
    noScript: 'Checking in your browser needs JavaScript; the result above was verified by the server.',
    checking: 'Checking in your browser…',
    browserDetails: 'Details',
    browserDetailsTitle: 'Browser check details',
    downloads: 'Downloads and API',
    bundle: 'Proof bundle',
    json: 'Verification JSON',
    linkset: 'Linkset',
    footer: 'traceledger, an open-source trace ledger · only hashes go on chain',
    status: { passed: 'passed', failed: 'failed', pending: 'pending', skipped: 'skipped' } as Record<string, string>,
    units: {} as Record<string, string>,
    beijing: 'UTC+8',
    reasons: {
      'issued-in-error': 'issued in error',
      superseded: 'superseded by a new report',
      'sample-mismatch': 'sample mismatch',
      'accreditation-lapsed': 'accreditation lapsed',
      'fraud-suspected': 'fraud suspected',
      'product-recall': 'product recall',
      'key-compromised': 'signing key compromised',
      other: 'other',
      unknown: 'unknown reason',
    } as Record<string, string>,
    errorTitle: 'This page cannot be shown',
  },
};

const STEP_MARK: Record<string, string> = { passed: '✓', failed: '✗', pending: '…', skipped: '–' };
/** The headline's mark: ✓ only for a proven selenium claim. */
const CLAIM_MARK: Record<BatchClaim['tone'], string> = { good: '✓', warn: '!', bad: '✗' };
const PENDING_MARK = '…';

// ---------------------------------------------------------------------------
// Escaping.

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and double-quoted attributes. */
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** JSON for a `<script type="application/json">` block: nothing in it can close the element. */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

// ---------------------------------------------------------------------------
// Formatting.

/** `YYYY-MM-DD HH:mm` in China Standard Time (UTC+8, no daylight saving), from seconds or an ISO instant. */
export function beijingTime(t: number | string, lang: Lang): string {
  const ms = typeof t === 'number' ? t * 1000 : Date.parse(t);
  if (!Number.isFinite(ms)) return String(t);
  const s = new Date(ms + 8 * 3600_000).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)} (${STRINGS[lang].beijing})`;
}

/** mg/kg with at least two decimals, as the standards write them (0.25, 4.00, 0.075). */
const num = (n: number): string => formatMgPerKg(Math.round(n * 1_000_000));

function rangeText(r: { min: number; max: number | null; minInclusive: boolean; maxInclusive: boolean } | null, lang: Lang): string {
  if (!r) return '—';
  if (r.max === null) return `${r.minInclusive ? '≥' : '>'} ${num(r.min)} mg/kg (${STRINGS[lang].noUpper})`;
  return `${num(r.min)}–${num(r.max)} mg/kg`;
}

const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function categoryName(key: unknown, lang: Lang): string | undefined {
  const c = listCategories().find((x) => x.key === key);
  if (!c) return str(key);
  return lang === 'zh' ? c.name_zh : c.name_en;
}

const shortHex = (h: string): string => (h.length > 20 ? `${h.slice(0, 10)}…${h.slice(-8)}` : h);

// ---------------------------------------------------------------------------
// The page.

export interface ConsumerPageOptions {
  lang: Lang;
  assets: PageAssets;
  /** The page's path and query without `lang` (the language switch appends it). */
  selfPath: string;
  publicRpcUrl: string | undefined;
  /** The chain id and TraceLedger the page's own check trusts (this deployment's); registries are read from it. */
  trustRoot: { chainId: number; traceLedger: string };
}

/** The consumer page of a verified batch. */
export function renderConsumerPage(view: ConsumerView, opts: ConsumerPageOptions): string {
  const { lang } = opts;
  const t = STRINGS[lang];
  const b = view.batch;
  const title = str(get(b, 'certificate', 'productName')) ?? categoryName(b.productCategory, lang) ?? t.product;
  const claim = claimText(view.claim, lang);

  const body = [
    headline(view, claim),
    browserVerdictCard(opts),
    productCard(view, title, lang),
    reportsCard(view, lang),
    anchorCard(view, lang),
    stepsCard(t.batchSteps, view.steps, lang),
    browserStepsCard(opts),
    linksCard(view, lang),
  ].join('\n');

  const data = {
    rpc: opts.publicRpcUrl ?? null,
    trustRoot: opts.trustRoot,
    batchId: b.id,
    records: [
      { role: 'batch', id: b.id, bundle: view.bundles.batch, revocation: view.revocation ? { reasonCode: view.revocation.reasonCode, revokedAt: view.revocation.revokedAt } : null },
      ...view.bundles.reports.map((bundle) => {
        const r = view.reports.find((x) => x.id === bundle.record.id);
        return { role: 'report', id: bundle.record.id, bundle, revocation: r?.revocation ? { reasonCode: r.revocation.reasonCode, revokedAt: r.revocation.revokedAt } : null };
      }),
      ...view.bundles.commissions.map((bundle) => ({ role: 'commission', id: bundle.record.id, bundle, revocation: null })),
    ],
    lost: Object.fromEntries(view.lostRecords.map((r) => [r.id, r.reason])),
  };
  return documentHtml({
    lang,
    title: `${claim.headline} · ${title}`,
    assets: opts.assets,
    switchHref: withLang(opts.selfPath, t.switchHref),
    body: `${body}\n<script type="application/json" id="tl-data">${jsonForScript(data)}</script>\n<script src="${esc(opts.assets.js)}" defer></script>`,
  });
}

/** The first thing on the page: what the label's claim is proven to be (server/verification/claim), coloured by it. */
function headline(view: ConsumerView, claim: { headline: string; detail: string }): string {
  const { kind, tone } = view.claim;
  const mark = kind === 'pending' ? PENDING_MARK : CLAIM_MARK[tone];
  return `<section class="verdict c-${tone}" role="status" id="verdict" data-verdict="${view.verdict}" data-claim="${kind}"><div class="mark" aria-hidden="true">${mark}</div><div><h1>${unbroken(claim.headline)}</h1><p>${unbroken(claim.detail)}</p></div></section>`;
}

/** Escaped text with its codes, dates and amounts kept on one line each. */
function unbroken(text: string): string {
  return esc(text).replace(UNBREAKABLE, (m) => `<span class="nw">${m}</span>`);
}

/** A product name that claims selenium (富硒, or any 硒) the label's claim does not prove: say so under it (not while pending). */
function nameNote(title: string, claim: BatchClaim, lang: Lang): string {
  const word = title.includes('富硒') ? '富硒' : title.includes('硒') ? '硒' : null;
  if (word === null || claim.kind === 'pending' || claim.kind === 'selenium-rich' || (word === '硒' && claim.kind === 'selenium-containing')) return '';
  return `<p class="name-note">${esc(messageText('claimNameUnconfirmed', { word }, lang))}</p>`;
}

/** The browser's own verdict, right under the server's (filled in by verify.js; without JavaScript it says so). */
function browserVerdictCard(opts: ConsumerPageOptions): string {
  const t = STRINGS[opts.lang];
  return `<section class="card" id="browser-check"><h2>${t.browser}</h2><div id="browser-verdict" data-verdict="none" role="status" aria-live="polite">${t.noScript}</div><p class="sub">${t.browserIntro} <a href="#browser-details">${t.browserDetails}</a></p></section>`;
}

function browserStepsCard(opts: ConsumerPageOptions): string {
  const t = STRINGS[opts.lang];
  return `<section class="card" id="browser-details"><h2>${t.browserDetailsTitle}</h2><ol class="steps" id="browser-steps"><li>${t.noScript}</li></ol></section>`;
}

function productCard(view: ConsumerView, title: string, lang: Lang): string {
  const t = STRINGS[lang];
  const b = view.batch;
  const rows: [string, string][] = [];
  const cat = categoryName(b.productCategory, lang);
  if (cat) rows.push([t.category, esc(cat)]);
  const producer = str(get(b, 'producer', 'name'));
  if (producer) rows.push([t.producer, `${esc(producer)}<br><small>${t.uscc} ${esc(get(b, 'producer', 'uscc'))}</small>`]);
  const originName = str(get(b, 'origin', 'name'));
  const county = str(get(b, 'origin', 'townCode')) ?? str(get(b, 'origin', 'countyCode'));
  if (originName || county) rows.push([t.origin, `${esc(originName ?? '')}${county ? ` <small>(${esc(county)})</small>` : ''}`]);
  const date = str(get(b, 'productionDate', 'date'));
  if (date) rows.push([get(b, 'productionDate', 'kind') === 'harvest' ? t.harvest : t.production, esc(date)]);
  const qv = get(b, 'quantity', 'value');
  if (typeof qv === 'number') {
    const unit = String(get(b, 'quantity', 'unit') ?? '');
    rows.push([t.quantity, `${esc(qv)} ${esc(t.units[unit] ?? unit)}`]);
  }
  if (str(b.lot)) rows.push([t.lot, `<span class="mono">${esc(b.lot)}</span>`]);
  if (str(b.gtin)) rows.push([t.gtin, `<span class="mono">${esc(b.gtin)}</span>`]);
  rows.push([t.batchId, `<span class="mono">${esc(b.id)}</span>`]);

  let cert = '';
  const commitments = get(b, 'certificate', 'commitments');
  if (Array.isArray(commitments)) {
    const basis = get(b, 'certificate', 'basis');
    const basisText = Array.isArray(basis) ? basis.map((x) => t.basis[String(x)] ?? String(x)).join(lang === 'zh' ? '、' : ', ') : '';
    // The public part of the 承诺达标合格证; who commits and how to reach them are signed but private (personal data).
    const certRows: [string, string][] = [];
    const certName = str(get(b, 'certificate', 'productName'));
    if (certName) certRows.push([t.certName, esc(certName)]);
    const cq = get(b, 'certificate', 'quantity', 'value');
    if (typeof cq === 'number') {
      const unit = String(get(b, 'certificate', 'quantity', 'unit') ?? '');
      certRows.push([t.quantity, `${esc(cq)} ${esc(t.units[unit] ?? unit)}`]);
    }
    const certOrigin = str(get(b, 'certificate', 'origin'));
    if (certOrigin) certRows.push([t.origin, esc(certOrigin)]);
    const certIssued = str(get(b, 'certificate', 'issuedAt'));
    if (certIssued) certRows.push([t.certIssued, esc(beijingTime(certIssued, lang))]);
    if (basisText) certRows.push([t.certBasis, esc(basisText)]);
    cert =
      `<div id="certificate"><h3>${t.certificate}</h3>${facts(certRows)}<h3>${t.certCommitments}</h3><ul class="plain">${commitments.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>` +
      `<p class="sub">${t.certIssuer}</p></div>`;
  }
  const alert = view.batchVerdict === 'revoked' && view.revocation ? `<div class="alert a-revoked"><b>${t.verdict.revoked}</b> ${esc(t.batchRevokedAlert(t.reasons[view.revocation.reason] ?? view.revocation.reason, beijingTime(view.revocation.revokedAt, lang)))}</div>` : view.batchVerdict === 'invalid' && view.failedStep ? `<div class="alert">${esc(t.failedAlert(stepTitle(view.failedStep, lang), stepText(view.steps.find((s) => s.step === view.failedStep), lang)))}</div>` : view.batchVerdict === 'pending' ? `<div class="alert a-pending">${t.pendingAlert}</div>` : '';
  return `<section class="card" id="product"><h2>${esc(title)}</h2>${nameNote(title, view.claim, lang)}${alert}${facts(rows)}${cert}</section>`;
}

function facts(rows: [string, string][]): string {
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function reportsCard(view: ConsumerView, lang: Lang): string {
  const t = STRINGS[lang];
  const counted = view.reports.filter((r) => r.counted);
  const strays = view.reports.filter((r) => !r.counted);
  const parts = counted.map((r) => reportSection(r, view.claim, lang));
  if (counted.length === 0) parts.push(`<p class="sub">${t.noReports}</p>`);
  // Reports nothing ties to the producer or the regulator: a collapsed note, never part of the verdict.
  if (strays.length > 0) {
    const items = strays.map((r) => `<li><span class="mono">${esc(r.fields.reportNumber ?? r.id)}</span>${r.lab ? ` · ${esc(r.lab.name)}` : ''}</li>`).join('');
    parts.push(`<details class="not-counted" id="not-counted"><summary>${esc(t.notCounted(strays.length))}</summary><p class="sub">${esc(messageText('reportNotCommissioned', {}, lang))}</p><ul class="plain">${items}</ul></details>`);
  }
  if (view.missingReportIds.length > 0) parts.push(`<div class="alert a-pending">${esc(t.missing(view.missingReportIds.join(', ')))}</div>`);
  if (view.lostRecords.length > 0) parts.push(`<div class="alert" id="lost-records">${esc(t.lost(view.lostRecords.map((r) => r.id).join(', ')))}</div>`);
  return `<section class="card" id="reports"><h2>${t.reports}</h2>${parts.join('')}</section>`;
}

/**
 * Whether a report's tier pill may show in colour: only the report the label's claim rests on, when that
 * claim is its tier. Otherwise the pill is greyed, struck through unless merely pending, with the reason.
 */
type PillState = { live: true } | { live: false; struck: boolean; why: string; voided: boolean };

function pillState(r: ConsumerReport, claim: BatchClaim, lang: Lang): PillState {
  const why = STRINGS[lang].pillWhy;
  const tierKinds: readonly ClaimKind[] = ['selenium-rich', 'selenium-containing', 'below-range', 'above-range', 'no-standard'];
  // Voided: the report (or the whole label) no longer supports anything, the lab's own conclusion included.
  if (r.verdict === 'revoked') return { live: false, struck: true, why: why.revoked, voided: true };
  if (r.verdict === 'invalid' || claim.kind === 'invalid') return { live: false, struck: true, why: why.invalid, voided: true };
  if (claim.kind === 'batch-revoked') return { live: false, struck: true, why: why.batchRevoked, voided: true };
  if (r.verdict === 'pending' || (claim.kind === 'pending' && claim.reportId === null)) return { live: false, struck: false, why: why.pending, voided: false };
  if (claim.reportId === r.id && tierKinds.includes(claim.kind)) return { live: true };
  return { live: false, struck: true, why: why.older, voided: false };
}

function reportSection(r: ConsumerReport, claim: BatchClaim, lang: Lang): string {
  const t = STRINGS[lang];
  const f = r.fields;
  const c = r.classification;
  const tierKey = c?.tier;
  const tierLabel = tierKey ? t.tier[tierKey] ?? tierKey : t.notClassified;
  const pill = pillState(r, claim, lang);
  const shown = pill.live || !pill.struck ? esc(tierLabel) : `<s>${esc(tierLabel)}</s>`;
  const tierPill = pill.live
    ? `<div class="tier t-${esc(tierKey ?? 'no-standard')}">${shown}</div>`
    : `<div class="tier t-void" data-tier="${esc(tierKey ?? 'none')}">${shown}<small>${esc(pill.why)}</small></div>`;
  const result = typeof f.result === 'number' ? `${esc(f.result)} <small>${esc(f.unit)}</small>` : '—';
  const reason = c ? (lang === 'zh' ? c.reason_zh : c.reason_en) : '';
  const standard = c?.standard ? `${esc(c.standard.code)} ${esc(lang === 'zh' ? c.standard.title_zh : c.standard.title_en)}` : '—';

  let alert = '';
  if (r.verdict === 'revoked' && r.revocation) {
    alert = `<div class="alert a-revoked"><b>${t.verdict.revoked}</b> ${esc(t.revokedAlert(t.reasons[r.revocation.reason] ?? r.revocation.reason, beijingTime(r.revocation.revokedAt, lang)))}</div>`;
  } else if (r.verdict === 'invalid' && r.failedStep) {
    alert = `<div class="alert">${esc(t.failedAlert(stepTitle(r.failedStep, lang), stepText(r.steps.find((s) => s.step === r.failedStep), lang)))}</div>`;
  } else if (r.verdict === 'pending') alert = `<div class="alert a-pending">${t.pendingAlert}</div>`;

  const rows: [string, string][] = [
    [t.standardUsed, `${standard}<br><small>${t.range} ${esc(rangeText(c?.range ?? null, lang))}</small>`],
    [t.labSpec, esc(f.specificationStandard ?? '—')],
    [t.method, esc(f.methodStandard ?? '—')],
  ];
  if (r.lab) {
    const reg = r.lab.registeredName ? `✓ ${t.labRegistered}` : t.labNotRegistered;
    rows.push([t.lab, `${esc(r.lab.name)}<br><small>CMA <span class="mono">${esc(r.lab.cmaNumber)}</span>${r.lab.cnasNumber ? ` · ${esc(r.lab.cnasNumber)}` : ''} · ${reg}</small>`]);
  }
  rows.push([t.reportNo, `<span class="mono">${esc(f.reportNumber ?? r.id)}</span>`]);
  if (str(f.issueDate)) rows.push([t.issued, esc(f.issueDate)]);
  if (r.anchor?.blockNumber !== null && r.anchor?.blockNumber !== undefined) {
    rows.push([t.block, `<span class="mono">#${esc(r.anchor.blockNumber)}</span>${r.anchor.blockTime ? ` <small>${esc(beijingTime(r.anchor.blockTime, lang))}</small>` : ''}`]);
  }

  return `<article class="report" id="report-${esc(r.id)}" data-verdict="${r.verdict}">
<h3>${t.reportNo} <span class="mono">${esc(f.reportNumber ?? r.id)}</span> <span class="badge v-${r.verdict}">${t.reportVerdict[r.verdict]}</span>${r.basis === 'spot-check' ? ` <span class="badge spot-check" data-basis="spot-check">${t.spotCheck}</span>` : ''}</h3>${alert}
<div class="result"><div class="num">${result}</div>${tierPill}</div>
<div class="compare"><div><b>${t.computed}</b>${shown}${pill.live ? '' : `<small class="why">${esc(pill.why)}</small>`}${reason ? `<br><small>${esc(reason)}</small>` : ''}</div><div><b>${t.labConclusion}</b>${!pill.live && pill.voided ? `<s>${esc(f.conclusion ?? '—')}</s><small class="why">${esc(pill.why)}</small>` : esc(f.conclusion ?? '—')}</div></div>
${facts(rows)}
${stepsDetails(t.reportSteps, r.steps, lang, r.verdict !== 'valid')}
</article>`;
}

function anchorCard(view: ConsumerView, lang: Lang): string {
  const t = STRINGS[lang];
  const a = view.anchor;
  if (!a) return `<section class="card" id="anchor"><h2>${t.anchor}</h2><div class="alert a-pending">${t.notAnchored}</div></section>`;
  const rows: [string, string][] = [];
  if (a.blockTime !== null) rows.push([t.anchoredAt, esc(beijingTime(a.blockTime, lang))]);
  if (a.blockNumber !== null) rows.push([t.block, `<span class="mono">#${esc(a.blockNumber)}</span> <small>chain ${esc(view.bundles.batch.chain.chainId)}</small>`]);
  if (a.txHash) rows.push([t.tx, `<span class="mono" title="${esc(a.txHash)}">${esc(a.txHash)}</span>`]);
  rows.push([t.position, esc(t.positionText(a.leafIndex, a.size))]);
  rows.push([t.root, `<span class="mono" title="${esc(a.root)}">${esc(shortHex(a.root))}</span>`]);
  return `<section class="card" id="anchor"><h2>${t.anchor}</h2>${facts(rows)}</section>`;
}

/** A step's message in the page's language. */
const stepText = (s: ConsumerStep | undefined, lang: Lang): string => (s ? messageText(s.code, s.params, lang) : '');

function stepList(steps: readonly ConsumerStep[], lang: Lang, hide: (s: ConsumerStep) => boolean = () => false): string {
  const t = STRINGS[lang];
  return `<ol class="steps">${steps
    .filter((s) => !hide(s))
    .map((s) => `<li class="s-${s.status}" data-step="${esc(s.step)}" data-status="${s.status}"><span class="st" aria-hidden="true">${STEP_MARK[s.status] ?? '?'}</span><b>${esc(stepTitle(s.step, lang))}</b> · ${t.status[s.status] ?? s.status}<small>${esc(stepText(s, lang))}</small></li>`)
    .join('')}</ol>`;
}

function stepsCard(title: string, steps: readonly ConsumerStep[], lang: Lang): string {
  // A batch is no selenium report: its skipped classification step says nothing.
  const hide = (s: ConsumerStep) => s.step === 'classifySelenium' && s.status === 'skipped';
  return `<section class="card" id="batch-steps"><h2>${title}</h2>${stepList(steps, lang, hide)}</section>`;
}

function stepsDetails(title: string, steps: readonly ConsumerStep[], lang: Lang, open: boolean): string {
  const passed = steps.filter((s) => s.status === 'passed').length;
  return `<details${open ? ' open' : ''}><summary>${title} (${passed}/${steps.length})</summary>${stepList(steps, lang)}</details>`;
}

function linksCard(view: ConsumerView, lang: Lang): string {
  const t = STRINGS[lang];
  const links: [string, string, string][] = [
    [view.links.bundles.batch, `${t.bundle}: ${lang === 'zh' ? '批次' : 'batch'}`, 'application/json'],
    ...view.reports.map((r): [string, string, string] => [view.links.bundles.reports[r.id] ?? '', `${t.bundle}: ${String(r.fields.reportNumber ?? r.id)}`, 'application/json']),
    [`${view.links.page}?format=json`, t.json, 'application/json'],
    [view.links.linkset, t.linkset, 'application/linkset+json'],
  ];
  return `<section class="card" id="links"><h2>${t.downloads}</h2><ul class="links">${links.map(([href, text, type]) => `<li><a href="${esc(href)}" type="${type}" rel="nofollow">${esc(text)}</a></li>`).join('')}</ul></section>`;
}

function withLang(selfPath: string, lang: string): string {
  return `${selfPath}${selfPath.includes('?') ? '&' : '?'}lang=${lang}`;
}

// ---------------------------------------------------------------------------
// Document and error page.

export function documentHtml(p: { lang: Lang; title: string; assets: PageAssets; switchHref: string | null; body: string; className?: string }): string {
  const t = STRINGS[p.lang];
  const sw = p.switchHref ? `<a href="${esc(p.switchHref)}" hreflang="${t.switchHref}" lang="${t.switchHref}">${t.switchLang}</a>` : '';
  return `<!doctype html>
<html lang="${p.lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="format-detection" content="telephone=no">
<title>${esc(p.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${esc(p.assets.css)}">
</head>
<body${p.className ? ` class="${p.className}"` : ''}>
<header class="top"><span class="brand">${t.brand} <small>${t.brandSub}</small></span>${sw}</header>
<main>
${p.body}
</main>
<footer>${t.footer}</footer>
</body>
</html>
`;
}

/** A small bilingual error page (both languages, the preferred one first). */
export function renderErrorPage(p: { status: number; code: string; message: string; lang: Lang; assets: PageAssets }): string {
  const zh = { title: STRINGS.zh.errorTitle, hint: p.status === 404 ? '没有找到此批次。请核对标签上的二维码。' : p.status === 400 ? '此链接格式不正确，可能不是正规的溯源二维码。' : '服务暂时不可用，请稍后再试。' };
  const en = { title: STRINGS.en.errorTitle, hint: p.status === 404 ? 'No such batch. Please check the QR code on the label.' : p.status === 400 ? 'This link is malformed; it may not be a genuine trace code.' : 'The service is unavailable; please try again later.' };
  const block = (lang: Lang, x: { title: string; hint: string }) => `<div lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><h1>${esc(x.title)}</h1><p>${esc(x.hint)}</p></div>`;
  const blocks = p.lang === 'zh' ? [block('zh', zh), block('en', en)] : [block('en', en), block('zh', zh)];
  return documentHtml({
    lang: p.lang,
    title: `${p.status} · ${p.lang === 'zh' ? zh.title : en.title}`,
    assets: p.assets,
    switchHref: null,
    body: `<section class="verdict v-invalid" role="alert"><div class="mark" aria-hidden="true">✗</div><div><h1>${p.status}</h1><p>${esc(p.code)}</p></div></section><section class="card">${blocks.join('')}<p class="mono">${esc(p.message)}</p></section>`,
  });
}

// ---------------------------------------------------------------------------
// Unknown codes and GTIN-only links (what a consumer sees when a scan finds no batch).

/** Where a consumer in China complains about a suspected counterfeit: the national 12315 line and platform. */
export const COMPLAINT_CHANNEL = { phone: '12315', web: 'https://www.12315.cn', webText: 'www.12315.cn' } as const;

/**
 * The page for a code that names no batch (404) or is not a valid trace code (400): "谨防假冒" with the 12315 complaint
 * channel, in Chinese and in English (the preferred language first), laid out for a phone.
 */
export function renderUnknownCodePage(p: { status: 400 | 404; code: string; lang: Lang; assets: PageAssets }): string {
  const zh = {
    title: '谨防假冒',
    why: p.status === 404 ? '没有找到此批次：本系统中没有这个溯源码。' : '此链接格式不正确，可能不是正规的溯源二维码。',
    what: '正规产品的溯源码扫码后会显示生产者、批次和硒含量检测报告。此产品可能是假冒产品，或标签被更换。',
    keep: '请保留产品、包装和购物凭证。',
    complain: '投诉举报：',
    call: `拨打 ${COMPLAINT_CHANNEL.phone}`,
    web: `全国12315平台 ${COMPLAINT_CHANNEL.webText}`,
    scanned: '您扫描的编码',
  };
  const en = {
    title: 'Beware of counterfeits',
    why: p.status === 404 ? 'No such batch: this trace code is not on record.' : 'This link is malformed; it may not be a genuine trace code.',
    what: 'A genuine trace code shows the producer, the batch and its selenium test reports. This product may be counterfeit, or its label replaced.',
    keep: 'Keep the product, its packaging and your receipt.',
    complain: 'Report it: ',
    call: `call ${COMPLAINT_CHANNEL.phone}`,
    web: `the national 12315 platform, ${COMPLAINT_CHANNEL.webText}`,
    scanned: 'The code you scanned',
  };
  type Words = typeof zh;
  const block = (lang: Lang, w: Words) =>
    `<section class="card fake-warning" lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><h2>${esc(w.title)}</h2><p>${esc(w.why)}</p><p>${esc(w.what)}</p>` +
    `<p class="complain">${esc(w.complain)}<a class="btn btn-call" href="tel:${COMPLAINT_CHANNEL.phone}">${esc(w.call)}</a> <a class="btn btn-plain" href="${COMPLAINT_CHANNEL.web}" rel="noopener">${esc(w.web)}</a></p>` +
    `<p class="sub">${esc(w.keep)}</p></section>`;
  const blocks = p.lang === 'zh' ? [block('zh', zh), block('en', en)] : [block('en', en), block('zh', zh)];
  const first = p.lang === 'zh' ? zh : en;
  const second = p.lang === 'zh' ? en : zh;
  return documentHtml({
    lang: p.lang,
    title: `${zh.title} · ${en.title}`,
    assets: p.assets,
    switchHref: null,
    className: 'unknown-code',
    body:
      `<section class="verdict c-bad" role="alert" id="verdict" data-verdict="unknown" data-status="${p.status}"><div class="mark" aria-hidden="true">!</div><div><h1>${esc(first.title)}</h1><p>${esc(second.title)}</p></div></section>` +
      blocks.join('') +
      `<section class="card"><h2>${esc(zh.scanned)} <span lang="en">${esc(en.scanned)}</span></h2><p class="mono" id="scanned-code">${esc(p.code)}</p></section>`,
  });
}

/** One batch of a GTIN, as the GTIN-only page lists it (public fields only). */
export interface GtinBatchItem {
  id: string;
  lot: string;
  productName: string | null;
  category: string;
  producer: string;
  date: string;
  dateKind: 'harvest' | 'production';
  /** The batch's own scan link (its Digital Link path, or /b/{id}). */
  href: string;
}

/** The page of a GTIN-only Digital Link (`/01/{gtin}`): that GTIN's batches, newest first, each linking to its own page. */
export function renderGtinPage(p: { gtin14: string; total: number; items: readonly GtinBatchItem[]; lang: Lang; assets: PageAssets; selfPath: string }): string {
  const t = STRINGS[p.lang];
  const zh = p.lang === 'zh';
  const name = p.items.find((i) => i.productName !== null)?.productName ?? categoryName(p.items[0]?.category, p.lang) ?? t.product;
  const heading = zh ? `${name}：共 ${p.total} 个批次` : `${name}: ${p.total} batch${p.total === 1 ? '' : 'es'}`;
  const hint = zh ? '此链接只含商品条码，没有批号。请选择包装上印的批号，或直接扫描批次标签上的二维码。' : 'This link names the product (GTIN) but no lot. Choose the lot printed on your pack, or scan the QR code on the batch label.';
  const more = p.total > p.items.length ? `<p class="sub">${zh ? `显示最新的 ${p.items.length} 个批次。` : `The newest ${p.items.length} are shown.`}</p>` : '';
  const rows = p.items
    .map(
      (i) =>
        `<li><a href="${esc(i.href)}"><b class="mono">${esc(i.lot)}</b> ${esc(i.productName ?? categoryName(i.category, p.lang) ?? '')}</a>` +
        `<small>${esc(i.dateKind === 'harvest' ? t.harvest : t.production)} ${esc(i.date)} · ${esc(i.producer)}</small></li>`,
    )
    .join('');
  return documentHtml({
    lang: p.lang,
    title: `${name} · ${t.gtin} ${p.gtin14}`,
    assets: p.assets,
    switchHref: withLang(p.selfPath, t.switchHref),
    className: 'gtin-page',
    body:
      `<section class="card" id="gtin"><h1 class="page-title">${esc(heading)}</h1><p class="sub">${esc(hint)}</p>` +
      `<dl class="facts"><dt>${t.gtin}</dt><dd class="mono">${esc(p.gtin14)}</dd></dl>${more}<ul class="batch-list" id="gtin-batches">${rows}</ul></section>`,
  });
}
