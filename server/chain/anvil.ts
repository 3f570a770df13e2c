/**
 * Starts and stops a real local chain node (foundry's anvil, from npm). The server's embedded node
 * (server/chain/embedded.ts) loads a state file the server saved itself (`loadStatePath`); `statePath`
 * is anvil's own persistence (dumped every few seconds and on a clean exit, rewritten in place: a
 * kill rolls it back), kept for tests that run a plain node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** The well-known first dev account of anvil's default mnemonic ("test test … junk"). Local use only. */
export const ANVIL_DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
] as const;

export interface AnvilOptions {
  /** 127.0.0.1 port; 0 picks a free one. */
  port?: number;
  /**
   * anvil's own persistence: the file to load the state from at start and dump it to every
   * `stateIntervalSeconds` and on SIGINT. Not crash-safe (see server/chain/embedded.ts); for plain test nodes.
   */
  statePath?: string;
  stateIntervalSeconds?: number;
  /** A state file (anvil's JSON dump) to load at start, without dumping back to it. Exclusive with statePath. */
  loadStatePath?: string;
  /** Seconds between blocks; undefined = mine one block per transaction. */
  blockTime?: number;
  chainId?: number;
  /** Timestamp (seconds) of the genesis block: a chain that starts at a fixed time, for reproducible fixtures. */
  genesisTimestamp?: number;
  /** Base fee per gas of the genesis block (wei); 0 with gasPrice 0 accepts legacy transactions priced 0, as a consortium chain does. */
  baseFee?: number;
  /** The gas price the node suggests (eth_gasPrice, wei). */
  gasPrice?: number;
  /** The EVM hardfork, e.g. 'paris' (default: anvil's latest). */
  hardfork?: string;
}

export interface AnvilNode {
  readonly rpcUrl: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Sends SIGINT (with `statePath`, anvil dumps its state on exit) and waits for it to end. */
  stop(): Promise<void>;
  /** Kills it at once, without dumping state: simulates a crash or an outage. */
  kill(): Promise<void>;
}

/**
 * Path of the anvil binary, shipped by foundry's npm package for this platform
 * (`@foundry-rs/anvil-linux-amd64`, an optional dependency; on another platform install the
 * matching `@foundry-rs/anvil-<os>-<arch>` package).
 */
export function anvilBinary(): string {
  const os = process.platform === 'win32' ? 'win32' : process.platform;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = `@foundry-rs/anvil-${os}-${arch}`;
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`the anvil chain node for ${os}-${arch} is not installed: run npm install (or npm install ${pkg})`);
  }
  const bin = path.join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  if (!fs.existsSync(bin)) throw new Error(`anvil binary not found at ${bin}; run npm install`);
  return bin;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something already listens on 127.0.0.1:`port` (or holds it on every address). */
export async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(true) : reject(e)));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

/**
 * Starts anvil and resolves once its JSON-RPC answers. Refuses a `port` something already
 * listens on: the node answering there would not be this one.
 */
export async function startAnvil(opts: AnvilOptions = {}): Promise<AnvilNode> {
  if (opts.port && opts.port > 0 && (await portInUse(opts.port))) throw new Error(`port ${opts.port} on 127.0.0.1 is already in use; cannot start a chain node there`);
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(opts.chainId ?? 31337), '--silent'];
  if (opts.statePath) {
    fs.mkdirSync(path.dirname(opts.statePath), { recursive: true });
    args.push('--state', opts.statePath, '--state-interval', String(opts.stateIntervalSeconds ?? 2));
  } else if (opts.loadStatePath) {
    args.push('--load-state', opts.loadStatePath);
  }
  if (opts.blockTime !== undefined) args.push('--block-time', String(opts.blockTime));
  if (opts.genesisTimestamp !== undefined) args.push('--timestamp', String(opts.genesisTimestamp));
  if (opts.baseFee !== undefined) args.push('--base-fee', String(opts.baseFee));
  if (opts.gasPrice !== undefined) args.push('--gas-price', String(opts.gasPrice));
  if (opts.hardfork !== undefined) args.push('--hardfork', opts.hardfork);
  const [command, commandArgs] = withParentDeathSignal(anvilBinary(), args);
  // In a process group of its own where the parent-death signal ends it with this process: a terminal's Ctrl-C (SIGINT
  // to the whole foreground group) then reaches only this process, which saves the chain state before it stops the
  // node. In this process's group, the node got the signal too and exited first: the last save at stop failed.
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'ignore', 'pipe'], detached: SETPRIV !== undefined });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const rpcUrl = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode}: ${stderr.trim()}`);
    if (await rpcAnswers(rpcUrl)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`anvil did not answer on ${rpcUrl} within 30 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const waitExit = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    rpcUrl,
    port,
    process: child,
    stop: () => waitExit('SIGINT'),
    kill: () => waitExit('SIGKILL'),
  };
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => process.platform === 'linux' && fs.existsSync(p));

/**
 * On Linux (with util-linux's setpriv), the node gets SIGKILL when this process dies, even by kill -9:
 * an orphaned node would hold CHAIN_PORT and refuse the next start. Elsewhere the command as is.
 */
export function withParentDeathSignal(bin: string, args: string[]): [string, string[]] {
  return SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
}

/** True when a JSON-RPC node answers eth_chainId at `url` within a second. */
export async function rpcAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    return res.ok;
  } catch {
    return false;
  }
}
