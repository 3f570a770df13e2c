/**
 * Accepting records: validate → recompute the record root (refusing weak salts) → recover the
 * signer → issuedAt within the window of receipt → authorise the signer at issuedAt and at receipt
 * → a report names its signer's lab → the id is in its submitter's namespace → build the log entry
 * → commit durably (group commit) → acknowledge. Nothing is acknowledged before it is on disk; a
 * record id or signature seen before is refused as a replay, a batch whose GTIN + lot is already
 * registered as 'duplicate-batch'. The trusted time is the receipt time: issuedAt is the signer's claim.
 */
import { nowSeconds, secondsToInstant } from '../records/time';
import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import secp256k1 from 'secp256k1';
import { privateKeyBytes, type Wallet } from '../chain/keys';
import { signerStatus } from '../chain/registry';
import { AppError } from '../errors';
import { fromHex, toHex } from '../ledger/rfc6962';
import {
  commitRecord,
  createLogEntry,
  instantToSeconds,
  logEntryTextAndLeafHash,
  typedDataDigest,
  typedDataFor,
  type ChainBinding,
  type Hex,
  type RecordOf,
  type RecordType,
  type SeleniumTestReport,
  type ShareRecord,
} from '../records';
import { isRecordDataError } from '../store/storage-faults';
import { StoreConflictError, type BatchConsent, type LogId, type NewRecord, type Participant, type ParticipantKey, type ParticipantKind, type Store, type StoredRecord } from '../store/types';
import { ShareLifecycle, trailHead } from '../trails/lifecycle';
import { awaitReceipt, type SignedReceipt } from '../trails/receipts';
import { isShareType } from '../trails/recompute';
import { RECORD_ROUTING, namespacedId } from '../records';
import {
  DEFAULT_ISSUED_AT_WINDOW,
  assertIdInSignersNamespace,
  assertIssuedAtInWindow,
  assertReportCommissioned,
  assertReportNamesSignersLab,
  assertStorableText,
  producerBatchId,
  type IssuedAtWindow,
  type ReportConsent,
} from './ingest-rules';
import { inlineVerifier, type SubmissionVerifier, type VerifierStatus } from './verify-pool';
import { parseAs, type SignedSubmission } from './verify-submission';

/** Batches of one submission prepared (committed and signed) between two turns of the event loop. */
const PREPARED_PER_TURN = 4;

export { RECORD_ROUTING };


/** What the sender gets back once its record is durable. */
export interface Acceptance {
  id: string;
  type: RecordType;
  logId: LogId;
  recordRoot: string;
  leafHash: string;
  signer: string;
  status: 'accepted';
  /**
   * Share records only: the operator's signed receipt (server/trails/receipts.ts), once the record
   * is sequenced; null when that took longer than `receiptWaitMs` (ask for it again later).
   */
  receipt?: SignedReceipt | null;
}

export type { SignedSubmission } from './verify-submission';

export interface IngestOptions {
  /** Called after every commit, e.g. to wake the anchoring worker. */
  onAccepted?: () => void;
  /** Where signatures are checked: worker threads (see verify-pool.ts), or inline by default. */
  verifier?: SubmissionVerifier;
  /** Largest group commit. */
  maxBatch?: number;
  /** How long the first waiting record waits for others to share its commit (ms); 0 = next tick. */
  groupCommitMs?: number;
  /** How long a share submission waits for its record to be sequenced, to return its receipt (default 1000 ms). */
  receiptWaitMs?: number;
  /** How far issuedAt may lie from the receipt time (default 72 h before, 5 min after). */
  issuedAtWindow?: IssuedAtWindow;
}

/** A batch's Digital Link key `{GTIN-14}/{lot}` (the consumer page finds batches by it), or null without a GTIN. */
export const batchSubject = (gtin14: string, lot: string): string => `${gtin14}/${lot}`;

const subjectOf = (type: RecordType, record: Record<string, unknown>): string | null => {
  if (type === 'Batch') return typeof record.gtin === 'string' ? batchSubject(record.gtin, String(record.lot)) : null;
  if (type === 'SeleniumTestReport') return String(record.batchId);
  if (type === 'Revocation') return String(record.targetRecordId);
  if (type === 'LabCommission') return String(record.batchId);
  if (type.startsWith('Share')) return String(record.departmentId);
  return null;
};

