/** What every route and page of the HTTP layer is given: the running system and its read paths. */
import { CachedChainReader } from '../chain/cached-reader';
import { RpcChainReader } from '../chain/reader';
import type { ServiceContext } from '../service/context';
import type { System } from '../system';

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
    publicRpcUrl: sys.config.PUBLIC_RPC_URL,
  };
}
