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
  /** Whether to compute the downtime (MTBF, availability); default true. */
  downtime?: boolean;
  /** Whether acknowledgement times are needed (MTTA); default true. Left out, they are not converted. */
  acknowledgements?: boolean;
  /**
   * Only the episodes of these exceptions (`include`), or all but these (`exclude`): MTTR with and without
   * healing (ADR 0041) splits the same episodes by the exceptions healing healed.
   */
  exceptions?: { include?: readonly string[]; exclude?: readonly string[] };
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
    const withDowntime = query.downtime !== false;
    const counts = await this.#counts(query, false);
    // An episode is in exactly one team and one class: the total's counts are the groups' sums then.
    const disjoint = query.by === 'team' || query.by === 'class';
    const totalCounts = disjoint ? [sumCounts(counts)] : await this.#counts(query, true);
    const downtime = withDowntime ? await this.#downtime(query, false) : [];
    const totalDowntime = withDowntime ? await this.#downtime(query, true) : [];
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

  /** Milliseconds since the epoch of an ISO time column. */
  #ms(column: string): RawBuilder<number> {
    const ref = sql.ref(column);
    return this.dialect === 'postgres'
      ? sql<number>`(extract(epoch from (${ref})::timestamptz) * 1000)::bigint`
      : sql<number>`cast(round((julianday(${ref}) - 2440587.5) * 86400000) as integer)`;
  }

  #least(a: RawBuilder<unknown>, b: RawBuilder<unknown>): RawBuilder<number> {
    return this.dialect === 'postgres' ? sql<number>`least(${a}, ${b})` : sql<number>`min(${a}, ${b})`;
  }

  #greatest(a: RawBuilder<unknown>, b: RawBuilder<unknown>): RawBuilder<number> {
    return this.dialect === 'postgres' ? sql<number>`greatest(${a}, ${b})` : sql<number>`max(${a}, ${b})`;
  }

  /**
   * The episodes of the teams, not merged, restricted by `where`, each with its group key `g` (once per
   * application or cluster it concerns) and its times in ms: `o` opened, `i` impact start (the first
   * alert's start, or the opening when earlier or unknown), `a` acknowledged, `r` resolved. Materialized,
   * so that each time is converted once.
   */
  #episodes(query: StatsRangeQuery, total: boolean, where: RawBuilder<unknown>): RawBuilder<unknown> {
    const teams =
      query.teams === undefined
        ? sql`1 = 1`
        : query.teams.length === 0
          ? sql`1 = 0`
          : sql`e.team in (${sql.join(query.teams.map((team) => sql`${team}`))})`;
    let key: RawBuilder<unknown>;
    let join = sql``;
    if (total) key = sql`''`;
    else if (query.by === 'team') key = sql`e.team`;
    else if (query.by === 'class') key = sql`coalesce(e.level, e.severity)`;
    else if (query.by === 'application') {
      key = sql`n.name`;
      join = sql`join exception_entities n on n.exception_id = e.exception_id and n.kind = 'Application'`;
    } else {
      key = sql`case when n.kind = 'Cluster' then n.name else n.cluster end`;
      join = sql`join exception_entities n on n.exception_id = e.exception_id
        and (n.kind = 'Cluster' or n.cluster <> '')`;
    }
    const o = this.#ms('e.opened_at');
    const firstAlert = this.#ms('e.first_alert_at');
    const impact = sql`case when e.first_alert_at is null then ${o} else ${this.#least(firstAlert, o)} end`;
    // DISTINCT when joined: an exception that names an application (a cluster) twice counts once for it.
    const distinct = total || query.by === 'team' || query.by === 'class' ? sql`` : sql`distinct`;
    return sql`select ${distinct} ${key} as g, e.exception_id, e.ordinal, e.opened_at,
        e.first_alert_at is not null as has_alert, ${o} as o, ${impact} as i,
        ${query.acknowledgements === false ? sql`cast(null as bigint)` : this.#ms('e.acknowledged_at')} as a,
        ${this.#ms('e.resolved_at')} as r
      from exception_episodes e ${join}
      where ${teams} and e.merged_into is null and ${this.#only(query)} and ${where}`;
  }

  /** The `exceptions` filter of a query as SQL (`1 = 1` without one). */
  #only(query: StatsRangeQuery): RawBuilder<unknown> {
    const { include, exclude } = query.exceptions ?? {};
    const ids = (list: readonly string[]) => sql.join(list.map((id) => sql`${id}`));
    const clauses: RawBuilder<unknown>[] = [];
    if (include) clauses.push(include.length === 0 ? sql`1 = 0` : sql`e.exception_id in (${ids(include)})`);
    if (exclude && exclude.length > 0) clauses.push(sql`e.exception_id not in (${ids(exclude)})`);
    return clauses.length === 0 ? sql`1 = 1` : sql.join(clauses, sql` and `);
  }

  /**
   * The time to repair of each resolved episode detected in the range (resolved − impact start, the same
   * times `repairMs` sums), ascending: for percentiles, which the databases do not compute alike.
   */
  async repairDurations(query: StatsRangeQuery): Promise<number[]> {
    const eps = this.#episodes(
      { ...query, acknowledgements: false },
      true,
      sql`e.opened_at >= ${query.from} and e.opened_at < ${query.to}`,
    );
    const result = await sql<{ repair_ms: string | number }>`
      with eps as materialized (${eps})
      select ${this.#greatest(sql`r - i`, sql`0`)} as repair_ms from eps where r is not null
      order by repair_ms`.execute(this.db);
    return result.rows.map((row) => Number(row.repair_ms));
  }

  async #counts(query: StatsRangeQuery, total: boolean): Promise<Omit<StatsGroupSums, 'downtimeMs'>[]> {
    const eps = this.#episodes(query, total, sql`e.opened_at >= ${query.from} and e.opened_at < ${query.to}`);
    const result = await sql<Record<string, string | number | null>>`
      with eps as materialized (${eps})
      select g,
        count(*) as failures,
        sum(case when has_alert then 1 else 0 end) as detected,
        count(a) as acknowledged,
        count(r) as resolved,
        coalesce(sum(case when has_alert then o - i end), 0) as detect_ms,
        coalesce(sum(${this.#greatest(sql`a - o`, sql`0`)}), 0) as acknowledge_ms,
        coalesce(sum(${this.#greatest(sql`r - i`, sql`0`)}), 0) as repair_ms
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
      sql`e.opened_at < ${query.to} and (e.resolved_at is null or e.resolved_at >= ${query.from})`,
    );
    const start = this.#greatest(sql`i`, sql`${fromMs}`);
    const end = sql`case when r is null then ${toMs} else ${this.#least(sql`r`, sql`${toMs}`)} end`;
    // The union of a group's spans in one pass: sorted by start, each span adds what reaches past the
    // furthest end before it.
    const result = await sql<{ g: string; downtime_ms: string | number | null }>`
      with eps as materialized (${eps}),
      spans as (select g, ${start} as s, ${end} as e from eps),
      ordered as (
        select g, s, e, max(e) over (partition by g order by s, e
          rows between unbounded preceding and 1 preceding) as reach
        from spans where e > s
      )
      select g, sum(case when reach is null or reach <= s then e - s when reach < e then e - reach else 0 end)
        as downtime_ms
      from ordered group by g`.execute(this.db);
    return result.rows.map((row) => ({ key: String(row.g), downtimeMs: Number(row.downtime_ms ?? 0) }));
  }
}

function sumCounts(rows: readonly Omit<StatsGroupSums, 'downtimeMs'>[]): Omit<StatsGroupSums, 'downtimeMs'> {
  const sum = { ...emptySums('') } as Omit<StatsGroupSums, 'downtimeMs'> & { downtimeMs?: number };
  delete sum.downtimeMs;
  for (const row of rows) {
    sum.failures += row.failures;
    sum.detected += row.detected;
    sum.acknowledged += row.acknowledged;
    sum.resolved += row.resolved;
    sum.detectMs += row.detectMs;
    sum.acknowledgeMs += row.acknowledgeMs;
    sum.repairMs += row.repairMs;
  }
  return sum;
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