/** A record ready to commit, and what its sender is told once it is durable. */
interface Prepared {
  rec: NewRecord;
  ack: Acceptance;
}

export class IngestService {
  private queue: { rec: NewRecord; resolve: (r: StoredRecord) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;
  /** The timer of a group waiting for more records, if one is. */
  private flushTimer: NodeJS.Timeout | undefined;
  /** Signed submissions being checked (that may soon join a group commit). */
  private preparing = 0;
  private readonly operatorKey: Uint8Array;
  private readonly shareLifecycle: ShareLifecycle;
  private readonly verifier: SubmissionVerifier;
  private readonly window: IssuedAtWindow;

  constructor(
    private readonly store: Store,
    private readonly binding: ChainBinding,
    /** The operator's key: signs, as attestation, batches that producers submit with an API token. */
    private readonly operator: Wallet,
    private readonly opts: IngestOptions = {},
  ) {
    this.operatorKey = privateKeyBytes(operator);
    this.verifier = opts.verifier ?? inlineVerifier(binding);
    this.shareLifecycle = new ShareLifecycle(store);
    this.window = opts.issuedAtWindow ?? DEFAULT_ISSUED_AT_WINDOW;
  }

  /** Where the signatures of signed submissions are checked, and how their threads fared (for /healthz). */
  verifierStatus(): VerifierStatus {
    return this.verifier.status();
  }

  /**
   * A record signed by a lab or department key registered on chain for its role, issued within the
   * window of receipt, and valid both at `issuedAt` and at receipt; a report must name the signing
   * key's lab.
   */
  async submitSigned(sub: SignedSubmission): Promise<Acceptance> {
    const ready = this.preparingOne();
    try {
      const receivedAt = nowSeconds();
      const routing = RECORD_ROUTING[sub.type];
      if (!routing) throw new AppError('invalid-input', `unknown record type ${String(sub.type)}`);
      const { record, root, salts, signer } = await this.verifier.verify(sub);
      assertIssuedAtInWindow(record.issuedAt, receivedAt, this.window);
      const participant = await this.assertSignerAuthorised(signer, routing.role, record.issuedAt, receivedAt);
      assertIdInSignersNamespace(record.id, participant);
      if (sub.type === 'SeleniumTestReport') {
        assertReportNamesSignersLab(record as SeleniumTestReport, participant, signer);
        await this.assertReportCounts(record as SeleniumTestReport, participant, receivedAt);
      }
      const prepared = this.prepare(sub.type, record, root, salts, signer, sub.signature, participant.id);
      ready();
      if (isShareType(sub.type)) return this.admitShare(record as ShareRecord, participant.id, prepared);
      await this.enqueue(prepared.rec);
      return prepared.ack;
    } finally {
      ready();
    }
  }

  /** A share step: the lifecycle rules, committed in the department's turn; then the operator's receipt. */
  private async admitShare(record: ShareRecord, signerId: string, prepared: Prepared): Promise<Acceptance> {
    // The database keeps the department's sequence too (the lifecycle's turn is per process): a record racing
    // one of the same seq through another instance is refused by the store ('conflict').
    const rec: NewRecord = { ...prepared.rec, trailLink: { seq: record.seq, prevHash: record.prevHash.toLowerCase() } };
    await this.shareLifecycle.admit(record, signerId, () => this.enqueue(rec));
    const issuer = { store: this.store, operator: this.operator, binding: { chainId: Number(this.binding.chainId), traceLedger: this.binding.verifyingContract } };
    return { ...prepared.ack, receipt: await awaitReceipt(issuer, prepared.rec.id, this.opts.receiptWaitMs ?? 1000) };
  }

  /** A batch from a producer authenticated by API token: no wallet needed, the operator attests it. Its issuedAt must be within the window of receipt. */
  async submitBatchForProducer(producerId: string, input: unknown): Promise<Acceptance> {
    const receivedAt = nowSeconds();
    const producer = await this.activeProducer(producerId);
    const prepared = await this.prepareProducerBatch(producer, input, receivedAt);
    await this.enqueue(prepared.rec);
    return prepared.ack;
  }

  /**
   * Many batches of one producer (e.g. a CSV import), committed in ONE store transaction: all of
   * them are accepted or none is. A refusal names the offending input by its position in
   * `details.index` (0-based): an invalid batch ('invalid-record', with `issues`), an issuedAt
   * outside the window of receipt ('issued-at-too-old', 'issued-at-in-future'), an id repeated
   * within `inputs` ('invalid-input'), an id in another participant's namespace ('id-not-in-namespace'),
   * a GTIN not registered to the producer ('gtin-not-owned'), a GTIN + lot repeated within `inputs`
   * ('invalid-input', naming both) or registered before ('duplicate-batch'), or an id accepted before ('replay').
   */
  async submitBatchesForProducer(producerId: string, inputs: readonly unknown[]): Promise<Acceptance[]> {
    const receivedAt = nowSeconds();
    const producer = await this.activeProducer(producerId);
    const prepared: Prepared[] = [];
    for (const [index, input] of inputs.entries()) {
      // Committing and signing cost about a millisecond a batch: give other requests a turn every few (a CSV import holds up to 10,000).
      if (index % PREPARED_PER_TURN === PREPARED_PER_TURN - 1) await nextTurn();
      try {
        prepared.push(await this.prepareProducerBatch(producer, input, receivedAt));
      } catch (e) {
        if (e instanceof AppError) throw new AppError(e.code, `batch ${index}: ${e.message}`, { ...e.details, index }, { cause: e });
        throw e;
      }
    }
    const seen = new Map<string, number>();
    prepared.forEach((p, index) => {
      const first = seen.get(p.rec.id);
      if (first !== undefined) throw new AppError('invalid-input', `batch ${index} repeats the id ${p.rec.id} of batch ${first}`, { index });
      seen.set(p.rec.id, index);
    });
    const seenSubject = new Map<string, number>();
    prepared.forEach((p, index) => {
      if (p.rec.subject === null) return;
      const first = seenSubject.get(p.rec.subject);
      if (first !== undefined) {
        const [gtin, lot] = splitSubject(p.rec.subject);
        throw new AppError('invalid-input', `batch ${index} repeats GTIN ${gtin} lot ${lot} of batch ${first} (${prepared[first]!.rec.id}): a GTIN and lot name one batch`, { index, firstIndex: first });
      }
      seenSubject.set(p.rec.subject, index);
    });
    if (prepared.length === 0) return [];
    try {
      await this.store.insertRecords(prepared.map((p) => p.rec));
    } catch (e) {
      if (!(e instanceof StoreConflictError)) throw e;
      if (e.what === 'subject') {
        const index = prepared.findIndex((p) => p.rec.subject === e.subject);
        throw duplicateBatch(e, index === -1 ? undefined : index);
      }
      const index = await this.firstConflict(prepared);
      const which = index === undefined ? '' : `batch ${index}: `;
      const message = e.what === 'id' ? `${which}record ${prepared[index ?? 0]!.rec.id} was already accepted` : `${which}this signature was already used by an accepted record`;
      throw new AppError('replay', message, index === undefined ? undefined : { index }, { cause: e });
    }
    this.opts.onAccepted?.();
    return prepared.map((p) => p.ack);
  }

  /**
   * A producer commissions the lab with CMA number `labCmaNumber` for its batch `batchId` after registering it:
   * the operator attests a LabCommission record for the producer, as for its batches. Throws 'unknown-batch'
   * for a batch not on record, 'forbidden' for another producer's batch, 'conflict' when the lab is already
   * commissioned for it.
   */
  async submitCommissionForProducer(producerId: string, batchId: string, labCmaNumber: string): Promise<Acceptance> {
    const receivedAt = nowSeconds();
    const producer = await this.activeProducer(producerId);
    const batch = await this.storedBatch(batchId);
    if (batch.participantId !== producer.id) throw new AppError('forbidden', `batch ${batchId} belongs to another producer; only its own producer can commission a lab for it`);
    if (Array.isArray(batch.commissionedLabs) && batch.commissionedLabs.includes(labCmaNumber)) {
      throw new AppError('conflict', `batch ${batchId} already names the lab ${labCmaNumber} in its commissionedLabs`);
    }
    if ((await this.commissionedLater(batchId)).includes(labCmaNumber)) throw new AppError('conflict', `the lab ${labCmaNumber} is already commissioned for batch ${batchId}`);
    const commission = parseAs('LabCommission', { id: namespacedId(producer.code, `LC-${randomBytes(12).toString('hex')}`), issuedAt: secondsToInstant(receivedAt), batchId, labCmaNumber });
    const { root, salts } = commitRecord(commission);
    const signature = signTypedDataWithKey(typedDataFor('LabCommission', commission, root, this.binding), this.operatorKey);
    const prepared = this.prepare('LabCommission', commission, root, salts, this.operator.address.toLowerCase(), signature, producer.id);
    await this.enqueue(prepared.rec);
    return prepared.ack;
  }

  /** What ingest needs of the stored batch `batchId` (its producer, the reports and labs it names); throws 'unknown-batch' when there is none. */
  private async storedBatch(batchId: string): Promise<BatchConsent> {
    const batch = await this.store.batchConsent(batchId);
    if (!batch) throw new AppError('unknown-batch', `there is no batch ${batchId} on record; a batch must be registered before anything refers to it`, { batchId });
    return batch;
  }

  /** CMA numbers of the labs commissioned for `batchId` by LabCommission records. */
  private async commissionedLater(batchId: string): Promise<string[]> {
    const commissions = await this.store.listRecords({ type: 'LabCommission', subject: batchId, limit: 1000 });
    return commissions.map((c) => String(c.body.labCmaNumber));
  }

  /** A report counts only on a batch on record whose producer commissioned its lab, or from a spot-check lab (ARCHITECTURE.md, "Trust model"). */
  private async assertReportCounts(report: SeleniumTestReport, lab: Participant, receivedAt: number): Promise<void> {
    const batch = await this.storedBatch(report.batchId);
    assertReportCommissioned(report, lab, await this.consentFor(report, lab, batch), receivedAt);
  }

  /**
   * What the batch's producer consented to, for {@link assertReportCommissioned}: the LabCommission records are read
   * only when the batch itself neither lists the report nor names the lab (the usual case needs no query).
   */
  private async consentFor(report: SeleniumTestReport, lab: Participant, batch: BatchConsent): Promise<ReportConsent> {
    const { reportIds, commissionedLabs } = batch;
    const given = (Array.isArray(reportIds) && reportIds.includes(report.id)) || (Array.isArray(commissionedLabs) && commissionedLabs.includes(lab.code));
    return { batch: { reportIds, commissionedLabs }, commissionedLater: given ? [] : await this.commissionedLater(report.batchId) };
  }

  private async activeProducer(producerId: string): Promise<Participant> {
    const producer = await this.store.getParticipant(producerId);
    if (!producer || producer.kind !== 'producer' || !producer.active) throw new AppError('forbidden', 'the token is not bound to an active producer');
    return producer;
  }

  /**
   * The issuedAt window of receipt, as ingest applies it: throws 'issued-at-too-old' or
   * 'issued-at-in-future' unless `issuedAt` lies within it of `receivedAt` (default: now).
   * For callers that check rows before submitting them (e.g. the CSV import).
   */
  assertIssuedAtAcceptable(issuedAt: string, receivedAt: number = nowSeconds()): void {
    assertIssuedAtInWindow(issuedAt, receivedAt, this.window);
  }

  /**
   * A batch's GTIN must be covered by one of `producer`'s product keys (a GS1 company prefix or the GTIN itself)
   * in the store's mirror of ParticipantRegistry; otherwise a producer could register batches under another's
   * GTIN and take over its printed labels (a label hijack). Throws 'gtin-not-owned'.
   */
  async assertGtinOwned(producer: Participant, gtin14: string): Promise<void> {
    const owner = await this.store.productKeyOwner(gtin14);
    if (owner === producer.id) return;
    throw new AppError(
      'gtin-not-owned',
      `GTIN ${gtin14} is not registered to producer ${producer.name} (${producer.code}); the registrar must assign your GS1 company prefix (or this GTIN) first`,
      { gtin: gtin14 },
    );
  }

  /** Validates, checks the GTIN's owner, commits and attests (operator signature) one batch of `producer`. Nothing is stored. */
  private async prepareProducerBatch(producer: Participant, input: unknown, receivedAt: number): Promise<Prepared> {
    const batch = parseAs('Batch', withProducerOfToken(input, producer));
    assertStorableText('Batch', batch);
    assertBatchNamesProducer(batch.producer, producer);
    assertIssuedAtInWindow(batch.issuedAt, receivedAt, this.window);
    if (batch.gtin !== undefined) await this.assertGtinOwned(producer, batch.gtin);
    // Producers do not sign their ids: the server places the id in the producer's namespace itself.
    const namespaced = { ...batch, id: producerBatchId(batch.id, producer) };
    // The server draws these salts itself (OS CSPRNG): no weak-salt check needed.
    const { root, salts } = commitRecord(namespaced);
    const signature = signTypedDataWithKey(typedDataFor('Batch', namespaced, root, this.binding), this.operatorKey);
    return this.prepare('Batch', namespaced, root, salts, this.operator.address.toLowerCase(), signature, producer.id);
  }

  /** The first prepared batch whose id the store already holds (after a refused all-or-nothing insert). */
  private async firstConflict(prepared: readonly Prepared[]): Promise<number | undefined> {
    for (let i = 0; i < prepared.length; i++) if (await this.store.getRecord(prepared[i]!.rec.id)) return i;
    return undefined;
  }

  /**
   * The signer must have been valid at `issuedAt` AND at `receivedAt` (the trusted time), and must
   * not be revoked now: otherwise a revoked or expired key, or a lab whose accreditation lapsed,
   * could still sign records back-dated to when it was valid.
   */
  private async assertSignerAuthorised(signer: string, role: ParticipantKind, issuedAt: string, receivedAt: number): Promise<Participant> {
    const at = instantToSeconds(issuedAt);
    const status = await signerStatus(this.store, signer, role, at);
    if (!status.ok) {
      const hint = status.code === 'unknown-signer' ? ' (if it was registered, the record may have been changed after signing)' : '';
      throw new AppError(status.code, status.message + hint, { signer });
    }
    const { key } = status;
    assertValidAtReceipt(signer, key, status.participant, receivedAt);
    // Revocations carry the chain's block time, which can run ahead of our clock: any recorded
    // revocation is in the past as far as the chain is concerned.
    if (key.revokedAt !== null) {
      throw new AppError('key-revoked', `${signer} was revoked at ${new Date(key.revokedAt * 1000).toISOString()}; it can no longer submit records`, { signer });
    }
    if (!status.participant.active) throw new AppError('participant-revoked', `${status.participant.name} was revoked; it can no longer submit records`, { signer });
    return status.participant;
  }

  /** Builds the log entry and the stored form of an accepted record; commits nothing. */
  private prepare(
    type: RecordType,
    record: RecordOf<RecordType>,
    root: string,
    salts: Record<string, string>,
    signer: string,
    signature: string,
    participantId: string,
  ): Prepared {
    const entry = createLogEntry({ type, id: record.id, recordRoot: root, signer, signature, issuedAt: record.issuedAt });
    const { text: entryText, leafHash: leaf } = logEntryTextAndLeafHash(entry);
    const { logId } = RECORD_ROUTING[type];
    const body = record as unknown as Record<string, unknown>;
    const rec: NewRecord = {
      id: record.id,
      logId,
      type,
      body,
      salts,
      recordRoot: root,
      signer: entry.signer,
      signature: entry.signature,
      issuedAt: record.issuedAt,
      entry: entryText,
      leafHash: leaf,
      participantId,
      subject: subjectOf(type, body),
    };
    return { rec, ack: { id: record.id, type, logId, recordRoot: root, leafHash: '0x' + toHex(leaf), signer: entry.signer, status: 'accepted' } };
  }

  /**
   * Counts a signed submission as being prepared (checked, not yet queued for commit) until the returned function is
   * called (at most once counts): the group commit need not wait for more records once none is (see {@link scheduleFlush}).
   */
  private preparingOne(): () => void {
    this.preparing++;
    let counted = true;
    return () => {
      if (!counted) return;
      counted = false;
      this.preparing--;
      if (this.preparing === 0 && this.flushTimer) this.flushSoon();
    };
  }

  /**
   * Group commit: records arriving together share one fsync; each promise settles after it. The first record of a
   * group waits up to `groupCommitMs` for others, but no longer than the signed submissions being checked: once none
   * is, nothing more is about to arrive, and the group commits on the next turn of the event loop.
   */
  private enqueue(rec: NewRecord): Promise<StoredRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ rec, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        this.scheduleFlush();
      }
    });
  }

  /** 'conflict': another record of the department took this place in its sequence first (e.g. through another instance). */
  private async outOfSequence(rec: NewRecord, conflict: StoreConflictError): Promise<AppError> {
    const head = await trailHead(this.store, rec.subject ?? '');
    return new AppError(
      'conflict',
      `seq ${rec.trailLink?.seq ?? '?'} is not the next of department ${rec.subject ?? '?'}: expected seq ${head.nextSeq} with prevHash ${head.prevHash}`,
      { expectedSeq: head.nextSeq, expectedPrevHash: head.prevHash, lastRecordId: head.lastRecordId },
      { cause: conflict },
    );
  }

  /** Starts the wait of a new group (see {@link enqueue}). */
  private scheduleFlush(): void {
    const wait = this.opts.groupCommitMs ?? 5;
    if (wait > 0 && this.preparing > 0) this.flushTimer = setTimeout(() => this.flushSoon(), wait);
    else this.flushSoon();
  }

  /** Commits the waiting group on the next turn (after the records whose checks just ended have joined it). */
  private flushSoon(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const max = this.opts.maxBatch ?? 1000;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, max);
      const outcomes = await this.insertEach(batch.map((b) => b.rec));
      for (const [i, o] of outcomes.entries()) {
        const item = batch[i]!;
        if (o instanceof StoreConflictError) {
          if (o.what === 'subject') item.reject(duplicateBatch(o));
          else if (o.what === 'seq') item.reject(await this.outOfSequence(item.rec, o));
          else item.reject(new AppError('replay', o.what === 'id' ? `record ${item.rec.id} was already accepted` : 'this signature was already used by an accepted record'));
        } else if ('failed' in o) item.reject(o.failed);
        else item.resolve(o);
      }
      this.opts.onAccepted?.();
    }
    this.flushing = false;
  }

  /**
   * One group commit of `recs` (Store.insertRecordsEach): each record's outcome, or why it failed. An error over one
   * record's data (isRecordDataError: a record the store would not take, which ingest's checks should have refused
   * first, see assertStorableText) fails no other submitter's record: the group is split in halves and each committed
   * again, until that record fails alone (a few more commits, for one record; a commit that fails stores nothing).
   * Any other error (a storage fault, a lost connection) fails the whole group, as it stored nothing: every sender may send again.
   */
  private async insertEach(recs: readonly NewRecord[]): Promise<(StoredRecord | StoreConflictError | { failed: unknown })[]> {
    try {
      return await this.store.insertRecordsEach(recs);
    } catch (e) {
      if (recs.length === 1 || !isRecordDataError(e)) return recs.map(() => ({ failed: e }));
      const half = Math.ceil(recs.length / 2);
      return [...(await this.insertEach(recs.slice(0, half))), ...(await this.insertEach(recs.slice(half)))];
    }
  }
}

