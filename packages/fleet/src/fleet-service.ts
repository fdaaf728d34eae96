import { authorize, readableTeams, type Caller, type SecretService } from '@gantry/identity';
import {
  ConflictError,
  decodeContinueToken,
  ErrorCodes,
  encodeContinueToken,
  InputError,
  NotFoundError,
  WORKLOAD_KINDS,
  type ClusterSpec,
  type EventList,
  type FleetChangeGate,
  type FleetGateVerdict,
  type InventoryView,
  type NodeSchedulability,
  type Resource,
} from '@gantry/model';
import type {
  AuditRepository,
  EventRecordQuery,
  EventRepository,
  InventoryItem,
  InventoryRepository,
  ResourceRepository,
} from '@gantry/store';
import type { EventRecorder } from '@gantry/controllers';
import { kubeClientFromKubeconfig, type KubeClient } from './kube/kube-client.ts';
import { cordon, drain, uncordon, type DrainReport } from './node-operations.ts';

export interface InventoryListOptions {
  team?: string;
  cluster?: string;
  namespace?: string;
  /** One object by name. */
  name?: string;
  /** For workloads: Deployment, StatefulSet, DaemonSet, Job or CronJob (default all). */
  workloadKind?: string;
  limit: number;
  continue?: string;
}

const VIEW_KINDS: Record<InventoryView, readonly string[]> = {
  nodes: ['Node'],
  namespaces: ['Namespace'],
  workloads: WORKLOAD_KINDS,
  pods: ['PodSummary'],
};

export interface FleetServiceDeps {
  repository: ResourceRepository;
  inventory: InventoryRepository;
  events: EventRepository;
  secrets: SecretService;
  audit: AuditRepository;
  /** Node operations record NodeCordoned, NodeUncordoned, NodeDrained and NodeDrainFailed. */
  recorder: EventRecorder;
  clientFactory?: (kubeconfig: string, context?: string) => Promise<KubeClient>;
  /** Node operations by hand honour stopped lines and ChangeWindows through it (ADR 0033); none: open. */
  gate?: FleetChangeGate;
  /** Drains by hand hold their node's disruption budget while they run (ADR 0033); none: no budget. */
  drainHolds?: DrainHolds;
  now?: () => number;
}

/** How long a drain's hold outlives its timeout, should its server die in the middle of it. */
export const DRAIN_HOLD_MARGIN_MS = 60_000;

/** A drain's hold on the disruption budget of its node's failure domain, released when the drain ends. */
export interface DrainHold {
  release(): Promise<void>;
}

/**
 * The budget port drains by hand take (ADR 0033), implemented in `@gantry/changes` over the team's
 * DisruptionBudgets, the changes' entities in flight and the other holds.
 */
export interface DrainHolds {
  acquire(request: {
    team: string;
    cluster: string;
    node: string;
    holder: string;
    /** How long the hold lasts at most (the drain's timeout and a margin), should its server die. */
    ttlMs: number;
  }): Promise<{ ok: true; hold: DrainHold } | { ok: false; message: string }>;
}

/** A node operation by hand: the gate's override, if any, with its reason. */
export interface HandOperationOptions {
  overrideReason?: string;
}

/** The fleet as the API sees it: inventory and events to read, node operations to run, all per team. */
export class FleetService {
  constructor(private readonly deps: FleetServiceDeps) {}

