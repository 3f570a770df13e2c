/**
 * The CLI's chain access: a JSON-RPC endpoint probed before use (an unreachable node is one clear
 * line, never ethers' endless retry), the deployment file, the key of the registrar, and a
 * registrar whose participant mirror lives in memory for the life of one command.
 */
import { readDeployment, type Deployment } from '../chain/deploy';
import { accountSigner, jsonRpcProvider, type JsonRpcProvider, type NonceManager } from '../chain/provider';
import { ParticipantMirror, Registries } from '../chain/registry';
import { openSqliteStore } from '../store/sqlite';
import type { Store } from '../store/types';
import { CliError, EXIT, unusable } from './errors';
import { readKeyFile } from './io';

/** How long to wait for the node to answer the first call. */
const PROBE_TIMEOUT_MS = 10_000;

/** The chain id the endpoint at `url` reports. Throws (exit 2) when it cannot be reached or is not a JSON-RPC node. */
export async function probeRpc(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<number> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw unusable(`--rpc ${url} is not a URL (e.g. http://127.0.0.1:8545)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw unusable(`--rpc ${url}: only http and https endpoints are supported`);
  let body: unknown;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    body = await res.json();
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw unusable(`cannot reach the chain at ${url}: ${why}`, e);
  }
  const result = (body as { result?: unknown } | null)?.result;
  if (typeof result !== 'string' || !/^0x[0-9a-f]+$/i.test(result)) throw unusable(`${url} did not answer eth_chainId like a JSON-RPC node`);
  return Number(BigInt(result));
}

/** A provider for `url` whose network is the probed chain id (so ethers never retries detection). */
export async function connect(url: string): Promise<{ provider: JsonRpcProvider; chainId: number }> {
  const chainId = await probeRpc(url);
  const provider = jsonRpcProvider(url, { chainId, pollingInterval: 500 });
  return { provider, chainId };
}

/** The deployment file's contracts; they must be on the chain `chainId`. */
export function loadDeployment(file: string, chainId: number): Deployment {
  let deployment: Deployment | undefined;
  try {
    deployment = readDeployment(file);
  } catch (e) {
    throw unusable(`${file} is not a traceledger deployment file: ${(e as Error).message.split('\n')[0]}`, e);
  }
  if (!deployment) throw unusable(`no deployment file ${file} (write one with: traceledger deploy --out ${file})`);
  if (deployment.chainId !== chainId) throw new CliError(`${file} is a deployment on chain ${deployment.chainId}, but the endpoint is chain ${chainId}`, EXIT.UNUSABLE);
  return deployment;
}

/** The signer of a key file on `provider`, nonces managed locally. */
export function signerFromKeyFile(file: string, provider: JsonRpcProvider): { signer: NonceManager; address: string } {
  const { signer, address } = accountSigner(readKeyFile(file), provider);
  return { signer, address };
}

/** What the participant use cases need: the registries (as the key file's account) and a mirror in memory. */
export interface CliRegistrar {
  store: Store;
  registries: Registries;
  mirror: ParticipantMirror;
  deployment: Deployment;
  close(): Promise<void>;
}

/** Opens the registries of `deployment` and mirrors them into an in-memory store. */
export async function openRegistrar(opts: { rpc: string; deployment: string; keyFile?: string }): Promise<CliRegistrar> {
  const { provider, chainId } = await connect(opts.rpc);
  const deployment = loadDeployment(opts.deployment, chainId);
  const runner = opts.keyFile ? signerFromKeyFile(opts.keyFile, provider).signer : provider;
  const store = openSqliteStore(':memory:');
  const mirror = new ParticipantMirror(store, deployment, provider);
  await mirror.sync();
  return {
    store,
    registries: new Registries(deployment, runner),
    mirror,
    deployment,
    async close() {
      await store.close();
      provider.destroy();
    },
  };
}
