/**
 * Prometheus metrics (one registry per app): requests by route and status, records accepted by
 * type, and per log its size, anchored size and anchoring lag, read from the store at scrape time.
 */
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LOG_IDS, type LogId, type Store } from '../store/types';
import { routeLabel } from './request-log';

export interface HttpMetrics {
  registry: Registry;
  /** Middleware: counts and times every request. */
  observe: RequestHandler;
  /** Counts records accepted, by type. */
  accepted(type: string, count?: number): void;
}

interface LogState {
  size: number;
  anchored: number;
  waitingEntries: number;
  oldestWaitingMs: number | null;
}

async function logState(store: Store, logId: LogId): Promise<LogState> {
  const head = await store.logHead(logId);
  const anchored = (await store.latestCheckpoint(logId, 'confirmed'))?.size ?? 0;
  const unsequenced = await store.countUnsequenced(logId);
  let oldestWaitingMs: number | null = null;
  if (head.size > anchored) oldestWaitingMs = (await store.getRecordByLeafIndex(logId, anchored))?.receivedAt ?? null;
  else if (unsequenced.count > 0) oldestWaitingMs = unsequenced.oldestReceivedAt;
  return { size: head.size, anchored, waitingEntries: head.size - anchored + unsequenced.count, oldestWaitingMs };
}

export function createMetrics(store: Store): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'traceledger_' });

  const requests = new Counter({
    name: 'traceledger_http_requests_total',
    help: 'HTTP requests, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'traceledger_http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const accepted = new Counter({
    name: 'traceledger_records_accepted_total',
    help: 'Records accepted (durably stored, waiting to be anchored), by type',
    labelNames: ['type'] as const,
    registers: [registry],
  });

  const logGauge = (name: string, help: string, read: (s: LogState) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['log'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const log of LOG_IDS) this.set({ log }, read(await logState(store, log)));
      },
    });
  logGauge('traceledger_log_size', 'Entries appended to the log', (s) => s.size);
  logGauge('traceledger_log_anchored_size', 'Size of the latest checkpoint confirmed on chain', (s) => s.anchored);
  logGauge('traceledger_anchoring_lag_entries', 'Accepted entries not yet covered by a confirmed checkpoint', (s) => s.waitingEntries);
  logGauge('traceledger_anchoring_lag_seconds', 'Age of the oldest accepted entry not yet covered by a confirmed checkpoint', (s) =>
    s.oldestWaitingMs === null ? 0 : Math.max(0, (Date.now() - s.oldestWaitingMs) / 1000),
  );

  return {
    registry,
    observe: (req, res, next) => {
      const end = duration.startTimer();
      res.on('finish', () => {
        const labels = { method: req.method, route: routeLabel(req, res), status: String(res.statusCode) };
        requests.inc(labels);
        end(labels);
      });
      next();
    },
    accepted: (type, count = 1) => {
      if (count > 0) accepted.inc({ type }, count);
    },
  };
}
