/** Which log each record type goes to, and which participant role may sign it. */
import type { RecordType } from '../records';
import type { LogId, ParticipantKind } from '../store/types';

export const RECORD_ROUTING: { readonly [T in RecordType]: { logId: LogId; role: ParticipantKind } } = {
  Batch: { logId: 'products', role: 'producer' },
  SeleniumTestReport: { logId: 'products', role: 'lab' },
  Revocation: { logId: 'products', role: 'lab' },
  ShareRequest: { logId: 'data-sharing', role: 'department' },
  ShareReply: { logId: 'data-sharing', role: 'department' },
  ShareDelivery: { logId: 'data-sharing', role: 'department' },
  ShareReceipt: { logId: 'data-sharing', role: 'department' },
};
