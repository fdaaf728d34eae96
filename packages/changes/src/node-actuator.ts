import type { FleetService } from '@gantry/fleet';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import {
  CLUSTER_DOMAIN_LABEL,
  isGantryError,
  matchesSelector,
  parseLabelSelector,
  type ChangeSpec,
  type ChangeTargets,
} from '@gantry/model';
import type { InventoryRepository, ResourceRepository } from '@gantry/store';
import type { ActuatorOutcome, ApplyRequest, ChangeActuator, TargetResolution } from './actuator.ts';

export const NodeActuatorReason = {
  NodeNotFound: 'NodeNotFound',
  NoSuchCluster: 'NoSuchCluster',
  OperationFailed: 'OperationFailed',
  PodsLeft: 'PodsLeft',
} as const;

export interface NodeOperationActuatorDeps {
  repository: Pick<ResourceRepository, 'list'>;
  inventory: Pick<InventoryRepository, 'list'>;
  fleet: Pick<FleetService, 'nodeOperation'>;
}

/**
 * Cordon, drain or uncordon nodes (`cluster/node`) through the fleet's node operations, which record their
 * own events and audit entries. All three are idempotent, so an apply repeated after a crash is harmless:
 * cordoning a cordoned node, draining a drained one, change nothing more.
 */
export class NodeOperationActuator implements ChangeActuator {
  readonly entityKind = 'Node';

  constructor(private readonly deps: NodeOperationActuatorDeps) {}

  /** cordon ↔ uncordon; a drain is undone by an uncordon (evicted pods are not put back). */
  canUndo(): boolean {
    return true;
  }

  undo(request: ApplyRequest): Promise<ActuatorOutcome> {
    const operation = request.spec.nodeOperation;
    if (!operation)
      return Promise.resolve({
        status: 'Failed',
        reason: NodeActuatorReason.OperationFailed,
        message: 'no nodeOperation',
      });
    const inverse = operation.operation === 'uncordon' ? 'cordon' : 'uncordon';
    return this.apply({
      ...request,
      spec: { ...request.spec, nodeOperation: { ...operation, operation: inverse } },
    });
  }

  /** Every node of the team's clusters with its labels and `gantry.dev/cluster`. */
  async labels(team: string): Promise<Map<string, Record<string, string>>> {
    const clusters = await this.deps.repository.list({ kind: 'Cluster', teams: [team], limit: 100_000 });
    const out = new Map<string, Record<string, string>>();
    for (const [name, labels] of await this.#nodes(
      team,
      clusters.items.map((item) => item.name),
    ))
      out.set(name, { ...labels, [CLUSTER_DOMAIN_LABEL]: name.slice(0, name.indexOf('/')) });
    return out;
  }

  async #nodes(team: string, clusters: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const nodes = new Map<string, Record<string, string>>();
    for (const cluster of clusters) {
      let after: { cluster: string; namespace: string; name: string } | undefined;
      do {
        const page = await this.deps.inventory.list<{ labels?: Record<string, string> }>({
          kind: 'Node',
          clusters: [`${team}/${cluster}`],
          limit: 1000,
          ...(after ? { after } : {}),
        });
        for (const item of page.items) nodes.set(`${cluster}/${item.name}`, item.data.labels ?? {});
        after = page.next;
      } while (after);
    }
    return nodes;
  }

  async resolve(team: string, _spec: ChangeSpec, targets: ChangeTargets): Promise<TargetResolution> {
    const clusters = await this.deps.repository.list({ kind: 'Cluster', teams: [team], limit: 100_000 });
    const known = new Set(clusters.items.map((item) => item.name));
    const wanted = targets.clusters ?? [...known];
    const missing = wanted.filter((cluster) => !known.has(cluster));
    if (missing.length > 0)
      return {
        ok: false,
        reason: NodeActuatorReason.NoSuchCluster,
        message: `no such cluster: ${missing.join(', ')}`,
      };
    const selector = targets.selector !== undefined ? parseLabelSelector(targets.selector) : undefined;
    const nodes = await this.#nodes(team, wanted);
    if (targets.names) {
      const unknown = targets.names.filter((name) => !nodes.has(name));
      if (unknown.length > 0)
        return {
          ok: false,
          reason: NodeActuatorReason.NodeNotFound,
          message: `not in the inventory: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`,
        };
      return { ok: true, entities: [...targets.names] };
    }
    const entities = [...nodes.entries()]
      .filter(([, labels]) => !selector || matchesSelector(selector, labels))
      .map(([name]) => name)
      .sort();
    return { ok: true, entities };
  }

  async apply(request: ApplyRequest): Promise<ActuatorOutcome> {
    const operation = request.spec.nodeOperation;
    if (!operation)
      return { status: 'Failed', reason: NodeActuatorReason.OperationFailed, message: 'no nodeOperation' };
    const slash = request.entity.indexOf('/');
    const cluster = request.entity.slice(0, slash);
    const node = request.entity.slice(slash + 1);
    const caller = {
      principal: SYSTEM_PRINCIPAL,
      source: `${request.actor} ${request.team}/${request.change}`,
    };
    try {
      if (operation.operation === 'drain') {
        const report = await this.deps.fleet.nodeOperation(caller, request.team, cluster, node, 'drain', {
          timeoutMs: operation.drainTimeoutSeconds * 1000,
          force: operation.force,
        });
        if (report.remaining.length > 0)
          return {
            status: 'Failed',
            reason: NodeActuatorReason.PodsLeft,
            message: `${report.remaining.length} pod(s) left${report.timedOut ? ' at the timeout' : ''}: ${report.remaining
              .slice(0, 3)
              .map((pod) => `${pod.namespace}/${pod.name} (${pod.reason})`)
              .join('; ')}`,
          };
        return { status: 'Succeeded', message: `drained: ${report.evicted.length} pod(s) evicted` };
      }
      await this.deps.fleet.nodeOperation(caller, request.team, cluster, node, operation.operation);
      return { status: 'Succeeded', message: operation.operation === 'cordon' ? 'cordoned' : 'uncordoned' };
    } catch (error) {
      if (isGantryError(error) && error.status === 404)
        return { status: 'Failed', reason: NodeActuatorReason.NodeNotFound, message: error.message };
      return {
        status: 'Failed',
        reason: NodeActuatorReason.OperationFailed,
        message: error instanceof Error ? error.message : String(error),
      };
    }
  }

  subject(team: string, entity: string) {
    const slash = entity.indexOf('/');
    return { kind: 'Node', team, cluster: entity.slice(0, slash), name: entity.slice(slash + 1) };
  }
}
