import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  DrainReport,
  EventList,
  EventQuery,
  DrainRequest,
  InputError,
  InventoryNamespace,
  InventoryNode,
  InventoryPage,
  InventoryPods,
  InventoryQuery,
  InventoryWorkload,
  NodeOperationRequest,
  NodeSchedulability,
  type InventoryView,
} from '@gantry/model';
import type { FleetService } from '@gantry/fleet';
import { errorResponses } from '../responses.ts';

const INVENTORY_ITEMS: Record<InventoryView, TSchema> = {
  nodes: InventoryNode,
  namespaces: InventoryNamespace,
  workloads: InventoryWorkload,
  pods: InventoryPods,
};

const NodeParams = Type.Object({ team: Type.String(), cluster: Type.String(), node: Type.String() });

function limitOf(limit: string | undefined): number {
  const value = limit === undefined ? 500 : Number(limit);
  if (value < 1 || value > 5000)
    throw new InputError('limit must be from 1 to 5000', [
      { path: 'querystring/limit', message: 'must be 1-5000' },
    ]);
  return value;
}

/** The fleet's inventory, events and node operations. */
export function fleetRoutes(fastify: FastifyInstance, fleet: FleetService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['fleet'];
  for (const [view, item] of Object.entries(INVENTORY_ITEMS) as [InventoryView, TSchema][]) {
    app.get(
      `/api/inventory/${view}`,
      {
        schema: {
          tags,
          summary: `The ${view} Gantry last saw in the clusters the caller may read`,
          querystring: InventoryQuery,
          response: { 200: InventoryPage(item) },
        },
      },
      async (request) => {
        const q = request.query;
        return fleet.inventory(request.caller, view, {
          ...(q.team !== undefined ? { team: q.team } : {}),
          ...(q.cluster !== undefined ? { cluster: q.cluster } : {}),
          ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
          ...(q.name !== undefined ? { name: q.name } : {}),
          ...(q.kind !== undefined ? { workloadKind: q.kind } : {}),
          ...(q.continue !== undefined ? { continue: q.continue } : {}),
          limit: limitOf(q.limit),
        });
      },
    );
  }
  app.get(
    '/api/events',
    {
      schema: {
        tags: ['events'],
        summary:
          'Event records of both sources (Gantry and the clusters), most recently seen first, filtered by the regarded object',
        querystring: EventQuery,
        response: { 200: EventList },
      },
    },
    async (request) => {
      const q = request.query;
      return fleet.events(request.caller, {
        ...(q.team !== undefined ? { team: q.team } : {}),
        ...(q.cluster !== undefined ? { cluster: q.cluster } : {}),
        ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
        ...(q.kind !== undefined ? { objectKind: q.kind } : {}),
        ...(q.name !== undefined ? { objectName: q.name } : {}),
        ...(q.type !== undefined ? { type: q.type } : {}),
        ...(q.reason !== undefined ? { reason: q.reason } : {}),
        ...(q.source !== undefined ? { source: q.source } : {}),
        ...(q.since !== undefined ? { since: q.since } : {}),
        ...(q.continue !== undefined ? { continue: q.continue } : {}),
        limit: limitOf(q.limit),
      });
    },
  );
  for (const operation of ['cordon', 'uncordon'] as const) {
    app.post(
      `/api/teams/:team/clusters/:cluster/nodes/:node/${operation}`,
      {
        schema: {
          tags,
          summary: `${operation === 'cordon' ? 'Mark' : 'Unmark'} a node unschedulable`,
          params: NodeParams,
          body: NodeOperationRequest,
          response: { 200: NodeSchedulability, ...errorResponses(409) },
        },
        // No body: no override.
        preValidation: (request, _reply, done) => {
          request.body ??= {};
          done();
        },
      },
      async (request) =>
        fleet.handNodeOperation(
          request.caller,
          request.params.team,
          request.params.cluster,
          request.params.node,
          operation,
          request.body.overrideReason !== undefined ? { overrideReason: request.body.overrideReason } : {},
        ),
    );
  }
  app.post(
    '/api/teams/:team/clusters/:cluster/nodes/:node/drain',
    {
      schema: {
        tags,
        summary:
          'Drain a node: cordon, then evict its pods respecting PodDisruptionBudgets, and report what was evicted',
        params: NodeParams,
        body: DrainRequest,
        response: { 200: DrainReport, ...errorResponses(409) },
      },
      // No body means the defaults.
      preValidation: (request, _reply, done) => {
        request.body ??= {} as DrainRequest;
        done();
      },
    },
    async (request) => {
      const { team, cluster, node } = request.params;
      return fleet.handNodeOperation(request.caller, team, cluster, node, 'drain', {
        drain: { timeoutMs: request.body.timeoutSeconds * 1000, force: request.body.force },
        ...(request.body.overrideReason !== undefined ? { overrideReason: request.body.overrideReason } : {}),
      });
    },
  );
}
