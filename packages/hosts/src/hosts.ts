import {
  HOST_NODE_LABEL,
  NotFoundError,
  matchesSelector,
  type Host,
  type HostList,
  type HostStatus,
  type LabelSelector,
} from '@gantry/model';
import type { HostRepository, HostRow, ResourceRepository } from '@gantry/store';
import { resolveHostGroup } from './host-group.ts';
import type { AgentHub } from './hub.ts';
import { hostFromRow } from './records.ts';

export interface HostQuery {
  selector?: LabelSelector;
  /** A HostGroup of the team: its selector applies too. */
  group?: string;
  status?: HostStatus;
  after?: string;
  limit: number;
}

/** Host records as the API shows them, with their Kubernetes node (and the way back). */
export class HostService {
  constructor(
    private readonly repository: HostRepository,
    private readonly hub: AgentHub,
    private readonly now: () => number,
    private readonly resources: ResourceRepository,
  ) {}

  async list(team: string, query: HostQuery): Promise<{ items: Host[]; next?: string }> {
    let selector = query.selector;
    if (query.group !== undefined) {
      const group = await resolveHostGroup(this.resources, team, query.group);
      if (!group) throw new NotFoundError(`host group ${query.group} not found in team ${team}`);
      selector = [...(selector ?? []), ...group];
    }
    const page = await this.repository.list({
      team,
      limit: query.limit,
      ...(query.status ? { status: query.status } : {}),
      ...(query.after !== undefined ? { after: query.after } : {}),
      ...(selector
        ? {
            accept: (row: HostRow) =>
              matchesSelector(selector, JSON.parse(row.labels) as Record<string, string>),
          }
        : {}),
    });
    const items = await Promise.all(page.items.map((row) => this.#toHost(row)));
    return { items, ...(page.next !== undefined ? { next: page.next } : {}) };
  }

  async get(team: string, name: string): Promise<Host> {
    const row = await this.repository.host(team, name);
    if (!row) throw new NotFoundError(`host ${name} not found in team ${team}`);
    return this.#toHost(row);
  }

  /** Deletes the host record and revokes its credential; an open connection is closed at once. */
  async delete(team: string, name: string): Promise<Host> {
    const host = await this.get(team, name);
    await this.repository.deleteHost(team, name, this.now());
    await this.hub.revoke(team, name);
    return host;
  }

  /** The hosts on a cluster's node (the other direction of the link). */
  async forNode(team: string, cluster: string, node: string): Promise<HostList> {
    const rows = await this.repository.hostsForNode(team, node, HOST_NODE_LABEL);
    const clusters = await this.repository.nodeClusters(team, node);
    if (!clusters.includes(`${team}/${cluster}`)) return { items: [] };
    return { items: await Promise.all(rows.map((row) => this.#toHost(row))) };
  }

  async #toHost(row: HostRow): Promise<Host> {
    const labels = JSON.parse(row.labels) as Record<string, string>;
    const node = labels[HOST_NODE_LABEL] ?? row.name;
    const [cluster] = await this.repository.nodeClusters(row.team, node);
    return hostFromRow(
      row,
      cluster === undefined ? null : { cluster: cluster.slice(row.team.length + 1), node },
      this.hub.connected(row.team, row.name),
    );
  }
}
