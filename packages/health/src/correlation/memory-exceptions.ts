import type {
  CorrelatedAlert,
  CorrelationGroup,
  ExceptionActivity,
  ExceptionPort,
  ExceptionReader,
  ExceptionView,
} from '../ports.ts';

export interface MemoryException extends Omit<ExceptionView, 'changedAt'> {
  resolvedAt?: string;
  reason: CorrelationGroup['reason'];
  /** Every alert as last reported, by fingerprint and episode. */
  alerts: Map<string, CorrelatedAlert>;
  timeline: ExceptionActivity[];
  /** Times it was reopened. */
  reopened: number;
  updatedAt: number;
}

/**
 * The exception ports in memory, honouring their documented contract: one exception per key while open;
 * a resolved one reopens when its key returns within `reopenWindowMs`, a new one opens after that; a call
 * that brings nothing new is `unchanged`; alerts never join a resolved exception without reopening it.
 * For tests, the storm bench and the integration test; the server wires the exception service instead.
 */
export class MemoryExceptions implements ExceptionPort, ExceptionReader {
  readonly exceptions: MemoryException[] = [];
  readonly calls: { group: CorrelationGroup; at: Date }[] = [];
  readonly resolvedCalls: { team: string; key: string; at: Date }[] = [];
  readonly #reopenWindowMs: number;
  #seq = 0;
  /** What `escalationPolicy` each new exception gets (the HealthPolicy's, in the real service). */
  escalationPolicy: string | undefined;

  constructor(options: { reopenWindowMs?: number; escalationPolicy?: string } = {}) {
    this.#reopenWindowMs = options.reopenWindowMs ?? 3_600_000;
    this.escalationPolicy = options.escalationPolicy;
  }

  correlate(
    group: CorrelationGroup,
    at: Date,
  ): Promise<{ exceptionId: string; outcome: 'opened' | 'joined' | 'reopened' | 'unchanged' }> {
    this.calls.push({ group: structuredClone(group), at });
    const latest = this.#latest(group.team, group.key);
    const news = (exception: MemoryException | undefined) =>
      group.alerts.filter((alert) => {
        const known = exception?.alerts.get(alertKey(alert));
        return !known || known.state !== alert.state;
      });
    if (latest && latest.state !== 'resolved') {
      const fresh = news(latest);
      for (const alert of fresh) latest.alerts.set(alertKey(alert), alert);
      if (fresh.length > 0) latest.updatedAt = at.getTime();
      return Promise.resolve({ exceptionId: latest.id, outcome: fresh.length > 0 ? 'joined' : 'unchanged' });
    }
    const firing = news(latest).filter((alert) => alert.state === 'firing');
    if (firing.length === 0 && latest)
      return Promise.resolve({ exceptionId: latest.id, outcome: 'unchanged' });
    if (latest?.resolvedAt && at.getTime() - Date.parse(latest.resolvedAt) <= this.#reopenWindowMs) {
      latest.state = 'open';
      delete latest.resolvedAt;
      delete latest.acknowledgedAt;
      latest.reopened += 1;
      latest.updatedAt = at.getTime();
      for (const alert of group.alerts) latest.alerts.set(alertKey(alert), alert);
      return Promise.resolve({ exceptionId: latest.id, outcome: 'reopened' });
    }
    const exception: MemoryException = {
      team: group.team,
      id: `exc-${++this.#seq}`,
      title: group.title,
      severity: group.severity,
      state: 'open',
      entities: group.entities,
      openedAt: at.toISOString(),
      correlationKey: group.key,
      ...(this.escalationPolicy ? { escalationPolicy: this.escalationPolicy } : {}),
      reason: group.reason,
      alerts: new Map(group.alerts.map((alert) => [alertKey(alert), alert])),
      timeline: [],
      reopened: 0,
      updatedAt: at.getTime(),
    };
    this.exceptions.push(exception);
    return Promise.resolve({ exceptionId: exception.id, outcome: 'opened' });
  }

  groupResolved(team: string, key: string, at: Date): Promise<void> {
    this.resolvedCalls.push({ team, key, at });
    const latest = this.#latest(team, key);
    if (latest && latest.state !== 'resolved') this.resolve(team, latest.id, at);
    return Promise.resolve();
  }

  recordActivity(team: string, exceptionId: string, activity: ExceptionActivity): Promise<void> {
    const exception = this.#find(team, exceptionId);
    if (!exception) return Promise.reject(new Error(`no exception ${team}/${exceptionId}`));
    exception.timeline.push(activity);
    return Promise.resolve();
  }

  get(team: string, id: string): Promise<ExceptionView | undefined> {
    const exception = this.#find(team, id);
    return Promise.resolve(exception ? view(exception) : undefined);
  }

  changedSince(since: Date, limit: number): Promise<ExceptionView[]> {
    return Promise.resolve(
      this.exceptions
        .filter((e) => e.updatedAt > since.getTime())
        .sort((a, b) => a.updatedAt - b.updatedAt)
        .slice(0, limit)
        .map(view),
    );
  }

  acknowledge(team: string, id: string, at: Date): void {
    const exception = this.#find(team, id);
    if (!exception || exception.state !== 'open') return;
    exception.state = 'acknowledged';
    exception.acknowledgedAt = at.toISOString();
    exception.updatedAt = at.getTime();
  }

  resolve(team: string, id: string, at: Date): void {
    const exception = this.#find(team, id);
    if (!exception) return;
    exception.state = 'resolved';
    exception.resolvedAt = at.toISOString();
    exception.updatedAt = at.getTime();
  }

  /** Exceptions of a team that are not resolved. */
  open(team: string): MemoryException[] {
    return this.exceptions.filter((e) => e.team === team && e.state !== 'resolved');
  }

  #latest(team: string, key: string): MemoryException | undefined {
    return this.exceptions.findLast((e) => e.team === team && e.correlationKey === key);
  }

  #find(team: string, id: string): MemoryException | undefined {
    return this.exceptions.find((e) => e.team === team && e.id === id);
  }
}

function alertKey(alert: CorrelatedAlert): string {
  return `${alert.fingerprint}/${alert.startsAt}`;
}

function view(exception: MemoryException): ExceptionView {
  return {
    changedAt: new Date(exception.updatedAt).toISOString(),
    team: exception.team,
    id: exception.id,
    title: exception.title,
    severity: exception.severity,
    state: exception.state,
    entities: exception.entities,
    openedAt: exception.openedAt,
    ...(exception.acknowledgedAt ? { acknowledgedAt: exception.acknowledgedAt } : {}),
    ...(exception.correlationKey ? { correlationKey: exception.correlationKey } : {}),
    ...(exception.escalationPolicy ? { escalationPolicy: exception.escalationPolicy } : {}),
  };
}
