/**
 * Loud, safe refusals at start (real anvil, real processes): one traceledger per DATA_DIR, the
 * embedded node never attaches to something already listening on CHAIN_PORT, and never starts an
 * empty chain over a damaged state.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import pino from 'pino';
import { freePort, portInUse } from '../../server/chain/anvil';
import { LOCK_FILE, type LockHolder } from '../../server/config/lock';
import { bootTestSystem, eventually, tempDir } from '../support/system';

const ROOT = path.resolve(__dirname, '../..');
const TS_NODE = [require.resolve('ts-node/dist/bin.js'), '--transpile-only'];

async function bootError(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the boot to be refused');
}

/** `npm start` (the sources through ts-node) on a fresh DATA_DIR and free ports, once it says it runs; `detached`: in a process group of its own. */
async function startNpmStart(opts: { detached?: boolean } = {}) {
  const dataDir = tempDir();
  const port = await freePort();
  const chainPort = await freePort();
  const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), CHAIN_PORT: String(chainPort), LOG_LEVEL: 'warn' };
  const server = spawn(process.execPath, [...TS_NODE, 'server/main.ts'], { cwd: ROOT, env, detached: opts.detached ?? false });
  const out = { dataDir, port, chainPort, server, log: '', exited: new Promise((r) => server.once('exit', r)) };
  server.stdout?.on('data', (d: Buffer) => (out.log += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (out.log += d.toString()));
  const deadline = Date.now() + 120_000;
  while (!out.log.includes('traceledger is running')) {
    if (server.exitCode !== null || Date.now() > deadline) {
      if (server.exitCode === null) server.kill('SIGKILL');
      throw new Error(`npm start did not come up:\n${out.log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return out;
}

/** Registers a producer through the running server's API as its admin (201 expected); its participant id. */
async function registerProducerOverHttp(started: { dataDir: string; port: number }, name: string, uscc: string): Promise<string> {
  const token = fs.readFileSync(path.join(started.dataDir, 'admin-token'), 'utf8').trim();
  const res = await fetch(`http://127.0.0.1:${started.port}/api/v1/participants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'producer', name, uscc }),
  });
  expect(res.status, await res.clone().text()).to.equal(201);
  return ((await res.json()) as { id: string }).id;
}

/** Once CHAIN_PORT is free again (the node not orphaned), a system booted on the same DATA_DIR has participant `id` named `name` on chain. */
async function expectOnChainAfterRestart(started: { dataDir: string; chainPort: number }, id: string, name: string): Promise<void> {
  await eventually(async () => !(await portInUse(started.chainPort)), 10_000);
  const again = await bootTestSystem({ dataDir: started.dataDir, env: { CHAIN_PORT: String(started.chainPort) } });
  try {
    expect((await again.registries.participants.getParticipant(id)).name).to.equal(name);
  } finally {
    await again.stop();
  }
}

describe('server/system start-up refusals (real anvil)', function () {
  this.timeout(180_000);

  describe('with npm start running on a data directory', () => {
    const dataDir = tempDir();
    let server: ChildProcess;
    let log = '';
    let env: NodeJS.ProcessEnv;

    before(async () => {
      const port = await freePort();
      env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), CHAIN_PORT: String(await freePort()), LOG_LEVEL: 'warn' };
      server = spawn(process.execPath, [...TS_NODE, 'server/main.ts'], { cwd: ROOT, env });
      server.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      const deadline = Date.now() + 120_000;
      while (!log.includes('traceledger is running')) {
        if (server.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });

    after(async () => {
      if (server.exitCode === null) {
        server.kill('SIGKILL');
        await new Promise((r) => server.once('exit', r));
      }
    });

    it('When it runs, Then DATA_DIR/traceledger.lock holds its pid', () => {
      const held = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')) as LockHolder;
      expect(held.pid).to.equal(server.pid);
    });

    it('When a second npm start uses the same DATA_DIR (other ports), Then it exits 1 naming the first pid and the directory', async () => {
      const second = spawnSync(process.execPath, [...TS_NODE, 'server/main.ts'], {
        cwd: ROOT,
        env: { ...env, PORT: String(await freePort()), CHAIN_PORT: String(await freePort()) },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(second.status, second.stdout + second.stderr).to.equal(1);
      expect(second.stderr).to.contain(`another traceledger (pid ${server.pid}`).and.to.contain(`is using ${dataDir}; stop it first, or set DATA_DIR`);
      expect(second.stdout).to.not.contain('traceledger is running');
    });

    it('When a system boots in-process on that DATA_DIR, Then it is refused naming the pid, and the lock stays the first one\'s', async () => {
      const err = await bootError(bootTestSystem({ dataDir }));
      expect(err.message).to.contain(`another traceledger (pid ${server.pid}`);
      expect((JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')) as LockHolder).pid).to.equal(server.pid);
    });

    it('When it is stopped with Ctrl-C, Then the lock is released and the next start on the directory works', async () => {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGINT');
      await exited;
      expect(server.exitCode).to.equal(0);
      expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).to.equal(false);
      const sys = await bootTestSystem({ dataDir });
      await sys.stop();
    });
  });

  it('When npm start is killed with SIGKILL right after answering 201 to a registration, Then its chain node dies with it and the next start has the registration on chain', async () => {
    const started = await startNpmStart();
    const { server } = started;
    try {
      const id = await registerProducerOverHttp(started, '紫阳县富硒茶业有限公司', '91610924MA6YAB3K2L');
      server.kill('SIGKILL');
      await started.exited;

      // The node was not orphaned: CHAIN_PORT is free again, so the next start may use it.
      await expectOnChainAfterRestart(started, id, '紫阳县富硒茶业有限公司');
    } finally {
      if (server.exitCode === null && server.signalCode === null) {
        server.kill('SIGKILL');
        await started.exited;
      }
    }
  });

  it("When npm start is stopped with a terminal's Ctrl-C (SIGINT to its whole process group), Then it saves the chain state before its node stops, exits 0, and the next start has what it held", async () => {
    // A group of its own, as a shell gives a foreground job: the Ctrl-C below reaches every process in it.
    const started = await startNpmStart({ detached: true });
    const { server, port } = started;
    try {
      const id = await registerProducerOverHttp(started, '汉阴县凤堰富硒米业合作社', '93610921MA6Y9XB607');
      // A client in the middle of sending a request: the stop waits for it (up to its drain time) before it saves.
      const slow = net.connect(port, '127.0.0.1');
      await new Promise((r) => slow.once('connect', r));
      slow.on('error', () => undefined);
      slow.write(`POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"record":`);
      await new Promise((r) => setTimeout(r, 300));
      process.kill(-server.pid!, 'SIGINT');
      await started.exited;
      slow.destroy();
      expect(server.exitCode, started.log).to.equal(0);
      expect(started.log).to.contain('traceledger stopped');
      // In the server's process group the node got the Ctrl-C too and exited at once: the server restarted it from its
      // last save (an error in the log) and, when the stop reached the save before the restart was done, the save failed.
      expect(started.log, 'the node was not stopped from under the server').to.not.contain('exited unexpectedly');
      expect(started.log, 'the save at stop').to.not.contain('could not save the chain state');
      await expectOnChainAfterRestart(started, id, '汉阴县凤堰富硒米业合作社');
    } finally {
      if (server.exitCode === null && server.signalCode === null) {
        process.kill(-server.pid!, 'SIGKILL');
        await started.exited;
      }
    }
  });

  it('When a system is stopped, Then the lock is released and a restart on the same DATA_DIR works', async () => {
    const dataDir = tempDir();
    const first = await bootTestSystem({ dataDir });
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).to.equal(true);
    await first.stop();
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).to.equal(false);
    const again = await bootTestSystem({ dataDir });
    try {
      expect(again.deployment.traceLedger).to.equal(first.deployment.traceLedger);
    } finally {
      await again.stop();
    }
  });

  it('When the lock was left by a process that is gone, Then the start takes it over and logs that', async () => {
    const dataDir = tempDir();
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    fs.writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify({ pid: deadPid, startedAt: '2026-01-01T00:00:00.000Z', nonce: 'crashed' }));
    const lines: { msg?: string; stalePid?: number }[] = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[number]) });
    const sys = await bootTestSystem({ dataDir, logger });
    try {
      expect(lines.find((l) => l.msg?.includes('stale data directory lock'))?.stalePid).to.equal(deadPid);
      expect((JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')) as LockHolder).pid).to.equal(process.pid);
    } finally {
      await sys.stop();
    }
  });

  it('When the chain state file and its previous copy are both damaged, Then the start is refused naming both files, and the lock is released', async () => {
    const dataDir = tempDir();
    const first = await bootTestSystem({ dataDir });
    const statePath = first.config.chainStatePath;
    await first.stop();
    fs.truncateSync(statePath, 100);
    fs.writeFileSync(`${statePath}.prev`, '');

    const err = await bootError(bootTestSystem({ dataDir }));
    expect(err.message).to.contain(`${statePath} is not complete JSON (100 bytes, truncated?)`);
    expect(err.message).to.contain(`the previous copy ${statePath}.prev is empty (0 bytes)`);
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE)), 'lock released after the refusal').to.equal(false);
  });

  it('When something already listens on CHAIN_PORT, Then the embedded node is not started and the start is refused naming the port', async () => {
    const dataDir = tempDir();
    const busy = net.createServer();
    const port = await freePort();
    await new Promise<void>((r) => busy.listen(port, '127.0.0.1', r));
    try {
      const err = await bootError(bootTestSystem({ dataDir, env: { CHAIN_PORT: String(port) } }));
      expect(err.message).to.equal(`CHAIN_PORT ${port} is already in use (another chain node?); stop it, or set CHAIN_PORT`);
      expect(fs.existsSync(path.join(dataDir, LOCK_FILE)), 'lock released after the refusal').to.equal(false);
      expect(fs.existsSync(path.join(dataDir, 'deployment.json'))).to.equal(false);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });
});
