import { randomBytes } from 'node:crypto';
import type { EventRecorder, GantryEvent } from '@gantry/controllers';
import { authorize, type Caller } from '@gantry/identity';
import {
  ConflictError,
  ErrorCodes,
  NotFoundError,
  type CreateExceptionRequest,
  type EntityRefRecord,
  type ExceptionList,
  type ExceptionRecord,
  type ExceptionReviewPatch,
  type ExceptionTimeline,
  type ExceptionTimelineEntry,
} from '@gantry/model';
import type { AuditInput, ExceptionAlert, ExceptionRepository, TimelineWrite } from '@gantry/store';
import {
  UNFENCED,
  type CorrelationGroup,
  type EntityRef,
  type ExceptionActivity,
  type ExceptionPort,
  type ExceptionReader,
  type ExceptionView,
  type LeaderWrite,
} from '../ports.ts';
import { resolveHealthPolicy, type HealthPolicySource, type ResolvedHealthPolicy } from './health-policy.ts';
import { decodeListQuery, encodeNext, type ExceptionListOptions } from './list-query.ts';
import { ExceptionActors, ExceptionEventReasons, ExceptionTimelineReasons } from './reasons.ts';
import { checkExceptionTransition, type ExceptionAction } from './transitions.ts';

export interface ExceptionServiceDeps {
  /** `store.exceptions`. */
  repository: ExceptionRepository;
  /** The team's HealthPolicies (`resourcePolicySource(resources)` in the server). */
  policies: HealthPolicySource;
  recorder: EventRecorder;
  clock: { now(): number };
  /** Called after an exception opened or reopened (committed): self-healing's loop looks at once. */
  onActivated?: (team: string) => void;
  /** New exception ids; by default time-ordered and random. */
  newId?: () => string;
}

export interface ExceptionServiceOptions {
  /** How long a team's HealthPolicies are kept between reads (correlation calls often in a storm). */
  policyCacheMs: number;
  /** How far before opening the timeline shows events on the exception's entities. */
  eventsBeforeMs: number;
  /** Most stored entries and events one timeline answer holds. */
  timelineLimit: number;
  eventLimit: number;
}

export const DEFAULT_EXCEPTION_SERVICE_OPTIONS: ExceptionServiceOptions = {
  policyCacheMs: 5_000,
  eventsBeforeMs: 30 * 60_000,
  timelineLimit: 5_000,
  eventLimit: 500,
};

const SEVERITY_RANK: Record<ExceptionRecord['severity'], number> = {
  warning: 0,
  minor: 1,
  major: 2,
  critical: 3,
};

/** What one write inside a transaction produced: timeline entries and, after commit, events. */
interface Effects {
  entries: TimelineWrite[];
  events: GantryEvent[];
}

/**
 * Exceptions: what people do to them (create, acknowledge, assign, comment, mitigate, resolve, reopen,
 * merge, the failure review), what correlation does (`ExceptionPort`) and what escalation reads
 * (`ExceptionReader`). Every transition is checked against the state (GANTRY_E_EXCEPTION_STATE), written
 * with its timeline entries in one transaction, and recorded as a Gantry event after the commit.
 */
export class ExceptionService implements ExceptionPort, ExceptionReader {
  readonly #options: ExceptionServiceOptions;
  readonly #policyCache = new Map<
    string,
    { at: number; policies: Awaited<ReturnType<HealthPolicySource['policies']>> }
  >();

  constructor(
    private readonly deps: ExceptionServiceDeps,
    options: Partial<ExceptionServiceOptions> = {},
  ) {
    this.#options = { ...DEFAULT_EXCEPTION_SERVICE_OPTIONS, ...options };
  }

  // ---- reading, as a person ----

  async list(
    caller: Caller,
    team: string,
    query: ExceptionListOptions,
    options: { failuresOnly?: boolean } = {},
  ): Promise<ExceptionList> {
    authorize(caller.principal, 'read', team, `the exceptions of team ${team}`);
    const decoded = decodeListQuery(query);
    const page = await this.deps.repository.list({
      ...decoded,
      teams: [team],
      ...(options.failuresOnly ? { failuresOnly: true } : {}),
    });
    return { items: page.items, ...encodeNext(page.nextBeforeSeq) };
  }

