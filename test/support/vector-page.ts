/**
 * The consumer page's script (server/web/client-bundle.ts) in headless Chromium, on a bare page served from a
 * name that is not localhost (traceledger.test → 127.0.0.1, plain http://): an insecure origin without
 * crypto.subtle, as a phone opening a label's link may be. The vector runners call `window.traceledger` in it.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { clientBundle } from '../../server/web/client-bundle';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP traceledger.test 127.0.0.1'];

export interface VerifierPage {
  page: Page;
  close(): Promise<void>;
}

/** Serves a bare page with the page script, opens it in Chromium; `close` stops both. */
export async function openVerifierPage(): Promise<VerifierPage> {
  const js = clientBundle().js;
  const server = await new Promise<http.Server>((resolve) => {
    const s = http
      .createServer((req, res) => {
        if (req.url === '/verify.js') {
          res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(js);
        } else {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"></head><body><script src="/verify.js"></script></body></html>');
        }
      })
      .listen(0, '127.0.0.1', () => resolve(s));
  });
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await new Promise((resolve) => server.close(resolve));
  };
  try {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ci-setup.sh`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    const page = await browser.newPage();
    await page.goto(`http://traceledger.test:${(server.address() as AddressInfo).port}/`);
    return { page, close };
  } catch (e) {
    await close();
    throw e;
  }
}
