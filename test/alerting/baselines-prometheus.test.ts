import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElector, MemoryEventRecorder, systemClock } from '@gantry/controllers';
import {
  BASELINE_LEASE,
  BaselineEvaluator,
  MemoryRiskSink,
  createBaselineSeriesReader,
  createPrometheusRangeQuerier,
  registerBaselineAdmission,
} from '@gantry/health';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import { KindRegistry, builtinKinds, type BaselineRiskDetails, type BaselineStatus } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { scrapeConfig, startPrometheus, type Started } from '../support/monitoring.ts';

// A real Prometheus scrapes a target this test serves every second; the BaselineEvaluator, started by
// the `health-baselines` lease, reads the Baseline's range from it. After half a minute of a steady level
// the target's value jumps: the series becomes a risk carrying its band and points; the series API's
// narrowed query (`and on(...) label_replace(...)`) returns that one series with the deviation marked; and
// once Prometheus is stopped the Baseline says SourceUnreachable (condition and Warning) with its risk
// left as it was.

const admin: Caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const SERIES = '{__name__="gantry_baseline_test_requests",instance="checkout-1",job="baseline-test"}';

let prometheus: Started | undefined;
let prometheusUrl: string;
let target: Server;
let level = 100;
let scrapes = 0;
let store: Store;
let resources: ResourceService;
let evaluator: BaselineEvaluator;
let leader: LeaderElector;
const sink = new MemoryRiskSink();
const events = new MemoryEventRecorder();

async function status(): Promise<BaselineStatus | undefined> {
  return (await resources.get(admin, 'Baseline', 'shop', 'checkout-requests')).status as BaselineStatus;
}

beforeAll(async () => {
  target = createServer((_req, res) => {
    scrapes += 1;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    const value = level + (scrapes % 2 === 0 ? 1 : -1);
    res.end(
      `# TYPE gantry_baseline_test_requests gauge\ngantry_baseline_test_requests{instance="checkout-1"} ${value}\n`,
    );
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetPort = (target.address() as AddressInfo).port;
  prometheus = await startPrometheus({
    'prometheus.yml': scrapeConfig('baseline-test', [`127.0.0.1:${targetPort}`], ['honor_labels: true']),
  });
  prometheusUrl = prometheus.url;
  const querier = createPrometheusRangeQuerier();
  await eventually(
    () =>
      querier.queryRange(
        { url: prometheusUrl, timeoutMs: 1000 },
        'gantry_baseline_test_requests',
        Date.now() - 5000,
        Date.now(),
        1000,
      ),
    (outcome) => outcome.ok && outcome.series.length === 1,
    60_000,
    250,
  );

  store = await Store.open({ url: ':memory:' });
  const kinds = new KindRegistry();
  for (const kind of builtinKinds) kinds.register(kind);
  resources = new ResourceService(kinds, store.resources);
  registerBaselineAdmission(resources);
  await resources.create(admin, 'Team', undefined, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: 'shop' },
    spec: { members: [] },
  });
  await resources.create(admin, 'MetricsSource', 'shop', {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'MetricsSource',
    metadata: { name: 'prometheus' },
    spec: { url: prometheusUrl, timeoutSeconds: 2 },
  });
  await resources.create(admin, 'Baseline', 'shop', {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Baseline',
    metadata: { name: 'checkout-requests' },
    spec: {
      source: { name: 'prometheus' },
      query: 'gantry_baseline_test_requests{job="baseline-test"}',
      step: '1s',
      lookback: '2m',
      interval: '10s',
      entity: { kind: 'Workload', nameLabel: 'instance' },
    },
  });
  const logger = pino({ level: 'silent' });
  evaluator = new BaselineEvaluator(
    {
      repository: store.resources,
      resources,
      secrets: { reveal: () => Promise.resolve({}) },
      sink,
      recorder: events,
      clock: systemClock(),
      logger,
    },
    { tickMs: 1000 },
  );
  leader = new LeaderElector(store.leases, {
    leaseName: BASELINE_LEASE,
    holder: 'test',
    leaseDurationMs: 15_000,
    clock: systemClock(),
    logger,
    onStartedLeading: () => evaluator.start(),
    onStoppedLeading: () => evaluator.stop(),
  });
  await leader.start();
}, 90_000);

afterAll(async () => {
  await leader?.stop();
  await prometheus?.stop();
  await new Promise<void>((resolve) => target?.close(() => resolve()));
  await store?.close();
});

describe('baselines against a real Prometheus', () => {
  it('a level shift produces a risk with its band', { timeout: 120_000 }, async () => {
    // Half a minute and more of a steady level first: the band needs 30 points before any verdict.
    await eventually(status, (s) => (s?.series?.checked ?? 0) === 1, 20_000, 250);
    await new Promise((resolve) => setTimeout(resolve, 36_000));
    expect(sink.risks()).toEqual([]);
    level = 300;
    const [risk] = await eventually(
      () => Promise.resolve(sink.risks()),
      (risks) => risks.length === 1,
      30_000,
      250,
    );
    expect(risk!.source).toEqual({
      team: 'shop',
      kind: 'Baseline',
      name: 'checkout-requests',
      check: SERIES,
    });
    expect(risk!.observation.entities).toEqual([{ kind: 'Workload', name: 'checkout-1' }]);
    const details = risk!.observation.details as unknown as BaselineRiskDetails;
    expect(details.direction).toBe('up');
    expect(details.band.centre).toBeGreaterThan(90);
    expect(details.band.centre).toBeLessThan(300);
    expect(details.band.upper).toBeLessThan(299);
    expect(details.points.filter((point) => point.deviation).length).toBeGreaterThanOrEqual(3);
    expect(details.points.some((point) => point.value >= 299)).toBe(true);
    expect((await status())?.series).toEqual({ checked: 1, deviating: 1 });
  });

  it('the series API reads that one series with its band and the deviation marked', async () => {
    const reader = createBaselineSeriesReader({
      repository: store.resources,
      secrets: { reveal: () => Promise.resolve({}) },
      now: Date.now,
    });
    const view = await reader.read(
      await resources.get(admin, 'Baseline', 'shop', 'checkout-requests'),
      SERIES,
    );
    expect(view.labels).toMatchObject({ instance: 'checkout-1', job: 'baseline-test' });
    expect(view.points.length).toBeGreaterThan(40);
    expect(view.deviating).toBe(true);
    expect(view.deviations.length).toBeGreaterThanOrEqual(1);
    const marked = view.points.filter((point) => point.deviation);
    expect(marked.length).toBeGreaterThanOrEqual(3);
    expect(marked.every((point) => point.band !== undefined && point.value > point.band.upper)).toBe(true);
  });

  it(
    'a Prometheus that is down is a warning and a condition, and no risk changes',
    { timeout: 60_000 },
    async () => {
      await prometheus?.stop();
      await eventually(
        status,
        (s) => s?.conditions?.find((c) => c.type === 'Evaluating')?.reason === 'SourceUnreachable',
        30_000,
        250,
      );
      expect(events.events.some((e) => e.type === 'Warning' && e.reason === 'SourceUnreachable')).toBe(true);
      // From then on, evaluations (every 10 s) read nothing and tell the sink nothing: the risk stays open.
      const calls = sink.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      expect(sink.calls.length).toBe(calls);
      expect(sink.risks().map((risk) => risk.observation.key)).toEqual([SERIES]);
    },
  );
});
