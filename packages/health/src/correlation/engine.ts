import type { AlertEntities } from '@gantry/model';
import type { CorrelationGroup, EntityRef } from '../ports.ts';
import type { AlertBindings, CompiledCorrelationRule } from './compile-rule.ts';
import { DueQueue } from './due-queue.ts';
import { domainChain, entityRefs, SHARED_LEVELS, type Domain, type NodePlace } from './topology.ts';

/** One alert record as correlation reads it: times in milliseconds. */
export interface EngineAlert {
  team: string;
  fingerprint: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  entities: AlertEntities;
  startsAt: number;
  endsAt: number;
}

export type ResolveOn = CompiledCorrelationRule['resolveOn'];

/** An open correlation group as the state table keeps it (resolved groups are not kept). */
export interface GroupRecord {
  team: string;
  key: string;
  reason: CorrelationGroup['reason'];
  title: string;
  severity: CorrelationGroup['severity'];
  resolveOn: ResolveOn;
  entities: EntityRef[];
  openedAt: number;
  /** The exception the port answered for the group, once it has. */
  exceptionId?: string;
}

/** A firing alert that belongs to a group: the episode (`startsAt`) it joined with. */
export interface MemberRecord {
  team: string;
  fingerprint: string;
  key: string;
  startsAt: number;
}

export type CorrelationEffect =
  { type: 'correlate'; group: CorrelationGroup } | { type: 'resolved'; team: string; key: string };

/**
 * What one round of the engine decided: calls for the port, in order, then the state table's rows as they
 * now are (`record` absent: the row goes).
 */
export interface EngineChanges {
  effects: CorrelationEffect[];
  groups: { team: string; key: string; record?: GroupRecord }[];
  members: { team: string; fingerprint: string; record?: MemberRecord }[];
}

export interface CorrelationEngineOptions {
  /** How long the built-in topology correlation holds an alert before it decides its domain. */
  groupWaitMs: number;
}

type Via =
  | { kind: 'rule'; rule: CompiledCorrelationRule; key: string; shared: Record<string, string> }
  | { kind: 'topology'; chain: Domain[] };

/**
 * A held alert. A class rather than an object literal: V8 kept every object of the literal in dictionary
 * mode in the server (~450 bytes more per held alert, 45 MB for a storm of 100,000; ADR 0047), while a
 * class's objects share one fast shape.
 */
class Pending {
  /** The alert's latest record (a resend while held replaces it). */
  alert: EngineAlert;
  readonly via: Via;
  /** When topology decides at the latest (the alert's start plus group wait). */
  readonly deadline: number;
  /** The order the alert was first held in (decisions and their calls follow it). */
  readonly order: number;

  constructor(alert: EngineAlert, via: Via, deadline: number, order: number) {
    this.alert = alert;
    this.via = via;
    this.deadline = deadline;
    this.order = order;
  }
}

/** The held alerts of one topology domain that no more specific shared domain has claimed. */
interface Bucket {
  domain: Domain;
  entries: [string, Pending][];
  /** Whether they are of at least two units: the domain then claims them. */
  claims: boolean;
}

interface Member {
  record: MemberRecord;
  labels: Readonly<Record<string, string>>;
  endsAt: number;
  /** Seen in the alert records since the term started (a restored member not seen has no record left). */
  seen: boolean;
}

interface Group {
  record: GroupRecord;
  open: boolean;
  /** Fingerprints of the group's alerts still firing. */
  firing: Set<string>;
  /**
   * The keys of `record.entities`, made on the first join: a join checks its alert's few entities against
   * it instead of against the whole list (a domain of thousands of nodes joined at once, ADR 0047).
   */
  entityKeys?: Set<string>;
}

const SEVERITY_ORDER: readonly CorrelationGroup['severity'][] = ['warning', 'minor', 'major', 'critical'];

/**
 * Correlation without I/O (ADR 0019): alerts in, decisions out. Firing alerts are held (pending) until a
 * rule's threshold is met within its window, or, for topology, until their group wait has passed; then
 * the alerts that share the most specific domain become one group. An alert that arrives while its group
 * is open joins it; a resolved alert never opens or counts; an alert for a group that has resolved is
 * pending again, and its group is correlated anew (the port reopens or opens, never absorbs).
 */
