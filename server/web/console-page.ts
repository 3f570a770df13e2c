/**
 * The producer console (/console): a static, bilingual page whose script (assets/console.js) calls the REST API with
 * the producer's token. The producer's identity comes from its token (the server answers it); batches are searched and
 * paged on the server, a selection across pages is printed as one label sheet, and import results are tables.
 */
import { CERTIFICATE_BASES, QUANTITY_UNITS } from '../records';
import { DEFAULT_COMMITMENTS } from '../service/csv-import';
import { listCategories } from '../standards';
import { BATCHES_TEMPLATE_FILE } from './csv-template';
import { documentHtml, esc, type Lang, type PageAssets } from './page';

const field = (id: string, zh: string, en: string, input: string) => `<label for="${id}">${zh} <span lang="en">${en}</span></label>${input}`;
const text = (id: string, attrs = '') => `<input id="${id}" name="${id}" autocomplete="off" ${attrs}>`;

const BASIS_NAMES: Record<(typeof CERTIFICATE_BASES)[number], string> = { 'self-control': '自我管控 self-control', 'self-test': '自检 self-test', 'commissioned-test': '委托检测 commissioned test' };

/** What the console needs to know about the server it talks to. */
export interface ConsoleOptions {
  /** Why labels printed now would be dead links (PUBLIC_BASE_URL unset or local), or null. */
  deadLabels: string | null;
}

