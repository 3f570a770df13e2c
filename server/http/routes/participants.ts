/** Participants mirrored from the chain: anyone lists them; the operator registers them, manages their signing keys and assigns producers' product keys. */
import type { IRouter } from 'express';
import { instantToSeconds } from '../../records';
import { addParticipantKey, assignProductKey, describeParticipant, designateSpotCheckLab, endSpotCheckDesignation, listParticipants, listProductKeys, registerParticipant, revokeParticipantKey } from '../../service/participants';
import { requireParticipantId } from '../../service/references';
import { KeyBody, ParticipantBody, ParticipantKeyParams, ParticipantListQuery, ParticipantParams, ProductKeyBody, SpotCheckBody } from '../schemas';
import { API_PREFIX, type RouteDeps } from './deps';

export function participantRoutes(r: IRouter, { ctx, auth, writeLimit }: RouteDeps): void {
  const { sys } = ctx;

  r.get('/participants', async (req, res) => {
    const { kind } = ParticipantListQuery.parse(req.query);
    res.json({ items: await listParticipants(sys.store, kind) });
  });

  r.get('/participants/:id', async (req, res) => {
    const { id } = ParticipantParams.parse(req.params);
    res.json(await describeParticipant(sys.store, requireParticipantId(id)));
  });

  r.post('/participants', auth.requireAdmin, writeLimit, async (req, res) => {
    const participant = await registerParticipant(sys, ParticipantBody.parse(req.body));
    res.status(201).location(`${API_PREFIX}/participants/${participant.id}`).json(participant);
  });

  r.post('/participants/:id/keys', auth.requireAdmin, writeLimit, async (req, res) => {
    const { id } = ParticipantParams.parse(req.params);
    res.status(201).json(await addParticipantKey(sys, requireParticipantId(id), KeyBody.parse(req.body)));
  });

  // A producer's product keys (GS1 company prefixes or GTINs): its batches may use only GTINs they cover.
  r.get('/participants/:id/product-keys', async (req, res) => {
    const { id } = ParticipantParams.parse(req.params);
    res.json({ items: await listProductKeys(sys.store, requireParticipantId(id)) });
  });

  r.post('/participants/:id/product-keys', auth.requireAdmin, writeLimit, async (req, res) => {
    const { id } = ParticipantParams.parse(req.params);
    const key = ProductKeyBody.parse(req.body);
    const producerId = requireParticipantId(id);
    res.status(201).location(`${API_PREFIX}/participants/${producerId}/product-keys`).json(await assignProductKey(sys, producerId, key));
  });

  r.delete('/participants/:id/keys/:address', auth.requireAdmin, writeLimit, async (req, res) => {
    const { id, address } = ParticipantKeyParams.parse(req.params);
    res.json(await revokeParticipantKey(sys, requireParticipantId(id), address));
  });

  // The regulator's official spot checks (监督抽检): a designated lab's reports count on any batch.
  r.post('/admin/labs/:id/spot-check', auth.requireAdmin, writeLimit, async (req, res) => {
    const { id } = ParticipantParams.parse(req.params);
    const body = SpotCheckBody.parse(req.body);
    const from = body.from === undefined ? undefined : instantToSeconds(body.from);
    res.status(201).json(await designateSpotCheckLab(sys, requireParticipantId(id), { from, until: instantToSeconds(body.until) }));
  });

  r.delete('/admin/labs/:id/spot-check', auth.requireAdmin, writeLimit, async (req, res) => {
    const { id } = ParticipantParams.parse(req.params);
    res.json(await endSpotCheckDesignation(sys, requireParticipantId(id)));
  });
}
