import type {
  DiagnosisTreeSpec,
  HealingDryRunRequest,
  HealingDryRunResult,
  HealingPolicySpec,
  HealingRun,
  HealingRunList,
  HealingRunSummary,
  HealingScorecardList,
  HealingStats,
} from '@gantry/model';
import { formatDuration } from '../duration.ts';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatProblem, readManifests } from '../manifests.ts';
import { formatAge, formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession } from '../session.ts';
import { parseSince } from './stats.ts';

function checkFormat(format: string, allowed: readonly string[]): void {
  if (!allowed.includes(format))
    throw new CliError(`unknown output format "${format}" (one of: ${allowed.join(', ')})`);
}

const base = (team: string) => `/api/teams/${encodeURIComponent(team)}/healing`;

/** `--since 2h` (back from now) or an RFC 3339 time, as the API takes it. */
export function sinceTime(text: string | undefined, now: Date): string | undefined {
  if (text === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new CliError(`invalid time "${text}": RFC 3339`);
    return new Date(ms).toISOString();
  }
  return new Date(now.getTime() - parseSince(text)).toISOString();
}

function short(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** ID, POLICY, ENTITY, PHASE, RUNG, ROOT CAUSE, ACTION, AGE, MESSAGE (approval's expiry when waiting). */
export function runsTable(
  items: readonly HealingRunSummary[],
  now: Date,
): { headers: string[]; rows: string[][] } {
  return {
    headers: ['ID', 'POLICY', 'ENTITY', 'PHASE', 'RUNG', 'ROOT CAUSE', 'ACTION', 'AGE', 'MESSAGE'],
    rows: items.map((run) => [
      run.id,
      run.policy,
      run.entity,
      run.mode === 'Shadow' && run.phase === 'Shadowed' ? 'Shadowed' : run.phase,
      run.rung < 0 ? '-' : String(run.rung + 1),
      run.rootCause ?? '',
      run.chosen ?? '',
      formatAge(run.createdAt, now),
      run.awaitingApproval
        ? `approve ${run.awaitingApproval.action} before ${run.awaitingApproval.expiresAt}`
        : run.message,
    ]),
  };
}

export interface HealRunsOptions {
  team?: string;
  policy?: string;
  state?: string;
  phase?: string;
  entity?: string;
  since?: string;
  until?: string;
  limit?: string;
  output?: string;
  noHeaders?: boolean;
}

/** `gantry heal runs`: the team's healing runs, newest first, following continue tokens up to --limit. */
export async function listRuns(env: CommandEnv, options: HealRunsOptions): Promise<void> {
  const format = options.output ?? 'table';
  checkFormat(format, ['table', 'json', 'yaml', 'name']);
  const limit = options.limit === undefined ? 50 : Number(options.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new CliError(`invalid --limit "${options.limit}"`);
  const session = await openSession(env, options.team);
  const now = env.io.now();
  const items: HealingRunSummary[] = [];
  let token: string | undefined;
  do {
    const page: HealingRunList = await session.client.request<HealingRunList>(
      'GET',
      `${base(session.team)}/runs`,
      {
        query: {
          policy: options.policy,
          state: options.state,
          phase: options.phase,
          entity: options.entity,
          since: sinceTime(options.since, now),
          until: sinceTime(options.until, now),
          limit: String(Math.min(500, limit - items.length)),
          continue: token,
        },
      },
    );
    items.push(...page.items);
    token = page.continue;
  } while (token && items.length < limit);
  if (format === 'json' || format === 'yaml') {
    env.io.out((format === 'json' ? toJson : toYaml)({ items }));
    return;
  }
  if (format === 'name') {
    env.io.out(items.map((run) => `healingrun/${run.id}\n`).join(''));
    return;
  }
  if (items.length === 0) {
    env.io.err(`No healing runs found in team ${session.team}.\n`);
    return;
  }
  const table = runsTable(items, now);
  env.io.out(formatTable(table.headers, table.rows, { noHeaders: options.noHeaders === true }));
}

/** The run as people read it: what triggered it, the path through the tree with the values seen, what it did. */
export function describeRun(run: HealingRun): string {
  const out: string[] = [
    `Run:         ${run.id}`,
    `Policy:      ${run.policy} (${run.mode})`,
    `Entity:      ${run.entity}${run.domain ? ` in ${run.domain}` : ''}`,
    `Trigger:     ${run.trigger.kind} ${run.trigger.id} since ${run.trigger.since}`,
    `Phase:       ${run.phase}${run.endedAt ? ` (ended ${run.endedAt})` : ''}`,
    `Reason:      ${run.reason}: ${run.message}`,
    `Created:     ${run.createdAt}`,
  ];
  const diagnosis = run.diagnosis;
  if (diagnosis) {
    out.push('', `Diagnosis:   ${diagnosis.tree} — ${diagnosis.reason}: ${diagnosis.message}`);
    if (diagnosis.conclusion)
      out.push(
        `Root cause:  ${diagnosis.conclusion.rootCause} → ${diagnosis.conclusion.action}` +
          (diagnosis.conclusion.summary ? ` (${diagnosis.conclusion.summary})` : ''),
      );
    if (diagnosis.failed)
      out.push(
        `Failed at:   ${diagnosis.failed.evidence ?? diagnosis.failed.step ?? ''}: ${diagnosis.failed.reason} ${diagnosis.failed.message}`,
      );
    out.push('Path:');
    for (const entry of diagnosis.path) {
      const tried = entry.tried.map((t) => `[${t.index}] ${t.when} = ${String(t.result)}`).join('; ');
      out.push(
        `  ${entry.step}: took ${entry.branch === 'otherwise' ? 'otherwise' : `branch ${entry.branch}`}` +
          `${entry.next ? ` → ${entry.next}` : ''}${tried ? `  (${tried})` : ''}`,
      );
    }
    if (diagnosis.evidence.length > 0) {
      out.push('Evidence:');
      out.push(
        formatTable(
          ['NAME', 'TYPE', 'OK', 'VALUE'],
          diagnosis.evidence.map((e) => [
            e.name,
            e.type,
            e.ok ? 'yes' : 'no',
            e.ok ? short(e.value ?? {}) : `${e.reason ?? ''}: ${e.message ?? ''}`,
          ]),
          { noHeaders: false },
        ).trimEnd(),
      );
    }
  }
  if (run.approvals.length > 0) {
    out.push('', 'Approvals:');
    for (const a of run.approvals)
      out.push(
        `  ${a.action}: ${a.decision ? `${a.decision} by ${a.decidedBy} at ${a.decidedAt}${a.reason ? `: ${a.reason}` : ''}` : `waiting until ${a.expiresAt}`}`,
      );
  }
  if (run.actions.length > 0) {
    out.push('', 'Actions:');
    out.push(
      formatTable(
        ['RUNG', 'ACTION', 'STATE', 'STARTED', 'ENDED', 'CHANGE', 'MESSAGE'],
        run.actions.map((a) => [
          String(a.rung + 1),
          a.action,
          a.state,
          a.startedAt,
          a.endedAt ?? '',
          a.handle ?? '',
          a.message ?? '',
        ]),
        { noHeaders: false },
      ).trimEnd(),
    );
  }
  if (run.verifications.length > 0) {
    out.push('', 'Verifications:');
    for (const v of run.verifications)
      out.push(`  ${v.at} rung ${v.rung + 1}: ${v.healed ? 'healed' : 'not healed'} — ${v.message}`);
  }
  if (run.decisions.length > 0) {
    out.push('', 'Decisions:');
    for (const d of run.decisions) out.push(`  ${d.at} ${d.stage} ${d.reason}: ${d.message}`);
  }
  return `${out.join('\n')}\n`;
}

/** `gantry heal get ID`: one run described (or as JSON/YAML). */
export async function getRun(
  env: CommandEnv,
  id: string,
  options: { team?: string; output?: string },
): Promise<void> {
  const format = options.output ?? 'describe';
  checkFormat(format, ['describe', 'json', 'yaml']);
  const session = await openSession(env, options.team);
  const run = await session.client.request<HealingRun>(
    'GET',
    `${base(session.team)}/runs/${encodeURIComponent(id)}`,
  );
  env.io.out(format === 'describe' ? describeRun(run) : (format === 'json' ? toJson : toYaml)(run));
}

/** `gantry heal approve|reject ID --reason`: decide the action a run waits for (recorded with who). */
export async function decideRun(
  env: CommandEnv,
  id: string,
  verb: 'approve' | 'reject',
  options: { team?: string; reason?: string },
): Promise<void> {
  if (!options.reason?.trim()) throw new CliError('--reason is required: why (recorded with who)');
  const session = await openSession(env, options.team);
  const run = await session.client.request<HealingRun>(
    'POST',
    `${base(session.team)}/runs/${encodeURIComponent(id)}/${verb}`,
    { body: { reason: options.reason } },
  );
  const approval = run.approvals.at(-1);
  env.io.out(`healing run ${run.id}: ${approval?.action ?? 'action'} ${approval?.decision ?? verb}\n`);
}

export interface DryRunOptions {
  team?: string;
  policy?: string;
  file?: string[];
  exception?: string;
  alert?: string;
  risk?: string;
  title?: string;
  entity?: string[];
  output?: string;
}

/** `Node/east/n1`, `Host/h1`, `Workload/east/ns/name`, `Application/app` → an entity reference. */
export function parseEntity(text: string): NonNullable<HealingDryRunRequest['trigger']['entities']>[number] {
  const [kind, ...rest] = text.split('/');
  if (kind === 'Node' && rest.length === 2) return { kind, cluster: rest[0]!, name: rest[1]! };
  if ((kind === 'Host' || kind === 'Application') && rest.length === 1) return { kind, name: rest[0]! };
  if (kind === 'Workload' && rest.length === 3)
    return { kind, cluster: rest[0]!, namespace: rest[1]!, name: rest[2]! };
  throw new CliError(
    `invalid --entity "${text}": Node/<cluster>/<name>, Host/<name>, Workload/<cluster>/<ns>/<name> or Application/<name>`,
  );
}

/** The dry run's request from the flags: a live trigger (--exception/--alert/--risk) or an inline one. */
export async function dryRunRequest(env: CommandEnv, options: DryRunOptions): Promise<HealingDryRunRequest> {
  const live = (
    [
      ['exception', options.exception],
      ['alert', options.alert],
      ['risk', options.risk],
    ] as const
  ).filter(([, id]) => id !== undefined);
  if (live.length > 1) throw new CliError('give one of --exception, --alert and --risk');
  let trigger: HealingDryRunRequest['trigger'];
  if (live.length === 1) {
    if (options.title !== undefined || options.entity?.length)
      throw new CliError(
        '--title and --entity describe an inline trigger: not with --exception/--alert/--risk',
      );
    trigger = { kind: live[0]![0], id: live[0]![1]! };
  } else {
    if (options.title === undefined || !options.entity?.length)
      throw new CliError(
        'name a trigger: --exception ID (or --alert, --risk), or --title TEXT with at least one --entity',
      );
    trigger = {
      kind: 'exception',
      binding: { title: options.title, severity: 'major', state: 'open' },
      entities: options.entity.map(parseEntity),
    };
  }
  const request: HealingDryRunRequest = { trigger };
  if (options.policy) request.policy = options.policy;
  if (options.file?.length) {
    const set = await readManifests(options.file, () => env.io.readStdin());
    if (set.problems.length > 0) throw new CliError(set.problems.map(formatProblem).join('\n'));
    const policies = set.manifests.filter((m) => m.object.kind === 'HealingPolicy');
    const trees = set.manifests.filter((m) => m.object.kind === 'DiagnosisTree');
    if (policies.length !== 1 || trees.length > 1 || policies.length + trees.length !== set.manifests.length)
      throw new CliError('-f takes one HealingPolicy and at most one DiagnosisTree');
    request.spec = policies[0]!.object.spec as HealingPolicySpec;
    if (!request.policy) request.policy = policies[0]!.object.metadata.name;
    if (trees[0])
      request.tree = { name: trees[0].object.metadata.name, spec: trees[0].object.spec as DiagnosisTreeSpec };
  }
  return request;
}

/** A match of the dry run as lines: policy, verdict and action, then the path with what each branch gave. */
export function describeDryRun(result: HealingDryRunResult): string {
  if (result.matches.length === 0)
    return `No policy matches (tried: ${result.considered.join(', ') || 'none'}).\n`;
  const out: string[] = [];
  for (const match of result.matches) {
    const entity = [match.entity.kind, match.entity.cluster, match.entity.namespace, match.entity.name]
      .filter(Boolean)
      .join('/');
    out.push(`${match.policy} (${match.mode}) on ${entity}: ${match.verdict} — ${match.message}`);
    if (match.action) out.push(`  action: ${match.action.name} ${short(actionKind(match.action), 80)}`);
    for (const entry of match.diagnosis.path)
      out.push(
        `  ${entry.step}: ${entry.branch === 'otherwise' ? 'otherwise' : `branch ${entry.branch}`}` +
          `${entry.next ? ` → ${entry.next}` : ''}` +
          `  (${entry.tried.map((t) => `${t.when} = ${String(t.result)}`).join('; ') || 'no branches'})`,
      );
    if (match.diagnosis.conclusion)
      out.push(
        `  conclusion: ${match.diagnosis.conclusion.rootCause} → ${match.diagnosis.conclusion.action}`,
      );
    if (match.diagnosis.failed)
      out.push(`  stopped: ${match.diagnosis.failed.reason}: ${match.diagnosis.failed.message}`);
    for (const e of match.diagnosis.evidence)
      out.push(
        `  evidence ${e.name} (${e.type}): ${e.ok ? short(e.value ?? {}) : `failed ${e.reason ?? ''}`}`,
      );
  }
  out.push('Guardrails (rates, in flight, healthy share) are not checked by a dry run; nothing was done.');
  return `${out.join('\n')}\n`;
}

function actionKind(action: NonNullable<HealingDryRunResult['matches'][number]['action']>): unknown {
  const { name: _name, risky: _risky, timeout: _timeout, ...kind } = action;
  return kind;
}

/** `gantry heal dry-run`: which policy matches, the path through the tree, the action it would take. */
export async function dryRun(env: CommandEnv, options: DryRunOptions): Promise<void> {
  const format = options.output ?? 'describe';
  checkFormat(format, ['describe', 'json', 'yaml']);
  const request = await dryRunRequest(env, options);
  const session = await openSession(env, options.team);
  const result = await session.client.request<HealingDryRunResult>('POST', `${base(session.team)}/dry-run`, {
    body: request,
  });
  env.io.out(format === 'describe' ? describeDryRun(result) : (format === 'json' ? toJson : toYaml)(result));
}

function percent(share: number | undefined): string {
  return share === undefined ? '-' : `${(share * 100).toFixed(1)}%`;
}

/** Mean, p50 and p90 of a set of recoveries, and how many. */
function mttr(figures: NonNullable<HealingStats['recovery']>['withHealing']): string {
  const time = (ms: number | undefined) => (ms === undefined ? '-' : formatDuration(ms));
  return `mean ${time(figures.meanMs)}, p50 ${time(figures.p50Ms)}, p90 ${time(figures.p90Ms)} over ${figures.count}`;
}

/** The statistics as a few lines and two tables (root causes, actions). */
export function describeStats(stats: HealingStats): string {
  const ended = Object.entries(stats.byOutcome)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([phase, n]) => `${phase} ${n}`)
    .join(', ');
  const ttr = stats.timeToRecovery;
  const out = [
    `${stats.since} → ${stats.until}${stats.truncated ? ' (truncated: the oldest runs left out)' : ''}`,
    `Runs:          ${stats.runs} (${stats.active} live)${ended ? `; ended: ${ended}` : ''}`,
    `Auto-healed:   ${percent(stats.autoHealed.share)} (${stats.autoHealed.healed} healed, ${stats.autoHealed.handedToPeople} handed to people)`,
    `Recovery:      p50 ${ttr.p50Ms === undefined ? '-' : formatDuration(ttr.p50Ms)}, p90 ${ttr.p90Ms === undefined ? '-' : formatDuration(ttr.p90Ms)} over ${ttr.count} healed`,
    ...(stats.recovery
      ? [
          `MTTR healed:   ${mttr(stats.recovery.withHealing)} (exceptions a run healed)`,
          `MTTR others:   ${mttr(stats.recovery.withoutHealing)} (the other exceptions resolved, by people)`,
        ]
      : []),
    `Escalations:   ${stats.escalations.total}${
      stats.escalations.total > 0
        ? ` (${Object.entries(stats.escalations.byReason)
            .map(([reason, n]) => `${reason} ${n}`)
            .join(', ')})`
        : ''
    }`,
    '',
  ];
  if (stats.byRootCause.length > 0)
    out.push(
      formatTable(
        ['ROOT CAUSE', 'RUNS', 'HEALED'],
        stats.byRootCause.map((c) => [c.rootCause, String(c.runs), String(c.healed)]),
        { noHeaders: false },
      ),
    );
  if (stats.actions.length > 0)
    out.push(
      formatTable(
        ['ACTION', 'STARTED', 'SUCCEEDED', 'FAILED', 'SUCCESS'],
        stats.actions.map((a) => [
          a.action,
          String(a.started),
          String(a.succeeded),
          String(a.failed),
          percent(a.successRate),
        ]),
        { noHeaders: false },
      ),
    );
  return out.join('\n');
}

/** `gantry heal stats`: healing statistics over --since (default 7d). */
export async function showStats(
  env: CommandEnv,
  options: { team?: string; since?: string; policy?: string; output?: string },
): Promise<void> {
  const format = options.output ?? 'describe';
  checkFormat(format, ['describe', 'json', 'yaml']);
  const session = await openSession(env, options.team);
  const stats = await session.client.request<HealingStats>('GET', `${base(session.team)}/stats`, {
    query: { since: sinceTime(options.since, env.io.now()), policy: options.policy },
  });
  env.io.out(format === 'describe' ? describeStats(stats) : (format === 'json' ? toJson : toYaml)(stats));
}

/** `gantry heal scorecard`: each shadow-mode policy, what it would have run and what became of the triggers. */
export async function showScorecard(
  env: CommandEnv,
  options: { team?: string; since?: string; output?: string; noHeaders?: boolean },
): Promise<void> {
  const format = options.output ?? 'table';
  checkFormat(format, ['table', 'json', 'yaml']);
  const session = await openSession(env, options.team);
  const list = await session.client.request<HealingScorecardList>('GET', `${base(session.team)}/scorecard`, {
    query: { since: sinceTime(options.since, env.io.now()) },
  });
  if (format !== 'table') {
    env.io.out((format === 'json' ? toJson : toYaml)(list));
    return;
  }
  if (list.items.length === 0) {
    env.io.err(`No shadow-mode policies or runs in team ${session.team}.\n`);
    return;
  }
  env.io.out(
    formatTable(
      ['POLICY', 'MODE', 'RUNS', 'WOULD RUN', 'RESOLVED ANYWAY', 'STILL ACTIVE', 'INCOMPLETE'],
      list.items.map((card) => [
        card.policy,
        card.mode ?? '(deleted)',
        String(card.runs),
        Object.entries(card.wouldRun)
          .map(([action, n]) => `${action}×${n}`)
          .join(' '),
        String(card.resolvedWithoutAction),
        String(card.stillActive),
        String(card.diagnosisIncomplete),
      ]),
      { noHeaders: options.noHeaders === true },
    ),
  );
}
