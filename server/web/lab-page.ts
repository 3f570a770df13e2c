/**
 * The lab console (/lab): a static page, Chinese by default and English with ?lang=en. The lab imports its signing key
 * once as an encrypted keystore file (kept in the browser's IndexedDB, decrypted only in the page); the report form is
 * prefilled from the lab's registered profile; the report PDF is hashed in the browser; the report is signed in the
 * browser (EIP-712, as `traceledger sign-report`) and sent to POST /api/v1/reports; the lab's reports are listed with
 * their anchoring and revocation state, and the lab revokes one with a reason: its key signs the revocation in the
 * browser and the server relays it on chain (POST /api/v1/revocations/signed), so no wallet or gas is needed. Its script is built by ./console-bundles.ts from ./client/lab-page.ts.
 */
import { REVOCATION_REASONS } from '../records/record-types';
import { RESULT_UNITS, seleniumThresholds } from '../standards';
import { REVOCATION_REASON_WORDS } from '../verification/messages';
import { input, keyCardHtml } from './console-html';
import { documentHtml, esc, jsonForScript, type Lang, type PageAssets } from './page';

/** Method standards for selenium the form offers (GB 5009.93-2017 and its three methods). */
export const SELENIUM_METHOD_STANDARDS = ['GB 5009.93-2017 第一法', 'GB 5009.93-2017 第二法', 'GB 5009.93-2017 第三法'] as const;

const S = {
  zh: {
    title: '检测机构控制台',
    keyTitle: '签名密钥',
    keyIntro: '导入本机构的加密密钥文件（keystore JSON）一次；文件保存在本浏览器中，密钥只在本页面内解密，不会发送到服务器。',
    keyFile: '密钥文件',
    password: '密码',
    unlock: '解锁',
    forget: '从本浏览器删除密钥文件',
    profile: '登记信息',
    formTitle: '检测报告',
    formIntro: '机构信息取自链上登记（名称、CMA 编号及有效期）；服务器会拒绝与签名密钥登记信息不一致的报告。',
    labName: '机构名称',
    cma: 'CMA 编号',
    cmaUntil: 'CMA 有效期至',
    cnas: 'CNAS 编号（可选）',
    labAddress: '机构地址',
    reportNumber: '报告编号',
    batchId: '批次编号',
    clientName: '委托单位',
    clientAddress: '委托单位地址（可选）',
    clientPhone: '委托单位电话（可选）',
    sampleId: '样品编号',
    sampleName: '样品名称',
    sampleState: '样品状态',
    samplingBy: '抽样人',
    samplingMethod: '抽样方法',
    samplingDate: '抽样日期',
    samplingPlace: '抽样地点',
    receivedDate: '收样日期',
    testFrom: '检测开始',
    testTo: '检测结束',
    issueDate: '签发日期',
    category: '产品类别',
    thresholds: '判定限值',
    methodStandard: '检测方法标准',
    result: '硒含量',
    unit: '单位',
    lod: '检出限',
    loq: '定量限',
    uncertainty: '扩展不确定度',
    k: '包含因子 k',
    specStandard: '判定依据',
    conclusion: '检测结论',
    tester: '检测人',
    reviewer: '审核人',
    approver: '批准人',
    pdf: '报告 PDF（只在本机计算 SHA-256，不上传）',
    submit: '签名并提交',
    mine: '本机构的报告',
    refresh: '刷新',
    colId: '报告编号',
    colBatch: '批次',
    colResult: '结果',
    colState: '状态',
    colRevoke: '撤销',
    revokeTitle: '撤销报告',
    reason: '原因',
    revokeSubmit: '签名并撤销',
    revokeNote: '撤销由本机构的密钥在本页面内签名，服务器代为提交上链（无需钱包或链上手续费）；撤销是永久的，消费者扫码即看到“已撤销”。',
    out: '结果',
  },
  en: {
    title: 'Lab console',
    keyTitle: 'Signing key',
    keyIntro: "Import your lab's encrypted key file (keystore JSON) once; the file is kept in this browser, and the key is decrypted only in this page, never sent to the server.",
    keyFile: 'Key file',
    password: 'Password',
    unlock: 'Unlock',
    forget: 'Remove the key file from this browser',
    profile: 'Registered profile',
    formTitle: 'Test report',
    formIntro: "The lab's details come from its registration on chain (name, CMA number and its validity); the server refuses a report that names another lab than the signing key's.",
    labName: 'Lab name',
    cma: 'CMA number',
    cmaUntil: 'CMA valid until',
    cnas: 'CNAS number (optional)',
    labAddress: 'Lab address',
    reportNumber: 'Report number',
    batchId: 'Batch id',
    clientName: 'Client',
    clientAddress: "Client's address (optional)",
    clientPhone: "Client's phone (optional)",
    sampleId: 'Sample id',
    sampleName: 'Sample name',
    sampleState: 'Sample state',
    samplingBy: 'Sampled by',
    samplingMethod: 'Sampling method',
    samplingDate: 'Sampling date',
    samplingPlace: 'Sampling place',
    receivedDate: 'Received',
    testFrom: 'Tested from',
    testTo: 'Tested to',
    issueDate: 'Issued',
    category: 'Product category',
    thresholds: 'Thresholds',
    methodStandard: 'Method standard',
    result: 'Selenium',
    unit: 'Unit',
    lod: 'LOD',
    loq: 'LOQ',
    uncertainty: 'Expanded uncertainty',
    k: 'Coverage factor k',
    specStandard: 'Specification standard',
    conclusion: 'Conclusion',
    tester: 'Tester',
    reviewer: 'Reviewer',
    approver: 'Approver',
    pdf: 'Report PDF (SHA-256 computed on this computer, not uploaded)',
    submit: 'Sign and submit',
    mine: "This lab's reports",
    refresh: 'Refresh',
    colId: 'Report',
    colBatch: 'Batch',
    colResult: 'Result',
    colState: 'State',
    colRevoke: 'Revoke',
    revokeTitle: 'Revoke a report',
    reason: 'Reason',
    revokeSubmit: 'Sign and revoke',
    revokeNote: "The revocation is signed with this lab's key in this page and the server sends it on chain (no wallet or gas needed). It is permanent: consumers scanning the code see the report as revoked.",
    out: 'Result',
  },
} as const;

