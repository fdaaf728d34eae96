import { createHash } from 'node:crypto';
import type { Clock, Timer } from '@gantry/controllers';
import { compileMatcher, matchesAll, type CompiledMatcher, type LabelSet } from '../matchers.ts';
import { FLAP_DEFAULTS, FlapTracker, type FlapOptions, type FlapStateStore } from './flapping.ts';
import { commonLabels, formatLabels, pickLabels } from './labels.ts';
import { Membership } from './membership.ts';
import type { NotificationLog, NotificationLogEntry } from './notification-log.ts';
import {
  compileInhibitRule,
  compileRouting,
  groupKeyOf,
  matchRoutes,
  type CompiledInhibitRule,
  type CompiledRoute,
  type SpecProblem,
} from './routing.ts';
import { compileTimeInterval, type CompiledTimeInterval } from './time-interval.ts';
import type {
  DispatchAlert,
  DispatchSilence,
  GroupNotification,
  NotificationReason,
  NotificationSink,
  NotifiedAlert,
  TeamDispatchConfig,
} from './types.ts';

/** Where the dispatcher reports what it could not use or do; pino's logger fits. */
export interface DispatchLogger {
  warn(fields: object, message: string): void;
}

export interface AlertDispatcherOptions {
  clock: Clock;
  sink: NotificationSink;
  log: NotificationLog;
  /** Flap detection; defaults in FLAP_DEFAULTS (`transitions: 0` turns it off). */
  flapping?: Partial<FlapOptions>;
  /**
   * Where flap histories are kept across leader changes (the store's AlertDispatchRepository). Without it
   * they live in memory only, and a new leader starts counting anew.
   */
  flapStore?: FlapStateStore;
  /** How long a notification log entry is kept after its last notification. Default 5 days (Alertmanager's 120h). */
  logRetentionMs?: number;
  /** How often expired log entries and old flap histories are swept. Default 1 hour. */
  maintenanceIntervalMs?: number;
  logger?: DispatchLogger;
  /**
   * A receiver's settings (its NotificationChannel's): `sendResolved: false` leaves resolved alerts out of
   * its notifications, as Alertmanager's `send_resolved`. Default: resolves are sent.
   */
  receiverSettings?: (team: string, receiver: string) => { sendResolved: boolean } | undefined;
}

/** A configuration resource the dispatcher could not use as written (admission should have refused it). */
export interface ConfigProblem extends SpecProblem {
  kind: 'AlertRouting' | 'InhibitRule' | 'TimeInterval';
  name: string;
}

/** An aggregation group as the API and console may show it. */
export interface GroupSnapshot {
  groupKey: string;
  routing: string;
  routeId: string;
  receivers: string[];
  groupLabels: LabelSet;
  fingerprints: string[];
  /** When the group is next flushed (ms), if scheduled. */
  nextFlushAt: number | undefined;
}

/** An alert of a group, with what mutes it now. */
export interface GroupAlertView extends DispatchAlert, Muting {}

/** A group with its alerts (labels and times included), for the API's group views. */
export interface GroupView extends Omit<GroupSnapshot, 'fingerprints'> {
  alerts: GroupAlertView[];
}

/** Why an alert is muted now. */
export interface Muting {
  silencedBy: string[];
  /** Fingerprints of the firing alerts that inhibit it. */
  inhibitedBy: string[];
}

interface Group {
  readonly id: string;
  readonly route: CompiledRoute;
  readonly key: string;
  readonly labels: LabelSet;
  readonly alerts: Map<string, DispatchAlert>;
  timer: Timer | undefined;
  nextAt: number | undefined;
  hasFlushed: boolean;
  flushing: Promise<void>;
}

/** Per inhibit rule, the firing sources by their values of the `equal` labels. */
interface InhibitionIndex {
  version: number;
  /** When the first indexed source resolves by its `endsAt`. */
  validUntil: number;
  rules: {
    rule: CompiledInhibitRule;
    sources: Map<string, { fingerprint: string; matchesTarget: boolean }[]>;
  }[];
}

