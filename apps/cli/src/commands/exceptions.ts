import type { ExceptionList, ExceptionRecord, ExceptionTimeline } from '@gantry/model';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatAge, formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession, type Session } from '../session.ts';

export interface ExceptionListOptions {
  team?: string;
  /** A state, several comma-separated, `active` (default) or `all`. */
  state?: string;
  severity?: string;
  /** P4..P0, comma-separated. */
  level?: string;
  /** `Kind/name` of an entity. */
  entity?: string;
  assignee?: string;
  limit?: string;
  output?: string;
  noHeaders?: boolean;
}

const PAGE = 500;

function base(session: Session): string {
  return `/api/teams/${encodeURIComponent(session.team)}`;
}

function checkFormat(format: string, allowed: readonly string[]): void {
  if (!allowed.includes(format))
    throw new CliError(`unknown output format "${format}" (one of: ${allowed.join(', ')})`);
}

/**
 * `gantry exceptions [list]` and `gantry failures`: a team's exceptions (active ones by default), newest
 * first; failures are those that reached a level (`GET /api/teams/{team}/failures`).
 */
export async function listExceptions(
  env: CommandEnv,
  options: ExceptionListOptions,
  what: 'exceptions' | 'failures' = 'exceptions',
): Promise<void> {
  const format = options.output ?? 'table';
  checkFormat(format, ['table', 'wide', 'json', 'yaml']);
  const wanted = options.limit === undefined ? Infinity : Number(options.limit);
  if (!(wanted >= 1)) throw new CliError(`invalid --limit "${options.limit}": a number from 1`);
  const session = await openSession(env, options.team);
  const state = options.state ?? (what === 'failures' ? 'all' : 'active');
  const query: Record<string, string | undefined> = {
    ...(state !== 'all' ? { state } : {}),
    severity: options.severity,
    level: options.level,
    entity: options.entity,
    assignee: options.assignee,
  };
  const items: ExceptionRecord[] = [];
  let token: string | undefined;
  do {
    const page = await session.client.request<ExceptionList>('GET', `${base(session)}/${what}`, {
      query: { ...query, limit: String(Math.min(PAGE, wanted - items.length)), continue: token },
    });
    items.push(...page.items);
    token = page.continue;
  } while (token && items.length < wanted);
  if (format === 'json' || format === 'yaml') {
    env.io.out((format === 'json' ? toJson : toYaml)({ items }));
    return;
  }
  if (items.length === 0) {
    env.io.err(`No ${what} found.\n`);
    return;
  }
  const table = exceptionTable(items, { now: env.io.now(), wide: format === 'wide' });
  env.io.out(formatTable(table.headers, table.rows, { noHeaders: options.noHeaders === true }));
}

/** ID, STATE, SEVERITY, LEVEL, AGE, ALERTS, ASSIGNEE, TITLE; wide adds CONCERNS and WHY. */
export function exceptionTable(
  items: readonly ExceptionRecord[],
  options: { now: Date; wide: boolean },
): { headers: string[]; rows: string[][] } {
  return {
    headers: [
      'ID',
      'STATE',
      'SEVERITY',
      'LEVEL',
      'AGE',
      'ALERTS',
      'ASSIGNEE',
      'TITLE',
      ...(options.wide ? ['CONCERNS', 'WHY'] : []),
    ],
    rows: items.map((item) => [
      item.id,
      item.state,
      item.severity,
      item.level ?? '',
      formatAge(item.episodeOpenedAt, options.now),
      `${item.firingAlertCount}/${item.alertCount}`,
      item.assignee ?? '',
      item.title,
      ...(options.wide
        ? [
            item.entities.map((entity) => `${entity.kind}/${entity.name}`).join(' '),
            item.correlationReason
              ? `${item.correlationReason.rule} ${Object.entries(item.correlationReason.shared)
                  .map(([key, value]) => `${key}=${value}`)
                  .join(',')}`
              : item.origin,
          ]
        : []),
    ]),
  };
}

