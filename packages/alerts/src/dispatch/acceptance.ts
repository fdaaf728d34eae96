import type { AlertRoutingSpec, InhibitRuleSpec, TimeIntervalSpec } from '@gantry/model';
import { parseMatchers, type LabelSet } from '../matchers.ts';
import { AlertDispatcher } from './dispatcher.ts';
import { ManualClock } from './fake-clock.ts';
import type { FlapOptions } from './flapping.ts';
import { formatLabels } from './labels.ts';
import { MemoryNotificationLog, type NotificationLog } from './notification-log.ts';
import type { DispatchAlert, GroupNotification, NotifiedStatus } from './types.ts';

/**
 * An acceptance harness in the manner of Alertmanager's own: alerts are pushed at set times (seconds
 * from the start) on a manual clock, notifications are expected within windows, and intervals are
 * declared quiet. `run` answers every difference between what was wanted and what was sent.
 */

/** Alertmanager's fingerprint: FNV-1a 64 over sorted `name 0xff value 0xff`, as 16 hex digits. */
export function labelsFingerprint(labels: LabelSet): string {
  const prime = 0x100000001b3n;
  let hash = 0xcbf29ce484222325n;
  const feed = (bytes: Uint8Array) => {
    for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * prime) & 0xffffffffffffffffn;
  };
  const encoder = new TextEncoder();
  const separator = new Uint8Array([0xff]);
  for (const name of Object.keys(labels).sort()) {
    feed(encoder.encode(name));
    feed(separator);
    feed(encoder.encode(labels[name]));
    feed(separator);
  }
  return hash.toString(16).padStart(16, '0');
}

export const START = Date.UTC(2026, 0, 5, 10, 0, 0);

/** An alert under construction: `alert({alertname: 'Down'}).active(1, 5)` fires at 1 s and ends at 5 s. */
export class TestAlert {
  startsAt = 0;
  endsAt: number | null = null;
  annotations: Record<string, string> = {};
  constructor(readonly labels: Record<string, string>) {}

  active(from: number, until?: number): TestAlert {
    const copy = new TestAlert(this.labels);
    copy.annotations = this.annotations;
    copy.startsAt = from;
    copy.endsAt = until ?? null;
    return copy;
  }

  annotate(annotations: Record<string, string>): TestAlert {
    const copy = this.active(this.startsAt, this.endsAt ?? undefined);
    copy.annotations = annotations;
    return copy;
  }

  toDispatch(start: number, updatedAt: number): DispatchAlert {
    return {
      fingerprint: labelsFingerprint(this.labels),
      labels: this.labels,
      annotations: this.annotations,
      startsAt: start + this.startsAt * 1000,
      endsAt: this.endsAt === null ? null : start + this.endsAt * 1000,
      updatedAt,
      generatorURL: `http://prometheus.test/graph?${this.labels.alertname ?? ''}`,
    };
  }
}

export const alert = (labels: Record<string, string>) => new TestAlert(labels);

export interface WantedAlert {
  labels: Record<string, string>;
  status: NotifiedStatus;
  flapping?: boolean;
}
export const firing = (labels: Record<string, string>, flapping?: boolean): WantedAlert => ({
  labels,
  status: 'firing',
  ...(flapping === undefined ? {} : { flapping }),
});
export const resolved = (labels: Record<string, string>): WantedAlert => ({ labels, status: 'resolved' });

export interface HarnessOptions {
  team?: string;
  routing: AlertRoutingSpec;
  inhibitRules?: Record<string, InhibitRuleSpec>;
  timeIntervals?: Record<string, TimeIntervalSpec>;
  flapping?: Partial<FlapOptions>;
  /** The epoch millisecond of second 0 (default START, a Monday 10:00 UTC). */
  start?: number;
  log?: NotificationLog;
}

interface Want {
  from: number;
  to: number;
  receiver: string;
  alerts: WantedAlert[];
  describe: string;
}

/** One notification as received, at seconds since the start. */
export interface Received {
  at: number;
  notification: GroupNotification;
}

export class AcceptanceHarness {
  readonly clock: ManualClock;
  readonly dispatcher: AlertDispatcher;
  readonly received: Received[] = [];
  readonly #events: { at: number; order: number; apply: () => void }[] = [];
  readonly #wants: Want[] = [];
  readonly #quiet: { from: number; to: number; receiver?: string }[] = [];
  readonly #silences = new Map<string, { id: string; matchers: string; from: number; to: number }>();
  readonly #team: string;
  readonly #start: number;

