import { applicationSelector, type Resource } from '@gantry/client';
import type { ChangeActionRecord, ChangeSpec, ChangeStatus } from '@gantry/model';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatAge, formatTable } from '../output.ts';
import { openSession } from '../session.ts';

export interface RolloutOptions {
  team?: string;
}

type RolloutChange = { metadata: Resource['metadata']; spec: ChangeSpec; status?: ChangeStatus };

const ENDED = new Set(['Succeeded', 'Aborted', 'Failed', 'RolledBack']);
const started = (change: RolloutChange) => (change.status?.phase ?? 'Pending') !== 'Pending';

/**
 * The application's rollout in progress (ADR 0036): of its Changes of kind applicationRevision that have
 * not ended, one that has started (a newer one waits for it), else the newest.
 */
export function currentRollout(changes: readonly RolloutChange[], app: string): RolloutChange | undefined {
  return changes
    .filter((change) => change.spec.applicationRevision?.application === app)
    .filter((change) => !ENDED.has(change.status?.phase ?? 'Pending'))
    .sort(
      (a, b) =>
        Number(started(b)) - Number(started(a)) ||
        (b.spec.applicationRevision?.revision ?? 0) - (a.spec.applicationRevision?.revision ?? 0) ||
        (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
    )[0];
}

async function rolloutOf(session: Awaited<ReturnType<typeof openSession>>, app: string) {
  const list = await session.client.list(await session.resolveKind('Change'), { team: session.team });
  return currentRollout(list.items as unknown as RolloutChange[], app);
}

/** `gantry rollout pause|resume|abort APP --reason TEXT`: acts on the application's rollout Change. */
export async function actOnRollout(
  env: CommandEnv,
  app: string,
  act: 'pause' | 'resume' | 'abort',
  options: RolloutOptions & { reason?: string },
): Promise<void> {
  if (!options.reason) throw new CliError(`--reason is required: say why you ${act} the rollout`);
  const session = await openSession(env, options.team);
  const change = await rolloutOf(session, app);
  if (!change) throw new CliError(`application ${app} has no rollout in progress`);
  const record = await session.client.request<ChangeActionRecord>(
    'POST',
    `/api/teams/${encode(session.team)}/changes/${encode(change.metadata.name)}/${act}`,
    { body: { reason: options.reason } },
  );
  env.io.out(
    `application/${app} rollout (change/${change.metadata.name}, revision ${change.spec.applicationRevision?.revision}) ${act} requested by ${record.actor}\n`,
  );
}

interface RevisionSpec {
  revision: number;
  hash: string;
  cause?: string;
  definitions: {
    components: Record<string, { version: string }>;
    traits: Record<string, { version: string }>;
  };
}

interface AppStatus {
  revision?: number;
  health?: string;
  conditions?: { type: string; status: string; reason: string; message: string }[];
  targets?: { cluster: string; namespace: string; phase: string; message?: string; revision?: number }[];
  components?: { name: string; cluster: string; health: string; message?: string }[];
}

const encode = encodeURIComponent;

interface RevisionObject {
  metadata: Resource['metadata'];
  spec: RevisionSpec;
}

/** `gantry rollout undo APP --to-revision N`: back to a recorded revision (which makes a new one). */
export async function undo(
  env: CommandEnv,
  app: string,
  options: RolloutOptions & { toRevision?: string; reason?: string },
): Promise<void> {
  const session = await openSession(env, options.team);
  // A rollout in progress is undone by its Change: the clusters it moved go back, the last wave first.
  const rollout = options.toRevision === undefined ? await rolloutOf(session, app) : undefined;
  if (rollout) {
    if (!options.reason) throw new CliError('--reason is required to roll a rollout back: say why');
    await session.client.request<ChangeActionRecord>(
      'POST',
      `/api/teams/${encode(session.team)}/changes/${encode(rollout.metadata.name)}/rollback`,
      { body: { reason: options.reason } },
    );
    env.io.out(
      `application/${app} rollout (change/${rollout.metadata.name}) rolling back: its clusters return to the revision they had, the last wave first\n`,
    );
    return;
  }
  let revision = options.toRevision === undefined ? undefined : Number(options.toRevision);
  if (revision !== undefined && (!Number.isInteger(revision) || revision < 1))
    throw new CliError(`--to-revision must be a revision number, not ${options.toRevision}`);
  if (revision === undefined) {
    // As kubectl: without --to-revision, the revision before the current one.
    const current = (await session.client.get(await session.resolveKind('Application'), app, session.team))
      .status as AppStatus | undefined;
    const history = await revisions(env, session, app);
    const previous = history.filter((r) => r.spec.revision < (current?.revision ?? Infinity)).at(-1);
    if (!previous)
      throw new CliError(
        `application ${app} has no revision before ${current?.revision ?? 'the current one'} to return to`,
      );
    revision = previous.spec.revision;
  }
  await session.client.request(
    'POST',
    `/api/teams/${encode(session.team)}/applications/${encode(app)}/rollback`,
    { body: { revision } },
  );
  env.io.out(`application/${app} rolled back to revision ${revision}\n`);
}

async function revisions(
  _env: CommandEnv,
  session: Awaited<ReturnType<typeof openSession>>,
  app: string,
): Promise<RevisionObject[]> {
  const kind = await session.resolveKind('ApplicationRevision');
  const list = await session.client.list(kind, {
    team: session.team,
    labelSelector: applicationSelector(app),
  });
  return (list.items as unknown as RevisionObject[]).sort((a, b) => a.spec.revision - b.spec.revision);
}

/** `gantry rollout history APP`: the recorded revisions, the applied one marked. */
export async function history(env: CommandEnv, app: string, options: RolloutOptions): Promise<void> {
  const session = await openSession(env, options.team);
  const current = (await session.client.get(await session.resolveKind('Application'), app, session.team))
    .status as AppStatus | undefined;
  const rows = (await revisions(env, session, app)).map((r) => [
    `${r.spec.revision}${r.spec.revision === current?.revision ? '*' : ''}`,
    r.spec.cause ?? '',
    Object.entries(r.spec.definitions.components)
      .map(([name, d]) => `${name}@${(d as { version: string }).version}`)
      .join(','),
    r.spec.hash.slice(0, 12),
    formatAge(r.metadata.creationTimestamp, new Date()),
  ]);
  env.io.out(formatTable(['revision', 'cause', 'components', 'hash', 'age'], rows));
}

/** `gantry rollout status APP`: conditions, targets and the components × clusters health matrix. */
export async function status(env: CommandEnv, app: string, options: RolloutOptions): Promise<void> {
  const session = await openSession(env, options.team);
  const object = await session.client.get(await session.resolveKind('Application'), app, session.team);
  const s = (object.status ?? {}) as AppStatus;
  env.io.out(`application/${app} revision ${s.revision ?? '-'} health ${s.health ?? 'Unknown'}\n`);
  const rollout = await rolloutOf(session, app);
  if (rollout) {
    const st = rollout.status ?? {};
    const batches = st.batches?.length ?? 0;
    env.io.out(
      `rollout: change/${rollout.metadata.name} revision ${rollout.spec.applicationRevision?.revision} ${st.phase ?? 'Pending'}${st.currentBatch !== undefined ? ` wave ${st.currentBatch + 1}/${batches}` : ''}${st.message ? `: ${st.message}` : ''}\n`,
    );
  }
  env.io.out('\n');
  env.io.out(
    formatTable(
      ['condition', 'status', 'reason', 'message'],
      (s.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]),
    ),
  );
  env.io.out('\n');
  env.io.out(
    formatTable(
      ['cluster', 'namespace', 'revision', 'phase', 'message'],
      (s.targets ?? []).map((t) => [
        t.cluster,
        t.namespace,
        t.revision !== undefined ? String(t.revision) : '',
        t.phase,
        t.message ?? '',
      ]),
    ),
  );
  const clusters = [...new Set((s.components ?? []).map((c) => c.cluster))].sort();
  const components = [...new Set((s.components ?? []).map((c) => c.name))];
  if (components.length > 0) {
    env.io.out('\n');
    const cell = (name: string, cluster: string) =>
      (s.components ?? []).find((c) => c.name === name && c.cluster === cluster)?.health ?? '-';
    env.io.out(
      formatTable(
        ['component', ...clusters],
        components.map((name) => [name, ...clusters.map((cluster) => cell(name, cluster))]),
      ),
    );
  }
}
