/**
 * Accepting records: validate → recompute the record root → recover and authorise the signer →
 * build the log entry → commit durably (group commit) → acknowledge. Nothing is acknowledged
 * before it is on disk; a record id or signature seen before is refused as a replay.
 */
import type { Wallet } from 'ethers';
import { signerStatus } from '../chain/registry';
import { AppError } from '../errors';
import { toHex } from '../ledger/rfc6962';
import {
  RecordError,
  commitRecord,
  createLogEntry,
  canonicalString,
  instantToSeconds,
  logEntryLeafHash,
  parseRecord,
  recoverSigner,
  signRecord,
  typedDataFor,
  type ChainBinding,
  type RecordOf,
  type RecordType,
  type SignedView,
} from '../records';
import { StoreConflictError, type LogId, type NewRecord, type ParticipantKind, type Store, type StoredRecord } from '../store/types';
import { RECORD_ROUTING } from './routing';

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
}

export interface SignedSubmission {
  type: RecordType;
  record: unknown;
  /** Salt of every field, as the signer's tooling chose them (it signed the root they give). */
  salts: Record<string, string>;
  signature: string;
}

/** How far in the future an issuedAt may be (clock skew between the signer and us). */
const MAX_CLOCK_SKEW_SECONDS = 300;

export interface IngestOptions {
  /** Called after every commit, e.g. to wake the anchoring worker. */
  onAccepted?: () => void;
  /** Largest group commit. */
  maxBatch?: number;
}

const subjectOf = (type: RecordType, record: Record<string, unknown>): string | null => {
  if (type === 'SeleniumTestReport') return String(record.batchId);
  if (type === 'Revocation') return String(record.targetRecordId);
  if (type.startsWith('Share')) return String(record.departmentId);
  return null;
};

export class IngestService {
  private queue: { rec: NewRecord; resolve: (r: StoredRecord) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;

  constructor(
    private readonly store: Store,
    private readonly binding: ChainBinding,
    /** The operator's key: signs, as attestation, batches that producers submit with an API token. */
    private readonly operator: Wallet,
    private readonly opts: IngestOptions = {},
  ) {}

  /** A record signed by a lab or department key registered on chain for its role and valid at `issuedAt`. */
  async submitSigned(sub: SignedSubmission): Promise<Acceptance> {
    const routing = RECORD_ROUTING[sub.type];
    if (!routing) throw new AppError('invalid-input', `unknown record type ${String(sub.type)}`);
    const record = this.parse(sub.type, sub.record);
    const { root, salts } = this.commit(record, sub.salts);
    const typed = typedDataFor(sub.type, record as SignedView<RecordType>, root, this.binding);
    let signer: string;
    try {
      signer = recoverSigner(typed, sub.signature);
    } catch (e) {
      throw new AppError('bad-signature', (e as Error).message, undefined, { cause: e });
    }
    const participant = await this.assertSignerAuthorised(signer, routing.role, record.issuedAt);
    return this.append(sub.type, record, root, salts, signer, sub.signature, participant.id);
  }

  /** A batch from a producer authenticated by API token: no wallet needed, the operator attests it. */
  async submitBatchForProducer(producerId: string, input: unknown): Promise<Acceptance> {
    const producer = await this.store.getParticipant(producerId);
    if (!producer || producer.kind !== 'producer' || !producer.active) throw new AppError('forbidden', 'the token is not bound to an active producer');
    const batch = this.parse('Batch', input);
    if (batch.producer.uscc !== producer.code) {
      throw new AppError('forbidden', `the batch names producer ${batch.producer.uscc}, but the token belongs to ${producer.code}`);
    }
    const { root, salts } = commitRecord(batch);
    const signature = await signRecord(this.operator, 'Batch', batch, root, this.binding);
    return this.append('Batch', batch, root, salts, (await this.operator.getAddress()).toLowerCase(), signature, producerId);
  }

  private parse<T extends RecordType>(type: T, input: unknown): RecordOf<T> {
    try {
      return parseRecord(type, input);
    } catch (e) {
      if (e instanceof RecordError) throw new AppError('invalid-record', e.message, { issues: e.issues }, { cause: e });
      throw e;
    }
  }

  private commit(record: object, salts: Record<string, string>): { root: string; salts: Record<string, string> } {
    try {
      return commitRecord(record, salts);
    } catch (e) {
      if (e instanceof RecordError) throw new AppError('invalid-input', `salts: ${e.message}`, undefined, { cause: e });
      throw e;
    }
  }

  /**
   * The signer must have been valid at `issuedAt` AND must not be revoked now: otherwise a revoked
   * key could still sign records back-dated to before its revocation.
   */
  private async assertSignerAuthorised(signer: string, role: ParticipantKind, issuedAt: string) {
    const at = instantToSeconds(issuedAt);
    const now = Math.floor(Date.now() / 1000);
    if (at > now + MAX_CLOCK_SKEW_SECONDS) throw new AppError('invalid-input', `issuedAt ${issuedAt} is in the future`);
    const status = await signerStatus(this.store, signer, role, at);
    if (!status.ok) {
      const hint = status.code === 'unknown-signer' ? ' (if it was registered, the record may have been changed after signing)' : '';
      throw new AppError(status.code, status.message + hint, { signer });
    }
    // Revocations carry the chain's block time, which can run ahead of our clock: any recorded
    // revocation is in the past as far as the chain is concerned.
    const key = (await this.store.keysOf(signer)).find((k) => k.participantId === status.participant.id);
    if (key && key.revokedAt !== null) {
      throw new AppError('key-revoked', `${signer} was revoked at ${new Date(key.revokedAt * 1000).toISOString()}; it can no longer submit records`, { signer });
    }
    if (!status.participant.active) throw new AppError('participant-revoked', `${status.participant.name} was revoked; it can no longer submit records`, { signer });
    return status.participant;
  }

  private async append(
    type: RecordType,
    record: RecordOf<RecordType>,
    root: string,
    salts: Record<string, string>,
    signer: string,
    signature: string,
    participantId: string,
  ): Promise<Acceptance> {
    const entry = createLogEntry({ type, id: record.id, recordRoot: root, signer, signature, issuedAt: record.issuedAt });
    const leaf = logEntryLeafHash(entry);
    const { logId } = RECORD_ROUTING[type];
    const body = record as unknown as Record<string, unknown>;
    await this.enqueue({
      id: record.id,
      logId,
      type,
      body,
      salts,
      recordRoot: root,
      signer: entry.signer,
      signature: entry.signature,
      issuedAt: record.issuedAt,
      entry: canonicalString(entry),
      leafHash: leaf,
      participantId,
      subject: subjectOf(type, body),
    });
    return { id: record.id, type, logId, recordRoot: root, leafHash: '0x' + toHex(leaf), signer: entry.signer, status: 'accepted' };
  }

  /** Group commit: records arriving together share one fsync; each promise settles after it. */
  private enqueue(rec: NewRecord): Promise<StoredRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ rec, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const max = this.opts.maxBatch ?? 1000;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, max);
      try {
        const outcomes = await this.store.insertRecordsEach(batch.map((b) => b.rec));
        outcomes.forEach((o, i) => {
          const item = batch[i]!;
          if (o instanceof StoreConflictError) {
            item.reject(new AppError('replay', o.what === 'id' ? `record ${item.rec.id} was already accepted` : 'this signature was already used by an accepted record'));
          } else item.resolve(o);
        });
      } catch (e) {
        for (const item of batch) item.reject(e);
      }
      this.opts.onAccepted?.();
    }
    this.flushing = false;
  }
}
