import type {
  InspectionRunDiff,
  InspectionRunPage,
  InspectionRunWithResults,
  InspectionTemplateList,
  Risk,
  RiskList,
} from '@gantry/model';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatAge, formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession } from '../session.ts';

export interface RisksOptions {
  team?: string;
  /** open (default), gone or all. */
  state?: string;
  /** `Inspection`, `Inspection/<name>`, `Inspection/<name>/<check>`. */
  source?: string;
  /** `Kind/name`, e.g. `Node/worker-1`. */
  entity?: string;
  minScore?: string;
  output?: string;
  noHeaders?: boolean;
}

const PAGE = 1000;
const team = (name: string) => encodeURIComponent(name);

function checkFormat(format: string, allowed: string[]): void {
  if (!allowed.includes(format))
    throw new CliError(`unknown output format "${format}" (one of: ${allowed.join(', ')})`);
}

/** `gantry risks`: a team's risks, highest score first (`GET /api/teams/{team}/risks`, every page). */
export async function risks(env: CommandEnv, options: RisksOptions): Promise<void> {
  const format = options.output ?? 'table';
  checkFormat(format, ['table', 'wide', 'json', 'yaml']);
  const state = options.state ?? 'open';
  if (!['open', 'gone', 'all'].includes(state))
    throw new CliError(`invalid --state "${state}": one of open, gone, all`);
  const session = await openSession(env, options.team);
  const items: Risk[] = [];
  let token: string | undefined;
  do {
    const page = await session.client.request<RiskList>('GET', `/api/teams/${team(session.team)}/risks`, {
      query: {
        state,
        source: options.source,
        entity: options.entity,
        minScore: options.minScore,
        limit: String(PAGE),
        continue: token,
      },
    });
    items.push(...page.items);
    token = page.continue;
  } while (token);
  if (format === 'json' || format === 'yaml') {
    env.io.out((format === 'json' ? toJson : toYaml)({ items }));
    return;
  }
  if (items.length === 0) {
    env.io.err('No risks found.\n');
    return;
  }
  const sorted = [...items].sort((a, b) => b.score - a.score || a.firstSeenAt.localeCompare(b.firstSeenAt));
  const wide = format === 'wide';
  const now = env.io.now();
  env.io.out(
    formatTable(
      ['SCORE', 'STATE', 'SOURCE', 'AGE', 'CONCERNS', 'TITLE', ...(wide ? ['ID', 'LAST SEEN', 'KEY'] : [])],
      sorted.map((risk) => [
        String(risk.score),
        risk.state,
        `${risk.source.kind}/${risk.source.name}/${risk.source.check}`,
        formatAge(risk.firstSeenAt, now),
        risk.entities.map((e) => `${e.kind.toLowerCase()}/${e.name}`).join(' '),
        risk.title,
        ...(wide ? [risk.id, formatAge(risk.lastSeenAt, now), risk.key] : []),
      ]),
      { noHeaders: options.noHeaders === true },
    ),
  );
}

export interface InspectionRunsOptions {
  team?: string;
  limit?: string;
  output?: string;
  noHeaders?: boolean;
}

/** `gantry inspections runs <name>`: its runs, newest first. */
export async function inspectionRuns(
  env: CommandEnv,
  name: string,
  options: InspectionRunsOptions,
): Promise<void> {
  const format = options.output ?? 'table';
  checkFormat(format, ['table', 'json', 'yaml']);
  const session = await openSession(env, options.team);
  const page = await session.client.request<InspectionRunPage>(
    'GET',
    `/api/teams/${team(session.team)}/inspections/${encodeURIComponent(name)}/runs`,
    { query: { limit: options.limit ?? '20' } },
  );
  if (format !== 'table') {
    env.io.out((format === 'json' ? toJson : toYaml)(page));
    return;
  }
  if (page.items.length === 0) {
    env.io.err(`No runs of ${name} yet.\n`);
    return;
  }
  const now = env.io.now();
  env.io.out(
    formatTable(
      ['ID', 'TRIGGER', 'STATE', 'STARTED', 'CHECKS', 'FINDINGS', 'NO DATA', 'FAILED'],
      page.items.map((run) => [
        run.id,
        run.trigger,
        run.state,
        formatAge(run.startedAt, now),
        String(run.counts.checks),
        String(run.counts.findings),
        String(run.counts.noData),
        String(run.counts.failed),
      ]),
      { noHeaders: options.noHeaders === true },
    ),
  );
}

