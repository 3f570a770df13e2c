/** Operations endpoints outside /api/v1: health, Prometheus metrics, and the OpenAPI document. */
import type { IRouter } from 'express';
import { traceledgerDomain } from '../../records';
import { ensureAdminToken } from '../../service/admin-token';
import { checkHealth } from '../../service/health';
import { requireOneOf } from '../exposure';
import { openApiDocument } from '../openapi';
import type { RouteDeps } from './deps';

export function operationRoutes(r: IRouter, { ctx, metrics }: RouteDeps): void {
  r.get('/healthz', async (_req, res) => {
    const health = await checkHealth(ctx.sys);
    res.status(health.status === 'ok' ? 200 : 503).set('Cache-Control', 'no-store').json(health);
  });

  // Counts and lags reveal activity: for the monitoring system's METRICS_TOKEN or the admin token only.
  r.get('/metrics', requireOneOf([ctx.sys.config.METRICS_TOKEN, ensureAdminToken(ctx.sys.config).token], '/metrics'), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  r.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(ctx.publicBaseUrl));
  });
}

/** GET /api/v1/chain: what a lab's or department's tooling needs to sign (EIP-712 domain) and to verify (addresses). */
export function chainRoutes(r: IRouter, { ctx }: RouteDeps): void {
  r.get('/chain', (_req, res) => {
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
  });
}

function traceledgerDomainJson(chainId: number, verifyingContract: string) {
  const domain = traceledgerDomain({ chainId, verifyingContract });
  return { ...domain, chainId: Number(domain.chainId) };
}