  async #requireCluster(team: string, name: string): Promise<void> {
    if (!(await this.deps.repository.get({ kind: 'Cluster', team, name })))
      throw new NotFoundError(`clusters/${name} not found in team ${team}`);
  }

  /** `team/name` ids of the clusters the caller may read, narrowed by team and cluster. */
  async #clusters(caller: Caller, team?: string, cluster?: string): Promise<string[] | undefined> {
    if (team !== undefined) authorize(caller.principal, 'read', team, `clusters of team ${team}`);
    if (team !== undefined && cluster !== undefined) {
      await this.#requireCluster(team, cluster);
      return [`${team}/${cluster}`];
    }
    if (cluster !== undefined)
      throw new InputError('cluster needs team', [
        { path: 'querystring/team', message: 'is required with cluster' },
      ]);
    const teams = team !== undefined ? [team] : readableTeams(caller.principal);
    if (!teams) return undefined;
    const page = await this.deps.repository.list({ kind: 'Cluster', teams, limit: 100_000 });
    return page.items.map((item) => `${item.team}/${item.name}`);
  }

  async inventory(
    caller: Caller,
    view: InventoryView,
    options: InventoryListOptions,
  ): Promise<{
    items: (Record<string, unknown> & { cluster: string; kind: string; namespace: string; name: string })[];
    continue?: string;
  }> {
    const clusters = await this.#clusters(caller, options.team, options.cluster);
    let kinds = VIEW_KINDS[view];
    if (options.workloadKind !== undefined) {
      if (view !== 'workloads' || !kinds.includes(options.workloadKind)) {
        throw new InputError(`kind must be one of ${WORKLOAD_KINDS.join(', ')}`, [
          { path: 'querystring/kind', message: 'unknown workload kind' },
        ]);
      }
      kinds = [options.workloadKind];
    }
    // Continue tokens carry the kind and position, so one listing can page across the workload kinds.
    const cursor = options.continue ? decodeCursor(options.continue) : undefined;
    const items: InventoryItem[] = [];
    let next: string | undefined;
    for (const kind of kinds.slice(cursor ? kinds.indexOf(cursor.kind) : 0)) {
      const page = await this.deps.inventory.list({
        kind,
        ...(clusters ? { clusters } : {}),
        ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
        ...(options.name !== undefined ? { name: options.name } : {}),
        limit: options.limit - items.length,
        ...(cursor && cursor.kind === kind ? { after: cursor.after } : {}),
      });
      items.push(...page.items);
      if (page.next) {
        next = encodeCursor({ kind, after: page.next });
        break;
      }
      if (items.length >= options.limit) {
        const following = kinds[kinds.indexOf(kind) + 1];
        if (following)
          next = encodeCursor({ kind: following, after: { cluster: '', namespace: '', name: '' } });
        break;
      }
    }
    return {
      items: items.map((item) => ({
        cluster: item.cluster,
        kind: item.kind,
        namespace: item.namespace,
        name: item.name,
        updatedAt: item.updatedAt,
        ...(item.data as Record<string, unknown>),
      })),
      ...(next ? { continue: next } : {}),
    };
  }

  /**
   * Event records of both sources, newest first. A caller reads the events of the teams they may read,
   * and the events of global objects (definitions, team `''`), which every signed-in user may read.
   */
  async events(
    caller: Caller,
    query: Omit<EventRecordQuery, 'teams' | 'after'> & { team?: string; continue?: string },
  ): Promise<EventList> {
    if (query.team !== undefined && query.team !== '')
      authorize(caller.principal, 'read', query.team, `events of team ${query.team}`);
    if (query.cluster !== undefined && !query.team)
      throw new InputError('cluster needs team', [
        { path: 'querystring/team', message: 'is required with cluster' },
      ]);
    if (query.cluster !== undefined && query.team) await this.#requireCluster(query.team, query.cluster);
    let since: string | undefined;
    if (query.since !== undefined) {
      const time = Date.parse(query.since);
      if (Number.isNaN(time))
        throw new InputError('since must be an RFC 3339 time', [
          { path: 'querystring/since', message: 'is not a time, e.g. 2026-12-01T10:00:00Z' },
        ]);
      since = new Date(time).toISOString();
    }
    const readable = readableTeams(caller.principal);
    const teams = query.team !== undefined ? [query.team] : readable ? [...readable, ''] : undefined;
    const page = await this.deps.events.query({
      ...(teams ? { teams } : {}),
      ...(query.cluster !== undefined ? { cluster: `${query.team}/${query.cluster}` } : {}),
      ...(query.namespace !== undefined ? { namespace: query.namespace } : {}),
      ...(query.objectKind ? { objectKind: query.objectKind } : {}),
      ...(query.objectName ? { objectName: query.objectName } : {}),
      ...(query.type ? { type: query.type } : {}),
      ...(query.reason ? { reason: query.reason } : {}),
      ...(query.source ? { source: query.source } : {}),
      ...(since ? { since } : {}),
      ...(query.continue ? { after: decodeEventCursor(query.continue) } : {}),
      limit: query.limit,
    });
    return {
      items: page.items,
      ...(page.next ? { continue: encodeContinueToken([page.next.lastSeen, page.next.id]) } : {}),
    };
  }

  async #client(team: string, name: string): Promise<KubeClient> {
    const cluster = (await this.deps.repository.get({ kind: 'Cluster', team, name })) as
      Resource<ClusterSpec> | undefined;
    if (!cluster) throw new NotFoundError(`clusters/${name} not found in team ${team}`);
    const secret = await this.deps.secrets.reveal(team, cluster.spec.kubeconfigSecret.name);
    const kubeconfig = secret[cluster.spec.kubeconfigSecret.key];
    if (kubeconfig === undefined)
      throw new InputError(
        `secret ${cluster.spec.kubeconfigSecret.name} has no key ${cluster.spec.kubeconfigSecret.key}`,
        [{ path: '/spec/kubeconfigSecret/key', message: 'missing in the secret' }],
      );
    return (this.deps.clientFactory ?? kubeClientFromKubeconfig)(kubeconfig, cluster.spec.context);
  }

  /**
   * A node operation by hand (the API's): refused with 409 `GANTRY_E_WINDOW_CLOSED` while the fleet gate
   * is closed for `nodeOperations` unless overridden with a reason (audited first); a drain holds its
   * node's disruption budget while it runs, refused with 409 `GANTRY_E_BUDGET_EXHAUSTED` over it. Changes
   * call `nodeOperation` directly: they check their own windows and budget.
   */
  async handNodeOperation(
    caller: Caller,
    team: string,
    cluster: string,
    node: string,
    operation: 'cordon' | 'uncordon',
    options: HandOperationOptions,
  ): Promise<NodeSchedulability>;
  async handNodeOperation(
    caller: Caller,
    team: string,
    cluster: string,
    node: string,
    operation: 'drain',
    options: HandOperationOptions & { drain: { timeoutMs: number; force: boolean } },
  ): Promise<DrainReport>;
  async handNodeOperation(
    caller: Caller,
    team: string,
    cluster: string,
    node: string,
    operation: 'cordon' | 'uncordon' | 'drain',
    options: HandOperationOptions & { drain?: { timeoutMs: number; force: boolean } },
  ): Promise<DrainReport | NodeSchedulability> {
    authorize(caller.principal, 'write', team, `nodes of cluster ${cluster} in team ${team}`);
    const now = (this.deps.now ?? Date.now)();
    const verdict: FleetGateVerdict = this.deps.gate
      ? await this.deps.gate.check(team, 'nodeOperations', now)
      : { open: true };
    if (!verdict.open) {
      if (options.overrideReason === undefined)
        throw new ConflictError(
          `${operation} of node ${node} refused: ${verdict.message}${verdict.until !== undefined ? ` (opens ${new Date(verdict.until).toISOString()})` : ''}; give overrideReason to act anyway`,
          ErrorCodes.windowClosed,
        );
      await this.deps.audit.record({
        actor: caller.principal.username,
        source: caller.source,
        action: `${operation}-override`,
        kind: 'Node',
        team,
        name: `${cluster}/${node}`,
        after: { gate: verdict.reason, message: verdict.message, reason: options.overrideReason },
      });
    }
    if (operation !== 'drain') return this.nodeOperation(caller, team, cluster, node, operation);
    const held = this.deps.drainHolds
      ? await this.deps.drainHolds.acquire({
          team,
          cluster,
          node,
          holder: `drain/${caller.principal.username}`,
          ttlMs: (options.drain?.timeoutMs ?? 300_000) + DRAIN_HOLD_MARGIN_MS,
        })
      : undefined;
    if (held && !held.ok)
      throw new ConflictError(`drain of node ${node} refused: ${held.message}`, ErrorCodes.budgetExhausted);
    try {
      return await this.nodeOperation(
        caller,
        team,
        cluster,
        node,
        'drain',
        options.drain ?? { timeoutMs: 300_000, force: false },
      );
    } finally {
      if (held?.ok) await held.hold.release();
    }
  }

  /**
   * Cordon, uncordon or drain a node, as the caller (operators and up), recorded in the audit log and as
   * an event regarding the node (actor: the caller).
   */
  async nodeOperation(
    caller: Caller,
    team: string,
    cluster: string,
    node: string,
    operation: 'cordon' | 'uncordon',
  ): Promise<NodeSchedulability>;
  async nodeOperation(
    caller: Caller,
    team: string,
    cluster: string,
    node: string,
    operation: 'drain',
    drainOptions: { timeoutMs: number; force: boolean },
  ): Promise<DrainReport>;
  async nodeOperation(
    caller: Caller,
    team: string,
    cluster: string,
    node: string,
    operation: 'cordon' | 'uncordon' | 'drain',
    drainOptions?: { timeoutMs: number; force: boolean },
  ): Promise<DrainReport | NodeSchedulability> {
    authorize(caller.principal, 'write', team, `nodes of cluster ${cluster} in team ${team}`);
    const client = await this.#client(team, cluster);
    const record = (type: 'Normal' | 'Warning', reason: string, message: string) =>
      this.deps.recorder.record({
        type,
        reason,
        message,
        regarding: { kind: 'Node', name: node, team, cluster },
        actor: caller.principal.username,
      });
    let result: DrainReport | NodeSchedulability;
    try {
      if (operation === 'cordon') {
        await cordon(client, node);
        result = { node, unschedulable: true };
        record('Normal', NodeEventReason.Cordoned, `node ${node} marked unschedulable`);
      } else if (operation === 'uncordon') {
        await uncordon(client, node);
        result = { node, unschedulable: false };
        record('Normal', NodeEventReason.Uncordoned, `node ${node} marked schedulable`);
      } else {
        const report = await drain(client, node, drainOptions ?? { timeoutMs: 300_000, force: false }).catch(
          (error: unknown) => {
            record(
              'Warning',
              NodeEventReason.DrainFailed,
              `drain of node ${node} failed: ${(error as Error).message}`,
            );
            throw error;
          },
        );
        result = report;
        if (report.remaining.length === 0)
          record(
            'Normal',
            NodeEventReason.Drained,
            `node ${node} drained: ${pods(report.evicted.length)} evicted`,
          );
        else
          record(
            'Warning',
            NodeEventReason.DrainFailed,
            `node ${node} not drained: ${pods(report.remaining.length)} left${report.timedOut ? ' at the timeout' : ''} (${report.remaining
              .slice(0, 3)
              .map((pod) => `${pod.namespace}/${pod.name}: ${pod.reason}`)
              .join('; ')}${report.remaining.length > 3 ? '; ...' : ''})`,
          );
      }
    } finally {
      client.close();
    }
    await this.deps.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action: operation,
      kind: 'Node',
      team,
      name: `${cluster}/${node}`,
      after: result,
    });
    return result;
  }
}

function pods(count: number): string {
  return count === 1 ? '1 pod' : `${count} pods`;
}

/** The reasons of the events node operations record (docs/reference/events.md). */
export const NodeEventReason = {
  Cordoned: 'NodeCordoned',
  Uncordoned: 'NodeUncordoned',
  Drained: 'NodeDrained',
  DrainFailed: 'NodeDrainFailed',
} as const;

interface Cursor {
  kind: string;
  after: { cluster: string; namespace: string; name: string };
}

function encodeCursor(cursor: Cursor): string {
  return encodeContinueToken(cursor);
}

function decodeCursor(token: string): Cursor {
  return decodeContinueToken(
    token,
    (value): value is Cursor =>
      typeof (value as Cursor | undefined)?.kind === 'string' &&
      typeof (value as Cursor | undefined)?.after?.cluster === 'string',
  );
}

function decodeEventCursor(token: string): { lastSeen: string; id: number } {
  const [lastSeen, id] = decodeContinueToken(
    token,
    (value): value is [string, number] =>
      Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'number',
  );
  return { lastSeen, id };
}
