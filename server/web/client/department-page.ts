/**
 * The department console's script (/department), bundled by server/web/console-bundles.ts. Each share step is built
 * from the form, validated with the share record schema, committed and signed here exactly as `traceledger share sign`
 * does (seq and prevHash from GET /departments/{id}/head, the record id in the department's namespace), and sent to
 * POST /api/v1/shares. A delivered (or received) data file is hashed here and never uploaded.
 */
import { namespacedId } from '../../records/record-types';
import { parseShareRecord } from '../../records/schemas';
import { $, api, chainBinding, el, instantNow, lang, newUlid, recordProblem, say, sha256OfFile, signParsed, val, type Wallet } from './console-common';
import { setupKeyCard, type Profile } from './key-card';

type Step = 'request' | 'reply' | 'delivery' | 'receipt';
interface Department {
  departmentId: string;
  name: string | null;
  uscc: string | null;
}
interface TrailEntry {
  seq: number;
  recordId: string;
  step: Step;
  status: 'accepted' | 'sequenced' | 'anchored';
}
interface Alert {
  id: string;
  kind: string;
  severity: string;
  recordIds: string[];
  message_en: string;
  message_zh: string;
}
interface TrailVerification {
  verdict: 'valid' | 'invalid' | 'pending';
  entries: number;
  firstProblem?: { step: string; message?: string; message_zh?: string; message_en?: string; code?: string };
}

const M = {
  zh: {
    signing: '正在签名并提交…',
    accepted: (step: string, id: string, seq: number) => `已提交${step}记录 ${id}（本部门第 ${seq} 条）。`,
    refused: '服务器拒绝了此记录：',
    noFile: '请选择交付的数据文件：记录中保存的是它的 SHA-256。',
    hashing: '正在本机计算文件的 SHA-256…',
    fileHash: (h: string, n: number) => `SHA-256：${h}（${n} 字节，未上传）`,
    noCounterpart: '没有其他已登记的部门。',
    steps: { request: '申请', reply: '答复', delivery: '交付', receipt: '签收' } as Record<Step, string>,
    states: { accepted: '已接收', sequenced: '已入账', anchored: '已上链' },
    verdicts: { valid: '✓ 记录链完整、未被篡改、已上链', invalid: '✗ 记录链验证未通过', pending: '… 部分记录尚未上链' },
    noAlerts: '没有发现问题。',
    alertsNeedToken: '以上是任何人都可以做的记录链验证；告警（如未说明法律依据的有条件共享）需用令牌在下方查看。',
    alertsRefused: (code: string) => `令牌不能查看告警（${code}）：请使用运营方发放的令牌。`,
    severity: { high: '高', medium: '中', low: '低' } as Record<string, string>,
    none: '本部门还没有记录。',
  },
  en: {
    signing: 'Signing and submitting…',
    accepted: (step: string, id: string, seq: number) => `Submitted ${step} ${id} (seq ${seq} of this department).`,
    refused: 'The server refused this record: ',
    noFile: 'Choose the data file: the record keeps its SHA-256.',
    hashing: "Computing the file's SHA-256 on this computer…",
    fileHash: (h: string, n: number) => `SHA-256: ${h} (${n} bytes, not uploaded)`,
    noCounterpart: 'No other department is registered.',
    steps: { request: 'request', reply: 'reply', delivery: 'delivery', receipt: 'receipt' } as Record<Step, string>,
    states: { accepted: 'accepted', sequenced: 'sequenced', anchored: 'anchored' },
    verdicts: { valid: '✓ the trail is complete, untampered and anchored', invalid: '✗ the trail failed verification', pending: '… some records are not anchored yet' },
    noAlerts: 'No problem found.',
    alertsNeedToken: 'Above is the trail verification anyone can run; alerts (such as a conditional share without a legal basis) are shown below with a token.',
    alertsRefused: (code: string) => `This token cannot read alerts (${code}): use the token the operator issued.`,
    severity: { high: 'high', medium: 'medium', low: 'low' } as Record<string, string>,
    none: 'No records yet.',
  },
}[lang];

let wallet: Wallet | undefined;
let me: Profile | undefined;
let departments: Department[] = [];
let dataSha256: string | undefined;

