import type { HealthStats, HealthStatsGroup } from '@gantry/model';
import { parseDuration, formatDuration } from '../duration.ts';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession } from '../session.ts';

export interface StatsOptions {
  team?: string;
  /** Every team the caller may read, together (`GET /api/stats`). */
  allTeams?: boolean;
  /** RFC 3339; or `since`, a duration back from now (`90d`, `12h`). */
  from?: string;
  to?: string;
  since?: string;
  by?: string;
  metrics?: string;
  output?: string;
  noHeaders?: boolean;
}

const DAY = 86_400_000;

/** `90d`, `2d12h` or what `parseDuration` takes (`36h`, `90m`), in milliseconds. */
export function parseSince(text: string): number {
  const days = /^(\d+)d(.*)$/.exec(text.trim());
  if (!days) return parseDuration(text);
  return Number(days[1]) * DAY + (days[2] ? parseDuration(days[2]) : 0);
}

function duration(ms: number | undefined): string {
  return ms === undefined ? '-' : formatDuration(ms);
}

/** GROUP, FAILURES, ACKED, RESOLVED, MTTD, MTTA, MTTR, MTBF, DOWNTIME, AVAILABILITY; the total last. */
export function statsTable(stats: HealthStats): { headers: string[]; rows: string[][] } {
  const row = (group: HealthStatsGroup, name: string) => [
    name,
    group.failures === undefined ? '-' : String(group.failures),
    group.acknowledged === undefined ? '-' : String(group.acknowledged),
    group.resolved === undefined ? '-' : String(group.resolved),
    duration(group.mttdMs),
    duration(group.mttaMs),
    duration(group.mttrMs),
    duration(group.mtbfMs),
    duration(group.downtimeMs),
    group.availability === undefined ? '-' : `${(group.availability * 100).toFixed(3)}%`,
  ];
  return {
    headers: [
      stats.by.toUpperCase(),
      'FAILURES',
      'ACKED',
      'RESOLVED',
      'MTTD',
      'MTTA',
      'MTTR',
      'MTBF',
      'DOWNTIME',
      'AVAILABILITY',
    ],
    rows: [...stats.groups.map((group) => row(group, group.key)), row(stats.total, '(total)')],
  };
}

/**
 * `gantry stats`: failure statistics (ADR 0023) of the team, or of every team the caller may read, over
 * a range (`--since 30d` by default), grouped `--by` team, application, cluster or class.
 */
export async function showStats(env: CommandEnv, options: StatsOptions): Promise<void> {
  const format = options.output ?? 'table';
  if (!['table', 'json', 'yaml'].includes(format))
    throw new CliError(`unknown output format "${format}" (one of: table, json, yaml)`);
  if (options.since !== undefined && options.from !== undefined)
    throw new CliError('give --since or --from, not both');
  const session = await openSession(env, options.team);
  let { from, to } = options;
  if (options.since !== undefined) {
    // Both ends from here, so that the range is exactly --since long.
    const end = to === undefined ? env.io.now().getTime() : Date.parse(to);
    if (Number.isNaN(end)) throw new CliError(`invalid --to "${to}": an RFC 3339 time`);
    to = new Date(end).toISOString();
    from = new Date(end - parseSince(options.since)).toISOString();
  }
  const path =
    options.allTeams === true ? '/api/stats' : `/api/teams/${encodeURIComponent(session.team)}/stats`;
  const stats = await session.client.request<HealthStats>('GET', path, {
    query: { from, to, by: options.by, metrics: options.metrics },
  });
  if (format === 'json' || format === 'yaml') {
    env.io.out((format === 'json' ? toJson : toYaml)(stats));
    return;
  }
  env.io.err(`${stats.from} → ${stats.to}, by ${stats.by}\n`);
  const table = statsTable(stats);
  env.io.out(formatTable(table.headers, table.rows, { noHeaders: options.noHeaders === true }));
}
