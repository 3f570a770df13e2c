/** Operations endpoints outside /api/v1: health, Prometheus metrics, and the OpenAPI document. */
import type { IRouter } from 'express';
import { checkHealth } from '../../service/health';
import { openApiDocument } from '../openapi';
import type { RouteDeps } from './deps';

export function operationRoutes(r: IRouter, { ctx, metrics }: RouteDeps): void {
  r.get('/healthz', async (_req, res) => {
    const health = await checkHealth(ctx.sys);
    res.status(health.status === 'ok' ? 200 : 503).set('Cache-Control', 'no-store').json(health);
  });

  r.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  r.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(ctx.publicBaseUrl));
  });
}
