import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Dialect } from './dialect.ts';
import type { Database } from './schema.ts';

/** What failure statistics are grouped by (ADR 0023). */
export type StatsDimension = 'team' | 'application' | 'cluster' | 'class';

export interface StatsRangeQuery {
  /** Team names; absent means every team (the admin view). */
  teams?: readonly string[];
  by: StatsDimension;
  /** The range [from, to), ISO times as `Date.toISOString` writes them. */
  from: string;
  to: string;
}

/**
 * The sums of one group over a range, as the database adds them up; the statistics service divides.
 * Counted episodes are those detected (opened) in the range and not merged into another exception.
 */
export interface StatsGroupSums {
  /** The application, the cluster, the team or the class (a level P0–P4, else the severity). */
  key: string;
  /** Episodes detected in the range. */
  failures: number;
  /** Of those, the ones with a first alert (time to detect known). */
  detected: number;
  /** Of those, the ones acknowledged. */
  acknowledged: number;
  /** Of those, the ones resolved. */
  resolved: number;
  /** Sum of opened − impact start (ms) over the detected ones. */
  detectMs: number;
  /** Sum of first acknowledgement − opened (ms) over the acknowledged ones. */
  acknowledgeMs: number;
  /** Sum of resolved − impact start (ms) over the resolved ones. */
  repairMs: number;
  /**
   * Impact within the range (ms): every episode that overlaps it, from impact start to resolution (or
   * `to` while open), clipped to the range, the overlapping spans of the group merged.
   */
  downtimeMs: number;
}

/**
 * Failure statistics aggregated in the database (ADR 0023) over `exception_episodes` (and
 * `exception_entities` for applications and clusters): two statements per call, one for the counts and
 * means of the episodes detected in the range, one for the merged downtime (gaps and islands with window
 * functions), on SQLite and PostgreSQL alike. Nothing per episode comes back to JavaScript.
 */
