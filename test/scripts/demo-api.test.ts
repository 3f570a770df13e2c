/*
 * How `npm run demo` finds the server (scripts/demo-api.ts findServer): DEMO_SERVER, else the URL npm start wrote to
 * DATA_DIR/server.json while its process runs, else http://localhost:$PORT (3000). End to end, with no variable at
 * all: a compiled server started with the default data directory (data/ under its working directory) on another
 * port, and the compiled demo run from the same directory, finds it; with no server, the demo says what to do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../server/chain/anvil';
import { findServer } from '../../scripts/demo-api';
import { ROOT, ensureBuilt } from '../support/cli';
import { tempDir } from '../support/system';

const DIST = path.join(ROOT, 'dist');

/** The environment without any of the variables the demo or the server would read to find each other. */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['PORT', 'DATA_DIR', 'DEMO_SERVER', 'ADMIN_TOKEN', 'CHAIN_PORT', 'PUBLIC_BASE_URL', 'RPC_URL']) delete env[k];
  return { ...env, ...extra };
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 240_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('scripts/demo-api: finding the server', function () {
  this.timeout(600_000);

  describe('findServer', () => {
    it('When DEMO_SERVER is set, Then it is used as given (without a trailing slash)', () => {
      expect(findServer({ DEMO_SERVER: 'http://example.test:8080/' }, tempDir())).to.deep.equal({ url: 'http://example.test:8080', how: 'DEMO_SERVER' });
    });

    it('When no server.json and no PORT, Then npm start\'s default port: http://localhost:3000', () => {
      const dir = tempDir();
      expect(findServer({}, dir)).to.deep.equal({ url: 'http://localhost:3000', how: `npm start's default port, as no running server wrote ${path.join(dir, 'server.json')}` });
    });

    it('When server.json names a running process, Then its URL', () => {
      const dir = tempDir();
      const file = path.join(dir, 'server.json');
      fs.writeFileSync(file, JSON.stringify({ url: 'http://localhost:4455', port: 4455, pid: process.pid }));
      expect(findServer({ PORT: '4000' }, dir)).to.deep.equal({ url: 'http://localhost:4455', how: file });
    });

    it('When server.json was left by a process that is gone, Then the port (PORT, else 3000), saying the file is stale', async () => {
      const dir = tempDir();
      const pid = await deadPid();
      fs.writeFileSync(path.join(dir, 'server.json'), JSON.stringify({ url: 'http://localhost:4455', port: 4455, pid }));
      const found = findServer({}, dir);
      expect(found.url).to.equal('http://localhost:3000');
      expect(found.how).to.contain(`names pid ${pid}, which no longer runs`);
    });
  });

  describe('Given the compiled demo (npm run demo) with no variables', () => {
    before(() => ensureBuilt());

    it('When no server runs, Then it exits 1 naming the URL it tried and telling to start one with npm start', async () => {
      const cwd = tempDir('traceledger-demo-none-');
      const port = String(await freePort());
      const r = await run([path.join(DIST, 'scripts/demo.js')], cwd, bareEnv({ PORT: port }));
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.contain(`no traceledger server answers at http://localhost:${port}`).and.contain('npm start').and.contain('DEMO_SERVER');
      expect(r.stderr).not.to.contain('    at ');
    });

    describe('When a server runs with the default data directory (on a free port) in the same working directory', () => {
      const cwd = tempDir('traceledger-demo-default-');
      let server: ChildProcess | undefined;
      let log = '';
      let port: number;

      before(async () => {
        port = await freePort();
        const env = bareEnv({ PORT: String(port), CHAIN_PORT: String(await freePort()), LOG_LEVEL: 'warn', ANCHOR_EVERY_SECONDS: '1' });
        server = spawn(process.execPath, [path.join(DIST, 'server/main.js')], { cwd, env });
        server.stdout?.on('data', (d: Buffer) => (log += d.toString()));
        server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
        const deadline = Date.now() + 180_000;
        for (;;) {
          if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}:\n${log}`);
          if (fs.existsSync(path.join(cwd, 'data', 'server.json'))) break;
          if (Date.now() > deadline) throw new Error(`the server did not start:\n${log}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      });

      after(async () => {
        if (server && server.exitCode === null) {
          const exited = new Promise((r) => server!.once('exit', r));
          server.kill('SIGTERM');
          await exited;
        }
      });

      it('Then the demo finds it through data/server.json and fills it', async () => {
        const r = await run([path.join(DIST, 'scripts/demo.js')], cwd, bareEnv());
        expect(r.code, `${r.stdout}\n${r.stderr}\n--- server\n${log}`).to.equal(0);
        expect(r.stdout).to.contain(`traceledger demo against http://localhost:${port}`);
        expect(r.stdout).to.contain(`http://localhost:${port}/01/06972345010010/10/ZY26-MJ0328`);
        expect(r.stdout).to.contain(path.join(cwd, 'data', 'admin-token'));
      });
    });
  });
});
