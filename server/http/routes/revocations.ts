/** Revocations (recalls) of records: the regulator revokes with its token, a lab relays its signed revocation; anyone reads them. */
import { revocationOfRecord, revokeRecord, revokeRecordSigned } from '../../service/revocations';
import { errorAnswer, jsonAnswer, type Api } from '../contract';
import { Revocation } from '../responses';
import { RevocationBody, RevocationParams, SignedRevocationBody } from '../schemas';
import { API_PREFIX, LOCATION, type RouteDeps } from './deps';

export function revocationRoutes(api: Api, { ctx }: RouteDeps): void {
  const { sys } = ctx;

  api.route({
    method: 'post',
    path: `${API_PREFIX}/revocations`,
    operationId: 'revokeRecord',
    summary: 'Revoke (recall) a record, as the regulator',
    description:
      "Records the regulator's revocation on chain. The issuing lab's own revocation (or another lab's) does not prevent it; 409 when the regulator already revoked the record. Answers the record's revocation as GET does.",
    tags: ['revocations'],
    auth: ['regulator'],
    limit: 'write',
    body: { schema: RevocationBody },
    responses: {
      201: jsonAnswer('Revoked on chain.', Revocation, LOCATION("The record's revocation.")),
      404: errorAnswer('No such record (not-found).'),
      409: errorAnswer('The regulator already revoked the record (conflict).'),
    },
    handler: async ({ body }, _req, res) => {
      const revocation = await revokeRecord(sys, body);
      res.status(201).location(`${API_PREFIX}/revocations/${encodeURIComponent(revocation.recordId)}`).json(revocation);
    },
  });

  api.route({
    method: 'post',
    path: `${API_PREFIX}/revocations/signed`,
    operationId: 'revokeRecordSigned',
    summary: 'Revoke (recall) a report, as the lab that signed it',
    description:
      "Relays a lab's EIP-712 signed revocation of its own selenium test report to RevocationRegistry.revokeWithSignature with the operator's key, so the lab needs no wallet or gas; the signature is the credential. Recorded on chain for the lab that signed the report; answers the record's revocation as GET does.",
    tags: ['revocations'],
    auth: ['anyone'],
    limit: 'write',
    body: { schema: SignedRevocationBody },
    responses: {
      201: jsonAnswer('Revoked on chain, for the lab.', Revocation, LOCATION("The record's revocation.")),
      400: errorAnswer('Invalid body, not a selenium test report (invalid-input), or the deadline passed or the signature is malformed (bad-signature).'),
      403: errorAnswer("The signer is not a registered key (unknown-signer), not a key of the lab that signed the report (not-report-issuer), or not valid now (key-expired, key-revoked, participant-revoked, not-accredited, …)."),
      404: errorAnswer('No such record (not-found).'),
      409: errorAnswer('The lab already revoked the report (conflict): e.g. the same signature sent again.'),
      501: errorAnswer('The deployed RevocationRegistry predates signed revocations (not-supported): the operator must redeploy the contracts.'),
    },
    handler: async ({ body }, _req, res) => {
      const revocation = await revokeRecordSigned(sys, body);
      res.status(201).location(`${API_PREFIX}/revocations/${encodeURIComponent(revocation.recordId)}`).json(revocation);
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/revocations/:recordId`,
    operationId: 'getRevocation',
    summary: "A record's revocation",
    description: "The revocation that counts: by the lab that issued the record or by the regulator. 404 when neither revoked it (another lab's revocation does not count).",
    tags: ['revocations'],
    auth: ['anyone'],
    params: RevocationParams,
    responses: { 200: jsonAnswer('The revocation.', Revocation), 404: errorAnswer('Not revoked, or no such record (not-found).') },
    handler: async ({ params: { recordId } }, _req, res) => {
      res.json(await revocationOfRecord(sys.store, recordId));
    },
  });
}
