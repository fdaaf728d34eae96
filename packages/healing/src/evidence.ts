import type { PrometheusQuerier } from '@gantry/alerts';
import type { MetricsSourceResolver } from '@gantry/health';
import { HOST_NODE_LABEL, type EventRecord, type NodeSummary, type WorkloadSummary } from '@gantry/model';
import type { EventRepository, HostRepository, HostRow, InventoryRepository } from '@gantry/store';
import type { EvidenceProviders, EvidenceResult } from './diagnosis.ts';
import type { HealingEntity, HealingTriggerView } from './ports.ts';

/** The Gantry event reasons that mean "Gantry changed this entity" (change engine, delivery, node operations). */
export const CHANGE_EVENT_REASONS = [
  'EntityChanged',
  'RevisionCreated',
  'ObjectsApplied',
  'NodeCordoned',
  'NodeDrained',
  'NodeUncordoned',
] as const;

/** Runs a read-only diagnostic JobTemplate on a host and waits for its end (to be wired on `@gantry/jobs`). */
export interface DiagnosticJobRunner {
  run(
    team: string,
    host: string,
    template: string,
    parameters: Record<string, string | number | boolean>,
    timeoutMs: number,
  ): Promise<EvidenceResult>;
}

export interface StoreEvidenceDeps {
  inventory: Pick<InventoryRepository, 'list'>;
  events: Pick<EventRepository, 'query'>;
  hosts: Pick<HostRepository, 'hostsForNode' | 'host'>;
  prometheus: PrometheusQuerier;
  sources: MetricsSourceResolver;
  /** Absent: job evidence fails with `JobsUnavailable` (the diagnosis stops; it never guesses). */
  jobs?: DiagnosticJobRunner;
}

const fail = (reason: string, message: string): EvidenceResult => ({ ok: false, reason, message });

/**
 * Evidence from the server's own parts: PromQL through the team's MetricsSources (as inspections and
 * baselines query), the fleet inventory and events from the store, Gantry's events for changes, the hosts'
 * heartbeats, diagnostic jobs through `jobs`, and the trigger's alerts as the trigger carries them.
 */
