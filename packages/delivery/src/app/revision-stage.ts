import { ApplicationEventReason, type ApplicationEvents } from './application-events.ts';
import type { WriteFence } from '@gantry/store';
import type { ApplicationObject, RevisionCache, RevisionManager, RevisionObject } from './revisions.ts';

export interface RevisionOutcome {
  revision: RevisionObject;
  /** The newest revision number recorded. */
  latest: number;
}

/**
 * Stage 1, revision: the revision for the application as it is now (its spec and the definitions it
 * uses), recorded as an ApplicationRevision when it differs from the latest. It sets no condition: what
 * it concludes is `status.latestRevision`, and it fails only by throwing (the store), which the runtime
 * retries with backoff.
 */
export async function revisionStage(
  revisions: RevisionManager,
  app: ApplicationObject,
  events: ApplicationEvents,
  term: { cache: RevisionCache; fence: WriteFence | undefined },
): Promise<RevisionOutcome> {
  const { revision, created, latest } = await revisions.ensure(app, term.cache, term.fence);
  if (created) {
    const cause = revision.spec.cause ? ` (${revision.spec.cause})` : '';
    events.normal(
      ApplicationEventReason.RevisionCreated,
      `revision ${revision.spec.revision} recorded${cause}`,
    );
  }
  return { revision, latest };
}
