import { readFile } from 'node:fs/promises';
import type {
  CreateJobRunRequest,
  JobOutputPage,
  JobParameterSchema,
  JobParameterValue,
  JobRun,
  JobRunPage,
  JobRunWithTargets,
  JobTemplateSpec,
  Resource,
} from '@gantry/client';
import { CliError, ReportedFailure } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatAge, formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession, type Session } from '../session.ts';

export interface RunOptions {
  team?: string;
  hosts?: string;
  selector?: string;
  cluster?: string;
  concurrency?: string;
  batchSize?: string;
  stopAfterFailures?: string;
  /** An ad-hoc script file instead of a template (team-admins). */
  scriptFile?: string;
  interpreter?: string;
  timeout?: string;
  follow?: boolean;
  output?: string;
}

/**
 * `gantry run TEMPLATE --hosts a,b | --selector S | --cluster C [--PARAM VALUE ...]`: starts a run; the
 * template's parameter schema gives the flags (`--name value`, `--flag` / `--no-flag` for booleans).
 * With `-f` it follows the output and exits 1 unless every target succeeded.
 */
export async function runJob(
  env: CommandEnv,
  template: string | undefined,
  parameterArgs: readonly string[],
  options: RunOptions,
): Promise<void> {
  const session = await openSession(env, options.team);
  const targets = targetsFrom(options);
  const body: CreateJobRunRequest = {
    team: session.team,
    parameters: {},
    targets,
    concurrency: integer(options.concurrency, '--concurrency') ?? 50,
  };
  const batchSize = integer(options.batchSize, '--batch-size');
  if (batchSize !== undefined) body.batchSize = batchSize;
  const stopAfter = integer(options.stopAfterFailures, '--stop-after-failures');
  if (stopAfter !== undefined) body.stopAfterFailures = stopAfter;
  if (options.scriptFile !== undefined) {
    if (template !== undefined) throw new CliError('give a template or --script-file, not both');
    const interpreter = options.interpreter ?? 'sh';
    if (interpreter !== 'sh' && interpreter !== 'bash' && interpreter !== 'python3')
      throw new CliError(`--interpreter must be sh, bash or python3 (got ${interpreter})`);
    body.script = { interpreter, source: await readFile(options.scriptFile, 'utf8') };
    const timeout = integer(options.timeout, '--timeout');
    if (timeout !== undefined) body.timeoutSeconds = timeout;
    if (parameterArgs.length > 0)
      throw new CliError(`an ad-hoc script takes no parameters (got ${parameterArgs.join(' ')})`);
  } else {
    if (template === undefined)
      throw new CliError('name a template (gantry run TEMPLATE ...) or give --script-file');
    body.template = template;
    const found = await session.client.request<Resource & { spec: JobTemplateSpec }>(
      'GET',
      `/apis/gantry.dev/v1alpha1/teams/${encodeURIComponent(session.team)}/jobtemplates/${encodeURIComponent(template)}`,
    );
    body.parameters = parseParameterFlags(found.spec.parameters, parameterArgs);
  }
  const run = await session.client.request<JobRun>('POST', '/api/jobs/runs', { body });
  if (!options.follow) {
    printRun(env, run, options.output);
    return;
  }
  env.io.err(`jobrun/${run.id} started on ${describeTargets(run)}\n`);
  await followOutput(env, session, run.id, undefined);
  const ended = await session.client.request<JobRunWithTargets>('GET', `/api/jobs/runs/${run.id}`);
  env.io.err(`jobrun/${run.id} ${ended.state}: ${countsText(ended.counts)}\n`);
  if (ended.state !== 'Succeeded') throw new ReportedFailure(1);
}

