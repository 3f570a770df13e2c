/** The producer console (/console): a static, bilingual page whose script calls the REST API with the producer's token. */
import { QUANTITY_UNITS } from '../records';
import { listCategories } from '../standards';
import { documentHtml, esc, type Lang, type PageAssets } from './page';

const field = (id: string, zh: string, en: string, input: string) => `<label for="${id}">${zh} <span lang="en">${en}</span></label>${input}`;
const text = (id: string, attrs = '') => `<input id="${id}" name="${id}" autocomplete="off" ${attrs}>`;

/** The console page; `consoleJs` is the URL of its script. */
export function renderConsolePage(lang: Lang, assets: PageAssets, consoleJs: string): string {
  const categories = listCategories()
    .map((c) => `<option value="${esc(c.key)}">${esc(c.name_zh)} · ${esc(c.name_en)}</option>`)
    .join('');
  const units = QUANTITY_UNITS.map((u) => `<option>${u}</option>`).join('');
  const body = `
<section class="card console" id="token-card"><form id="token-form">
<h2>生产者控制台 <span lang="en">Producer console</span></h2>
<p class="sub">粘贴运营方发放的 API 令牌；令牌只保存在本标签页，关闭即清除。<span lang="en">Paste the API token the operator issued you; it stays in this tab only and is forgotten when the tab closes.</span></p>
${field('token', 'API 令牌', 'API token', text('token', 'type="password" spellcheck="false"'))}
<div class="row">
<div>${field('uscc', '统一社会信用代码', 'Credit code', text('uscc', 'maxlength="18" spellcheck="false"'))}</div>
<div>${field('pname', '生产者名称', 'Producer name', text('pname'))}</div>
</div>
<button class="btn" type="submit" id="save">保存 Save</button>
</form></section>

<section class="card console">
<h2>登记批次 <span lang="en">New batch</span></h2>
<form id="batch-form">
<div class="row">
<div>${field('lot', '批号', 'Lot', text('lot', 'required maxlength="20" spellcheck="false"'))}</div>
<div>${field('gtin', '商品条码（可选）', 'GTIN (optional)', text('gtin', 'inputmode="numeric" pattern="\\d{8}|\\d{12,14}"'))}</div>
</div>
${field('category', '品类', 'Category', `<select id="category" required>${categories}</select>`)}
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
<button class="btn" type="submit">提交 Submit</button>
</form>
</section>

<section class="card console">
<h2>导入 CSV <span lang="en">Import a CSV</span></h2>
<p class="sub">列：lot, product_category, origin_county_code, production_kind, production_date, quantity, quantity_unit …</p>
${field('csv', 'CSV 文件', 'CSV file', '<input id="csv" type="file" accept=".csv,text/csv">')}
<label><input id="partial" type="checkbox"> 只导入有效行 <span lang="en">import the valid rows only</span></label>
<button class="btn" type="button" id="import">导入 Import</button>
</section>

<section class="card console">
<h2>我的批次 <span lang="en">My batches</span></h2>
<button class="btn" type="button" id="refresh">刷新 Refresh</button>
<table><thead><tr><th></th><th>批号 Lot</th><th>编号 Id</th><th>状态 Status</th><th>二维码 QR</th></tr></thead><tbody id="batches"></tbody></table>
<p><a class="btn" id="labels" href="#" target="_blank" rel="noopener">打印标签 Label sheet (PDF)</a></p>
</section>

<section class="card console"><h2>结果 <span lang="en">Result</span></h2><div id="out" class="mono" role="status" aria-live="polite"></div></section>
<script src="${esc(consoleJs)}" defer></script>`;
  return documentHtml({ lang, title: '生产者控制台 · Producer console', assets, switchHref: null, body, className: 'console-page' });
}
