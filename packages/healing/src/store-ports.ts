/**
 * Store-backed implementations of the controller's ports, for the server to wire: triggers from the
 * exceptions table, entities and lasting conditions from the fleet inventory and the hosts table, the
 * domain's healthy share, and the agents' side of signal trust.
 */
import {
  deliveryLabels,
  HOST_NODE_LABEL,
  type ClusterStatus,
  type EntityRefRecord,
  type ExceptionRecord,
  type NodeSummary,
  type Resource,
  type Risk,
  type WorkloadSummary,
} from '@gantry/model';
import type { PrometheusQuerier } from '@gantry/alerts';
import type { MetricsSourceResolver } from '@gantry/health';
import { alertState } from '@gantry/store';
import type {
  AlertRepository,
  ExceptionAlert,
  ExceptionRepository,
  RiskRepository,
  StoredAlert,
  HostRepository,
  HostRow,
  InventoryRepository,
  ResourceRepository,
} from '@gantry/store';
import type {
  ConditionSubject,
  ConditionSubjects,
  DomainHealth,
  EntityReader,
  HealingEntity,
  HealingTriggerView,
  SignalHealth,
  SignalVerdict,
  TriggerSource,
} from './ports.ts';

/** The node label naming a node's rack (the health center's default, `GANTRY_HEALTH_RACK_LABEL`). */
export const DEFAULT_RACK_LABEL = 'topology.gantry.dev/rack';

/** Exceptions healing may act for: open or acknowledged. Mitigated, resolved and merged ones are not. */
const ACTIVE_EXCEPTION_STATES: ReadonlySet<string> = new Set(['open', 'acknowledged']);

export interface InventoryDeps {
  inventory: Pick<InventoryRepository, 'list'>;
  hosts: Pick<HostRepository, 'list' | 'hostsForNode'>;
  resources: Pick<ResourceRepository, 'list'>;
  /** The label naming an entity's failure domain (rack). */
  domainLabel?: string;
  /**
   * The team's nodes and hosts read once per healing pass and shared by every port built on these deps
   * (the exceptions' entities, lasting conditions, domain shares, signal trust). Absent: each reads.
   */
  snapshots?: InventoryPassSnapshots;
}

/**
 * A healing pass's reads of a team's nodes and of its hosts, shared: the first port to ask reads, the
 * others in the same pass get the same answer. The controller calls `begin()` at the start of each pass and
 * `end()` after it (`HealingControllerDeps.passScope`), so nothing is older than the pass that uses it —
 * the view the controller already keeps for a pass's domain shares and signal verdicts (ADR 0032); outside
 * a pass (the API's dry run) every read goes to the store.
 */
export class InventoryPassSnapshots {
  readonly #reads = new Map<string, Promise<unknown>>();
  #open = false;

  begin(): void {
    this.#reads.clear();
    this.#open = true;
  }

  /** Whether a pass is under way: reads are shared. */
  get active(): boolean {
    return this.#open;
  }

  end(): void {
    this.#reads.clear();
    this.#open = false;
  }

  read<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.#open) return load();
    let read = this.#reads.get(key) as Promise<T> | undefined;
    if (!read) {
      read = load();
      this.#reads.set(key, read);
      // A failed read is not kept: the next port to ask reads again.
      read.catch(() => this.#reads.get(key) === read && this.#reads.delete(key));
    }
    return read;
  }
}

/** The team's clusters' names (inventory rows are keyed `team/name`). */
async function clusterNames(resources: InventoryDeps['resources'], team: string): Promise<string[]> {
  const page = await resources.list({ kind: 'Cluster', teams: [team], limit: 10_000 });
  return page.items.map((item) => item.name);
}

interface NodeRow {
  cluster: string;
  name: string;
  data: NodeSummary;
  updatedAt: string;
}

