/** Builds the proof bundle of a stored record: its public disclosures, log entry, inclusion proof and anchored checkpoint. */
import { toHex0x } from '../crypto/bytes';
import { chainLogId } from '../anchoring/worker';
import type { Deployment } from '../chain/deploy';
import { AppError } from '../errors';
import { LogTree } from '../ledger/tree';
import { discloseFieldsAsStored, fieldNamesOfRecord, isRecordError, isRecordType, publicFieldNames, type DisclosureSet } from '../records';
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

/**
 * The proof bundle of a stored record. A record damaged in the store still gets a bundle when one can be built:
 * its fields are disclosed with the salts as stored (see discloseFieldsAsStored), so a malformed or changed salt
 * fails the verifier at checkFieldDisclosures, naming the field. When none can be built (the body, salts or log
 * entry no longer parse, the type is unknown), throws AppError 'stored-data-fault' naming the record; a field
 * list naming a field the record does not have is 'invalid-input'.
 */
export async function bundleOf(store: Store, deployment: Deployment, rec: StoredRecord, opts: BundleOptions = {}): Promise<ProofBundle> {
  const fault = (what: string) => new AppError('stored-data-fault', `stored record ${rec.id} is damaged: ${what}`);
  if (rec.fault !== undefined) throw fault(rec.fault);
  if (!isRecordType(rec.type)) throw fault(`its type ${rec.type} is unknown`);
  const set = disclosureOf(rec, opts.fields ?? publicFieldNames(rec.type).filter((n) => rec.body[n] !== undefined), fault);
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(rec.entry) as Record<string, unknown>;
  } catch {
    throw fault('its log entry is not JSON');
  }

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
    entry,
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

/** The disclosures of `names`, salts as stored (a damaged salt is left for the verifier to find). */
function disclosureOf(rec: StoredRecord, names: readonly string[], fault: (what: string) => AppError): DisclosureSet {
  const present = new Set(fieldNamesOfRecord(rec.body));
  const unknown = names.find((n) => !present.has(n));
  if (unknown !== undefined) throw new AppError('invalid-input', `record ${rec.id} has no field "${unknown}"`);
  try {
    return discloseFieldsAsStored(rec.body, rec.salts, names);
  } catch (e) {
    // A value that no longer canonicalises, a repeated name, or an empty body.
    if (isRecordError(e)) throw fault(e.message);
    throw e;
  }
}