/** The template's parameters from `--name value`, `--name=value`, `--flag` and `--no-flag`. */
export function parseParameterFlags(
  schema: JobParameterSchema | undefined,
  args: readonly string[],
): Record<string, JobParameterValue> {
  const properties = schema?.properties ?? {};
  const known = Object.keys(properties);
  const flagList = () =>
    known.length === 0
      ? 'it takes none'
      : `its flags: ${known.map((n) => `--${n.replace(/_/g, '-')}`).join(', ')}`;
  const values: Record<string, JobParameterValue> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new CliError(`unexpected argument "${arg}"`);
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    let name = rawName.replace(/-/g, '_');
    let negated = false;
    if (!(name in properties) && name.startsWith('no_') && properties[name.slice(3)]?.type === 'boolean') {
      name = name.slice(3);
      negated = true;
    }
    const parameter = properties[name];
    if (!parameter) throw new CliError(`unknown parameter --${rawName} for this template; ${flagList()}`);
    if (parameter.type === 'boolean') {
      if (inline === undefined) values[name] = !negated;
      else if (inline === 'true' || inline === 'false') values[name] = inline === 'true';
      else throw new CliError(`--${rawName} takes true or false (got ${inline})`);
      continue;
    }
    const text = inline ?? args[++i];
    if (text === undefined) throw new CliError(`--${rawName} needs a value`);
    if (parameter.type === 'string') values[name] = text;
    else {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n) || (parameter.type === 'integer' && !Number.isInteger(n)))
        throw new CliError(
          `--${rawName} takes ${parameter.type === 'integer' ? 'an integer' : 'a number'} (got ${text})`,
        );
      values[name] = n;
    }
  }
  return values;
}

function targetsFrom(options: RunOptions): CreateJobRunRequest['targets'] {
  const given = [options.hosts, options.selector, options.cluster].filter((v) => v !== undefined).length;
  if (given !== 1) throw new CliError('give exactly one of --hosts, --selector or --cluster');
  if (options.hosts !== undefined)
    return {
      hosts: options.hosts
        .split(',')
        .map((h) => h.trim())
        .filter((h) => h !== ''),
    };
  if (options.selector !== undefined) return { selector: options.selector };
  return { cluster: options.cluster! };
}

