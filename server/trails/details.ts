/**
 * Which fields of a share record anyone may read: the trail's skeleton (ids, sequence numbers, the departments, the
 * steps, times, hash links and anchoring), which is what proves a trail complete and untampered. The details of a
 * data-sharing step — purpose, legal basis, requested and approved fields, conditions, scope, method, validity, the
 * delivery's hash — are for the two departments of the share and for oversight (auditor, regulator, operator): who may
 * read them is decided where the caller is known (server/http/routes/trails.ts mayReadShareDetails).
 */

/** The fields of a share record anyone may read: the trail's skeleton. */
export const SHARE_TRAIL_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'issuedAt',
  'departmentId',
  'seq',
  'prevHash',
  'step',
  'requestingDepartment',
  'providingDepartment',
  'requestId',
  'replyId',
  'deliveryId',
]);

/** The trail fields of `fields`, and the names of those withheld (sorted). */
export function withholdShareDetails(fields: Record<string, unknown>): { fields: Record<string, unknown>; withheld: string[] } {
  const kept: Record<string, unknown> = {};
  const withheld: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (SHARE_TRAIL_FIELDS.has(name)) kept[name] = value;
    else withheld.push(name);
  }
  return { fields: kept, withheld: withheld.sort() };
}