export class CorrelationEngine {
  readonly #options: CorrelationEngineOptions;
  readonly #rules = new Map<string, CompiledCorrelationRule[]>();
  /**
   * Held alerts, with indexes so that a round visits only what it decides (ADR 0045): by the time they
   * are due (they expire, or a topology alert's group wait passes), by each topology domain of their
   * chain, and those a rule holds.
   */
  readonly #pending = new Map<string, Pending>();
  readonly #heldDue = new DueQueue<string>();
  readonly #heldIn = new Map<string, Set<string>>();
  readonly #ruleHeld = new Set<string>();
  #order = 0;
  /** Domain chains by place: the held alerts of one place share one (forgotten once nothing is held). */
  readonly #chains = new Map<string, Domain[]>();
  readonly #members = new Map<string, Member>();
  /** The members by the time they expire (their `endsAt`): a round visits only those due. */
  readonly #expiry = new DueQueue<string>();
  readonly #groups = new Map<string, Group>();
  #effects: CorrelationEffect[] = [];
  readonly #groupRows = new Map<string, { team: string; key: string; record?: GroupRecord }>();
  readonly #memberRows = new Map<string, { team: string; fingerprint: string; record?: MemberRecord }>();
  /** The correlate call being built for a key in this round (one call per key per round). */
  readonly #calls = new Map<string, CorrelationGroup>();

  constructor(options: CorrelationEngineOptions) {
    this.#options = options;
  }

  /** A team's enabled rules, tried in name order; a rule's match wins over topology. */
  setRules(team: string, rules: readonly CompiledCorrelationRule[]): void {
    const enabled = rules.filter((rule) => rule.enabled).sort((a, b) => a.name.localeCompare(b.name));
    if (enabled.length === 0) this.#rules.delete(team);
    else this.#rules.set(team, enabled);
  }

