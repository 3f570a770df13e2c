/**
 * Lifecycle rules of share records at ingest: a department signs only its own records, each one
 * takes the next number of the department's own sequence and links to its previous record, and
 * each step after a request answers an existing step of the right department. Policy violations
 * (delivering outside the validity window, fields beyond those approved…) are NOT refused here:
 * they are recorded, so that the auditor sees them (see alerts.ts).
 */
import { participantIdFor } from '../chain/registry';
import { AppError } from '../errors';
import { toHex } from '../ledger/rfc6962';
import { GENESIS_PREV_HASH, type ShareDelivery, type ShareRecord, type ShareReply, type ShareRequest } from '../records';
import { KeyedTurns } from '../store/turns';
import type { Store, StoredRecord } from '../store/types';

/** Where a department's sequence stands: what its next record must carry. */
export interface TrailHead {
  departmentId: string;
  /** The `seq` the next record must have (1 for a department without records). */
  nextSeq: number;
  /** The `prevHash` it must have: the leaf hash of the last record, or 32 zero bytes. */
  prevHash: string;
  /** The last record accepted, if any. */
  lastRecordId: string | null;
}

/** The head of `departmentId`'s sequence, from its last stored record (the sequence state is the records themselves). */
export async function trailHead(store: Store, departmentId: string): Promise<TrailHead> {
  const last = await store.lastTrailRecord(departmentId);
  if (!last) return { departmentId, nextSeq: 1, prevHash: GENESIS_PREV_HASH, lastRecordId: null };
  return { departmentId, nextSeq: Number(last.body.seq) + 1, prevHash: `0x${toHex(last.leafHash)}`, lastRecordId: last.id };
}

/** The department id (participant id) of a department's unified social credit code. */
export const departmentIdOf = (uscc: string): string => participantIdFor('department', uscc);

/**
 * Admits share records one department at a time. Within one process, records of the same
 * department are checked and committed strictly one after another, so two concurrent
 * submissions cannot both take the same `seq`; departments do not wait for each other.
 */
export class ShareLifecycle {
  private readonly turns = new KeyedTurns();

  constructor(private readonly store: Store) {}

  /**
   * Checks `record`, signed by participant `signerId`, against the lifecycle rules; then, still
   * holding the department's turn, runs `commit`, which must make the record durable.
   * Throws AppError: 'forbidden' (signed for another department), 'replay' (id already
   * accepted), 'conflict' (not the next seq / prevHash; `details` names the expected ones),
   * 'not-found' (the referenced step does not exist), 'invalid-input' (it is not the right kind
   * of step, is for another share, or the signer is not the department that step names).
   */
  async admit<T>(record: ShareRecord, signerId: string, commit: () => Promise<T>): Promise<T> {
    assertSignsOwnRecord(record, signerId);
    return this.turns.run(record.departmentId, async () => {
      await this.assertNotReplayed(record);
      await this.assertNextInSequence(record);
      await this.assertReferences(record);
      return commit();
    });
  }

  private async assertNotReplayed(record: ShareRecord): Promise<void> {
    if (await this.store.getRecord(record.id)) throw new AppError('replay', `record ${record.id} was already accepted`);
  }

  private async assertNextInSequence(record: ShareRecord): Promise<void> {
    const head = await trailHead(this.store, record.departmentId);
    const details = { expectedSeq: head.nextSeq, expectedPrevHash: head.prevHash, lastRecordId: head.lastRecordId };
    if (record.seq !== head.nextSeq) {
      throw new AppError('conflict', `seq ${record.seq} is not the next of department ${record.departmentId}: expected seq ${head.nextSeq} with prevHash ${head.prevHash}`, details);
    }
    if (record.prevHash !== head.prevHash) {
      throw new AppError('conflict', `prevHash ${record.prevHash} is not the leaf hash of the department's last record: expected prevHash ${head.prevHash} for seq ${head.nextSeq}`, details);
    }
  }

  private async assertReferences(record: ShareRecord): Promise<void> {
    switch (record.step) {
      case 'request':
        return assertNamesSigner(record, 'requestingDepartment');
      case 'reply':
        assertNamesSigner(record, 'providingDepartment');
        await this.assertRequestProvidedBySigner(record);
        return;
      case 'delivery': {
        assertNamesSigner(record, 'providingDepartment');
        await this.assertRequestProvidedBySigner(record);
        const reply = await this.step<ShareReply>(record.replyId, 'ShareReply', 'reply');
        if (reply.requestId !== record.requestId) throw new AppError('invalid-input', `reply ${record.replyId} answers request ${reply.requestId}, not ${record.requestId}`);
        return;
      }
      case 'receipt': {
        assertNamesSigner(record, 'requestingDepartment');
        const delivery = await this.step<ShareDelivery>(record.deliveryId, 'ShareDelivery', 'delivery');
        if (delivery.requestId !== record.requestId) throw new AppError('invalid-input', `delivery ${record.deliveryId} is for request ${delivery.requestId}, not ${record.requestId}`);
        if (departmentIdOf(delivery.requestingDepartment.uscc) !== record.departmentId) {
          throw new AppError('invalid-input', `delivery ${record.deliveryId} was made to ${delivery.requestingDepartment.name}, not to the signing department`);
        }
        return;
      }
    }
  }

  private async assertRequestProvidedBySigner(record: ShareReply | ShareDelivery): Promise<void> {
    const request = await this.step<ShareRequest>(record.requestId, 'ShareRequest', 'request');
    if (departmentIdOf(request.providingDepartment.uscc) !== record.departmentId) {
      throw new AppError('invalid-input', `request ${record.requestId} asks ${request.providingDepartment.name}, not the signing department, to provide the data`);
    }
  }

  /** The stored step `id` of `type`, or 'not-found' / 'invalid-input'. */
  private async step<R>(id: string, type: string, what: string): Promise<R> {
    const stored: StoredRecord | undefined = await this.store.getRecord(id);
    if (!stored) throw new AppError('not-found', `no share ${what} ${id}`);
    if (stored.type !== type) throw new AppError('invalid-input', `record ${id} is a ${stored.type}, not a share ${what}`);
    return stored.body as R;
  }
}

/** A department signs only records of its own sequence. */
function assertSignsOwnRecord(record: ShareRecord, signerId: string): void {
  if (record.departmentId !== signerId) {
    throw new AppError('forbidden', `the record is in the sequence of department ${record.departmentId}, but its signer's key belongs to ${signerId}: a department signs only its own records`);
  }
}

/** The department the step's role names (requesting or providing) must be the signing department. */
function assertNamesSigner(record: ShareRecord, role: 'requestingDepartment' | 'providingDepartment'): void {
  const named = record[role];
  if (departmentIdOf(named.uscc) !== record.departmentId) {
    const side = role === 'requestingDepartment' ? 'requesting' : 'providing';
    throw new AppError('invalid-input', `a ${record.step} is signed by the ${side} department, but this one names ${named.name} (${named.uscc}) as ${side} department`);
  }
}
