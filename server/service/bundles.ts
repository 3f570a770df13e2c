/** Builds the proof bundle of a stored record: its public disclosures, log entry, inclusion proof and anchored checkpoint. */
import { toHex0x } from '../crypto/bytes';
import { chainLogId } from '../anchoring/worker';
import type { Deployment } from '../chain/deploy';
import { AppError } from '../errors';
import { LogTree } from '../ledger/tree';
import { discloseFields, disclosePublicFields, isRecordType } from '../records';
import type { Store, StoredRecord } from '../store/types';
import { BUNDLE_FORMAT, type ProofBundle } from '../verification/bundle';


export interface BundleOptions {
  /** Field names to disclose; default: the record type's public fields. Private fields need an explicit list. */
  fields?: readonly string[];
}

export async function buildBundle(store: Store, deployment: Deployment, recordId: string, opts: BundleOptions = {}): Promise<ProofBundle> {
  const rec = await store.getRecord(recordId);
  if (!rec) throw new AppError('not-found', `no record ${recordId}`);
  return bundleOf(store, deployment, rec, opts);
}

export async function bundleOf(store: Store, deployment: Deployment, rec: StoredRecord, opts: BundleOptions = {}): Promise<ProofBundle> {
  if (!isRecordType(rec.type)) throw new AppError('internal', `stored record ${rec.id} has unknown type ${rec.type}`);
  const set = opts.fields ? discloseFields(rec.body, rec.salts, opts.fields) : disclosePublicFields(rec.type, rec.body, rec.salts);

  let checkpoint: ProofBundle['checkpoint'] = null;
  let inclusionProof: string[] = [];
  if (rec.leafIndex !== null) {
    const cp = await store.latestCheckpoint(rec.logId, 'confirmed');
    if (cp && cp.size > rec.leafIndex) {
      inclusionProof = (await new LogTree(store.nodeReader(rec.logId), cp.size).inclusionProof(rec.leafIndex, cp.size)).map(toHex0x);
      checkpoint = { size: cp.size, root: cp.root, txHash: cp.txHash, blockNumber: cp.blockNumber, blockTime: cp.blockTime };
    }
  }

  return {
    format: BUNDLE_FORMAT,
    record: {
      type: rec.type,
      id: rec.id,
      // The root that was signed and logged; disclosures must verify against it.
      recordRoot: rec.recordRoot,
      leafCount: set.leafCount,
      disclosures: set.disclosures,
    },
    entry: JSON.parse(rec.entry) as Record<string, unknown>,
    log: { logId: rec.logId, chainLogId: chainLogId(rec.logId), leafIndex: rec.leafIndex, leafHash: toHex0x(rec.leafHash), inclusionProof },
    checkpoint,
    chain: {
      chainId: deployment.chainId,
      traceLedger: deployment.traceLedger,
      participantRegistry: deployment.participantRegistry,
      revocationRegistry: deployment.revocationRegistry,
    },
  };
}
