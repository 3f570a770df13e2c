/**
 * The auditor console (/audit): a static page, Chinese by default and English with ?lang=en, whose
 * script calls the REST API with the auditor's token (or the regulator's, or the admin token) the auditor pastes: departments and their trails,
 * trail verification in named steps, alerts, dataset checks and audit report exports. Laid out for
 * desktops (auditors work at one), and still usable on a phone.
 */
import { ALERT_KINDS, TRAIL_STEPS } from '../trails';
import { trailStepTitle } from '../verification/trail-messages';
import { documentHtml, esc, jsonForScript, type Lang, type PageAssets } from './page';

/** The trail steps' titles in `lang` (TRAIL_STEP_TITLES). */
const trailStepTitles = (lang: Lang): Record<string, string> => Object.fromEntries(TRAIL_STEPS.map((s) => [s, trailStepTitle(s, lang)]));

/** The strings the page and its script show, per language. */
export const AUDIT_STRINGS = {
  zh: {
    title: '政务数据共享审计台',
    intro: '核查各部门的数据共享记录是否完整、未被篡改、已上链，并核对交付的数据文件。',
    token: '审计令牌',
    tokenHint: '粘贴运营方发给您的审计令牌（tla_ 开头；监管令牌或管理令牌也可）；令牌只保存在本标签页中，关闭即清除。审计令牌只能查看，不能更改任何数据。',
    save: '保存并加载',
    clear: '清除',
    departments: '部门',
    name: '部门名称',
    uscc: '统一社会信用代码',
    records: '记录数',
    lastSeq: '最新序号',
    lastAt: '最近记录',
    open: '查看',
    alerts: '告警',
    allAlerts: '全部告警',
    noAlerts: '没有告警。',
    trail: '共享记录链',
    verify: '验证记录链',
    verifying: '正在验证…',
    seq: '序号',
    time: '时间',
    step: '环节',
    record: '记录编号',
    counterpart: '对方部门',
    item: '目录项',
    status: '状态',
    noRecords: '此部门尚无共享记录。',
    report: '导出审计报告',
    from: '起始日期',
    to: '截止日期',
    dataset: '数据文件核对',
    datasetHint: '上传收到的文件（在服务器端边接收边计算 SHA-256，不保存文件），或粘贴其 SHA-256。',
    delivery: '交付记录编号',
    file: '数据文件',
    hash: '或 SHA-256',
    rows: '行数（可选）',
    check: '核对',
    match: '一致：文件与交付记录相符。',
    mismatch: '不一致：文件与交付记录不符！',
    recorded: '记录的哈希',
    given: '核对的哈希',
    uploading: '正在上传并计算哈希…',
    needToken: '请先粘贴审计令牌。',
    chooseDept: '请先选择一个部门。',
    needDelivery: '请填写交付记录编号，并选择文件或填写 SHA-256。',
    result: '结果',
    concerns: '涉及记录',
    answerable: '责任部门',
    verdict: { valid: '验证通过', invalid: '验证失败', pending: '等待上链' } as Record<string, string>,
    attention: '记录链未被篡改，但有 {high} 条高风险告警',
    alertsLine: '本记录链有 {n} 条告警（其中高风险 {high} 条），见下方告警列表。',
    verdictLine: {
      valid: '记录链完整、按序、未被篡改，签名有效，且已全部上链。',
      invalid: '记录链未通过验证：',
      pending: '尚未发现问题，但部分记录还在等待上链。',
    } as Record<string, string>,
    stepStatus: { passed: '通过', failed: '未通过', pending: '等待' } as Record<string, string>,
    steps: trailStepTitles('zh'),
    /** API error codes (and the script's own 'network', and bare HTTP statuses), in words; `other` for any else. */
    errors: {
      unauthorized: '未授权：令牌无效、已吊销或未填写',
      forbidden: '无权操作：此令牌的角色不能查看这些内容（需要审计、监管或管理令牌）',
      'not-found': '未找到',
      'invalid-input': '输入有误',
      'payload-too-large': '文件或请求过大',
      'rate-limited': '请求过于频繁，请稍后再试',
      conflict: '与已有记录冲突',
      unavailable: '服务暂不可用（区块链节点没有应答），请稍后再试',
      internal: '服务器内部错误',
      network: '网络错误：无法连接服务器',
      other: '请求失败',
    } as Record<string, string>,
    stepsOf: { request: '申请', reply: '答复', delivery: '交付', receipt: '签收' } as Record<string, string>,
    entryStatus: { accepted: '已接收', sequenced: '已入日志', anchored: '已上链' } as Record<string, string>,
    severity: { high: '高', medium: '中' } as Record<string, string>,
    kinds: {
      'delivered-outside-validity': '有效期外交付',
      'not-shared-item-delivered': '不予共享目录项被交付',
      'conditional-without-legal-basis': '有条件共享缺少法律依据',
      'fields-beyond-approved': '交付超出批准字段',
      'receipt-overdue': '逾期未签收',
      'sequence-gap': '记录序号缺失',
    } as Record<string, string>,
  },
  en: {
    title: 'Data-sharing audit console',
    intro: "Check that each department's data-sharing trail is complete, untampered and anchored on chain, and that delivered files match their records.",
    token: "Auditor's token",
    tokenHint: "Paste the auditor's token the operator issued you (starting tla_; a regulator's or the admin token also works); it stays in this browser tab and is gone when you close it. An auditor's token reads and changes nothing.",
    save: 'Save and load',
    clear: 'Clear',
    departments: 'Departments',
    name: 'Department',
    uscc: 'Credit code',
    records: 'Records',
    lastSeq: 'Last seq',
    lastAt: 'Last record',
    open: 'Open',
    alerts: 'Alerts',
    allAlerts: 'All alerts',
    noAlerts: 'No alerts.',
    trail: 'Trail',
    verify: 'Verify trail',
    verifying: 'Verifying…',
    seq: 'Seq',
    time: 'Time',
    step: 'Step',
    record: 'Record',
    counterpart: 'Other department',
    item: 'Catalogue item',
    status: 'Status',
    noRecords: 'This department has no share records yet.',
    report: 'Export audit report',
    from: 'From',
    to: 'To',
    dataset: 'Dataset check',
    datasetHint: 'Upload the file as received (the server hashes it with SHA-256 as it streams in and keeps nothing), or paste its SHA-256.',
    delivery: 'Delivery record id',
    file: 'Data file',
    hash: 'or SHA-256',
    rows: 'Rows (optional)',
    check: 'Check',
    match: 'Match: the file is the one the delivery recorded.',
    mismatch: 'Mismatch: the file is NOT the one the delivery recorded!',
    recorded: 'Recorded hash',
    given: 'Checked hash',
    uploading: 'Uploading and hashing…',
    needToken: "Paste the auditor's token first.",
    chooseDept: 'Choose a department first.',
    needDelivery: 'Give the delivery record id, and a file or a SHA-256.',
    result: 'Result',
    concerns: 'Records',
    answerable: 'Answerable',
    verdict: { valid: 'Valid', invalid: 'Invalid', pending: 'Pending' } as Record<string, string>,
    attention: 'Untampered, but {high} high alert(s)',
    alertsLine: 'This trail has {n} alert(s), {high} high: see the alerts below.',
    verdictLine: {
      valid: 'The trail is complete, in sequence, untampered, validly signed and anchored on chain.',
      invalid: 'The trail fails verification: ',
      pending: 'Nothing failed, but some records wait to be anchored on chain.',
    } as Record<string, string>,
    stepStatus: { passed: 'passed', failed: 'failed', pending: 'pending' } as Record<string, string>,
    steps: trailStepTitles('en'),
    errors: {
      unauthorized: 'Unauthorized: the token is wrong, revoked or missing',
      forbidden: "Forbidden: this token's role may not read this (it needs an auditor's, the regulator's or the admin token)",
      'not-found': 'Not found',
      'invalid-input': 'Invalid input',
      'payload-too-large': 'The file or request is too large',
      'rate-limited': 'Too many requests; try again later',
      conflict: 'Conflicts with an existing record',
      unavailable: 'Unavailable (the chain node did not answer); try again later',
      internal: 'Internal server error',
      network: 'Network error: the server cannot be reached',
      other: 'The request failed',
    } as Record<string, string>,
    stepsOf: { request: 'request', reply: 'reply', delivery: 'delivery', receipt: 'receipt' } as Record<string, string>,
    entryStatus: { accepted: 'accepted', sequenced: 'sequenced', anchored: 'anchored' } as Record<string, string>,
    severity: { high: 'high', medium: 'medium' } as Record<string, string>,
    kinds: {
      'delivered-outside-validity': 'Delivered outside validity',
      'not-shared-item-delivered': 'Not-shared item delivered',
      'conditional-without-legal-basis': 'Conditional item without legal basis',
      'fields-beyond-approved': 'Fields beyond those approved',
      'receipt-overdue': 'Receipt overdue',
      'sequence-gap': 'Gap in the sequence',
    } as Record<string, string>,
  },
} as const;

