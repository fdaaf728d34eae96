import type {
  AlertRuleCelSubject,
  ApplicationSpec,
  ApplicationStatus,
  ClusterSpec,
  ClusterStatus,
  Condition,
  NodeSummary,
  Resource,
} from '@gantry/model';
import type { InventoryRepository, ResourceRepository } from '@gantry/store';

/** One object a CEL rule looks at: the variable bound to it and the labels its alert carries. */
export interface RuleSubject {
  /** The object's own labels on the alert: `team` and `cluster`, `node` or `application`. */
  labels: Record<string, string>;
  binding: Record<string, unknown>;
}

/** Reads the objects of one subject kind, for the given team or (`undefined`) for every team. */
export interface GantryData {
  subjects(over: AlertRuleCelSubject, team: string | undefined, now: number): Promise<RuleSubject[]>;
}

export interface GantryDataDeps {
  resources: Pick<ResourceRepository, 'list'>;
  inventory: Pick<InventoryRepository, 'list'>;
}

const PAGE = 1000;

/**
 * A condition list as a map by type, each with `forSeconds`: how long it has had its status, so a rule
 * can say "for five minutes" of a state that began before Gantry's evaluator saw it.
 */
function conditionMap(
  conditions: readonly LooseCondition[] | undefined,
  now: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const condition of conditions ?? []) {
    const since = condition.lastTransitionTime ? Date.parse(condition.lastTransitionTime) : NaN;
    out[condition.type] = {
      status: condition.status,
      reason: condition.reason ?? '',
      message: condition.message ?? '',
      ...(Number.isFinite(since)
        ? { since: condition.lastTransitionTime, forSeconds: Math.max(0, Math.floor((now - since) / 1000)) }
        : {}),
    };
  }
  return out;
}

interface LooseCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

const isTrue = (conditions: readonly Condition[] | undefined, type: string) =>
  conditions?.some((condition) => condition.type === type && condition.status === 'True') ?? false;

/** Gantry's store as the source of CEL rules' objects: Cluster and Application resources, inventory nodes. */
export function createGantryData(deps: GantryDataDeps): GantryData {
  async function listKind<T>(kind: string, team: string | undefined): Promise<T[]> {
    const out: T[] = [];
    let after: { team: string; name: string } | undefined;
    do {
      const page = await deps.resources.list({
        kind,
        ...(team !== undefined ? { teams: [team] } : {}),
        limit: PAGE,
        ...(after ? { after } : {}),
      });
      for (const item of page.items) out.push(JSON.parse(item.json) as T);
      after = page.next;
    } while (after);
    return out;
  }

  async function clusters(team: string | undefined, now: number): Promise<RuleSubject[]> {
    const items = await listKind<Resource<ClusterSpec, ClusterStatus>>('Cluster', team);
    return items.map((cluster) => {
      const conditions = cluster.status?.conditions;
      const ready = conditions?.find((condition) => condition.type === 'Ready');
      const owner = cluster.metadata.team ?? '';
      return {
        labels: { team: owner, cluster: cluster.metadata.name },
        binding: {
          name: cluster.metadata.name,
          team: owner,
          labels: cluster.metadata.labels ?? {},
          paused: cluster.spec.paused,
          connected: isTrue(conditions, 'Connected'),
          ready: isTrue(conditions, 'Ready'),
          reason: ready?.reason ?? '',
          conditions: conditionMap(conditions, now),
          server: cluster.status?.server ?? '',
          serverVersion: cluster.status?.serverVersion ?? '',
          nodes: cluster.status?.inventory?.nodes ?? 0,
          readyNodes: cluster.status?.inventory?.readyNodes ?? 0,
        },
      };
    });
  }

  async function nodes(team: string | undefined, now: number): Promise<RuleSubject[]> {
    // The inventory names clusters `team/name`; a team's nodes are those of its clusters.
    const clusterIds =
      team === undefined
        ? undefined
        : (await listKind<Resource>('Cluster', team)).map((cluster) => `${team}/${cluster.metadata.name}`);
    const out: RuleSubject[] = [];
    let after: { cluster: string; namespace: string; name: string } | undefined;
    do {
      const page = await deps.inventory.list<NodeSummary>({
        kind: 'Node',
        ...(clusterIds ? { clusters: clusterIds } : {}),
        limit: PAGE,
        ...(after ? { after } : {}),
      });
      for (const item of page.items) {
        const slash = item.cluster.indexOf('/');
        const owner = item.cluster.slice(0, slash);
        const cluster = item.cluster.slice(slash + 1);
        const node = item.data;
        out.push({
          labels: { team: owner, cluster, node: item.name },
          binding: {
            name: item.name,
            cluster,
            team: owner,
            ready: node.ready,
            unschedulable: node.unschedulable,
            labels: node.labels,
            conditions: conditionMap(node.conditions, now),
            kubeletVersion: node.kubeletVersion ?? '',
            updatedAt: item.updatedAt,
          },
        });
      }
      after = page.next;
    } while (after);
    return out;
  }

  async function applications(team: string | undefined, now: number): Promise<RuleSubject[]> {
    const items = await listKind<Resource<ApplicationSpec, ApplicationStatus>>('Application', team);
    return items.map((app) => {
      const owner = app.metadata.team ?? '';
      return {
        labels: { team: owner, application: app.metadata.name },
        binding: {
          name: app.metadata.name,
          team: owner,
          labels: app.metadata.labels ?? {},
          health: app.status?.health ?? 'Unknown',
          ready: isTrue(app.status?.conditions, 'Ready'),
          revision: app.status?.revision ?? 0,
          conditions: conditionMap(app.status?.conditions, now),
          targets: (app.status?.targets ?? []).map((target) => ({
            cluster: target.cluster,
            namespace: target.namespace,
            phase: target.phase,
          })),
        },
      };
    });
  }

  return {
    subjects(over, team, now) {
      switch (over) {
        case 'clusters':
          return clusters(team, now);
        case 'nodes':
          return nodes(team, now);
        case 'applications':
          return applications(team, now);
      }
    },
  };
}
