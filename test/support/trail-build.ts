/**
 * Long trails fast, for the trail benchmark and for tests that need more records than ingest gives in seconds: share
 * requests signed in a loop with one department key (raw libsecp256k1 over the records module's EIP-712 digest),
 * turned into the store's form as ingest would, inserted in big transactions, sequenced by the store and anchored on
 * the system's chain by its anchoring worker (a system booted with `manualWorker: true`).
 */
import { getBytes, randomBytes, type Wallet } from 'ethers';
import secp256k1 from 'secp256k1';
import { canonicalString, createLogEntry, logEntryLeafHash, recordRootOfParsed, toHex0x } from '../../server/records';
import type { NewRecord } from '../../server/store/types';
import type { System } from '../../server/system';
import { ShareSignatureChecker } from '../../server/trails/recompute';
import { buildShareRequest } from '../server/records/fixtures';
import { sequenceAll } from './system';
import { departmentUscc } from './trails';

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

export interface SignedTrailRecord {
  record: NewRecord;
  digest: Uint8Array;
  compact: Uint8Array;
  recid: number;
}

/**
 * Signs `count` share requests of department 1 (`registerDepartment(sys, 1, …)`, whose key is `key`) from seq `from`,
 * chained by prevHash from `prevHash`, in the store's form.
 */
export function buildTrail(sys: System, departmentId: string, key: Wallet, from: number, count: number, prevHash: string): SignedTrailRecord[] {
  const uscc = departmentUscc(1);
  const template = buildShareRequest({
    id: 'template',
    issuedAt: new Date(Date.now() - 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    departmentId,
    requestingDepartment: { name: '安康市市场监督管理局', uscc },
    providingDepartment: { name: '安康市农业农村局', uscc: departmentUscc(2) },
    validity: { from: '2025-10-10T00:00:00Z', to: '2027-10-09T16:00:00Z' },
  }) as unknown as Record<string, unknown>;
  const names = Object.keys(template).sort();
  const checker = new ShareSignatureChecker({ chainId: sys.deployment.chainId, verifyingContract: sys.deployment.traceLedger });
  const privateKey = getBytes(key.privateKey);
  const signer = key.address.toLowerCase();
  const issuedAtSeconds = Math.floor(Date.parse(String(template.issuedAt)) / 1000);
  const out: SignedTrailRecord[] = [];
  for (let seq = from; seq < from + count; seq++) {
    // Ids in the department's namespace ({its USCC}-…), as ingest requires and verification checks.
    const id = `${uscc}-bench-req-${seq}`;
    const body: Record<string, unknown> = { ...template, id, seq, prevHash, purpose: `富硒产品抽检结果与产地备案信息比对 #${seq}` };
    const saltBytes = Buffer.from(randomBytes(16 * names.length));
    const salts = Object.fromEntries(names.map((name, i) => [name, saltBytes.subarray(16 * i, 16 * i + 16).toString('hex')]));
    const root = recordRootOfParsed(body, salts)!;
    const digest = checker.digest('ShareRequest', body, root, issuedAtSeconds);
    const sig = secp256k1.ecdsaSign(digest, privateKey);
    const signature = `0x${Buffer.from(sig.signature).toString('hex')}${(27 + sig.recid).toString(16)}`;
    const entry = createLogEntry({ type: 'ShareRequest', id, recordRoot: root, signer, signature, issuedAt: String(body.issuedAt) });
    const leaf = logEntryLeafHash(entry);
    out.push({
      record: {
        id,
        logId: 'data-sharing',
        type: 'ShareRequest',
        body,
        salts,
        recordRoot: root,
        signer,
        signature,
        issuedAt: String(body.issuedAt),
        entry: canonicalString(entry),
        leafHash: leaf,
        participantId: departmentId,
        subject: departmentId,
      },
      digest,
      compact: sig.signature,
      recid: sig.recid,
    });
    prevHash = toHex0x(leaf);
  }
  return out;
}

/** Stores, sequences and anchors `records`; the time each part took. */
export async function storeAndAnchor(sys: System, records: readonly NewRecord[]): Promise<{ insertMs: number; sequenceMs: number; anchorMs: number }> {
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < records.length; i += 10_000) await sys.store.insertRecords(records.slice(i, i + 10_000));
  const insertMs = ms(t0);
  t0 = process.hrtime.bigint();
  await sequenceAll(sys.store, 'data-sharing');
  const sequenceMs = ms(t0);
  t0 = process.hrtime.bigint();
  const size = (await sys.store.logHead('data-sharing')).size;
  for (let i = 0; i < 50; i++) {
    await sys.worker.tick('data-sharing');
    if ((await sys.store.latestCheckpoint('data-sharing', 'confirmed'))?.size === size) break;
  }
  if ((await sys.store.latestCheckpoint('data-sharing', 'confirmed'))?.size !== size) throw new Error('the trail was not anchored');
  return { insertMs, sequenceMs, anchorMs: ms(t0) };
}
