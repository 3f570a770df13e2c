/**
 * server/chain/embedded.ts (real anvil, real files): the server's own durable saves of the chain state, the
 * barrier, the fallback to the previous save at start, and the supervisor that restarts a dead node.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import pino from 'pino';
import { ANVIL_DEV_KEYS, freePort, portInUse, startAnvil } from '../../../server/chain/anvil';
import { checkStateFile, dumpedHead, EmbeddedChain, writeStateFile } from '../../../server/chain/embedded';
import { accountSigner, jsonRpcProvider } from '../../../server/chain/provider';
import { isAppError } from '../../../server/errors';
import { chainLogId } from '../../../server/anchoring/worker';
import { checkHealth } from '../../../server/service/health';
import type { System } from '../../../server/system';
import { signedReport, storeReportBatch } from '../../support/records';
import { USCC } from '../records/fixtures';
import { bootTestSystem, eventually, registerLab, tempDir } from '../../support/system';
import { rejection } from '../../support/assertions';

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

function capture(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Starts an embedded chain with no background saves (only explicit saves and barriers write the file). */
async function startChain(statePath: string, opts: { logger?: pino.Logger; restartMinMs?: number } = {}) {
  return EmbeddedChain.start({ port: await freePort(), statePath, saveIntervalMs: 0, ...opts });
}

/** Sends 1 wei from the first dev account; returns the receipt's block. */
async function sendTx(chain: EmbeddedChain, to: string): Promise<{ block: number; hash: string; blockHash: string }> {
  const provider = jsonRpcProvider(chain.rpcUrl, { pollingInterval: 50 });
  try {
    const { signer } = accountSigner(ANVIL_DEV_KEYS[0], provider);
    const receipt = await (await signer.sendTransaction({ to, value: 1n })).wait();
    return { block: receipt!.blockNumber, hash: receipt!.hash, blockHash: receipt!.blockHash };
  } finally {
    provider.destroy();
  }
}

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return ((await res.json()) as { result: T }).result;
}

const blockNumber = async (chain: EmbeddedChain) => Number(await rpc<string>(chain.rpcUrl, 'eth_blockNumber'));
const balance = async (chain: EmbeddedChain, a: string) => BigInt(await rpc<string>(chain.rpcUrl, 'eth_getBalance', [a, 'latest']));

