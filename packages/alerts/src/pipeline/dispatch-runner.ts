import type { Clock, TermScope, Timer } from '@gantry/controllers';
import {
  isoLast,
  isoMs,
  type AlertRoutingSpec,
  type InhibitRuleSpec,
  type Resource,
  type SilenceSpec,
  type TimeIntervalSpec,
} from '@gantry/model';
import {
  isFencedWriteRefused,
  type AlertRepository,
  type ResourceRepository,
  type StoredAlert,
  type StoredChange,
  type WriteFence,
} from '@gantry/store';
import type { AlertDispatcher } from '../dispatch/dispatcher.ts';
import type { FlapRecord, FlapStateStore } from '../dispatch/flapping.ts';
import type { NotificationLog, NotificationLogEntry } from '../dispatch/notification-log.ts';
import type {
  DispatchAlert,
  DispatchSilence,
  GroupNotification,
  NotificationSink,
  TeamDispatchConfig,
} from '../dispatch/types.ts';
import type { AlertChange } from '../ingest/alert-changes.ts';

/** The kinds a team's dispatch reads, and the Team itself (a deleted team is forgotten). */
const CONFIG_KINDS = new Set(['AlertRouting', 'InhibitRule', 'TimeInterval', 'Silence']);

export interface DispatchRunnerDeps {
  /**
   * A fresh dispatcher for one term of leadership. `term` (from `termElector`, ADR 0028) is the term's
   * scope: its sink enqueues with `{ fence: term.fence }` and reports a refusal with `term.refused`.
   */
  createDispatcher(term: TermScope | undefined): AlertDispatcher;
  alerts: Pick<AlertRepository, 'changedSince'>;
  resources: Pick<ResourceRepository, 'list'>;
  /** The change feed: resource writes of every server. */
  subscribe(listener: (change: StoredChange) => void): () => void;
  /**
   * Wakes on every committed ingest (this server's, with the rows written, and others' through
   * PostgreSQL): `watchAlertChanges`. Answers a stop.
   */
  watchAlerts(onChange: (change?: AlertChange) => void): Promise<() => Promise<void>>;
  clock: Clock;
  onError(error: unknown, what: string): void;
  /** How often alert changes are read even without a wake-up (a missed notification). Default 5 s. */
  safetyPollMs?: number;
  /** Alerts read per query while catching up. Default 1,000. */
  pageSize?: number;
}

/**
 * The dispatcher's sink for one term (ADR 0028): every notification is enqueued with the term's fence, so
 * the outbox refuses it once another server leads; a refusal is handed to `term.refused` (which ends the
 * term, counted and logged once) and fails the notify, so the notification log records nothing.
 */
export function termNotificationSink(
  term: TermScope | undefined,
  enqueue: (notification: GroupNotification, options: { fence?: WriteFence | undefined }) => Promise<unknown>,
): NotificationSink {
  return {
    notify: async (notification) => {
      try {
        await enqueue(notification, { fence: term?.fence });
      } catch (error) {
        if (isFencedWriteRefused(error)) term?.refused(error);
        throw error;
      }
    },
  };
}

/** The dispatcher's durable state as the store keeps it (`AlertDispatchRepository`): writes take a fence. */
export interface FencedDispatchState {
  list(team: string): Promise<NotificationLogEntry[]>;
  record(entry: NotificationLogEntry, fence?: WriteFence): Promise<void>;
  purge(now: number): Promise<number>;
  listFlaps(team: string): Promise<FlapRecord[]>;
  saveFlap(record: FlapRecord, fence?: WriteFence): Promise<void>;
  purgeFlaps(before: number): Promise<number>;
}

/**
 * The notification log and flap histories of one term's dispatcher (ADR 0028): its entries and histories
 * are written with the term's fence, so a deposed dispatcher finishing a late flush writes neither; a
 * refusal is handed to `term.refused` and fails the write (the dispatcher logs its failed work).
 */
export function termDispatchState(
  term: TermScope | undefined,
  state: FencedDispatchState,
): NotificationLog & FlapStateStore {
  const fenced = async (write: Promise<void>): Promise<void> => {
    try {
      await write;
    } catch (error) {
      if (isFencedWriteRefused(error)) term?.refused(error);
      throw error;
    }
  };
  return {
    list: (team) => state.list(team),
    record: (entry) => fenced(state.record(entry, term?.fence)),
    purge: (now) => state.purge(now),
    listFlaps: (team) => state.listFlaps(team),
    saveFlap: (record) => fenced(state.saveFlap(record, term?.fence)),
    purgeFlaps: (before) => state.purgeFlaps(before),
  };
}

/**
 * Feeds the alert dispatcher while this server holds the `alert-dispatch` lease: every team's routing,
 * inhibit rules, time intervals and silences from the resources (again whenever one is written), and every
 * alert change in sequence order from the alert records, from the first (a new leader rebuilds the groups;
 * the notification log keeps it from repeating what was sent). The rows an ingest of this process writes
 * are taken as the write hands them over when they follow the last change handled, without reading them
 * back; anything else (other servers' writes, a gap) is read with `changedSince`.
 */
