import pino from 'pino';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryEventRecorder, TermScope, type Clock } from '@gantry/controllers';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import {
  InputError,
  KindRegistry,
  builtinKinds,
  type BaselineRiskDetails,
  type BaselineStatus,
} from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { FencedWriteRefused, Store } from '@gantry/store';
import type { ResolvedMetricsSource } from '@gantry/alerts';
import { registerBaselineAdmission } from './baseline-admission.ts';
import { BaselineEvaluator } from './baseline-evaluator.ts';
import { MemoryRiskSink } from './memory-risk-sink.ts';
import type { PrometheusRangeQuerier, RangeOutcome } from './prometheus-range.ts';
import { createBaselineSeriesReader, narrowToSeries, parseSeriesKey } from './series-view.ts';

// The evaluator on a fake clock against a scripted Prometheus: a level shift opens a risk with its band,
// an outage changes no risk, recovery and deletion close them, reads are incremental.

const admin: Caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const MINUTE = 60_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const SHIFT_AT = T0 + 10 * MINUTE;

/** A clock that moves only when told; timers fire as it passes them. */
class FakeClock implements Clock {
  timers: { at: number; callback: () => void }[] = [];
  constructor(public current: number) {}
  now(): number {
    return this.current;
  }
  setTimeout(callback: () => void, delayMs: number) {
    const timer = { at: this.current + delayMs, callback };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }
  fireDue(): void {
    const due = this.timers.filter((t) => t.at <= this.current);
    this.timers = this.timers.filter((t) => t.at > this.current);
    for (const timer of due) timer.callback();
  }
}

/** Two series of 100 ± 1; series b jumps to 160 at SHIFT_AT while `shifted` is set. */
class ScriptedPrometheus implements PrometheusRangeQuerier {
  down = false;
  shifted = true;
  instances = ['a', 'b'];
  reads: { expr: string; start: number; end: number; step: number; source: ResolvedMetricsSource }[] = [];
  queryRange(source: ResolvedMetricsSource, expr: string, start: number, end: number, step: number) {
    this.reads.push({ expr, start, end, step, source });
    if (this.down)
      return Promise.resolve<RangeOutcome>({
        ok: false,
        reason: 'SourceUnreachable',
        message: 'cannot reach http://prom.example:9090: connect ECONNREFUSED',
      });
    const series = this.instances.map((instance) => {
      const times: number[] = [];
      const values: number[] = [];
      for (let t = start; t <= end; t += step) {
        const noise = (t / step) % 2 === 0 ? 1 : -1;
        times.push(t);
        values.push((instance === 'b' && this.shifted && t >= SHIFT_AT ? 160 : 100) + noise);
      }
      return { labels: { __name__: 'requests', job: 'api', instance }, times, values };
    });
    return Promise.resolve<RangeOutcome>({ ok: true, series });
  }
}

let store: Store;
let resources: ResourceService;
let clock: FakeClock;
let prometheus: ScriptedPrometheus;
let sink: MemoryRiskSink;
let events: MemoryEventRecorder;
let evaluator: BaselineEvaluator;

const B = '{__name__="requests",instance="b",job="api"}';
const A = '{__name__="requests",instance="a",job="api"}';

const baseline = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'Baseline',
  metadata: { name: 'api-requests' },
  spec: {
    source: { name: 'prom' },
    query: 'sum by (job, instance) (rate(requests[5m]))',
    step: '1m',
    lookback: '2h',
    interval: '1m',
    algorithm: 'ewma',
    entity: { kind: 'Workload', nameLabel: 'job' },
    ...spec,
  },
});

async function status(): Promise<BaselineStatus | undefined> {
  return (await resources.get(admin, 'Baseline', 'shop', 'api-requests')).status as BaselineStatus;
}

/** Moves the clock a minute at a time, evaluating at each. */
async function minutes(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    clock.current += MINUTE;
    await evaluator.tick();
  }
}