/** What the script is given: the categories with their standards and thresholds, the units, the revocation reasons. */
export function labPageData() {
  const table = seleniumThresholds();
  const standards = new Map(table.standards.map((s) => [s.code, s]));
  return {
    categories: table.categories.map((c) => ({
      key: c.key,
      name_zh: c.name_zh,
      name_en: c.name_en,
      standards: c.standards.map((code) => ({
        code,
        title_zh: standards.get(code)?.title_zh ?? '',
        title_en: standards.get(code)?.title_en ?? '',
        status: standards.get(code)?.status ?? 'unconfirmed',
        thresholds: table.thresholds
          .filter((t) => t.category === c.key && t.standard === code)
          .map((t) => ({ tier: t.tier, basis: t.basis, min: t.min, max: t.max, minInclusive: t.minInclusive, maxInclusive: t.maxInclusive })),
      })),
    })),
    units: RESULT_UNITS,
    reasons: REVOCATION_REASONS,
  };
}


/** The lab console in `lang`; `js` is the URL of its script. */
export function renderLabPage(lang: Lang, assets: PageAssets, js: string): string {
  const t = S[lang];
  const data = labPageData();
  const categories = data.categories.map((c) => `<option value="${esc(c.key)}">${esc(lang === 'zh' ? c.name_zh : c.name_en)}</option>`).join('');
  const units = data.units.map((u) => `<option value="${esc(u)}">${esc(u.replace(/^u/, 'µ'))}</option>`).join('');
  const methods = SELENIUM_METHOD_STANDARDS.map((m) => `<option value="${esc(m)}">`).join('');
  const body = `
${keyCardHtml(t)}

<section class="card console" id="report-card">
<h2>${esc(t.formTitle)}</h2>
<p class="sub">${esc(t.formIntro)}</p>
<form id="report-form" novalidate>
<div class="row3">
${input('lab-name', t.labName, 'required')}
${input('lab-cma', t.cma, 'required inputmode="numeric" maxlength="12"')}
${input('lab-cma-until', t.cmaUntil, 'type="date" required')}
${input('lab-cnas', t.cnas, 'placeholder="CNAS L1234"')}
${input('lab-address', t.labAddress, 'required', true)}
</div>
<div class="row3">
${input('report-number', t.reportNumber, 'required maxlength="64"')}
${input('batch-id', t.batchId, 'required maxlength="64" spellcheck="false"')}
${input('client-name', t.clientName, 'required')}
${input('client-address', t.clientAddress)}
${input('client-phone', t.clientPhone, 'type="tel"')}
</div>
<div class="row3">
${input('sample-id', t.sampleId, 'required')}
${input('sample-name', t.sampleName, 'required')}
${input('sample-state', t.sampleState, 'required')}
${input('sampling-by', t.samplingBy, 'required')}
${input('sampling-method', t.samplingMethod, 'required')}
${input('sampling-date', t.samplingDate, 'type="date" required')}
${input('sampling-place', t.samplingPlace, 'required')}
${input('received-date', t.receivedDate, 'type="date" required')}
${input('test-from', t.testFrom, 'type="date" required')}
${input('test-to', t.testTo, 'type="date" required')}
${input('issue-date', t.issueDate, 'type="date" required')}
</div>
<div class="row3">
<div><label for="category">${esc(t.category)}</label><select id="category">${categories}</select></div>
${input('method-standard', t.methodStandard, 'required list="method-standards" value="GB 5009.93-2017 第一法"')}
<div><label for="spec-standard">${esc(t.specStandard)}</label><select id="spec-standard"></select></div>
</div>
<datalist id="method-standards">${methods}</datalist>
<div id="thresholds" class="sub"></div>
<div class="row3">
${input('result', t.result, 'type="number" min="0" step="any" required')}
<div><label for="unit">${esc(t.unit)}</label><select id="unit">${units}</select></div>
${input('lod', t.lod, 'type="number" min="0" step="any" required')}
${input('loq', t.loq, 'type="number" min="0" step="any" required')}
${input('uncertainty', t.uncertainty, 'type="number" min="0" step="any" required')}
${input('k', t.k, 'type="number" min="0" step="any" value="2" required')}
</div>
${input('conclusion', t.conclusion, 'required', true)}
<div class="row3">
${input('tester', t.tester, 'required')}
${input('reviewer', t.reviewer, 'required')}
${input('approver', t.approver, 'required')}
</div>
${input('pdf', t.pdf, 'type="file" accept="application/pdf,.pdf" required')}
<p id="pdf-hash" class="mono"></p>
<button class="btn" type="submit" id="sign-submit" disabled>${esc(t.submit)}</button>
</form>
</section>

<section class="card console" id="out-card"><h2>${esc(t.out)}</h2><div id="out" class="mono" role="status" aria-live="polite"></div></section>

<section class="card console" id="reports-card">
<h2>${esc(t.mine)}</h2>
<button class="btn btn-small" type="button" id="refresh">${esc(t.refresh)}</button>
<table class="data"><thead><tr><th>${esc(t.colId)}</th><th>${esc(t.colBatch)}</th><th>${esc(t.colResult)}</th><th>${esc(t.colState)}</th><th>${esc(t.colRevoke)}</th></tr></thead><tbody id="reports"></tbody></table>
<div id="revoke-box" hidden>
<h3>${esc(t.revokeTitle)} <span id="revoke-id" class="mono"></span></h3>
<p class="sub">${esc(t.revokeNote)}</p>
<div class="row3"><div><label for="revoke-reason">${esc(t.reason)}</label><select id="revoke-reason">${data.reasons.map((r) => `<option value="${esc(r)}">${esc(REVOCATION_REASON_WORDS[r][lang])}</option>`).join('')}</select></div></div>
<div id="revoke-how" class="sub mono"></div>
<button class="btn" type="button" id="revoke-submit">${esc(t.revokeSubmit)}</button>
</div>
</section>
<script type="application/json" id="lab-data">${jsonForScript(data)}</script>
<script src="${esc(js)}" defer></script>`;
  return documentHtml({ lang, title: `${t.title} · traceledger`, assets, switchHref: lang === 'zh' ? '/lab?lang=en' : '/lab?lang=zh', body, className: 'console-page' });
}
