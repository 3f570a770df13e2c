/** Operations endpoints outside /api/v1: health, Prometheus metrics, and the OpenAPI document; and the chain the API anchors on. */
import { z } from 'zod';
import { traceledgerDomain } from '../../records';
import { checkHealth } from '../../service/health';
import { jsonAnswer, type Api, type RouteContract } from '../contract';
import { openApiDocument, type OpenApiDocument } from '../openapi';
import { ChainInfo, Health, Text } from '../responses';
import { API_PREFIX, type RouteDeps } from './deps';

/** `routes`: every route of the app, this document's own included (read when the document is asked for). */
export function operationRoutes(api: Api, { ctx, metrics }: RouteDeps, routes: readonly RouteContract[]): void {
  let document: OpenApiDocument | undefined;
  api.route({
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Health of the chain node, the store and the anchoring worker',
    tags: ['operations'],
    auth: ['anyone'],
    responses: {
      200: jsonAnswer('Everything answers.', Health),
      503: jsonAnswer(
        'The chain or the store is unreachable, a write failed with a storage fault (disk full, I/O error) or the disk is nearly full (store.error, store.diskFreeMb), or anchoring halted or lags (anchoring.lagSeconds, anchoring.lastError).',
        Health,
      ),
    },
    handler: async (_input, _req, res) => {
      const health = await checkHealth(ctx.sys);
      res.status(health.status === 'ok' ? 200 : 503).set('Cache-Control', 'no-store').json(health);
    },
  });

  // Counts and lags reveal activity: for the monitoring system's METRICS_TOKEN or the admin token only.
  api.route({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description: 'Requests by route and status, records accepted by type, and per log its size, anchored size and anchoring lag. Needs METRICS_TOKEN or the admin token.',
    tags: ['operations'],
    auth: ['metrics', 'operator'],
    responses: { 200: { description: 'Prometheus text exposition format.', content: { 'text/plain': Text } } },
    handler: async (_input, _req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  });

  api.route({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This document',
    description: 'Generated from the route contracts the server validates requests with.',
    tags: ['operations'],
    auth: ['anyone'],
    responses: { 200: jsonAnswer('OpenAPI 3.1 document.', z.looseObject({ openapi: z.literal('3.1.0') })) },
    // Generated once, at the first request (every route is registered by then).
    handler: (_input, _req, res) => {
      document ??= openApiDocument(routes, ctx.publicBaseUrl);
      res.json(document);
    },
  });
}

/** GET /api/v1/chain: what a lab's or department's tooling needs to sign (EIP-712 domain) and to verify (addresses). */
export function chainRoutes(api: Api, { ctx }: RouteDeps): void {
  api.route({
    method: 'get',
    path: `${API_PREFIX}/chain`,
    operationId: 'getChain',
    summary: 'The chain and contracts records are anchored on, and the EIP-712 domain labs and departments sign in',
    tags: ['operations'],
    auth: ['anyone'],
    responses: { 200: jsonAnswer('Chain id, contract addresses and the EIP-712 domain.', ChainInfo) },
    handler: (_input, _req, res) => {
      const d = ctx.sys.deployment;
      res.json({
        chainId: d.chainId,
        traceLedger: d.traceLedger,
        participantRegistry: d.participantRegistry,
        revocationRegistry: d.revocationRegistry,
        deployedAt: d.deployedAt,
        eip712Domain: traceledgerDomainJson(d.chainId, d.traceLedger),
        publicRpcUrl: ctx.publicRpcUrl ?? null,
      });
    },
  });
}

function traceledgerDomainJson(chainId: number, verifyingContract: string) {
  const domain = traceledgerDomain({ chainId, verifyingContract });
  return { ...domain, chainId: Number(domain.chainId) };
}