beforeEach(async () => {
  clock = new FakeClock(T0);
  prometheus = new ScriptedPrometheus();
  sink = new MemoryRiskSink();
  events = new MemoryEventRecorder();
  store = await Store.open({ url: ':memory:' });
  const kinds = new KindRegistry();
  for (const kind of builtinKinds) kinds.register(kind);
  resources = new ResourceService(kinds, store.resources, () => clock.current);
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
    metadata: { name: 'prom' },
    spec: { url: 'http://prom.example:9090', auth: { bearerToken: { name: 'prom-token', key: 'token' } } },
  });
  evaluator = new BaselineEvaluator({
    repository: store.resources,
    resources,
    secrets: {
      reveal: (team, name) =>
        Promise.resolve<Record<string, string>>(
          team === 'shop' && name === 'prom-token' ? { token: 't0k' } : {},
        ),
    },
    sink,
    recorder: events,
    clock,
    logger: pino({ level: 'silent' }),
    prometheus,
  });
  evaluator.start();
});

describe('BaselineEvaluator', () => {
  it('a level shift becomes a risk with its band; reads are incremental after the first lookback', async () => {
    await resources.create(admin, 'Baseline', 'shop', baseline());
    await evaluator.tick();
    // The first read is the whole lookback, aligned on the step, with the source's credentials.
    expect(prometheus.reads[0]).toMatchObject({ start: T0 - 120 * MINUTE, end: T0, step: MINUTE });
    expect(prometheus.reads[0]!.source.authorization).toBe('Bearer t0k');
    expect(sink.risks()).toEqual([]);
    // Every series was told once at the start of the term (nothing deviates).
    expect(sink.calls.map((c) => c.source.check).sort()).toEqual([A, B]);
    await minutes(12);
    expect(prometheus.reads[1]).toMatchObject({ start: T0 + MINUTE, end: T0 + MINUTE });
    const risks = sink.risks();
    expect(risks).toHaveLength(1);
    const [risk] = risks;
    expect(risk!.source).toEqual({ team: 'shop', kind: 'Baseline', name: 'api-requests', check: B });
    expect(risk!.observation.key).toBe(B);
    expect(risk!.observation.entities).toEqual([{ kind: 'Workload', name: 'api' }]);
    expect(risk!.observation.score).toBeGreaterThanOrEqual(40);
    expect(risk!.observation.score).toBeLessThanOrEqual(90);
    const details = risk!.observation.details as unknown as BaselineRiskDetails;
    expect(details.series).toEqual({ __name__: 'requests', job: 'api', instance: 'b' });
    expect(details.direction).toBe('up');
    expect(details.band.centre).toBeGreaterThan(95);
    expect(details.band.upper).toBeLessThan(160);
    expect(details.degree).toBeGreaterThan(1);
    expect(details.since).toBe(new Date(SHIFT_AT + 2 * MINUTE).toISOString()); // third point outside
    expect(details.points.length).toBeGreaterThanOrEqual(5);
    expect(details.points.at(-1)).toMatchObject({ value: expect.any(Number) as number, deviation: true });
    const written = await status();
    expect(written?.series).toEqual({ checked: 2, deviating: 1 });
    expect(written?.conditions?.[0]).toMatchObject({
      type: 'Evaluating',
      status: 'True',
      reason: 'Evaluated',
    });
  });

  it('writes no status once another server took the lease of its term (ADR 0028)', async () => {
    expect(await store.leases.tryAcquire('health-baselines', 'x', 1000, 0)).toBe(true);
    const { transitions } = (await store.leases.get('health-baselines'))!;
    evaluator.start(new TermScope({ fence: { lease: 'health-baselines', holder: 'x', transitions } }));
    await resources.create(admin, 'Baseline', 'shop', baseline());
    expect(await store.leases.tryAcquire('health-baselines', 'y', 1000, 5000)).toBe(true);
    await expect(evaluator.tick()).rejects.toBeInstanceOf(FencedWriteRefused);
    expect(await status()).toBeUndefined();
  });

  it('reports risks with its term’s fence, and stops the term when the sink refuses it (ADR 0028)', async () => {
    expect(await store.leases.tryAcquire('health-baselines', 'x', 1000, 0)).toBe(true);
    const { transitions } = (await store.leases.get('health-baselines'))!;
    const fence = { lease: 'health-baselines', holder: 'x', transitions };
    evaluator.start(new TermScope({ fence }));
    await resources.create(admin, 'Baseline', 'shop', baseline());
    await evaluator.tick();
    expect(sink.calls.length).toBeGreaterThan(0);
    expect(sink.calls.every((call) => call.fence === fence)).toBe(true);
    const written = await status();
    // The store refuses the term's next risk write: the evaluation does not read SinkFailed, the tick fails.
    sink.failing = new FencedWriteRefused(fence, { holder: 'y', transitions: transitions + 1 });
    let refused: unknown;
    for (let i = 0; i < 15 && refused === undefined; i++) {
      clock.current += MINUTE;
      await evaluator.tick().catch((error: unknown) => (refused = error));
    }
    expect(refused).toBeInstanceOf(FencedWriteRefused);
    expect(await status()).toEqual(written);
  });

  it('hands a refusal met by its scheduled evaluation to the term, once, and evaluates no more in it (ADR 0028)', async () => {
    expect(await store.leases.tryAcquire('health-baselines', 'x', 1000, 0)).toBe(true);
    const { transitions } = (await store.leases.get('health-baselines'))!;
    const refused: unknown[] = [];
    const scope = new TermScope({
      fence: { lease: 'health-baselines', holder: 'x', transitions },
      onRefused: (error) => void refused.push(error),
    });
    await resources.create(admin, 'Baseline', 'shop', baseline());
    expect(await store.leases.tryAcquire('health-baselines', 'y', 1000, 5000)).toBe(true);
    evaluator.start(scope);
    for (let i = 0; i < 3; i++) {
      clock.fireDue();
      await new Promise((resolve) => setTimeout(resolve, 20));
      clock.current += 5000;
    }
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(FencedWriteRefused);
    expect(clock.timers).toEqual([]);
    expect(await status()).toBeUndefined();
  });

  it('a Prometheus that is down is a warning and a condition, and changes no risk', async () => {
    await resources.create(admin, 'Baseline', 'shop', baseline());
    await evaluator.tick();
    await minutes(12);
    const before = sink.risks();
    const calls = sink.calls.length;
    prometheus.down = true;
    await minutes(3);
    expect(sink.calls.length).toBe(calls);
    expect(sink.risks()).toEqual(before);
    const written = await status();
    expect(written?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'SourceUnreachable' });
    expect(events.events.filter((e) => e.type === 'Warning').map((e) => e.reason)).toEqual([
      'SourceUnreachable',
    ]);
    prometheus.down = false;
    await minutes(1);
    // The read catches up from where it stopped, and the evaluation recovers.
    expect(prometheus.reads.at(-1)).toMatchObject({ start: T0 + 13 * MINUTE, end: T0 + 16 * MINUTE });
    expect(events.reasons()).toContain('EvaluationRecovered');
    expect((await status())?.conditions?.[0]).toMatchObject({ status: 'True', reason: 'Evaluated' });
  });

  it('closes the risk when the series is back inside its band for clearAfter', async () => {
    await resources.create(admin, 'Baseline', 'shop', baseline({ clearAfter: '10m' }));
    await evaluator.tick();
    await minutes(12);
    expect(sink.risks()).toHaveLength(1);
    prometheus.shifted = false;
    await minutes(9);
    expect(sink.risks()).toHaveLength(1);
    await minutes(2);
    expect(sink.risks()).toEqual([]);
    expect((await status())?.series).toEqual({ checked: 2, deviating: 0 });
  });

  it('closes the risks of a deleted Baseline', async () => {
    await resources.create(admin, 'Baseline', 'shop', baseline());
    await evaluator.tick();
    await minutes(12);
    expect(sink.risks()).toHaveLength(1);
    await resources.delete(admin, 'Baseline', 'shop', 'api-requests');
    await evaluator.tick();
    expect(sink.risks()).toEqual([]);
  });

  it('closes the risk of a series gone quiet past the gap guard', async () => {
    await resources.create(admin, 'Baseline', 'shop', baseline());
    await evaluator.tick();
    await minutes(12);
    expect(sink.risks()).toHaveLength(1);
    prometheus.instances = ['a'];
    await minutes(60);
    expect(sink.risks()).toHaveLength(1); // an hour without points is a gap, not yet gone
    await minutes(2);
    expect(sink.risks()).toEqual([]);
    expect((await status())?.series).toEqual({ checked: 1, deviating: 0 });
  });

  it('a sink that fails is a condition; every series is reported again once it works', async () => {
    await resources.create(admin, 'Baseline', 'shop', baseline());
    await evaluator.tick();
    sink.failing = new Error('database is locked');
    await minutes(12);
    expect((await status())?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'SinkFailed' });
    sink.failing = undefined;
    const before = sink.calls.length;
    await minutes(1);
    expect(
      sink.calls
        .slice(before)
        .map((c) => c.source.check)
        .sort(),
    ).toEqual([A, B]);
    expect(sink.risks().map((r) => r.observation.key)).toEqual([B]);
    expect((await status())?.conditions?.[0]).toMatchObject({ status: 'True', reason: 'Evaluated' });
  });

  it('a new term reports every series, closing a risk another leader left open', async () => {
    await sink.observe(
      { team: 'shop', kind: 'Baseline', name: 'api-requests', check: A },
      [{ key: A, title: 'left over', score: 50, entities: [], details: {} }],
      new Date(T0),
    );
    prometheus.shifted = false;
    await resources.create(admin, 'Baseline', 'shop', baseline());
    await evaluator.stop();
    evaluator.start();
    await evaluator.tick();
    expect(sink.risks()).toEqual([]);
  });

  it('reads a long lookback in pieces Prometheus accepts (at most 10,000 steps each)', async () => {
    await resources.create(admin, 'Baseline', 'shop', baseline({ step: '1m', lookback: '10d' }));
    await evaluator.tick();
    const pieces = prometheus.reads;
    expect(pieces.length).toBe(2);
    expect(pieces[0]!.start).toBe(T0 - 10 * 1440 * MINUTE);
    expect((pieces[0]!.end - pieces[0]!.start) / MINUTE + 1).toBe(10_000);
    expect(pieces[1]!.start).toBe(pieces[0]!.end + MINUTE);
    expect(pieces[1]!.end).toBe(T0);
  });

  it('with an interval shorter than the step, reads and reports only when a new step is there', async () => {
    await resources.create(
      admin,
      'Baseline',
      'shop',
      baseline({ step: '5m', lookback: '5h', interval: '1m' }),
    );
    await evaluator.tick();
    const calls = sink.calls.length;
    await minutes(4);
    expect(prometheus.reads).toHaveLength(1);
    expect(sink.calls.length).toBe(calls);
    await minutes(1);
    expect(prometheus.reads.at(-1)).toMatchObject({ start: T0 + 5 * MINUTE, end: T0 + 5 * MINUTE });
  });

  it('says which source or secret is missing, as a condition', async () => {
    await resources.create(admin, 'Baseline', 'shop', baseline({ source: { name: 'nope' } }));
    await evaluator.tick();
    expect((await status())?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'SourceNotFound',
      message: 'no MetricsSource nope in team shop',
    });
    expect(prometheus.reads).toEqual([]);
  });

  it('drops series beyond maxSeries and says so', async () => {
    await resources.create(admin, 'Baseline', 'shop', baseline({ maxSeries: 1 }));
    await evaluator.tick();
    expect((await status())?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'TooManySeries' });
    expect((await status())?.series).toEqual({ checked: 1, deviating: 0 });
  });

  it('runs on its own timer while leading, and not after stop', async () => {
    await resources.create(admin, 'Baseline', 'shop', baseline());
    clock.fireDue();
    await vi.waitFor(() => expect(sink.calls).toHaveLength(2));
    await evaluator.stop();
    expect(prometheus.reads).toHaveLength(1);
    clock.current += 10 * MINUTE;
    clock.fireDue();
    expect(prometheus.reads).toHaveLength(1);
  });
});

