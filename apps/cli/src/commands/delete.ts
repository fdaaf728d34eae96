import { ApiError } from '@gantry/client';
import { CliError, ReportedFailure } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import type { KindInfo } from '../kinds.ts';
import { loadManifests, targetOf } from '../manifest-target.ts';
import type { ManifestOrigin } from '../manifests.ts';
import { printError } from '../report.ts';
import { openSession, type Session } from '../session.ts';

export interface DeleteOptions {
  filename?: string[];
  team?: string;
  selector?: string;
  ignoreNotFound?: boolean;
  dryRun?: boolean;
  /** Deleting a Team: everything it holds goes with it. */
  cascade?: boolean;
}

interface DeleteTarget {
  kind: KindInfo;
  name: string;
  team: string | undefined;
  origin?: ManifestOrigin;
}

/** `delete KIND NAME...`, `delete KIND -l SELECTOR`, or `delete -f PATH`. */
export async function deleteResources(
  env: CommandEnv,
  kindArg: string | undefined,
  names: string[],
  options: DeleteOptions,
): Promise<void> {
  const paths = options.filename ?? [];
  if (paths.length > 0 && kindArg !== undefined)
    throw new CliError('use either KIND NAME or -f PATH, not both');
  if (paths.length === 0 && kindArg === undefined)
    throw new CliError('a KIND with NAME(s) or -l SELECTOR, or -f PATH, is required');
  if (names.length > 0 && options.selector !== undefined)
    throw new CliError('use either NAME(s) or -l SELECTOR, not both');

  let failures = 0;
  let targets: DeleteTarget[];
  let session: Session;
  if (kindArg === undefined) {
    const manifests = await loadManifests(env, paths);
    session = await openSession(env, options.team);
    const kinds = await session.kinds();
    targets = [];
    // Reverse order: files list a Team before what belongs to it, and deletion goes the other way.
    for (const manifest of [...manifests].reverse()) {
      try {
        const target = targetOf(manifest, kinds, session);
        targets.push({ kind: target.kind, name: target.name, team: target.team, origin: manifest.origin });
      } catch (error) {
        printError((text) => env.io.err(text), error, manifest.origin);
        failures++;
      }
    }
  } else {
    session = await openSession(env, options.team);
    const kind = await session.resolveKind(kindArg);
    const team = kind.scope === 'Team' ? session.team : undefined;
    if (options.selector !== undefined) {
      const list = await session.client.list(kind, { team, labelSelector: options.selector });
      if (list.items.length === 0) env.io.err('No resources found\n');
      targets = list.items.map((item) => ({ kind, name: item.metadata.name, team }));
    } else {
      if (names.length === 0)
        throw new CliError(`resource name(s) or -l SELECTOR required: gantry delete ${kindArg} NAME`);
      targets = names.map((name) => ({ kind, name, team }));
    }
  }

  const suffix = options.dryRun === true ? ' (server dry run)' : '';
  for (const target of targets) {
    try {
      await session.client.delete(target.kind, target.name, target.team, {
        dryRun: options.dryRun === true,
        ...(options.cascade === true ? { cascade: true } : {}),
      });
      env.io.out(`${target.kind.kind.toLowerCase()} "${target.name}" deleted${suffix}\n`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && options.ignoreNotFound === true) continue;
      printError((text) => env.io.err(text), error, target.origin);
      failures++;
    }
  }
  if (failures > 0) throw new ReportedFailure(failures);
}