  /** A deleted team: its rules, held alerts and groups are forgotten (its rows go with the team). */
  removeTeam(team: string): void {
    this.#rules.delete(team);
    const prefix = `${team}\u0000`;
    for (const id of this.#members.keys()) if (id.startsWith(prefix)) this.#expiry.delete(id);
    for (const id of [...this.#pending.keys()]) if (id.startsWith(prefix)) this.#unhold(id);
    for (const map of [this.#members, this.#groups] as Map<string, unknown>[])
      for (const id of [...map.keys()]) if (id.startsWith(prefix)) map.delete(id);
  }

  /** Puts back what the state table held: open groups and the episodes of their alerts. */
  restore(groups: readonly GroupRecord[], members: readonly MemberRecord[]): void {
    for (const record of groups)
      this.#groups.set(groupId(record.team, record.key), { record, open: true, firing: new Set() });
    for (const record of members) {
      const member: Member = { record, labels: {}, endsAt: Number.POSITIVE_INFINITY, seen: false };
      this.#members.set(alertId(record.team, record.fingerprint), member);
      this.#groupOf(record.team, record.key).firing.add(record.fingerprint);
    }
  }

  /** One alert record, as changed; `place` is its node's zone and rack when it names a node. */
  observe(alert: EngineAlert, place: NodePlace | undefined, now: number): void {
    const id = alertId(alert.team, alert.fingerprint);
    const firing = alert.endsAt > now;
    const member = this.#members.get(id);
    if (member) {
      if (member.record.startsAt === alert.startsAt) {
        member.seen = true;
        member.labels = alert.labels;
        member.endsAt = alert.endsAt;
        this.#expiry.set(id, alert.endsAt);
        if (!firing) this.#memberEnded(member, alert.endsAt);
        return;
      }
      // The same labels firing again after a resolve: the earlier episode is over, this one is new.
      this.#memberEnded(member, Math.min(now, alert.startsAt));
    }
    if (!firing) {
      this.#unhold(id);
      return;
    }
    const via = this.#classify(alert, place);
    if (!via) {
      this.#unhold(id);
      return;
    }
    const open = this.#openGroupFor(alert.team, via);
    if (open) {
      this.#unhold(id);
      this.#join(open, alert);
      return;
    }
    this.#hold(id, alert, via);
  }

  /**
   * After a term's first full read of the alert records: members whose record is gone (retention) have
   * ended.
   */
  endRebuild(now: number): void {
    for (const member of [...this.#members.values()]) if (!member.seen) this.#memberEnded(member, now);
  }

  /** Decides what time has made due: alerts that expired, thresholds met, topology groups held long enough. */
  decide(now: number): void {
    for (const id of this.#expiry.takeDue(now)) {
      const member = this.#members.get(id);
      if (member) this.#memberEnded(member, member.endsAt);
    }
    // Held alerts that expired go; topology alerts whose group wait has passed are decided, by team,
    // teams in the order of their first.
    const due = new Map<string, [string, Pending][]>();
    for (const id of this.#heldDue.takeDue(now)) {
      const pending = this.#pending.get(id)!;
      if (pending.alert.endsAt <= now) {
        this.#unhold(id);
        continue;
      }
      const team = pending.alert.team;
      const entries = due.get(team) ?? [];
      entries.push([id, pending]);
      due.set(team, entries);
    }
    this.#decideRules();
    const teams = [...due].sort(([, a], [, b]) => firstOrder(a) - firstOrder(b));
    for (const [team, entries] of teams) this.#decideTopology(team, entries);
    if (this.#pending.size === 0) this.#chains.clear();
  }

  /** The port answered the group's exception. */
  setExceptionId(team: string, key: string, exceptionId: string): void {
    const group = this.#groups.get(groupId(team, key));
    if (!group?.open || group.record.exceptionId === exceptionId) return;
    group.record.exceptionId = exceptionId;
    this.#dirty(group);
  }

  /** What this round decided; the next round starts empty. */
  drain(): EngineChanges {
    const changes: EngineChanges = {
      effects: this.#effects,
      groups: [...this.#groupRows.values()],
      members: [...this.#memberRows.values()],
    };
    this.#effects = [];
    this.#groupRows.clear();
    this.#memberRows.clear();
    this.#calls.clear();
    return changes;
  }

  /** The next time `decide` has something to do without a new alert: a hold ending, an alert expiring. */
  nextDueAt(): number | undefined {
    let next = Number.POSITIVE_INFINITY;
    for (const queue of [this.#heldDue, this.#expiry]) next = Math.min(next, queue.next() ?? next);
    return Number.isFinite(next) ? next : undefined;
  }

  /** Open groups, for views and tests. */
  openGroups(): GroupRecord[] {
    return [...this.#groups.values()].filter((g) => g.open).map((g) => g.record);
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  #classify(alert: EngineAlert, place: NodePlace | undefined): Via | undefined {
    const rules = this.#rules.get(alert.team);
    if (rules) {
      const bindings: AlertBindings = {
        labels: alert.labels,
        annotations: alert.annotations,
        entities: definedEntities(alert.entities),
      };
      for (const rule of rules) {
        if (!rule.matches(bindings)) continue;
        const shared = rule.groupValues(bindings);
        return { kind: 'rule', rule, shared, key: `rule/${rule.name}/${JSON.stringify(shared)}` };
      }
    }
    const chain = this.#chainOf(alert.entities, place);
    return chain.length > 0 ? { kind: 'topology', chain } : undefined;
  }

  #chainOf(entities: AlertEntities, place: NodePlace | undefined): Domain[] {
    const { cluster, node, namespace, application, component } = entities;
    // Neither a cluster nor an application: no domain (`domainChain`), and no key to build per resend.
    if (cluster === undefined && application === undefined) return NO_DOMAINS;
    // Each part with its length (an absent one as `-`): no two places share a key.
    const key =
      keyPart(cluster) +
      keyPart(node) +
      keyPart(namespace) +
      keyPart(application) +
      keyPart(component) +
      keyPart(place?.zone) +
      keyPart(place?.rack);
    let chain = this.#chains.get(key);
    if (!chain) {
      chain = domainChain(entities, place);
      this.#chains.set(key, chain);
    }
    return chain;
  }

  /** The open group an alert joins at once: its rule's group, or the most specific open domain. */
  #openGroupFor(team: string, via: Via): Group | undefined {
    const keys = via.kind === 'rule' ? [via.key] : via.chain.map((domain) => domain.key);
    for (const key of keys) {
      const group = this.#groups.get(groupId(team, key));
      if (group?.open) return group;
    }
    return undefined;
  }

  #decideRules(): void {
    const byKey = new Map<string, [string, Pending][]>();
    const held = [...this.#ruleHeld].map((id): [string, Pending] => [id, this.#pending.get(id)!]);
    for (const entry of held.sort(([, a], [, b]) => a.order - b.order)) {
      const via = entry[1].via as Extract<Via, { kind: 'rule' }>;
      const id = groupId(entry[1].alert.team, via.key);
      const list = byKey.get(id) ?? [];
      list.push(entry);
      byKey.set(id, list);
    }
    for (const entries of byKey.values()) {
      const first = entries[0]![1];
      const via = first.via as Extract<Via, { kind: 'rule' }>;
      const { rule } = via;
      const starts = entries.map(([, p]) => p.alert.startsAt);
      if (!withinWindow(starts, rule.windowMs, rule.threshold)) continue;
      const sorted = entries.sort(([, a], [, b]) => a.alert.startsAt - b.alert.startsAt);
      this.#open(
        {
          team: first.alert.team,
          key: via.key,
          reason: { rule: rule.name, ruleKind: 'CorrelationRule', shared: via.shared },
          title: rule.title({ shared: via.shared, labels: sorted[0]![1].alert.labels }),
          severity: rule.severity,
          resolveOn: rule.resolveOn,
        },
        sorted,
      );
    }
  }

  /**
   * Decides the domains of a team's held topology alerts whose group wait has passed (`due`). Each goes
   * to the most specific shared domain that holds alerts of at least two distinct units (nodes...), level
   * by level, its alerts not claimed by a more specific one; else to its own unit; the domain opens with
   * every alert it holds. Only the domains of the due alerts, and those that claim from them, are visited
   * (the held alerts are indexed by domain): the outcome is that of bucketing every held alert of the team.
   */
  #decideTopology(team: string, due: readonly [string, Pending][]): void {
    const buckets = new Map<string, Bucket>();
    const chainOf = (pending: Pending) => (pending.via as Extract<Via, { kind: 'topology' }>).chain;
    const heldIn = (key: string): [string, Pending][] =>
      [...(this.#heldIn.get(groupId(team, key)) ?? [])]
        .map((id): [string, Pending] => [id, this.#pending.get(id)!])
        .sort(([, a], [, b]) => a.order - b.order);
    /** Whether a shared domain of a level before `level` claims the alert. */
    const claimedBefore = (pending: Pending, level: number): boolean => {
      for (let before = 0; before < level; before++) {
        const domain = chainOf(pending).find((d) => d.level === SHARED_LEVELS[before]);
        if (domain && bucketOf(before, domain).claims) return true;
      }
      return false;
    };
    const bucketOf = (level: number, domain: Domain): Bucket => {
      let bucket = buckets.get(domain.key);
      if (!bucket) {
        const entries = heldIn(domain.key).filter(([, pending]) => !claimedBefore(pending, level));
        const units = new Set(entries.map(([, pending]) => chainOf(pending)[0]!.key));
        bucket = { domain, entries, claims: units.size >= 2 };
        buckets.set(domain.key, bucket);
      }
      return bucket;
    };

    // Each due alert's domain, ranked as the levels are tried (a unit after every shared level), then by
    // the first alert it holds.
    const decided = new Map<string, { rank: number; domain: Domain; entries: [string, Pending][] }>();
    for (const [, pending] of due) {
      const chain = chainOf(pending);
      let rank = SHARED_LEVELS.findIndex((level, index) => {
        const domain = chain.find((d) => d.level === level);
        return domain !== undefined && !claimedBefore(pending, index) && bucketOf(index, domain).claims;
      });
      let domain: Domain;
      if (rank >= 0) domain = chain.find((d) => d.level === SHARED_LEVELS[rank])!;
      else [rank, domain] = [SHARED_LEVELS.length, chain[0]!];
      if (decided.has(domain.key)) continue;
      const entries =
        rank < SHARED_LEVELS.length
          ? bucketOf(rank, domain).entries
          : heldIn(domain.key).filter(
              ([, held]) =>
                chainOf(held)[0]!.key === domain.key && !claimedBefore(held, SHARED_LEVELS.length),
            );
      decided.set(domain.key, { rank, domain, entries });
    }
    const ordered = [...decided.values()].sort(
      (a, b) => a.rank - b.rank || firstOrder(a.entries) - firstOrder(b.entries),
    );

    for (const { domain, entries: members } of ordered) {
      const open = this.#groups.get(groupId(team, domain.key));
      if (open?.open) {
        for (const [id, pending] of members) {
          this.#unhold(id);
          this.#join(open, pending.alert);
        }
        continue;
      }
      const sorted = [...members].sort(([, a], [, b]) => a.alert.startsAt - b.alert.startsAt);
      this.#open(
        {
          team,
          key: domain.key,
          reason: {
            rule: 'topology',
            ruleKind: 'Topology',
            shared: { domain: domain.level, ...domain.shared },
          },
          title: topologyTitle(
            domain,
            sorted.map(([, p]) => p),
          ),
          severity: 'warning',
          resolveOn: 'last_resolved',
        },
        sorted,
      );
    }
    // Alerts still held in a domain that has just opened join it (or a more specific open one).
    const stillHeld = new Map<string, Pending>();
    for (const { domain } of ordered)
      for (const [id, pending] of heldIn(domain.key)) stillHeld.set(id, pending);
    for (const [id, pending] of [...stillHeld].sort(([, a], [, b]) => a.order - b.order)) {
      const open = this.#openGroupFor(team, pending.via);
      if (!open) continue;
      this.#unhold(id);
      this.#join(open, pending.alert);
    }
  }

  /** Holds an alert until its group is decided (held again: its place in the order is kept). */
  #hold(id: string, alert: EngineAlert, via: Via): void {
    const held = this.#pending.get(id);
    if (held && held.alert.startsAt === alert.startsAt && sameVia(held.via, via)) {
      // Sent again while held (a resend): its order, domains and deadline stay; its record and expiry move.
      held.alert = alert;
      this.#heldDue.set(id, via.kind === 'rule' ? alert.endsAt : Math.min(alert.endsAt, held.deadline));
      return;
    }
    const order = held?.order ?? this.#order++;
    this.#unhold(id);
    const pending = new Pending(alert, via, alert.startsAt + this.#options.groupWaitMs, order);
    this.#pending.set(id, pending);
    if (via.kind === 'rule') {
      this.#heldDue.set(id, alert.endsAt);
      this.#ruleHeld.add(id);
      return;
    }
    this.#heldDue.set(id, Math.min(alert.endsAt, pending.deadline));
    for (const domain of via.chain) {
      const key = groupId(alert.team, domain.key);
      const held = this.#heldIn.get(key) ?? new Set();
      held.add(id);
      this.#heldIn.set(key, held);
    }
  }

  #unhold(id: string): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    this.#heldDue.delete(id);
    this.#ruleHeld.delete(id);
    if (pending.via.kind !== 'topology') return;
    for (const domain of pending.via.chain) {
      const key = groupId(pending.alert.team, domain.key);
      const held = this.#heldIn.get(key);
      held?.delete(id);
      if (held?.size === 0) this.#heldIn.delete(key);
    }
  }

  #open(record: Omit<GroupRecord, 'entities' | 'openedAt'>, entries: readonly [string, Pending][]): void {
    const id = groupId(record.team, record.key);
    // A closed group still holding spent alerts (resolved on its first resolve) is replaced: its alerts
    // stay spent, the new group starts empty.
    const group: Group = {
      record: { ...record, entities: [], openedAt: Math.min(...entries.map(([, p]) => p.alert.startsAt)) },
      open: true,
      firing: new Set(),
    };
    const previous = this.#groups.get(id);
    if (previous && !previous.open)
      for (const fingerprint of previous.firing) {
        const spent = this.#members.get(alertId(record.team, fingerprint));
        if (!spent) continue;
        spent.record = { ...spent.record, key: `${spent.record.key}#spent` };
        this.#memberRow(spent.record);
      }
    this.#groups.set(id, group);
    this.#calls.delete(id);
    for (const [pendingId, pending] of entries) {
      this.#unhold(pendingId);
      this.#join(group, pending.alert);
    }
  }

  #join(group: Group, alert: EngineAlert): void {
    const { team, key } = group.record;
    const member: Member = {
      record: { team, fingerprint: alert.fingerprint, key, startsAt: alert.startsAt },
      labels: alert.labels,
      endsAt: alert.endsAt,
      seen: true,
    };
    const id = alertId(team, alert.fingerprint);
    this.#members.set(id, member);
    this.#expiry.set(id, alert.endsAt);
    this.#memberRow(member.record);
    group.firing.add(alert.fingerprint);
    const entities = mergeEntities(group, entityRefs(alert.entities));
    const severity =
      group.record.reason.ruleKind === 'Topology'
        ? maxSeverity(group.record.severity, alertSeverity(alert.labels))
        : group.record.severity;
    if (entities !== group.record.entities || severity !== group.record.severity)
      group.record = { ...group.record, entities, severity };
    this.#dirty(group);
    this.#call(group).alerts.push({
      fingerprint: alert.fingerprint,
      labels: { ...alert.labels },
      state: 'firing',
      startsAt: new Date(alert.startsAt).toISOString(),
      endsAt: new Date(alert.endsAt).toISOString(),
    });
  }

  #memberEnded(member: Member, endedAt: number): void {
    const { team, fingerprint, key, startsAt } = member.record;
    const memberId = alertId(team, fingerprint);
    this.#members.delete(memberId);
    this.#expiry.delete(memberId);
    this.#memberRows.set(memberId, { team, fingerprint });
    const id = groupId(team, key);
    const group = this.#groups.get(id);
    if (!group) return;
    group.firing.delete(fingerprint);
    if (group.open) {
      this.#call(group).alerts.push({
        fingerprint,
        labels: { ...member.labels },
        state: 'resolved',
        startsAt: new Date(startsAt).toISOString(),
        endsAt: new Date(Math.max(endedAt, startsAt)).toISOString(),
      });
      const resolveOn = group.record.resolveOn;
      if (resolveOn === 'first_resolved' || (resolveOn === 'last_resolved' && group.firing.size === 0)) {
        group.open = false;
        this.#calls.delete(id);
        this.#effects.push({ type: 'resolved', team, key });
        this.#groupRows.set(id, { team, key });
      }
    }
    if (!group.open && group.firing.size === 0) this.#groups.delete(id);
  }

  /** The correlate call of this round for the group, created in effect order on first use. */
  #call(group: Group): CorrelationGroup {
    const id = groupId(group.record.team, group.record.key);
    let call = this.#calls.get(id);
    if (!call) {
      call = {
        team: group.record.team,
        key: group.record.key,
        reason: group.record.reason,
        title: group.record.title,
        severity: group.record.severity,
        entities: group.record.entities,
        alerts: [],
      };
      this.#calls.set(id, call);
      this.#effects.push({ type: 'correlate', group: call });
    } else {
      call.severity = group.record.severity;
      call.entities = group.record.entities;
    }
    return call;
  }

  #dirty(group: Group): void {
    const { team, key } = group.record;
    this.#groupRows.set(groupId(team, key), { team, key, record: group.record });
  }

  #memberRow(record: MemberRecord): void {
    this.#memberRows.set(alertId(record.team, record.fingerprint), {
      team: record.team,
      fingerprint: record.fingerprint,
      record,
    });
  }

  #groupOf(team: string, key: string): Group {
    const id = groupId(team, key);
    let group = this.#groups.get(id);
    if (!group) {
      group = {
        record: {
          team,
          key,
          reason: { rule: '', ruleKind: 'Topology', shared: {} },
          title: '',
          severity: 'warning',
          resolveOn: 'never',
          entities: [],
          openedAt: 0,
        },
        open: false,
        firing: new Set(),
      };
      this.#groups.set(id, group);
    }
    return group;
  }
}

