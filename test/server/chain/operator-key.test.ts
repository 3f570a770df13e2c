/**
 * The embedded chain stays private (real anvil, real SQLite): a per-installation operator key generated at the first
 * start (mode 0600), a data directory from before keeps the dev key with a warning, a published dev key is refused
 * with RPC_URL, the node listens on loopback only, and the data directory is readable by its owner only.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { HDNodeWallet, Wallet } from 'ethers';
import pino from 'pino';
import { ANVIL_DEV_KEYS, startAnvil } from '../../../server/chain/anvil';
import { isWellKnownDevAddress } from '../../../server/chain/keys';
import { fundedKey } from '../../support/chain';
import { rejection } from '../../support/assertions';
import { bootTestSystem, tempDir } from '../../support/system';

function recordingPino() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { logger, lines };
}

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

/** Account `i` of the published "test test … junk" mnemonic, derived (hardhat and anvil fund these). */
const devKey = (i: number) => HDNodeWallet.fromPhrase('test test test test test test test test test test test junk', undefined, `m/44'/60'/0'/0/${i}`).privateKey;

/** Whether a TCP connection to `host:port` is accepted. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

describe('server/chain/operator-key: the embedded chain stays private (real anvil)', function () {
  this.timeout(180_000);

  it('When a data directory starts for the first time, Then a random operator key is written to operator-key (0600), funded and operates the contracts; the next start reads it', async () => {
    const dataDir = tempDir();
    const { logger, lines } = recordingPino();
    const sys = await bootTestSystem({ dataDir, logger, manualWorker: true });
    let first: string;
    try {
      const keyFile = path.join(dataDir, 'operator-key');
      expect(modeOf(keyFile)).to.equal(0o600);
      first = new Wallet(fs.readFileSync(keyFile, 'utf8').trim()).address;
      expect(sys.operatorAddress).to.equal(first);
      expect(sys.deployment.operator).to.equal(first);
      expect(isWellKnownDevAddress(first)).to.equal(false);
      expect(await sys.provider.getBalance(first)).to.be.greaterThan(0n);
      expect(lines.find((l) => l.msg.startsWith('generated the operator key'))).to.include({ operator: first });
      expect(fs.readdirSync(dataDir).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
    } finally {
      await sys.stop();
    }
    const again = await bootTestSystem({ dataDir, manualWorker: true });
    try {
      expect(again.operatorAddress).to.equal(first);
      // It still operates the contracts: a registrar write goes through.
      await again.registries.registerProducer('平利县女娲茶业有限公司', '91610926MA6YAB3K2L');
    } finally {
      await again.stop();
    }
  });

  it('When the data directory was deployed with the dev key (before per-installation keys), Then it keeps working with it and a warning says how to move', async () => {
    const dataDir = tempDir();
    // A directory from before: its contracts were deployed by anvil's first dev account.
    fs.writeFileSync(path.join(dataDir, 'operator-key'), `${ANVIL_DEV_KEYS[0]}\n`, { mode: 0o600 });
    const old = await bootTestSystem({ dataDir, manualWorker: true });
    const dev = new Wallet(ANVIL_DEV_KEYS[0]).address;
    expect(old.deployment.operator).to.equal(dev);
    await old.stop();
    fs.rmSync(path.join(dataDir, 'operator-key'));

    const { logger, lines } = recordingPino();
    const sys = await bootTestSystem({ dataDir, logger, manualWorker: true });
    try {
      expect(sys.operatorAddress).to.equal(dev);
      const warning = lines.find((l) => l.level === 40 && /published anvil dev key/.test(l.msg));
      expect(warning, JSON.stringify(lines.map((l) => l.msg))).to.not.equal(undefined);
      expect(warning!.msg).to.contain('fresh DATA_DIR').and.to.contain('traceledger chain redeploy');
      expect(fs.existsSync(path.join(dataDir, 'operator-key')), 'no key generated for contracts it does not operate').to.equal(false);
    } finally {
      await sys.stop();
    }
  });

  it('When the key file of a directory deployed with its own key is missing, Then the start is refused naming the file', async () => {
    const dataDir = tempDir();
    const sys = await bootTestSystem({ dataDir, manualWorker: true });
    await sys.stop();
    fs.renameSync(path.join(dataDir, 'operator-key'), path.join(dataDir, 'operator-key.moved'));
    const err = await rejection(bootTestSystem({ dataDir, manualWorker: true }));
    expect(err.message).to.contain(path.join(dataDir, 'operator-key')).and.to.contain('restore the key file');
  });

  describe('with RPC_URL (an external node)', () => {
    let node: Awaited<ReturnType<typeof startAnvil>>;
    before(async () => {
      node = await startAnvil({});
    });
    after(async () => {
      await node?.stop();
    });

    for (const [what, i] of [['anvil’s first dev key', 0], ['hardhat’s tenth default account', 9]] as const) {
      it(`When SIGNER_KEY is ${what}, Then the start is refused saying why and nothing is deployed`, async () => {
        const dataDir = tempDir();
        const err = await rejection(bootTestSystem({ dataDir, env: { RPC_URL: node.rpcUrl, SIGNER_KEY: devKey(i) }, manualWorker: true }));
        expect(err.message).to.contain('published development key').and.to.contain('ALLOW_DEV_KEYS');
        expect(fs.existsSync(path.join(dataDir, 'deployment.json'))).to.equal(false);
      });
    }

    it('When SIGNER_KEY_FILE holds a dev key, Then the start is refused; a random funded key starts', async () => {
      const dataDir = tempDir();
      const keyFile = path.join(dataDir, 'signer.key');
      fs.writeFileSync(keyFile, `${devKey(3).slice(2)}\n`, { mode: 0o600 });
      const err = await rejection(bootTestSystem({ dataDir, env: { RPC_URL: node.rpcUrl, SIGNER_KEY_FILE: keyFile }, manualWorker: true }));
      expect(err.message).to.contain('published development key');

      const key = await fundedKey(node.rpcUrl);
      const sys = await bootTestSystem({ dataDir: tempDir(), env: { RPC_URL: node.rpcUrl, SIGNER_KEY: key }, manualWorker: true });
      try {
        expect(sys.deployment.operator).to.equal(new Wallet(key).address);
      } finally {
        await sys.stop();
      }
    });
  });

  it('When the embedded node runs, Then it answers on 127.0.0.1 and not on any other address of this machine', async function () {
    const others = Object.values(os.networkInterfaces())
      .flat()
      .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && !a.internal && a.family === 'IPv4')
      .map((a) => a.address);
    const sys = await bootTestSystem({ manualWorker: true });
    try {
      const port = Number(new URL(sys.rpcUrl).port);
      expect(new URL(sys.rpcUrl).hostname).to.equal('127.0.0.1');
      expect(await connects('127.0.0.1', port)).to.equal(true);
      // ::1 and the machine's own addresses: nothing listens there.
      expect(await connects('::1', port)).to.equal(false);
      if (others.length === 0) {
        console.log('      (this machine has no non-loopback IPv4 address: checked ::1 only)');
      }
      for (const address of others) expect(await connects(address, port), address).to.equal(false);
    } finally {
      await sys.stop();
    }
  });

  it('When the system starts, Then the data directory is 0700 and its files 0600, also those left wider by an earlier version', async () => {
    const dataDir = path.join(tempDir(), 'data');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    fs.writeFileSync(path.join(dataDir, 'admin-token'), `tla_${'x'.repeat(40)}\n`, { mode: 0o644 });
    fs.chmodSync(path.join(dataDir, 'admin-token'), 0o644);
    const sys = await bootTestSystem({ dataDir, manualWorker: true });
    try {
      expect(modeOf(dataDir)).to.equal(0o700);
      const files = fs.readdirSync(dataDir).filter((f) => fs.statSync(path.join(dataDir, f)).isFile());
      expect(files).to.include.members(['traceledger.sqlite', 'traceledger.sqlite-wal', 'deployment.json', 'operator-key', 'admin-token']);
      for (const f of files) expect(modeOf(path.join(dataDir, f)), f).to.equal(0o600);
    } finally {
      await sys.stop();
    }
    expect(modeOf(path.join(dataDir, 'anvil-state.json'))).to.equal(0o600);
  });
});
