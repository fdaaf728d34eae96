import { applicationSelector, type Resource } from '@gantry/client';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatAge, formatTable } from '../output.ts';
import { openSession } from '../session.ts';

export interface RolloutOptions {
  team?: string;
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
  targets?: { cluster: string; namespace: string; phase: string; message?: string }[];
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
  options: RolloutOptions & { toRevision?: string },
): Promise<void> {
  const session = await openSession(env, options.team);
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
  env.io.out(`application/${app} revision ${s.revision ?? '-'} health ${s.health ?? 'Unknown'}\n\n`);
  env.io.out(
    formatTable(
      ['condition', 'status', 'reason', 'message'],
      (s.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]),
    ),
  );
  env.io.out('\n');
  env.io.out(
    formatTable(
      ['cluster', 'namespace', 'phase', 'message'],
      (s.targets ?? []).map((t) => [t.cluster, t.namespace, t.phase, t.message ?? '']),
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