interface TeamState {
  readonly name: string;
  roots: CompiledRoute[];
  inhibitRules: CompiledInhibitRule[];
  intervals: Map<string, CompiledTimeInterval>;
  silences: { silence: DispatchSilence; matchers: CompiledMatcher[] }[];
  /** Every alert the team's groups hold (the inhibition sources are read here). */
  readonly alerts: Map<string, DispatchAlert>;
  /** Which groups hold each alert. */
  readonly membership: Membership;
  readonly groups: Map<string, Group>;
  readonly log: Map<string, NotificationLogEntry>;
  /** The team's log entries read from the NotificationLog; undefined until asked, or after a failed read. */
  logLoaded: Promise<void> | undefined;
  /** Bumped whenever `alerts` changes, to know when the inhibition index is stale. */
  alertsVersion: number;
  inhibition: InhibitionIndex | undefined;
  readonly flaps: FlapTracker;
}

const DAY = 24 * 3_600_000;
/** An entry that still owes a resolve is kept at least this long after its last notification. */
const OWED_RETENTION_MS = 30 * DAY;

/** An alert's values of a rule's `equal` labels (absent counts as empty), as one map key. */
const equalKey = (rule: CompiledInhibitRule, labels: LabelSet) =>
  JSON.stringify(rule.equal.map((name) => labels[name] ?? ''));
const resolvedAt = (alert: DispatchAlert, now: number) => alert.endsAt !== null && alert.endsAt <= now;
const logKey = (groupKey: string, receiver: string) => `${groupKey}\u0000${receiver}`;
const isSubset = (items: Iterable<string>, of: ReadonlySet<string>) => {
  for (const item of items) if (!of.has(item)) return false;
  return true;
};

/**
 * The dispatch engine: Alertmanager 0.25's routing, grouping, timers, inhibition, silences and time
 * intervals over a team's alerts, plus flap suppression and resolves that are always delivered
 * (docs/adr/0013-alert-dispatch.md). Pure domain code: time comes from the injected clock, notifications
 * go to the sink, the notification log is an interface. One dispatcher runs per deployment, on the
 * server that holds the `alert-dispatch` lease.
 */
export class AlertDispatcher {
  readonly #clock: Clock;
  readonly #sink: NotificationSink;
  readonly #log: NotificationLog;
  readonly #flapOptions: FlapOptions;
  readonly #flapStore: FlapStateStore | undefined;
  readonly #retentionMs: number;
  readonly #logger: DispatchLogger | undefined;
  readonly #receiverSettings: AlertDispatcherOptions['receiverSettings'];
  readonly #teams = new Map<string, TeamState>();
  /**
   * Generator URLs of the values held lately, to hold one string per URL: every alert of a rule has the
   * same one, and each value taken brings its own copy (4.8 MB per 100,000 alerts). Only a value stored
   * new is looked up (a resend keeps the string held); emptied when it reaches 1,000.
   */
  readonly #urls = new Map<string, string>();
  readonly #inFlight = new Set<Promise<void>>();
  #maintenance: Timer | undefined;
  #stopped = false;

