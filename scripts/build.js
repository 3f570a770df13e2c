#!/usr/bin/env node
/**
 * Builds dist/: the compiled JavaScript that `npm start` and the `traceledger` command run (the tests run
 * the TypeScript sources through ts-node instead).
 *
 *   node scripts/build.js           build what changed since the last build (a few ms when nothing did)
 *   node scripts/build.js --check   build nothing; exit 1 naming a changed file when dist/ is stale
 *   node scripts/build.js --clean   remove dist/ and build everything
 *
 * What it does, in order:
 * 1. The contracts: when contracts/ or hardhat.config.ts changed since the last build (or typechain-types/ is
 *    missing), `hardhat compile --quiet` (solc-js; it writes artifacts/ and the bindings in typechain-types/).
 * 2. dist/ mirrors server/, typechain-types/ and the demo's scripts (scripts/demo*.ts): every .ts file is
 *    transpiled to .js (with a source map) by TypeScript's transpileModule with the compiler options of
 *    tsconfig.json (what ts-node --transpile-only does for the tests), and every file, the .ts sources
 *    included, is copied as is, so whatever the code reads next to itself at run time (server/web/assets,
 *    the standards tables, server/web/client/*.ts that esbuild bundles for the browser) is found from dist/
 *    too. Files deleted from the sources are deleted from dist/.
 * Type checking is not part of it: `npm run typecheck` (and `npm test`) does that.
 *
 * Freshness is decided per file by its size and modification time (`size:mtimeMs`, milliseconds floored), recorded in
 * dist/.build.json (the compiled server checks it too at start: server/runtime.ts staleBuild) with a key
 * made of this script, tsconfig.json and the TypeScript version (a change to any of them rebuilds all).
 * Writes are atomic (a temporary file renamed into place), so two builds at once cannot leave a torn file.
 * scripts/traceledger.js calls staleness() and build() before loading the CLI.
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const MANIFEST = path.join(DIST, '.build.json');
/** Source trees (folders or files) mirrored into dist/: the server and the CLI, the contract bindings, `npm run demo`, `npm run start:postgres`. */
const TREES = ['server', 'typechain-types', 'scripts/demo.ts', 'scripts/demo-api.ts', 'scripts/demo-trails.ts', 'scripts/start-postgres.ts', 'scripts/embedded-postgres.ts'];
/** What a contract build depends on. */
const CONTRACT_INPUTS = ['contracts', 'hardhat.config.ts'];

/** Every file under `rel` (a folder or a file, relative to ROOT), as relative paths with forward slashes. */
function walk(rel, out = []) {
  let st;
  try {
    st = fs.statSync(path.join(ROOT, rel));
  } catch {
    return out;
  }
  if (st.isFile()) {
    out.push(rel.split(path.sep).join('/'));
    return out;
  }
  for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const child = path.join(rel, e.name);
    if (e.isDirectory()) walk(child, out);
    else if (e.isFile()) out.push(child.split(path.sep).join('/'));
  }
  return out;
}

/** { relativePath: "size:mtimeMs" } of every file under `rels`. */
function snapshot(rels) {
  const files = {};
  for (const rel of rels) {
    for (const f of walk(rel)) {
      const st = fs.statSync(path.join(ROOT, f));
      files[f] = `${st.size}:${Math.floor(st.mtimeMs)}`;
    }
  }
  return files;
}

/** What every output depends on besides its own source: this script, tsconfig.json, the TypeScript version. */
function builderKey() {
  const h = crypto.createHash('sha256');
  h.update(fs.readFileSync(path.join(__dirname, 'build.js')));
  h.update(fs.readFileSync(path.join(ROOT, 'tsconfig.json')));
  try {
    h.update(JSON.parse(fs.readFileSync(require.resolve('typescript/package.json', { paths: [ROOT] }), 'utf8')).version);
  } catch {
    h.update('no typescript');
  }
  return h.digest('hex');
}