function integer(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} must be a positive integer (got ${text})`);
  return n;
}

export interface ListJobsOptions {
  team?: string;
  allTeams?: boolean;
  template?: string;
  state?: string;
  host?: string;
  limit?: string;
  output?: string;
  noHeaders?: boolean;
}

/** `gantry jobs list` (alias `gantry jobs runs`): runs, newest first; `--host` those that ran on a host. */
export async function listJobs(env: CommandEnv, options: ListJobsOptions): Promise<void> {
  const session = await openSession(env, options.team);
  const page = await session.client.request<JobRunPage>('GET', '/api/jobs/runs', {
    query: {
      ...(options.allTeams ? {} : { team: session.team }),
      ...(options.template ? { template: options.template } : {}),
      ...(options.state ? { state: options.state } : {}),
      ...(options.host ? { host: options.host } : {}),
      limit: String(integer(options.limit, '--limit') ?? 50),
    },
  });
  if (options.output === 'json' || options.output === 'yaml') {
    env.io.out((options.output === 'json' ? toJson : toYaml)(page));
    return;
  }
  if (page.items.length === 0) {
    env.io.err('No job runs found.\n');
    return;
  }
  const now = env.io.now();
  env.io.out(
    formatTable(
      ['ID', ...(options.allTeams ? ['TEAM'] : []), 'TEMPLATE', 'STATE', 'TARGETS', 'BY', 'AGE'],
      page.items.map((run) => [
        run.id,
        ...(options.allTeams ? [run.team] : []),
        run.template || '(script)',
        run.state,
        countsText(run.counts),
        run.createdBy,
        formatAge(run.createdAt, now),
      ]),
      { noHeaders: options.noHeaders === true },
    ),
  );
}

/** `gantry jobs get ID`: the run and a row per target. */
export async function getJob(env: CommandEnv, id: string, options: { output?: string }): Promise<void> {
  const session = await openSession(env);
  const run = await session.client.request<JobRunWithTargets>(
    'GET',
    `/api/jobs/runs/${encodeURIComponent(id)}`,
  );
  if (options.output === 'json' || options.output === 'yaml') {
    env.io.out((options.output === 'json' ? toJson : toYaml)(run));
    return;
  }
  env.io.out(
    [
      `ID:           ${run.id}`,
      `Team:         ${run.team}`,
      `Template:     ${run.template || '(ad-hoc script)'}${run.templateVersion ? ` (resourceVersion ${run.templateVersion})` : ''}`,
      `Script:       sha256:${run.scriptSha256}`,
      `State:        ${run.state} (${run.reason})${run.cancelRequested && run.state === 'Running' ? ', cancelling' : ''}`,
      `Created by:   ${run.createdBy}${run.schedule ? ` (schedule ${run.schedule})` : ''} at ${run.createdAt}`,
      ...(run.rerunOf ? [`Re-run of:    ${run.rerunOf}`] : []),
      `Parameters:   ${
        Object.entries(run.parameters)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ') || '(none)'
      }`,
      '',
    ].join('\n') + '\n',
  );
  env.io.out(
    formatTable(
      ['TARGET', 'STATE', 'REASON', 'EXIT', 'ATTEMPT', 'OUTPUT', 'MESSAGE'],
      run.targetList.map((t) => [
        t.target,
        t.state,
        t.reason,
        t.exitCode === null ? (t.signal ?? '') : String(t.exitCode),
        String(t.attempt),
        `${t.outputBytes}B${t.truncated ? ' (cut)' : ''}`,
        t.message,
      ]),
      { noHeaders: false },
    ),
  );
}

/** `gantry jobs logs ID [-f] [--target T]`: the output, each line prefixed by its target when there are several. */
export async function jobLogs(
  env: CommandEnv,
  id: string,
  options: { follow?: boolean; target?: string },
): Promise<void> {
  const session = await openSession(env);
  await followOutput(env, session, id, options.target, options.follow === true);
}

async function followOutput(
  env: CommandEnv,
  session: Session,
  id: string,
  target: string | undefined,
  follow = true,
): Promise<void> {
  let cursor = 0;
  const partial = new Map<string, string>();
  // Lines carry their target's name when the run has several (whichever target's output comes first).
  const prefix =
    target === undefined &&
    (await session.client.request<JobRunWithTargets>('GET', `/api/jobs/runs/${encodeURIComponent(id)}`))
      .targetList.length > 1;
  for (;;) {
    const page = await session.client.request<JobOutputPage>(
      'GET',
      `/api/jobs/runs/${encodeURIComponent(id)}/output`,
      {
        query: {
          after: String(cursor),
          ...(target ? { target } : {}),
          ...(follow ? { waitSeconds: '20' } : {}),
        },
      },
    );
    for (const chunk of page.chunks) {
      const key = `${chunk.target}\u0000${chunk.stream}`;
      const text = (partial.get(key) ?? '') + chunk.data;
      const lines = text.split('\n');
      partial.set(key, lines.pop()!);
      for (const line of lines)
        write(env, chunk.stream, prefix ? `[${chunk.target}] ${line}\n` : `${line}\n`);
    }
    cursor = page.cursor;
    if (page.done || (!follow && page.chunks.length === 0)) break;
  }
  for (const [key, rest] of partial) {
    if (rest === '') continue;
    const [name, stream] = key.split('\u0000') as [string, string];
    write(env, stream, prefix ? `[${name}] ${rest}\n` : `${rest}\n`);
  }
}

function write(env: CommandEnv, stream: string, text: string): void {
  if (stream === 'stdout') env.io.out(text);
  else env.io.err(text);
}

/** `gantry jobs cancel ID`. */
export async function cancelJob(env: CommandEnv, id: string): Promise<void> {
  const session = await openSession(env);
  const run = await session.client.request<JobRun>('POST', `/api/jobs/runs/${encodeURIComponent(id)}/cancel`);
  env.io.out(`jobrun/${run.id} cancelling\n`);
}

/** `gantry jobs rerun ID`: its failed targets, as a new run. */
export async function rerunJob(env: CommandEnv, id: string, options: { output?: string }): Promise<void> {
  const session = await openSession(env);
  const run = await session.client.request<JobRun>(
    'POST',
    `/api/jobs/runs/${encodeURIComponent(id)}/rerun-failed`,
  );
  printRun(env, run, options.output);
}

function printRun(env: CommandEnv, run: JobRun, output: string | undefined): void {
  if (output === 'json' || output === 'yaml') env.io.out((output === 'json' ? toJson : toYaml)(run));
  else if (output === 'name') env.io.out(`jobrun/${run.id}\n`);
  else
    env.io.out(
      `jobrun/${run.id} created on ${describeTargets(run)}${run.rerunOf ? ` (re-run of ${run.rerunOf})` : ''}\n`,
    );
}

function describeTargets(run: JobRun): string {
  const total = Object.values(run.counts).reduce((a, b) => a + b, 0);
  return `${total} target${total === 1 ? '' : 's'}`;
}

function countsText(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([state, n]) => `${n} ${state}`)
      .join(', ') || '-'
  );
}
