import type {
  CreateJobRunRequest,
  JobOutputChunk,
  JobParameterValue,
  JobRun,
  JobTarget,
  JobTargetState,
  Me,
  TeamRole,
} from '@gantry/client';
import { fieldPathOf, pointerSegments, propertiesOf, type FieldPath, type SchemaField } from './schema-form';

/** Where the jobs pages live in the console. */
export const jobTemplatesPath = '/jobs/templates';
export const jobRunsPath = '/jobs/runs';

export function jobTemplatePath(team: string, name: string): string {
  return `/jobs/teams/${encodeURIComponent(team)}/templates/${encodeURIComponent(name)}`;
}

export function jobRunPath(id: string, target?: string): string {
  const path = `${jobRunsPath}/${encodeURIComponent(id)}`;
  return target ? `${path}?target=${encodeURIComponent(target)}` : path;
}

/** Every target state, in the order a run goes through them, with the colour the grid gives it. */
export const targetStateStyles: Record<JobTargetState, { color: string; background: string; label: string }> =
  {
    queued: { color: '#57606a', background: '#f6f8fa', label: 'queued' },
    dispatched: { color: '#0969da', background: '#ddf4ff', label: 'dispatched' },
    running: { color: '#0550ae', background: '#b6e3ff', label: 'running' },
    succeeded: { color: '#1a7f37', background: '#dafbe1', label: 'succeeded' },
    failed: { color: '#cf222e', background: '#ffebe9', label: 'failed' },
    cancelled: { color: '#6e7781', background: '#eaeef2', label: 'cancelled' },
    lost: { color: '#8250df', background: '#fbefff', label: 'lost' },
    'timed-out': { color: '#9a6700', background: '#fff8c5', label: 'timed out' },
  };

export const targetStateOrder = Object.keys(targetStateStyles) as JobTargetState[];

export const runStateColors: Record<JobRun['state'], string> = {
  Running: 'processing',
  Succeeded: 'success',
  Failed: 'error',
  Cancelled: 'default',
};

/** The run's counts by state, in the grid's order, leaving out the states no target is in. */
export function countsInOrder(counts: Readonly<Record<string, number>>): [JobTargetState, number][] {
  return targetStateOrder
    .map((state): [JobTargetState, number] => [state, counts[state] ?? 0])
    .filter(([, count]) => count > 0);
}

const roleRank: Record<TeamRole, number> = { viewer: 0, operator: 1, 'team-admin': 2 };

/**
 * Whether the caller may run, cancel or re-run in `team`: an operator's for a template, a team-admin's
 * for an ad-hoc script (docs/reference/jobs.md); a platform admin may do both.
 */
export function mayOperate(me: Me | undefined, team: string, adHoc: boolean): boolean {
  if (!me) return false;
  if (me.user.admin) return true;
  const membership = me.teams.find((candidate) => candidate.team === team);
  if (!membership) return false;
  return roleRank[membership.role] >= roleRank[adHoc ? 'team-admin' : 'operator'];
}

/** A target the server's re-run would take again: failed, timed out, lost, or kept from running by the stop. */
export function isRerunnable(target: Pick<JobTarget, 'state' | 'reason'>): boolean {
  return (
    target.state === 'failed' ||
    target.state === 'timed-out' ||
    target.state === 'lost' ||
    target.reason === 'StoppedAfterFailures'
  );
}

export type TargetKind = 'hosts' | 'selector' | 'cluster';

/** What the run form holds besides the parameters (which are the schema form's, under `parameters`). */
export interface RunFormValues {
  readonly targetKind: TargetKind;
  readonly hosts?: readonly string[];
  readonly selector?: string;
  readonly cluster?: string;
  readonly concurrency?: number | null;
  readonly batchSize?: number | null;
  readonly stopAfterFailures?: number | null;
  readonly parameters?: unknown;
}

