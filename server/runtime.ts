/**
 * Whether this process runs the compiled JavaScript (dist/, built by scripts/build.js: `npm start` and the
 * `traceledger` command) or the TypeScript sources through ts-node (the tests, scripts run with ts-node), and
 * what a worker thread's eval'd source must do first in each case. A module that starts a worker thread writes
 * its source as `${WORKER_PRELUDE}require(${JSON.stringify(path.join(__dirname, 'the-worker'))})`: compiled,
 * require finds the-worker.js next to the compiled caller; from the sources, the prelude registers ts-node in
 * the worker first, so require finds the-worker.ts.
 */
import fs from 'node:fs';
import path from 'node:path';

/** True when this module was loaded from compiled JavaScript (dist/), false under ts-node. */
export const RUNS_COMPILED = path.extname(__filename) === '.js';

/** The first line of a worker thread's eval'd source: empty when compiled; from the sources, ts-node's registration (transpile only, the project's tsconfig.json). */
export const WORKER_PRELUDE = RUNS_COMPILED
  ? ''
  : `require('ts-node').register({ transpileOnly: true, project: ${JSON.stringify(path.resolve(__dirname, '..', 'tsconfig.json'))} });\n`;

/** What scripts/build.js records in dist/.build.json: the inputs it covered and each file's `size:mtimeMs`. */
interface BuildManifest {
  inputs?: { files?: string[]; contracts?: string[] };
  files?: Record<string, string>;
  contracts?: Record<string, string>;
}

/** `size:mtimeMs` of every file under each of `rels` (relative to `root`), as scripts/build.js records them. */
function snapshot(root: string, rels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(root, rel));
    } catch {
      return;
    }
    if (st.isFile()) {
      out[rel.split(path.sep).join('/')] = `${st.size}:${Math.floor(st.mtimeMs)}`;
      return;
    }
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      if (!e.name.startsWith('.') && (e.isDirectory() || e.isFile())) walk(path.join(rel, e.name));
    }
  };
  for (const rel of rels) walk(rel);
  return out;
}

function firstDifference(built: Record<string, string>, now: Record<string, string>): string | undefined {
  for (const [f, v] of Object.entries(now)) if (built[f] !== v) return built[f] === undefined ? `${f} is new` : `${f} changed`;
  for (const f of Object.keys(built)) if (now[f] === undefined) return `${f} was deleted`;
  return undefined;
}

/**
 * When running compiled: why dist/ is older than the sources it was built from (the first changed, new or deleted
 * source, per dist/.build.json), or undefined when it is current. Always undefined from the sources. `npm start`
 * rebuilds before it starts; this catches `node dist/server/main.js` run by hand after an edit. A few ms.
 */
export function staleBuild(): string | undefined {
  if (!RUNS_COMPILED) return undefined;
  const dist = path.resolve(__dirname, '..');
  const root = path.dirname(dist);
  let m: BuildManifest;
  try {
    m = JSON.parse(fs.readFileSync(path.join(dist, '.build.json'), 'utf8')) as BuildManifest;
  } catch {
    return `${path.join(dist, '.build.json')} is missing or unreadable`;
  }
  if (!m.inputs?.files || !m.files) return 'dist/ was built by an older scripts/build.js';
  return firstDifference(m.contracts ?? {}, snapshot(root, m.inputs.contracts ?? [])) ?? firstDifference(m.files, snapshot(root, m.inputs.files));
}