/** `gantry inspections run <name>`: runs it now and prints each check's outcome. */
export async function runInspection(
  env: CommandEnv,
  name: string,
  options: { team?: string; output?: string },
): Promise<void> {
  const format = options.output ?? 'table';
  checkFormat(format, ['table', 'json', 'yaml']);
  const session = await openSession(env, options.team);
  const run = await session.client.request<InspectionRunWithResults>(
    'POST',
    `/api/teams/${team(session.team)}/inspections/${encodeURIComponent(name)}/run`,
  );
  printRun(env, run, format);
}

/** `gantry inspections get-run <id>`. */
export async function getInspectionRun(
  env: CommandEnv,
  id: string,
  options: { team?: string; output?: string },
): Promise<void> {
  const format = options.output ?? 'table';
  checkFormat(format, ['table', 'json', 'yaml']);
  const session = await openSession(env, options.team);
  const run = await session.client.request<InspectionRunWithResults>(
    'GET',
    `/api/teams/${team(session.team)}/inspection-runs/${encodeURIComponent(id)}`,
  );
  printRun(env, run, format);
}

function printRun(env: CommandEnv, run: InspectionRunWithResults, format: string): void {
  if (format !== 'table') {
    env.io.out((format === 'json' ? toJson : toYaml)(run));
    return;
  }
  env.io.out(`run ${run.id} of ${run.inspection}: ${run.state}, ${run.counts.findings} risks found\n`);
  env.io.out(
    formatTable(
      ['CHECK', 'OUTCOME', 'RISKS', 'REASON', 'MESSAGE'],
      run.results.map((result) => [
        result.check,
        result.outcome,
        String(result.findings.length),
        result.reason,
        result.message.replace(/\s+/g, ' '),
      ]),
      {},
    ),
  );
}

/** `gantry inspections diff <run> [--against <run>]`: risks new, gone and changed since the other run. */
export async function diffInspectionRuns(
  env: CommandEnv,
  id: string,
  options: { team?: string; against?: string; output?: string },
): Promise<void> {
  const format = options.output ?? 'table';
  checkFormat(format, ['table', 'json', 'yaml']);
  const session = await openSession(env, options.team);
  const diff = await session.client.request<InspectionRunDiff>(
    'GET',
    `/api/teams/${team(session.team)}/inspection-runs/${encodeURIComponent(id)}/diff`,
    { query: { against: options.against } },
  );
  if (format !== 'table') {
    env.io.out((format === 'json' ? toJson : toYaml)(diff));
    return;
  }
  env.io.out(formatDiff(diff));
}

/** One line per change, `+` new, `-` gone, `~` score changed; then the unchanged count and unknown checks. */
export function formatDiff(diff: InspectionRunDiff): string {
  if (!diff.against) return `run ${diff.run} has no earlier run to compare with\n`;
  const lines = [`run ${diff.run} against ${diff.against}`];
  for (const entry of diff.new) lines.push(`+ [${entry.score}] ${entry.check}: ${entry.title}`);
  for (const entry of diff.gone) lines.push(`- [${entry.score}] ${entry.check}: ${entry.title}`);
  for (const entry of diff.changed)
    lines.push(`~ [${entry.previousScore} → ${entry.score}] ${entry.check}: ${entry.title}`);
  lines.push(`${diff.unchanged} unchanged`);
  if (diff.unknown.length > 0)
    lines.push(`not compared (no verdict in one of the runs): ${diff.unknown.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** `gantry inspections templates [name]`: the built-in inspections as manifests to apply. */
export async function inspectionTemplates(env: CommandEnv, name: string | undefined): Promise<void> {
  const session = await openSession(env);
  const list = await session.client.request<InspectionTemplateList>('GET', '/api/inspection-templates');
  if (name === undefined) {
    env.io.out(
      formatTable(
        ['NAME', 'DESCRIPTION'],
        list.items.map((item) => [item.name, item.description]),
        {},
      ),
    );
    return;
  }
  const template = list.items.find((item) => item.name === name);
  if (!template)
    throw new CliError(
      `no built-in inspection ${name} (one of: ${list.items.map((i) => i.name).join(', ')})`,
    );
  env.io.out(toYaml(template.manifest));
}
