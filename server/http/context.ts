/** What every route, page and service of the HTTP layer is given: the running system and its read paths. */
import { CachedChainReader } from '../chain/cached-reader';
import { RpcChainReader, type ChainReader } from '../chain/reader';
import type { System } from '../system';

export interface AppContext {
  sys: System;
  /** Chain reads for verification, with immutable answers cached. */
  reader: ChainReader;
  /** Base of the URLs printed on labels and in links, without a trailing slash (e.g. https://trace.example.cn). */
  publicBaseUrl: string;
  /** A JSON-RPC URL the consumer's browser may call itself (PUBLIC_RPC_URL), if any. */
  publicRpcUrl: string | undefined;
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
