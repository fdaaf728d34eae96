import { MemoryEventRecorder } from '@gantry/controllers';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import { builtinKinds, KindRegistry, type InspectionStatus, type Resource } from '@gantry/model';
import type { PromQueryOutcome, PrometheusQuerier } from '@gantry/alerts';
import { createCelEngine } from '@gantry/delivery';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { StoreRiskSink } from '../risks/store-risk-sink.ts';
import { registerInspectionAdmission } from './admission.ts';
import type { InspectionData, InspectionSubjectItem } from './inspection-data.ts';
import { InspectionRunner, type InspectionResource } from './inspection-runner.ts';
import type { MetricsSourceResolver } from './metrics-sources.ts';

/** A clock whose time moves only when a test says so; its timers fire as it passes them. */
export class ManualClock {
  #now: number;
  #timers: { at: number; callback: () => void; cancelled: boolean }[] = [];

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  set(at: number): void {
    this.#now = at;
  }

  setTimeout(callback: () => void, delayMs: number): { cancel(): void } {
    const timer = { at: this.#now + Math.max(0, delayMs), callback, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** When the earliest pending timer fires. */
  nextTimer(): number | undefined {
    const pending = this.#timers.filter((timer) => !timer.cancelled).map((timer) => timer.at);
    return pending.length > 0 ? Math.min(...pending) : undefined;
  }

  /** Moves time forward by `ms`, firing the timers it passes, in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = this.#timers
        .filter((timer) => !timer.cancelled && timer.at <= until)
        .sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.cancelled = true;
      this.#now = Math.max(this.#now, due.at);
      due.callback();
    }
    this.#now = until;
    this.#timers = this.#timers.filter((timer) => !timer.cancelled);
  }
}

/** A Prometheus whose answer the test sets, and which records the queries it got. */
export class FakePrometheus implements PrometheusQuerier {
  answer: PromQueryOutcome = { ok: true, samples: [] };
  readonly queries: string[] = [];
  query(_source: unknown, expr: string): Promise<PromQueryOutcome> {
    this.queries.push(expr);
    return Promise.resolve(this.answer);
  }
}

/** Objects the test sets per subject. */
export class FakeData implements InspectionData {
  readonly items: Partial<Record<string, InspectionSubjectItem[]>> = {};
  reads = 0;
  subjects(over: string): Promise<InspectionSubjectItem[]> {
    this.reads += 1;
    return Promise.resolve(this.items[over] ?? []);
  }
}

export const SYSTEM: Caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };
export const TEAM = 'ops';

const sources: MetricsSourceResolver = {
  resolve: (_team, name) =>
    Promise.resolve(
      name === 'missing'
        ? { ok: false, reason: 'SourceNotFound', message: `no MetricsSource ${name} in team ops` }
        : { ok: true, source: { url: 'http://prometheus.invalid', timeoutMs: 1000 } },
    ),
};

/** A store in memory, the resource service with Inspection admission, and a runner over fakes. */
export async function inspectionHarness(start = Date.parse('2026-03-02T10:00:00Z')) {
  const clock = new ManualClock(start);
  const store = await Store.open({ url: ':memory:' });
  const kinds = new KindRegistry();
  for (const kind of builtinKinds) kinds.register(kind);
  const resources = new ResourceService(kinds, store.resources, () => clock.now());
  const engine = createCelEngine();
  registerInspectionAdmission(resources, engine);
  await resources.create(SYSTEM, 'Team', undefined, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: TEAM },
    spec: {},
  });
  const prometheus = new FakePrometheus();
  const data = new FakeData();
  const recorder = new MemoryEventRecorder();
  const runner = new InspectionRunner({
    runs: store.risks,
    sink: new StoreRiskSink(store.risks),
    data,
    prometheus,
    sources,
    resources,
    recorder,
    engine,
    clock,
  });
  const apply = async (name: string, spec: Record<string, unknown>) =>
    (await resources.create(SYSTEM, 'Inspection', TEAM, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Inspection',
      metadata: { name },
      spec,
    })) as InspectionResource;
  const get = async (name: string) =>
    (await resources.get(SYSTEM, 'Inspection', TEAM, name)) as Resource<
      unknown,
      InspectionStatus
    > as InspectionResource;
  return { clock, store, resources, engine, prometheus, data, sources, recorder, runner, apply, get };
}
