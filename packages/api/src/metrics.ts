import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the server exports at /metrics, in one registry per server (tests run several). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'gantry_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'gantry_http_request_duration_seconds',
    help: 'HTTP request latency by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly dbQueries = new Histogram({
    name: 'gantry_db_query_duration_seconds',
    help: 'Database statement latency.',
    labelNames: ['outcome'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });
  readonly watches = new Gauge({
    name: 'gantry_watches_open',
    help: 'Open watch streams.',
    registers: [this.registry],
  });
  readonly reconciles = new Counter({
    name: 'gantry_controller_reconciles_total',
    help: 'Reconciles by controller and result.',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'gantry_controller_reconcile_duration_seconds',
    help: 'Reconcile latency by controller.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly applicationReconcile = new Histogram({
    name: 'gantry_application_reconcile_seconds',
    help: 'Application reconciles, split into waiting for cluster API servers (part="api") and Gantry\'s own work (part="own").',
    labelNames: ['part'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'gantry_controller_queue_depth',
    help: 'Keys waiting in each controller queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'gantry_controller_leader',
    help: '1 when this server holds the controller lease.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly fencedWrites = new Counter({
    name: 'gantry_controller_fenced_writes_total',
    help: 'Writes the store refused because the controller term that made them was over (ADR 0028).',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly alertsReceived = new Counter({
    name: 'gantry_alerts_received_total',
    help: 'Alerts stored by ingest, by source (prometheus, alertmanager-webhook, generic, gantry-rule).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly alertsRejected = new Counter({
    name: 'gantry_alerts_rejected_total',
    help: 'Alerts refused by ingest, by reason (docs/reference/alerts.md); a refused batch stores nothing.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly alertsNormalized = new Counter({
    name: 'gantry_alerts_normalized_total',
    help: 'Alerts whose times ingest filled or moved, by reason (starts_missing, ends_missing, starts_in_future).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly alertIngestThread = new Gauge({
    name: 'gantry_alerts_ingest_thread',
    help: "1 while the alert ingest's thread takes request bodies (SQLite on a file, ADR 0042); 0 while the event loop parses them.",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gantry_process_' });
  }
}
