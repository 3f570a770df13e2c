/**
 * The row shapes both stores read (server/store/sqlite.ts, postgres.ts: the same columns) and their mapping to the
 * Store interface's plain objects. A damaged JSON column of a record reads as {} with the record's `fault` set.
 */
import type { ApiToken, Checkpoint, CheckpointStatus, LogId, Participant, ParticipantKey, ParticipantKind, Revocation, StoredRecord, TokenRole } from './types';

export interface RecordRow {
  arrival: number;
  id: string;
  log_id: string;
  type: string;
  body: string;
  salts: string;
  record_root: string;
  signer: string;
  signature: string;
  issued_at: string;
  entry: string;
  leaf_hash: Buffer;
  participant_id: string | null;
  subject: string | null;
  received_at: number;
  leaf_index: number | null;
}

export interface CheckpointRow {
  log_id: string;
  size: number;
  root: string;
  status: CheckpointStatus;
  chain_id: number | null;
  contract: string | null;
  tx_hash: string | null;
  block_number: number | null;
  block_time: number | null;
  attempts: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** A trail page's order key (the body's seq as the database reads it) as a number, as Number(body.seq) gives it; NaN when absent. */
export function orderSeq(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
}

/** A stored JSON object column, or {} and what is wrong with it (a damaged row must not stop every reader). */
export function jsonObjectColumn(text: string, column: string, faults: string[]): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  faults.push(`its ${column} is not a JSON object`);
  return {};
}

export function toRecord(r: RecordRow): StoredRecord {
  const faults: string[] = [];
  const body = jsonObjectColumn(r.body, 'body', faults);
  const salts = jsonObjectColumn(r.salts, 'salts', faults) as Record<string, string>;
  const rec = toRecordWith(r, body, salts);
  if (faults.length > 0) rec.fault = faults.join('; ');
  return rec;
}

const toRecordWith = (r: RecordRow, body: Record<string, unknown>, salts: Record<string, string>): StoredRecord => ({
  arrival: r.arrival,
  id: r.id,
  logId: r.log_id as LogId,
  type: r.type,
  body,
  salts,
  recordRoot: r.record_root,
  signer: r.signer,
  signature: r.signature,
  issuedAt: r.issued_at,
  entry: r.entry,
  leafHash: new Uint8Array(r.leaf_hash),
  participantId: r.participant_id,
  subject: r.subject,
  receivedAt: r.received_at,
  leafIndex: r.leaf_index,
});

export const toCheckpoint = (r: CheckpointRow): Checkpoint => ({
  logId: r.log_id as LogId,
  size: r.size,
  root: r.root,
  status: r.status,
  chainId: r.chain_id,
  contract: r.contract,
  txHash: r.tx_hash,
  blockNumber: r.block_number,
  blockTime: r.block_time,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface ParticipantRow {
  id: string;
  kind: ParticipantKind;
  name: string;
  code: string;
  valid_from: number | null;
  valid_to: number | null;
  data: string;
  /** SQLite: 0 or 1; PostgreSQL: a boolean. */
  active: number | boolean;
}

export interface KeyRow {
  address: string;
  participant_id: string;
  valid_from: number;
  valid_to: number;
  revoked_at: number | null;
}

export const toParticipant = (r: ParticipantRow): Participant => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  code: r.code,
  validFrom: r.valid_from,
  validTo: r.valid_to,
  data: JSON.parse(r.data) as Record<string, unknown>,
  active: r.active === 1 || r.active === true,
});

export const toKey = (r: KeyRow): ParticipantKey => ({
  address: r.address,
  participantId: r.participant_id,
  validFrom: r.valid_from,
  validTo: r.valid_to,
  revokedAt: r.revoked_at,
});

export interface RevocationRow {
  leaf_hash: string;
  revoker_id: string;
  reason_code: number;
  revoked_at: number;
  revoked_by: string;
  tx_hash: string | null;
}

export const toRevocation = (r: RevocationRow): Revocation => ({
  leafHash: r.leaf_hash,
  revokerId: r.revoker_id,
  reasonCode: r.reason_code,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
  txHash: r.tx_hash,
});

export interface TokenRow {
  token_hash: string;
  role: TokenRole;
  participant_id: string | null;
  label: string;
  created_at: number;
  revoked_at: number | null;
}

export const toToken = (r: TokenRow): ApiToken => ({ tokenHash: r.token_hash, role: r.role, participantId: r.participant_id, label: r.label, createdAt: r.created_at, revokedAt: r.revoked_at });
