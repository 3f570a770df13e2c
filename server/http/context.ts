/** What every route and page of the HTTP layer is given: the running system and its read paths. */
import { CachedChainReader } from '../chain/cached-reader';
import { RpcChainReader } from '../chain/reader';
import type { ServiceContext } from '../service/context';
import type { System } from '../system';

/** Path of the read-only JSON-RPC relay for the consumer's browser (routes/chain-rpc.ts). */
export const CHAIN_RPC_ROUTE = '/api/v1/chain/rpc';

/** The use cases' context (server/service/context.ts) over the whole booted system, configuration included. */
export interface AppContext extends ServiceContext {
  sys: System;
}

export function createContext(sys: System): AppContext {
  const base = sys.config.PUBLIC_BASE_URL ?? `http://localhost:${sys.config.PORT}`;
  const publicBaseUrl = (/^https?:\/\//.test(base) ? base : `https://${base}`).replace(/\/+$/, '');
  return {
    sys,
    reader: new CachedChainReader(new RpcChainReader(sys.provider, sys.deployment), sys.store),
    publicBaseUrl,
    // Without PUBLIC_RPC_URL the browser reads the chain through the server's own read-only relay (routes/chain-rpc.ts).
    publicRpcUrl: sys.config.PUBLIC_RPC_URL ?? `${publicBaseUrl}${CHAIN_RPC_ROUTE}`,
  };
}
