/**
 * Boots the whole back end as `npm start` does: the chain (embedded anvil or RPC_URL), the
 * contracts (deployed on first run), the store, the participant mirror and the anchoring worker.
 */
import fs from 'node:fs';
import pino, { type Logger } from 'pino';
import { AnchoringWorker } from './anchoring/worker';
import { ANVIL_DEV_KEYS, portInUse, type AnvilNode } from './chain/anvil';
import { EmbeddedChain, type EmbeddedChainOptions } from './chain/embedded';
import { ensureDeployment, type Deployment } from './chain/deploy';
import { accountSigner, jsonRpcProvider } from './chain/provider';
import { ParticipantMirror, Registries } from './chain/registry';
import { TraceLedgerChain } from './chain/traceledger';
import { waitForChain } from './chain/wait';
import type { Config } from './config';
import { lockDataDir } from './config/lock';
import type { Services } from './service/context';
import type { RedeployInput } from './service/redeploy';
import { IngestService } from './service/ingest';
import { inlineVerifier, workerVerifier } from './service/verify-pool';
import { openSqliteStore } from './store/sqlite';
import { LOG_IDS } from './store/types';

/** The booted back end: the services the use cases see (server/service/context.ts), with the configuration and the chain node. */
export interface System extends Services {
  config: Config;
  /** The embedded chain node's handle (stop: saved and never restarted; kill: the supervisor restarts it); undefined with RPC_URL. */
  anvil: AnvilNode | undefined;
  /** The embedded chain: durable state saves, the durability barrier, the supervisor; undefined with RPC_URL. */
  embeddedChain: EmbeddedChain | undefined;
  rpcUrl: string;
  stop(): Promise<void>;
}

export interface BootOptions {
  logger?: Logger;
  /** Do not start the worker loop (tests drive it). */
  manualWorker?: boolean;
  /** How often the participant mirror polls the chain. */
  mirrorIntervalMs?: number;
  /** Tuning of the embedded chain (background saves, restart backoff, the state writer), for tests. */
  embeddedChain?: Pick<EmbeddedChainOptions, 'saveIntervalMs' | 'restartMinMs' | 'restartMaxMs' | 'writer'>;
  /**
   * `traceledger chain redeploy`: instead of ensureDeployment (which refuses a saved deployment whose contracts are
   * gone), deploy new contracts and carry the store's participants over (server/service/redeploy.ts).
   */
  redeploy?: (ctx: RedeployInput) => Promise<Deployment>;
}

function operatorKey(config: Config): string {
  if (config.SIGNER_KEY) return config.SIGNER_KEY;
  if (config.SIGNER_KEY_FILE) return fs.readFileSync(config.SIGNER_KEY_FILE, 'utf8').trim();
  // Embedded development chain only: anvil's first funded dev account.
  return ANVIL_DEV_KEYS[0];
}

