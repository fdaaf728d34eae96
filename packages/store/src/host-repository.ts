import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  AgentCredentialTable,
  AgentMessageTable,
  Database,
  HostTable,
  JoinTokenTable,
} from './schema.ts';
import type { StoreTransaction } from './transaction.ts';

export type HostRow = Selectable<HostTable>;
export type JoinTokenRow = Selectable<JoinTokenTable>;
export type AgentCredentialRow = Selectable<AgentCredentialTable>;
export type AgentMessageRow = Selectable<AgentMessageTable>;

export interface HostListQuery {
  team: string;
  status?: string;
  /** Names after this one (the continue position). */
  after?: string;
  limit: number;
  /** Keeps only the rows it accepts (label selectors); the page still holds up to `limit` rows. */
  accept?: (row: HostRow) => boolean;
}

/** The key `receiveMany` answers with. */
export const receiptKey = (report: { team: string; host: string; id: string }): string =>
  `${report.team}\u0000${report.host}\u0000${report.id}`;

export interface HeartbeatUpdate {
  team: string;
  host: string;
  at: number;
  facts?: string;
}

/** The joined host: its record, replacing any earlier one of the same name, and its first credential. */
export interface JoinedHost {
  host: HostRow;
  credential: AgentCredentialRow;
}

const numeric = <T extends Record<string, unknown>>(row: T, keys: readonly (keyof T)[]): T => {
  const out = { ...row };
  for (const key of keys)
    if (out[key] !== null && out[key] !== undefined) out[key] = Number(out[key]) as never;
  return out;
};
const hostRow = (row: HostRow): HostRow => numeric(row, ['status_since', 'last_heartbeat', 'created_at']);
const tokenRow = (row: JoinTokenRow): JoinTokenRow =>
  numeric(row, ['max_uses', 'uses', 'created_at', 'expires_at', 'revoked_at']);
const credentialRow = (row: AgentCredentialRow): AgentCredentialRow =>
  numeric(row, ['created_at', 'expires_at', 'revoked_at']);
const messageRow = (row: AgentMessageRow): AgentMessageRow =>
  numeric(row, ['seq', 'created_at', 'expires_at']);

