/** Participants mirrored from the chain: anyone lists them; the operator registers them, manages their signing keys and assigns producers' product keys. */
import { instantToSeconds } from '../../records';
import { addParticipantKey, assignProductKey, describeParticipant, designateSpotCheckLab, endSpotCheckDesignation, listParticipants, listProductKeys, registerParticipant, revokeParticipantKey } from '../../service/participants';
import { requireParticipantId } from '../../service/references';
import { errorAnswer, jsonAnswer, type Api } from '../contract';
import { itemsOf, Participant, ParticipantDetail, ProductKey, SigningKey } from '../responses';
import { KeyBody, ParticipantBody, ParticipantKeyParams, ParticipantListQuery, ParticipantParams, ProductKeyBody, SpotCheckBody } from '../schemas';
import { API_PREFIX, type RouteDeps } from './deps';

const notFound = errorAnswer('No such participant (not-found).');

export function participantRoutes(api: Api, { ctx }: RouteDeps): void {
  const { sys } = ctx;
  const tags = ['participants'];

  api.route({
    method: 'get',
    path: `${API_PREFIX}/participants`,
    operationId: 'listParticipants',
    summary: 'Participants mirrored from the chain',
    tags,
    auth: ['anyone'],
    query: ParticipantListQuery,
    responses: { 200: jsonAnswer('Participants.', itemsOf(Participant)) },
    handler: async ({ query: { kind } }, _req, res) => {
      res.json({ items: await listParticipants(sys.store, kind) });
    },
  });

  api.route({
    method: 'get',
    path: `${API_PREFIX}/participants/:id`,
    operationId: 'getParticipant',
    summary: 'A participant and its signing keys',
    tags,
    auth: ['anyone'],
    params: ParticipantParams,
    responses: { 200: jsonAnswer('The participant.', ParticipantDetail), 404: notFound },
    handler: async ({ params: { id } }, _req, res) => {
      res.json(await describeParticipant(sys.store, requireParticipantId(id)));
    },
  });

  api.route({
    method: 'post',
    path: `${API_PREFIX}/participants`,
    operationId: 'registerParticipant',
    summary: 'Register a lab, producer or department on chain',
    tags,
    auth: ['registrar'],
    limit: 'write',
    body: { schema: ParticipantBody },
    responses: {
      201: jsonAnswer('Registered and mirrored.', ParticipantDetail),
      400: errorAnswer('Malformed (invalid-input), or a key or accreditation window starting in the past (window-starts-in-past).'),
      409: errorAnswer('Already registered (conflict).'),
    },
    handler: async ({ body }, _req, res) => {
      const participant = await registerParticipant(sys, body);
      res.status(201).location(`${API_PREFIX}/participants/${participant.id}`).json(participant);
    },
  });

  api.route({
    method: 'post',
    path: `${API_PREFIX}/participants/:id/keys`,
    operationId: 'addParticipantKey',
    summary: 'Add a signing key to a participant',
    tags,
    auth: ['registrar'],
    limit: 'write',
    params: ParticipantParams,
    body: { schema: KeyBody },
    responses: {
      201: jsonAnswer('Added and mirrored.', SigningKey),
      400: errorAnswer('Malformed (invalid-input), or a window starting in the past (window-starts-in-past).'),
      404: notFound,
      409: errorAnswer('The key is already registered (conflict).'),
    },
    handler: async ({ params: { id }, body }, _req, res) => {
      res.status(201).json(await addParticipantKey(sys, requireParticipantId(id), body));
    },
  });

  // A producer's product keys (GS1 company prefixes or GTINs): its batches may use only GTINs they cover.
  api.route({
    method: 'get',
    path: `${API_PREFIX}/participants/:id/product-keys`,
    operationId: 'listProductKeys',
    summary: "List a producer's product keys",
    description: 'The GS1 company prefixes and GTINs assigned to the producer on chain: its batches may use only GTINs they cover.',
    tags,
    auth: ['anyone'],
    params: ParticipantParams,
    responses: { 200: jsonAnswer('Its product keys.', itemsOf(ProductKey)), 404: notFound },
    handler: async ({ params: { id } }, _req, res) => {
      res.json({ items: await listProductKeys(sys.store, requireParticipantId(id)) });
    },
  });

  api.route({
    method: 'post',
    path: `${API_PREFIX}/participants/:id/product-keys`,
    operationId: 'assignProductKey',
    summary: 'Assign a producer a GS1 company prefix or a GTIN',
    description:
      'The registrar assigns it on chain (ParticipantRegistry.assignProductKey); the answer comes once it is mined and mirrored. ' +
      'Send `key`, a company prefix of 6 to 12 digits in GTIN-13 form (the GTIN-14 without its indicator digit), or `gtin`, ' +
      'one GTIN-8/12/13/14 with a valid check digit (stored as its GTIN-14). A prefix covers every GTIN-14 whose digits after the indicator start with it. ' +
      "Keys never overlap: one covered by another producer's key, or covering one, is refused (product-key-taken: 409). " +
      'Without a key covering its GTIN, a batch is refused at ingest (gtin-not-owned: 403) and fails checkProductOwner in every verifier.',
    tags,
    auth: ['registrar'],
    limit: 'write',
    params: ParticipantParams,
    body: { schema: ProductKeyBody },
    responses: {
      201: jsonAnswer('Assigned and mirrored.', ProductKey),
      404: notFound,
      409: errorAnswer('The key overlaps one already assigned (product-key-taken), or the participant is no producer (conflict).'),
    },
    handler: async ({ params: { id }, body: key }, _req, res) => {
      const producerId = requireParticipantId(id);
      res.status(201).location(`${API_PREFIX}/participants/${producerId}/product-keys`).json(await assignProductKey(sys, producerId, key));
    },
  });

  api.route({
    method: 'delete',
    path: `${API_PREFIX}/participants/:id/keys/:address`,
    operationId: 'revokeParticipantKey',
    summary: "Revoke a participant's signing key from now on",
    description: 'Records it signed before stay valid; it signs nothing new.',
    tags,
    auth: ['registrar'],
    limit: 'write',
    params: ParticipantKeyParams,
    responses: { 200: jsonAnswer('Revoked and mirrored.', SigningKey), 404: errorAnswer('No such participant or key (not-found).'), 409: errorAnswer('Already revoked (conflict).') },
    handler: async ({ params: { id, address } }, _req, res) => {
      res.json(await revokeParticipantKey(sys, requireParticipantId(id), address));
    },
  });

  // The regulator's official spot checks (监督抽检): a designated lab's reports count on any batch.
  api.route({
    method: 'post',
    path: `${API_PREFIX}/admin/labs/:id/spot-check`,
    operationId: 'designateSpotCheckLab',
    summary: 'Designate a lab for official spot checks (监督抽检), as the regulator',
    description: "The lab's reports issued within [from, until] count on any batch, marked as spot checks. `from` defaults to now. Written to ParticipantRegistry with REGULATOR_ROLE.",
    tags,
    auth: ['regulator'],
    limit: 'write',
    params: ParticipantParams,
    body: { schema: SpotCheckBody },
    responses: { 201: jsonAnswer('Designated and mirrored.', ParticipantDetail), 404: notFound, 409: errorAnswer('Not a lab, or a window that cannot be (conflict).') },
    handler: async ({ params: { id }, body }, _req, res) => {
      const from = body.from === undefined ? undefined : instantToSeconds(body.from);
      res.status(201).json(await designateSpotCheckLab(sys, requireParticipantId(id), { from, until: instantToSeconds(body.until) }));
    },
  });

  api.route({
    method: 'delete',
    path: `${API_PREFIX}/admin/labs/:id/spot-check`,
    operationId: 'endSpotCheckDesignation',
    summary: "End a lab's spot-check designation now",
    tags,
    auth: ['regulator'],
    limit: 'write',
    params: ParticipantParams,
    responses: { 200: jsonAnswer('Ended and mirrored.', ParticipantDetail), 404: notFound, 409: errorAnswer('The lab is not designated (conflict).') },
    handler: async ({ params: { id } }, _req, res) => {
      res.json(await endSpotCheckDesignation(sys, requireParticipantId(id)));
    },
  });
}