/** The console page; `consoleJs` is the URL of its script. */
export function renderConsolePage(lang: Lang, assets: PageAssets, consoleJs: string, opts: ConsoleOptions = { deadLabels: null }): string {
  const categoryOptions = listCategories()
    .map((c) => `<option value="${esc(c.key)}">${esc(c.name_zh)} · ${esc(c.name_en)}</option>`)
    .join('');
  const units = QUANTITY_UNITS.map((u) => `<option>${u}</option>`).join('');
  const bases = CERTIFICATE_BASES.map((b) => `<label class="check"><input type="checkbox" name="basis" value="${b}"> ${BASIS_NAMES[b]}</label>`).join('');
  const deadLabels = opts.deadLabels
    ? `<div class="alert" id="dead-labels" role="alert"><b>标签二维码将无法打开 · Printed QR codes would be dead links.</b> ${esc(opts.deadLabels)}. 请先设置 PUBLIC_BASE_URL。<span lang="en">Set PUBLIC_BASE_URL before printing labels.</span></div>`
    : '';
  const body = `
<section class="card console" id="token-card"><form id="token-form">
<h2>生产者控制台 <span lang="en">Producer console</span></h2>
<p class="sub">粘贴运营方发放的 API 令牌；令牌只保存在本标签页，关闭即清除。生产者名称和统一社会信用代码由令牌确定，无需填写。<span lang="en">Paste the API token the operator issued you; it stays in this tab only. Your name and credit code come with the token.</span></p>
${field('token', 'API 令牌', 'API token', text('token', 'type="password" spellcheck="false"'))}
<button class="btn" type="submit" id="save">登录 Sign in</button>
<p id="who" class="who" role="status" aria-live="polite"></p>
</form>${deadLabels}</section>

<section class="card console" id="batches-card">
<h2>我的批次 <span lang="en">My batches</span> <span class="count" id="total"></span></h2>
<form id="search-form" class="search">
<div class="row">
<div>${field('s-q', '搜索（批号、编号、品名、条码）', 'Search (lot, id, product, GTIN)', text('s-q', 'type="search" spellcheck="false" maxlength="100"'))}</div>
<div>${field('s-gtin', '商品条码', 'GTIN', text('s-gtin', 'inputmode="numeric" pattern="\\d{8}|\\d{12,14}"'))}</div>
</div>
<div class="row">
<div>${field('s-lot', '批号', 'Lot', text('s-lot', 'spellcheck="false" maxlength="20"'))}</div>
<div>${field('s-category', '品类', 'Category', `<select id="s-category"><option value="">全部 all</option>${categoryOptions}</select>`)}</div>
</div>
<div class="row">
<div>${field('s-from', '日期从', 'Date from', text('s-from', 'type="date"'))}</div>
<div>${field('s-to', '日期到', 'Date to', text('s-to', 'type="date"'))}</div>
</div>
<div class="actions"><button class="btn" type="submit" id="search">搜索 Search</button> <button class="btn btn-plain" type="button" id="reset">清除 Clear</button></div>
</form>
<div class="scroll"><table class="data" id="batch-table" data-categories="${esc(JSON.stringify(Object.fromEntries(listCategories().map((c) => [c.key, c.name_zh]))))}"><thead><tr><th><input type="checkbox" id="select-page" aria-label="选择本页 Select this page"></th><th>批号 Lot</th><th>品名 Product</th><th>日期 Date</th><th>条码 GTIN</th><th>编号 Id</th><th>状态 Status</th><th>二维码 QR</th></tr></thead><tbody id="batches"></tbody></table></div>
<div class="pager"><button class="btn btn-plain btn-small" type="button" id="prev">‹ 上一页 Prev</button> <span id="page-no"></span> <button class="btn btn-plain btn-small" type="button" id="next">下一页 Next ›</button></div>
<div class="print-bar"><span id="selected-count">已选 0 个 · 0 selected</span> <button class="btn btn-plain btn-small" type="button" id="clear-selection">取消选择 Clear selection</button>
<button class="btn" type="button" id="print">打印所选标签 Print selected labels (PDF)</button> <a id="labels-link" class="btn btn-plain" hidden></a></div>
</section>

<section class="card console">
<h2>导入 CSV <span lang="en">Import a CSV</span></h2>
<p class="sub"><a id="template" href="/console/${BATCHES_TEMPLATE_FILE}" download>下载 CSV 模板 <span lang="en">Download the CSV template</span></a>（含示例行，Excel 可直接打开 · with an example row; opens in Excel）</p>
${field('csv', 'CSV 文件', 'CSV file', '<input id="csv" type="file" accept=".csv,text/csv">')}
<label class="check"><input id="partial" type="checkbox"> 跳过有误的行，导入其余各行 <span lang="en">skip the refused rows, import the others</span></label>
<button class="btn" type="button" id="import">导入 Import</button>
<div id="import-result" role="status" aria-live="polite"></div>
</section>

<section class="card console">
<h2>登记批次 <span lang="en">New batch</span></h2>
<form id="batch-form">
<div class="row">
<div>${field('lot', '批号', 'Lot', text('lot', 'required maxlength="20" spellcheck="false"'))}</div>
<div>${field('gtin', '商品条码（可选）', 'GTIN (optional)', text('gtin', 'inputmode="numeric" pattern="\\d{8}|\\d{12,14}"'))}</div>
</div>
${field('category', '品类', 'Category', `<select id="category" required>${categoryOptions}</select>`)}
<div class="row">
<div>${field('kind', '日期类型', 'Date kind', '<select id="kind"><option value="harvest">采收 harvest</option><option value="production">生产 production</option></select>')}</div>
<div>${field('date', '日期', 'Date', text('date', 'type="date" required'))}</div>
</div>
<div class="row">
<div>${field('qty', '数量', 'Quantity', text('qty', 'type="number" min="0" step="any" required'))}</div>
<div>${field('unit', '单位', 'Unit', `<select id="unit">${units}</select>`)}</div>
</div>
<div class="row">
<div>${field('county', '县级代码', 'County code', text('county', 'required inputmode="numeric" pattern="\\d{6}" placeholder="610924"'))}</div>
<div>${field('town', '乡镇代码（可选）', 'Town code', text('town', 'inputmode="numeric" pattern="\\d{9}"'))}</div>
</div>
${field('origin', '产地名称', 'Origin name', text('origin', 'placeholder="陕西省安康市紫阳县"'))}
${field('reports', '检测报告编号（可选，逗号分隔）', 'Report ids (optional, comma-separated)', text('reports', 'spellcheck="false"'))}
<fieldset class="cert"><legend>承诺达标合格证 <span lang="en">Compliance certificate</span></legend>
<p class="sub">填写品名即开具合格证（品名、数量、产地、开具时间、承诺内容、承诺依据公开；承诺主体和联系方式签名存证但不公开）。<span lang="en">Give a product name to issue the certificate; the committing party and contact are recorded but not shown to consumers.</span></p>
${field('pname', '品名', 'Product name', text('pname', 'maxlength="200"'))}
<div class="basis" role="group" aria-label="承诺依据 Basis">${bases}</div>
<div class="row">
<div>${field('party', '承诺主体（空：本生产者）', 'Committing party (empty: you)', text('party', 'maxlength="200"'))}</div>
<div>${field('contact', '联系人（可选）', 'Contact person', text('contact', 'maxlength="100"'))}</div>
</div>
${field('phone', '联系电话', 'Contact phone', text('phone', 'type="tel" maxlength="30"'))}
${field('commitments', '承诺内容（每行一条）', 'Commitments (one a line)', `<textarea id="commitments" rows="3">${esc(DEFAULT_COMMITMENTS.join('\n'))}</textarea>`)}
</fieldset>
<button class="btn" type="submit">提交 Submit</button>
</form>
</section>

<section class="card console"><h2>结果 <span lang="en">Result</span></h2><div id="out" role="status" aria-live="polite"></div></section>
<script src="${esc(consoleJs)}" defer></script>`;
  return documentHtml({ lang, title: '生产者控制台 · Producer console', assets, switchHref: null, body, className: 'console-page' });
}