export class HealthStatsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** Per group of `query.by`, and `total` over every episode of the teams (one group, key ''). */
  async aggregate(query: StatsRangeQuery): Promise<{ groups: StatsGroupSums[]; total: StatsGroupSums }> {
    const [counts, downtime, totalCounts, totalDowntime] = [
      await this.#counts(query, false),
      await this.#downtime(query, false),
      await this.#counts(query, true),
      await this.#downtime(query, true),
    ];
    const groups = new Map<string, StatsGroupSums>();
    const group = (key: string) => {
      let found = groups.get(key);
      if (!found) {
        found = emptySums(key);
        groups.set(key, found);
      }
      return found;
    };
    for (const row of counts) Object.assign(group(row.key), row);
    for (const row of downtime) group(row.key).downtimeMs = row.downtimeMs;
    const total = { ...emptySums(''), ...totalCounts[0], key: '' };
    total.downtimeMs = totalDowntime[0]?.downtimeMs ?? 0;
    return {
      groups: [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
      total,
    };
  }

  /** Milliseconds since the epoch of an ISO time column or value. */
  #ms(column: RawBuilder<unknown>): RawBuilder<number> {
    return this.dialect === 'postgres'
      ? sql<number>`(extract(epoch from (${column})::timestamptz) * 1000)::bigint`
      : sql<number>`cast(round((julianday(${column}) - 2440587.5) * 86400000) as integer)`;
  }

  #least(a: RawBuilder<unknown>, b: RawBuilder<unknown>): RawBuilder<number> {
    return this.dialect === 'postgres' ? sql<number>`least(${a}, ${b})` : sql<number>`min(${a}, ${b})`;
  }

  #greatest(a: RawBuilder<unknown>, b: RawBuilder<unknown>): RawBuilder<number> {
    return this.dialect === 'postgres' ? sql<number>`greatest(${a}, ${b})` : sql<number>`max(${a}, ${b})`;
  }

  /**
   * The episodes of the teams, not merged, with their group key `g` (the same episode once per
   * application or cluster it concerns), restricted by `where`.
   */
  #episodes(query: StatsRangeQuery, total: boolean, where: RawBuilder<unknown>): RawBuilder<unknown> {
    const teams =
      query.teams === undefined
        ? sql`1 = 1`
        : query.teams.length === 0
          ? sql`1 = 0`
          : sql`e.team in (${sql.join(query.teams.map((team) => sql`${team}`))})`;
    const entityTeams =
      query.teams === undefined
        ? sql`1 = 1`
        : query.teams.length === 0
          ? sql`1 = 0`
          : sql`team in (${sql.join(query.teams.map((team) => sql`${team}`))})`;
    let key: RawBuilder<unknown>;
    let join = sql``;
    if (total) key = sql`''`;
    else if (query.by === 'team') key = sql`e.team`;
    else if (query.by === 'class') key = sql`coalesce(e.level, e.severity)`;
    else {
      key = sql`n.g`;
      const entities =
        query.by === 'application'
          ? sql`select distinct exception_id, name as g from exception_entities
                where kind = 'Application' and ${entityTeams}`
          : sql`select distinct exception_id, case when kind = 'Cluster' then name else cluster end as g
                from exception_entities where (kind = 'Cluster' or cluster <> '') and ${entityTeams}`;
      join = sql`join (${entities}) n on n.exception_id = e.exception_id`;
    }
    return sql`select ${key} as g, e.opened_at, e.first_alert_at, e.acknowledged_at, e.resolved_at
      from exception_episodes e ${join}
      where ${teams} and e.merged_into is null and ${where}`;
  }

  async #counts(query: StatsRangeQuery, total: boolean): Promise<Omit<StatsGroupSums, 'downtimeMs'>[]> {
    const eps = this.#episodes(query, total, sql`e.opened_at >= ${query.from} and e.opened_at < ${query.to}`);
    const opened = this.#ms(sql.ref('opened_at'));
    const impact = sql`case when first_alert_at is null then ${opened}
      else ${this.#least(this.#ms(sql.ref('first_alert_at')), opened)} end`;
    const acknowledged = this.#greatest(this.#ms(sql.ref('acknowledged_at')), opened);
    const resolved = this.#greatest(this.#ms(sql.ref('resolved_at')), impact);
    const result = await sql<Record<string, string | number | null>>`
      with eps as (${eps})
      select g,
        count(*) as failures,
        count(first_alert_at) as detected,
        count(acknowledged_at) as acknowledged,
        count(resolved_at) as resolved,
        coalesce(sum(case when first_alert_at is not null then ${opened} - (${impact}) end), 0) as detect_ms,
        coalesce(sum(case when acknowledged_at is not null then ${acknowledged} - ${opened} end), 0)
          as acknowledge_ms,
        coalesce(sum(case when resolved_at is not null then ${resolved} - (${impact}) end), 0) as repair_ms
      from eps group by g`.execute(this.db);
    return result.rows.map((row) => ({
      key: String(row.g),
      failures: Number(row.failures),
      detected: Number(row.detected),
      acknowledged: Number(row.acknowledged),
      resolved: Number(row.resolved),
      detectMs: Number(row.detect_ms),
      acknowledgeMs: Number(row.acknowledge_ms),
      repairMs: Number(row.repair_ms),
    }));
  }

  async #downtime(query: StatsRangeQuery, total: boolean): Promise<{ key: string; downtimeMs: number }[]> {
    const fromMs = Date.parse(query.from);
    const toMs = Date.parse(query.to);
    // Episodes detected before `to` and not resolved before `from` overlap the range (their impact may
    // start before detection, hence the clip on both sides).
    const eps = this.#episodes(
      query,
      total,
      sql`e.opened_at < ${query.to} and (e.resolved_at is null or e.resolved_at > ${query.from})`,
    );
    const opened = this.#ms(sql.ref('opened_at'));
    const impact = sql`case when first_alert_at is null then ${opened}
      else ${this.#least(this.#ms(sql.ref('first_alert_at')), opened)} end`;
    const end = sql`case when resolved_at is null then ${toMs}
      else ${this.#least(this.#ms(sql.ref('resolved_at')), sql`${toMs}`)} end`;
    const result = await sql<{ g: string; downtime_ms: string | number | null }>`
      with eps as (${eps}),
      spans as (
        select g, ${this.#greatest(sql`${impact}`, sql`${fromMs}`)} as s, ${end} as e from eps
      ),
      ordered as (
        select g, s, e, max(e) over (partition by g order by s, e
          rows between unbounded preceding and 1 preceding) as reach
        from spans where e > s
      ),
      islands as (
        select g, s, e, sum(case when reach is null or s > reach then 1 else 0 end)
          over (partition by g order by s, e rows unbounded preceding) as island
        from ordered
      ),
      merged as (select g, max(e) - min(s) as span from islands group by g, island)
      select g, sum(span) as downtime_ms from merged group by g`.execute(this.db);
    return result.rows.map((row) => ({ key: String(row.g), downtimeMs: Number(row.downtime_ms ?? 0) }));
  }
}

function emptySums(key: string): StatsGroupSums {
  return {
    key,
    failures: 0,
    detected: 0,
    acknowledged: 0,
    resolved: 0,
    detectMs: 0,
    acknowledgeMs: 0,
    repairMs: 0,
    downtimeMs: 0,
  };
}
