/** server/chain/wait: start-up waits for the chain node (RPC_URL) to answer, with backoff, then fails naming the URL and CHAIN_WAIT_SECONDS. */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import pino from 'pino';
import { ANVIL_DEV_KEYS, freePort, startAnvil, type AnvilNode } from '../../../server/chain/anvil';
import { ChainUnreachableError, redactRpcUrl, waitForChain } from '../../../server/chain/wait';
import { LOCK_FILE } from '../../../server/config/lock';
import { bootTestSystem, tempDir } from '../../support/system';
import { rejection } from '../../support/assertions';

/** A pino logger whose lines the test can read. */
function recordingPino() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { logger, lines };
}

// The node starts after boot begins, so no key can be funded beforehand: anvil's dev key, allowed for this throwaway chain.
const externalChain = (port: number, seconds: number) => ({ RPC_URL: `http://127.0.0.1:${port}`, SIGNER_KEY: ANVIL_DEV_KEYS[0], ALLOW_DEV_KEYS: 'true', CHAIN_WAIT_SECONDS: String(seconds) });

describe('server/chain/wait (real anvil node)', function () {
  this.timeout(120_000);

  it('When the external node starts a few seconds after boot begins, Then boot waits for it, logging each failed attempt with the URL and the error, and comes up', async () => {
    const port = await freePort();
    const { logger, lines } = recordingPino();
    let anvil: AnvilNode | undefined;
    const late = new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        startAnvil({ port }).then((node) => {
          anvil = node;
          resolve();
        }, reject);
      }, 3000);
    });
    try {
      const sys = await bootTestSystem({ env: externalChain(port, 60), logger, manualWorker: true });
      try {
        expect(sys.rpcUrl).to.equal(`http://127.0.0.1:${port}`);
        expect(await sys.provider.getCode(sys.deployment.traceLedger)).to.not.equal('0x');
      } finally {
        await sys.stop();
      }
      const failed = lines.filter((l) => l.msg === 'the chain node does not answer yet; will retry');
      expect(failed.length).to.be.at.least(2);
      expect(failed[0]).to.deep.include({ rpcUrl: `http://127.0.0.1:${port}`, attempt: 1 });
      expect(failed[0]!.err).to.match(/ECONNREFUSED/);
      expect(lines.find((l) => l.msg === 'the chain node answers')).to.deep.include({ chainId: 31337, attempts: failed.length + 1 });
    } finally {
      await late;
      await anvil?.stop();
    }
  });

  it('When no node answers within CHAIN_WAIT_SECONDS, Then boot fails naming the URL, the last error and the setting, and leaves the data directory unlocked', async () => {
    const port = await freePort();
    const dataDir = tempDir();

    const err = await rejection(bootTestSystem({ dataDir, env: externalChain(port, 2) }));

    expect(err).to.be.instanceOf(ChainUnreachableError);
    expect(err.message).to.match(new RegExp(`^the chain node at http://127\\.0\\.0\\.1:${port} did not answer eth_chainId / eth_blockNumber within CHAIN_WAIT_SECONDS=2 \\(\\d+ attempts; last error: .*ECONNREFUSED`));
    expect(err.message).to.match(/Start the node or check RPC_URL, or raise CHAIN_WAIT_SECONDS\.$/);
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).to.equal(false);
  });

  it('When CHAIN_WAIT_SECONDS is 0, Then one attempt is made and its error reported', async () => {
    const port = await freePort();
    const err = await rejection(waitForChain(`http://127.0.0.1:${port}`, { seconds: 0 }));
    expect(err.message).to.match(/within CHAIN_WAIT_SECONDS=0 \(1 attempt; last error: .*ECONNREFUSED/);
  });

  it('When something answers but not as a chain node (a proxy with no node behind it), Then the wait goes on and the HTTP status is the error', async () => {
    const server = http.createServer((_req, res) => res.writeHead(502, 'Bad Gateway').end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const err = await rejection(waitForChain(`http://127.0.0.1:${port}/rpc`, { seconds: 1, initialDelayMs: 100 }));
      expect(err.message).to.match(/\(\d+ attempts; last error: HTTP 502 Bad Gateway for eth_chainId\)/);
    } finally {
      server.close();
    }
  });

  it('When the URL carries credentials or an API key, Then what is logged shows neither', () => {
    expect(redactRpcUrl('https://user:secret@mainnet.example.io/v3/0123456789abcdef0123456789abcdef?token=x')).to.equal('https://mainnet.example.io/v3/0123…');
    expect(redactRpcUrl('http://127.0.0.1:8545')).to.equal('http://127.0.0.1:8545');
  });
});
