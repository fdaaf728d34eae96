import type { Clock, EventRecorder, Timer } from '@gantry/controllers';
import type { AlertChange } from '@gantry/alerts';
import type { CelEngine } from '@gantry/delivery';
import { isoLast, isoMs, type CorrelationRuleSpec, type Resource } from '@gantry/model';
import {
  isFencedWriteRefused,
  type AlertRepository,
  type CorrelationChanges,
  type CorrelationRepository,
  type ResourceRepository,
  type StoredAlert,
  type StoredChange,
} from '@gantry/store';
import { UNFENCED, type CorrelationGroup, type ExceptionPort, type LeaderWrite } from '../ports.ts';
import { compileCorrelationRule, type CompiledCorrelationRule } from './compile-rule.ts';
import { CorrelationEngine, type EngineChanges, type GroupRecord } from './engine.ts';
import { DEFAULT_TOPOLOGY_LABELS, nodePlace, type NodePlace, type TopologyLabels } from './topology.ts';
import type { TopologySource } from './topology-source.ts';

/** The most alerts of a group written in one correlate call (ADR 0045). */
export const CORRELATE_SLICE = 100;

/**
 * The most state-table rows written in one transaction (ADR 0047): a storm's round writes tens of
 * thousands of member rows, and the store's connection and the event loop are not held for all of them.
 */
export const APPLY_SLICE = 1_000;

/**
 * How long a round goes on deciding what comes due while its calls run (ADR 0047): past it, the round
 * makes the calls already decided, writes the state and ends, and the next one reads the alert changes
 * that came meanwhile first. Without it a storm's round could run until everything held had come due.
 */
export const ROUND_BUDGET_MS = 1_000;

/** What a sliced call answers: a slice that opened or reopened the exception over one that joined it. */
const OUTCOME_RANK = { unchanged: 0, joined: 1, opened: 2, reopened: 2 } as const;

export interface CorrelationRunnerOptions {
  /** How long topology holds an alert before it decides its failure domain (storm collapse). Default 30 s. */
  groupWaitMs?: number;
  /** The node labels of a zone and a rack. Default `topology.kubernetes.io/zone`, `topology.gantry.dev/rack`. */
  topologyLabels?: Partial<TopologyLabels>;
  /** How often alert changes are read without a wake-up (a missed notification). Default 5 s. */
  safetyPollMs?: number;
  /** Alerts read per query while catching up. Default 1,000. */
  pageSize?: number;
  /** How long after a failed round the state is rebuilt and tried again. Default 5 s. */
  retryMs?: number;
}

export interface CorrelationRunnerDeps {
  port: ExceptionPort;
  alerts: Pick<AlertRepository, 'changedSince'>;
  state: Pick<CorrelationRepository, 'loadGroups' | 'loadMembers' | 'apply'>;
  resources: Pick<ResourceRepository, 'list'>;
  /** The change feed of resource writes (CorrelationRules, Teams). */
  subscribe(listener: (change: StoredChange) => void): () => void;
  /**
   * Wakes on every committed ingest (`watchAlertChanges`), with the rows when this process wrote them;
   * answers a stop.
   */
  watchAlerts(onChange: (change?: AlertChange) => void): Promise<() => Promise<void>>;
  topology: TopologySource;
  cel: CelEngine;
  clock: Clock;
  onError(error: unknown, what: string): void;
  /** Warning events: a stored CorrelationRule that does not compile (written before a CEL change). */
  events?: EventRecorder;
  /** An exception was opened or reopened by correlation (the escalator starts it at once). */
  onException?(team: string, exceptionId: string, outcome: 'opened' | 'reopened'): void;
}

export interface CorrelationRunner {
  /**
   * Starts a term: rebuild from the state table and every alert record, then follow the changes. With
   * `term` (the lease's `TermScope`, ADR 0028) every exception and state write carries its fence; a refused
   * one stops the term's work and goes to `term.refused` (no rebuild: the term is over).
   */
  start(term?: LeaderWrite): Promise<void>;
  /** Ends the term once the round in progress has finished. */
  stop(): Promise<void>;
  /** Resolves once the work in progress (reading, deciding, calling the port) is done. For tests. */
  idle(): Promise<void>;
  /** The open groups of the current term (for tests and views). */
  openGroups(): GroupRecord[];
}

