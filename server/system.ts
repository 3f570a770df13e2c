/**
 * Boots the whole back end as `npm start` does: the chain (embedded anvil or RPC_URL), the
 * contracts (deployed on first run), the store, the participant mirror and the anchoring worker.
 */
import fs from 'node:fs';
import pino, { type Logger } from 'pino';
import { Leadership, type LeadershipStatus } from './anchoring/leadership';
import { AnchoringWorker } from './anchoring/worker';
import { ANVIL_DEV_KEYS, portInUse, type AnvilNode } from './chain/anvil';
import { EmbeddedChain, type EmbeddedChainOptions } from './chain/embedded';
import { deploymentStatus, ensureDeployment, readDeployment, redeployCommand, type Deployment } from './chain/deploy';
import { isWellKnownDevKey, walletFromKey } from './chain/keys';
import { checkExternalOperatorKey, embeddedOperatorKey, fundOnEmbeddedNode, OPERATOR_KEY_FILE, readOperatorKeyFile } from './chain/operator-key';
import { jsonRpcProvider, type JsonRpcProvider } from './chain/provider';
import { SerializedSigner } from './chain/serialized-signer';
import { ParticipantMirror, Registries } from './chain/registry';
import { TraceLedgerChain } from './chain/traceledger';
import { waitForChain } from './chain/wait';
import type { Config } from './config';
import { secureDataDir, secureDataFiles } from './config/data-dir';
import { lockDataDir } from './config/lock';
import type { Services } from './service/context';
import type { RedeployInput } from './service/redeploy';
import { IngestService } from './service/ingest';
import { inlineVerifier, workerVerifier } from './service/verify-pool';
import { openStore } from './store';
import { LOG_IDS, type Store } from './store/types';

