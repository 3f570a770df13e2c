/**
 * The lab and department consoles' scripts, bundled from TypeScript with esbuild once per process, in memory, like
 * the consumer page's (./client-bundle.ts): they sign with the very code the CLI and the server use —
 * server/records (schemas, the salted field tree, EIP-712) and server/chain/keystore (ethers' keystore decryption).
 * The field tree uses `node:crypto` and merkletreejs uses `Buffer`: the build resolves `node:crypto` to
 * client/shims/node-crypto.ts (@noble SHA-256, crypto.getRandomValues) and injects the `buffer` package's Buffer.
 * Any other Node built-in reached from these entries fails the build (and so the server's start and the tests).
 */
import path from 'node:path';
import { buildSync, type Metafile } from 'esbuild';
import { BROWSER_BUILD } from './client-bundle';

const CLIENT = path.join(__dirname, 'client');

/** The consoles and their entry files. */
export const CONSOLE_ENTRIES = { lab: 'lab-page.ts', department: 'department-page.ts' } as const;
export type ConsoleName = keyof typeof CONSOLE_ENTRIES;

export interface ConsoleBundle {
  js: string;
  metafile: Metafile;
}

const built = new Map<ConsoleName, ConsoleBundle>();

/** The minified IIFE bundle of console `name` (built on first use, then cached). */
export function consoleBundle(name: ConsoleName): ConsoleBundle {
  const hit = built.get(name);
  if (hit) return hit;
  const out = buildSync({
    ...BROWSER_BUILD,
    entryPoints: [path.join(CLIENT, CONSOLE_ENTRIES[name])],
    // Absolute, so the build does not depend on the working directory. Other Node built-ins stay unresolved: an error.
    alias: { 'node:crypto': path.join(CLIENT, 'shims', 'node-crypto.ts') },
    inject: [path.join(CLIENT, 'shims', 'buffer-global.ts')],
  });
  const js = out.outputFiles[0]?.text;
  if (js === undefined) throw new Error(`esbuild produced no output for the ${name} console script`);
  const bundle = { js, metafile: out.metafile };
  built.set(name, bundle);
  return bundle;
}