const step = (): Step => $<HTMLSelectElement>('step').value as Step;
const list = (id: string): string[] =>
  val(id)
    .split(/[,，、\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
const optional = (id: string): string | undefined => val(id) || undefined;
/** A calendar date as an instant in China time: the start of `date`, or its last second. */
const dayInstant = (date: string, end: boolean): string =>
  date === '' ? '' : new Date(`${date}T${end ? '23:59:59' : '00:00:00'}+08:00`).toISOString().replace(/\.\d+Z$/, 'Z');

function showStep(): void {
  const s = step();
  for (const f of Array.from(document.querySelectorAll<HTMLElement>('.step-fields'))) f.hidden = !(f.dataset.steps ?? '').split(' ').includes(s);
}

async function unlocked(w: Wallet, p: Profile): Promise<void> {
  wallet = w;
  me = p;
  $('profile').textContent = `${p.name} · ${p.code}`;
  departments = (await api<{ items: Department[] }>('GET', '/departments')).items.filter((d) => d.departmentId !== p.id && d.uscc !== null);
  const sel = $<HTMLSelectElement>('counterpart');
  sel.replaceChildren(
    ...departments.map((d) => {
      const o = el('option', `${d.name ?? ''} · ${d.uscc ?? ''}`) as HTMLOptionElement;
      o.value = d.departmentId;
      return o;
    }),
  );
  if (departments.length === 0) say(M.noCounterpart, 'error', 'no-counterpart');
  $<HTMLButtonElement>('sign-share').disabled = false;
  await showTrail();
}

function locked(): void {
  wallet = undefined;
  me = undefined;
  $<HTMLButtonElement>('sign-share').disabled = true;
}

/** Selects the other department of the request named in #request-id (its public trail fields name both sides). */
async function requestChosen(): Promise<void> {
  const id = val('request-id');
  if (!me || id === '') return;
  const self = me.code;
  try {
    const view = await api<{ fields: { requestingDepartment?: { uscc?: string }; providingDepartment?: { uscc?: string } } }>('GET', `/shares/${encodeURIComponent(id)}`);
    const sides = [view.fields.requestingDepartment?.uscc, view.fields.providingDepartment?.uscc];
    const other = departments.find((d) => d.uscc !== self && d.uscc !== null && sides.includes(d.uscc));
    if (other) $<HTMLSelectElement>('counterpart').value = other.departmentId;
  } catch {
    // An unknown request: the server names the problem when the step is submitted.
  }
}

async function fileChosen(): Promise<void> {
  const file = $<HTMLInputElement>('data-file').files?.[0];
  dataSha256 = undefined;
  if (!file) return;
  $('data-sha256').textContent = M.hashing;
  dataSha256 = await sha256OfFile(file);
  $('data-sha256').textContent = M.fileHash(dataSha256, file.size);
  if (val('row-count') === '' && /\.(csv|txt|tsv)$/i.test(file.name)) {
    const lines = (await file.text()).split(/\r?\n/).filter((l) => l.trim() !== '').length;
    $<HTMLInputElement>('row-count').value = String(Math.max(0, lines - 1)); // the header row is not data
  }
}

/** The fields of the current step, as the share record schema takes them (seq, prevHash, id, issuedAt added by the caller). */
function stepFields(self: { name: string; uscc: string }, other: { name: string; uscc: string }): Record<string, unknown> {
  const s = step();
  const requesting = s === 'request' || s === 'receipt';
  const officer = { name: val('officer-name'), title: optional('officer-title'), phone: optional('officer-phone') };
  const base = {
    step: s,
    requestingDepartment: requesting ? self : other,
    providingDepartment: requesting ? other : self,
    catalogueItem: { id: val('catalogue-id'), version: val('catalogue-version') },
  };
  const now = instantNow();
  const validity = () => ({ from: dayInstant(val('validity-from'), false), to: dayInstant(val('validity-to'), true) });
  const rows = val('row-count') === '' ? Number.NaN : Number(val('row-count'));
  switch (s) {
    case 'request':
      return {
        ...base,
        shareClass: $<HTMLSelectElement>('share-class').value,
        legalBasis: optional('legal-basis'),
        purpose: val('purpose'),
        scenario: val('scenario'),
        fieldsRequested: list('fields-requested'),
        scope: val('scope'),
        method: $<HTMLSelectElement>('method').value,
        validity: validity(),
        requestedAt: now,
        securityLevel: val('security-level'),
        requestingOfficer: officer,
      };
    case 'reply': {
      const approve = $<HTMLSelectElement>('decision').value === 'approve';
      return {
        ...base,
        requestId: val('request-id'),
        reply: { time: now, decision: approve ? 'approve' : 'refuse', refusalReason: approve ? undefined : val('refusal-reason') },
        fieldsApproved: approve ? list('fields-approved') : [],
        conditions: optional('conditions'),
        method: approve ? $<HTMLSelectElement>('method').value : undefined,
        validity: approve ? validity() : undefined,
        securityLevel: val('security-level'),
        providingOfficer: officer,
      };
    }
    case 'delivery':
      return {
        ...base,
        requestId: val('request-id'),
        replyId: val('reply-id'),
        fieldsDelivered: list('fields-delivered'),
        method: $<HTMLSelectElement>('method').value,
        delivery: { dataSha256, rowCount: rows, deliveredAt: now },
        providingOfficer: officer,
      };
    case 'receipt':
      return {
        ...base,
        requestId: val('request-id'),
        deliveryId: val('delivery-id'),
        received: { dataSha256, rowCount: rows, receivedAt: now },
        requestingOfficer: officer,
      };
  }
}

async function signStep(ev: Event): Promise<void> {
  ev.preventDefault();
  if (!wallet || !me) return;
  const s = step();
  if ((s === 'delivery' || s === 'receipt') && !dataSha256) {
    say(M.noFile, 'error', 'no-file');
    return;
  }
  const other = departments.find((d) => d.departmentId === $<HTMLSelectElement>('counterpart').value);
  if (!other || other.uscc === null) {
    say(M.noCounterpart, 'error', 'no-counterpart');
    return;
  }
  say(M.signing);
  try {
    const head = await api<{ nextSeq: number; prevHash: string }>('GET', `/departments/${me.id}/head`);
    const fields = {
      ...stepFields({ name: me.name, uscc: me.code }, { name: other.name ?? '', uscc: other.uscc }),
      id: namespacedId(me.code, newUlid()),
      issuedAt: instantNow(),
      departmentId: me.id,
      seq: head.nextSeq,
      prevHash: head.prevHash,
    };
    const { type, record } = parseShareRecord(fields);
    const signed = await signParsed(wallet, type, record);
    const ack = await api<{ id: string }>('POST', '/shares', signed);
    say(M.accepted(M.steps[s], ack.id, record.seq), 'ok', 'accepted');
    $('out').dataset.recordId = ack.id;
    await showTrail();
  } catch (e) {
    const err = recordProblem(e);
    say(`${M.refused}${err.message}`, 'error', err.code);
  }
}

async function showTrail(): Promise<void> {
  if (!me) return;
  const trail = await api<{ entries: TrailEntry[] }>('GET', `/departments/${me.id}/trail`);
  const rows = trail.entries.map((e) => {
    const tr = el('tr');
    tr.dataset.step = e.step;
    tr.dataset.status = e.status;
    tr.append(el('td', String(e.seq), 'num'), el('td', M.steps[e.step]), el('td', e.recordId, 'mono'), el('td', M.states[e.status]));
    return tr;
  });
  if (rows.length === 0) {
    const tr = el('tr');
    const td = el('td', M.none);
    td.setAttribute('colspan', '4');
    tr.append(td);
    rows.push(tr);
  }
  $('trail').replaceChildren(...rows.reverse());
  const v = await api<TrailVerification>('GET', `/departments/${me.id}/trail/verify`);
  const box = $('trail-verdict');
  const head = el('p', M.verdicts[v.verdict], `badge v-${v.verdict}`);
  const problem = v.firstProblem;
  const detail = problem ? el('p', (lang === 'zh' ? problem.message_zh : problem.message_en) ?? problem.message ?? problem.code ?? '', 'alert') : el('p', M.noAlerts, 'sub');
  box.dataset.verdict = v.verdict;
  box.replaceChildren(head, detail, el('p', M.alertsNeedToken, 'sub'));
  await showAlerts();
}

async function showAlerts(ev?: Event): Promise<void> {
  ev?.preventDefault();
  if (!me) return;
  const token = val('alerts-token');
  if (token === '') return;
  window.sessionStorage.setItem('tl-alerts-token', token);
  const list = $('alerts');
  try {
    const { items } = await api<{ items: Alert[] }>('GET', `/alerts?department=${encodeURIComponent(me.id)}`, undefined, token);
    list.dataset.count = String(items.length);
    list.replaceChildren(
      ...(items.length === 0
        ? [el('li', M.noAlerts, 'sub')]
        : items.map((a) => {
            const li = el('li', `${M.severity[a.severity] ?? a.severity} · ${lang === 'zh' ? a.message_zh : a.message_en}`, 'alert');
            li.dataset.kind = a.kind;
            return li;
          })),
    );
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error';
    list.dataset.count = '';
    list.replaceChildren(el('li', M.alertsRefused(code), 'alert'));
  }
}

function start(): void {
  $('alerts-form').addEventListener('submit', (e) => void showAlerts(e));
  $<HTMLInputElement>('alerts-token').value = window.sessionStorage.getItem('tl-alerts-token') ?? '';
  $('step').addEventListener('change', showStep);
  showStep();
  $('data-file').addEventListener('change', () => void fileChosen());
  $('request-id').addEventListener('change', () => void requestChosen());
  $('share-form').addEventListener('submit', (e) => void signStep(e));
  $('refresh-trail').addEventListener('click', () => void showTrail());
  void chainBinding();
  void setupKeyCard('department', unlocked, locked).then(() => {
    document.body.dataset.ready = '1';
  });
}

start();