export class AlertDispatchRunner {
  readonly #deps: DispatchRunnerDeps;
  #term: Term | undefined;

  constructor(deps: DispatchRunnerDeps) {
    this.#deps = deps;
  }

  /** The dispatcher of the current term, while leading (for tests and the API's views). */
  get dispatcher(): AlertDispatcher | undefined {
    return this.#term?.dispatcher;
  }

  /** A term starts; `scope` is its `TermScope` (fence and end), when the lease is held by `termElector`. */
  async start(scope?: TermScope): Promise<void> {
    if (this.#term) return;
    const term = new Term(this.#deps, scope);
    this.#term = term;
    await term.start();
  }

  async stop(): Promise<void> {
    const term = this.#term;
    this.#term = undefined;
    await term?.stop();
  }
}

class Term {
  readonly dispatcher: AlertDispatcher;
  readonly #deps: DispatchRunnerDeps;
  #seq = 0;
  #reading: Promise<void> | undefined;
  #readAgain = false;
  /** Rows written while a read ran, taken after it (`#takeHanded`). */
  #handed: (readonly StoredAlert[])[] = [];
  #stopped = false;
  #poll: Timer | undefined;
  readonly #stops: (() => unknown)[] = [];
  /** Teams whose configuration changed while a reload ran. */
  readonly #reloading = new Map<string, Promise<void>>();

  constructor(deps: DispatchRunnerDeps, scope: TermScope | undefined) {
    this.#deps = deps;
    this.dispatcher = deps.createDispatcher(scope);
  }

  async start(): Promise<void> {
    // Changes during the first load are queued by team and applied after it.
    const pending = new Set<string>();
    let loaded = false;
    this.#stops.push(
      this.#deps.subscribe((change) => {
        if (change.kind === 'Team' && change.type === 'DELETED') {
          this.dispatcher.removeTeam(change.name);
          return;
        }
        if (!CONFIG_KINDS.has(change.kind)) return;
        if (loaded) this.#reloadTeam(change.team);
        else pending.add(change.team);
      }),
    );
    const byTeam = await this.#loadConfig();
    for (const [team, config] of byTeam) this.#apply(team, config);
    loaded = true;
    // A write during the load may or may not be in what was read: read those teams again.
    for (const team of pending) this.#reloadTeam(team);
    const stopWatching = await this.#deps.watchAlerts((change) => this.#onAlertChange(change));
    this.#stops.push(stopWatching);
    await this.#readAlerts();
    this.#schedulePoll();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#poll?.cancel();
    for (const stop of this.#stops.splice(0)) await stop();
    await this.#reading;
    await Promise.all(this.#reloading.values());
    await this.dispatcher.stop();
  }

  #schedulePoll(): void {
    if (this.#stopped) return;
    this.#poll = this.#deps.clock.setTimeout(() => {
      void this.#readAlerts().finally(() => this.#schedulePoll());
    }, this.#deps.safetyPollMs ?? 5_000);
  }

  /**
   * A wake-up: the rows of a local write are taken as they are when everything before them was handled
   * and no read is running; while a read runs they wait, and are taken after it as far as they follow on
   * from what it read (rows it read too are skipped; a gap is read). A commit announced up to a sequence
   * number handled already needs nothing; anything else is read. (A read of changes not yet handled folds
   * the SQLite alert journal first, ADR 0042: rows taken as written spare it.)
   */
  #onAlertChange(change: AlertChange | undefined): void {
    if (this.#stopped) return;
    if (change?.kind === 'committed' && change.toSeq <= this.#seq) return;
    if (change?.kind === 'written' && this.#reading) {
      this.#handed.push(change.alerts);
      return;
    }
    if (change?.kind === 'written' && change.change.fromSeq <= this.#seq + 1) {
      this.#takeWritten(change.alerts);
      return;
    }
    void this.#readAlerts();
  }

  /** Takes rows a write handed over; called by the write itself, so a failure is reported, not thrown. */
  #takeWritten(alerts: readonly StoredAlert[]): void {
    try {
      this.#take(alerts);
    } catch (error) {
      this.#deps.onError(error, 'taking written alerts');
    }
  }

  /** After a read: the rows handed over meanwhile, as long as they follow on; true when a gap is left. */
  #takeHanded(): boolean {
    while (this.#handed.length > 0) {
      const rows = this.#handed[0]!;
      const next = rows.find((alert) => alert.seq > this.#seq);
      if (next !== undefined && next.seq !== this.#seq + 1) {
        this.#handed = [];
        return true;
      }
      this.#handed.shift();
      if (next !== undefined) this.#takeWritten(rows);
    }
    return false;
  }