/** The GTIN-14 and lot of a batch subject `{GTIN-14}/{lot}` (a lot may itself contain "/"). */
function splitSubject(subject: string): [string, string] {
  const slash = subject.indexOf('/');
  return [subject.slice(0, slash), subject.slice(slash + 1)];
}

/** 'duplicate-batch': the GTIN + lot of a batch is already registered as `conflict.existingId`. */
function duplicateBatch(conflict: StoreConflictError, index?: number): AppError {
  const [gtin, lot] = splitSubject(conflict.subject ?? '/');
  const which = index === undefined ? '' : `batch ${index}: `;
  return new AppError(
    'duplicate-batch',
    `${which}GTIN ${gtin} lot ${lot} is already registered as batch ${conflict.existingId ?? '?'}; a GTIN and lot name one batch (give the new batch another lot number)`,
    { existingBatchId: conflict.existingId, gtin, lot, ...(index === undefined ? {} : { index }) },
    { cause: conflict },
  );
}

/**
 * The key and (for a lab) its accreditation must still be valid at the receipt time: being valid
 * at a chosen `issuedAt` is not enough. Throws 'key-not-valid-at-receipt', 'accreditation-lapsed'
 * or 'not-accredited'.
 */
function assertValidAtReceipt(signer: string, key: ParticipantKey, participant: Participant, receivedAt: number): void {
  const received = secondsToInstant(receivedAt);
  const details = { signer, receivedAt: received };
  if (receivedAt < key.validFrom || receivedAt > key.validTo) {
    const window = `${secondsToInstant(key.validFrom)} to ${secondsToInstant(key.validTo)}`;
    throw new AppError('key-not-valid-at-receipt', `${signer} is valid from ${window}, which does not include the receipt time ${received}; a key must be valid when its records reach the server`, {
      ...details,
      validFrom: secondsToInstant(key.validFrom),
      validTo: secondsToInstant(key.validTo),
    });
  }
  if (participant.kind !== 'lab') return;
  const from = participant.validFrom ?? 0;
  const to = participant.validTo ?? 0;
  if (receivedAt > to) {
    throw new AppError('accreditation-lapsed', `the accreditation of ${participant.name} ended at ${secondsToInstant(to)}, before the receipt time ${received}; it can no longer submit reports`, {
      ...details,
      accreditedUntil: secondsToInstant(to),
    });
  }
  if (receivedAt < from) {
    throw new AppError('not-accredited', `${participant.name} is accredited only from ${secondsToInstant(from)}, after the receipt time ${received}`, { ...details, accreditedFrom: secondsToInstant(from) });
  }
}

