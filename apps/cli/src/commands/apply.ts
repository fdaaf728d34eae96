import type { Resource } from '@gantry/client';
import { ReportedFailure } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { declaredState, loadManifests, targetOf, type ManifestTarget } from '../manifest-target.ts';
import { deepEqual } from '../objects.ts';
import { resourceName } from '../output.ts';
import { printError } from '../report.ts';
import { openSession, type Session } from '../session.ts';

export interface ApplyOptions {
  filename: string[];
  team?: string;
  dryRun?: boolean;
  force?: boolean;
}

type Outcome = 'created' | 'configured' | 'unchanged';

/**
 * Creates or replaces every object in the manifests, in order. A failing document is reported (with
 * its file and index) and the rest still applied, as kubectl does; the exit code is then 1.
 */
export async function apply(env: CommandEnv, options: ApplyOptions): Promise<void> {
  const manifests = await loadManifests(env, options.filename);
  const session = await openSession(env, options.team);
  const kinds = await session.kinds();
  const dryRun = options.dryRun === true;
  const force = options.force === true;
  let failures = 0;
  for (const manifest of manifests) {
    try {
      const target = targetOf(manifest, kinds, session);
      const outcome = await applyOne(session, target, dryRun, force);
      env.io.out(
        `${resourceName(target.kind, target.name)} ${outcome}${dryRun ? ' (server dry run)' : ''}\n`,
      );
    } catch (error) {
      printError((text) => env.io.err(text), error, manifest.origin);
      failures++;
    }
  }
  if (failures > 0) throw new ReportedFailure(failures);
}

/**
 * GET, then POST when missing or PUT with the live resourceVersion. A PUT is first tried as a dry run
 * when the manifest differs from the live object only as the server would normalise it, so that
 * re-applying the same files writes nothing and reports `unchanged`.
 */
async function applyOne(
  session: Session,
  target: ManifestTarget,
  dryRun: boolean,
  force: boolean,
): Promise<Outcome> {
  const { client } = session;
  const live = await client.find(target.kind, target.name, target.team);
  if (live === undefined) {
    await client.create(target.kind, target.body, target.team, { dryRun });
    return 'created';
  }
  if (deepEqual(declaredState(target.body), declaredState(live))) return 'unchanged';
  const body: Resource = {
    ...target.body,
    metadata: { ...target.body.metadata, resourceVersion: live.metadata.resourceVersion },
  };
  const wouldBe = await client.replace(target.kind, body, target.team, { dryRun: true, force });
  if (deepEqual(declaredState(wouldBe), declaredState(live))) return 'unchanged';
  if (!dryRun) await client.replace(target.kind, body, target.team, { force });
  return 'configured';
}
