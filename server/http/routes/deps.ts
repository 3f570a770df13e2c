/** What every group of API routes is given. */
import type { RequestHandler } from 'express';
import type { AppContext } from '../context';
import type { Authenticator } from '../auth';
import type { HttpMetrics } from '../metrics';

export interface RouteDeps {
  ctx: AppContext;
  auth: Authenticator;
  /** The per-caller limit on write requests; mount it after the auth middleware. */
  writeLimit: RequestHandler;
  /** The per-caller limit on expensive reads (a bucket apart from writes); mount it after an auth middleware. */
  expensiveReadLimit: RequestHandler;
  metrics: HttpMetrics;
}

/** The path prefix of the REST API. */
export const API_PREFIX = '/api/v1';