describe('server/chain/embedded (real anvil)', function () {
  this.timeout(180_000);

  describe('durable saves and the barrier', () => {
    it('When a block passed ensureDurable and the node is killed (SIGKILL, no dump), Then the restarted node has it, and a block mined after the last save is gone', async () => {
      const statePath = path.join(tempDir(), 'anvil-state.json');
      const chain = await startChain(statePath, { restartMinMs: 100 });
      try {
        const saved = Wallet.createRandom().address;
        const unsaved = Wallet.createRandom().address;
        const tx = await sendTx(chain, saved);
        await chain.ensureDurable(tx.block, tx.blockHash);
        expect(checkStateFile(statePath)).to.include({ ok: true, head: tx.block });
        await sendTx(chain, unsaved); // mined, never saved

        await chain.killNode();
        expect(chain.status().state).to.equal('restarting');
        await eventually(async () => chain.status().state === 'running' && chain.status().restarts === 1);

        expect(await balance(chain, saved)).to.equal(1n);
        expect(await rpc(chain.rpcUrl, 'eth_getTransactionReceipt', [tx.hash])).to.not.equal(null);
        expect(await balance(chain, unsaved), 'the block after the last save is lost: the node came from the file').to.equal(0n);
        expect(await blockNumber(chain)).to.equal(tx.block);
      } finally {
        await chain.stop();
      }
    });

    it('When a save runs, Then the head it reports is the one its dump holds (best_block_number), with no separate read of the head', async () => {
      const statePath = path.join(tempDir(), 'anvil-state.json');
      const chain = await startChain(statePath);
      try {
        const tx = await sendTx(chain, Wallet.createRandom().address);
        const saved = await chain.save();
        expect(saved.block).to.equal(tx.block);
        expect(dumpedHead(fs.readFileSync(statePath))).to.equal(tx.block);
        expect(checkStateFile(statePath)).to.include({ ok: true, head: tx.block });
        // A dump that does not name its head (an older node) gives none: the save then reads the head first.
        expect(dumpedHead(Buffer.from('{"block":{},"accounts":{}}'))).to.equal(undefined);
        expect(dumpedHead(Buffer.from('{"best_block_number":"0x1f"}'))).to.equal(31);
        expect(dumpedHead(Buffer.from('{"best_block_number":-1}'))).to.equal(undefined);
        expect(dumpedHead(Buffer.from('not json'))).to.equal(undefined);
      } finally {
        await chain.stop();
      }
    });

    it('When many callers ask for durability at once, Then saves are coalesced and every caller returns with its block saved', async () => {
      const statePath = path.join(tempDir(), 'anvil-state.json');
      let writes = 0;
      const chain = await EmbeddedChain.start({
        port: await freePort(),
        statePath,
        saveIntervalMs: 0,
        writer: async (file, data) => {
          writes++;
          await writeStateFile(file, data);
        },
      });
      try {
        const blocks = [];
        for (let i = 0; i < 5; i++) blocks.push((await sendTx(chain, Wallet.createRandom().address)).block);
        await Promise.all(blocks.map((b) => chain.ensureDurable(b)));
        expect(writes, 'one save for the five callers').to.equal(1);
        const file = checkStateFile(statePath);
        expect(file.ok && file.head).to.equal(Math.max(...blocks));
        expect(chain.status().durableBlock).to.equal(Math.max(...blocks));
      } finally {
        await chain.stop();
      }
    });

    it('When a save fails (the temporary file cannot be written), Then the barrier rejects with storage-unavailable, the last good file is intact, and the next request saves', async () => {
      const statePath = path.join(tempDir(), 'anvil-state.json');
      const chain = await startChain(statePath);
      try {
        const first = await sendTx(chain, Wallet.createRandom().address);
        await chain.ensureDurable(first.block);
        const good = sha(statePath);
        // A real file-system fault: the path the save writes to is a directory (EISDIR).
        fs.mkdirSync(`${statePath}.tmp`);
        const second = await sendTx(chain, Wallet.createRandom().address);

        const err = await rejection(chain.ensureDurable(second.block));
        expect(isAppError(err, 'storage-unavailable'), String(err)).to.equal(true);
        expect((err as Error & { status: number }).status).to.equal(503);
        expect(err.message).to.contain(statePath).and.to.contain('the previous save is intact');
        expect(sha(statePath)).to.equal(good);
        expect(checkStateFile(statePath)).to.include({ ok: true, head: first.block });
        expect(chain.status().saveError).to.be.a('string');

        fs.rmdirSync(`${statePath}.tmp`);
        await chain.ensureDurable(second.block);
        expect(checkStateFile(statePath)).to.include({ ok: true, head: second.block });
        expect(chain.status().saveError).to.equal(undefined);
        // The save before is kept as the previous copy.
        expect(sha(`${statePath}.prev`)).to.equal(good);
      } finally {
        await chain.stop();
      }
    });
  });

  describe('start from the state files', () => {
    /** A state file with a save at head h1 as `.prev` and one at h2 > h1 as the file; the node stopped. */
    async function twoSaves(statePath: string): Promise<{ h1: number; h2: number }> {
      const chain = await startChain(statePath);
      const h1 = (await sendTx(chain, Wallet.createRandom().address)).block;
      await chain.ensureDurable(h1);
      const h2 = (await sendTx(chain, Wallet.createRandom().address)).block;
      await chain.ensureDurable(h2);
      // stop() saves once more (same head): keep the two distinct saves apart for the test.
      fs.copyFileSync(`${statePath}.prev`, `${statePath}.h1`);
      await chain.stop();
      fs.copyFileSync(`${statePath}.h1`, `${statePath}.prev`);
      return { h1, h2 };
    }

    it('When the state file is truncated (a full disk under the old in-place writes), Then the start falls back to .prev, says so, and puts the good copy back', async () => {
      const statePath = path.join(tempDir(), 'anvil-state.json');
      const { h1 } = await twoSaves(statePath);
      fs.truncateSync(statePath, 1000);
      const { logger, lines } = capture();

      const chain = await startChain(statePath, { logger });
      try {
        expect(await blockNumber(chain)).to.equal(h1);
        const warning = lines.find((l) => l.level === 40 && l.msg.includes('previous copy'));
        expect(warning?.msg).to.contain(`chain state file ${statePath} is not complete JSON (1000 bytes, truncated?)`);
        expect(warning?.msg).to.contain(`starting from the previous copy ${statePath}.prev (`).and.to.contain(`head ${h1})`);
        expect(warning?.fallbackBlocks).to.equal(h1 + 1);
        expect(checkStateFile(statePath)).to.include({ ok: true, head: h1 });
        expect(fs.statSync(`${statePath}.bad`).size).to.equal(1000);
      } finally {
        await chain.stop();
      }
    });

    it('When the state file is missing but .prev is good, Then the start uses .prev and says the file is missing', async () => {
      const statePath = path.join(tempDir(), 'anvil-state.json');
      const { h1 } = await twoSaves(statePath);
      fs.rmSync(statePath);
      const { logger, lines } = capture();
      const chain = await startChain(statePath, { logger });
      try {
        expect(await blockNumber(chain)).to.equal(h1);
        expect(lines.some((l) => l.level === 40 && l.msg.startsWith(`chain state file ${statePath} is missing; starting from the previous copy`))).to.equal(true);
      } finally {
        await chain.stop();
      }
    });

    it('When the state file is JSON that anvil refuses, Then the start falls back to .prev and gives anvil\'s reason', async () => {
      const statePath = path.join(tempDir(), 'anvil-state.json');
      const { h1 } = await twoSaves(statePath);
      fs.writeFileSync(statePath, JSON.stringify({ block: { number: 'not a number' } }));
      const { logger, lines } = capture();
      const chain = await startChain(statePath, { logger });
      try {
        expect(await blockNumber(chain)).to.equal(h1);
        const warning = lines.find((l) => l.level === 40 && l.msg.includes('previous copy'));
        expect(warning?.msg).to.contain(`chain state file ${statePath} is refused by anvil (`);
      } finally {
        await chain.stop();
      }
    });

    it('When both the state file and .prev are damaged, Then the start is refused naming both files, and no node is left running', async () => {
      const statePath = path.join(tempDir(), 'anvil-state.json');
      await twoSaves(statePath);
      fs.truncateSync(statePath, 500);
      fs.writeFileSync(`${statePath}.prev`, '{"not":"a state"}');
      const port = await freePort();

      const err = await rejection(EmbeddedChain.start({ port, statePath, saveIntervalMs: 0 }));
      expect(err.message).to.contain(`${statePath} is not complete JSON (500 bytes, truncated?)`);
      expect(err.message).to.contain(`the previous copy ${statePath}.prev is not an anvil state`);
      expect(err.message).to.contain('Refusing to start an empty chain');
      expect(await portInUse(port)).to.equal(false);
    });

    it("When the data directory holds only the file anvil's own --state wrote (an older traceledger), Then it is loaded", async () => {
      const statePath = path.join(tempDir(), 'anvil-state.json');
      const plain = await startAnvil({ port: 0, statePath });
      const provider = jsonRpcProvider(plain.rpcUrl, { pollingInterval: 50 });
      const to = Wallet.createRandom().address;
      try {
        await (await accountSigner(ANVIL_DEV_KEYS[0], provider).signer.sendTransaction({ to, value: 7n })).wait();
      } finally {
        provider.destroy();
        await plain.stop(); // anvil dumps its state on SIGINT
      }
      expect(fs.existsSync(`${statePath}.prev`)).to.equal(false);

      const chain = await startChain(statePath);
      try {
        expect(await balance(chain, to)).to.equal(7n);
      } finally {
        await chain.stop();
      }
    });
  });

  describe('in the system (bootTestSystem, background saves off)', () => {
    let sys: System;
    afterEach(async () => sys?.stop());

    it('When the node is killed after a registration was answered and a checkpoint confirmed, Then both are on the chain after the supervisor restarted it, and anchoring resumes', async () => {
      sys = await bootTestSystem({ env: { ANCHOR_EVERY_ENTRIES: '1', ANCHOR_EVERY_SECONDS: '0' }, embeddedChain: { saveIntervalMs: 0, restartMinMs: 100 } });
      const lab = await registerLab(sys);
      await storeReportBatch(sys);
      await sys.ingest.submitSigned(await signedReport(sys, lab.key));
      const confirmed = await eventually(async () => {
        const cp = await sys.store.latestCheckpoint('products', 'confirmed');
        return cp?.size === 2 && cp;
      });
      const producerId = await sys.registries.registerProducer('旬阳县富硒茶业有限公司', USCC.client);

      await sys.anvil!.kill();
      expect((await checkHealth(sys)).chain).to.include({ ok: false, node: 'restarting' });
      const during = await sys.ingest.submitSigned(await signedReport(sys, lab.key));
      expect(during.status).to.equal('accepted');
      await eventually(async () => sys.embeddedChain!.status().state === 'running');

      expect(Number((await sys.registries.participants.getParticipant(producerId)).registeredAt)).to.be.greaterThan(0);
      expect(await sys.chain.rootAt(chainLogId('products'), 2)).to.equal(confirmed.root);
      expect(await sys.provider.getTransactionReceipt(confirmed.txHash!)).to.not.equal(null);
      // The record accepted while the node was down is anchored after the restart, with no restart of the system.
      await eventually(async () => (await sys.store.latestCheckpoint('products', 'confirmed'))?.size === 3, 60_000);
      expect((await sys.chain.latest(chainLogId('products'))).size).to.equal(3);
      const health = await checkHealth(sys);
      expect(health.chain, JSON.stringify(health)).to.include({ ok: true, node: 'running' });
    });

    it('When the system stops, Then the node is not restarted and the next boot finds the chain as it was', async () => {
      const dataDir = tempDir();
      sys = await bootTestSystem({ dataDir, embeddedChain: { saveIntervalMs: 0, restartMinMs: 100 } });
      const port = sys.anvil!.port;
      const producerId = await sys.registries.registerProducer('旬阳县富硒茶业有限公司', USCC.client);
      await sys.stop();
      expect(sys.embeddedChain!.status().state).to.equal('stopped');
      expect(await portInUse(port)).to.equal(false);

      sys = await bootTestSystem({ dataDir });
      expect(Number((await sys.registries.participants.getParticipant(producerId)).registeredAt)).to.be.greaterThan(0);
    });

    it('When a save fails, Then a registry write answers storage-unavailable (503) and succeeds once the disk is back', async () => {
      sys = await bootTestSystem({ embeddedChain: { saveIntervalMs: 0 } });
      const statePath = sys.config.chainStatePath;
      fs.mkdirSync(`${statePath}.tmp`);
      const err = await rejection(sys.registries.registerProducer('旬阳县富硒茶业有限公司', USCC.client));
      expect(isAppError(err, 'storage-unavailable'), String(err)).to.equal(true);
      const health = await checkHealth(sys);
      expect(health.chain.ok).to.equal(false);
      expect(health.chain.error).to.contain('chain state not durable');

      fs.rmdirSync(`${statePath}.tmp`);
      await sys.registries.registerDepartment('安康市市场监督管理局', USCC.requestingDepartment);
      expect((await checkHealth(sys)).chain.ok).to.equal(true);
    });
  });
});