/** The booted back end: the services the use cases see (server/service/context.ts), with the configuration and the chain node. */
export interface System extends Services {
  config: Config;
  /** The embedded chain node's handle (stop: saved and never restarted; kill: the supervisor restarts it); undefined with RPC_URL. */
  anvil: AnvilNode | undefined;
  /** The embedded chain: durable state saves, the durability barrier, the supervisor; undefined with RPC_URL. */
  embeddedChain: EmbeddedChain | undefined;
  rpcUrl: string;
  /** This instance's part among the instances sharing its database (always the leader with SQLite). */
  leadership(): LeadershipStatus;
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

/** With RPC_URL: SIGNER_KEY or SIGNER_KEY_FILE, refused when it is a published dev key (unless ALLOW_DEV_KEYS). */
function externalOperatorKey(config: Config): string {
  const raw = config.SIGNER_KEY ?? (config.SIGNER_KEY_FILE ? fs.readFileSync(config.SIGNER_KEY_FILE, 'utf8').trim() : '');
  checkExternalOperatorKey(raw, config.ALLOW_DEV_KEYS);
  return raw.startsWith('0x') ? raw : `0x${raw}`;
}

/**
 * The embedded node's operator: DATA_DIR/operator-key, generated at the first start (or by a redeploy whose
 * contracts are gone), funded on the node. A data directory deployed before that with anvil's dev key keeps it,
 * with a warning saying how to move.
 */
async function embeddedOperator(config: Config, provider: JsonRpcProvider, logger: Logger, redeploy: boolean): Promise<string> {
  const saved = readDeployment(config.deploymentPath);
  let fresh = false;
  if (redeploy && saved && !readOperatorKeyFile(config.operatorKeyPath)) {
    const status = await deploymentStatus(config.deploymentPath, provider);
    fresh = status.kind === 'gone' || (status.kind === 'interrupted' && !status.replaced);
  }
  const op = embeddedOperatorKey({ keyFile: config.operatorKeyPath, deployedOperator: saved?.operator, fresh, devKey: ANVIL_DEV_KEYS[0] });
  const address = walletFromKey(op.key).address;
  if (op.source === 'generated') logger.info({ operator: address, keyFile: config.operatorKeyPath }, 'generated the operator key of this installation (mode 0600)');
  if (op.source === 'dev-legacy' || isWellKnownDevKey(op.key)) {
    logger.warn(
      { operator: address, dataDir: config.DATA_DIR },
      `the contracts of this data directory are operated by a published anvil dev key: anyone who reaches the chain node can act as the operator. ` +
        `To move to a key of its own: start with a fresh DATA_DIR (a new installation generates ${OPERATOR_KEY_FILE}), or, keeping the records, ` +
        `stop the server, move ${config.chainStatePath} and its .prev copy away and run \`${redeployCommand(config.DATA_DIR)}\` ` +
        `(new contracts operated by a new key in ${config.operatorKeyPath}, the participants carried over; see README, Troubleshooting)`,
    );
  }
  await fundOnEmbeddedNode(provider, address);
  return op.key;
}

export async function bootSystem(config: Config, opts: BootOptions = {}): Promise<System> {
  const logger = opts.logger ?? pino({ level: config.LOG_LEVEL });
  // Refused before anything starts: a published key outside the embedded node.
  const externalKey = config.RPC_URL ? externalOperatorKey(config) : undefined;
  // Only its owner may enter the data directory and read its files (the database, the keys, the chain state).
  secureDataDir(config.DATA_DIR);
  // One traceledger per data directory: a second would fork the chain state and race on the database.
  const lock = lockDataDir(config.DATA_DIR, {
    onStale: (stale, lockPath) => logger.warn({ lockPath, stalePid: stale?.pid, staleSince: stale?.startedAt }, 'took over a stale data directory lock (its process is gone)'),
  });

  let embedded: EmbeddedChain | undefined;
  let rpcUrl = config.RPC_URL;
  let store: Store;
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
    store = await openStore(config);
    // The database, -wal and -shm files just created take the umask's mode: narrow them.
    secureDataFiles(config.DATA_DIR);
  } catch (e) {
    await embedded?.stop({ save: false });
    lock.release();
    throw e;
  }
  try {
    // An external node may come up after us, or be briefly unreachable: wait for it rather than fail on the first error.
    await waitForChain(rpcUrl, { seconds: config.CHAIN_WAIT_SECONDS, logger });
    const provider = jsonRpcProvider(rpcUrl, { pollingInterval: 250, batchMaxCount: config.RPC_BATCH_MAX });
    const key = externalKey ?? (await embeddedOperator(config, provider, logger, opts.redeploy !== undefined));
    const wallet = walletFromKey(key).connect(provider);
    const operatorAddress = wallet.address;
    // The one nonce owner: every chain write of the operator, from any instance on this database, in turn.
    const operator = new SerializedSigner(wallet, (fn) => store.withLock('operator-chain-writes', fn));
    // With RPC_URL there is no barrier: confirmations make a block count.
    const ensureDurable = embedded ? (block: number, hash?: string) => embedded.ensureDurable(block, hash) : undefined;
    // Several instances on one database deploy once and share the deployment through it.
    const settle = async () =>
      opts.redeploy
        ? { deployment: await opts.redeploy({ store, operator, provider, deploymentPath: config.deploymentPath, logger, ensureDurable }), fresh: true }
        : await ensureDeployment(config.deploymentPath, operator, { ensureDurable });
    const { deployment, fresh } = config.DATABASE_URL ? await sharedDeployment(store, config.deploymentPath, settle) : await settle();
    logger.info({ ...deployment, fresh }, fresh ? 'contracts deployed' : 'contracts found');
    // New contracts (first run, or a redeploy): what we mirrored from the old ones no longer holds.
    if (fresh) await store.resetMirror();

    const chain = new TraceLedgerChain(deployment.chainId, deployment.traceLedger, provider, operator);
    const registries = new Registries(deployment, operator, { ensureDurable });
    const mirror = new ParticipantMirror(store, deployment, provider, logger);
    await mirror.sync();

    // On SQLite this process is the only instance (the data directory's lock): it leads from the start. On a shared
    // database the instances elect one leader through a lease in it, and the worker acts only while this one holds it.
    const leadership =
      config.DATABASE_URL && !opts.manualWorker
        ? new Leadership(store, { ttlMs: config.LEADER_LEASE_MS, renewMs: config.LEADER_RENEW_MS, onLead: () => lead(), onFollow: () => follow(), logger })
        : undefined;
    const worker = new AnchoringWorker(store, chain, {
      mayAct: () => !leadership || leadership.isLeader(),
      logIds: LOG_IDS,
      everyEntries: config.ANCHOR_EVERY_ENTRIES,
      everySeconds: config.ANCHOR_EVERY_SECONDS,
      confirmations: config.CONFIRMATIONS,
      ensureDurable,
      logger,
    });
    let mirrorTimer: NodeJS.Timeout | undefined;
    const mirrorEvery = opts.mirrorIntervalMs ?? 2000;
    const followChain = () => {
      if (mirrorEvery > 0 && !mirrorTimer) {
        mirrorTimer = setInterval(() => {
          mirror.sync().catch((e: Error) => logger.warn({ err: e.message }, 'participant mirror sync failed; will retry'));
        }, mirrorEvery);
        mirrorTimer.unref();
      }
    };
    // The leader's work: sequencing and anchoring, and following the chain's participants.
    const lead = async () => {
      await worker.start();
      followChain();
    };
    const follow = async () => {
      if (mirrorTimer) clearInterval(mirrorTimer);
      mirrorTimer = undefined;
      await worker.stop();
    };
    if (leadership) await leadership.start();
    else if (!opts.manualWorker) await lead();
    else followChain();
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
    const verifier =
      config.INGEST_THREADS > 0
        ? workerVerifier(binding, config.INGEST_THREADS, {
            onThreadFailure: ({ thread, error, refused, inline }) =>
              inline
                ? logger.warn({ thread, err: error.message }, 'the signature threads could not start; signatures are checked on the main thread (slower, the same answers)')
                : logger.error({ thread, err: error.message, refused }, 'a signature thread stopped; the submissions it held were refused as unavailable (nothing stored), and a new thread took its place'),
          })
        : inlineVerifier(binding);
    const ingest = new IngestService(store, binding, wallet, {
      onAccepted: () => worker.poke(),
      verifier,
      issuedAtWindow: { maxAgeSeconds: config.ISSUED_AT_MAX_AGE_SECONDS, maxAheadSeconds: config.ISSUED_AT_MAX_AHEAD_SECONDS },
    });

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
      leadership: () => leadership?.status() ?? { instance: 'local', leader: true, holder: 'local', term: null, since: null },
      async stop() {
        try {
          if (leadership) await leadership.stop();
          else await follow();
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

/**
 * The deployment, shared through the store by the instances on one database: under one lock, a deployment kept in
 * the database is written to this instance's deployment file before `ensure` reads it (so only the first instance
 * ever deploys), and what `ensure` settled on is kept in the database for the others.
 */
async function sharedDeployment(
  store: Store,
  deploymentPath: string,
  ensure: () => Promise<{ deployment: Deployment; fresh: boolean }>,
): Promise<{ deployment: Deployment; fresh: boolean }> {
  return store.withLock('deployment', async () => {
    const kept = await store.getKv(DEPLOYMENT_KV);
    const local = fs.existsSync(deploymentPath) ? fs.readFileSync(deploymentPath, 'utf8') : undefined;
    if (kept !== undefined && local !== kept) fs.writeFileSync(deploymentPath, kept, { mode: 0o600 });
    const r = await ensure();
    const settled = fs.readFileSync(deploymentPath, 'utf8');
    if (settled !== kept) await store.setKv(DEPLOYMENT_KV, settled);
    return r;
  });
}

/** The kv key of the shared deployment file's text. */
const DEPLOYMENT_KV = 'deployment';
