/** Chain helpers for tests that run traceledger against an external node (RPC_URL): anvil or hardhat node, started and stopped here. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Wallet } from 'ethers';
import { freePort, rpcAnswers, startAnvil, withParentDeathSignal, type AnvilOptions } from '../../server/chain/anvil';

/** The EVM implementations the chain tests run on. */
export const CHAIN_KINDS = ['anvil', 'hardhat'] as const;
export type ChainKind = (typeof CHAIN_KINDS)[number];

/** A chain node started by a test, as an external chain the system reaches through RPC_URL. */
export interface ExternalChain {
  readonly kind: ChainKind;
  readonly rpcUrl: string;
  /** Stops the node and waits for it to end. */
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message ?? 'error'}`);
  return body.result;
}

/**
 * Starts Hardhat Network as a JSON-RPC server (`hardhat node`, from the project's own hardhat package) on
 * 127.0.0.1:`port` (default a free one) and resolves once it answers. Chain id 31337, one block per transaction.
 */
export async function startHardhatNode(opts: { port?: number } = {}): Promise<ExternalChain> {
  const port = opts.port ?? (await freePort());
  const cli = require.resolve('hardhat/internal/cli/cli.js', { paths: [ROOT] });
  const [command, args] = withParentDeathSignal(process.execPath, [cli, 'node', '--hostname', '127.0.0.1', '--port', String(port)]);
  // It logs every call on stdout: dropped. Its config is the project's (hardhat.config.ts), so it runs from the root.
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' } });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (!(await rpcAnswers(rpcUrl))) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited with code ${child.exitCode}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`hardhat node did not answer on ${rpcUrl} within 90 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    kind: 'hardhat',
    rpcUrl,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts a chain node of kind `kind` as an external chain (anvil with `anvil` options, or hardhat node). */
export async function startExternalChain(kind: ChainKind, anvil: AnvilOptions = {}): Promise<ExternalChain> {
  if (kind === 'hardhat') return startHardhatNode();
  const node = await startAnvil(anvil);
  return { kind, rpcUrl: node.rpcUrl, stop: () => node.stop() };
}

/**
 * A fresh random private key given 1,000 ether on the dev node at `rpcUrl`: anvil (anvil_setBalance) or Hardhat
 * Network (hardhat_setBalance), whichever answers.
 */
export async function fundedKey(rpcUrl: string): Promise<string> {
  const wallet = Wallet.createRandom();
  const params = [wallet.address, `0x${(1000n * 10n ** 18n).toString(16)}`];
  try {
    await rpc(rpcUrl, 'anvil_setBalance', params);
  } catch (anvilError) {
    await rpc(rpcUrl, 'hardhat_setBalance', params).catch(() => {
      throw anvilError;
    });
  }
  return wallet.privateKey;
}
