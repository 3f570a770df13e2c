/**
 * The department console (/department): a static page, Chinese by default and English with ?lang=en. A department
 * imports its signing key once as an encrypted keystore file (kept in the browser's IndexedDB, decrypted only in the
 * page) and signs each step of a data share in the browser — request, reply, delivery (the delivered file hashed
 * here, never uploaded) and receipt — exactly as `traceledger share sign` does, then sends it to POST /api/v1/shares.
 * It shows the department's trail and its verification. Its script is built by ./console-bundles.ts from
 * ./client/department-page.ts.
 */
import { SHARE_CLASSES, SHARE_METHODS } from '../records/schemas';
import { input, keyCardHtml } from './console-html';
import { documentHtml, esc, type Lang, type PageAssets } from './page';

const S = {
  zh: {
    title: '政务部门数据共享控制台',
    keyTitle: '签名密钥',
    keyIntro: '导入本部门的加密密钥文件（keystore JSON）一次；文件保存在本浏览器中，密钥只在本页面内解密，不会发送到服务器。',
    keyFile: '密钥文件',
    password: '密码',
    unlock: '解锁',
    forget: '从本浏览器删除密钥文件',
    formTitle: '签署共享环节',
    formIntro: '序号与前一记录哈希自动取自本部门记录链的最新位置；交付的数据文件只在本机计算 SHA-256，不上传。',
    step: '环节',
    steps: { request: '申请（需求方）', reply: '答复（提供方）', delivery: '交付（提供方）', receipt: '签收（需求方）' },
    counterpart: '对方部门',
    catalogueId: '目录编号',
    catalogueVersion: '目录版本',
    shareClass: '共享类型',
    legalBasis: '法律依据（可选）',
    purpose: '用途',
    scenario: '应用场景',
    fieldsRequested: '申请字段（逗号分隔）',
    scope: '数据范围',
    method: '共享方式',
    validityFrom: '有效期自',
    validityTo: '有效期至',
    securityLevel: '安全级别',
    requestId: '申请记录编号',
    decision: '答复',
    approve: '同意',
    refuse: '不同意',
    refusalReason: '不同意的理由',
    fieldsApproved: '同意共享的字段（逗号分隔）',
    conditions: '使用条件（可选）',
    replyId: '答复记录编号',
    fieldsDelivered: '交付字段（逗号分隔）',
    deliveryId: '交付记录编号',
    dataFile: '数据文件（只在本机计算 SHA-256，不上传）',
    rowCount: '行数',
    officerName: '经办人',
    officerTitle: '职务（可选）',
    officerPhone: '电话（可选）',
    sign: '签名并提交',
    trail: '本部门记录链',
    refresh: '刷新',
    seq: '序号',
    record: '记录编号',
    state: '状态',
    verification: '记录链验证',
    alerts: '告警',
    alertsIntro: '告警列表需要运营方发给本部门的部门令牌（tld_ 开头）；令牌只保存在本标签页中，只能看到本部门的告警。',
    alertsToken: '令牌',
    loadAlerts: '查看告警',
    out: '结果',
  },
  en: {
    title: 'Department data-sharing console',
    keyTitle: 'Signing key',
    keyIntro: "Import your department's encrypted key file (keystore JSON) once; the file is kept in this browser, and the key is decrypted only in this page, never sent to the server.",
    keyFile: 'Key file',
    password: 'Password',
    unlock: 'Unlock',
    forget: 'Remove the key file from this browser',
    formTitle: 'Sign a share step',
    formIntro: "The sequence number and previous hash come from the head of your department's trail; a delivered data file is hashed (SHA-256) on this computer and never uploaded.",
    step: 'Step',
    steps: { request: 'request (requesting side)', reply: 'reply (providing side)', delivery: 'delivery (providing side)', receipt: 'receipt (requesting side)' },
    counterpart: 'Other department',
    catalogueId: 'Catalogue item',
    catalogueVersion: 'Catalogue version',
    shareClass: 'Share class',
    legalBasis: 'Legal basis (optional)',
    purpose: 'Purpose',
    scenario: 'Scenario',
    fieldsRequested: 'Fields requested (comma-separated)',
    scope: 'Scope',
    method: 'Method',
    validityFrom: 'Valid from',
    validityTo: 'Valid to',
    securityLevel: 'Security level',
    requestId: 'Request id',
    decision: 'Decision',
    approve: 'approve',
    refuse: 'refuse',
    refusalReason: 'Reason for refusing',
    fieldsApproved: 'Fields approved (comma-separated)',
    conditions: 'Conditions (optional)',
    replyId: 'Reply id',
    fieldsDelivered: 'Fields delivered (comma-separated)',
    deliveryId: 'Delivery id',
    dataFile: 'Data file (SHA-256 computed on this computer, not uploaded)',
    rowCount: 'Rows',
    officerName: 'Officer',
    officerTitle: 'Title (optional)',
    officerPhone: 'Phone (optional)',
    sign: 'Sign and submit',
    trail: "This department's trail",
    refresh: 'Refresh',
    seq: 'Seq',
    record: 'Record',
    state: 'State',
    verification: 'Trail verification',
    alerts: 'Alerts',
    alertsIntro: "The alert list needs your department's token from the operator (starting tld_); it stays in this tab only and shows this department's alerts only.",
    alertsToken: 'Token',
    loadAlerts: 'Show alerts',
    out: 'Result',
  },
} as const;