/**
 * Correlation while this server holds the `health-correlation` lease (ADR 0019): run `start` from the
 * LeaderElector's `onStartedLeading` and `stop` from `onStoppedLeading`.
 */
export function createCorrelationRunner(
  deps: CorrelationRunnerDeps,
  options: CorrelationRunnerOptions = {},
): CorrelationRunner {
  const resolved: ResolvedOptions = {
    groupWaitMs: options.groupWaitMs ?? 30_000,
    labels: { ...DEFAULT_TOPOLOGY_LABELS, ...options.topologyLabels },
    safetyPollMs: options.safetyPollMs ?? 5_000,
    pageSize: options.pageSize ?? 1_000,
    retryMs: options.retryMs ?? 5_000,
  };
  let term: Term | undefined;
  let retry: Timer | undefined;
  let running = false;
  let restarting: Promise<void> | undefined;
  let leading: LeaderWrite = UNFENCED;
  const begin = async (): Promise<void> => {
    const next = new Term(deps, resolved, leading, () => {
      // A failed round leaves memory ahead of the port or the table: drop it and rebuild.
      if (term !== next || !running) return;
      retry = deps.clock.setTimeout(() => {
        restarting = (async () => {
          if (term !== next || !running) return;
          await next.stop();
          if (running) await begin();
        })()
          .catch((error: unknown) => deps.onError(error, 'restarting correlation'))
          .finally(() => (restarting = undefined));
      }, resolved.retryMs);
    });
    term = next;
    await next.start();
  };
  return {
    async start(term) {
      if (running) return;
      running = true;
      leading = term ?? UNFENCED;
      await begin();
    },
    async stop() {
      running = false;
      retry?.cancel();
      await restarting;
      const current = term;
      term = undefined;
      await current?.stop();
    },
    async idle() {
      while (restarting) await restarting;
      await term?.idle();
    },
    openGroups: () => term?.engine.openGroups() ?? [],
  };
}

interface ResolvedOptions {
  groupWaitMs: number;
  labels: TopologyLabels;
  safetyPollMs: number;
  pageSize: number;
  retryMs: number;
}

class Term {
  readonly engine: CorrelationEngine;
  readonly #deps: CorrelationRunnerDeps;
  readonly #options: ResolvedOptions;
  readonly #onFailure: () => void;
  /** The lease's term this runs in: its fence goes with every write (ADR 0028). */
  readonly #write: LeaderWrite;
  #seq = 0;
  /** Rows this process wrote, handed over as written (the objects the dispatcher holds too). */
  #handed: (readonly StoredAlert[])[] = [];
  /** Whether the next pass must read the table (a wake-up without rows, a gap, the safety poll). */
  #mustRead = true;
  #rebuilt = false;
  #working: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #failed = false;
  #timer: Timer | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #poll: Timer | undefined;
  readonly #stops: (() => unknown)[] = [];
  readonly #reloads = new Map<string, Promise<void>>();

  constructor(
    deps: CorrelationRunnerDeps,
    options: ResolvedOptions,
    write: LeaderWrite,
    onFailure: () => void,
  ) {
    this.#deps = deps;
    this.#options = options;
    this.#write = write;
    this.#onFailure = onFailure;
    this.engine = new CorrelationEngine({ groupWaitMs: options.groupWaitMs });
  }