function teamNodes(deps: InventoryDeps, team: string): Promise<NodeRow[]> {
  return deps.snapshots
    ? deps.snapshots.read(`nodes\u0000${team}`, () => readTeamNodes(deps, team))
    : readTeamNodes(deps, team);
}

function teamHosts(deps: InventoryDeps, team: string): Promise<HostRow[]> {
  return deps.snapshots
    ? deps.snapshots.read(`hosts\u0000${team}`, () => readTeamHosts(deps, team))
    : readTeamHosts(deps, team);
}

async function readTeamNodes(deps: InventoryDeps, team: string): Promise<NodeRow[]> {
  const clusters = await clusterNames(deps.resources, team);
  const rows: NodeRow[] = [];
  for (const cluster of clusters) {
    let after: { cluster: string; namespace: string; name: string } | undefined;
    do {
      const page = await deps.inventory.list<NodeSummary>({
        kind: 'Node',
        clusters: [`${team}/${cluster}`],
        limit: 2000,
        ...(after ? { after } : {}),
      });
      rows.push(
        ...page.items.map((item) => ({
          cluster,
          name: item.name,
          data: item.data,
          updatedAt: item.updatedAt,
        })),
      );
      after = page.next;
    } while (after);
  }
  return rows;
}

async function readTeamHosts(deps: InventoryDeps, team: string): Promise<HostRow[]> {
  const rows: HostRow[] = [];
  let after: string | undefined;
  do {
    const page = await deps.hosts.list({ team, limit: 1000, ...(after ? { after } : {}) });
    rows.push(...page.items);
    after = page.next;
  } while (after);
  return rows;
}

function nodeEntity(row: NodeRow, domainLabel: string, host?: string): HealingEntity {
  return {
    kind: 'Node',
    name: row.name,
    cluster: row.cluster,
    host: host ?? row.name,
    domain: row.data.labels[domainLabel] ?? '',
    labels: row.data.labels,
  };
}

function nodeBinding(row: NodeRow): Record<string, unknown> {
  return {
    name: row.name,
    cluster: row.cluster,
    ready: row.data.ready,
    unschedulable: row.data.unschedulable,
    conditions: Object.fromEntries(row.data.conditions.map((c) => [c.type, c.status])),
    labels: row.data.labels,
  };
}

/**
 * A host as an entity: with its node (the one its `hosts.gantry.dev/node-name` label names, else the node
 * of its own name) and that node's cluster when the inventory has it, so that a Host policy can drain the
 * host's node; its labels are the node's (rack, zone) under its own, its domain from those.
 */
function hostEntity(row: HostRow, domainLabel: string, nodes: ReadonlyMap<string, NodeRow>): HealingEntity {
  const own = JSON.parse(row.labels) as Record<string, string>;
  const node = nodes.get(own[HOST_NODE_LABEL] ?? row.name);
  const labels = { ...node?.data.labels, ...own };
  return {
    kind: 'Host',
    name: row.name,
    host: row.name,
    ...(node
      ? { node: node.name, cluster: node.cluster }
      : own[HOST_NODE_LABEL]
        ? { node: own[HOST_NODE_LABEL] }
        : {}),
    domain: labels[domainLabel] ?? '',
    labels,
  };
}

/** The team's nodes by name (the first cluster's when two clusters have the same name). */
async function nodesByName(deps: InventoryDeps, team: string): Promise<Map<string, NodeRow>> {
  const byName = new Map<string, NodeRow>();
  for (const row of await teamNodes(deps, team)) if (!byName.has(row.name)) byName.set(row.name, row);
  return byName;
}

/**
 * The inventory's nodes (when their Ready condition last changed) and the hosts (when their status last
 * changed), for lasting-condition triggers: `for: 5m` counts from these stored times, so a restart of the
 * server does not restart the clock (node-problem-detector #304).
 */
