import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.ts';
import { checkFence, type WriteFence } from './fence.ts';
import type { Database } from './schema.ts';

/** An open correlation group: `data` is the health center's record of it (JSON), opaque here. */
export interface CorrelationGroupRow {
  team: string;
  key: string;
  data: string;
}

/** A firing alert's membership of a group, for the episode that began at `startsAt` (ms). */
export interface CorrelationMemberRow {
  team: string;
  fingerprint: string;
  key: string;
  startsAt: number;
}

/** The state table's rows as a round of correlation left them; `row` absent: the row goes. */
export interface CorrelationChanges {
  groups: { team: string; key: string; row?: CorrelationGroupRow }[];
  members: { team: string; fingerprint: string; row?: CorrelationMemberRow }[];
}

export type EscalationState = 'active' | 'stopped' | 'done';

/** One exception's escalation: the next step to take and when (ms), per episode (open → ack/resolve). */
export interface EscalationRow {
  team: string;
  exceptionId: string;
  policy: string;
  /** Counts the times the exception was opened (or reopened) unacknowledged; starts at 1. */
  episode: number;
  episodeStartedAt: number;
  /** The next step's index; with `round`, names the step in the notification's dedup key. */
  step: number;
  round: number;
  state: EscalationState;
  dueAt: number | null;
  updatedAt: number;
}

/** Where an escalation stands, for a conditional move: it applies only if the row still says this. */
export type EscalationPosition = Pick<EscalationRow, 'episode' | 'step' | 'round'>;

const groupId = (team: string, key: string) =>
  createHash('sha256').update(`${team}\u0000${key}`).digest('hex');

/** Rows written per statement, well under either database's limit on parameters. */
const CHUNK = 200;

/**
 * The health center's correlation state and escalation timers (ADR 0019), on SQLite and PostgreSQL.
 * Correlation writes one transaction per round; escalation moves a row only from the position it read,
 * so a deposed leader's late write cannot take a step twice.
 */
