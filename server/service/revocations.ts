/**
 * Revocations (recalls) of records. The regulator revokes through the operator's key: the reason goes on
 * chain against the record's leaf hash, and the mirror picks it up so every view and verification shows it at
 * once. A record has at most one revocation per party; only its issuer's (the lab owning its signing key) and
 * the regulator's count, by the verifier's rule (countingRevocation): another lab's revocation is never shown.
 *
 * A lab revokes its own report without a wallet or gas: its key signs the revocation (EIP-712, see
 * ../chain/revocation-signature.ts) and the operator relays it to RevocationRegistry.revokeWithSignature.
 */
import { revocationDomain, revocationSigner } from '../chain/revocation-signature';
import { signerStatus } from '../chain/registry';
import { AppError } from '../errors';
import { toHex } from '../ledger/rfc6962';
import { revocationReasonNumber, revocationReasonOf, type RevocationReason } from '../records';
import type { Revocation, Store, StoredRecord } from '../store/types';
import { countingRevocation, REGULATOR_REVOKER_ID, type RevokingParty } from '../verification/chain';
import type { Services } from './context';
import { onChain } from './chain-errors';

/** One counting revocation of a record: by its issuer or by the regulator. */
export interface RevocationEntry {
  /** Whose revocation: the lab that issued the record, or the regulator. */
  by: RevokingParty;
  /** A name from REVOCATION_REASONS; "unknown" for a code this version does not know. */
  reason: RevocationReason | 'unknown';
  reasonCode: number;
  revokedAt: string;
  /** The address that sent the revocation. */
  revokedBy: string;
  /** The revoking lab; null when the regulator revoked. */
  participantId: string | null;
  txHash: string | null;
}

/** A record's revocation: the one that counts (the earliest; the regulator's on a tie), and every counting one. */
export interface RevocationView extends RevocationEntry {
  recordId: string;
  leafHash: string;
  /** The issuer's and the regulator's revocations that exist, oldest first (the first is the one above). */
  revocations: RevocationEntry[];
}

export const leafHashHex = (rec: StoredRecord): string => '0x' + toHex(rec.leafHash);

const entryOf = (by: RevokingParty, r: Revocation): RevocationEntry => ({
  by,
  reason: revocationReasonOf(r.reasonCode) ?? 'unknown',
  reasonCode: r.reasonCode,
  revokedAt: new Date(r.revokedAt * 1000).toISOString(),
  revokedBy: r.revokedBy,
  participantId: by === 'regulator' ? null : r.revokerId,
  txHash: r.txHash,
});

/** The participant that issued a stored record: the owner of its signing key (none for the operator's batches). */
async function issuerOf(store: Store, rec: StoredRecord): Promise<string | null> {
  return (await store.keysOf(rec.signer))[0]?.participantId ?? null;
}

/** The revocation of a stored record that counts, with every counting one; undefined when none counts. */
export async function countingRevocationOf(store: Store, rec: StoredRecord): Promise<RevocationView | undefined> {
  const leafHash = leafHashHex(rec);
  const issuer = await issuerOf(store, rec);
  const [byRegulator, byIssuer] = await Promise.all([store.getRevocation(leafHash, REGULATOR_REVOKER_ID), issuer === null ? undefined : store.getRevocation(leafHash, issuer)]);
  const first = countingRevocation(byIssuer, byRegulator);
  if (first === null) return undefined;
  const second = first.by === 'regulator' ? byIssuer && entryOf('issuer', byIssuer) : byRegulator && entryOf('regulator', byRegulator);
  const head = entryOf(first.by, first.revocation);
  return { recordId: rec.id, leafHash, ...head, revocations: second ? [head, second] : [head] };
}

/**
 * Revokes a stored record for `reason`, as the regulator. Another party's revocation (the issuer's, or any
 * other lab's) does not stand in the way. Throws 'not-found', or 'conflict' when the regulator already revoked it.
 */
export async function revokeRecord(sys: Pick<Services, 'store' | 'registries' | 'mirror'>, input: { recordId: string; reason: RevocationReason }): Promise<RevocationView> {
  const rec = await findRecord(sys.store, input.recordId);
  const leafHash = leafHashHex(rec);
  await assertNotRevokedByRegulator(sys.store, rec.id, leafHash);
  const txHash = await onChain(`revoking record ${rec.id}`, () => sys.registries.revokeRecord(leafHash, revocationReasonNumber(input.reason)));
  await sys.mirror.sync();
  const view = (await sys.store.getRevocation(leafHash, REGULATOR_REVOKER_ID)) && (await countingRevocationOf(sys.store, rec));
  if (!view) throw new AppError('internal', `revocation of ${rec.id} was mined in ${txHash} but is not mirrored yet`);
  return view;
}

/** A lab's signed revocation of one of its reports, as the lab console sends it. */
export interface SignedRevocationInput {
  recordId: string;
  reason: RevocationReason;
  /** Unix seconds: the last second the signature may be relayed. */
  deadline: number;
  /** The EIP-712 signature of Revocation(leafHash, reasonCode, deadline) by a key of the lab that signed the report. */
  signature: string;
}