  constructor(options: AlertDispatcherOptions) {
    this.#clock = options.clock;
    this.#sink = options.sink;
    this.#log = options.log;
    this.#flapOptions = { ...FLAP_DEFAULTS, ...options.flapping };
    this.#flapStore = options.flapStore;
    this.#retentionMs = options.logRetentionMs ?? 5 * DAY;
    this.#logger = options.logger;
    this.#receiverSettings = options.receiverSettings;
    const every = options.maintenanceIntervalMs ?? 3_600_000;
    const maintain = () => {
      if (this.#stopped) return;
      this.#track(this.#maintain());
      this.#maintenance = this.#clock.setTimeout(maintain, every);
    };
    this.#maintenance = this.#clock.setTimeout(maintain, every);
  }

  /**
   * Sets (or replaces) a team's routing trees, inhibit rules and time intervals. As Alertmanager on a
   * reload, the team's groups are rebuilt: new groups wait group_wait unless their alerts are older than
   * that, and the notification log keeps them from repeating what was sent. Answers what it could not use.
   */
  setTeamConfig(team: string, config: TeamDispatchConfig): ConfigProblem[] {
    const state = this.#team(team);
    const problems: ConfigProblem[] = [];
    const intervals = new Map<string, CompiledTimeInterval>();
    for (const { name, spec } of config.timeIntervals) {
      const compiled = compileTimeInterval(name, spec);
      problems.push(...compiled.problems.map((p) => ({ ...p, kind: 'TimeInterval' as const, name })));
      intervals.set(name, compiled.interval);
    }
    const roots: CompiledRoute[] = [];
    for (const { name, spec } of [...config.routings].sort((a, b) => a.name.localeCompare(b.name))) {
      const compiled = compileRouting(name, spec);
      if (compiled.problems.length > 0) {
        // A tree with a bad matcher could reach the wrong people: it is left out, and said so.
        problems.push(...compiled.problems.map((p) => ({ ...p, kind: 'AlertRouting' as const, name })));
        continue;
      }
      roots.push(compiled.root);
    }
    const inhibitRules: CompiledInhibitRule[] = [];
    for (const { name, spec } of config.inhibitRules) {
      const compiled = compileInhibitRule(name, spec);
      if (compiled.problems.length > 0) {
        problems.push(...compiled.problems.map((p) => ({ ...p, kind: 'InhibitRule' as const, name })));
        continue;
      }
      inhibitRules.push(compiled.rule);
    }
    state.intervals = intervals;
    state.roots = roots;
    state.inhibitRules = inhibitRules;
    state.inhibition = undefined;
    for (const group of state.groups.values()) group.timer?.cancel();
    state.groups.clear();
    state.membership.clear();
    for (const alert of [...state.alerts.values()]) this.#route(state, alert);
    for (const problem of problems)
      this.#logger?.warn({ team, ...problem }, 'alert dispatch configuration problem');
    return problems;
  }

  /** Replaces a team's silences (active and pending ones; expired ones may be left out). */
  setSilences(team: string, silences: readonly DispatchSilence[]): void {
    this.#team(team).silences = silences.map((silence) => ({
      silence,
      matchers: silence.matchers.map(compileMatcher),
    }));
  }

  /** Takes new or changed alerts of a team (a value older than the one held is ignored). */
  upsertAlerts(team: string, alerts: readonly DispatchAlert[]): void {
    if (this.#stopped) return;
    const state = this.#team(team);
    const now = this.#clock.now();
    for (const alert of alerts) {
      const held = state.alerts.get(alert.fingerprint);
      if (held && held.updatedAt > alert.updatedAt) continue;
      state.flaps.observe(alert.fingerprint, resolvedAt(alert, now) ? 'resolved' : 'firing', now);
      if (held && this.#resent(state, held, alert, now)) continue;
      this.#route(state, alert);
    }
  }

  /** Forgets a team (deleted): its timers stop; nothing more is sent for it. */
  removeTeam(team: string): void {
    const state = this.#teams.get(team);
    if (!state) return;
    for (const group of state.groups.values()) group.timer?.cancel();
    this.#teams.delete(team);
  }

  /** The team's aggregation groups now. */
  groups(team: string): GroupSnapshot[] {
    const state = this.#teams.get(team);
    if (!state) return [];
    return [...state.groups.values()].map((group) => ({
      groupKey: group.key,
      routing: group.route.routing,
      routeId: group.route.id,
      receivers: [...group.route.receivers],
      groupLabels: group.labels,
      fingerprints: [...group.alerts.keys()].sort(),
      nextFlushAt: group.nextAt,
    }));
  }

  /**
   * One page of the team's groups in group-key order, from the first key after `after`, each alert with
   * its labels and what mutes it now; `next` is the last key of the page when more follow.
   */
  groupPage(
    team: string,
    options: { after?: string; limit: number },
  ): { groups: GroupView[]; next?: string } {
    const state = this.#teams.get(team);
    if (!state) return { groups: [] };
    const now = this.#clock.now();
    const after = options.after;
    const sorted = [...state.groups.values()]
      .filter((group) => after === undefined || group.key > after)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const page = sorted.slice(0, Math.max(1, options.limit));
    const groups = page.map((group) => ({
      groupKey: group.key,
      routing: group.route.routing,
      routeId: group.route.id,
      receivers: [...group.route.receivers],
      groupLabels: group.labels,
      nextFlushAt: group.nextAt,
      alerts: [...group.alerts.values()]
        .sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1))
        .map((alert) => ({
          ...alert,
          silencedBy: this.#silencedBy(state, alert.labels, now),
          inhibitedBy: this.#inhibitedBy(state, alert.labels, alert.fingerprint, now),
        })),
    }));
    const last = page.at(-1);
    return sorted.length > page.length && last ? { groups, next: last.key } : { groups };
  }

  /** Firing alerts of the team that no route takes (a team without AlertRouting), with what mutes them. */
  unrouted(team: string): GroupAlertView[] {
    const state = this.#teams.get(team);
    if (!state) return [];
    const now = this.#clock.now();
    return [...state.alerts.values()]
      .filter((alert) => state.membership.count(alert.fingerprint) === 0 && !resolvedAt(alert, now))
      .sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1))
      .map((alert) => ({
        ...alert,
        silencedBy: this.#silencedBy(state, alert.labels, now),
        inhibitedBy: this.#inhibitedBy(state, alert.labels, alert.fingerprint, now),
      }));
  }

  /** The teams the dispatcher holds state for, sorted. */
  teams(): string[] {
    return [...this.#teams.keys()].sort();
  }

  /** The receivers (NotificationChannels) of the groups that hold an alert of the team now. */
  receivers(team: string, fingerprint: string): string[] {
    const state = this.#teams.get(team);
    const receivers = new Set<string>();
    for (const id of state?.membership.groups(fingerprint) ?? [])
      for (const receiver of state?.groups.get(id)?.route.receivers ?? []) receivers.add(receiver);
    return [...receivers].sort();
  }

  /** Which silences and inhibiting alerts mute an alert of the team now. */
  muting(team: string, labels: LabelSet, fingerprint: string): Muting {
    const state = this.#teams.get(team);
    if (!state) return { silencedBy: [], inhibitedBy: [] };
    const now = this.#clock.now();
    return {
      silencedBy: this.#silencedBy(state, labels, now),
      inhibitedBy: this.#inhibitedBy(state, labels, fingerprint, now),
    };
  }

  /** Resolves once no flush is running (tests use it after advancing a fake clock). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Stops every timer and waits for flushes in progress: called when this server stops leading. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#maintenance?.cancel();
    for (const state of this.#teams.values()) {
      for (const group of state.groups.values()) group.timer?.cancel();
    }
    await this.idle();
  }

  #team(team: string): TeamState {
    let state = this.#teams.get(team);
    if (!state) {
      const created: TeamState = {
        name: team,
        roots: [],
        inhibitRules: [],
        intervals: new Map(),
        silences: [],
        alerts: new Map(),
        membership: new Membership(),
        groups: new Map(),
        log: new Map(),
        logLoaded: undefined,
        alertsVersion: 0,
        inhibition: undefined,
        flaps: new FlapTracker(this.#flapOptions, (fingerprint, _snapshot, at) => {
          const store = this.#flapStore;
          // Not before the previous leader's histories are read (a save would overwrite what is still to be
          // read), and then the history as merged with them.
          if (store)
            this.#track(
              this.#loadLog(created).then(() => {
                const merged = created.flaps.snapshot(fingerprint);
                return merged ? store.saveFlap({ team, fingerprint, ...merged, updatedAt: at }) : undefined;
              }),
            );
        }),
      };
      this.#track(this.#loadLog(created));
      state = created;
      this.#teams.set(team, state);
    }
    return state;
  }

  /** Reads the team's log entries once; a failed read is tried again by the next flush. */
  #loadLog(state: TeamState): Promise<void> {
    state.logLoaded ??= Promise.all([
      this.#log.list(state.name),
      this.#flapStore?.listFlaps(state.name) ?? Promise.resolve([]),
    ]).then(
      ([entries, flaps]) => {
        const now = this.#clock.now();
        for (const record of flaps) state.flaps.restore(record.fingerprint, record, now);
        for (const entry of entries) {
          // An entry recorded while loading is newer than the stored one.
          const key = logKey(entry.groupKey, entry.receiver);
          if (!state.log.has(key)) state.log.set(key, entry);
        }
      },
      (error: unknown) => {
        state.logLoaded = undefined;
        throw error;
      },
    );
    return state.logLoaded;
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.#logger?.warn({ err: error }, 'alert dispatch work failed');
    });
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }

  /** Puts an alert into the group of every route it matches, creating groups and their first timer. */
  #route(state: TeamState, alert: DispatchAlert): void {
    const now = this.#clock.now();
    const previous = state.alerts.get(alert.fingerprint);
    if (previous !== alert) alert.generatorURL = this.#interned(alert.generatorURL);
    // The inhibition index holds the firing sources' fingerprints: a new alert or one firing again makes it
    // stale; an earlier endsAt only brings its expiry forward (Prometheus re-sends push endsAt every minute).
    if (!previous || (resolvedAt(previous, now) && !resolvedAt(alert, now))) state.alertsVersion++;
    else if (state.inhibition && alert.endsAt !== null) {
      state.inhibition.validUntil = Math.min(state.inhibition.validUntil, alert.endsAt);
    }
    state.alerts.set(alert.fingerprint, alert);
    for (const root of state.roots) {
      for (const route of matchRoutes(root, alert.labels)) {
        const labels = pickLabels(alert.labels, route.groupBy, route.groupByAll);
        const id = `${route.id}\u0000${formatLabels(labels)}`;
        let group = state.groups.get(id);
        if (!group) {
          group = {
            id,
            route,
            key: groupKeyOf(route, labels),
            labels,
            alerts: new Map(),
            timer: undefined,
            nextAt: undefined,
            hasFlushed: false,
            flushing: Promise.resolve(),
          };
          state.groups.set(id, group);
          this.#schedule(state, group, route.groupWaitMs);
        }
        group.alerts.set(alert.fingerprint, alert);
        state.membership.add(alert.fingerprint, group.id);
        // As Alertmanager: an alert older than group_wait need not wait for it again (a restart, a reload).
        if (!group.hasFlushed && alert.startsAt + route.groupWaitMs < now && (group.nextAt ?? 0) > now) {
          this.#schedule(state, group, 0);
        }
      }
    }
    // A firing alert no route takes is kept: it may inhibit others, and a routing written later takes it
    // (setTeamConfig re-routes what is held). A resolved one is forgotten.
    if (state.membership.count(alert.fingerprint) === 0 && resolvedAt(alert, now)) {
      state.alerts.delete(alert.fingerprint);
      state.membership.delete(alert.fingerprint);
    }
  }

  /** The URL held for `url` (see `#urls`). */
  #interned(url: string): string {
    const held = this.#urls.get(url);
    if (held !== undefined) return held;
    if (this.#urls.size >= 1_000) this.#urls.clear();
    this.#urls.set(url, url);
    return url;
  }

  /**
   * A resend of a firing alert that is still firing (Prometheus moves endsAt on every minute; ADR 0043):
   * the same fingerprint is the same labels, and the routes are as they were when it was routed (a new
   * configuration routes every alert again), so it stays in the groups that hold it, or in none when no
   * route took it, without matching the routes again. The value held takes the resend's times and
   * annotations in place (ADR 0048): in a storm of resends, a new value in the maps of a long-lived state
   * would outlive the scavenge and be promoted, to die old at the next resend. (A flush that sends works on
   * copies: `#flush`.) False, having changed nothing, for anything else: an alert resolving or firing
   * again.
   */
  #resent(state: TeamState, previous: DispatchAlert, alert: DispatchAlert, now: number): boolean {
    if (resolvedAt(previous, now) || resolvedAt(alert, now)) return false;
    const held = state.membership.groups(alert.fingerprint);
    const groups: Group[] = [];
    for (const id of held) {
      const group = state.groups.get(id);
      if (!group) return false;
      groups.push(group);
    }
    if (state.inhibition && alert.endsAt !== null)
      state.inhibition.validUntil = Math.min(state.inhibition.validUntil, alert.endsAt);
    previous.startsAt = alert.startsAt;
    previous.endsAt = alert.endsAt;
    previous.updatedAt = alert.updatedAt;
    if (previous.annotations !== alert.annotations) previous.annotations = alert.annotations;
    if (previous.generatorURL !== alert.generatorURL)
      previous.generatorURL = this.#interned(alert.generatorURL);
    for (const group of groups) {
      if (!group.hasFlushed && alert.startsAt + group.route.groupWaitMs < now && (group.nextAt ?? 0) > now)
        this.#schedule(state, group, 0);
    }
    return true;
  }

  #schedule(state: TeamState, group: Group, delayMs: number): void {
    group.timer?.cancel();
    group.nextAt = this.#clock.now() + delayMs;
    group.timer = this.#clock.setTimeout(() => this.#tick(state, group), delayMs);
  }

  #tick(state: TeamState, group: Group): void {
    if (this.#stopped || state.groups.get(group.id) !== group) return;
    // The next tick is due a group_interval after this one, however long the flush takes.
    this.#schedule(state, group, group.route.groupIntervalMs);
    group.flushing = group.flushing.then(() => this.#flush(state, group));
    this.#track(group.flushing);
  }

  async #flush(state: TeamState, group: Group): Promise<void> {
    await this.#loadLog(state);
    if (this.#stopped || state.groups.get(group.id) !== group) return;
    const now = this.#clock.now();
    group.hasFlushed = true;
    const route = group.route;
    const alerts = [...group.alerts.values()];
    const views = alerts.map((alert) => {
      const resolved = resolvedAt(alert, now);
      state.flaps.observe(
        alert.fingerprint,
        resolved ? 'resolved' : 'firing',
        resolved ? alert.endsAt! : now,
      );
      const flapping = state.flaps.isFlapping(alert.fingerprint, now);
      const muted =
        this.#silencedBy(state, alert.labels, now).length > 0 ||
        this.#inhibitedBy(state, alert.labels, alert.fingerprint, now).length > 0;
      return { alert, held: alert, firing: flapping || !resolved, flapping, muted };
    });
    const timeMuted =
      route.muteTimeIntervals.some((name) => state.intervals.get(name)?.contains(now) ?? false) ||
      (route.activeTimeIntervals.length > 0 &&
        !route.activeTimeIntervals.some((name) => state.intervals.get(name)?.contains(now) ?? true));

    let allSent = true;
    let copied = false;
    const stillOwed = new Set<string>();
    for (const receiver of route.receivers) {
      const entry = state.log.get(logKey(group.key, receiver));
      const owed = new Set(entry?.owed ?? []);
      const sendResolved = this.#receiverSettings?.(state.name, receiver)?.sendResolved ?? true;
      const visible = timeMuted ? [] : views.filter((view) => !view.muted);
      const firing = visible.filter((view) => view.firing);
      const resolved = visible.filter((view) => !view.firing);
      // Gantry: a resolve reaches a receiver that was told the alert fires, silenced or inhibited since.
      const owedResolves = timeMuted
        ? []
        : views.filter((view) => view.muted && !view.firing && owed.has(view.alert.fingerprint));
      const reason = this.#needsUpdate(
        entry,
        firing,
        [...resolved, ...owedResolves],
        owedResolves.length,
        sendResolved,
        now,
        route,
      );
      if (reason && visible.length + owedResolves.length > 0) {
        // Copies before the first wait: a resend changes the value held in place (`#resent`), and every
        // receiver of this flush is told the alert as it was when the flush began.
        if (!copied) {
          for (const view of views) view.alert = { ...view.alert };
          copied = true;
        }
        const sent = [...firing, ...resolved, ...owedResolves];
        try {
          await this.#send(state, group, receiver, entry, sent, owedResolves, reason, sendResolved, now);
        } catch (error) {
          allSent = false;
          this.#logger?.warn(
            { err: error, team: state.name, groupKey: group.key, receiver },
            'sending or recording a notification failed; the group is flushed again at its next interval',
          );
        }
      }
      for (const fingerprint of state.log.get(logKey(group.key, receiver))?.owed ?? [])
        stillOwed.add(fingerprint);
    }
    if (!allSent) return;
    // Resolved alerts leave the group once notified (unless they changed meanwhile or a resolve is still owed).
    for (const view of views) {
      const { held: alert } = view;
      if (view.firing || stillOwed.has(alert.fingerprint) || group.alerts.get(alert.fingerprint) !== alert)
        continue;
      group.alerts.delete(alert.fingerprint);
      if (state.membership.remove(alert.fingerprint, group.id) === 0) {
        if (state.alerts.get(alert.fingerprint) === alert) {
          state.alerts.delete(alert.fingerprint);
          state.alertsVersion++;
        }
      }
    }
    if (group.alerts.size === 0) {
      group.timer?.cancel();
      state.groups.delete(group.id);
    }
  }

  /** Alertmanager's deduplication, with Gantry's flapping report added; undefined: nothing to send. */
  #needsUpdate(
    entry: NotificationLogEntry | undefined,
    firing: readonly { alert: DispatchAlert; flapping: boolean }[],
    resolved: readonly { alert: DispatchAlert }[],
    owedResolves: number,
    sendResolved: boolean,
    now: number,
    route: CompiledRoute,
  ): NotificationReason | undefined {
    if (!entry) return firing.length > 0 ? 'new' : undefined;
    const lastFiring = new Set(entry.firing);
    if (
      !isSubset(
        firing.map((view) => view.alert.fingerprint),
        lastFiring,
      )
    )
      return 'changed';
    const flapping = firing.filter((view) => view.flapping).map((view) => view.alert.fingerprint);
    if (!isSubset(flapping, new Set(entry.flapping))) return 'flapping';
    // All resolved: said when the receiver holds firing alerts of the group (alerts that fired and resolved
    // between two notifications are not news to it).
    if (firing.length === 0) return entry.firing.length > 0 || owedResolves > 0 ? 'resolved' : undefined;
    const resolvedNews = !isSubset(
      resolved.map((view) => view.alert.fingerprint),
      new Set(entry.resolved),
    );
    if (sendResolved && resolvedNews) return 'changed';
    return entry.sentAt + route.repeatIntervalMs <= now ? 'repeat' : undefined;
  }

  async #send(
    state: TeamState,
    group: Group,
    receiver: string,
    entry: NotificationLogEntry | undefined,
    views: readonly { alert: DispatchAlert; firing: boolean; flapping: boolean }[],
    owedResolves: readonly { alert: DispatchAlert }[],
    reason: NotificationReason,
    sendResolved: boolean,
    now: number,
  ): Promise<void> {
    const owedResolved = new Set(owedResolves.map((view) => view.alert.fingerprint));
    // Sorted by their labels as Alertmanager prints them (each printed once, not at every comparison).
    const alerts: NotifiedAlert[] = views
      .map(({ alert, firing, flapping }) => ({
        order: formatLabels(alert.labels),
        alert: {
          status: firing ? ('firing' as const) : ('resolved' as const),
          fingerprint: alert.fingerprint,
          labels: alert.labels,
          annotations: alert.annotations,
          startsAt: alert.startsAt,
          endsAt: alert.endsAt,
          generatorURL: alert.generatorURL,
          flapping,
          resolvedWhileMuted: owedResolved.has(alert.fingerprint),
        },
      }))
      .sort((a, b) => a.order.localeCompare(b.order))
      .map(({ alert }) => alert);
    const firing = alerts.filter((alert) => alert.status === 'firing').map((alert) => alert.fingerprint);
    const resolved = alerts.filter((alert) => alert.status === 'resolved').map((alert) => alert.fingerprint);
    // A receiver without resolves is not told them, but the log still says they happened.
    const told = sendResolved ? alerts : alerts.filter((alert) => alert.status === 'firing');
    const sequence = (entry?.sequence ?? 0) + 1;
    const id = createHash('sha256')
      .update(
        [state.name, group.key, receiver, sequence, firing.join(','), resolved.join(',')].join('\u0000'),
      )
      .digest('hex')
      .slice(0, 32);
    const notification: GroupNotification = {
      id,
      team: state.name,
      receiver,
      routing: group.route.routing,
      routeId: group.route.id,
      groupKey: group.key,
      status: firing.length > 0 ? 'firing' : 'resolved',
      groupLabels: group.labels,
      commonLabels: commonLabels(told.map((alert) => alert.labels)),
      commonAnnotations: commonLabels(told.map((alert) => alert.annotations)),
      alerts: told,
      firing: firing.length,
      resolved: told.length - firing.length,
      reason,
      at: now,
    };
    if (told.length > 0) await this.#sink.notify(notification);
    const owed = new Set([...(entry?.owed ?? []), ...firing]);
    for (const fingerprint of resolved) owed.delete(fingerprint);
    const next: NotificationLogEntry = {
      team: state.name,
      groupKey: group.key,
      receiver,
      sequence,
      firing,
      resolved,
      flapping: alerts.filter((alert) => alert.flapping).map((alert) => alert.fingerprint),
      owed: [...owed],
      sentAt: now,
      expiresAt: now + Math.max(this.#retentionMs, owed.size > 0 ? OWED_RETENTION_MS : 0),
    };
    state.log.set(logKey(group.key, receiver), next);
    await this.#log.record(next);
  }

  #silencedBy(state: TeamState, labels: LabelSet, now: number): string[] {
    return state.silences
      .filter(
        ({ silence, matchers }) =>
          silence.startsAt <= now && now < silence.endsAt && matchesAll(matchers, labels),
      )
      .map(({ silence }) => silence.id);
  }

  /**
   * As Alertmanager: a firing alert that matches a rule's source mutes the team's alerts that match its
   * target and carry the same `equal` labels; an alert that matches both sides is not muted by sources
   * that match both sides too (so it never mutes itself).
   */
  #inhibitedBy(state: TeamState, labels: LabelSet, fingerprint: string, now: number): string[] {
    if (state.inhibitRules.length === 0) return [];
    const index = this.#inhibitionIndex(state, now);
    const by = new Set<string>();
    for (const { rule, sources } of index.rules) {
      if (!matchesAll(rule.target, labels)) continue;
      const twoSided = matchesAll(rule.source, labels);
      for (const source of sources.get(equalKey(rule, labels)) ?? []) {
        if (source.fingerprint === fingerprint || (twoSided && source.matchesTarget)) continue;
        by.add(source.fingerprint);
      }
    }
    return [...by];
  }

  /** The firing sources of every rule, rebuilt when the team's alerts change or a source's endsAt passes. */
  #inhibitionIndex(state: TeamState, now: number): InhibitionIndex {
    const held = state.inhibition;
    if (held && held.version === state.alertsVersion && now < held.validUntil) return held;
    let validUntil = Number.POSITIVE_INFINITY;
    const rules = state.inhibitRules.map((rule) => {
      const sources = new Map<string, { fingerprint: string; matchesTarget: boolean }[]>();
      for (const source of state.alerts.values()) {
        if (resolvedAt(source, now) || !matchesAll(rule.source, source.labels)) continue;
        if (source.endsAt !== null) validUntil = Math.min(validUntil, source.endsAt);
        const key = equalKey(rule, source.labels);
        const list = sources.get(key) ?? [];
        list.push({ fingerprint: source.fingerprint, matchesTarget: matchesAll(rule.target, source.labels) });
        sources.set(key, list);
      }
      return { rule, sources };
    });
    state.inhibition = { version: state.alertsVersion, validUntil, rules };
    return state.inhibition;
  }

  async #maintain(): Promise<void> {
    const now = this.#clock.now();
    for (const state of this.#teams.values()) {
      state.flaps.sweep(now);
      // Alerts held without a group (no route took them) leave once resolved.
      for (const [fingerprint, alert] of state.alerts) {
        if (state.membership.count(fingerprint) > 0 || !resolvedAt(alert, now)) continue;
        state.alerts.delete(fingerprint);
        state.membership.delete(fingerprint);
        state.alertsVersion++;
      }
    }
    await this.#log.purge(now);
    await this.#flapStore?.purgeFlaps(now - Math.max(this.#flapOptions.windowMs, this.#flapOptions.quietMs));
    for (const state of this.#teams.values()) {
      for (const [key, entry] of state.log) if (entry.expiresAt <= now) state.log.delete(key);
    }
  }
}
