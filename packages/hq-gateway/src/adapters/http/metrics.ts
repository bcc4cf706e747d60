// Prometheus metrics (issue 11, prom-client on its own registry, not the global one): the ingest
// pipeline's counters read at scrape time, open alerts, and HTTP request durations by route.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PipelineCounters } from '../../app/ingest/counters.js';

export interface ApiMetrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
}

export interface MetricsSources {
  /** The running pipeline's counters; absent when no ingest runs in this process. */
  readonly ingest?: () => PipelineCounters;
  readonly openAlerts: () => Promise<number>;
}

/** Counters exposed from the pipeline (each `hq_ingest_<name>_total`). */
const ingestCounters = [
  'received',
  'stored',
  'quarantined',
  'duplicates',
  'discrepancies',
  'gaps',
  'acksSent',
  'authRequests',
  'authApproved',
  'authDeclined',
  'stationsSuspended',
  'quarantineDropped',
  'batches',
] as const satisfies ReadonlyArray<keyof PipelineCounters>;

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function createApiMetrics(sources: MetricsSources): ApiMetrics {
  const registry = new Registry();
  const ingest = sources.ingest;
  if (ingest !== undefined) {
    for (const name of ingestCounters) {
      new Counter({
        name: `hq_ingest_${snake(name)}_total`,
        help: `ingest pipeline counter ${name} since start`,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(ingest()[name]);
        },
      });
    }
  }
  new Gauge({
    name: 'hq_alerts_open',
    help: 'alerts not yet acknowledged',
    registers: [registry],
    async collect() {
      this.set(await sources.openAlerts());
    },
  });
  const httpDuration = new Histogram({
    name: 'hq_http_request_duration_seconds',
    help: 'HTTP API request durations by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, httpDuration };
}
