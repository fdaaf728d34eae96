import { sql, type Kysely, type Selectable } from 'kysely';
import { checkFence, type WriteFence } from './fence.ts';
import type {
  CorrelationReason,
  EntityRefRecord,
  EventRecord,
  EventSource,
  ExceptionRecord,
  ExceptionRecordState,
  ExceptionTimelineEntry,
  FailureLevelName,
  FollowUp,
} from '@gantry/model';
import { insertAudit, type AuditInput } from './audit-repository.ts';
import type { Dialect } from './dialect.ts';
import type { Database, ExceptionAlertTable, ExceptionEpisodeTable, ExceptionTable } from './schema.ts';

/** An alert's membership in an exception. */
export interface ExceptionAlert {
  exceptionId: string;
  team: string;
  fingerprint: string;
  state: 'firing' | 'resolved';
  labels: Record<string, string>;
  startsAt: string;
  joinedAt: string;
  resolvedAt?: string;
}

/** One open → resolved span of an exception; a reopen starts the next ordinal. */
export interface ExceptionEpisode {
  exceptionId: string;
  ordinal: number;
  team: string;
  severity: string;
  openedAt: string;
  /** The earliest startsAt of the alerts that opened or joined it (time to detect). */
  firstAlertAt?: string;
  acknowledgedAt?: string;
  mitigatedAt?: string;
  resolvedAt?: string;
  level?: FailureLevelName;
  /** Set when the exception was merged into another one: statistics count that one instead. */
  mergedInto?: string;
}

/** A timeline entry to store: written on `exceptionId`. */
export type TimelineWrite = Omit<ExceptionTimelineEntry, 'exception' | 'event'> & {
  exceptionId: string;
  team: string;
};

export interface ExceptionListQuery {
  /** Team names; absent means every team. */
  teams?: readonly string[];
  states?: readonly ExceptionRecordState[];
  severity?: string;
  levels?: readonly FailureLevelName[];
  /** Only exceptions that became failures (any level). */
  failuresOnly?: boolean;
  entity?: { kind: string; name: string; cluster?: string };
  assignee?: string;
  /** Unresolved at or resolved after this time (ISO). */
  since?: string;
  /** Opened at or before this time (ISO). */
  until?: string;
  /** Resume below this sequence number (newest first). */
  beforeSeq?: number;
  limit: number;
}

const CHUNK = 200;
const ACTIVE_STATES: readonly ExceptionRecordState[] = ['open', 'acknowledged', 'mitigated'];

/**
 * Exception records (ADR 0018) on both databases. Writes that decide from what they read (correlating a
 * key, a transition) run in `transaction`: on PostgreSQL with an advisory lock on the correlation key and
 * the row locked `FOR UPDATE`, on SQLite in the one writer's transaction; the unique `(team, active_key)`
 * index refuses a second open exception for a key whatever happens.
 */