  constructor(readonly options: HarnessOptions) {
    this.#team = options.team ?? 'ops';
    this.#start = options.start ?? START;
    this.clock = new ManualClock(this.#start);
    this.dispatcher = new AlertDispatcher({
      clock: this.clock,
      log: options.log ?? new MemoryNotificationLog(),
      flapping: options.flapping,
      sink: {
        notify: (notification) => {
          this.received.push({ at: (this.clock.now() - this.#start) / 1000, notification });
          return Promise.resolve();
        },
      },
    });
    const problems = this.dispatcher.setTeamConfig(this.#team, {
      routings: [{ name: 'main', spec: options.routing }],
      inhibitRules: Object.entries(options.inhibitRules ?? {}).map(([name, spec]) => ({ name, spec })),
      timeIntervals: Object.entries(options.timeIntervals ?? {}).map(([name, spec]) => ({ name, spec })),
    });
    if (problems.length > 0) throw new Error(`bad harness configuration: ${JSON.stringify(problems)}`);
  }

  /** Pushes alerts at `at` seconds, as Prometheus posts them (their times are seconds too). */
  push(at: number, ...alerts: TestAlert[]): this {
    this.#events.push({
      at,
      order: this.#events.length,
      apply: () =>
        this.dispatcher.upsertAlerts(
          this.#team,
          alerts.map((item) => item.toDispatch(this.#start, this.clock.now())),
        ),
    });
    return this;
  }

  /** Creates a silence at `at` that mutes from `from` until `to` (seconds). */
  silence(at: number, id: string, matchers: string, from: number, to: number): this {
    this.#events.push({
      at,
      order: this.#events.length,
      apply: () => {
        this.#silences.set(id, { id, matchers, from, to });
        this.#pushSilences();
      },
    });
    return this;
  }

  /** Wants one notification to `receiver` between `from` and `to` seconds with exactly these alerts. */
  want(from: number, to: number, receiver: string, ...alerts: WantedAlert[]): this {
    const describe = `${receiver} in [${from}, ${to}]: ${alerts
      .map((item) => `${item.status} ${formatLabels(item.labels)}${item.flapping ? ' (flapping)' : ''}`)
      .join('; ')}`;
    this.#wants.push({ from, to, receiver, alerts, describe });
    return this;
  }

  /** Nothing is sent between `from` and `to` seconds (to `receiver`, or at all). */
  nothing(from: number, to: number, receiver?: string): this {
    this.#quiet.push({ from, to, ...(receiver ? { receiver } : {}) });
    return this;
  }

  /** Runs the timeline until `until` seconds; answers every mismatch (none: as wanted). */
  async run(until: number): Promise<string[]> {
    const settle = () => this.dispatcher.idle();
    const events = [...this.#events].sort((a, b) => a.at - b.at || a.order - b.order);
    for (const event of events) {
      await this.clock.advanceTo(this.#start + event.at * 1000, settle);
      event.apply();
    }
    await this.clock.advanceTo(this.#start + until * 1000, settle);
    await this.dispatcher.stop();
    return this.#check();
  }

  #pushSilences(): void {
    this.dispatcher.setSilences(
      this.#team,
      [...this.#silences.values()].map((silence) => {
        const parsed = parseMatchers(silence.matchers);
        if (!parsed.ok) throw new Error(parsed.error);
        return {
          id: silence.id,
          matchers: parsed.matchers,
          startsAt: this.#start + silence.from * 1000,
          endsAt: this.#start + silence.to * 1000,
        };
      }),
    );
  }

  #check(): string[] {
    const problems: string[] = [];
    const unclaimed = new Set(this.received);
    for (const want of this.#wants) {
      const match = [...unclaimed].find(
        (received) =>
          received.at >= want.from &&
          received.at <= want.to &&
          received.notification.receiver === want.receiver &&
          sameAlerts(received.notification, want.alerts),
      );
      if (match) unclaimed.delete(match);
      else problems.push(`missing: ${want.describe}`);
    }
    for (const received of unclaimed) problems.push(`unexpected: ${describeReceived(received)}`);
    for (const quiet of this.#quiet) {
      for (const received of this.received) {
        if (received.at < quiet.from || received.at > quiet.to) continue;
        if (quiet.receiver && received.notification.receiver !== quiet.receiver) continue;
        problems.push(`not quiet in [${quiet.from}, ${quiet.to}]: ${describeReceived(received)}`);
      }
    }
    return problems;
  }
}

function sameAlerts(notification: GroupNotification, wanted: readonly WantedAlert[]): boolean {
  const key = (labels: LabelSet, status: string, flapping: boolean | undefined) =>
    `${status} ${formatLabels(labels)}${flapping ? ' flapping' : ''}`;
  const got = notification.alerts.map((item) =>
    key(item.labels, item.status, wanted.some((w) => w.flapping !== undefined) ? item.flapping : undefined),
  );
  const want = wanted.map((item) => key(item.labels, item.status, item.flapping));
  return got.length === want.length && [...got].sort().join('|') === [...want].sort().join('|');
}

export function describeReceived(received: Received): string {
  const { notification } = received;
  return `${notification.receiver} at ${received.at}s ${notification.groupKey}: ${notification.alerts
    .map((item) => `${item.status} ${formatLabels(item.labels)}${item.flapping ? ' (flapping)' : ''}`)
    .join('; ')}`;
}
