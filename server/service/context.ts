/**
 * What the use cases are given: the running back end as they see it, and, for the ways in (HTTP
 * routes, pages), its read paths. server/system.ts builds the back end (adding the configuration
 * and the embedded chain node); server/http/context.ts adds the system to the read paths.
 */
import type { Logger } from 'pino';
import type { LeadershipStatus } from '../anchoring/leadership';
import type { AnchoringWorker } from '../anchoring/worker';
import type { Deployment } from '../chain/deploy';
import type { EmbeddedChainStatus } from '../chain/embedded';
import type { JsonRpcProvider } from '../chain/provider';
import type { SerializedSigner } from '../chain/serialized-signer';
import type { ChainReader } from '../chain/reader';
import type { ParticipantMirror, Registries } from '../chain/registry';
import type { TraceLedgerChain } from '../chain/traceledger';
import type { Store } from '../store/types';
import type { IngestService } from './ingest';

/** The settings use cases read (the full configuration lives in server/config/). */
export interface ServiceSettings {
  /** Days a data-sharing delivery may wait for its receipt before an alert is raised. */
  COUNTERSIGN_DAYS: number;
  /** /healthz is degraded once anchoring lags this many seconds (default 120). */
  ANCHOR_LAG_DEGRADED_SECONDS?: number;
  /** The data directory, whose free space /healthz reports. */
  DATA_DIR?: string;
  /** /healthz is degraded below this many MB free in DATA_DIR (default 64). */
  DISK_FREE_MIN_MB?: number;
}

/** The running back end: store, chain access, the anchoring worker and ingest. */
export interface Services {
  config: ServiceSettings;
  logger: Logger;
  store: Store;
  provider: JsonRpcProvider;
  /** The operator's account (deployer / anchorer), nonces managed locally. */
  operator: SerializedSigner;
  operatorAddress: string;
  deployment: Deployment;
  chain: TraceLedgerChain;
  registries: Registries;
  mirror: ParticipantMirror;
  worker: AnchoringWorker;
  /** This instance's part among the instances sharing its database (server/anchoring/leadership.ts). */
  leadership?: () => LeadershipStatus;
  ingest: IngestService;
  /** The embedded chain node's supervisor (running, restarting, last save); undefined with RPC_URL. */
  embeddedChain?: { status(): EmbeddedChainStatus };
}

/** The back end and its read paths, as routes, pages and the use cases they call are given them. */
export interface ServiceContext {
  sys: Services;
  /** Chain reads for verification, with immutable answers cached. */
  reader: ChainReader;
  /** Base of the URLs printed on labels and in links, without a trailing slash (e.g. https://trace.example.cn). */
  publicBaseUrl: string;
  /** A JSON-RPC URL the consumer's browser may call itself (PUBLIC_RPC_URL), if any. */
  publicRpcUrl: string | undefined;
}