/** The chain of an alert that names neither a cluster nor an application (never changed). */
const NO_DOMAINS: Domain[] = [];

/** One part of a place's key: its length and itself, or `-` when absent. */
function keyPart(part: string | undefined): string {
  return part === undefined ? '-' : `${part.length}:${part}`;
}

/** Whether two classifications send an alert to the same place: the same rule's group, or the same chain. */

function sameVia(a: Via, b: Via): boolean {
  if (a.kind === 'rule') return b.kind === 'rule' && a.rule === b.rule && a.key === b.key;
  return b.kind === 'topology' && a.chain === b.chain;
}

/** The order of the first of some held alerts. */
function firstOrder(entries: readonly [string, Pending][]): number {
  return Math.min(...entries.map(([, pending]) => pending.order));
}

function alertId(team: string, fingerprint: string): string {
  return `${team}\u0000${fingerprint}`;
}

function groupId(team: string, key: string): string {
  return `${team}\u0000${key}`;
}

/** True when `threshold` of the start times lie within one window of `windowMs`. */
export function withinWindow(starts: number[], windowMs: number, threshold: number): boolean {
  if (starts.length < threshold) return false;
  const sorted = [...starts].sort((a, b) => a - b);
  let from = 0;
  for (let to = 0; to < sorted.length; to++) {
    while (sorted[to]! - sorted[from]! > windowMs) from++;
    if (to - from + 1 >= threshold) return true;
  }
  return false;
}

