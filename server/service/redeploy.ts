/**
 * `traceledger chain redeploy`: deploys new contracts for a data directory whose chain lost them (a reset chain,
 * a lost state file), and carries over from the store's participant mirror what the operator's key may
 * re-register: participants, signing keys, product keys, spot-check designations, participant revocations and the
 * regulator's record revocations. Then it writes the new deployment file (keeping the old one) and marks every
 * anchored checkpoint for anchoring again on the new contract.
 *
 * What the contracts do not let the operator carry over is reported, never hidden:
 * - Windows (a key's validity, a lab's accreditation, a spot-check designation) cannot start more than
 *   WINDOW_START_TOLERANCE (1 h) before the block: an older start is moved forward to the redeploy's time. A record
 *   issued before that moved start no longer verifies (checkSigner fails: key not yet valid / not accredited).
 * - A signing key revoked before is not re-added (re-adding then revoking would make it valid again from the
 *   moved start until the new revocation): records it signed fail checkSigner. A revoked participant is registered
 *   (with its product keys, so nobody else takes them) and revoked again, without keys, for the same reason.
 * - A key expired, or a spot-check designation ended, before the moved start is not carried over.
 * - A lab's own record revocations were signed by the lab's key, which the operator does not hold.
 * - Revocation times become the redeploy's block time.
 */
import fs from 'node:fs';
import type { Logger } from 'pino';
import {
  archivedDeploymentPath,
  chainHead,
  deployContracts,
  deploymentStatus,
  describeMissingDeployment,
  readDeployment,
  redeployMarkerPath,
  writeDeployment,
  type Deployment,
} from '../chain/deploy';
import type { JsonRpcProvider } from '../chain/provider';
import type { SerializedSigner } from '../chain/serialized-signer';
import { Registries } from '../chain/registry';
import { AppError } from '../errors';
import { leafHashHex } from './revocations';
import { LOG_IDS, type Participant, type Store } from '../store/types';

/** Margin kept from the contract's earliest allowed window start, for the time the transactions take to be mined. */
const START_MARGIN_SECONDS = 5 * 60;
/** The zero revoker id: the regulator's revocations. */
const REGULATOR_REVOKER_ID = `0x${'0'.repeat(64)}`;

export interface RedeployReport {
  previous: Deployment;
  deployment: Deployment;
  /** Where the previous deployment file was kept. */
  archivedAs: string;
  carried: { labs: number; producers: number; departments: number; keys: number; productKeys: number; spotChecks: number; participantsRevoked: number; recordRevocations: number; checkpointsToReanchor: number };
  /** Windows whose start was moved forward, and how many stored records signed before the new start no longer verify. */
  moved: string[];
  /** What could not be carried over, one plain line each. */
  notCarried: string[];
}

export interface RedeployInput {
  store: Store;
  operator: SerializedSigner;
  provider: JsonRpcProvider;
  deploymentPath: string;
  logger?: Logger;
  /** The embedded node's durability barrier: registrations and the new deployment file wait for their blocks to be saved. */
  ensureDurable?: (blockNumber: number, hash?: string) => Promise<void>;
}

const NOTHING: RedeployReport['carried'] = { labs: 0, producers: 0, departments: 0, keys: 0, productKeys: 0, spotChecks: 0, participantsRevoked: 0, recordRevocations: 0, checkpointsToReanchor: 0 };

