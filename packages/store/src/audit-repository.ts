import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

export interface AuditInput {
  actor: string;
  source: string;
  /** create, update, patch, delete, status, login, ... */
  action: string;
  kind: string;
  team: string;
  name: string;
  resourceVersion?: string;
  dryRun?: boolean;
  before?: unknown;
  after?: unknown;
  diff?: unknown;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  source: string;
  action: string;
  kind: string;
  team: string;
  name: string;
  resourceVersion: string | null;
  before: unknown;
  after: unknown;
  diff: unknown;
}

export interface AuditQuery {
  teams?: readonly string[];
  kind?: string;
  team?: string;
  name?: string;
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  /** Entries older than this id (newest first). */
  beforeId?: number;
  limit: number;
}

export async function insertAudit(
  db: Kysely<Database> | Transaction<Database>,
  entry: AuditInput,
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: new Date().toISOString(),
      actor: entry.actor,
      source: entry.source,
      action: entry.action,
      kind: entry.kind,
      team: entry.team,
      name: entry.name,
      resource_version: entry.resourceVersion ?? null,
      dry_run: entry.dryRun ? 1 : 0,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
      diff: entry.diff === undefined ? null : JSON.stringify(entry.diff),
    })
    .execute();
}

export class AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  record(entry: AuditInput): Promise<void> {
    return insertAudit(this.db, entry);
  }

  async query(query: AuditQuery): Promise<{ entries: AuditEntry[]; nextBeforeId?: number }> {
    if (query.teams?.length === 0) return { entries: [] };
    let select = this.db.selectFrom('audit_log').selectAll();
    if (query.teams) select = select.where('team', 'in', query.teams);
    if (query.kind) select = select.where('kind', '=', query.kind);
    if (query.team !== undefined) select = select.where('team', '=', query.team);
    if (query.name) select = select.where('name', '=', query.name);
    if (query.actor) select = select.where('actor', '=', query.actor);
    if (query.action) select = select.where('action', '=', query.action);
    if (query.since) select = select.where('at', '>=', query.since);
    if (query.until) select = select.where('at', '<', query.until);
    if (query.beforeId !== undefined) select = select.where('id', '<', query.beforeId);
    const rows = await select
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
      .execute();
    const page = rows.slice(0, query.limit);
    const entries = page.map((row) => ({
      id: Number(row.id),
      at: row.at,
      actor: row.actor,
      source: row.source,
      action: row.action,
      kind: row.kind,
      team: row.team,
      name: row.name,
      resourceVersion: row.resource_version,
      before: row.before === null ? null : (JSON.parse(row.before) as unknown),
      after: row.after === null ? null : (JSON.parse(row.after) as unknown),
      diff: row.diff === null ? null : (JSON.parse(row.diff) as unknown),
    }));
    const last = entries.at(-1);
    return rows.length > query.limit && last ? { entries, nextBeforeId: last.id } : { entries };
  }
}