/**
 * EIP-712 signature by a local private key on libsecp256k1: the same bytes as ethers'
 * `Wallet.signTypedData` (RFC 6979 nonce, low s, v = 27/28), about ten times faster, which
 * matters when a CSV import attests hundreds of batches at once.
 */
function signTypedDataWithKey(typed: ReturnType<typeof typedDataFor>, privateKey: Uint8Array): Hex {
  const { signature, recid } = secp256k1.ecdsaSign(fromHex(typedDataDigest(typed)), privateKey);
  return `0x${Buffer.from(signature).toString('hex')}${(27 + recid).toString(16)}`;
}

/**
 * A producer's identity comes from its token: a batch input without `producer` gets the registered USCC and name of
 * the token's producer. Any other input is returned as it is (and checked by {@link assertBatchNamesProducer}).
 */
export function withProducerOfToken(input: unknown, producer: Pick<Participant, 'code' | 'name'>): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input) || 'producer' in input) return input;
  return { ...input, producer: { uscc: producer.code, name: producer.name } };
}

/**
 * A batch may name only the producer its token belongs to, by its registered USCC and name. Throws AppError
 * 'producer-mismatch' (403) naming what differs: another USCC is an attempt to file under another producer, another
 * name would anchor a false producer name.
 */
export function assertBatchNamesProducer(named: { uscc: string; name: string }, producer: Pick<Participant, 'code' | 'name'>): void {
  if (named.uscc !== producer.code) {
    throw new AppError('producer-mismatch', `the batch names producer ${named.uscc}, but the token belongs to ${producer.code} (${producer.name}); leave producer out and the server fills it in`, {
      named,
      registered: { uscc: producer.code, name: producer.name },
    });
  }
  if (named.name !== producer.name) {
    throw new AppError('producer-mismatch', `the batch names the producer "${named.name}", but ${producer.code} is registered as "${producer.name}"; leave producer out and the server fills it in`, {
      named,
      registered: { uscc: producer.code, name: producer.name },
    });
  }
}
