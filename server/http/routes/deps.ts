/** What every group of API routes is given. */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { ResponseContract } from '../contract';
import type { AppContext } from '../context';
import type { Authenticator } from '../auth';
import type { HttpMetrics } from '../metrics';
import type { WriteLimit } from '../rate-limit';

export interface RouteDeps {
  ctx: AppContext;
  auth: Authenticator;
  /** The per-caller limit on write requests; mount it after the auth middleware. A bulk write charges each record (WriteLimit.charge). */
  writeLimit: WriteLimit;
  /** The per-caller limit on expensive reads (a bucket apart from writes); mount it after an auth middleware. */
  expensiveReadLimit: RequestHandler;
  metrics: HttpMetrics;
}

/** The path prefix of the REST API. */
export const API_PREFIX = '/api/v1';

/** The Location header of a 201 answer. */
export const LOCATION = (description: string): NonNullable<ResponseContract['headers']> => ({ Location: { description, schema: z.string() } });
