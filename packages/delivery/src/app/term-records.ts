import type { AppliedObjectRepository, WriteFence } from '@gantry/store';

/** The applied-object records as the controller's stages use them. */
export type AppliedRecords = Pick<
  AppliedObjectRepository,
  'list' | 'applications' | 'record' | 'claimedByOthers' | 'forget'
>;

/**
 * The records as one term writes them (ADR 0028): every write carries the term's fence, so a server that
 * lost the lease while applying cannot record its objects over the new holder's.
 */
export function termRecords(records: AppliedObjectRepository, fence: WriteFence | undefined): AppliedRecords {
  return {
    list: (team, app, cluster) => records.list(team, app, cluster),
    applications: () => records.applications(),
    claimedByOthers: (team, app, cluster, refs) => records.claimedByOthers(team, app, cluster, refs),
    record: (objects, now) => records.record(objects, now, fence),
    forget: (team, app, cluster, refs) => records.forget(team, app, cluster, refs, fence),
  };
}
