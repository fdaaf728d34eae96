import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.ts';
import { checkFence, type WriteFence } from './fence.ts';
import type { Database } from './schema.ts';

/** Which rule: `AlertRule` in a team, or `GlobalAlertRule` with team `''`. */
export interface AlertRuleStateKey {
  kind: string;
  team: string;
  name: string;
}

export interface StoredAlertRuleState {
  /** The evaluator's series state, as JSON it wrote (the store does not look inside). */
  series: unknown;
  /** Milliseconds since the epoch. */
  updatedAt: number;
}

/** The alert evaluator's per-rule series state, written when a series changes phase. */
export class AlertRuleStateRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  async get(key: AlertRuleStateKey): Promise<StoredAlertRuleState | undefined> {
    const row = await this.db
      .selectFrom('alert_rule_state')
      .select(['series', 'updated_at'])
      .where('kind', '=', key.kind)
      .where('team', '=', key.team)
      .where('name', '=', key.name)
      .executeTakeFirst();
    return row ? { series: JSON.parse(row.series) as unknown, updatedAt: Number(row.updated_at) } : undefined;
  }

  /** With `fence`, only while its term is current (else `FencedWriteRefused`, nothing written). */
  async put(key: AlertRuleStateKey, series: unknown, now: number, fence?: WriteFence): Promise<void> {
    const text = JSON.stringify(series);
    const write = (db: Kysely<Database>) =>
      db
        .insertInto('alert_rule_state')
        .values({ ...key, series: text, updated_at: now })
        .onConflict((oc) =>
          oc.columns(['kind', 'team', 'name']).doUpdateSet({ series: text, updated_at: now }),
        )
        .execute();
    if (!fence) await write(this.db);
    else
      await this.db.transaction().execute(async (tx) => {
        await checkFence(tx, this.dialect, fence);
        await write(tx);
      });
  }

  async delete(key: AlertRuleStateKey, fence?: WriteFence): Promise<void> {
    const remove = (db: Kysely<Database>) =>
      db
        .deleteFrom('alert_rule_state')
        .where('kind', '=', key.kind)
        .where('team', '=', key.team)
        .where('name', '=', key.name)
        .execute();
    if (!fence) await remove(this.db);
    else
      await this.db.transaction().execute(async (tx) => {
        await checkFence(tx, this.dialect, fence);
        await remove(tx);
      });
  }
}