describe('Baseline admission', () => {
  it.each([
    [{ sustained: { k: 6, n: 5 } }, '/spec/sustained/k'],
    [{ score: { atEdge: 80, max: 50, saturateAt: 3 } }, '/spec/score/max'],
    [{ algorithm: 'seasonal', lookback: '1d' }, '/spec/lookback'],
    [{ step: '1m', lookback: '10m' }, '/spec/lookback'],
    [{ step: '1s', lookback: '1d' }, '/spec/lookback'],
    [{ interval: '5s' }, '/spec/interval'],
  ])('refuses %j at %s', async (spec, path) => {
    const error = await resources.create(admin, 'Baseline', 'shop', baseline(spec)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).details.map((d) => d.path)).toContain(path);
  });

  it('refuses a schema violation with its path (unknown algorithm)', async () => {
    const error = await resources
      .create(admin, 'Baseline', 'shop', baseline({ algorithm: 'prophet' }))
      .catch((e: unknown) => e);
    expect((error as InputError).details.map((d) => d.path)).toContain('/spec/algorithm');
  });
});

describe('the series view', () => {
  it('checks one series again over the lookback and marks its deviations', async () => {
    await resources.create(admin, 'Baseline', 'shop', baseline());
    clock.current = T0 + 30 * MINUTE;
    const reader = createBaselineSeriesReader({
      repository: store.resources,
      secrets: { reveal: () => Promise.resolve({ token: 't0k' }) },
      now: () => clock.current,
      prometheus,
    });
    const view = await reader.read(await resources.get(admin, 'Baseline', 'shop', 'api-requests'), B);
    expect(prometheus.reads[0]!.expr).toBe(
      '(sum by (job, instance) (rate(requests[5m]))) and on(instance, job) ' +
        'label_replace(label_replace(vector(1), "instance", "b", "", ""), "job", "api", "", "")',
    );
    expect(view.points).toHaveLength(121);
    expect(view.deviating).toBe(true);
    expect(view.deviations).toEqual([{ start: new Date(SHIFT_AT + 2 * MINUTE).toISOString() }]);
    expect(view.points.filter((p) => p.deviation).length).toBeGreaterThanOrEqual(3);
    expect(view.points[0]!.band).toBeUndefined(); // sparse guard: no band before 30 points
    expect(view.points.at(-1)!.band).toBeDefined();
    await expect(
      reader.read(await resources.get(admin, 'Baseline', 'shop', 'api-requests'), '{job="x"}'),
    ).rejects.toThrow(/no series/);
  });

  it('parses series keys strictly and narrows queries with literal dollars', () => {
    expect(parseSeriesKey('{a="x",b="q\\"uote"}')).toEqual({ a: 'x', b: 'q"uote' });
    expect(() => parseSeriesKey('{b="x",a="y"}')).toThrow(InputError); // not sorted: not a key
    expect(() => parseSeriesKey('job="x"')).toThrow(InputError);
    expect(narrowToSeries('up', { a: '$1' })).toBe(
      '(up) and on(a) label_replace(vector(1), "a", "$$1", "", "")',
    );
  });
});
