/**
 * Dataset check: does a file in hand match what a delivery recorded? The SHA-256 is computed
 * streaming, in chunks, so a file of any size is hashed in bounded memory; only the hash is
 * compared (raw data never enters the system).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { AppError } from '../errors';
import type { Store } from '../store/types';

/** The SHA-256 of a stream and its length. */
export interface StreamDigest {
  /** `0x` + 64 lowercase hex digits, the form share records use. */
  sha256: string;
  bytes: number;
}

/** SHA-256 of everything `readable` yields (Buffers or strings, UTF-8), chunk by chunk. Rejects if the stream errors. */
export async function sha256Stream(readable: Readable | AsyncIterable<Buffer | string>): Promise<StreamDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of readable as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    hash.update(buf);
    bytes += buf.length;
  }
  return { sha256: `0x${hash.digest('hex')}`, bytes };
}

/** SHA-256 of the file at `path`, read into one reused 4 MiB buffer (no allocation per chunk, so memory stays flat). */
export async function sha256File(path: string): Promise<StreamDigest> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(4 << 20);
  const file = await fs.promises.open(path, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead)); // consumed before the next read reuses buf
      bytes += bytesRead;
    }
  } finally {
    await file.close();
  }
  return { sha256: `0x${hash.digest('hex')}`, bytes };
}

export interface DeliveryCheck {
  deliveryId: string;
  /** True when the given hash (and row count, if given) equal those the delivery recorded. */
  match: boolean;
  recorded: { dataSha256: string; rowCount: number };
  given: { sha256: string; rowCount?: number };
}

const SHA256_HEX = /^(?:0x)?[0-9a-fA-F]{64}$/;

/**
 * Compares a dataset's SHA-256 (and optionally its row count) with delivery `deliveryId`.
 * Throws AppError 'invalid-input' for a malformed hash, 'not-found' when there is no such
 * delivery (or the record is not a delivery).
 */
export async function checkDelivery(store: Store, deliveryId: string, given: { sha256: string; rowCount?: number }): Promise<DeliveryCheck> {
  if (typeof given.sha256 !== 'string' || !SHA256_HEX.test(given.sha256)) throw new AppError('invalid-input', 'sha256 must be 64 hex digits (0x optional)');
  if (given.rowCount !== undefined && (!Number.isSafeInteger(given.rowCount) || given.rowCount < 0)) throw new AppError('invalid-input', 'rowCount must be a non-negative integer');
  const sha256 = `0x${given.sha256.replace(/^0x/i, '').toLowerCase()}`;
  const rec = await store.getRecord(deliveryId);
  if (!rec || rec.type !== 'ShareDelivery') throw new AppError('not-found', `no share delivery ${deliveryId}`);
  const delivery = rec.body.delivery as { dataSha256: string; rowCount: number };
  const recorded = { dataSha256: delivery.dataSha256, rowCount: delivery.rowCount };
  const match = recorded.dataSha256 === sha256 && (given.rowCount === undefined || given.rowCount === recorded.rowCount);
  return { deliveryId, match, recorded, given: given.rowCount === undefined ? { sha256 } : { sha256, rowCount: given.rowCount } };
}
