/**
 * The web pages: the consumer scan page at `/01/{gtin}[/22/…][/10/{lot}][/21/…]` (GS1 Digital Link)
 * and `/b/{id}`, answered as HTML (Chinese by default), as the JSON verification result
 * (`Accept: application/json` or `?format=json`), or as an RFC 9264 linkset (`?linkType=linkset`,
 * `Accept: application/linkset+json`); the producer console at `/console`; the auditor console at
 * `/audit`; and their small assets under `/web/`, content-hashed, with ETag and gzip.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import express, { type Request, type Response, type Router } from 'express';
import { AppError, isAppError } from '../errors';
import type { ServiceContext } from '../service/context';
import { verifyBatchForConsumer, verifyDigitalLinkForConsumer, type ConsumerView } from '../service/consumer';
import { renderAuditPage } from './audit-page';
import { clientBundle } from './client-bundle';
import { consoleBundle, type ConsoleName } from './console-bundles';
import { renderDepartmentPage } from './department-page';
import { renderLabPage } from './lab-page';
import { renderConsolePage } from './console-page';
import { formatDigitalLinkPath, parseDigitalLinkPath, type DigitalLink } from '../records/digital-link';
import { batchLinkset, GS1_VOC } from './linkset';
import { renderConsumerPage, renderErrorPage, renderGtinPage, renderUnknownCodePage, type GtinBatchItem, type Lang, type PageAssets } from './page';
import { deadLabelUrlProblem } from '../labels';
import { batchesCsvTemplate, BATCHES_TEMPLATE_FILE } from './csv-template';

/** Where the page assets live, and the URL prefix they are served under. */
const ASSET_DIR = path.join(__dirname, 'assets');
export const ASSET_PREFIX = '/web/';
const ASSET_FILES = { css: 'style.css', js: 'verify.js', console: 'console.js', audit: 'audit.js' } as const;
/** Assets built from TypeScript rather than read from ASSET_DIR. */
const BUILT_ASSETS: Partial<Record<keyof typeof ASSET_FILES, () => string>> = { js: () => clientBundle().js };
const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/** A response body prepared once: its bytes, gzip form and ETag. */
interface Prepared {
  type: string;
  body: Buffer;
  etag: string;
  gzip?: Buffer;
}

function prepare(type: string, text: string | Buffer): Prepared {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const etag = `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { type, body, etag };
}

const gzipOf = (p: Prepared): Buffer => (p.gzip ??= zlib.gzipSync(p.body, { level: 6 }));

/** Sends a prepared body: gzip when the client takes it, 304 when its ETag matches. */
function sendPrepared(req: Request, res: Response, p: Prepared, cacheControl: string): void {
  const ae = req.headers['accept-encoding'];
  const gz = p.body.length > 1024 && ae !== undefined && ae.includes('gzip') && req.acceptsEncodings('gzip', 'identity') === 'gzip';
  res.setHeader('Content-Type', p.type);
  res.setHeader('Cache-Control', cacheControl);
  res.append('Vary', 'Accept-Encoding');
  const etag = gz ? `${p.etag.slice(0, -1)}-gz"` : p.etag;
  res.setHeader('ETag', etag);
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    res.status(304).end();
    return;
  }
  if (gz) res.setHeader('Content-Encoding', 'gzip');
  const body = gz ? gzipOf(p) : p.body;
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}

// ---------------------------------------------------------------------------
// Assets.

interface Asset extends Prepared {
  url: string;
}

/** An asset named `file` with its content-hashed URL (as loadAssets names them), for assets built on first use. */
function assetOf(file: string, content: string | Buffer): Asset {
  const p = prepare(TYPES[path.extname(file)]!, content);
  const hash = p.etag.slice(1, 11).replace(/[^A-Za-z0-9]/g, '0');
  const ext = path.extname(file);
  return { ...p, url: `${ASSET_PREFIX}${path.basename(file, ext)}.${hash}${ext}` };
}

function loadAssets(): Record<keyof typeof ASSET_FILES, Asset> {
  const out = {} as Record<keyof typeof ASSET_FILES, Asset>;
  for (const [key, file] of Object.entries(ASSET_FILES) as [keyof typeof ASSET_FILES, string][]) {
    const build = BUILT_ASSETS[key];
    const p = prepare(TYPES[path.extname(file)]!, build ? build() : fs.readFileSync(path.join(ASSET_DIR, file)));
    const hash = p.etag.slice(1, 11).replace(/[^A-Za-z0-9]/g, '0');
    const ext = path.extname(file);
    out[key] = { ...p, url: `${ASSET_PREFIX}${path.basename(file, ext)}.${hash}${ext}` };
  }
  return out;
}