export function createInventoryConditionSubjects(deps: InventoryDeps): ConditionSubjects {
  const domainLabel = deps.domainLabel ?? DEFAULT_RACK_LABEL;
  return {
    async list(team, over): Promise<ConditionSubject[]> {
      if (over === 'hosts') {
        const nodes = await nodesByName(deps, team);
        return (await teamHosts(deps, team)).map((row) => {
          const entity = hostEntity(row, domainLabel, nodes);
          const node = entity.cluster !== undefined ? nodes.get(entity.node!) : undefined;
          return {
            entity,
            binding: {
              name: row.name,
              status: row.status,
              online: row.status === 'Online',
              labels: JSON.parse(row.labels) as unknown,
              // The host's node as the API server sees it (a dead agent on a node still Ready: a host to drain).
              ...(node ? { node: nodeBinding(node) } : {}),
            },
            changedAt: Number(row.status_since),
          };
        });
      }
      return (await teamNodes(deps, team)).map((row) => {
        const ready = row.data.conditions.find((c) => c.type === 'Ready');
        const changed = Date.parse(ready?.lastTransitionTime ?? row.updatedAt);
        return {
          entity: nodeEntity(row, domainLabel),
          binding: nodeBinding(row),
          changedAt: Number.isNaN(changed) ? 0 : changed,
        };
      });
    },
  };
}

/** Healthy share of a failure domain: nodes Ready, hosts Online, among those carrying the domain's label. */
export function createInventoryDomainHealth(deps: InventoryDeps): DomainHealth {
  const subjects = createInventoryConditionSubjects(deps);
  return {
    async shares(team, subject, domainLabel) {
      const over = subject === 'Host' ? 'hosts' : 'nodes';
      const shares = new Map<string, { healthy: number; total: number }>();
      for (const s of await subjects.list(team, over)) {
        const domain = s.entity.labels[domainLabel];
        if (domain === undefined) continue;
        const share = shares.get(domain) ?? { healthy: 0, total: 0 };
        share.total += 1;
        if (over === 'hosts' ? s.binding['online'] === true : s.binding['ready'] === true) share.healthy += 1;
        shares.set(domain, share);
      }
      return shares;
    },
  };
}

export interface SignalTrustOptions {
  /** Hosts that went silent within this window count as "silent together". */
  windowMs?: number;
  /** At least this share of the team's hosts silent together → untrusted. */
  silentShare?: number;
  /** ... and at least this many. */
  silentMin?: number;
  /**
   * Probe the team's MetricsSources (`vector(1)`): one unreachable or refusing, healing does not trust what
   * it cannot see. `source` names the one to probe; absent: every MetricsSource the team has (none: nothing
   * to probe). Without `metrics` nothing is probed (a PromQL evidence query that fails stops a diagnosis
   * anyway).
   */
  metrics?: { source?: string; prometheus: PrometheusQuerier; sources: MetricsSourceResolver };
}

/**
 * Whether to trust what healing sees (partition awareness): many of the team's agents silent together
 * (more likely the network or the server than the hosts), or the entity's cluster not connected (its
 * inventory is stale; the API server may be unreachable from here), or the team's Prometheus not
 * answering a probe (when `metrics` names the source).
 */
