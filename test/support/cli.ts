/**
 * Runs the `traceledger` command as a user would (the npm bin shim, which runs the compiled CLI in dist/), in a child
 * process. dist/ is brought up to date with the sources once per test process before the first run (scripts/build.js),
 * so a command's output never carries the shim's "building dist/ first" note and the tests run what the sources say.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.join(__dirname, '../..');
export const BIN = path.join(ROOT, 'scripts/traceledger.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** scripts/build.js, the builder of dist/ (plain JavaScript). */
export interface Builder {
  build(opts?: { clean?: boolean; log?: (s: string) => void }): number;
  staleness(): string | undefined;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const builder = require(path.join(ROOT, 'scripts/build.js')) as Builder;

/** Brings dist/ up to date with the sources (a few ms when it is). */
export function ensureBuilt(): void {
  builder.build();
}

/**
 * Runs `traceledger ...args` in `cwd` (default the repository), with the environment plus `env`, `input` on stdin; resolves when it exits.
 * `readerGone` closes the read end of its stdout at once, as a reader that exits early does (`| head`).
 */
export function cli(args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string>; readerGone?: boolean } = {}): Promise<CliResult> {
  ensureBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    // A reader that has gone before the command writes (`traceledger … | head -0`): the read end of its stdout is closed.
    if (opts.readerGone) child.stdout.destroy();
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** The result, for assertion messages. */
export const show = (r: CliResult): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