  async show(caller: Caller, team: string, id: string): Promise<ExceptionRecord> {
    authorize(caller.principal, 'read', team, `the exceptions of team ${team}`);
    return this.#found(await this.deps.repository.get(team, id), team, id);
  }

  /**
   * The exception's timeline: its stored entries and the events on its entities from `eventsBeforeMs`
   * before it opened to its resolution (or now), oldest first — what changed just before, and since.
   */
  async timeline(caller: Caller, team: string, id: string): Promise<ExceptionTimeline> {
    const exception = await this.show(caller, team, id);
    const to =
      exception.resolvedAt ??
      (exception.state === 'merged' ? exception.changedAt : new Date(this.deps.clock.now()).toISOString());
    const from = new Date(Date.parse(exception.openedAt) - this.#options.eventsBeforeMs).toISOString();
    const stored = await this.deps.repository.timeline(id, this.#options.timelineLimit);
    // What changed just before it opened is read apart from what came after, so that a busy exception's
    // later events never push the earlier ones out of the answer.
    const half = Math.ceil(this.#options.eventLimit / 2);
    const [before, after] = await Promise.all([
      this.deps.repository.eventsRegarding(team, exception.entities, from, exception.openedAt, half),
      this.deps.repository.eventsRegarding(team, exception.entities, exception.openedAt, to, half),
    ]);
    const byId = new Map([...before.items, ...after.items].map((event) => [event.id, event]));
    const events = { items: [...byId.values()], truncated: before.truncated || after.truncated };
    const eventEntries = events.items.map((event): ExceptionTimelineEntry => ({
      type: 'event',
      // A folded event that began before the window shows where it was last seen in it.
      at: event.firstSeen >= from ? event.firstSeen : event.lastSeen,
      actor: event.actor,
      message: `${event.objectKind}/${event.objectName} ${event.reason}: ${event.message}`,
      event,
    }));
    const entries = [...stored.entries, ...eventEntries].sort((a, b) =>
      a.at < b.at ? -1 : a.at > b.at ? 1 : 0,
    );
    return { exception, from, to, entries, truncated: stored.truncated || events.truncated };
  }

  // ---- acting, as a person ----

  async create(caller: Caller, team: string, input: CreateExceptionRequest): Promise<ExceptionRecord> {
    authorize(caller.principal, 'write', team, `the exceptions of team ${team}`);
    const now = this.#nowIso();
    const actor = caller.principal.username;
    const record: ExceptionRecord = {
      id: this.#newId(),
      team,
      title: input.title,
      severity: input.severity,
      state: 'open',
      entities: dedupeEntities(input.entities),
      ...(input.assignee ? { assignee: input.assignee } : {}),
      origin: 'manual',
      openedAt: now,
      episodeOpenedAt: now,
      levelRaisedAt: {},
      followUps: [],
      alertCount: 0,
      firingAlertCount: 0,
      reopenCount: 0,
      createdBy: actor,
      changedAt: now,
      updatedAt: now,
    };
    await this.deps.repository.transaction(async (repo) => {
      await repo.insert(record);
      await repo.audit(auditOf(caller, 'create', record, undefined, record));
      await repo.appendTimeline([
        entry(record, {
          type: 'opened',
          at: now,
          actor,
          message: `opened by hand: ${record.title}`,
          toState: 'open',
          ...(input.reason ? { reason: input.reason } : {}),
        }),
        ...(input.assignee
          ? [entry(record, { type: 'assigned', at: now, actor, message: `assigned to ${input.assignee}` })]
          : []),
      ]);
    });
    this.#event(record, ExceptionEventReasons.opened, `opened: ${record.title}`, actor);
    return record;
  }

  acknowledge(caller: Caller, team: string, id: string, reason?: string): Promise<ExceptionRecord> {
    return this.#act(caller, team, id, 'acknowledge', (record, now) => ({
      record: { ...record, state: 'acknowledged', acknowledgedAt: now, changedAt: now },
      message: 'acknowledged',
      event: ExceptionEventReasons.acknowledged,
      reason,
    }));
  }