/** Host records, join tokens, agent credentials, and the agents' message queues (migration 0011-hosts). */
export class HostRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Runs `work` in one transaction that other repositories may join (`JobRepository.within`). */
  async transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  /** This repository inside a transaction. */
  within(tx: StoreTransaction): HostRepository {
    return new HostRepository(tx);
  }

  // Join tokens.

  async createJoinToken(row: JoinTokenRow): Promise<void> {
    await this.db.insertInto('join_tokens').values(row).execute();
  }

  async joinToken(id: string): Promise<JoinTokenRow | undefined> {
    const row = await this.db.selectFrom('join_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && tokenRow(row);
  }

  async joinTokens(team: string): Promise<JoinTokenRow[]> {
    const rows = await this.db
      .selectFrom('join_tokens')
      .selectAll()
      .where('team', '=', team)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(tokenRow);
  }

  /** Counts one use if the token is still good at `now`; false when it is not (one statement: no race). */
  async useJoinToken(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('join_tokens')
      .set({ uses: sql<number>`uses + 1` })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where(sql<boolean>`uses < max_uses`)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async revokeJoinToken(team: string, id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('join_tokens')
      .set({ revoked_at: now })
      .where('team', '=', team)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteJoinTokensExpiredBefore(before: number): Promise<void> {
    await this.db.deleteFrom('join_tokens').where('expires_at', '<', before).execute();
  }

  // Hosts and credentials.

  /**
   * Records a host that joined: its earlier record of the same name (a re-install) is replaced and that
   * record's credentials revoked.
   */
  async join(host: HostRow, credential: AgentCredentialRow): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('agent_credentials')
        .set({ revoked_at: credential.created_at })
        .where('team', '=', host.team)
        .where('host', '=', host.name)
        .where('revoked_at', 'is', null)
        .execute();
      await tx.insertInto('agent_credentials').values(credential).execute();
      await tx.deleteFrom('hosts').where('team', '=', host.team).where('name', '=', host.name).execute();
      await tx.insertInto('hosts').values(host).execute();
    });
  }

  async host(team: string, name: string): Promise<HostRow | undefined> {
    const row = await this.db
      .selectFrom('hosts')
      .selectAll()
      .where('team', '=', team)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && hostRow(row);
  }

  /** A page of a team's hosts by name; `next` is the last name read when more may follow. */
  async list(query: HostListQuery): Promise<{ items: HostRow[]; next?: string }> {
    const items: HostRow[] = [];
    let after = query.after;
    const batch = Math.max(query.limit, 100);
    for (;;) {
      let select = this.db
        .selectFrom('hosts')
        .selectAll()
        .where('team', '=', query.team)
        .orderBy('name')
        .limit(batch);
      if (query.status) select = select.where('status', '=', query.status);
      if (after !== undefined) select = select.where('name', '>', after);
      const rows = (await select.execute()).map(hostRow);
      for (const row of rows) {
        after = row.name;
        if (query.accept && !query.accept(row)) continue;
        items.push(row);
        if (items.length === query.limit) return { items, next: row.name };
      }
      if (rows.length < batch) return { items };
    }
  }

  /** Deletes a host, revokes its credentials and drops the messages waiting for it. */
  async deleteHost(team: string, name: string, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('agent_credentials')
        .set({ revoked_at: now })
        .where('team', '=', team)
        .where('host', '=', name)
        .where('revoked_at', 'is', null)
        .execute();
      await tx.deleteFrom('agent_messages').where('team', '=', team).where('host', '=', name).execute();
      const result = await tx
        .deleteFrom('hosts')
        .where('team', '=', team)
        .where('name', '=', name)
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    });
  }

  async credential(id: string): Promise<AgentCredentialRow | undefined> {
    const row = await this.db
      .selectFrom('agent_credentials')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && credentialRow(row);
  }

  /** Rotation: the new credential becomes the host's; the old one keeps working until `graceUntil`. */
  async rotate(oldId: string, next: AgentCredentialRow, graceUntil: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('agent_credentials').values(next).execute();
      await tx
        .updateTable('agent_credentials')
        .set({ expires_at: graceUntil })
        .where('id', '=', oldId)
        .where('expires_at', 'is', null)
        .execute();
      await tx
        .updateTable('hosts')
        .set({ credential_id: next.id })
        .where('team', '=', next.team)
        .where('name', '=', next.host)
        .execute();
    });
  }

  /** Of `ids`, those no longer good at `now`: revoked, past their grace, or gone. */
  async invalidCredentials(ids: readonly string[], now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const good = new Set<string>();
    for (let at = 0; at < ids.length; at += 500) {
      const rows = await this.db
        .selectFrom('agent_credentials')
        .select('id')
        .where('id', 'in', ids.slice(at, at + 500))
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .execute();
      for (const row of rows) good.add(row.id);
    }
    return ids.filter((id) => !good.has(id));
  }

  async deleteCredentialsExpiredBefore(before: number): Promise<void> {
    await this.db
      .deleteFrom('agent_credentials')
      .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
      .execute();
  }

  /** The agent connected to `server`: its facts and labels, and Online. Answers whether it was not Online. */
  async connected(
    team: string,
    name: string,
    update: { server: string; now: number; labels: string; facts: string; agentVersion: string },
  ): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const came = await tx
        .updateTable('hosts')
        .set({ status: 'Online', status_since: update.now })
        .where('team', '=', team)
        .where('name', '=', name)
        .where('status', '<>', 'Online')
        .executeTakeFirst();
      await tx
        .updateTable('hosts')
        .set({
          connected_server: update.server,
          labels: update.labels,
          facts: update.facts,
          agent_version: update.agentVersion,
          last_heartbeat: update.now,
        })
        .where('team', '=', team)
        .where('name', '=', name)
        .execute();
      return Number(came.numUpdatedRows) === 1;
    });
  }

  /** The connection on `server` closed (a newer one elsewhere is left alone). */
  async disconnected(team: string, name: string, server: string): Promise<void> {
    await this.db
      .updateTable('hosts')
      .set({ connected_server: '' })
      .where('team', '=', team)
      .where('name', '=', name)
      .where('connected_server', '=', server)
      .execute();
  }

  /** Every connection of `server` closed (it stopped, or starts again after a crash). */
  async disconnectAll(server: string): Promise<void> {
    await this.db
      .updateTable('hosts')
      .set({ connected_server: '' })
      .where('connected_server', '=', server)
      .execute();
  }

  /** One batch of heartbeats, in one transaction. */
  async heartbeats(updates: readonly HeartbeatUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const update of updates) {
        await tx
          .updateTable('hosts')
          .set({ last_heartbeat: update.at, ...(update.facts !== undefined ? { facts: update.facts } : {}) })
          .where('team', '=', update.team)
          .where('name', '=', update.host)
          .execute();
      }
    });
  }

  /**
   * Marks Offline every Online host whose last heartbeat is before `cutoff`, and answers those this call
   * changed (one statement: of several servers, exactly one sees each host go offline).
   */
  async markOffline(cutoff: number, now: number): Promise<{ team: string; name: string }[]> {
    return this.db
      .updateTable('hosts')
      .set({ status: 'Offline', status_since: now })
      .where('status', '=', 'Online')
      .where((eb) => eb.or([eb('last_heartbeat', '<', cutoff), eb('last_heartbeat', 'is', null)]))
      .returning(['team', 'name'])
      .execute();
  }

  /**
   * Online again: hosts held by `server` that were marked Offline (a late flush, a clock jump) but whose
   * heartbeats since `since` show them alive. Answers those this call changed.
   */
  async markOnlineAgain(
    server: string,
    since: number,
    now: number,
  ): Promise<{ team: string; name: string }[]> {
    return this.db
      .updateTable('hosts')
      .set({ status: 'Online', status_since: now })
      .where('status', '<>', 'Online')
      .where('connected_server', '=', server)
      .where('last_heartbeat', '>=', since)
      .returning(['team', 'name'])
      .execute();
  }

  /** Hosts of `team` whose node is `node`: by the node-name label, else by their own name. */
  async hostsForNode(team: string, node: string, label: string): Promise<HostRow[]> {
    const rows = await this.db
      .selectFrom('hosts')
      .selectAll()
      .where('team', '=', team)
      .where((eb) => eb.or([eb('name', '=', node), eb('labels', 'like', `%${JSON.stringify(label)}%`)]))
      .execute();
    return rows.map(hostRow).filter((row) => {
      const labels = JSON.parse(row.labels) as Record<string, string>;
      return (labels[label] ?? row.name) === node;
    });
  }

  /** The clusters (`team/name`) of `team` that have a Node called `node`. */
  async nodeClusters(team: string, node: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('inventory')
      .select('cluster')
      .where('kind', '=', 'Node')
      .where('name', '=', node)
      .where('cluster', 'like', `${team}/%`)
      .orderBy('cluster')
      .execute();
    return rows.map((row) => row.cluster);
  }

  // Messages to agents, and receipts of their reports.

  async enqueue(message: Omit<AgentMessageRow, 'seq'>): Promise<void> {
    await this.db.insertInto('agent_messages').values(message).execute();
  }

  /** Many messages in one statement per 200, queued in the order given. */
  async enqueueMany(messages: readonly Omit<AgentMessageRow, 'seq'>[]): Promise<void> {
    for (let at = 0; at < messages.length; at += 200)
      await this.db
        .insertInto('agent_messages')
        .values(messages.slice(at, at + 200))
        .execute();
  }

  /** The stored last heartbeat (ms) of each of `names` that has one. */
  async lastHeartbeats(team: string, names: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (let at = 0; at < names.length; at += 500) {
      const rows = await this.db
        .selectFrom('hosts')
        .select(['name', 'last_heartbeat'])
        .where('team', '=', team)
        .where('name', 'in', names.slice(at, at + 500))
        .where('last_heartbeat', 'is not', null)
        .execute();
      for (const row of rows) found.set(row.name, Number(row.last_heartbeat));
    }
    return found;
  }

  /** Of `names`, the hosts `team` has. */
  async existingHosts(team: string, names: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let at = 0; at < names.length; at += 500) {
      const rows = await this.db
        .selectFrom('hosts')
        .select('name')
        .where('team', '=', team)
        .where('name', 'in', names.slice(at, at + 500))
        .execute();
      for (const row of rows) found.add(row.name);
    }
    return found;
  }

  /**
   * Messages waiting for each of `hosts` of `team`, oldest first, not yet expired: every one (a connected
   * host's queue is short: its messages are sent as they come and deleted when acknowledged).
   */
  async pendingMany(team: string, hosts: readonly string[], now: number): Promise<AgentMessageRow[]> {
    const rows: AgentMessageRow[] = [];
    for (let at = 0; at < hosts.length; at += 500) {
      const page = await this.db
        .selectFrom('agent_messages')
        .selectAll()
        .where('team', '=', team)
        .where('host', 'in', hosts.slice(at, at + 500))
        .where('expires_at', '>', now)
        .orderBy('seq')
        .execute();
      rows.push(...page.map(messageRow));
    }
    return rows;
  }

  /** Messages waiting for a host, oldest first, not yet expired. */
  async pending(team: string, host: string, now: number, limit = 1000): Promise<AgentMessageRow[]> {
    const rows = await this.db
      .selectFrom('agent_messages')
      .selectAll()
      .where('team', '=', team)
      .where('host', '=', host)
      .where('expires_at', '>', now)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(messageRow);
  }

  /** Many agents' acknowledgements in one statement per 200 (each deletes its own host's message only). */
  async acknowledgeMany(acks: readonly { team: string; host: string; id: string }[]): Promise<void> {
    for (let at = 0; at < acks.length; at += 200) {
      const slice = acks.slice(at, at + 200);
      await this.db
        .deleteFrom('agent_messages')
        .where(
          'id',
          'in',
          slice.map((ack) => ack.id),
        )
        .where((eb) =>
          eb.or(
            slice.map((ack) =>
              eb.and([eb('team', '=', ack.team), eb('host', '=', ack.host), eb('id', '=', ack.id)]),
            ),
          ),
        )
        .execute();
    }
  }

  async acknowledge(team: string, host: string, id: string): Promise<void> {
    await this.db
      .deleteFrom('agent_messages')
      .where('team', '=', team)
      .where('host', '=', host)
      .where('id', '=', id)
      .execute();
  }

  async deleteMessagesExpiredBefore(now: number): Promise<void> {
    await this.db.deleteFrom('agent_messages').where('expires_at', '<=', now).execute();
  }

  /** Records a report's id; false when it was recorded before (a redelivery). */
  async receive(team: string, host: string, id: string, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('agent_receipts')
      .values({ team, host, id, received_at: now })
      .onConflict((oc) => oc.columns(['team', 'host', 'id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /**
   * Records many reports' ids in one statement per 500; answers the keys (`receiptKey`) of those not
   * recorded before (a report given twice in the list counts once, as its first).
   */
  async receiveMany(
    reports: readonly { team: string; host: string; id: string }[],
    now: number,
  ): Promise<Set<string>> {
    const unique = new Map<string, { team: string; host: string; id: string }>();
    for (const report of reports) {
      const key = receiptKey(report);
      if (!unique.has(key)) unique.set(key, { team: report.team, host: report.host, id: report.id });
    }
    const fresh = new Set<string>();
    const rows = [...unique.values()];
    for (let at = 0; at < rows.length; at += 500) {
      const inserted = await this.db
        .insertInto('agent_receipts')
        .values(rows.slice(at, at + 500).map((row) => ({ ...row, received_at: now })))
        .onConflict((oc) => oc.columns(['team', 'host', 'id']).doNothing())
        .returning(['team', 'host', 'id'])
        .execute();
      for (const row of inserted) fresh.add(receiptKey(row));
    }
    return fresh;
  }

  /** Forgets a receipt whose listeners failed, so the redelivered report is handled again. */
  async forgetReceipt(team: string, host: string, id: string): Promise<void> {
    await this.db
      .deleteFrom('agent_receipts')
      .where('team', '=', team)
      .where('host', '=', host)
      .where('id', '=', id)
      .execute();
  }

  async deleteReceiptsBefore(before: number): Promise<void> {
    await this.db.deleteFrom('agent_receipts').where('received_at', '<', before).execute();
  }
}
