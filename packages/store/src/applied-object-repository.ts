import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.ts';
import { checkFence, type WriteFence } from './fence.ts';
import type { Database } from './schema.ts';

export interface AppliedObjectIdentity {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface AppliedObject {
  team: string;
  app: string;
  cluster: string;
  ref: string;
  component: string;
  object: AppliedObjectIdentity;
  hash: string;
  revision: number;
  appliedAt: string;
}

const CHUNK = 100;

/** The record of what each application applied where: read to skip unchanged objects, prune and clean up. */
export class AppliedObjectRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  async list(team: string, app: string, cluster?: string): Promise<AppliedObject[]> {
    let query = this.db
      .selectFrom('applied_objects')
      .selectAll()
      .where('team', '=', team)
      .where('app', '=', app);
    if (cluster !== undefined) query = query.where('cluster', '=', cluster);
    const rows = await query.orderBy('cluster').orderBy('ref').execute();
    return rows.map((row) => ({
      team: row.team,
      app: row.app,
      cluster: row.cluster,
      ref: row.ref,
      component: row.component,
      object: JSON.parse(row.object) as AppliedObjectIdentity,
      hash: row.hash,
      revision: row.revision,
      appliedAt: row.applied_at,
    }));
  }

  /** Applications with records, so that one deleted while no server ran is still cleaned up. */
  async applications(): Promise<{ team: string; app: string }[]> {
    return this.db.selectFrom('applied_objects').select(['team', 'app']).distinct().execute();
  }

  /**
   * Records objects as applied (replacing earlier records of the same objects). With `fence`, only while
   * its term is current (else `FencedWriteRefused`, nothing recorded).
   */
  async record(
    objects: readonly Omit<AppliedObject, 'appliedAt'>[],
    now: string,
    fence?: WriteFence,
  ): Promise<void> {
    if (objects.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      if (fence) await checkFence(tx, this.dialect, fence);
      for (let start = 0; start < objects.length; start += CHUNK) {
        const rows = objects.slice(start, start + CHUNK).map((o) => ({
          team: o.team,
          app: o.app,
          cluster: o.cluster,
          ref: o.ref,
          component: o.component,
          object: JSON.stringify(o.object),
          hash: o.hash,
          revision: o.revision,
          applied_at: now,
        }));
        await tx
          .insertInto('applied_objects')
          .values(rows)
          .onConflict((oc) =>
            oc.columns(['team', 'app', 'cluster', 'ref']).doUpdateSet((eb) => ({
              component: eb.ref('excluded.component'),
              object: eb.ref('excluded.object'),
              hash: eb.ref('excluded.hash'),
              revision: eb.ref('excluded.revision'),
              applied_at: eb.ref('excluded.applied_at'),
            })),
          )
          .execute();
      }
    });
  }

  /** Which of `refs` on a team's cluster another application has applied: ref → application. */
  async claimedByOthers(
    team: string,
    app: string,
    cluster: string,
    refs: readonly string[],
  ): Promise<Map<string, string>> {
    const claims = new Map<string, string>();
    for (let start = 0; start < refs.length; start += CHUNK) {
      const rows = await this.db
        .selectFrom('applied_objects')
        .select(['ref', 'app'])
        .where('team', '=', team)
        .where('cluster', '=', cluster)
        .where('app', '!=', app)
        .where('ref', 'in', refs.slice(start, start + CHUNK))
        .execute();
      for (const row of rows) claims.set(row.ref, row.app);
    }
    return claims;
  }

  /** Forgets objects (after they were deleted from the cluster, or left behind on purpose). */
  async forget(
    team: string,
    app: string,
    cluster: string,
    refs: readonly string[],
    fence?: WriteFence,
  ): Promise<void> {
    if (refs.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      if (fence) await checkFence(tx, this.dialect, fence);
      for (let start = 0; start < refs.length; start += CHUNK) {
        await tx
          .deleteFrom('applied_objects')
          .where('team', '=', team)
          .where('app', '=', app)
          .where('cluster', '=', cluster)
          .where('ref', 'in', refs.slice(start, start + CHUNK))
          .execute();
      }
    });
  }
}