/** The run request for the form's values: the parameters the user set, and the one kind of target picked. */
export function runRequestOf(
  team: string,
  template: string,
  fields: readonly SchemaField[],
  values: RunFormValues,
): CreateJobRunRequest {
  const parameters = propertiesOf(fields, values.parameters) as Record<string, JobParameterValue>;
  const targets: CreateJobRunRequest['targets'] =
    values.targetKind === 'hosts'
      ? { hosts: (values.hosts ?? []).map((host) => host.trim()).filter(Boolean) }
      : values.targetKind === 'selector'
        ? { selector: (values.selector ?? '').trim() }
        : { cluster: values.cluster ?? '' };
  return {
    team,
    template,
    parameters,
    targets,
    concurrency: values.concurrency ?? 50,
    ...(values.batchSize ? { batchSize: values.batchSize } : {}),
    ...(values.stopAfterFailures ? { stopAfterFailures: values.stopAfterFailures } : {}),
  };
}

const requestFields: Record<string, FieldPath> = {
  concurrency: ['concurrency'],
  batchSize: ['batchSize'],
  stopAfterFailures: ['stopAfterFailures'],
};

/**
 * The run form's field a refusal's path (a JSON pointer into the request) is about: a parameter (the
 * schema form's field under `parameters`), the hosts, selector or cluster, or a number of the run.
 * `undefined` when the form has no field for it; the page lists those above the form.
 */
export function runFieldOf(
  pointer: string,
  fields: readonly SchemaField[],
  targetKind: TargetKind,
): FieldPath | undefined {
  const [head, ...rest] = pointerSegments(pointer);
  if (head === 'parameters') {
    if (rest.length === 0) return undefined;
    const inner = fieldPathOf(fields, rest);
    return inner ? ['parameters', ...inner] : undefined;
  }
  if (head === 'targets') {
    const [kind] = rest;
    if (kind === 'hosts' || kind === 'selector' || kind === 'cluster') return [kind];
    return [targetKind];
  }
  return typeof head === 'string' ? requestFields[head] : undefined;
}

/** A run of output of one stream, as the log viewer shows it. */
export interface LogSegment {
  readonly id: number;
  readonly stream: JobOutputChunk['stream'];
  readonly attempt: number;
  readonly text: string;
}

/**
 * Adds new chunks to a target's log: in the server's order (`id`), once each (a chunk read twice, after
 * a retried request, is dropped), with a header line whenever a new attempt starts.
 */
export function appendOutput(log: readonly LogSegment[], chunks: readonly JobOutputChunk[]): LogSegment[] {
  const next = [...log];
  let lastId = log.at(-1)?.id ?? 0;
  let attempt = log.at(-1)?.attempt ?? 0;
  for (const chunk of [...chunks].sort((a, b) => a.id - b.id)) {
    if (chunk.id <= lastId) continue;
    if (attempt !== 0 && chunk.attempt !== attempt)
      next.push({
        id: chunk.id - 0.5,
        stream: 'system',
        attempt: chunk.attempt,
        text: `--- attempt ${chunk.attempt} ---\n`,
      });
    next.push({ id: chunk.id, stream: chunk.stream, attempt: chunk.attempt, text: chunk.data });
    lastId = chunk.id;
    attempt = chunk.attempt;
  }
  return next;
}

/** "1.2s", "3m 4s": how long a target ran. */
export function formatDuration(from: string | null, to: string | null, now = Date.now()): string {
  if (!from) return '—';
  const ms = Math.max(0, (to ? Date.parse(to) : now) - Date.parse(from));
  if (Number.isNaN(ms)) return '—';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** A template's `touches` as one line: the list form as is, the object form bound by bound. */
export function touchesText(touches: readonly string[] | TouchesObject | undefined): string {
  if (!touches) return '—';
  if (Array.isArray(touches)) return touches.join(', ') || '—';
  const object = touches as TouchesObject;
  const parts: string[] = [];
  if (object.hosts !== undefined) parts.push(`hosts ${object.hosts}`);
  if (object.clusters) parts.push(`clusters ${object.clusters.join(', ')}`);
  if (object.paths) parts.push(`paths ${object.paths.join(', ')}`);
  if (object.limits)
    parts.push(
      `limits ${Object.entries(object.limits)
        .map(([name, value]) => `${name}=${String(value)}`)
        .join(', ')}`,
    );
  return parts.join('; ') || '—';
}

interface TouchesObject {
  hosts?: string | undefined;
  clusters?: readonly string[] | undefined;
  paths?: readonly string[] | undefined;
  limits?: Readonly<Record<string, number | undefined>> | undefined;
}