export function createStoreSignalHealth(
  deps: InventoryDeps & { resourcesGet: Pick<ResourceRepository, 'get' | 'list'>; now: () => number },
  options: SignalTrustOptions = {},
): SignalHealth {
  const windowMs = options.windowMs ?? 5 * 60_000;
  const silentShare = options.silentShare ?? 0.2;
  const silentMin = options.silentMin ?? 3;
  return {
    async check(team, entity, now): Promise<SignalVerdict> {
      if (entity.cluster) {
        const cluster = (await deps.resourcesGet.get({ kind: 'Cluster', team, name: entity.cluster })) as
          Resource<unknown, ClusterStatus> | undefined;
        const connected = cluster?.status?.conditions?.find((c) => c.type === 'Connected');
        if (!connected || connected.status !== 'True')
          return {
            trusted: false,
            reason: 'ApiServerUnreachable',
            message: `cluster ${entity.cluster} is not connected${connected?.message ? `: ${connected.message}` : ''}`,
          };
      }
      if (options.metrics) {
        const { source, prometheus, sources } = options.metrics;
        const names = source ? [source] : await teamMetricsSources(deps.resourcesGet, team);
        const probes = await Promise.all(
          names.map(async (name) => {
            const resolved = await sources.resolve(team, name);
            return {
              name,
              probe: resolved.ok ? await prometheus.query(resolved.source, 'vector(1)', now) : resolved,
            };
          }),
        );
        const down = probes.find(({ probe }) => !probe.ok);
        if (down && !down.probe.ok)
          return {
            trusted: false,
            reason: 'PrometheusDown',
            message: `MetricsSource ${down.name}: ${down.probe.message}`,
          };
      }
      const hosts = await teamHosts(deps, team);
      const silent = hosts.filter((h) => h.status !== 'Online' && Number(h.status_since) >= now - windowMs);
      if (hosts.length > 0 && silent.length >= silentMin && silent.length / hosts.length >= silentShare)
        return {
          trusted: false,
          reason: 'AgentsSilent',
          message: `${silent.length} of ${hosts.length} agents went silent within ${Math.round(windowMs / 1000)} s`,
        };
      return { trusted: true };
    },
  };
}