  /**
   * Hands alert records in sequence order to the dispatcher, skipping those handled already; the last
   * sequence number handled moves once they are all taken.
   */
  #take(alerts: readonly StoredAlert[]): void {
    const byTeam = new Map<string, DispatchAlert[]>();
    let last = this.#seq;
    for (const alert of alerts) {
      if (alert.seq <= last) continue;
      let list = byTeam.get(alert.team);
      if (!list) byTeam.set(alert.team, (list = []));
      list.push(dispatchAlert(alert));
      last = alert.seq;
    }
    for (const [team, list] of byTeam) this.dispatcher.upsertAlerts(team, list);
    this.#seq = last;
  }

  /** Reads every alert change after the last one handled; overlapping calls coalesce into one more read. */
  #readAlerts(): Promise<void> {
    if (this.#reading) {
      this.#readAgain = true;
      return this.#reading;
    }
    const reading = (async () => {
      do {
        this.#readAgain = false;
        await this.#catchUp();
        if (this.#takeHanded()) this.#readAgain = true;
      } while (this.#readAgain && !this.#stopped);
    })()
      .catch((error: unknown) => this.#deps.onError(error, 'reading alert changes'))
      .finally(() => {
        this.#reading = undefined;
      });
    this.#reading = reading;
    return reading;
  }

  async #catchUp(): Promise<void> {
    const pageSize = this.#deps.pageSize ?? 1_000;
    for (;;) {
      if (this.#stopped) return;
      const page = await this.#deps.alerts.changedSince(this.#seq, pageSize);
      if (page.length === 0 || this.#stopped) return;
      this.#take(page);
      if (page.length < pageSize) return;
    }
  }

  #reloadTeam(team: string): void {
    if (this.#stopped || this.#reloading.has(team)) return;
    const reload = (async () => {
      // Let a burst of writes (a kubectl apply of a whole file) settle into one reload.
      await Promise.resolve();
      const config = (await this.#loadConfig([team])).get(team) ?? emptyConfig();
      if (!this.#stopped) this.#apply(team, config);
    })()
      .catch((error: unknown) => this.#deps.onError(error, `loading the alert configuration of ${team}`))
      .finally(() => this.#reloading.delete(team));
    this.#reloading.set(team, reload);
  }

  #apply(team: string, config: LoadedConfig): void {
    this.dispatcher.setTeamConfig(team, config.dispatch);
    this.dispatcher.setSilences(team, config.silences);
  }

  async #loadConfig(teams?: readonly string[]): Promise<Map<string, LoadedConfig>> {
    const byTeam = new Map<string, LoadedConfig>();
    const entry = (team: string) => {
      let config = byTeam.get(team);
      if (!config) byTeam.set(team, (config = emptyConfig()));
      return config;
    };
    for (const kind of CONFIG_KINDS) {
      for (const resource of await this.#listAll(kind, teams)) {
        const team = resource.metadata.team ?? '';
        const config = entry(team);
        const name = resource.metadata.name;
        switch (kind) {
          case 'AlertRouting':
            config.dispatch.routings.push({ name, spec: resource.spec as AlertRoutingSpec });
            break;
          case 'InhibitRule':
            config.dispatch.inhibitRules.push({ name, spec: resource.spec as InhibitRuleSpec });
            break;
          case 'TimeInterval':
            config.dispatch.timeIntervals.push({ name, spec: resource.spec as TimeIntervalSpec });
            break;
          case 'Silence':
            config.silences.push(dispatchSilence(resource));
            break;
        }
      }
    }
    return byTeam;
  }

  async #listAll(kind: string, teams?: readonly string[]): Promise<Resource[]> {
    const out: Resource[] = [];
    let after: { team: string; name: string } | undefined;
    for (;;) {
      const page = await this.#deps.resources.list({
        kind,
        limit: 1_000,
        ...(teams ? { teams } : {}),
        ...(after ? { after } : {}),
      });
      for (const item of page.items) out.push(JSON.parse(item.json) as Resource);
      const last = page.items.at(-1);
      if (!last || page.items.length < 1_000) return out;
      after = { team: last.team, name: last.name };
    }
  }
}

interface LoadedConfig {
  dispatch: {
    routings: TeamDispatchConfig['routings'][number][];
    inhibitRules: TeamDispatchConfig['inhibitRules'][number][];
    timeIntervals: TeamDispatchConfig['timeIntervals'][number][];
  };
  silences: DispatchSilence[];
}

function emptyConfig(): LoadedConfig {
  return { dispatch: { routings: [], inhibitRules: [], timeIntervals: [] }, silences: [] };
}

const lastStarts = isoLast();
const lastEnds = isoLast();
const lastUpdated = isoLast();

/** An alert record as the dispatcher takes it: times in milliseconds. */
export function dispatchAlert(alert: StoredAlert): DispatchAlert {
  return {
    fingerprint: alert.fingerprint,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: isoMs(alert.startsAt, lastStarts),
    endsAt: isoMs(alert.endsAt, lastEnds),
    updatedAt: isoMs(alert.updatedAt, lastUpdated),
    generatorURL: alert.generatorURL,
  };
}

function dispatchSilence(resource: Resource): DispatchSilence {
  const spec = resource.spec as SilenceSpec;
  return {
    // The silence's id as the Alertmanager API names it (SilenceApi: the object's name), so that what the
    // dispatcher says mutes an alert is the silence the API and the console list.
    id: resource.metadata.name,
    matchers: spec.matchers,
    startsAt: Date.parse(spec.startsAt),
    endsAt: Date.parse(spec.endsAt),
  };
}