export async function bootSystem(config: Config, opts: BootOptions = {}): Promise<System> {
  const logger = opts.logger ?? pino({ level: config.LOG_LEVEL });
  fs.mkdirSync(config.DATA_DIR, { recursive: true });
  // One traceledger per data directory: a second would fork the chain state and race on the database.
  const lock = lockDataDir(config.DATA_DIR, {
    onStale: (stale, lockPath) => logger.warn({ lockPath, stalePid: stale?.pid, staleSince: stale?.startedAt }, 'took over a stale data directory lock (its process is gone)'),
  });

  let embedded: EmbeddedChain | undefined;
  let rpcUrl = config.RPC_URL;
  let store: ReturnType<typeof openSqliteStore>;
  try {
    if (!rpcUrl) {
      // Never attach to a node already listening there (another project's, or one left over from a crash): its chain is not ours.
      if (config.CHAIN_PORT > 0 && (await portInUse(config.CHAIN_PORT))) {
        throw new Error(`CHAIN_PORT ${config.CHAIN_PORT} is already in use (another chain node?); stop it, or set CHAIN_PORT`);
      }
      // The server saves the node's state itself (durably, before it acknowledges anything) and restarts the node if it dies.
      embedded = await EmbeddedChain.start({ ...opts.embeddedChain, port: config.CHAIN_PORT, statePath: config.chainStatePath, logger });
      rpcUrl = embedded.rpcUrl;
      logger.info({ rpcUrl, state: config.chainStatePath, block: embedded.status().durableBlock }, 'embedded chain node started');
    }
    store = openSqliteStore(config.dbPath);
  } catch (e) {
    await embedded?.stop({ save: false });
    lock.release();
    throw e;
  }
  try {
    // An external node may come up after us, or be briefly unreachable: wait for it rather than fail on the first error.
    await waitForChain(rpcUrl, { seconds: config.CHAIN_WAIT_SECONDS, logger });
    const provider = jsonRpcProvider(rpcUrl, { pollingInterval: 250 });
    const { wallet, signer: operator, address: operatorAddress } = accountSigner(operatorKey(config), provider);
    // With RPC_URL there is no barrier: confirmations make a block count.
    const ensureDurable = embedded ? (block: number, hash?: string) => embedded.ensureDurable(block, hash) : undefined;
    const { deployment, fresh } = opts.redeploy
      ? { deployment: await opts.redeploy({ store, operator, provider, deploymentPath: config.deploymentPath, logger, ensureDurable }), fresh: true }
      : await ensureDeployment(config.deploymentPath, operator, { ensureDurable });
    logger.info({ ...deployment, fresh }, fresh ? 'contracts deployed' : 'contracts found');
    // New contracts (first run, or a redeploy): what we mirrored from the old ones no longer holds.
    if (fresh) await store.resetMirror();

    const chain = new TraceLedgerChain(deployment.chainId, deployment.traceLedger, provider, operator);
    const registries = new Registries(deployment, operator, { ensureDurable });
    const mirror = new ParticipantMirror(store, deployment, provider, logger);
    await mirror.sync();

    const worker = new AnchoringWorker(store, chain, {
      logIds: LOG_IDS,
      everyEntries: config.ANCHOR_EVERY_ENTRIES,
      everySeconds: config.ANCHOR_EVERY_SECONDS,
      confirmations: config.CONFIRMATIONS,
      ensureDurable,
      logger,
    });
    if (!opts.manualWorker) await worker.start();
    // After the supervisor restarted a dead node from its last save: what was sent after that save is gone.
    // Nonces are re-read; the worker finds its lost checkpoints (orphaned, anchored again) and the mirror re-reads.
    embedded?.onRestart(async () => {
      operator.reset();
      // In the worker's loop (never racing a pass); retried by the loop if the node fails again meanwhile.
      await worker.checkChain({ reconcile: true }).catch((e: Error) => logger.error({ err: e.message }, 'reconciling anchoring after the chain node restarted failed; the worker retries'));
      await mirror.sync().catch((e: Error) => logger.warn({ err: e.message }, 'participant mirror sync after the chain node restarted failed; will retry'));
      worker.poke();
    });
    const binding = { chainId: deployment.chainId, verifyingContract: deployment.traceLedger };
    const verifier = config.INGEST_THREADS > 0 ? workerVerifier(binding, config.INGEST_THREADS) : inlineVerifier(binding);
    const ingest = new IngestService(store, binding, wallet, {
      onAccepted: () => worker.poke(),
      verifier,
      issuedAtWindow: { maxAgeSeconds: config.ISSUED_AT_MAX_AGE_SECONDS, maxAheadSeconds: config.ISSUED_AT_MAX_AHEAD_SECONDS },
    });

    let mirrorTimer: NodeJS.Timeout | undefined;
    const mirrorEvery = opts.mirrorIntervalMs ?? 2000;
    if (mirrorEvery > 0) {
      mirrorTimer = setInterval(() => {
        mirror.sync().catch((e: Error) => logger.warn({ err: e.message }, 'participant mirror sync failed; will retry'));
      }, mirrorEvery);
      mirrorTimer.unref();
    }

    return {
      config,
      logger,
      store,
      provider,
      operator,
      operatorAddress,
      deployment,
      chain,
      registries,
      mirror,
      worker,
      ingest,
      anvil: embedded?.handle(),
      embeddedChain: embedded,
      rpcUrl,
      async stop() {
        try {
          if (mirrorTimer) clearInterval(mirrorTimer);
          await worker.stop();
          await verifier.close();
          provider.destroy();
          await store.close();
          // Saves the chain state, then stops the node (anvil itself no longer writes state).
          await embedded?.stop();
        } finally {
          lock.release();
        }
      },
    };
  } catch (e) {
    await store.close();
    // A refused boot saves nothing: its chain may be the empty one of a lost state file the operator will restore.
    await embedded?.stop({ save: false });
    lock.release();
    throw e;
  }
}