function definedEntities(entities: AlertEntities): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(entities)) if (value !== undefined) out[name] = value;
  return out;
}

/** The group's entities with those of `added` it lacks: the same list when it lacks none. */
function mergeEntities(group: Group, added: EntityRef[]): EntityRef[] {
  const current = group.record.entities;
  const known = (group.entityKeys ??= new Set(current.map(entityKey)));
  const fresh = added.filter((ref) => !known.has(entityKey(ref)));
  if (fresh.length === 0) return current;
  for (const ref of fresh) known.add(entityKey(ref));
  return [...current, ...fresh];
}

function entityKey(ref: EntityRef): string {
  return `${ref.kind}/${ref.cluster ?? ''}/${ref.application ?? ''}/${ref.namespace ?? ''}/${ref.name}`;
}

/** An alert's `severity` label on the exception's scale. */
export function alertSeverity(labels: Readonly<Record<string, string>>): CorrelationGroup['severity'] {
  switch ((labels['severity'] ?? '').toLowerCase()) {
    case 'critical':
    case 'page':
      return 'critical';
    case 'major':
    case 'high':
    case 'error':
      return 'major';
    case 'minor':
    case 'medium':
      return 'minor';
    default:
      return 'warning';
  }
}

function maxSeverity(
  a: CorrelationGroup['severity'],
  b: CorrelationGroup['severity'],
): CorrelationGroup['severity'] {
  return SEVERITY_ORDER.indexOf(a) >= SEVERITY_ORDER.indexOf(b) ? a : b;
}

function topologyTitle(domain: Domain, alerts: readonly Pending[]): string {
  const names = [...new Set(alerts.map((p) => p.alert.labels['alertname'] ?? 'alert'))];
  const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')}, …` : names.join(', ');
  if (domain.level === 'node' || domain.level === 'component' || domain.level === 'namespace')
    return `${domain.label}: ${shown}`;
  const units = new Set(alerts.map((p) => (p.via.kind === 'topology' ? p.via.chain[0]!.key : '')));
  return `${domain.label}: ${shown} on ${units.size} ${domain.level === 'application' ? 'parts' : 'nodes'}`;
}
