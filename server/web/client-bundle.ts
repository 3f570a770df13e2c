/**
 * The consumer page's script, bundled from TypeScript (server/web/client/verify-page.ts and the
 * verification core it imports) with esbuild, once per process, in memory: the browser runs the same
 * verifier as the server and the CLI, never a hand-written copy. Built for the browser platform, so an
 * import of a Node built-in anywhere in the core fails the build (and so the server's start and the tests).
 */
import path from 'node:path';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';

/** The browsers the page supports: BigInt is needed (secp256k1), so ES2020: Chrome/WeChat XWeb 80+, Safari 14+. */
export const CLIENT_TARGET = ['es2020', 'chrome80', 'safari14', 'firefox78'];

/** How every browser script is built: one minified IIFE, in memory, for the browsers of {@link CLIENT_TARGET}. */
export const BROWSER_BUILD = {
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: CLIENT_TARGET,
  write: false,
  metafile: true,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'silent',
} as const satisfies BuildOptions;

const ENTRY = path.join(__dirname, 'client', 'verify-page.ts');

export interface ClientBundle {
  js: string;
  metafile: Metafile;
}

let built: ClientBundle | undefined;

/** The minified IIFE bundle of the consumer page's verifier (built on first use, then cached). */
export function clientBundle(): ClientBundle {
  if (built) return built;
  const out = buildSync({ ...BROWSER_BUILD, entryPoints: [ENTRY] });
  const js = out.outputFiles[0]?.text;
  if (js === undefined) throw new Error('esbuild produced no output for the consumer page script');
  built = { js, metafile: out.metafile };
  return built;
}