/** Maps entity references (of an exception, an alert, a risk) onto healing entities, with labels, domain and host. */
export interface EntityResolver {
  resolve(
    team: string,
    refs: readonly EntityRefRecord[],
    exception?: ExceptionRecord,
  ): Promise<HealingEntity[]>;
  /**
   * Many exceptions' references of one team at once (a pass over a storm): the same answers as `resolve`
   * for each, from one read of the team's nodes and hosts when there are many.
   */
  resolveMany(
    team: string,
    items: readonly { refs: readonly EntityRefRecord[]; exception?: ExceptionRecord }[],
  ): Promise<HealingEntity[][]>;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;

/**
 * A workload reference's kind and labels from the fleet inventory (a reference names no kind): what a
 * Workload policy's actions need (the kind for its Change, the Application from Gantry's label).
 */
async function workloadOf(
  deps: InventoryDeps,
  team: string,
  cluster: string,
  namespace: string | undefined,
  name: string,
): Promise<{ kind: string; labels: Record<string, string> } | undefined> {
  for (const kind of WORKLOAD_KINDS) {
    const page = await deps.inventory.list<WorkloadSummary>({
      kind,
      clusters: [`${team}/${cluster}`],
      ...(namespace !== undefined ? { namespace } : {}),
      name,
      limit: 1,
    });
    const item = page.items[0];
    if (item) return { kind, labels: item.data.labels };
  }
  return undefined;
}

/** From this many exceptions of a team in one pass, their nodes are looked up in one read of the team's. */
const RESOLVE_IN_BULK_FROM = 16;

/** Where a node reference's labels and host come from: one row each, or a snapshot of the team. */
interface NodeLookup {
  labels(cluster: string, name: string): Promise<Record<string, string>>;
  host(name: string): Promise<string | undefined>;
}

/**
 * Nodes with their inventory labels (domain from the rack label) and host; hosts from the hosts table;
 * workloads as named; a topology exception of a rack or zone also names the `Domain` itself.
 */
export function createInventoryEntityResolver(deps: InventoryDeps): EntityResolver {
  const domainLabel = deps.domainLabel ?? DEFAULT_RACK_LABEL;
  const rowByRow = (team: string): NodeLookup => ({
    async labels(cluster, name) {
      const page = await deps.inventory.list<NodeSummary>({
        kind: 'Node',
        clusters: [`${team}/${cluster}`],
        name,
        limit: 1,
      });
      return page.items[0]?.data.labels ?? {};
    },
    async host(name) {
      return (await deps.hosts.hostsForNode(team, name, HOST_NODE_LABEL))[0]?.name;
    },
  });
  const snapshot = async (team: string): Promise<NodeLookup> => {
    const nodes = new Map((await teamNodes(deps, team)).map((row) => [`${row.cluster}/${row.name}`, row]));
    const hostOf = new Map<string, string>();
    for (const row of await teamHosts(deps, team)) {
      const labels = JSON.parse(row.labels) as Record<string, string>;
      const node = labels[HOST_NODE_LABEL] ?? row.name;
      if (!hostOf.has(node)) hostOf.set(node, row.name);
    }
    return {
      labels: (cluster, name) => Promise.resolve(nodes.get(`${cluster}/${name}`)?.data.labels ?? {}),
      host: (name) => Promise.resolve(hostOf.get(name)),
    };
  };
  const resolveWith = async (
    team: string,
    lookup: NodeLookup,
    refs: readonly EntityRefRecord[],
    exception?: ExceptionRecord,
  ): Promise<HealingEntity[]> => {
    const entities: HealingEntity[] = [];
    for (const ref of refs) {
      if (ref.kind === 'Node' && ref.cluster) {
        const labels = await lookup.labels(ref.cluster, ref.name);
        const host = await lookup.host(ref.name);
        entities.push({
          kind: 'Node',
          name: ref.name,
          cluster: ref.cluster,
          ...(host ? { host } : {}),
          domain: labels[domainLabel] ?? '',
          labels,
        });
      } else if (ref.kind === 'Host') {
        entities.push({ kind: 'Host', name: ref.name, host: ref.name, domain: '', labels: {} });
      } else if (ref.kind === 'Workload' && ref.cluster) {
        const found = await workloadOf(deps, team, ref.cluster, ref.namespace, ref.name);
        const application = ref.application ?? found?.labels[deliveryLabels.application];
        entities.push({
          kind: 'Workload',
          name: ref.name,
          cluster: ref.cluster,
          ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
          ...(found ? { workloadKind: found.kind } : {}),
          ...(application !== undefined ? { application } : {}),
          domain: '',
          labels: found?.labels ?? {},
        });
      } else if (ref.kind === 'Application') {
        entities.push({ kind: 'Application', name: ref.name, domain: '', labels: {} });
      }
    }
    const shared = exception?.correlationReason?.shared;
    const level = shared?.['domain'];
    if (exception?.correlationReason?.ruleKind === 'Topology' && (level === 'rack' || level === 'zone')) {
      const name = shared?.[level] ?? '';
      if (name) entities.push({ kind: 'Domain', name, domain: name, labels: { level, ...shared } });
    }
    return entities;
  };
  return {
    resolve: (team, refs, exception) => resolveWith(team, rowByRow(team), refs, exception),
    async resolveMany(team, items) {
      // In a pass the team's nodes and hosts are read once for every port anyway (the domain shares need
      // them): the exceptions' nodes are looked up there rather than one read per node.
      const bulk = items.length >= RESOLVE_IN_BULK_FROM || deps.snapshots?.active === true;
      const lookup = bulk ? await snapshot(team) : rowByRow(team);
      const resolved: HealingEntity[][] = [];
      for (const item of items) resolved.push(await resolveWith(team, lookup, item.refs, item.exception));
      return resolved;
    },
  };
}

/**
 * Exceptions as triggers: the unresolved ones (open or acknowledged are active; a mitigated one is not
 * acted on), each episode its own trigger (`since` is the episode's start), with its member alerts.
 */
export function createExceptionTriggerSource(deps: {
  exceptions: Pick<ExceptionRepository, 'unresolved' | 'get' | 'alerts' | 'alertsOf'>;
  entities: EntityResolver;
}): TriggerSource {
  const view = (
    record: ExceptionRecord,
    alerts: readonly ExceptionAlert[],
    entities: HealingEntity[],
  ): HealingTriggerView => ({
    kind: 'exception',
    team: record.team,
    id: record.id,
    active: ACTIVE_EXCEPTION_STATES.has(record.state),
    since: record.episodeOpenedAt,
    entities,
    binding: {
      id: record.id,
      title: record.title,
      severity: record.severity,
      state: record.state,
      entities: record.entities,
      correlationKey: record.correlationKey ?? '',
      level: record.level ?? '',
    },
    alerts: alerts.map((a) => ({ labels: a.labels, state: a.state })),
  });
  /**
   * The views of the last `active` call, which the controller makes at the start of each pass: its runs'
   * guards in the same pass read them instead of the store (an exception resolved since is seen next pass).
   */
  let pass = new Map<string, HealingTriggerView>();
  return {
    async active(_now, interest) {
      pass = new Map();
      if (interest.exception.size === 0) return [];
      const byTeam = new Map<string, ExceptionRecord[]>();
      let after = 0;
      for (;;) {
        const page = await deps.exceptions.unresolved(after, 500);
        for (const record of page.items)
          if (ACTIVE_EXCEPTION_STATES.has(record.state) && interest.exception.has(record.team))
            byTeam.set(record.team, [...(byTeam.get(record.team) ?? []), record]);
        if (page.items.length < 500) break;
        after = page.lastSeq;
      }
      const views: HealingTriggerView[] = [];
      for (const [team, records] of byTeam) {
        const alerts = await deps.exceptions.alertsOf(records.map((record) => record.id));
        const entities = await deps.entities.resolveMany(
          team,
          records.map((record) => ({ refs: record.entities, exception: record })),
        );
        records.forEach((record, i) => {
          const triggerView = view(record, alerts.get(record.id) ?? [], entities[i]!);
          pass.set(record.id, triggerView);
          views.push(triggerView);
        });
      }
      return views;
    },
    async get(team, kind, id) {
      if (kind !== 'exception') return undefined;
      const seen = pass.get(id);
      if (seen?.team === team) return seen;
      const record = await deps.exceptions.get(team, id);
      if (!record) return undefined;
      return view(
        record,
        await deps.exceptions.alerts(record.id),
        await deps.entities.resolve(record.team, record.entities, record),
      );
    },
  };
}

/** An alert's entities as references: its node (in its cluster), its application. */
function alertRefs(alert: Pick<StoredAlert, 'entities'>): EntityRefRecord[] {
  const refs: EntityRefRecord[] = [];
  const { cluster, node, application } = alert.entities;
  if (node && cluster) refs.push({ kind: 'Node', name: node, cluster });
  if (application) refs.push({ kind: 'Application', name: application });
  return refs;
}

/**
 * Firing alerts as triggers, of the teams that have alert policies only; an alert's episode is its
 * `startsAt` (an alert that fires again after it resolved is a new trigger). A resolved alert is never active.
 */
export function createAlertTriggerSource(deps: {
  alerts: Pick<AlertRepository, 'query' | 'get'>;
  entities: EntityResolver;
  /** Most alerts read per team and pass. */
  limit?: number;
}): TriggerSource {
  const view = async (alert: StoredAlert, now: string): Promise<HealingTriggerView> => {
    const state = alertState(alert, now);
    return {
      kind: 'alert',
      team: alert.team,
      id: alert.fingerprint,
      active: state === 'firing',
      since: alert.startsAt,
      entities: await deps.entities.resolve(alert.team, alertRefs(alert)),
      binding: {
        fingerprint: alert.fingerprint,
        labels: alert.labels,
        annotations: alert.annotations,
        state,
      },
      alerts: [{ labels: alert.labels, state }],
    };
  };
  return {
    async active(now, interest) {
      const iso = new Date(now).toISOString();
      const views: HealingTriggerView[] = [];
      for (const team of interest.alert) {
        const page = await deps.alerts.query({
          teams: [team],
          state: 'firing',
          now: iso,
          limit: deps.limit ?? 5000,
        });
        for (const alert of page.items) views.push(await view(alert, iso));
      }
      return views;
    },
    async get(team, kind, id) {
      if (kind !== 'alert') return undefined;
      const alert = await deps.alerts.get(team, id);
      return alert ? view(alert, new Date().toISOString()) : undefined;
    },
  };
}

/** Open risks as triggers, of the teams that have risk policies only; a gone risk is never active. */
export function createRiskTriggerSource(deps: {
  risks: Pick<RiskRepository, 'list' | 'get'>;
  entities: EntityResolver;
  limit?: number;
}): TriggerSource {
  const view = async (risk: Risk): Promise<HealingTriggerView> => ({
    kind: 'risk',
    team: risk.team,
    id: risk.id,
    active: risk.state === 'open',
    since: risk.firstSeenAt,
    entities: await deps.entities.resolve(
      risk.team,
      risk.entities.flatMap((e) =>
        e.kind === 'Node' || e.kind === 'Application' || e.kind === 'Host' || e.kind === 'Workload'
          ? [e as EntityRefRecord]
          : [],
      ),
    ),
    binding: {
      id: risk.id,
      title: risk.title,
      score: risk.score,
      source: risk.source.name,
      sourceKind: risk.source.kind,
      check: risk.source.check,
      entities: risk.entities,
    },
    alerts: [],
  });
  return {
    async active(_now, interest) {
      const views: HealingTriggerView[] = [];
      for (const team of interest.risk) {
        const page = await deps.risks.list({ team, state: 'open', limit: deps.limit ?? 5000 });
        for (const risk of page.items) views.push(await view(risk));
      }
      return views;
    },
    async get(team, kind, id) {
      if (kind !== 'risk') return undefined;
      const risk = await deps.risks.get(team, id);
      return risk ? view(risk) : undefined;
    },
  };
}

/** Several trigger sources as one: each answers for its own kind. */
export function combineTriggerSources(sources: readonly TriggerSource[]): TriggerSource {
  return {
    async active(now, interest) {
      return (await Promise.all(sources.map((source) => source.active(now, interest)))).flat();
    },
    async get(team, kind, id) {
      for (const source of sources) {
        const found = await source.get(team, kind, id);
        if (found) return found;
      }
      return undefined;
    },
  };
}

/** The entity read again for verification: a node's or host's condition binding, a workload's replicas. */
export function createInventoryEntityReader(deps: InventoryDeps): EntityReader {
  const subjects = createInventoryConditionSubjects(deps);
  return {
    async read(team, entity) {
      if (entity.kind === 'Node' || entity.kind === 'Host') {
        const all = await subjects.list(team, entity.kind === 'Node' ? 'nodes' : 'hosts');
        // A host is its name (its node's cluster is learnt, and may be learnt later than the run began).
        return all.find(
          (s) =>
            s.entity.name === entity.name && (entity.kind === 'Host' || s.entity.cluster === entity.cluster),
        )?.binding;
      }
      if (entity.kind === 'Workload' && entity.cluster) {
        const page = await deps.inventory.list<WorkloadSummary>({
          kind: entity.workloadKind ?? 'Deployment',
          clusters: [`${team}/${entity.cluster}`],
          ...(entity.namespace !== undefined ? { namespace: entity.namespace } : {}),
          name: entity.name,
          limit: 1,
        });
        const item = page.items[0];
        return item
          ? {
              name: entity.name,
              desired: item.data.desired,
              ready: item.data.ready,
              available: item.data.available,
            }
          : undefined;
      }
      return undefined;
    },
  };
}

/** The names of a team's MetricsSources (a team has a handful; the first page of 100 is all of them). */
async function teamMetricsSources(
  resources: Pick<ResourceRepository, 'list'>,
  team: string,
): Promise<string[]> {
  const page = await resources.list({ kind: 'MetricsSource', teams: [team], limit: 100 });
  return page.items.map((item) => item.name);
}
