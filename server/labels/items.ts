/** What a batch's label shows, read from its PUBLIC fields only (never the private certificate issuer). */
import { AppError } from '../errors';
import { RecordIdSchema } from '../records';
import { listCategories } from '../standards';
import type { Store, StoredRecord } from '../store/types';
import { labelUri } from '../records/digital-link';
import type { LabelItem } from './sheet';

/** The public fields of a stored batch that a label uses. */
interface BatchLabelFields {
  id: string;
  gtin?: string;
  lot: string;
  producer: { name: string };
  productionDate: { kind: 'harvest' | 'production'; date: string };
  productCategory: string;
  certificate?: { productName: string };
}

/** The label of a stored batch; its QR code links to `labelUri(publicBaseUrl, batch)`. Requires a Batch record. */
export function labelItemOfBatch(rec: StoredRecord, publicBaseUrl: string): LabelItem {
  if (rec.type !== 'Batch') throw new AppError('not-found', `record ${rec.id} is a ${rec.type}, not a batch`);
  const b = rec.body as unknown as BatchLabelFields;
  const category = listCategories().find((c) => c.key === b.productCategory);
  return {
    uri: labelUri(publicBaseUrl, { id: b.id, gtin: b.gtin, lot: b.lot }),
    // What a person can read out or type when the QR code will not scan: the lot beside the printed GTIN, else the id.
    code: b.gtin ? b.lot : b.id,
    productName: b.certificate?.productName ?? category?.name_zh ?? b.productCategory,
    lot: b.lot,
    producerName: b.producer.name,
    gtin: b.gtin,
    date: b.productionDate.date,
    dateKind: b.productionDate.kind,
  };
}

/** A stored batch by id. Throws 'invalid-input' for a malformed id, 'not-found' when there is no such batch. */
export async function getBatchRecord(store: Store, id: string): Promise<StoredRecord> {
  if (!RecordIdSchema.safeParse(id).success) throw new AppError('invalid-input', `"${id}" is not a record id`);
  const rec = await store.getRecord(id);
  if (!rec || rec.type !== 'Batch') throw new AppError('not-found', `no batch ${id}`);
  return rec;
}

/** The labels of the batches `ids`, in that order. Throws like {@link getBatchRecord}, naming the first bad id. */
export async function labelItemsOf(store: Store, ids: readonly string[], publicBaseUrl: string): Promise<LabelItem[]> {
  const items: LabelItem[] = [];
  for (const id of ids) items.push(labelItemOfBatch(await getBatchRecord(store, id), publicBaseUrl));
  return items;
}