// ---------------------------------------------------------------------------
// Negotiation.

type Want = 'html' | 'json' | 'linkset';

/** A query parameter given once; Express 5 parses `req.query` on every access, so URLs without a query skip it. */
const queryString = (req: Request, name: string): string | undefined => {
  if (!req.url.includes('?')) return undefined;
  const v = (req.query as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
};

/** What the client asked for: query parameters first (links and GS1 resolvers use them), then Accept. */
function wanted(req: Request): Want {
  const linkType = queryString(req, 'linkType');
  if (linkType === 'linkset' || linkType === 'all') return 'linkset';
  const format = queryString(req, 'format');
  if (format === 'json' || format === 'linkset' || format === 'html') return format;
  const accept = req.headers.accept;
  if (accept === 'application/json') return 'json'; // the common API client, without negotiation
  if (accept === undefined) return 'html';
  const a = req.accepts(['text/html', 'application/json', 'application/linkset+json']);
  return a === 'application/json' ? 'json' : a === 'application/linkset+json' ? 'linkset' : 'html';
}

/** The first target of the link type asked for by `?linkType=gs1:…` (or its full URI), if the batch has one. */
function linkTypeTarget(req: Request, view: ConsumerView): string | undefined {
  const linkType = queryString(req, 'linkType');
  if (linkType === undefined || linkType === 'linkset' || linkType === 'all') return undefined;
  const rel = linkType.startsWith('gs1:') ? GS1_VOC + linkType.slice(4) : linkType;
  const links = batchLinkset(view).linkset[0]?.[rel];
  return Array.isArray(links) ? links[0]?.href : undefined;
}

/** `?lang=` first; else the Accept-Language preference between Chinese and English; Chinese by default. */
function language(req: Request): Lang {
  const q = queryString(req, 'lang');
  if (q === 'en' || q === 'zh') return q;
  return req.acceptsLanguages('zh', 'en') === 'en' ? 'en' : 'zh';
}

function securityHeaders(res: Response, publicRpcUrl: string | undefined): void {
  let rpcOrigin = '';
  if (publicRpcUrl) {
    try {
      rpcOrigin = ` ${new URL(publicRpcUrl).origin}`;
    } catch {
      rpcOrigin = '';
    }
  }
  // Replaces the app-wide policy for these pages: our own script and stylesheet, the public RPC endpoint, nothing else.
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'${rpcOrigin}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

// ---------------------------------------------------------------------------
// The router.

export function createWebRouter(ctx: ServiceContext): Router {
  const router = express.Router();
  const assets = loadAssets();
  const pageAssets: PageAssets = { css: assets.css.url, js: assets.js.url };
  const byUrl = new Map<string, Asset>(Object.values(assets).map((a) => [a.url.slice(ASSET_PREFIX.length), a]));
  const byName = new Map<string, Asset>(Object.entries(ASSET_FILES).map(([k, f]) => [f, assets[k as keyof typeof ASSET_FILES]]));
  const logger = ctx.sys.logger.child({ component: 'web' });

  /** Serialised forms of a view, made once per cached view (the WeakMap lets them go with it). */
  const rendered = new WeakMap<ConsumerView, Map<string, Prepared>>();
  const renderOnce = (view: ConsumerView, key: string, make: () => Prepared): Prepared => {
    let m = rendered.get(view);
    if (!m) rendered.set(view, (m = new Map()));
    let p = m.get(key);
    if (!p) {
      if (m.size >= 32) m.clear();
      m.set(key, (p = make()));
    }
    return p;
  };

  function respond(req: Request, res: Response, view: ConsumerView, selfPath: string): void {
    const want = wanted(req);
    res.setHeader('Vary', 'Accept, Accept-Language');
    res.setHeader('Link', `<${view.links.linkset}>; rel="linkset"; type="application/linkset+json"`);
    const target = linkTypeTarget(req, view);
    if (target) {
      // A GS1 resolver answers ?linkType=gs1:certificationInfo (etc.) by redirecting to that link.
      res.setHeader('Cache-Control', 'no-cache');
      res.redirect(307, target);
      return;
    }
    if (want === 'json') {
      // The proof bundles (three quarters of the answer) come only when asked for: ?include=bundles;
      // otherwise `links.bundles` points at each one.
      const withBundles = req.query.include === 'bundles';
      const json = renderOnce(view, withBundles ? 'json+bundles' : 'json', () =>
        prepare('application/json; charset=utf-8', JSON.stringify(withBundles ? view : { ...view, bundles: undefined })),
      );
      sendPrepared(req, res, json, 'no-cache');
      return;
    }
    if (want === 'linkset') {
      sendPrepared(req, res, renderOnce(view, 'linkset', () => prepare('application/linkset+json', JSON.stringify(batchLinkset(view)))), 'no-cache');
      return;
    }
    const lang = language(req);
    res.setHeader('Content-Language', lang === 'zh' ? 'zh-CN' : 'en');
    securityHeaders(res, ctx.publicRpcUrl);
    const html = renderOnce(view, `html:${lang}:${selfPath}`, () =>
      prepare('text/html; charset=utf-8', renderConsumerPage(view, { lang, assets: pageAssets, selfPath, publicRpcUrl: ctx.publicRpcUrl, trustRoot: { chainId: ctx.sys.deployment.chainId, traceLedger: ctx.sys.deployment.traceLedger } })),
    );
    sendPrepared(req, res, html, 'no-cache');
  }

  function fail(req: Request, res: Response, e: unknown): void {
    const err = isAppError(e) ? e : new AppError('internal', 'something went wrong on our side', undefined, { cause: e });
    if (!isAppError(e)) logger.error({ err: (e as Error)?.message, path: req.path }, 'consumer page failed');
    res.status(err.status);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Vary', 'Accept, Accept-Language');
    if (wanted(req) !== 'html') {
      res.json({ error: { code: err.code, message: err.message } });
      return;
    }
    securityHeaders(res, undefined);
    const lang = language(req);
    // A scan that finds no batch, or a code that is no trace code: warn of counterfeits (谨防假冒), say where to complain.
    if (err.status === 404 || err.status === 400) {
      res.type('html').send(renderUnknownCodePage({ status: err.status, code: scannedCode(req), lang, assets: pageAssets }));
      return;
    }
    res.type('html').send(renderErrorPage({ status: err.status, code: err.code, message: err.message, lang, assets: pageAssets }));
  }

  /** What the consumer scanned, as printable text (the path as sent, percent-decoded where it decodes). */
  function scannedCode(req: Request): string {
    const raw = req.path.slice(0, 300);
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }

  /** How many batches a GTIN-only page lists (the newest). */
  const GTIN_PAGE_LIMIT = 50;

  async function respondGtin(req: Request, res: Response, gtin14: string, selfPath: string): Promise<void> {
    // Straight from the store (its GTIN index), public fields only: a list costs one query, not one per batch.
    const { records, total } = await ctx.sys.store.searchBatches({ gtin: gtin14, order: 'desc', limit: GTIN_PAGE_LIMIT });
    if (total === 0) throw new AppError('not-found', `no batch with GTIN ${gtin14}`);
    // A damaged stored row (store fault) is left out of the list; its own page names the fault.
    const items: GtinBatchItem[] = records.filter((r) => r.fault === undefined).map((r) => {
      const f = r.body as { lot: string; productCategory: string; producer: { name: string }; productionDate: { kind: 'harvest' | 'production'; date: string }; certificate?: { productName: string } };
      // Relative links: the list works on whichever host served it.
      const href = formatDigitalLinkPath({ gtin14, lot: f.lot });
      return { id: r.id, lot: f.lot, productName: f.certificate?.productName ?? null, category: f.productCategory, producer: f.producer.name, date: f.productionDate.date, dateKind: f.productionDate.kind, href };
    });
    res.setHeader('Vary', 'Accept, Accept-Language');
    res.setHeader('Cache-Control', 'no-cache');
    if (wanted(req) !== 'html') {
      res.json({ gtin14, total, batches: items });
      return;
    }
    const lang = language(req);
    res.setHeader('Content-Language', lang === 'zh' ? 'zh-CN' : 'en');
    securityHeaders(res, undefined);
    res.type('html').send(renderGtinPage({ gtin14, total, items, lang, assets: pageAssets, selfPath }));
  }

  const page =
    (handler: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await handler(req, res);
      } catch (e) {
        fail(req, res, e);
      }
    };

  router.get(
    '/b/:id',
    page(async (req, res) => {
      const id = String(req.params.id);
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(id)) throw new AppError('not-found', `no batch ${id}`);
      respond(req, res, await verifyBatchForConsumer(ctx, id), `/b/${encodeURIComponent(id)}`);
    }),
  );

  // GS1 Digital Link: /01/{gtin} followed by qualifier pairs in the fixed order 22, 10, 21.
  const links = new Map<string, { link: DigitalLink; selfPath: string }>();
  router.get(
    /^\/01(?:\/.*)?$/,
    page(async (req, res) => {
      let parsed = links.get(req.path);
      if (!parsed) {
        const link = parseDigitalLinkPath(req.path); // throws 'malformed-digital-link' (400)
        parsed = { link, selfPath: formatDigitalLinkPath(link) };
        if (links.size >= 1000) links.clear();
        links.set(req.path, parsed);
      }
      const { link } = parsed;
      if (link.lot === undefined && link.cpv === undefined && link.serial === undefined) {
        await respondGtin(req, res, link.gtin14, parsed.selfPath);
        return;
      }
      respond(req, res, await verifyDigitalLinkForConsumer(ctx, link), parsed.selfPath);
    }),
  );

  // The CSV template of the batch import: UTF-8 with a BOM, so that Excel opens its Chinese example right.
  let template: Prepared | undefined;
  router.get(`/console/${BATCHES_TEMPLATE_FILE}`, (req, res) => {
    template ??= prepare('text/csv; charset=utf-8', batchesCsvTemplate());
    res.setHeader('Content-Disposition', `attachment; filename="${BATCHES_TEMPLATE_FILE}"`);
    sendPrepared(req, res, template, 'no-cache');
  });

  router.get('/console', (req, res) => {
    securityHeaders(res, undefined);
    const html = consolePage ?? (consolePage = prepare('text/html; charset=utf-8', renderConsolePage('zh', pageAssets, assets.console.url, { deadLabels: deadLabelUrlProblem(ctx.publicBaseUrl, ctx.publicBaseUrl) })));
    sendPrepared(req, res, html, 'no-cache');
  });
  let consolePage: Prepared | undefined;

  const auditPages = new Map<Lang, Prepared>();
  router.get('/audit', (req, res) => {
    const lang = language(req);
    securityHeaders(res, undefined);
    res.setHeader('Content-Language', lang === 'zh' ? 'zh-CN' : 'en');
    res.setHeader('Vary', 'Accept-Language');
    let html = auditPages.get(lang);
    if (!html) auditPages.set(lang, (html = prepare('text/html; charset=utf-8', renderAuditPage(lang, pageAssets, assets.audit.url))));
    sendPrepared(req, res, html, 'no-cache');
  });

  // The lab and department consoles (./lab-page.ts, ./department-page.ts): they sign in the browser with the records
  // code (ethers, zod, the field tree), a bundle of ~0.7 MB built on first use (not at boot: a few seconds each).
  const signingAssets = new Map<ConsoleName, Asset>();
  const signingAsset = (name: ConsoleName): Asset => {
    let a = signingAssets.get(name);
    if (!a) {
      signingAssets.set(name, (a = assetOf(`${name}.js`, consoleBundle(name).js)));
      byUrl.set(a.url.slice(ASSET_PREFIX.length), a);
      byName.set(`${name}.js`, a);
    }
    return a;
  };
  const signingPages = new Map<string, Prepared>();
  for (const [name, render] of [
    ['lab', renderLabPage],
    ['department', renderDepartmentPage],
  ] as const) {
    router.get(`/${name}`, (req, res) => {
      const lang = language(req);
      securityHeaders(res, undefined);
      res.setHeader('Content-Language', lang === 'zh' ? 'zh-CN' : 'en');
      res.setHeader('Vary', 'Accept-Language');
      let html = signingPages.get(`${name}:${lang}`);
      if (!html) signingPages.set(`${name}:${lang}`, (html = prepare('text/html; charset=utf-8', render(lang, pageAssets, signingAsset(name).url))));
      sendPrepared(req, res, html, 'no-cache');
    });
  }

  router.get(`${ASSET_PREFIX}:file`, (req, res, next) => {
    const file = String(req.params.file);
    const signing = /^(lab|department)\./.exec(file)?.[1] as ConsoleName | undefined;
    if (signing) signingAsset(signing);
    const hashed = byUrl.get(file);
    const asset = hashed ?? byName.get(file);
    if (!asset) {
      next();
      return;
    }
    sendPrepared(req, res, asset, hashed ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
  });

  // A scan path whose percent-encoding does not decode (/b/%ZZ) fails in the router before any handler: a browser
  // gets the HTML page, an API client the JSON error.
  router.use((err: unknown, req: Request, res: Response, next: (e?: unknown) => void) => {
    if (!/^\/(b|01)(\/|$)/.test(req.path) || !(err instanceof URIError || (err as { status?: unknown })?.status === 400)) {
      next(err);
      return;
    }
    fail(req, res, new AppError(req.path.startsWith('/01') ? 'malformed-digital-link' : 'invalid-input', 'the code in this link is not valid percent-encoding', undefined, { cause: err }));
  });

  return router;
}
