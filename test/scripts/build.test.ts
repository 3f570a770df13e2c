/*
 * Compiled once (scripts/build.js): dist/ follows the sources file by file, the `traceledger` command runs the
 * compiled CLI (no TypeScript file and no ts-node loaded), and the compiled server starts as `npm start` runs it and
 * answers /healthz, with DATA_DIR/server.json written while it runs and removed when it stops; started by hand on a
 * dist/ older than the sources, it refuses (server/runtime.ts staleBuild).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../server/chain/anvil';
import { BIN, ROOT, builder, ensureBuilt } from '../support/cli';
import { tempDir } from '../support/system';

const DIST = path.join(ROOT, 'dist');

/** Runs `node args…` with a preload that records, at exit, every module the process loaded; returns them with the run. */
function runRecordingModules(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string; modules: string[] } {
  const dir = tempDir('traceledger-build-');
  const out = path.join(dir, 'modules.json');
  const probe = path.join(dir, 'probe.js');
  fs.writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`);
  const r = spawnSync(process.execPath, ['-r', probe, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  const modules = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as string[]) : [];
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, modules };
}

const typescriptLoaded = (modules: string[]) => modules.filter((m) => m.endsWith('.ts') || m.includes(`${path.sep}ts-node${path.sep}`) || m.includes(`${path.sep}typescript${path.sep}`));

describe('scripts/build.js: the compiled server and CLI', function () {
  this.timeout(300_000);

  before(() => ensureBuilt());

  describe('Given dist/ built from the sources', () => {
    it('When nothing changed, Then staleness() says so and a build rebuilds nothing', () => {
      expect(builder.staleness()).to.equal(undefined);
      expect(builder.build()).to.equal(0);
    });

    it('When a source file is touched, Then dist/ is stale naming it, and a build recompiles that file alone', () => {
      const src = path.join(ROOT, 'server/errors.ts');
      const js = path.join(DIST, 'server/errors.js');
      const later = new Date(Date.now() + 2000);
      fs.utimesSync(src, later, later);
      expect(builder.staleness()).to.equal('server/errors.ts changed');
      expect(builder.build()).to.equal(1);
      expect(builder.staleness()).to.equal(undefined);
      expect(fs.statSync(js).mtimeMs).to.be.greaterThan(Date.now() - 60_000);
    });

    it('When a source changed and the compiled server is started by hand (not npm start), Then it refuses, naming the file and npm start', () => {
      const src = path.join(ROOT, 'server/records/hex.ts');
      const later = new Date(Date.now() + 2500);
      fs.utimesSync(src, later, later);
      const dataDir = tempDir('traceledger-build-stale-');
      const r = spawnSync(process.execPath, [path.join(DIST, 'server/main.js')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATA_DIR: dataDir }, timeout: 60_000 });
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr).to.contain('the compiled server in dist/ is out of date with the sources (server/records/hex.ts changed)').and.contain('npm start');
      expect(fs.readdirSync(dataDir)).to.deep.equal([]);
      expect(builder.build()).to.equal(1);
    });

    it('Then every server source has its compiled .js, and the files read at run time sit next to it (assets, standards tables, the page script sources)', () => {
      const missing: string[] = [];
      const walk = (rel: string): void => {
        for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
          const f = path.join(rel, e.name);
          if (e.isDirectory()) walk(f);
          else {
            if (!fs.existsSync(path.join(DIST, f))) missing.push(f);
            if (f.endsWith('.ts') && !fs.existsSync(path.join(DIST, f.replace(/\.ts$/, '.js')))) missing.push(f.replace(/\.ts$/, '.js'));
          }
        }
      };
      walk('server');
      expect(missing).to.deep.equal([]);
      expect(fs.existsSync(path.join(DIST, 'server/web/assets/style.css'))).to.equal(true);
      expect(fs.existsSync(path.join(DIST, 'server/standards/selenium-thresholds.v1.json'))).to.equal(true);
      expect(fs.existsSync(path.join(DIST, 'typechain-types/index.js'))).to.equal(true);
    });
  });

  describe('Given the traceledger command (scripts/traceledger.js, package.json "bin")', () => {
    it('When run with --help, Then it answers from the compiled CLI: exit 0, the commands listed, no TypeScript loaded', () => {
      const r = runRecordingModules([BIN, '--help'], ROOT);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('Usage: traceledger').and.contain('verify').and.contain('participants');
      expect(r.stderr).to.equal('');
      expect(r.modules).to.include(path.join(DIST, 'server/cli/main.js'));
      expect(typescriptLoaded(r.modules)).to.deep.equal([]);
    });

    it('When a real command runs (keygen), Then it runs compiled: it writes a key file readable by its owner only and prints the address', () => {
      const dir = tempDir('traceledger-build-');
      const keyFile = path.join(dir, 'lab.key');
      const r = runRecordingModules([BIN, 'keygen', '--out', keyFile], dir);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/0x[0-9a-fA-F]{40}/);
      expect(fs.statSync(keyFile).mode & 0o777).to.equal(0o600);
      expect(fs.readFileSync(keyFile, 'utf8').trim()).to.match(/^0x[0-9a-f]{64}$/);
      expect(r.modules).to.include(path.join(DIST, 'server/cli/commands/keys.js'));
      expect(typescriptLoaded(r.modules)).to.deep.equal([]);
    });

    it('When a source changed since the last build, Then the command rebuilds dist/ first and says so on stderr, then runs', () => {
      const src = path.join(ROOT, 'server/cli/errors.ts');
      const later = new Date(Date.now() + 3000);
      fs.utimesSync(src, later, later);
      const r = runRecordingModules([BIN, '--version'], ROOT);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.contain('building dist/ first (server/cli/errors.ts changed)');
      expect(r.stdout.trim()).to.equal((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
      expect(builder.staleness()).to.equal(undefined);
    });
  });

  describe('Given the compiled server, started as npm start runs it (node dist/server/main.js)', () => {
    let server: ChildProcess | undefined;
    let log = '';
    const dataDir = tempDir('traceledger-build-data-');
    let port: number;

    before(async () => {
      port = await freePort();
      const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), CHAIN_PORT: String(await freePort()), LOG_LEVEL: 'warn' };
      const start = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
      expect(start).to.match(/^node .*dist\/server\/main\.js$/);
      server = spawn(process.execPath, ['--enable-source-maps', path.join(DIST, 'server/main.js')], { cwd: ROOT, env });
      server.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      const deadline = Date.now() + 180_000;
      for (;;) {
        if (server.exitCode !== null) throw new Error(`the compiled server exited with ${server.exitCode}:\n${log}`);
        try {
          if ((await fetch(`http://localhost:${port}/healthz`)).ok) break;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`the compiled server did not become healthy:\n${log}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    });

    after(async () => {
      if (server && server.exitCode === null) {
        server.kill('SIGKILL');
        await new Promise((r) => server!.once('exit', r));
      }
    });

    it('When it runs, Then /healthz answers ok, the banner is printed, and DATA_DIR/server.json says where it listens', async () => {
      const res = await fetch(`http://localhost:${port}/healthz`);
      expect(res.status).to.equal(200);
      expect(((await res.json()) as { status: string }).status).to.equal('ok');
      expect(log).to.contain('traceledger is running');
      const file = JSON.parse(fs.readFileSync(path.join(dataDir, 'server.json'), 'utf8')) as { url: string; pid: number; port: number };
      expect(file).to.include({ url: `http://localhost:${port}`, pid: server!.pid, port });
      expect(fs.statSync(path.join(dataDir, 'server.json')).mode & 0o777).to.equal(0o600);
    });

    it('When it stops (SIGTERM), Then it exits 0 and removes DATA_DIR/server.json', async () => {
      const exited = new Promise<number | null>((r) => server!.once('exit', (code) => r(code)));
      server!.kill('SIGTERM');
      expect(await exited, log).to.equal(0);
      expect(fs.existsSync(path.join(dataDir, 'server.json'))).to.equal(false);
    });
  });
});