const select = (id: string, label: string, options: readonly (readonly [string, string])[]) =>
  `<div><label for="${id}">${esc(label)}</label><select id="${id}">${options.map(([v, l]) => `<option value="${esc(v)}">${esc(l)}</option>`).join('')}</select></div>`;

/** The department console in `lang`; `js` is the URL of its script. */
export function renderDepartmentPage(lang: Lang, assets: PageAssets, js: string): string {
  const t = S[lang];
  const methods = SHARE_METHODS.map((m) => [m, m] as const);
  const body = `
${keyCardHtml(t)}

<section class="card console" id="share-card">
<h2>${esc(t.formTitle)}</h2>
<p class="sub">${esc(t.formIntro)}</p>
<form id="share-form" novalidate>
<div class="row3">
${select('step', t.step, Object.entries(t.steps))}
${select('counterpart', t.counterpart, [])}
${input('catalogue-id', t.catalogueId, 'required')}
${input('catalogue-version', t.catalogueVersion, 'required')}
</div>
<fieldset data-steps="request" class="step-fields"><div class="row3">
${select('share-class', t.shareClass, SHARE_CLASSES.map((c) => [c, c] as const))}
${input('legal-basis', t.legalBasis)}
${input('purpose', t.purpose, 'required')}
${input('scenario', t.scenario, 'required')}
${input('fields-requested', t.fieldsRequested, 'required')}
${input('scope', t.scope, 'required')}
</div></fieldset>
<fieldset data-steps="reply delivery receipt" class="step-fields"><div class="row3">
${input('request-id', t.requestId, 'required spellcheck="false"')}
</div></fieldset>
<fieldset data-steps="reply" class="step-fields"><div class="row3">
${select('decision', t.decision, [['approve', t.approve], ['refuse', t.refuse]])}
${input('refusal-reason', t.refusalReason)}
${input('fields-approved', t.fieldsApproved)}
${input('conditions', t.conditions)}
</div></fieldset>
<fieldset data-steps="request reply delivery" class="step-fields"><div class="row3">
${select('method', t.method, methods)}
</div></fieldset>
<fieldset data-steps="request reply" class="step-fields"><div class="row3">
${input('validity-from', t.validityFrom, 'type="date"')}
${input('validity-to', t.validityTo, 'type="date"')}
${input('security-level', t.securityLevel, 'value="general" spellcheck="false"')}
</div></fieldset>
<fieldset data-steps="delivery" class="step-fields"><div class="row3">
${input('reply-id', t.replyId, 'spellcheck="false"')}
${input('fields-delivered', t.fieldsDelivered)}
</div></fieldset>
<fieldset data-steps="receipt" class="step-fields"><div class="row3">
${input('delivery-id', t.deliveryId, 'spellcheck="false"')}
</div></fieldset>
<fieldset data-steps="delivery receipt" class="step-fields"><div class="row3">
${input('data-file', t.dataFile, 'type="file"')}
${input('row-count', t.rowCount, 'type="number" min="0" step="1"')}
</div><p id="data-sha256" class="mono"></p></fieldset>
<div class="row3">
${input('officer-name', t.officerName, 'required')}
${input('officer-title', t.officerTitle)}
${input('officer-phone', t.officerPhone, 'type="tel"')}
</div>
<button class="btn" type="submit" id="sign-share" disabled>${esc(t.sign)}</button>
</form>
</section>

<section class="card console" id="out-card"><h2>${esc(t.out)}</h2><div id="out" class="mono" role="status" aria-live="polite"></div></section>

<section class="card console" id="trail-card">
<h2>${esc(t.trail)}</h2>
<button class="btn btn-small" type="button" id="refresh-trail">${esc(t.refresh)}</button>
<table class="data"><thead><tr><th>${esc(t.seq)}</th><th>${esc(t.step)}</th><th>${esc(t.record)}</th><th>${esc(t.state)}</th></tr></thead><tbody id="trail"></tbody></table>
<h3>${esc(t.verification)}</h3>
<div id="trail-verdict" aria-live="polite"></div>
<h3>${esc(t.alerts)}</h3>
<p class="sub">${esc(t.alertsIntro)}</p>
<form id="alerts-form" class="inline-form">${input('alerts-token', t.alertsToken, 'type="password" spellcheck="false"')}
<button class="btn btn-small" type="submit" id="load-alerts">${esc(t.loadAlerts)}</button></form>
<ul id="alerts" aria-live="polite"></ul>
</section>
<script src="${esc(js)}" defer></script>`;
  return documentHtml({ lang, title: `${t.title} · traceledger`, assets, switchHref: lang === 'zh' ? '/department?lang=en' : '/department?lang=zh', body, className: 'console-page' });
}
