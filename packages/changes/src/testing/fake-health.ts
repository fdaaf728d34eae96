import type {
  ChangeExceptionSink,
  ChangeHealthSignals,
  ChangeMetrics,
  GateEntity,
  HealthSignal,
  MetricsRead,
} from '../ports.ts';

interface Signal extends HealthSignal {
  entity: string;
  resolved?: boolean;
}

/** The health center for tests: alerts and exceptions a test raises on entities (`cluster/node`). */
export class FakeHealth implements ChangeHealthSignals, ChangeExceptionSink {
  readonly alerts: Signal[] = [];
  readonly exceptions: Signal[] = [];
  /** Exceptions the Alert policy opened, by key (a repeat opens nothing more). */
  readonly opened = new Map<string, { id: string; title: string; entities: readonly GateEntity[] }>();
  /** Timeline entries written, by exception id. */
  readonly links: { id: string; message: string }[] = [];

  alertsSince(_team: string, entities: readonly GateEntity[], since: string): Promise<HealthSignal[]> {
    return Promise.resolve(this.#match(this.alerts, entities, since));
  }

  openExceptionsSince(
    _team: string,
    entities: readonly GateEntity[],
    since: string,
  ): Promise<HealthSignal[]> {
    return Promise.resolve(
      this.#match(
        this.exceptions.filter((e) => !e.resolved),
        entities,
        since,
      ),
    );
  }

  #match(signals: Signal[], entities: readonly GateEntity[], since: string): HealthSignal[] {
    const names = new Set(entities.map((entity) => `${entity.cluster}/${entity.name}`));
    return signals
      .filter((signal) => names.has(signal.entity) && signal.at >= since)
      .map(({ id, title, at }) => ({ id, title, at }));
  }

  open(input: Parameters<ChangeExceptionSink['open']>[0]): Promise<{ exceptionId: string }> {
    const known = this.opened.get(input.key);
    if (known) return Promise.resolve({ exceptionId: known.id });
    const id = `exc-${this.opened.size + 1}`;
    this.opened.set(input.key, { id, title: input.title, entities: input.entities });
    return Promise.resolve({ exceptionId: id });
  }

  link(_team: string, exceptionId: string, message: string): Promise<void> {
    this.links.push({ id: exceptionId, message });
    return Promise.resolve();
  }
}

/**
 * Prometheus for unit tests: a function of the query (as sent) and the range gives the values; every
 * call is kept, so a test can check the resolved query and the range.
 */
export class FakeMetrics implements ChangeMetrics {
  readonly calls: { source: string; expr: string; start: number; end: number; stepMs: number }[] = [];
  answer: (expr: string, start: number, end: number) => number[] | MetricsRead = () => [];

  queryRange(
    _team: string,
    source: string,
    expr: string,
    start: number,
    end: number,
    stepMs: number,
  ): Promise<MetricsRead> {
    this.calls.push({ source, expr, start, end, stepMs });
    const answer = this.answer(expr, start, end);
    return Promise.resolve(
      Array.isArray(answer) ? { ok: true, series: [{ labels: {}, values: answer }] } : answer,
    );
  }
}
