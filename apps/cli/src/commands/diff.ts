import { applicationActionPath, type ApplicationDiff, type Resource } from '@gantry/client';
import { unifiedDiff } from '../diff.ts';
import { ReportedFailure } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { loadManifests, targetOf, withoutVolatileFields } from '../manifest-target.ts';
import { resourceName } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { printError } from '../report.ts';
import { openSession, type Session } from '../session.ts';

export interface DiffOptions {
  filename: string[];
  team?: string;
}

/** kubectl diff's exit codes: 0 no differences, 1 differences, >1 an error. */
export const DIFF_ERROR_EXIT_CODE = 2;

/**
 * Shows what `apply` would change: the live object against the server's dry-run result, as a unified
 * diff per object. Exits 1 when anything differs.
 */
export async function diff(env: CommandEnv, options: DiffOptions): Promise<void> {
  const manifests = await loadManifests(env, options.filename, DIFF_ERROR_EXIT_CODE);
  const session = await openSession(env, options.team);
  const kinds = await session.kinds();
  let failures = 0;
  let differences = 0;
  for (const manifest of manifests) {
    try {
      const target = targetOf(manifest, kinds, session);
      const { client } = session;
      const live = await client.find(target.kind, target.name, target.team);
      const merged: Resource =
        live === undefined
          ? await client.create(target.kind, target.body, target.team, { dryRun: true })
          : await client.replace(
              target.kind,
              {
                ...target.body,
                metadata: { ...target.body.metadata, resourceVersion: live.metadata.resourceVersion },
              },
              target.team,
              { dryRun: true },
            );
      const name = resourceName(target.kind, target.name);
      const text = unifiedDiff(
        live === undefined ? '' : toYaml(withoutVolatileFields(live)),
        toYaml(withoutVolatileFields(merged)),
        {
          old: `live/${name}`,
          new: `merged/${name}`,
        },
      );
      if (text !== '') {
        differences++;
        env.io.out(text);
      }
      if (target.kind.kind === 'Application')
        differences += await clusterDiff(env, session, target.name, target.team ?? session.team, merged.spec);
    } catch (error) {
      printError((t) => env.io.err(t), error, manifest.origin);
      failures++;
    }
  }
  if (failures > 0) throw new ReportedFailure(failures, DIFF_ERROR_EXIT_CODE);
  if (differences > 0) throw new ReportedFailure(0, 1);
}

const MARK: Record<string, string> = { create: '+', update: '~', prune: '-', unchanged: '=' };

/** For an Application, what applying it would change in each target cluster (server-side dry runs). Returns the number of changes. */
async function clusterDiff(
  env: CommandEnv,
  session: Session,
  name: string,
  team: string,
  spec: unknown,
): Promise<number> {
  const result = await session.client.request<ApplicationDiff>(
    'POST',
    applicationActionPath(team, name, 'diff'),
    { body: { spec } },
  );
  let changes = 0;
  for (const problem of result.problems) env.io.err(`warning: ${problem}\n`);
  for (const target of result.targets) {
    env.io.out(`cluster ${target.cluster} (namespace ${target.namespace}):\n`);
    if (target.error) {
      env.io.out(`  error: ${target.error}\n`);
      changes++;
      continue;
    }
    for (const object of target.objects) {
      if (object.action !== 'unchanged') changes++;
      const where = object.namespace ? `${object.namespace}/` : '';
      env.io.out(
        `  ${MARK[object.action] ?? '?'} ${object.kind} ${where}${object.name} ${object.action}${object.component ? ` (component ${object.component})` : ''}\n`,
      );
      if (object.action !== 'update') continue;
      for (const change of object.diff ?? []) {
        env.io.out(
          `      ${change.path}: ${JSON.stringify(change.before ?? null)} -> ${JSON.stringify(change.after ?? null)}\n`,
        );
      }
    }
  }
  return changes;
}