export class ExceptionRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly inTransaction = false,
  ) {}

  /**
   * Inside `transaction`: throws `FencedWriteRefused` (rolling it back) unless `fence` is still the lease's
   * current term (ADR 0028; one primary-key read of the lease row).
   */
  async assertTerm(fence: WriteFence): Promise<void> {
    await checkFence(this.db, this.dialect, fence);
  }

  /**
   * Runs `work` in one transaction with a repository bound to it. With `lockKey`, PostgreSQL holds a
   * transaction-scoped advisory lock on it, so that two servers deciding for the same key take turns.
   */
  async transaction<T>(work: (repository: ExceptionRepository) => Promise<T>, lockKey?: string): Promise<T> {
    if (this.inTransaction) return work(this);
    return this.db.transaction().execute(async (tx) => {
      if (lockKey !== undefined && this.dialect === 'postgres')
        await sql`select pg_advisory_xact_lock(hashtextextended(${`gantry-exception:${lockKey}`}, 0))`.execute(
          tx,
        );
      return work(new ExceptionRepository(tx, this.dialect, true));
    });
  }

  async get(team: string, id: string): Promise<ExceptionRecord | undefined> {
    const row = await this.db
      .selectFrom('exceptions')
      .selectAll()
      .where('team', '=', team)
      .where('id', '=', id)
      .$if(this.dialect === 'postgres' && this.inTransaction, (q) => q.forUpdate())
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** The newest exception opened for `key` in `team`, whatever its state. */
  async latestForKey(team: string, key: string): Promise<ExceptionRecord | undefined> {
    const row = await this.db
      .selectFrom('exceptions')
      .selectAll()
      .where('team', '=', team)
      .where('correlation_key', '=', key)
      .orderBy('seq', 'desc')
      .limit(1)
      .$if(this.dialect === 'postgres' && this.inTransaction, (q) => q.forUpdate())
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** The exception of `team` that is open, acknowledged or mitigated for `key`, if any (at most one). */
  async activeForKey(team: string, key: string): Promise<ExceptionRecord | undefined> {
    const row = await this.db
      .selectFrom('exceptions')
      .selectAll()
      .where('team', '=', team)
      .where('active_key', '=', key)
      .$if(this.dialect === 'postgres' && this.inTransaction, (q) => q.forUpdate())
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** Stores a new exception, its entities and its first episode. */
  async insert(record: ExceptionRecord, firstAlertAt?: string): Promise<void> {
    await this.transaction(async (repo) => {
      await repo.db.insertInto('exceptions').values(toRow(record)).execute();
      await repo.#writeEntities(record);
      await repo.startEpisode(record, 1, firstAlertAt);
    });
  }

  /** Writes every field of a stored exception (found by id), and its entities when `entitiesChanged`. */
  async update(record: ExceptionRecord, entitiesChanged = false): Promise<void> {
    const { id: _id, ...row } = toRow(record);
    await this.db.updateTable('exceptions').set(row).where('id', '=', record.id).execute();
    if (entitiesChanged) await this.#writeEntities(record);
  }

  async #writeEntities(record: ExceptionRecord): Promise<void> {
    await this.db.deleteFrom('exception_entities').where('exception_id', '=', record.id).execute();
    const rows = new Map<string, Database['exception_entities']>();
    for (const entity of record.entities) {
      const row = {
        exception_id: record.id,
        team: record.team,
        kind: entity.kind,
        name: entity.name.slice(0, 253),
        cluster: (entity.cluster ?? '').slice(0, 63),
        namespace: (entity.namespace ?? '').slice(0, 253),
      };
      rows.set(JSON.stringify([row.kind, row.name, row.cluster, row.namespace]), row);
    }
    const all = [...rows.values()];
    for (let i = 0; i < all.length; i += CHUNK)
      await this.db
        .insertInto('exception_entities')
        .values(all.slice(i, i + CHUNK))
        .execute();
  }

  async startEpisode(record: ExceptionRecord, ordinal: number, firstAlertAt?: string): Promise<void> {
    await this.db
      .insertInto('exception_episodes')
      .values({
        exception_id: record.id,
        ordinal,
        team: record.team,
        severity: record.severity,
        opened_at: record.episodeOpenedAt,
        first_alert_at: firstAlertAt ?? null,
        acknowledged_at: null,
        mitigated_at: null,
        resolved_at: null,
        level: null,
        merged_into: null,
      })
      .execute();
  }

  /** Brings the exception's current episode in step with the record (times, level, severity). */
  async syncEpisode(record: ExceptionRecord): Promise<void> {
    await this.db
      .updateTable('exception_episodes')
      .set({
        severity: record.severity,
        acknowledged_at: record.acknowledgedAt ?? null,
        mitigated_at: record.mitigatedAt ?? null,
        resolved_at: record.resolvedAt ?? null,
        level: record.level ?? null,
        merged_into: record.mergedInto ?? null,
      })
      .where('exception_id', '=', record.id)
      .where('ordinal', '=', record.reopenCount + 1)
      .execute();
  }

  /** Marks every episode of `from` as merged into `into`. */
  async markEpisodesMerged(from: string, into: string): Promise<void> {
    await this.db
      .updateTable('exception_episodes')
      .set({ merged_into: into })
      .where('exception_id', '=', from)
      .execute();
  }

  async episodes(exceptionId: string): Promise<ExceptionEpisode[]> {
    const rows = await this.db
      .selectFrom('exception_episodes')
      .selectAll()
      .where('exception_id', '=', exceptionId)
      .orderBy('ordinal')
      .execute();
    return rows.map(episodeFromRow);
  }

  /** A team's episodes opened in [from, to) (ISO), for statistics. */
  async episodesOpened(team: string, from: string, to: string): Promise<ExceptionEpisode[]> {
    const rows = await this.db
      .selectFrom('exception_episodes')
      .selectAll()
      .where('team', '=', team)
      .where('opened_at', '>=', from)
      .where('opened_at', '<', to)
      .orderBy('opened_at')
      .execute();
    return rows.map(episodeFromRow);
  }

  async alerts(exceptionId: string): Promise<ExceptionAlert[]> {
    const rows = await this.db
      .selectFrom('exception_alerts')
      .selectAll()
      .where('exception_id', '=', exceptionId)
      .orderBy('joined_at')
      .orderBy('fingerprint')
      .execute();
    return rows.map(alertFromRow);
  }

  /** The member alerts of an exception among `fingerprints` (a join reads only the alerts it brings). */
  async alertsNamed(exceptionId: string, fingerprints: readonly string[]): Promise<ExceptionAlert[]> {
    const alerts: ExceptionAlert[] = [];
    for (let i = 0; i < fingerprints.length; i += 500) {
      const rows = await this.db
        .selectFrom('exception_alerts')
        .selectAll()
        .where('exception_id', '=', exceptionId)
        .where('fingerprint', 'in', fingerprints.slice(i, i + 500))
        .execute();
      alerts.push(...rows.map(alertFromRow));
    }
    return alerts;
  }

  /** How many alerts an exception holds, and how many of them fire. */
  async alertCounts(exceptionId: string): Promise<{ alerts: number; firing: number }> {
    const row = await this.db
      .selectFrom('exception_alerts')
      .select((eb) => [
        eb.fn.countAll<string | number>().as('alerts'),
        eb.fn.count<string | number>(eb.case().when('state', '=', 'firing').then(1).end()).as('firing'),
      ])
      .where('exception_id', '=', exceptionId)
      .executeTakeFirstOrThrow();
    return { alerts: Number(row.alerts), firing: Number(row.firing) };
  }

  /** The member alerts of many exceptions in one read (by `joined_at`, as `alerts`), by exception id. */
  async alertsOf(exceptionIds: readonly string[]): Promise<Map<string, ExceptionAlert[]>> {
    const byException = new Map<string, ExceptionAlert[]>();
    for (let i = 0; i < exceptionIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('exception_alerts')
        .selectAll()
        .where('exception_id', 'in', exceptionIds.slice(i, i + 500))
        .orderBy('exception_id')
        .orderBy('joined_at')
        .orderBy('fingerprint')
        .execute();
      for (const row of rows) {
        const alerts = byException.get(row.exception_id) ?? [];
        alerts.push(alertFromRow(row));
        byException.set(row.exception_id, alerts);
      }
    }
    return byException;
  }

  /** Inserts new memberships and replaces known ones (same exception and fingerprint). */
  async upsertAlerts(alerts: readonly ExceptionAlert[]): Promise<void> {
    for (let i = 0; i < alerts.length; i += CHUNK)
      await this.db
        .insertInto('exception_alerts')
        .values(alerts.slice(i, i + CHUNK).map(alertToRow))
        .onConflict((oc) =>
          oc.columns(['exception_id', 'fingerprint']).doUpdateSet((eb) => ({
            state: eb.ref('excluded.state'),
            labels: eb.ref('excluded.labels'),
            starts_at: eb.ref('excluded.starts_at'),
            resolved_at: eb.ref('excluded.resolved_at'),
          })),
        )
        .execute();
  }

  /**
   * A merge: `from`'s alerts and timeline now belong to `into`. An alert that is a member of both stays
   * `into`'s (its earlier joining time kept).
   */
  async moveMembership(from: string, into: string): Promise<void> {
    const target = new Map((await this.alerts(into)).map((alert) => [alert.fingerprint, alert]));
    const moved: ExceptionAlert[] = [];
    for (const alert of await this.alerts(from)) {
      const known = target.get(alert.fingerprint);
      if (!known) moved.push({ ...alert, exceptionId: into });
      else if (alert.joinedAt < known.joinedAt) moved.push({ ...known, joinedAt: alert.joinedAt });
    }
    await this.db.deleteFrom('exception_alerts').where('exception_id', '=', from).execute();
    for (let i = 0; i < moved.length; i += CHUNK)
      await this.db
        .insertInto('exception_alerts')
        .values(moved.slice(i, i + CHUNK).map(alertToRow))
        .onConflict((oc) =>
          oc
            .columns(['exception_id', 'fingerprint'])
            .doUpdateSet((eb) => ({ joined_at: eb.ref('excluded.joined_at') })),
        )
        .execute();
    await this.db
      .updateTable('exception_timeline')
      .set({ exception_id: into })
      .where('exception_id', '=', from)
      .execute();
  }

  async appendTimeline(entries: readonly TimelineWrite[]): Promise<void> {
    const rows = entries.map((entry) => {
      const { exceptionId, team, type, at, actor, message, ...rest } = entry;
      return {
        exception_id: exceptionId,
        written_on: exceptionId,
        team,
        type,
        at,
        actor: actor.slice(0, 253),
        message,
        body: JSON.stringify(rest),
      };
    });
    for (let i = 0; i < rows.length; i += CHUNK)
      await this.db
        .insertInto('exception_timeline')
        .values(rows.slice(i, i + CHUNK))
        .execute();
  }

  /** The stored timeline, oldest first, at most `limit` entries (the newest are cut). */
  async timeline(
    exceptionId: string,
    limit: number,
  ): Promise<{ entries: ExceptionTimelineEntry[]; truncated: boolean }> {
    const rows = await this.db
      .selectFrom('exception_timeline')
      .selectAll()
      .where('exception_id', '=', exceptionId)
      .orderBy('at')
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    const entries = rows.slice(0, limit).map((row): ExceptionTimelineEntry => {
      const rest = JSON.parse(row.body) as Omit<ExceptionTimelineEntry, 'type' | 'at' | 'actor' | 'message'>;
      return {
        type: row.type as ExceptionTimelineEntry['type'],
        at: row.at,
        actor: row.actor,
        message: row.message,
        ...rest,
        ...(row.written_on !== exceptionId ? { exception: row.written_on } : {}),
      };
    });
    return { entries, truncated: rows.length > limit };
  }

  /** Exceptions newest first. `nextBeforeSeq` is set when there may be more. */
  async list(query: ExceptionListQuery): Promise<{ items: ExceptionRecord[]; nextBeforeSeq?: number }> {
    if (query.teams?.length === 0) return { items: [] };
    let select = this.db.selectFrom('exceptions').selectAll('exceptions');
    if (query.teams) select = select.where('exceptions.team', 'in', query.teams);
    if (query.states?.length) select = select.where('state', 'in', query.states);
    if (query.severity) select = select.where('severity', '=', query.severity);
    if (query.levels?.length) select = select.where('level', 'in', query.levels);
    if (query.failuresOnly) select = select.where('level', 'is not', null);
    if (query.assignee !== undefined) select = select.where('assignee', '=', query.assignee);
    if (query.until) select = select.where('opened_at', '<=', query.until);
    if (query.since) {
      const since = query.since;
      select = select.where((eb) => eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>=', since)]));
    }
    if (query.entity) {
      const entity = query.entity;
      select = select.where((eb) =>
        eb.exists(
          eb
            .selectFrom('exception_entities')
            .select('exception_entities.exception_id')
            .whereRef('exception_entities.exception_id', '=', 'exceptions.id')
            .where('exception_entities.kind', '=', entity.kind)
            .where('exception_entities.name', '=', entity.name)
            .$if(entity.cluster !== undefined, (q) =>
              q.where('exception_entities.cluster', '=', entity.cluster ?? ''),
            ),
        ),
      );
    }
    if (query.beforeSeq !== undefined) select = select.where('seq', '<', query.beforeSeq);
    const rows = await select
      .orderBy('seq', 'desc')
      .limit(query.limit + 1)
      .execute();
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return rows.length > query.limit && last
      ? { items: page.map(fromRow), nextBeforeSeq: Number(last.seq) }
      : { items: page.map(fromRow) };
  }

  /**
   * Exceptions whose state, level or assignee changed after `since` (ISO), oldest change first. Rows that
   * share the last one's `changedAt` all come, so `since = last.changedAt` never skips one.
   */
  async changedSince(since: string, limit: number): Promise<ExceptionRecord[]> {
    const rows = await this.db
      .selectFrom('exceptions')
      .selectAll()
      .where('changed_at', '>', since)
      .orderBy('changed_at')
      .orderBy('seq')
      .limit(limit)
      .execute();
    const last = rows.at(-1);
    if (rows.length === limit && last) {
      const ties = await this.db
        .selectFrom('exceptions')
        .selectAll()
        .where('changed_at', '=', last.changed_at)
        .where('seq', '>', last.seq)
        .orderBy('seq')
        .execute();
      rows.push(...ties);
    }
    return rows.map(fromRow);
  }

  /** Exceptions not yet resolved (nor merged), by sequence after `afterSeq`: the failure controller's work. */
  async unresolved(afterSeq: number, limit: number): Promise<{ items: ExceptionRecord[]; lastSeq: number }> {
    const rows = await this.db
      .selectFrom('exceptions')
      .selectAll()
      .where('state', 'in', ACTIVE_STATES)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return { items: rows.map(fromRow), lastSeq: rows.length > 0 ? Number(rows.at(-1)!.seq) : afterSeq };
  }

  /**
   * Records of the `events` table regarding `entities` of `team`, seen within [from, to] (ISO), newest
   * first, at most `limit`: what changed on the things an exception concerns.
   */
  async eventsRegarding(
    team: string,
    entities: readonly EntityRefRecord[],
    from: string,
    to: string,
    limit: number,
  ): Promise<{ items: EventRecord[]; truncated: boolean }> {
    if (entities.length === 0) return { items: [], truncated: false };
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('team', '=', team)
      .where('last_seen', '>=', from)
      .where('first_seen', '<=', to)
      .where((eb) =>
        eb.or(
          entities.map((entity) => {
            const regarding = eventTarget(entity);
            const conditions = [
              eb('object_kind', 'in', regarding.kinds),
              eb('object_name', '=', regarding.name),
            ];
            if (entity.cluster) conditions.push(eb('cluster', '=', `${team}/${entity.cluster}`));
            if (entity.namespace) conditions.push(eb('namespace', '=', entity.namespace));
            return eb.and(conditions);
          }),
        ),
      )
      .orderBy('last_seen', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return {
      items: rows.slice(0, limit).map((row): EventRecord => ({
        id: Number(row.id),
        source: row.source as EventSource,
        team: row.team,
        cluster: row.cluster,
        namespace: row.namespace,
        objectKind: row.object_kind,
        objectName: row.object_name,
        type: row.type,
        reason: row.reason,
        message: row.message,
        actor: row.actor,
        count: row.count,
        firstSeen: row.first_seen,
        lastSeen: row.last_seen,
      })),
      truncated: rows.length > limit,
    };
  }

  /** An audit entry for a person's action, in the action's transaction when called inside one. */
  async audit(entry: AuditInput): Promise<void> {
    await insertAudit(this.db, entry);
  }

  /** A deleted team's exceptions go with it. */
  async deleteTeam(team: string): Promise<void> {
    await this.transaction(async (repo) => {
      for (const table of [
        'exception_episodes',
        'exception_timeline',
        'exception_alerts',
        'exception_entities',
        'exceptions',
      ] as const)
        await repo.db.deleteFrom(table).where('team', '=', team).execute();
    });
  }
}

/** The object kinds and name an entity's events regard: a Component's are its Application's. */
function eventTarget(entity: EntityRefRecord): { kinds: string[]; name: string } {
  switch (entity.kind) {
    case 'Component':
      return { kinds: ['Application'], name: entity.application ?? entity.name };
    case 'Workload':
      return {
        kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Workload'],
        name: entity.name,
      };
    default:
      return { kinds: [entity.kind], name: entity.name };
  }
}

function toRow(record: ExceptionRecord): Omit<ExceptionTable, 'seq'> {
  const active = record.state !== 'resolved' && record.state !== 'merged';
  return {
    id: record.id,
    team: record.team,
    title: record.title.slice(0, 500),
    severity: record.severity,
    state: record.state,
    entities: JSON.stringify(record.entities),
    assignee: record.assignee ?? null,
    origin: record.origin,
    correlation_key: record.correlationKey ?? null,
    correlation_reason: record.correlationReason ? JSON.stringify(record.correlationReason) : null,
    active_key: active && record.correlationKey !== undefined ? record.correlationKey : null,
    opened_at: record.openedAt,
    episode_opened_at: record.episodeOpenedAt,
    acknowledged_at: record.acknowledgedAt ?? null,
    mitigated_at: record.mitigatedAt ?? null,
    resolved_at: record.resolvedAt ?? null,
    level: record.level ?? null,
    level_raised_at: JSON.stringify(record.levelRaisedAt),
    impact: record.impact ?? null,
    root_cause: record.rootCause ?? null,
    follow_ups: JSON.stringify(record.followUps),
    merged_into: record.mergedInto ?? null,
    alert_count: record.alertCount,
    firing_alert_count: record.firingAlertCount,
    reopen_count: record.reopenCount,
    created_by: record.createdBy,
    changed_at: record.changedAt,
    updated_at: record.updatedAt,
  };
}

function fromRow(row: Selectable<ExceptionTable>): ExceptionRecord {
  return {
    id: row.id,
    team: row.team,
    title: row.title,
    severity: row.severity as ExceptionRecord['severity'],
    state: row.state as ExceptionRecordState,
    entities: JSON.parse(row.entities) as EntityRefRecord[],
    ...(row.assignee !== null ? { assignee: row.assignee } : {}),
    origin: row.origin as ExceptionRecord['origin'],
    ...(row.correlation_key !== null ? { correlationKey: row.correlation_key } : {}),
    ...(row.correlation_reason !== null
      ? { correlationReason: JSON.parse(row.correlation_reason) as CorrelationReason }
      : {}),
    openedAt: row.opened_at,
    episodeOpenedAt: row.episode_opened_at,
    ...(row.acknowledged_at !== null ? { acknowledgedAt: row.acknowledged_at } : {}),
    ...(row.mitigated_at !== null ? { mitigatedAt: row.mitigated_at } : {}),
    ...(row.resolved_at !== null ? { resolvedAt: row.resolved_at } : {}),
    ...(row.level !== null ? { level: row.level as FailureLevelName } : {}),
    levelRaisedAt: JSON.parse(row.level_raised_at) as Record<string, string>,
    ...(row.impact !== null ? { impact: row.impact } : {}),
    ...(row.root_cause !== null ? { rootCause: row.root_cause } : {}),
    followUps: JSON.parse(row.follow_ups) as FollowUp[],
    ...(row.merged_into !== null ? { mergedInto: row.merged_into } : {}),
    alertCount: Number(row.alert_count),
    firingAlertCount: Number(row.firing_alert_count),
    reopenCount: Number(row.reopen_count),
    createdBy: row.created_by,
    changedAt: row.changed_at,
    updatedAt: row.updated_at,
  };
}

function alertToRow(alert: ExceptionAlert): ExceptionAlertTable {
  return {
    exception_id: alert.exceptionId,
    team: alert.team,
    fingerprint: alert.fingerprint.slice(0, 255),
    state: alert.state,
    labels: JSON.stringify(alert.labels),
    starts_at: alert.startsAt,
    joined_at: alert.joinedAt,
    resolved_at: alert.resolvedAt ?? null,
  };
}

function alertFromRow(row: Selectable<ExceptionAlertTable>): ExceptionAlert {
  return {
    exceptionId: row.exception_id,
    team: row.team,
    fingerprint: row.fingerprint,
    state: row.state as ExceptionAlert['state'],
    labels: JSON.parse(row.labels) as Record<string, string>,
    startsAt: row.starts_at,
    joinedAt: row.joined_at,
    ...(row.resolved_at !== null ? { resolvedAt: row.resolved_at } : {}),
  };
}

function episodeFromRow(row: Selectable<ExceptionEpisodeTable>): ExceptionEpisode {
  return {
    exceptionId: row.exception_id,
    ordinal: Number(row.ordinal),
    team: row.team,
    severity: row.severity,
    openedAt: row.opened_at,
    ...(row.first_alert_at !== null ? { firstAlertAt: row.first_alert_at } : {}),
    ...(row.acknowledged_at !== null ? { acknowledgedAt: row.acknowledged_at } : {}),
    ...(row.mitigated_at !== null ? { mitigatedAt: row.mitigated_at } : {}),
    ...(row.resolved_at !== null ? { resolvedAt: row.resolved_at } : {}),
    ...(row.level !== null ? { level: row.level as FailureLevelName } : {}),
    ...(row.merged_into !== null ? { mergedInto: row.merged_into } : {}),
  };
}

/** The row mapper, for the health stream's reads (health-stream-repository.ts). */
export { fromRow as exceptionFromRow };