export class CorrelationRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Runs `write`; with `fence` (the holder of `health-correlation` writing because it leads, ADR 0028) in
   * one transaction that first checks the term (one primary-key read of the lease row), so that a write of
   * a term that is over is refused (`FencedWriteRefused`) and changes nothing.
   */
  async #fenced<T>(fence: WriteFence | undefined, write: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (!fence) return write(this.db);
    return this.db.transaction().execute(async (tx) => {
      await checkFence(tx, this.dialect, fence);
      return write(tx);
    });
  }

  async loadGroups(): Promise<CorrelationGroupRow[]> {
    const rows = await this.db
      .selectFrom('health_correlation_groups')
      .select(['team', 'key', 'data'])
      .orderBy('id')
      .execute();
    return rows;
  }

  async loadMembers(): Promise<CorrelationMemberRow[]> {
    const rows = await this.db
      .selectFrom('health_correlation_members')
      .selectAll()
      .orderBy('team')
      .orderBy('fingerprint')
      .execute();
    return rows.map((row) => ({
      team: row.team,
      fingerprint: row.fingerprint,
      key: row.key,
      startsAt: Number(row.starts_at),
    }));
  }

  /** Writes a round's changes in one transaction (checking `fence` first when given). */
  async apply(changes: CorrelationChanges, now: number, fence?: WriteFence): Promise<void> {
    if (changes.groups.length === 0 && changes.members.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      if (fence) await checkFence(tx, this.dialect, fence);
      const goneGroups = changes.groups.filter((g) => !g.row).map((g) => groupId(g.team, g.key));
      for (let i = 0; i < goneGroups.length; i += CHUNK)
        await tx
          .deleteFrom('health_correlation_groups')
          .where('id', 'in', goneGroups.slice(i, i + CHUNK))
          .execute();
      const groups = changes.groups.flatMap((g) =>
        g.row
          ? [{ id: groupId(g.team, g.key), team: g.team, key: g.key, data: g.row.data, updated_at: now }]
          : [],
      );
      for (let i = 0; i < groups.length; i += CHUNK)
        await tx
          .insertInto('health_correlation_groups')
          .values(groups.slice(i, i + CHUNK))
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              data: eb.ref('excluded.data'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      const goneMembers = changes.members.filter((m) => !m.row);
      for (const member of goneMembers)
        await tx
          .deleteFrom('health_correlation_members')
          .where('team', '=', member.team)
          .where('fingerprint', '=', member.fingerprint)
          .execute();
      const members = changes.members.flatMap((m) =>
        m.row
          ? [{ team: m.team, fingerprint: m.fingerprint, key: m.row.key, starts_at: m.row.startsAt }]
          : [],
      );
      for (let i = 0; i < members.length; i += CHUNK)
        await tx
          .insertInto('health_correlation_members')
          .values(members.slice(i, i + CHUNK))
          .onConflict((oc) =>
            oc.columns(['team', 'fingerprint']).doUpdateSet((eb) => ({
              key: eb.ref('excluded.key'),
              starts_at: eb.ref('excluded.starts_at'),
            })),
          )
          .execute();
    });
  }

  async getEscalation(team: string, exceptionId: string): Promise<EscalationRow | undefined> {
    const row = await this.db
      .selectFrom('health_escalations')
      .selectAll()
      .where('team', '=', team)
      .where('exception_id', '=', exceptionId)
      .executeTakeFirst();
    return row ? escalationFromRow(row) : undefined;
  }

  /**
   * Starts an escalation episode: inserts the row, or replaces one of an earlier episode. Answers the row
   * as it now is (another server's start of the same episode wins; nothing is started twice).
   */
  async startEscalation(row: EscalationRow, fence?: WriteFence): Promise<EscalationRow> {
    const values = escalationToRow(row);
    await this.#fenced(fence, (db) =>
      db
        .insertInto('health_escalations')
        .values(values)
        .onConflict((oc) =>
          oc
            .columns(['team', 'exception_id'])
            .doUpdateSet((eb) => ({
              policy: eb.ref('excluded.policy'),
              episode: eb.ref('excluded.episode'),
              episode_started_at: eb.ref('excluded.episode_started_at'),
              step: eb.ref('excluded.step'),
              round: eb.ref('excluded.round'),
              state: eb.ref('excluded.state'),
              due_at: eb.ref('excluded.due_at'),
              updated_at: eb.ref('excluded.updated_at'),
            }))
            .where('health_escalations.episode', '<', row.episode),
        )
        .execute(),
    );
    return (await this.getEscalation(row.team, row.exceptionId))!;
  }

  /** Active escalations due at `now` (ms), earliest first. */
  async dueEscalations(now: number, limit: number): Promise<EscalationRow[]> {
    const rows = await this.db
      .selectFrom('health_escalations')
      .selectAll()
      .where('state', '=', 'active')
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .limit(limit)
      .execute();
    return rows.map(escalationFromRow);
  }

  /** When the next active escalation is due, if any. */
  async nextEscalationDueAt(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('health_escalations')
      .select((eb) => eb.fn.min('due_at').as('due'))
      .where('state', '=', 'active')
      .executeTakeFirst();
    return row?.due === null || row?.due === undefined ? undefined : Number(row.due);
  }

  /**
   * Moves an escalation from `from` to its next position (or stops it) — only if the row is still active
   * at `from`. Answers whether it moved.
   */
  async moveEscalation(
    team: string,
    exceptionId: string,
    from: EscalationPosition,
    to: Pick<EscalationRow, 'step' | 'round' | 'state' | 'dueAt'>,
    now: number,
    fence?: WriteFence,
  ): Promise<boolean> {
    const result = await this.#fenced(fence, (db) =>
      db
        .updateTable('health_escalations')
        .set({ step: to.step, round: to.round, state: to.state, due_at: to.dueAt, updated_at: now })
        .where('team', '=', team)
        .where('exception_id', '=', exceptionId)
        .where('episode', '=', from.episode)
        .where('step', '=', from.step)
        .where('round', '=', from.round)
        .where('state', '=', 'active')
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  /** Stops an episode's escalation (acknowledged, resolved): answers whether this call stopped it. */
  async stopEscalation(
    team: string,
    exceptionId: string,
    episode: number,
    now: number,
    fence?: WriteFence,
  ): Promise<boolean> {
    const result = await this.#fenced(fence, (db) =>
      db
        .updateTable('health_escalations')
        .set({ state: 'stopped', due_at: null, updated_at: now })
        .where('team', '=', team)
        .where('exception_id', '=', exceptionId)
        .where('episode', '=', episode)
        .where('state', '!=', 'stopped')
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  /** A deleted team's state goes with it. */
  async deleteTeam(team: string): Promise<void> {
    await this.db.deleteFrom('health_correlation_groups').where('team', '=', team).execute();
    await this.db.deleteFrom('health_correlation_members').where('team', '=', team).execute();
    await this.db.deleteFrom('health_escalations').where('team', '=', team).execute();
  }
}

type EscalationTableRow = Database['health_escalations'];

function escalationToRow(row: EscalationRow): EscalationTableRow {
  return {
    team: row.team,
    exception_id: row.exceptionId,
    policy: row.policy,
    episode: row.episode,
    episode_started_at: row.episodeStartedAt,
    step: row.step,
    round: row.round,
    state: row.state,
    due_at: row.dueAt,
    updated_at: row.updatedAt,
  };
}

function escalationFromRow(row: EscalationTableRow): EscalationRow {
  return {
    team: row.team,
    exceptionId: row.exception_id,
    policy: row.policy,
    episode: Number(row.episode),
    episodeStartedAt: Number(row.episode_started_at),
    step: Number(row.step),
    round: Number(row.round),
    state: row.state as EscalationState,
    dueAt: row.due_at === null ? null : Number(row.due_at),
    updatedAt: Number(row.updated_at),
  };
}
