import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface SecretRecord {
  team: string;
  name: string;
  /** Encrypted values by key. */
  data: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export class SecretRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(team: string, name: string): Promise<SecretRecord | undefined> {
    const row = await this.db
      .selectFrom('secrets')
      .selectAll()
      .where('team', '=', team)
      .where('name', '=', name)
      .executeTakeFirst();
    return row
      ? {
          team: row.team,
          name: row.name,
          data: JSON.parse(row.data) as Record<string, string>,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        }
      : undefined;
  }

  async list(teams?: readonly string[]): Promise<SecretRecord[]> {
    if (teams?.length === 0) return [];
    let select = this.db.selectFrom('secrets').selectAll();
    if (teams) select = select.where('team', 'in', teams);
    const rows = await select.orderBy('team').orderBy('name').execute();
    return rows.map((row) => ({
      team: row.team,
      name: row.name,
      data: JSON.parse(row.data) as Record<string, string>,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }

  /** Creates or replaces; returns whether it existed before. */
  async put(team: string, name: string, data: Record<string, string>, now: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('secrets')
        .select('name')
        .where('team', '=', team)
        .where('name', '=', name)
        .executeTakeFirst();
      if (existing) {
        await tx
          .updateTable('secrets')
          .set({ data: JSON.stringify(data), updated_at: now })
          .where('team', '=', team)
          .where('name', '=', name)
          .execute();
      } else {
        await tx
          .insertInto('secrets')
          .values({ team, name, data: JSON.stringify(data), created_at: now, updated_at: now })
          .execute();
      }
      return existing !== undefined;
    });
  }

  async delete(team: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('secrets')
      .where('team', '=', team)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