/** `gantry exceptions get ID`: the exception and its timeline (the events on its entities included). */
export async function getException(
  env: CommandEnv,
  id: string,
  options: { team?: string; output?: string },
): Promise<void> {
  const format = options.output ?? 'text';
  checkFormat(format, ['text', 'json', 'yaml']);
  const session = await openSession(env, options.team);
  const timeline = await session.client.request<ExceptionTimeline>(
    'GET',
    `${base(session)}/exceptions/${encodeURIComponent(id)}/timeline`,
  );
  if (format !== 'text') {
    env.io.out((format === 'json' ? toJson : toYaml)(timeline));
    return;
  }
  const e = timeline.exception;
  const lines = [
    `${e.id}  ${e.title}`,
    `state:     ${e.state}${e.mergedInto ? ` (into ${e.mergedInto})` : ''}`,
    `severity:  ${e.severity}${e.level ? `   failure: ${e.level}` : ''}`,
    `opened:    ${e.openedAt}${e.reopenCount > 0 ? `   reopened ${e.reopenCount}× (last ${e.episodeOpenedAt})` : ''}`,
    ...(e.assignee ? [`assignee:  ${e.assignee}`] : []),
    `alerts:    ${e.firingAlertCount} firing of ${e.alertCount}`,
    ...(e.entities.length > 0
      ? [`concerns:  ${e.entities.map((entity) => `${entity.kind}/${entity.name}`).join(' ')}`]
      : []),
    ...(e.correlationReason
      ? [
          `why:       ${e.correlationReason.ruleKind} ${e.correlationReason.rule}: ${Object.entries(
            e.correlationReason.shared,
          )
            .map(([key, value]) => `${key}=${value}`)
            .join(', ')}`,
        ]
      : []),
    ...(e.impact ? [`impact:    ${e.impact}`] : []),
    ...(e.rootCause ? [`cause:     ${e.rootCause}`] : []),
    ...e.followUps.map(
      (f) => `follow-up: [${f.done ? 'x' : ' '}] ${f.title}${f.owner ? ` (${f.owner})` : ''}`,
    ),
    '',
  ];
  env.io.out(lines.join('\n') + '\n');
  env.io.out(
    formatTable(
      ['TIME', 'TYPE', 'ACTOR', 'WHAT'],
      timeline.entries.map((entry) => [
        entry.at,
        entry.type,
        entry.actor,
        `${entry.message}${entry.reason ? ` — ${entry.reason}` : ''}`,
      ]),
      { noHeaders: false },
    ),
  );
  if (timeline.truncated) env.io.err('(the timeline was cut: more entries exist)\n');
}

export type ExceptionAction = 'acknowledge' | 'mitigate' | 'resolve' | 'reopen';

/** `gantry exceptions ack|mitigate|resolve|reopen ID [--reason ...]`. */
export async function actOnException(
  env: CommandEnv,
  action: ExceptionAction,
  id: string,
  options: { team?: string; reason?: string },
): Promise<void> {
  const session = await openSession(env, options.team);
  const record = await session.client.request<ExceptionRecord>(
    'POST',
    `${base(session)}/exceptions/${encodeURIComponent(id)}/${action}`,
    { body: options.reason ? { reason: options.reason } : {} },
  );
  env.io.out(`exception/${record.id} ${record.state}\n`);
}

/** `gantry exceptions assign ID USER` (`-` unassigns). */
export async function assignException(
  env: CommandEnv,
  id: string,
  user: string,
  options: { team?: string; reason?: string },
): Promise<void> {
  const session = await openSession(env, options.team);
  const record = await session.client.request<ExceptionRecord>(
    'POST',
    `${base(session)}/exceptions/${encodeURIComponent(id)}/assign`,
    { body: { assignee: user === '-' ? null : user, ...(options.reason ? { reason: options.reason } : {}) } },
  );
  env.io.out(`exception/${record.id} ${record.assignee ? `assigned to ${record.assignee}` : 'unassigned'}\n`);
}

/** `gantry exceptions comment ID MESSAGE...`. */
export async function commentException(
  env: CommandEnv,
  id: string,
  message: string,
  options: { team?: string },
): Promise<void> {
  if (message.trim() === '') throw new CliError('the comment is empty');
  const session = await openSession(env, options.team);
  const record = await session.client.request<ExceptionRecord>(
    'POST',
    `${base(session)}/exceptions/${encodeURIComponent(id)}/comment`,
    { body: { message } },
  );
  env.io.out(`exception/${record.id} commented\n`);
}

/** `gantry exceptions merge INTO FROM`: FROM's alerts and timeline move into INTO. */
export async function mergeExceptions(
  env: CommandEnv,
  into: string,
  from: string,
  options: { team?: string; reason?: string },
): Promise<void> {
  const session = await openSession(env, options.team);
  const record = await session.client.request<ExceptionRecord>(
    'POST',
    `${base(session)}/exceptions/${encodeURIComponent(into)}/merge`,
    { body: { from, ...(options.reason ? { reason: options.reason } : {}) } },
  );
  env.io.out(`exception/${from} merged into exception/${record.id}\n`);
}