/** Marks every confirmed checkpoint orphaned (the worker cuts and anchors the log again) and resends submitted ones. */
async function reanchorAll(store: Store, deployment: Deployment): Promise<number> {
  let n = 0;
  for (const logId of LOG_IDS) {
    for (const cp of await store.listCheckpoints(logId, 'confirmed')) {
      await store.updateCheckpoint(logId, cp.size, { status: 'orphaned', lastError: `anchored on contracts that are gone; re-anchoring on TraceLedger ${deployment.traceLedger}` });
      n++;
    }
    for (const cp of await store.listCheckpoints(logId, 'submitted')) {
      await store.updateCheckpoint(logId, cp.size, { status: 'pending', txHash: null, blockNumber: null, blockTime: null, lastError: 'sent to contracts that are gone; resending' });
    }
  }
  return n;
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Requires: the saved deployment's contracts are gone from this chain (or a previous redeploy was interrupted);
 * refuses (AppError conflict) when they are present or there is no saved deployment.
 */
export async function redeployContracts(input: RedeployInput): Promise<RedeployReport> {
  const { store, operator, provider, deploymentPath } = input;
  const status = await deploymentStatus(deploymentPath, provider);
  if (status.kind === 'none') throw new AppError('conflict', `no deployment file ${deploymentPath}: nothing to redeploy (npm start deploys the contracts on the first run)`);
  if (status.kind === 'present') {
    throw new AppError('conflict', `the contracts of ${deploymentPath} (TraceLedger ${status.saved.traceLedger} on chain ${status.chainId}) are still on the chain: nothing to redeploy`);
  }
  const previous = status.saved ?? readDeployment(deploymentPath);
  if (!previous) throw new AppError('conflict', `no deployment file ${deploymentPath}: nothing to redeploy`);
  const marker = redeployMarkerPath(deploymentPath);
  if (status.kind === 'interrupted' && status.replaced) {
    // Killed after the new deployment file was written: only the checkpoints and the mirror are left to do.
    const carried = { ...NOTHING, checkpointsToReanchor: await reanchorAll(store, previous) };
    await store.resetMirror();
    fs.rmSync(marker, { force: true });
    return { previous, deployment: previous, archivedAs: '', carried, moved: [], notCarried: ['(finished an interrupted redeploy: what it carried over was reported by the first run)'] };
  }
  input.logger?.warn({ why: describeMissingDeployment(status, deploymentPath) }, 'redeploying the contracts');

  // While it runs, a start refuses (a half-carried registry must never be served as if complete). The marker names
  // the deployment being replaced, so a rerun knows whether the new deployment file was already written.
  fs.writeFileSync(marker, JSON.stringify({ startedAt: new Date().toISOString(), replacing: previous.deployedAt }) + '\n');

  const deployment = await deployContracts(operator);
  const registries = new Registries(deployment, operator, { ensureDurable: input.ensureDurable });
  const tolerance = Number(await registries.participants.WINDOW_START_TOLERANCE());
  /** The earliest start a window sent now may have (re-read: a long redeploy moves it). */
  const floor = async () => (await chainHead(provider)).timestamp - tolerance + START_MARGIN_SECONDS;

  const carried = { ...NOTHING };
  const moved: string[] = [];
  const notCarried: string[] = [];
  /** Signing keys whose validity start moved: records they signed before the new start no longer verify. */
  const keyStartMoved = new Map<string, { label: string; from: number; to: number }>();
  /** Labs whose accreditation start moved (by participant id). */
  const labStartMoved = new Map<string, { label: string; from: number; to: number }>();
  /** Keys not carried over (revoked or expired): every record they signed fails checkSigner. */
  const keysDropped = new Map<string, string>();

  const participants = await store.listParticipants();
  for (const p of participants) {
    const label = `${p.kind} ${p.name} (${p.code})`;
    const revokedAt = (p.data.revokedAt as number | null | undefined) ?? null;
    let start = await floor();
    if (p.kind === 'lab') {
      const from = p.validFrom ?? start;
      const accreditedFrom = Math.max(from, start);
      let accreditedUntil = p.validTo ?? accreditedFrom + 1;
      if (accreditedFrom > from) labStartMoved.set(p.id.toLowerCase(), { label, from, to: accreditedFrom });
      if (accreditedUntil <= accreditedFrom) {
        notCarried.push(`${label}: its accreditation ended ${iso(accreditedUntil)}; registered with a one-second window at ${iso(accreditedFrom)} (renew it to accredit the lab again)`);
        accreditedUntil = accreditedFrom + 1;
      }
      await registries.registerLab({ name: p.name, cmaNumber: p.code, accreditedFrom, accreditedUntil });
      carried.labs++;
    } else if (p.kind === 'producer') {
      await registries.registerProducer(p.name, p.code);
      carried.producers++;
    } else {
      await registries.registerDepartment(p.name, p.code);
      carried.departments++;
    }

    if (p.kind === 'producer') {
      for (const key of await store.productKeysOf(p.id)) {
        await registries.assignProductKey(p.id, key);
        carried.productKeys++;
      }
    }

    if (revokedAt !== null) {
      for (const k of await store.keysOfParticipant(p.id)) keysDropped.set(k.address.toLowerCase(), `${k.address} of ${label}: the participant was revoked ${iso(revokedAt)}; its keys are not re-added`);
      await registries.revokeParticipant(p.id);
      carried.participantsRevoked++;
      continue;
    }

    start = await floor();
    for (const k of await store.keysOfParticipant(p.id)) {
      if (k.revokedAt !== null) {
        keysDropped.set(k.address.toLowerCase(), `${k.address} of ${label}: revoked ${iso(k.revokedAt)}; not re-added`);
        continue;
      }
      const validFrom = Math.max(k.validFrom, start);
      if (k.validTo <= validFrom) {
        keysDropped.set(k.address.toLowerCase(), `${k.address} of ${label}: expired ${iso(k.validTo)}; not re-added`);
        continue;
      }
      if (validFrom > k.validFrom) keyStartMoved.set(k.address.toLowerCase(), { label: `${k.address} of ${label}`, from: k.validFrom, to: validFrom });
      await registries.addKey(p.id, k.address, validFrom, k.validTo);
      carried.keys++;
    }

    const spot = p.data.spotCheck as { from: number; until: number } | undefined;
    if (p.kind === 'lab' && spot) {
      start = await floor();
      const from = Math.max(spot.from, start);
      if (spot.until <= from) {
        notCarried.push(`${label}: its spot-check designation (${iso(spot.from)} to ${iso(spot.until)}) has ended; not carried over`);
      } else {
        if (from > spot.from) moved.push(`${label}: spot-check designation now from ${iso(from)} (was ${iso(spot.from)})`);
        await registries.designateSpotCheckLab(p.id, from, spot.until);
        carried.spotChecks++;
      }
    }
  }

  // Records: the regulator's revocations are re-sent; a lab's own cannot be (the operator does not hold its key).
  // On the way, count the records each moved start or dropped key no longer lets verify.
  const affected = new Map<string, number>();
  const bump = (k: string) => affected.set(k, (affected.get(k) ?? 0) + 1);
  const byId = new Map<string, Participant>(participants.map((p) => [p.id.toLowerCase(), p]));
  let after: number | undefined;
  for (;;) {
    const page = await store.listRecords({ limit: 1000, ...(after === undefined ? {} : { afterArrival: after }) });
    if (page.length === 0) break;
    for (const rec of page) {
      after = rec.arrival;
      const signer = rec.signer.toLowerCase();
      const issued = Date.parse(rec.issuedAt) / 1000;
      const keyMove = keyStartMoved.get(signer);
      if (keyMove && issued < keyMove.to) bump(`key:${signer}`);
      if (keysDropped.has(signer)) bump(`dropped:${signer}`);
      const lab = rec.participantId ? labStartMoved.get(rec.participantId.toLowerCase()) : undefined;
      if (lab && issued < lab.to) bump(`lab:${rec.participantId!.toLowerCase()}`);
      const leafHash = leafHashHex(rec);
      for (const r of await store.revocationsOf(leafHash)) {
        if (r.revokerId.toLowerCase() === REGULATOR_REVOKER_ID) {
          await registries.revokeRecord(leafHash, r.reasonCode);
          carried.recordRevocations++;
        } else {
          const by = byId.get(r.revokerId.toLowerCase());
          notCarried.push(`record ${rec.id}: revoked ${iso(r.revokedAt)} by ${by ? `${by.name} (${by.code})` : r.revokerId} (reason ${r.reasonCode}); only that lab can revoke it again, with its own key`);
        }
      }
    }
  }
  for (const [signer, m] of keyStartMoved) {
    moved.push(`key ${m.label}: valid from ${iso(m.to)} (was ${iso(m.from)}); ${affected.get(`key:${signer}`) ?? 0} stored record(s) it signed before then no longer verify`);
  }
  for (const [id, m] of labStartMoved) {
    moved.push(`${m.label}: accredited from ${iso(m.to)} (was ${iso(m.from)}); ${affected.get(`lab:${id}`) ?? 0} stored record(s) issued before then no longer verify`);
  }
  for (const [signer, why] of keysDropped) notCarried.push(`key ${why}; ${affected.get(`dropped:${signer}`) ?? 0} stored record(s) it signed no longer verify`);

  // The new deployment (once every block above is saved), the old one kept beside it; then the checkpoints are
  // anchored again and the mirror rebuilt.
  await input.ensureDurable?.(await provider.getBlockNumber());
  const archivedAs = archivedDeploymentPath(deploymentPath, previous);
  fs.copyFileSync(deploymentPath, archivedAs);
  writeDeployment(deploymentPath, deployment);
  carried.checkpointsToReanchor = await reanchorAll(store, deployment);
  await store.resetMirror();
  fs.rmSync(marker, { force: true });
  return { previous, deployment, archivedAs, carried, moved, notCarried };
}
