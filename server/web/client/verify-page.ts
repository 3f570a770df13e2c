/**
 * The consumer page's own check, in the phone's browser: the proof bundles embedded in the page go through
 * the shared verifier (server/verification, bundled by esbuild): field disclosures, the lab's EIP-712
 * signature, the log entry and its inclusion proof, and — when the page names a public chain endpoint — the
 * checkpoint, the signer's registration, the lab's identity and revocation, read from the chain itself.
 * The server's verdict is not used. Works on plain http:// (no crypto.subtle: @noble primitives).
 */
import { JsonRpcChainReader, fetchTransport } from '../../verification/json-rpc';
import { BROWSER_TEXT, STATUS_WORDS, messageText, stepTitle, type Lang } from '../../verification/messages';
import { verifyBatch, type BatchBundles, type BatchVerification } from '../../verification/batch';
import { UNBREAKABLE, claimText } from '../../verification/claim';
import { verifyBundle, type TrustRoot, type VerificationResult } from '../../verification/verify';
import { primitives } from '../../crypto/primitives';

interface PageData {
  rpc: string | null;
  /** The deployment's chain id and TraceLedger: the page's check refuses bundles naming another, and reads the registries from it. */
  trustRoot: { chainId: number; traceLedger: string };
  batchId: string;
  records: { role: 'batch' | 'report' | 'commission'; id: string; bundle: unknown; revocation: { reasonCode: number; revokedAt: string } | null }[];
  /** Records the server reports it accepted and then lost or cannot read (id → what is wrong): the server's word against itself. */
  lost?: Record<string, string>;
}

const MARK: Record<string, string> = { passed: '✓', failed: '✗', pending: '…', skipped: '–' };