  mitigate(caller: Caller, team: string, id: string, reason?: string): Promise<ExceptionRecord> {
    return this.#act(caller, team, id, 'mitigate', (record, now) => ({
      record: {
        ...record,
        state: 'mitigated',
        acknowledgedAt: record.acknowledgedAt ?? now,
        mitigatedAt: now,
        changedAt: now,
      },
      message: 'mitigated',
      event: ExceptionEventReasons.mitigated,
      reason,
    }));
  }

  resolve(caller: Caller, team: string, id: string, reason?: string): Promise<ExceptionRecord> {
    return this.#act(caller, team, id, 'resolve', (record, now) => ({
      record: resolved(record, now),
      message: 'resolved',
      event: ExceptionEventReasons.resolved,
      reason,
    }));
  }

  reopen(caller: Caller, team: string, id: string, reason?: string): Promise<ExceptionRecord> {
    return this.#act(caller, team, id, 'reopen', (record, now) => ({
      record: reopened(record, now),
      message: 'reopened',
      event: ExceptionEventReasons.reopened,
      reason,
      newEpisode: true,
    }));
  }

  assign(
    caller: Caller,
    team: string,
    id: string,
    assignee: string | null,
    reason?: string,
  ): Promise<ExceptionRecord> {
    return this.#act(caller, team, id, 'assign', (record, now) => {
      const { assignee: _previous, ...rest } = record;
      return {
        record: { ...rest, ...(assignee ? { assignee } : {}), changedAt: now },
        type: 'assigned',
        message: assignee ? `assigned to ${assignee}` : 'unassigned',
        event: ExceptionEventReasons.assigned,
        reason,
      };
    });
  }

  comment(caller: Caller, team: string, id: string, message: string): Promise<ExceptionRecord> {
    return this.#act(caller, team, id, 'comment', (record) => ({
      record,
      type: 'comment',
      message,
    }));
  }

  review(caller: Caller, team: string, id: string, patch: ExceptionReviewPatch): Promise<ExceptionRecord> {
    return this.#act(caller, team, id, 'review', (record) => {
      const next: ExceptionRecord = { ...record };
      const fields: string[] = [];
      for (const field of ['impact', 'rootCause'] as const) {
        const value = patch[field];
        if (value === undefined) continue;
        fields.push(field);
        if (value === null) delete next[field];
        else next[field] = value;
      }
      if (patch.followUps !== undefined) {
        fields.push('followUps');
        next.followUps = patch.followUps;
      }
      return {
        record: next,
        type: 'review-updated',
        message: fields.length > 0 ? `review updated: ${fields.join(', ')}` : 'review unchanged',
        details: { fields },
        event: ExceptionEventReasons.reviewed,
      };
    });
  }

  /** Merges `fromId` into `intoId`: its alerts and timeline move there, it becomes `merged`. */
  async merge(
    caller: Caller,
    team: string,
    intoId: string,
    fromId: string,
    reason?: string,
  ): Promise<ExceptionRecord> {
    authorize(caller.principal, 'write', team, `the exceptions of team ${team}`);
    const actor = caller.principal.username;
    const events: GantryEvent[] = [];
    const result = await this.deps.repository.transaction(async (repo) => {
      // Rows are locked in id order, so that two merges of the same pair cannot deadlock.
      const [first, second] = [intoId, fromId].sort();
      const loaded = new Map<string, ExceptionRecord | undefined>([
        [first!, await repo.get(team, first!)],
        [second!, await repo.get(team, second!)],
      ]);
      const into = this.#found(loaded.get(intoId), team, intoId);
      const from = this.#found(loaded.get(fromId), team, fromId);
      if (into.id === from.id) checkExceptionTransition('merged', { id: from.id, state: 'merged' });
      checkExceptionTransition('merge', into);
      checkExceptionTransition('merged', from);
      const now = this.#nowIso();
      await repo.moveMembership(from.id, into.id);
      const members = await repo.alerts(into.id);
      const mergedEntities = dedupeEntities([...into.entities, ...from.entities]);
      const survivor: ExceptionRecord = {
        ...into,
        severity: SEVERITY_RANK[from.severity] > SEVERITY_RANK[into.severity] ? from.severity : into.severity,
        entities: mergedEntities,
        alertCount: members.length,
        firingAlertCount: members.filter((alert) => alert.state === 'firing').length,
        updatedAt: now,
      };
      const folded: ExceptionRecord = {
        ...from,
        state: 'merged',
        mergedInto: into.id,
        alertCount: 0,
        firingAlertCount: 0,
        changedAt: now,
        updatedAt: now,
      };
      await repo.update(survivor, mergedEntities.length !== into.entities.length);
      await repo.syncEpisode(survivor);
      await repo.update(folded);
      await repo.syncEpisode(folded);
      await repo.markEpisodesMerged(from.id, into.id);
      await repo.audit(auditOf(caller, 'merge', survivor, into, survivor, { from: from.id }));
      await repo.audit(auditOf(caller, 'merged', folded, from, folded, { into: into.id }));
      await repo.appendTimeline([
        entry(survivor, {
          type: 'merged',
          at: now,
          actor,
          message: `${from.id} (${from.title}) merged into this exception`,
          details: { from: from.id },
          ...(reason ? { reason } : {}),
        }),
        entry(folded, {
          type: 'merged',
          at: now,
          actor,
          message: `merged into ${into.id}; its alerts and timeline moved there`,
          fromState: from.state,
          toState: 'merged',
          details: { into: into.id },
          ...(reason ? { reason } : {}),
        }),
      ]);
      events.push(
        eventOf(folded, ExceptionEventReasons.merged, `merged into ${into.id}`, actor),
        eventOf(survivor, ExceptionEventReasons.merged, `${from.id} merged into it`, actor),
      );
      return survivor;
    });
    this.#emit(events);
    return result;
  }

  // ---- ExceptionPort: what correlation does ----

  async correlate(
    group: CorrelationGroup,
    at: Date,
    write: LeaderWrite = UNFENCED,
  ): Promise<{ exceptionId: string; outcome: 'opened' | 'joined' | 'reopened' | 'unchanged' }> {
    const now = at.toISOString();
    const policies = await this.#policies(group.team);
    const events: GantryEvent[] = [];
    const result = await this.deps.repository.transaction(
      async (
        repo,
      ): Promise<{ exceptionId: string; outcome: 'opened' | 'joined' | 'reopened' | 'unchanged' }> => {
        // Correlation's term first: a deposed leader changes nothing (ADR 0028).
        if (write.fence) await repo.assertTerm(write.fence);
        // The one going on for the key; else the newest (resolved or merged) one.
        let current =
          (await repo.activeForKey(group.team, group.key)) ??
          (await repo.latestForKey(group.team, group.key));
        // A merged exception carries on as the one it was merged into.
        for (let hops = 0; current?.state === 'merged' && current.mergedInto && hops < 16; hops++)
          current = await repo.get(group.team, current.mergedInto);
        const firing = group.alerts.filter((alert) => alert.state === 'firing');
        if (current && current.state !== 'resolved' && current.state !== 'merged') {
          const joined = await this.#join(repo, current, group, now);
          return { exceptionId: current.id, outcome: joined ? 'joined' : 'unchanged' };
        }
        if (current?.state === 'resolved' && firing.length > 0) {
          const policy = resolveHealthPolicy(
            policies,
            dedupeEntities([...current.entities, ...group.entities]),
          );
          if (Date.parse(now) - Date.parse(current.resolvedAt ?? now) <= policy.reopenWindowMs) {
            const record = reopened(current, now);
            await repo.update(record);
            await repo.startEpisode(record, record.reopenCount + 1, earliest(firing.map((a) => a.startsAt)));
            await repo.appendTimeline([
              entry(record, {
                type: 'state-changed',
                at: now,
                actor: ExceptionActors.correlation,
                message: 'reopened: its alerts fire again within the reopen window',
                reason: ExceptionTimelineReasons.returnedWithinWindow,
                fromState: 'resolved',
                toState: 'open',
                details: {
                  reopenWindowMs: policy.reopenWindowMs,
                  ...(policy.name ? { policy: policy.name } : {}),
                },
              }),
            ]);
            await this.#join(repo, record, group, now);
            events.push(
              eventOf(
                record,
                ExceptionEventReasons.reopened,
                'reopened: its alerts fire again',
                ExceptionActors.correlation,
              ),
            );
            return { exceptionId: record.id, outcome: 'reopened' };
          }
        }
        // Resolved alerts never open an exception, nor join a resolved one.
        if (firing.length === 0) return { exceptionId: current?.id ?? '', outcome: 'unchanged' };
        const record = await this.#open(repo, group, now);
        events.push(
          eventOf(
            record,
            ExceptionEventReasons.opened,
            `opened: ${record.title}`,
            ExceptionActors.correlation,
          ),
        );
        return { exceptionId: record.id, outcome: 'opened' };
      },
      JSON.stringify([group.team, group.key]),
    );
    this.#emit(events, write);
    return result;
  }

  async groupResolved(team: string, key: string, at: Date, write: LeaderWrite = UNFENCED): Promise<void> {
    const now = at.toISOString();
    const events: GantryEvent[] = [];
    await this.deps.repository.transaction(
      async (repo) => {
        if (write.fence) await repo.assertTerm(write.fence);
        const current = await repo.activeForKey(team, key);
        if (!current) return;
        const members = await repo.alerts(current.id);
        const stillFiring = members.filter((alert) => alert.state === 'firing');
        await repo.upsertAlerts(
          stillFiring.map((alert) => ({ ...alert, state: 'resolved', resolvedAt: now })),
        );
        const record = { ...resolved(current, now), firingAlertCount: 0 };
        await repo.update(record);
        await repo.syncEpisode(record);
        await repo.appendTimeline([
          entry(record, {
            type: 'state-changed',
            at: now,
            actor: ExceptionActors.correlation,
            message: 'resolved: the last of its alerts resolved',
            reason: ExceptionTimelineReasons.groupResolved,
            fromState: current.state,
            toState: 'resolved',
          }),
        ]);
        events.push(
          eventOf(
            record,
            ExceptionEventReasons.resolved,
            'resolved: its alerts resolved',
            ExceptionActors.correlation,
          ),
        );
      },
      JSON.stringify([team, key]),
    );
    this.#emit(events, write);
  }

  async recordActivity(
    team: string,
    exceptionId: string,
    activity: ExceptionActivity,
    write: LeaderWrite = UNFENCED,
  ): Promise<void> {
    const record = this.#found(await this.deps.repository.get(team, exceptionId), team, exceptionId);
    const timeline = [
      entry(record, {
        type: activity.type,
        at: activity.at.toISOString(),
        actor: activity.type === 'escalation' ? ExceptionActors.escalation : ExceptionActors.notifications,
        message: activity.message,
        ...(activity.details ? { details: activity.details } : {}),
      }),
    ];
    const { fence } = write;
    if (!fence) return this.deps.repository.appendTimeline(timeline);
    // Escalation's term, checked in the entry's transaction (ADR 0028).
    await this.deps.repository.transaction(async (repo) => {
      await repo.assertTerm(fence);
      await repo.appendTimeline(timeline);
    });
  }

  // ---- ExceptionReader: what escalation reads ----

  async get(team: string, id: string): Promise<ExceptionView | undefined> {
    const record = await this.deps.repository.get(team, id);
    return record
      ? this.#view(record, resolveHealthPolicy(await this.#policies(team), record.entities))
      : undefined;
  }

  async changedSince(since: Date, limit: number): Promise<ExceptionView[]> {
    const records = await this.deps.repository.changedSince(since.toISOString(), limit);
    const views: ExceptionView[] = [];
    for (const record of records)
      views.push(this.#view(record, resolveHealthPolicy(await this.#policies(record.team), record.entities)));
    return views;
  }

  /** The team's HealthPolicies, read at most every `policyCacheMs`. */
  async policiesOf(team: string): Promise<Awaited<ReturnType<HealthPolicySource['policies']>>> {
    return this.#policies(team);
  }

  // ---- inside ----

  #view(record: ExceptionRecord, policy: ResolvedHealthPolicy): ExceptionView {
    return {
      team: record.team,
      id: record.id,
      title: record.title,
      severity: record.severity,
      state: record.state,
      ...(record.level ? { level: record.level } : {}),
      entities: record.entities as EntityRef[],
      // The current episode: a reopened exception is escalated again from its reopening.
      openedAt: record.episodeOpenedAt,
      ...(record.acknowledgedAt ? { acknowledgedAt: record.acknowledgedAt } : {}),
      ...(record.correlationKey ? { correlationKey: record.correlationKey } : {}),
      ...(policy.escalationPolicy ? { escalationPolicy: policy.escalationPolicy } : {}),
      changedAt: record.changedAt,
      ...(record.mergedInto ? { mergedInto: record.mergedInto } : {}),
      ...(record.assignee ? { assignee: record.assignee } : {}),
    };
  }

  async #open(repo: ExceptionRepository, group: CorrelationGroup, now: string): Promise<ExceptionRecord> {
    const firing = group.alerts.filter((alert) => alert.state === 'firing');
    const record: ExceptionRecord = {
      id: this.#newId(),
      team: group.team,
      title: group.title,
      severity: group.severity,
      state: 'open',
      entities: dedupeEntities(group.entities),
      origin: 'correlation',
      correlationKey: group.key,
      correlationReason: group.reason,
      openedAt: now,
      episodeOpenedAt: now,
      levelRaisedAt: {},
      followUps: [],
      alertCount: 0,
      firingAlertCount: 0,
      reopenCount: 0,
      createdBy: ExceptionActors.correlation,
      changedAt: now,
      updatedAt: now,
    };
    await repo.insert(record, earliest(firing.map((alert) => alert.startsAt)));
    const shared = Object.entries(group.reason.shared)
      .map(([key, value]) => `${key}=${value}`)
      .join(', ');
    await repo.appendTimeline([
      entry(record, {
        type: 'opened',
        at: now,
        actor: ExceptionActors.correlation,
        message: `opened by ${group.reason.ruleKind} ${group.reason.rule}${shared ? ` (${shared})` : ''}`,
        toState: 'open',
        details: { reason: group.reason },
      }),
    ]);
    await this.#join(repo, record, group, now);
    return record;
  }

  /**
   * Applies the group's alerts to an exception that is not resolved: firing ones join (or fire again),
   * resolved members resolve; a higher severity and new entities are taken over. Returns whether
   * anything changed (nothing is written otherwise: the same call twice changes nothing).
   */
  async #join(
    repo: ExceptionRepository,
    record: ExceptionRecord,
    group: CorrelationGroup,
    now: string,
  ): Promise<boolean> {
    const named = await repo.alertsNamed(
      record.id,
      group.alerts.map((alert) => alert.fingerprint),
    );
    const members = new Map(named.map((alert) => [alert.fingerprint, alert]));
    const changed: ExceptionAlert[] = [];
    const entries: TimelineWrite[] = [];
    for (const alert of group.alerts) {
      const member = members.get(alert.fingerprint);
      const name = alert.labels.alertname ?? alert.fingerprint;
      if (alert.state === 'firing') {
        if (member?.state === 'firing') continue;
        const joined: ExceptionAlert = {
          exceptionId: record.id,
          team: record.team,
          fingerprint: alert.fingerprint,
          state: 'firing',
          labels: alert.labels,
          startsAt: alert.startsAt,
          joinedAt: member?.joinedAt ?? now,
        };
        changed.push(joined);
        members.set(alert.fingerprint, joined);
        entries.push(
          entry(record, {
            type: 'alert-joined',
            at: now,
            actor: ExceptionActors.correlation,
            message: member ? `${name} fires again` : `${name} joined`,
            fingerprint: alert.fingerprint,
            details: { labels: alert.labels, startsAt: alert.startsAt },
          }),
        );
      } else if (member?.state === 'firing') {
        const resolvedAt = Date.parse(alert.endsAt) ? new Date(Date.parse(alert.endsAt)).toISOString() : now;
        const gone: ExceptionAlert = { ...member, state: 'resolved', labels: alert.labels, resolvedAt };
        changed.push(gone);
        members.set(alert.fingerprint, gone);
        entries.push(
          entry(record, {
            type: 'alert-resolved',
            at: now,
            actor: ExceptionActors.correlation,
            message: `${name} resolved`,
            fingerprint: alert.fingerprint,
            details: { endsAt: alert.endsAt },
          }),
        );
      }
    }
    const entities = dedupeEntities([...record.entities, ...group.entities]);
    const entitiesChanged = entities.length !== record.entities.length;
    const severityRaised = SEVERITY_RANK[group.severity] > SEVERITY_RANK[record.severity];
    if (changed.length === 0 && !entitiesChanged && !severityRaised) return false;
    if (severityRaised)
      entries.push(
        entry(record, {
          type: 'severity-changed',
          at: now,
          actor: ExceptionActors.correlation,
          message: `severity raised from ${record.severity} to ${group.severity}`,
          details: { from: record.severity, to: group.severity },
        }),
      );
    await repo.upsertAlerts(changed);
    const counts = await repo.alertCounts(record.id);
    const next: ExceptionRecord = {
      ...record,
      severity: severityRaised ? group.severity : record.severity,
      entities,
      alertCount: counts.alerts,
      firingAlertCount: counts.firing,
      updatedAt: now,
    };
    await repo.update(next, entitiesChanged);
    if (severityRaised) await repo.syncEpisode(next);
    await repo.appendTimeline(entries);
    return true;
  }

  /** One checked transition by a person, with its timeline entry and event. */
  async #act(
    caller: Caller,
    team: string,
    id: string,
    action: ExceptionAction,
    change: (
      record: ExceptionRecord,
      now: string,
    ) => {
      record: ExceptionRecord;
      message: string;
      type?: ExceptionTimelineEntry['type'];
      event?: string;
      reason?: string | undefined;
      details?: Record<string, unknown>;
      newEpisode?: boolean;
    },
  ): Promise<ExceptionRecord> {
    authorize(caller.principal, 'write', team, `the exceptions of team ${team}`);
    const actor = caller.principal.username;
    const effects: Effects = { entries: [], events: [] };
    const result = await this.deps.repository.transaction(async (repo) => {
      const current = this.#found(await repo.get(team, id), team, id);
      checkExceptionTransition(action, current);
      if (action === 'reopen' && current.correlationKey !== undefined) {
        // One exception at a time goes on for a correlation key: reopening an old one beside it would
        // split its alerts.
        const going = await repo.activeForKey(team, current.correlationKey);
        if (going)
          throw new ConflictError(
            `exception ${going.id} is ${going.state} for the same correlation key; merge into it instead`,
            ErrorCodes.exceptionState,
            [{ path: '', message: `exception ${going.id} is going on for the key` }],
          );
      }
      const now = this.#nowIso();
      const outcome = change(current, now);
      const record: ExceptionRecord = { ...outcome.record, updatedAt: now };
      await repo.update(record);
      if (outcome.newEpisode) await repo.startEpisode(record, record.reopenCount + 1);
      else await repo.syncEpisode(record);
      const stateChanged = record.state !== current.state;
      effects.entries.push(
        entry(record, {
          type: outcome.type ?? 'state-changed',
          at: now,
          actor,
          message: outcome.message,
          ...(outcome.reason ? { reason: outcome.reason } : {}),
          ...(stateChanged ? { fromState: current.state, toState: record.state } : {}),
          ...(outcome.details ? { details: outcome.details } : {}),
        }),
      );
      await repo.appendTimeline(effects.entries);
      await repo.audit(
        auditOf(
          caller,
          action,
          record,
          current,
          record,
          action === 'comment' ? { comment: outcome.message } : undefined,
        ),
      );
      if (outcome.event) effects.events.push(eventOf(record, outcome.event, outcome.message, actor));
      return record;
    });
    this.#emit(effects.events);
    return result;
  }

  #event(record: ExceptionRecord, reason: string, message: string, actor: string): void {
    this.#emit([eventOf(record, reason, message, actor)]);
  }

  /**
   * Records events once their write committed (a leader's in its term); an exception opened or reopened
   * calls `onActivated`.
   */
  #emit(events: readonly GantryEvent[], write: LeaderWrite = UNFENCED): void {
    for (const event of events) {
      this.deps.recorder.record(event, write.fence ? write : undefined);
      if (event.reason === ExceptionEventReasons.opened || event.reason === ExceptionEventReasons.reopened)
        this.deps.onActivated?.(event.regarding.team ?? '');
    }
  }

  async #policies(team: string): Promise<Awaited<ReturnType<HealthPolicySource['policies']>>> {
    const now = this.deps.clock.now();
    const cached = this.#policyCache.get(team);
    if (cached && now - cached.at < this.#options.policyCacheMs) return cached.policies;
    const policies = await this.deps.policies.policies(team);
    this.#policyCache.set(team, { at: now, policies });
    return policies;
  }

  #found(record: ExceptionRecord | undefined, team: string, id: string): ExceptionRecord {
    if (!record) throw new NotFoundError(`exception ${id} not found in team ${team}`);
    return record;
  }

  #nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  #newId(): string {
    return this.deps.newId?.() ?? `${this.deps.clock.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  }
}

/** The record resolved at `now`; the firing count stays (alerts may still fire after a manual resolve). */
function resolved(record: ExceptionRecord, now: string): ExceptionRecord {
  return { ...record, state: 'resolved', resolvedAt: now, changedAt: now, updatedAt: now };
}

/**
 * The record reopened at `now`: a new episode, whose failure clock starts again (its level and the times
 * of the previous episode stay in that episode's row and on the timeline).
 */
function reopened(record: ExceptionRecord, now: string): ExceptionRecord {
  const {
    acknowledgedAt: _acknowledged,
    mitigatedAt: _mitigated,
    resolvedAt: _resolved,
    level: _level,
    ...rest
  } = record;
  return {
    ...rest,
    state: 'open',
    episodeOpenedAt: now,
    levelRaisedAt: {},
    reopenCount: record.reopenCount + 1,
    changedAt: now,
    updatedAt: now,
  };
}

/** What the audit log keeps of an exception: its lifecycle and review fields, not its alerts. */
function audited(record: ExceptionRecord | undefined): Record<string, unknown> | undefined {
  if (!record) return undefined;
  return {
    title: record.title,
    severity: record.severity,
    state: record.state,
    ...(record.assignee ? { assignee: record.assignee } : {}),
    ...(record.level ? { level: record.level } : {}),
    ...(record.impact ? { impact: record.impact } : {}),
    ...(record.rootCause ? { rootCause: record.rootCause } : {}),
    followUps: record.followUps,
    ...(record.mergedInto ? { mergedInto: record.mergedInto } : {}),
  };
}

function auditOf(
  caller: Caller,
  action: string,
  record: ExceptionRecord,
  before: ExceptionRecord | undefined,
  after: ExceptionRecord,
  extra?: Record<string, unknown>,
): AuditInput {
  return {
    actor: caller.principal.username,
    source: caller.source,
    action,
    kind: 'Exception',
    team: record.team,
    name: record.id,
    ...(before ? { before: audited(before) } : {}),
    after: { ...audited(after), ...extra },
  };
}

function entry(
  record: Pick<ExceptionRecord, 'id' | 'team'>,
  fields: Omit<TimelineWrite, 'exceptionId' | 'team'>,
): TimelineWrite {
  return { exceptionId: record.id, team: record.team, ...fields };
}

function eventOf(record: ExceptionRecord, reason: string, message: string, actor: string): GantryEvent {
  return {
    type: reason === ExceptionEventReasons.failureRaised ? 'Warning' : 'Normal',
    reason,
    message,
    regarding: { kind: 'Exception', name: record.id, team: record.team },
    actor,
  };
}

function entityKey(entity: EntityRefRecord): string {
  return JSON.stringify([
    entity.kind,
    entity.name,
    entity.cluster ?? '',
    entity.namespace ?? '',
    entity.application ?? '',
  ]);
}

/** Entities without repeats, in the order first given. */
function dedupeEntities(entities: readonly EntityRefRecord[]): EntityRefRecord[] {
  const seen = new Map<string, EntityRefRecord>();
  for (const entity of entities) if (!seen.has(entityKey(entity))) seen.set(entityKey(entity), entity);
  return [...seen.values()];
}

function earliest(times: readonly string[]): string | undefined {
  let first: string | undefined;
  for (const time of times) if (first === undefined || time < first) first = time;
  return first;
}