// Every alert kind and trail step has a label in both languages.
for (const lang of ['zh', 'en'] as const) {
  for (const k of ALERT_KINDS) if (!AUDIT_STRINGS[lang].kinds[k]) throw new Error(`audit-page: no ${lang} label for alert kind ${k}`);
  for (const s of TRAIL_STEPS) if (AUDIT_STRINGS[lang].steps[s] === s) throw new Error(`audit-page: no ${lang} label for trail step ${s}`);
}

/** The console page in `lang`; `auditJs` is the URL of its script. */
export function renderAuditPage(lang: Lang, assets: PageAssets, auditJs: string): string {
  const t = AUDIT_STRINGS[lang];
  const label = (id: string, text: string) => `<label for="${id}">${esc(text)}</label>`;
  const body = `
<section class="card console" id="token-card">
<h1 class="page-title">${esc(t.title)}</h1>
<p class="sub">${esc(t.intro)}</p>
<form id="token-form" class="inline-form">
<div class="grow">${label('token', t.token)}<input id="token" name="token" type="password" autocomplete="off" spellcheck="false"></div>
<button class="btn" type="submit">${esc(t.save)}</button>
<button class="btn btn-plain" type="button" id="clear">${esc(t.clear)}</button>
</form>
<p class="sub">${esc(t.tokenHint)}</p>
</section>

<div class="audit-grid">
<section class="card console" id="departments-card">
<h2>${esc(t.departments)}</h2>
<div class="scroll"><table class="data"><thead><tr><th>${esc(t.name)}</th><th>${esc(t.uscc)}</th><th class="num">${esc(t.records)}</th><th class="num">${esc(t.lastSeq)}</th><th>${esc(t.lastAt)}</th><th></th></tr></thead><tbody id="departments"></tbody></table></div>
</section>

<section class="card console" id="alerts-card">
<h2>${esc(t.allAlerts)} <span class="count" id="alert-count"></span></h2>
<ul class="alerts" id="alerts"></ul>
</section>
</div>

<section class="card console" id="department-card" hidden>
<div class="dept-head">
<h2 id="dept-title"></h2>
<button class="btn" type="button" id="verify">${esc(t.verify)}</button>
</div>
<div id="verdict" class="trail-verdict" data-verdict="none" role="status" aria-live="polite" hidden></div>
<ol class="steps" id="steps"></ol>
<h3>${esc(t.trail)}</h3>
<div class="scroll"><table class="data"><thead><tr><th class="num">${esc(t.seq)}</th><th>${esc(t.time)}</th><th>${esc(t.step)}</th><th>${esc(t.record)}</th><th>${esc(t.counterpart)}</th><th>${esc(t.item)}</th><th>${esc(t.status)}</th><th>${esc(t.alerts)}</th></tr></thead><tbody id="trail"></tbody></table></div>
<h3>${esc(t.alerts)}</h3>
<ul class="alerts" id="dept-alerts"></ul>
<h3>${esc(t.report)}</h3>
<div class="inline-form">
<div>${label('from', t.from)}<input id="from" type="date"></div>
<div>${label('to', t.to)}<input id="to" type="date"></div>
<button class="btn" type="button" id="report-json">JSON</button>
<button class="btn" type="button" id="report-csv">CSV</button>
</div>
</section>

<section class="card console" id="dataset-card">
<h2>${esc(t.dataset)}</h2>
<p class="sub">${esc(t.datasetHint)}</p>
<form id="dataset-form">
<div class="row3">
<div>${label('delivery', t.delivery)}<input id="delivery" autocomplete="off" spellcheck="false"></div>
<div>${label('file', t.file)}<input id="file" type="file"></div>
<div>${label('sha', t.hash)}<input id="sha" autocomplete="off" spellcheck="false" placeholder="0x…"></div>
</div>
<div class="inline-form">
<div>${label('rows', t.rows)}<input id="rows" type="number" min="0" step="1" inputmode="numeric"></div>
<button class="btn" type="submit">${esc(t.check)}</button>
</div>
</form>
<div id="dataset-result" class="trail-verdict" data-verdict="none" role="status" aria-live="polite" hidden></div>
</section>

<section class="card console"><h2>${esc(t.result)}</h2><div id="out" class="mono" role="status" aria-live="polite"></div></section>
<script type="application/json" id="audit-i18n">${jsonForScript({ lang, ...t })}</script>
<script src="${esc(auditJs)}" defer></script>`;
  return documentHtml({ lang, title: `${t.title} · traceledger`, assets, switchHref: lang === 'zh' ? '?lang=en' : '?lang=zh', body, className: 'console-page audit-page' });
}