export function createStoreEvidenceProviders(deps: StoreEvidenceDeps): EvidenceProviders {
  const clusterKey = (team: string, entity: HealingEntity) =>
    entity.cluster ? `${team}/${entity.cluster}` : undefined;
  const nodeName = (entity: HealingEntity) =>
    entity.node ?? (entity.kind === 'Node' ? entity.name : undefined);

  const findHost = async (team: string, entity: HealingEntity): Promise<HostRow | undefined> => {
    if (entity.host) return deps.hosts.host(team, entity.host);
    if (entity.kind === 'Host') return deps.hosts.host(team, entity.name);
    const node = nodeName(entity);
    if (!node) return undefined;
    return (await deps.hosts.hostsForNode(team, node, HOST_NODE_LABEL))[0];
  };

  const eventItems = async (
    team: string,
    entity: HealingEntity,
    since: number,
    until: number,
    filter: (event: EventRecord) => boolean,
  ): Promise<EventRecord[]> => {
    const objectKind = entity.kind === 'Workload' ? undefined : entity.kind;
    const cluster = clusterKey(team, entity);
    const page = await deps.events.query({
      teams: [team],
      ...(cluster ? { cluster } : {}),
      ...(objectKind ? { objectKind } : {}),
      objectName: entity.name,
      since: new Date(since).toISOString(),
      limit: 500,
    });
    const end = new Date(until).toISOString();
    return page.items.filter((event) => event.firstSeen <= end && filter(event));
  };

  return {
    async promql(team, source, query, at) {
      const resolved = await deps.sources.resolve(team, source);
      if (!resolved.ok) return fail(resolved.reason, resolved.message);
      const answer = await deps.prometheus.query(resolved.source, query, at);
      if (!answer.ok) return fail(answer.reason, answer.message);
      const first = answer.samples[0];
      return {
        ok: true,
        value: {
          count: answer.samples.length,
          ...(first ? { value: first.value } : {}),
          samples: answer.samples.slice(0, 50).map((s) => ({ labels: s.labels, value: s.value })),
        },
      };
    },

    async inventory(team, entity, object) {
      const cluster = clusterKey(team, entity);
      if (!cluster) return fail('NoCluster', `${entity.kind} ${entity.name} names no cluster`);
      if (object === 'node') {
        const node = nodeName(entity);
        if (!node) return fail('NoNode', `${entity.kind} ${entity.name} names no node`);
        const page = await deps.inventory.list<NodeSummary>({
          kind: 'Node',
          clusters: [cluster],
          name: node,
          limit: 1,
        });
        const item = page.items[0];
        if (!item)
          return {
            ok: true,
            value: { found: false, ready: false, unschedulable: false, conditions: {}, labels: {} },
          };
        return {
          ok: true,
          value: {
            found: true,
            ready: item.data.ready,
            unschedulable: item.data.unschedulable,
            conditions: Object.fromEntries(item.data.conditions.map((c) => [c.type, c.status])),
            labels: item.data.labels,
          },
        };
      }
      if (object === 'workload') {
        const page = await deps.inventory.list<WorkloadSummary>({
          kind: entity.workloadKind ?? 'Deployment',
          clusters: [cluster],
          ...(entity.namespace !== undefined ? { namespace: entity.namespace } : {}),
          name: entity.name,
          limit: 1,
        });
        const item = page.items[0];
        return {
          ok: true,
          value: {
            found: item !== undefined,
            desired: item?.data.desired ?? 0,
            ready: item?.data.ready ?? 0,
            available: item?.data.available ?? 0,
          },
        };
      }
      return fail('NotCollected', 'the fleet inventory does not collect pods per node yet');
    },

    async events(team, entity, since, until, reason) {
      const items = await eventItems(
        team,
        entity,
        since,
        until,
        (e) => reason === undefined || e.reason === reason,
      );
      return {
        ok: true,
        value: {
          count: items.reduce((sum, e) => sum + e.count, 0),
          warnings: items.filter((e) => e.type === 'Warning').reduce((sum, e) => sum + e.count, 0),
          reasons: [...new Set(items.map((e) => e.reason))],
          items: items
            .slice(0, 50)
            .map((e) => ({ type: e.type, reason: e.reason, message: e.message, count: e.count })),
        },
      };
    },

    async changes(team, entity, since, until) {
      const reasons = new Set<string>(CHANGE_EVENT_REASONS);
      const changed = (e: EventRecord) => e.source === 'gantry' && reasons.has(e.reason);
      const items = await eventItems(team, entity, since, until, changed);
      // A workload's revisions are its Application's: what was applied to its cluster, and revisions made.
      if (entity.kind === 'Workload' && entity.application !== undefined) {
        const cluster = clusterKey(team, entity) ?? '';
        const application = {
          kind: 'Application' as const,
          name: entity.application,
          domain: '',
          labels: {},
        };
        items.push(
          ...(await eventItems(
            team,
            application,
            since,
            until,
            (e) => changed(e) && [cluster, ''].includes(e.cluster),
          )),
        );
      }
      const latest = items.reduce<string | undefined>(
        (max, e) => (max === undefined || e.lastSeen > max ? e.lastSeen : max),
        undefined,
      );
      return {
        ok: true,
        value: {
          count: items.length,
          ...(latest
            ? { latestAgeSeconds: Math.max(0, Math.round((until - Date.parse(latest)) / 1000)) }
            : {}),
          items: items.slice(0, 50).map((e) => ({ reason: e.reason, message: e.message, at: e.lastSeen })),
        },
      };
    },

    async heartbeat(team, entity, at) {
      const host = await findHost(team, entity);
      if (!host) return { ok: true, value: { found: false, online: false, status: 'Unknown' } };
      return {
        ok: true,
        value: {
          found: true,
          online: host.status === 'Online',
          status: host.status,
          ...(host.last_heartbeat !== null
            ? { ageSeconds: Math.max(0, Math.round((at - Number(host.last_heartbeat)) / 1000)) }
            : {}),
        },
      };
    },

    async job(team, entity, template, parameters, timeoutMs) {
      if (!deps.jobs) return fail('JobsUnavailable', 'no diagnostic job runner is configured');
      const host = await findHost(team, entity);
      if (!host) return fail('NoHost', `no host for ${entity.kind} ${entity.name}`);
      return deps.jobs.run(team, host.name, template, parameters, timeoutMs);
    },

    alerts(_team, trigger: HealingTriggerView) {
      return Promise.resolve(alertEvidence(trigger));
    },
  };
}

/** The trigger's alerts as evidence: `{count, firing, names, items}`. */
export function alertEvidence(trigger: HealingTriggerView): EvidenceResult {
  const firing = trigger.alerts.filter((alert) => alert.state === 'firing');
  return {
    ok: true,
    value: {
      count: trigger.alerts.length,
      firing: firing.length,
      names: [...new Set(trigger.alerts.map((alert) => alert.labels['alertname'] ?? ''))].filter((n) => n),
      items: trigger.alerts.slice(0, 50),
    },
  };
}