function readManifest() {
  try {
    return JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The first difference between two snapshots, as a short phrase, or undefined when they are equal. */
function firstDifference(before, now) {
  for (const [f, v] of Object.entries(now)) {
    if (before[f] === undefined) return `${f} is new`;
    if (before[f] !== v) return `${f} changed`;
  }
  for (const f of Object.keys(before)) if (now[f] === undefined) return `${f} was deleted`;
  return undefined;
}

/**
 * Why dist/ is out of date with the sources (a phrase naming the first changed file), or undefined when it is
 * current. Cheap: it stats the source files and reads dist/.build.json, nothing more.
 */
function staleness() {
  const m = readManifest();
  if (!m) return 'dist/ has not been built';
  if (m.key !== builderKey()) return 'scripts/build.js, tsconfig.json or the TypeScript version changed';
  if (!fs.existsSync(path.join(ROOT, 'typechain-types', 'index.ts'))) return 'typechain-types/ is missing (contracts not compiled)';
  return firstDifference(m.contracts ?? {}, snapshot(CONTRACT_INPUTS)) ?? firstDifference(m.files ?? {}, snapshot(TREES));
}

function writeAtomic(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function rmQuiet(file) {
  fs.rmSync(file, { force: true });
}

/** The outputs in dist/ of source file `rel`. */
function outputsOf(rel) {
  const out = [path.join(DIST, rel)];
  if (rel.endsWith('.ts') && !rel.endsWith('.d.ts')) {
    const js = path.join(DIST, rel.replace(/\.ts$/, '.js'));
    out.push(js, `${js}.map`);
  }
  return out;
}

/** TypeScript's compiler options from tsconfig.json, for transpiling one file at a time. */
function compilerOptions(ts) {
  const file = path.join(ROOT, 'tsconfig.json');
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(file, ts.sys.readFile).config, ts.sys, ROOT);
  return { ...parsed.options, noEmit: false, declaration: false, sourceMap: true, inlineSourceMap: false, inlineSources: false, outDir: undefined };
}

function runHardhatCompile(log) {
  log('compiling the contracts (hardhat compile)');
  const bin = require.resolve('hardhat/internal/cli/bootstrap', { paths: [ROOT] });
  // Its output goes to stderr: the CLI shim builds before a command whose stdout may be JSON.
  const r = spawnSync(process.execPath, [bin, 'compile', '--quiet'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`hardhat compile failed (exit ${r.status ?? r.signal}); run npx hardhat compile to see why`);
}

/**
 * Brings dist/ up to date with the sources; returns the number of source files rebuilt. `log` is told what
 * happens (nothing when dist/ was current). Throws when the contracts or a source do not compile.
 */
function build({ clean = false, log = () => undefined } = {}) {
  const started = Date.now();
  if (clean) fs.rmSync(DIST, { recursive: true, force: true });
  const key = builderKey();
  const prev = readManifest();
  const fullRebuild = !prev || prev.key !== key;
  const m = { contracts: prev?.contracts ?? {}, files: prev?.files ?? {} };

  let contracts = snapshot(CONTRACT_INPUTS);
  if (firstDifference(m.contracts, contracts) !== undefined || !fs.existsSync(path.join(ROOT, 'typechain-types', 'index.ts'))) {
    runHardhatCompile(log);
    contracts = snapshot(CONTRACT_INPUTS);
  }

  const files = snapshot(TREES);
  const changed = Object.keys(files).filter((f) => fullRebuild || m.files[f] !== files[f] || !outputsOf(f).every((o) => fs.existsSync(o)));
  const deleted = Object.keys(m.files).filter((f) => files[f] === undefined);
  for (const f of deleted) for (const o of outputsOf(f)) rmQuiet(o);

  if (changed.length > 0) {
    const ts = require(require.resolve('typescript', { paths: [ROOT] }));
    const options = compilerOptions(ts);
    const errors = [];
    for (const f of changed) {
      const src = path.join(ROOT, f);
      const data = fs.readFileSync(src);
      writeAtomic(path.join(DIST, f), data);
      if (!f.endsWith('.ts') || f.endsWith('.d.ts')) continue;
      const out = ts.transpileModule(data.toString('utf8'), { compilerOptions: options, fileName: src, reportDiagnostics: true });
      for (const d of out.diagnostics ?? []) {
        if (d.category === ts.DiagnosticCategory.Error) errors.push(`${f}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      }
      const js = path.join(DIST, f.replace(/\.ts$/, '.js'));
      const map = JSON.parse(out.sourceMapText);
      map.sources = [path.relative(path.dirname(js), src).split(path.sep).join('/')];
      writeAtomic(js, out.outputText);
      writeAtomic(`${js}.map`, JSON.stringify(map));
    }
    if (errors.length > 0) throw new Error(`cannot compile:\n  ${errors.join('\n  ')}`);
  }
  if (fullRebuild || changed.length > 0 || deleted.length > 0 || firstDifference(m.contracts, contracts) !== undefined) {
    // `inputs` names what the snapshots cover, for server/runtime.ts staleBuild() (the compiled server's own check).
    writeAtomic(MANIFEST, JSON.stringify({ key, builtAt: new Date().toISOString(), inputs: { files: TREES, contracts: CONTRACT_INPUTS }, contracts, files }));
  }
  if (changed.length > 0 || deleted.length > 0) {
    log(`built dist/: ${changed.length} file(s) updated, ${deleted.length} removed, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return changed.length;
}

module.exports = { build, staleness, DIST, ROOT };

if (require.main === module) {
  const args = process.argv.slice(2);
  const log = (s) => process.stderr.write(`build: ${s}\n`);
  if (args.includes('--check')) {
    const why = staleness();
    if (why) {
      process.stderr.write(`build: dist/ is out of date (${why}); run npm run build\n`);
      process.exit(1);
    }
    process.exit(0);
  }
  try {
    build({ clean: args.includes('--clean'), log });
  } catch (e) {
    process.stderr.write(`build: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