  async start(): Promise<void> {
    const pending = new Set<string>();
    let loaded = false;
    this.#stops.push(
      this.#deps.subscribe((change) => {
        if (change.kind === 'Team' && change.type === 'DELETED') {
          this.engine.removeTeam(change.name);
          return;
        }
        if (change.kind !== 'CorrelationRule') return;
        if (loaded) this.#reloadRules(change.team);
        else pending.add(change.team);
      }),
    );
    for (const [team, rules] of await this.#loadRules()) this.engine.setRules(team, rules);
    loaded = true;
    for (const team of pending) this.#reloadRules(team);
    const groups = (await this.#deps.state.loadGroups()).map((row) => JSON.parse(row.data) as GroupRecord);
    this.engine.restore(groups, await this.#deps.state.loadMembers());
    this.#stops.push(await this.#deps.watchAlerts((change) => this.#onAlertChange(change)));
    await this.#work();
    this.#schedulePoll();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#poll?.cancel();
    this.#timer?.cancel();
    for (const stop of this.#stops.splice(0)) await stop();
    await this.#working;
    await Promise.all(this.#reloads.values());
  }

  idle(): Promise<void> {
    return (async () => {
      while (this.#working || this.#reloads.size > 0) {
        await this.#working;
        await Promise.all(this.#reloads.values());
      }
    })();
  }

  #schedulePoll(): void {
    if (this.#stopped) return;
    this.#poll = this.#deps.clock.setTimeout(() => {
      this.#mustRead = true;
      void this.#work().finally(() => this.#schedulePoll());
    }, this.#options.safetyPollMs);
  }

  /** Rows written here are taken as written; a commit up to a sequence handled needs nothing; else read. */
  #onAlertChange(change: AlertChange | undefined): void {
    if (change?.kind === 'committed' && change.toSeq <= this.#seq) return;
    if (change?.kind === 'written') this.#handed.push(change.alerts);
    else this.#mustRead = true;
    void this.#work();
  }

  /** Reads what changed and decides; overlapping calls coalesce into one more pass. */
  #work(): Promise<void> {
    if (this.#stopped || this.#failed) return Promise.resolve();
    if (this.#working) {
      this.#again = true;
      return this.#working;
    }
    const working = (async () => {
      do {
        this.#again = false;
        await this.#catchUp();
        if (!this.#rebuilt) {
          this.engine.endRebuild(this.#deps.clock.now());
          this.#rebuilt = true;
        }
        await this.#round();
      } while (this.#again && !this.#stopped);
    })()
      .catch((error: unknown) => {
        this.#failed = true;
        if (isFencedWriteRefused(error)) {
          // Another server leads now: this term's memory is not rebuilt, the term is over.
          this.#write.refused?.(error);
          return;
        }
        this.#deps.onError(error, 'correlating alerts');
        this.#onFailure();
      })
      .finally(() => {
        this.#working = undefined;
        this.#scheduleDue();
      });
    this.#working = working;
    return working;
  }

  /**
   * Observes every alert change after the last one handled: first the rows handed over, as long as they
   * follow on from it (also when a wake-up without rows or the safety poll asked for a read: the table is
   * then read from after them, so rows this process wrote are never read back as second copies); then, if
   * a read was asked for or the rows left a gap (another writer's rows in between), the table from there.
   */
  async #catchUp(): Promise<void> {
    while (this.#handed.length > 0) {
      const rows = this.#handed[0]!;
      const next = rows.find((alert) => alert.seq > this.#seq);
      if (next !== undefined && next.seq !== this.#seq + 1) break; // a gap: the table holds what comes first
      this.#handed.shift();
      if (next !== undefined) await this.#observe(rows);
    }
    if (!this.#mustRead && this.#handed.length === 0) return;
    this.#mustRead = false;
    this.#handed = [];
    for (;;) {
      if (this.#stopped) return;
      const page = await this.#deps.alerts.changedSince(this.#seq, this.#options.pageSize);
      await this.#observe(page);
      if (page.length < this.#options.pageSize) return;
    }
  }

  /** Observes the rows after the last sequence handled, in order. */
  async #observe(rows: readonly StoredAlert[]): Promise<void> {
    for (const alert of rows) {
      if (alert.seq <= this.#seq) continue;
      // Only an alert of a node waits for its place (most do not: no turn of the event loop per alert).
      const place = nodeOf(alert) ? await this.#placeOf(alert) : undefined;
      this.engine.observe(engineAlert(alert), place, this.#deps.clock.now());
      this.#seq = alert.seq;
    }
  }

  async #placeOf(alert: StoredAlert): Promise<NodePlace | undefined> {
    const { cluster, node } = alert.entities;
    if (cluster === undefined || node === undefined) return undefined;
    const labels = await this.#deps.topology.nodeLabels(alert.team, cluster, node);
    return nodePlace(labels, alert.labels, this.#options.labels);
  }

  /**
   * Decides, calls the port in order, then writes the table: a crash between repeats calls, never skips.
   * Each call and each slice of the table's rows is a turn of the event loop of its own, and what comes
   * due while the calls run is decided between them and joins the round, for `ROUND_BUDGET_MS` (ADR
   * 0047): a storm's round does
   * not hold the event loop or the store's connection for its whole length, nor leave a decision of
   * everything that came due meanwhile to the next. A crash between slices of the table leaves what a
   * crash before them leaves (an alert whose member row is missing joins its open group again on the
   * rebuild, and the port's join skips it).
   */
  async #round(): Promise<void> {
    const started = this.#deps.clock.now();
    let now = started;
    this.engine.decide(now);
    const drained = [this.engine.drain()];
    const queue = drained[0]!.effects.map((effect) => ({ effect, at: new Date(now) }));
    for (let next = queue.shift(); next; next = queue.shift()) {
      await turn();
      if (this.#stopped) return;
      const { effect, at } = next;
      if (effect.type === 'resolved')
        await this.#deps.port.groupResolved(effect.team, effect.key, at, this.#write);
      else {
        const answer = await this.#correlate(effect.group, at);
        if (this.#stopped) return;
        this.engine.setExceptionId(effect.group.team, effect.group.key, answer.exceptionId);
        if (answer.outcome === 'opened' || answer.outcome === 'reopened')
          this.#deps.onException?.(effect.group.team, answer.exceptionId, answer.outcome);
      }
      now = this.#deps.clock.now();
      if (now - started >= ROUND_BUDGET_MS) continue;
      if ((this.engine.nextDueAt() ?? Number.POSITIVE_INFINITY) > now) continue;
      this.engine.decide(now);
      const more = this.engine.drain();
      drained.push(more);
      for (const effect of more.effects) queue.push({ effect, at: new Date(now) });
    }
    drained.push(this.engine.drain());
    for (const [index, slice] of sliced(tableChanges(drained), APPLY_SLICE).entries()) {
      if (index > 0) await turn();
      await this.#deps.state.apply(slice, now, this.#write.fence);
    }
  }

  /**
   * A group's correlate call, its alerts in slices of `CORRELATE_SLICE` with a turn of the event loop
   * between them (ADR 0045): a storm's domain of thousands of alerts is otherwise one write that holds the
   * event loop and the store for its whole length, and notifications wait behind it. The port's calls are
   * joins that skip what is already there, so a crash between slices repeats a slice, never skips one (the
   * state table is written after the round). Answers the exception and whether a slice opened or
   * reopened it (the escalator is told once every slice is in).
   */
  async #correlate(
    group: CorrelationGroup,
    at: Date,
  ): Promise<{ exceptionId: string; outcome: 'opened' | 'joined' | 'reopened' | 'unchanged' }> {
    if (group.alerts.length <= CORRELATE_SLICE) return this.#deps.port.correlate(group, at, this.#write);
    let answer: { exceptionId: string; outcome: 'opened' | 'joined' | 'reopened' | 'unchanged' } = {
      exceptionId: '',
      outcome: 'unchanged',
    };
    for (let from = 0; from < group.alerts.length; from += CORRELATE_SLICE) {
      if (from > 0) await turn();
      if (this.#stopped) break;
      const alerts = group.alerts.slice(from, from + CORRELATE_SLICE);
      const slice = await this.#deps.port.correlate({ ...group, alerts }, at, this.#write);
      answer = {
        exceptionId: slice.exceptionId || answer.exceptionId,
        outcome: OUTCOME_RANK[slice.outcome] > OUTCOME_RANK[answer.outcome] ? slice.outcome : answer.outcome,
      };
    }
    return answer;
  }

  #scheduleDue(): void {
    if (this.#stopped || this.#failed) return;
    const due = this.engine.nextDueAt();
    if (due === undefined || due >= this.#timerAt) return;
    this.#timer?.cancel();
    this.#timerAt = due;
    this.#timer = this.#deps.clock.setTimeout(
      () => {
        this.#timerAt = Number.POSITIVE_INFINITY;
        void this.#work();
      },
      Math.max(0, due - this.#deps.clock.now()),
    );
  }

  #reloadRules(team: string): void {
    if (this.#stopped || this.#reloads.has(team)) return;
    const reload = (async () => {
      await Promise.resolve();
      const rules = (await this.#loadRules([team])).get(team) ?? [];
      if (!this.#stopped) this.engine.setRules(team, rules);
    })()
      .catch((error: unknown) => this.#deps.onError(error, `loading the correlation rules of ${team}`))
      .finally(() => this.#reloads.delete(team));
    this.#reloads.set(team, reload);
  }

  async #loadRules(teams?: readonly string[]): Promise<Map<string, CompiledCorrelationRule[]>> {
    const byTeam = new Map<string, CompiledCorrelationRule[]>();
    for (const resource of await listAll(this.#deps.resources, 'CorrelationRule', teams)) {
      const team = resource.metadata.team ?? '';
      const compiled = compileCorrelationRule(
        this.#deps.cel,
        resource.metadata.name,
        resource.spec as CorrelationRuleSpec,
      );
      if (!compiled.ok) {
        this.#deps.events?.record(
          {
            type: 'Warning',
            reason: 'CorrelationRuleInvalid',
            message: `the rule takes no alert: ${compiled.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
            regarding: { kind: 'CorrelationRule', name: resource.metadata.name, team },
            actor: 'controller/health-correlation',
          },
          this.#write.fence ? this.#write : undefined,
        );
        continue;
      }
      byTeam.set(team, [...(byTeam.get(team) ?? []), compiled.rule]);
    }
    if (teams) for (const team of teams) if (!byTeam.has(team)) byTeam.set(team, []);
    return byTeam;
  }
}

/** Every resource of a kind (of some teams), page by page. */
export async function listAll(
  resources: Pick<ResourceRepository, 'list'>,
  kind: string,
  teams?: readonly string[],
): Promise<Resource[]> {
  const out: Resource[] = [];
  let after: { team: string; name: string } | undefined;
  for (;;) {
    const page = await resources.list({
      kind,
      limit: 1_000,
      ...(teams ? { teams } : {}),
      ...(after ? { after } : {}),
    });
    for (const item of page.items) out.push(JSON.parse(item.json) as Resource);
    if (!page.next) return out;
    after = page.next;
  }
}

function nodeOf(alert: StoredAlert): boolean {
  return alert.entities.cluster !== undefined && alert.entities.node !== undefined;
}

const lastStarts = isoLast();
const lastEnds = isoLast();

function engineAlert(alert: StoredAlert) {
  return {
    team: alert.team,
    fingerprint: alert.fingerprint,
    labels: alert.labels,
    annotations: alert.annotations,
    entities: alert.entities,
    startsAt: isoMs(alert.startsAt, lastStarts),
    endsAt: isoMs(alert.endsAt, lastEnds),
  };
}

/** Lets the event loop run what waits (timers, I/O) before going on. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The table's changes in slices of at most `size` rows, the groups first (members refer to them). */
function sliced(changes: CorrelationChanges, size: number): CorrelationChanges[] {
  const rows = [
    ...changes.groups.map((group) => ({ group })),
    ...changes.members.map((member) => ({ member })),
  ];
  const slices: CorrelationChanges[] = [];
  for (let from = 0; from < rows.length; from += size) {
    const slice: CorrelationChanges = { groups: [], members: [] };
    for (const row of rows.slice(from, from + size))
      if ('group' in row) slice.groups.push(row.group);
      else slice.members.push(row.member);
    slices.push(slice);
  }
  return slices;
}

/** The rows of a round's drains as the table takes them: a later row of the same key wins. */
function tableChanges(drained: readonly EngineChanges[]): CorrelationChanges {
  const groups = new Map<string, EngineChanges['groups'][number]>();
  const members = new Map<string, EngineChanges['members'][number]>();
  for (const changes of drained) {
    for (const entry of changes.groups) groups.set(`${entry.team}\u0000${entry.key}`, entry);
    for (const entry of changes.members) members.set(`${entry.team}\u0000${entry.fingerprint}`, entry);
  }
  return {
    groups: [...groups.values()].map(({ team, key, record }) => ({
      team,
      key,
      ...(record ? { row: { team, key, data: JSON.stringify(record) } } : {}),
    })),
    members: [...members.values()].map(({ team, fingerprint, record }) => ({
      team,
      fingerprint,
      ...(record ? { row: record } : {}),
    })),
  };
}