function el(tag: string, cls?: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Fills `e` with `text`, its standard codes, dates and amounts each kept on one line (as the server's headline). */
function unbroken(e: HTMLElement, text: string): HTMLElement {
  let at = 0;
  for (const m of text.matchAll(UNBREAKABLE)) {
    e.append(text.slice(at, m.index), el('span', 'nw', m[0]));
    at = m.index! + m[0].length;
  }
  e.append(text.slice(at));
  return e;
}

function pageLang(): Lang {
  return document.documentElement.lang === 'en' ? 'en' : 'zh';
}

/** Runs the check and fills `#browser-verdict` and `#browser-steps`. Exposed for tests as `traceledger.run`. */
export async function run(): Promise<BatchVerification | undefined> {
  const dataEl = document.getElementById('tl-data');
  const box = document.getElementById('browser-verdict');
  const list = document.getElementById('browser-steps');
  if (!dataEl || !box) return undefined;
  const lang = pageLang();
  const t = BROWSER_TEXT[lang];
  box.setAttribute('data-verdict', 'checking');
  box.textContent = t.checking;
  try {
    const data = JSON.parse(dataEl.textContent ?? '') as PageData;
    const batch = data.records.find((r) => r.role === 'batch');
    const reports = data.records.filter((r) => r.role === 'report');
    const commissions = data.records.filter((r) => r.role === 'commission');
    const chain = data.rpc ? new JsonRpcChainReader(fetchTransport(data.rpc), { traceLedger: data.trustRoot.traceLedger }) : undefined;
    const reportedRevocations = Object.fromEntries(data.records.filter((r) => r.revocation).map((r) => [r.id, r.revocation!]));
    const out = await verifyBatch({ batch: batch?.bundle, reports: reports.map((r) => r.bundle), commissions: commissions.map((r) => r.bundle) }, { chain, reportedRevocations, trustRoot: data.trustRoot, lostRecords: data.lost });
    const unreachable = [out.batch, ...out.reports.map((r) => r.result)].some((r) => r.steps.some((s) => s.code === 'chainUnreachable'));
    box.setAttribute('data-verdict', out.verdict);
    box.setAttribute('data-claim', out.claim.kind);
    box.setAttribute('data-tone', out.claim.tone);
    box.setAttribute('data-chain', out.chainChecked ? 'checked' : 'unchecked');
    // The claim this browser computed itself, in the page's own sentences; then how it checked.
    box.textContent = '';
    box.appendChild(unbroken(el('b'), claimText(out.claim, lang).headline));
    box.appendChild(el('small', undefined, out.verdict === 'pending' && unreachable ? t.chainUnreachable : out.verdict === 'valid' && !out.chainChecked ? t.validNoChain : t[out.verdict]));
    if (list) render(list, out, lang);
    return out;
  } catch (e) {
    box.setAttribute('data-verdict', 'error');
    box.textContent = `${t.error}: ${(e as Error).message}`;
    return undefined;
  }
}

function render(list: HTMLElement, out: BatchVerification, lang: Lang): void {
  const t = BROWSER_TEXT[lang];
  list.textContent = '';
  const items: { title: string; result: VerificationResult; mark?: string; counted?: boolean }[] = [
    { title: `${t.batch} ${String(out.batch.record?.fields.lot ?? out.batch.record?.id ?? '')}`, result: out.batch },
    ...out.reports.map((r) => ({ title: `${t.report} ${String(r.result.record?.fields.reportNumber ?? r.result.record?.id ?? '')}`, result: r.result, mark: r.basis === 'spot-check' ? t.spotCheck : r.counted ? undefined : t.notCounted, counted: r.counted })),
  ];
  for (const { title, result, mark, counted } of items) {
    const li = el('li', `v-${result.verdict}`);
    li.setAttribute('data-verdict', result.verdict);
    if (counted === false) li.setAttribute('data-counted', 'false');
    li.appendChild(el('b', undefined, title));
    if (mark) li.appendChild(el('span', 'bv-basis', ` · ${mark}`));
    const f = result.record?.fields ?? {};
    if (typeof f.result === 'number') li.appendChild(el('span', 'bv-result', ` · ${t.result} ${f.result} ${String(f.unit ?? '')}`));
    const steps = el('div', 'bv-steps');
    for (const s of result.steps) {
      const span = el('span', `s-${s.status}`, `${MARK[s.status] ?? '?'} ${stepTitle(s.step, lang)}`);
      span.setAttribute('data-step', s.step);
      span.setAttribute('data-status', s.status);
      span.title = STATUS_WORDS[s.status][lang];
      steps.appendChild(span);
      if (s.status !== 'passed') steps.appendChild(el('small', undefined, lang === 'zh' ? `（${messageText(s.code, s.params, lang)}）` : ` (${messageText(s.code, s.params, lang)}) `));
    }
    li.appendChild(steps);
    list.appendChild(li);
  }
}

interface ToolOptions {
  rpc?: string | null;
  trustRoot?: TrustRoot;
}

/** The chain reader at `opts.rpc`, for the trusted TraceLedger (else the one `bundle` names); none without an endpoint. */
function chainFor(bundle: unknown, opts: ToolOptions): JsonRpcChainReader | undefined {
  const named = (bundle as { chain?: { traceLedger?: unknown } } | null)?.chain?.traceLedger;
  const traceLedger = opts.trustRoot?.traceLedger ?? (typeof named === 'string' ? named : undefined);
  return opts.rpc && traceLedger ? new JsonRpcChainReader(fetchTransport(opts.rpc), { traceLedger }) : undefined;
}

/** One bundle through the shared verifier, reading the chain at `rpc` when given (for tests and tools). */
export async function verifyOne(bundle: unknown, opts: ToolOptions & { category?: string } = {}): Promise<VerificationResult> {
  return verifyBundle(bundle, { chain: chainFor(bundle, opts), category: opts.category, trustRoot: opts.trustRoot });
}

/** A batch's bundle with its report and commission bundles through the shared verifyBatch, as the page's own check (for tests and tools). */
export async function verifyBatchOf(bundles: BatchBundles, opts: ToolOptions = {}): Promise<BatchVerification> {
  return verifyBatch(bundles, { chain: chainFor(bundles.batch, opts), trustRoot: opts.trustRoot });
}

interface PageApi {
  run: typeof run;
  verifyBundle: typeof verifyOne;
  verifyBatch: typeof verifyBatchOf;
  /** Which primitives the page hashes and recovers with. */
  primitives: string;
  done?: Promise<BatchVerification | undefined>;
}

declare global {
  interface Window {
    traceledger?: PageApi;
  }
}

const api: PageApi = { run, verifyBundle: verifyOne, verifyBatch: verifyBatchOf, primitives: primitives().name };
window.traceledger = api;
const start = () => {
  api.done = run();
};
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
