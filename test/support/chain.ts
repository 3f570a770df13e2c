/** Chain helpers for tests that run traceledger against an external node (RPC_URL). */
import { Wallet } from 'ethers';

/** A fresh random private key given 1,000 ether on the anvil node at `rpcUrl` (anvil_setBalance). */
export async function fundedKey(rpcUrl: string): Promise<string> {
  const wallet = Wallet.createRandom();
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setBalance', params: [wallet.address, `0x${(1000n * 10n ** 18n).toString(16)}`] }),
  });
  const body = (await res.json()) as { error?: { message?: string } };
  if (body.error) throw new Error(`anvil_setBalance: ${body.error.message ?? 'error'}`);
  return wallet.privateKey;
}