/**
 * Relays a lab's signed revocation of its own selenium test report: recorded on chain for the lab (the signer as
 * revokedBy), so it counts with every verifier. Checked here first so nothing reaches the chain that should not:
 * the record exists (not-found) and is a SeleniumTestReport (invalid-input), the deadline has not passed and the
 * signature is well formed (bad-signature), the signer is a key of the lab that signed the report
 * (unknown-signer, not-report-issuer) valid now (its signerStatus code), and that lab has not revoked it yet
 * (conflict: a replayed signature). Contracts deployed before signed revocations answer not-supported.
 */
export async function revokeRecordSigned(sys: Pick<Services, 'store' | 'registries' | 'mirror' | 'deployment'>, input: SignedRevocationInput): Promise<RevocationView> {
  const rec = await findRecord(sys.store, input.recordId);
  if (rec.type !== 'SeleniumTestReport') {
    throw new AppError('invalid-input', `record ${rec.id} is a ${rec.type}: a lab revokes only its own selenium test reports (the regulator revokes any record)`);
  }
  const now = Math.floor(Date.now() / 1000);
  if (input.deadline < now) throw new AppError('bad-signature', `the signed revocation expired at ${new Date(input.deadline * 1000).toISOString()}; sign it again`);
  const leafHash = leafHashHex(rec);
  const reasonCode = revocationReasonNumber(input.reason);
  const domain = revocationDomain(sys.deployment.chainId, sys.deployment.revocationRegistry);
  const signer = revocationSigner(domain, { leafHash, reasonCode, deadline: input.deadline }, input.signature);
  if (signer === null) throw new AppError('bad-signature', 'the signature is not a 65-byte ECDSA signature with a low s');
  const issuer = await assertSignerIsIssuer(sys.store, rec, signer, now);
  await assertNotRevokedByIssuer(sys.store, rec.id, leafHash, issuer);
  if (!(await onChain('reading the RevocationRegistry', () => sys.registries.supportsSignedRevocation()))) {
    throw new AppError(
      'not-supported',
      `the RevocationRegistry at ${sys.deployment.revocationRegistry} was deployed before signed revocations existed; the operator must redeploy the contracts (traceledger chain redeploy) for labs to revoke from the console`,
    );
  }
  const txHash = await onChain(`revoking record ${rec.id} for its lab`, () => sys.registries.revokeRecordWithSignature(leafHash, reasonCode, input.deadline, input.signature));
  await sys.mirror.sync();
  // A lab key that also holds REGULATOR_ROLE revokes as the regulator (the contract's rule), so look in both slots.
  const mirrored = (await sys.store.getRevocation(leafHash, issuer)) ?? (await sys.store.getRevocation(leafHash, REGULATOR_REVOKER_ID));
  const view = mirrored && (await countingRevocationOf(sys.store, rec));
  if (!view) throw new AppError('internal', `revocation of ${rec.id} was mined in ${txHash} but is not mirrored yet`);
  return view;
}

/**
 * Returns the lab that signed `rec` when `signer` is one of its keys and valid at `now`. Throws unknown-signer for an
 * unregistered key, not-report-issuer for another participant's key (another lab's revocation would never count),
 * or signerStatus's code (key-expired, key-revoked, participant-revoked, not-accredited, …).
 */
async function assertSignerIsIssuer(store: Store, rec: StoredRecord, signer: string, now: number): Promise<string> {
  const issuer = await issuerOf(store, rec);
  const keys = await store.keysOf(signer);
  if (keys.length === 0) throw new AppError('unknown-signer', `the revocation is signed by ${signer}, which is not a registered signing key`);
  if (issuer === null || !keys.some((k) => k.participantId === issuer)) {
    throw new AppError('not-report-issuer', `the revocation is signed by ${signer}, which is not a key of the lab that signed report ${rec.id}: only that lab (or the regulator) can revoke it`);
  }
  const status = await signerStatus(store, signer, 'lab', now);
  if (!status.ok) throw new AppError(status.code, `the revocation's signer may not revoke now: ${status.message}`);
  return issuer;
}

async function assertNotRevokedByIssuer(store: Store, recordId: string, leafHash: string, issuer: string): Promise<void> {
  const r = await store.getRevocation(leafHash, issuer);
  if (r) throw new AppError('conflict', `the lab already revoked record ${recordId} at ${new Date(r.revokedAt * 1000).toISOString()}`);
}

/** The revocation of a stored record that counts. Throws 'not-found' for an unknown record, or one no issuer or regulator revoked. */
export async function revocationOfRecord(store: Store, recordId: string): Promise<RevocationView> {
  const rec = await findRecord(store, recordId);
  const view = await countingRevocationOf(store, rec);
  if (!view) throw new AppError('not-found', `record ${recordId} is not revoked`);
  return view;
}

async function findRecord(store: Store, recordId: string): Promise<StoredRecord> {
  const rec = await store.getRecord(recordId);
  if (!rec) throw new AppError('not-found', `no record ${recordId}`);
  return rec;
}

async function assertNotRevokedByRegulator(store: Store, recordId: string, leafHash: string): Promise<void> {
  const r = await store.getRevocation(leafHash, REGULATOR_REVOKER_ID);
  if (r) throw new AppError('conflict', `the regulator already revoked record ${recordId} at ${new Date(r.revokedAt * 1000).toISOString()}`);
}
