import { X509Certificate } from 'node:crypto';
import {
  WORKLOAD_KINDS,
  type ApplicationSpec,
  type ApplicationStatus,
  type ClusterSpec,
  type ClusterStatus,
  type InspectionSubject,
  type NodeSummary,
  type Resource,
  type TlsCertificateSummary,
  type WorkloadSummary,
} from '@gantry/model';
import type { InventoryRepository, ResourceRepository } from '@gantry/store';

/** One object an inventory check looks at: what CEL sees, and the entity a risk names. */
export interface InspectionSubjectItem {
  /** Stable within the check: `cluster/namespace/kind/name` style. */
  key: string;
  /** Human form for default titles. */
  label: string;
  entities: {
    kind: 'Node' | 'Workload' | 'Cluster' | 'Application' | 'Namespace';
    name: string;
    cluster?: string;
    namespace?: string;
  }[];
  binding: Record<string, unknown>;
}

/** The objects of one team that inspections read. */
export interface InspectionData {
  subjects(over: InspectionSubject, team: string, now: number): Promise<InspectionSubjectItem[]>;
}

/** Where a cluster's client certificate expiry can be read, when it can (the kubeconfig's client cert). */
export interface ClusterCertificates {
  clientCertificateNotAfter(team: string, cluster: Resource<ClusterSpec>): Promise<string | undefined>;
}

export interface InspectionDataDeps {
  resources: Pick<ResourceRepository, 'list'>;
  inventory: Pick<InventoryRepository, 'list'>;
  certificates?: ClusterCertificates;
}

const PAGE = 1000;
const DAY_MS = 86_400_000;

/**
 * The team's objects from Gantry's store: Cluster and Application resources, nodes and workloads of the
 * team's clusters from the inventory. Bindings are plain JSON (what CEL sees); see
 * docs/reference/kinds/inspection.md for every field.
 */
export function createInspectionData(deps: InspectionDataDeps): InspectionData {
  async function listKind<T>(kind: string, team: string): Promise<T[]> {
    const out: T[] = [];
    let after: { team: string; name: string } | undefined;
    do {
      const page = await deps.resources.list({
        kind,
        teams: [team],
        limit: PAGE,
        ...(after ? { after } : {}),
      });
      for (const item of page.items) out.push(JSON.parse(item.json) as T);
      after = page.next;
    } while (after);
    return out;
  }

  async function listInventory<T>(kind: string, clusters: string[]) {
    const out: { cluster: string; namespace: string; name: string; data: T; kind: string }[] = [];
    let after: { cluster: string; namespace: string; name: string } | undefined;
    do {
      const page = await deps.inventory.list<T>({ kind, clusters, limit: PAGE, ...(after ? { after } : {}) });
      out.push(...page.items);
      after = page.next;
    } while (after);
    return out;
  }

  const clusterIds = async (team: string) =>
    (await listKind<Resource>('Cluster', team)).map((cluster) => `${team}/${cluster.metadata.name}`);
  const clusterName = (id: string) => id.slice(id.indexOf('/') + 1);

  async function nodes(team: string, now: number): Promise<InspectionSubjectItem[]> {
    const items = await listInventory<NodeSummary>('Node', await clusterIds(team));
    return items.map((item) => {
      const cluster = clusterName(item.cluster);
      const node = item.data;
      const pressure = node.conditions
        .filter((c) => c.type.endsWith('Pressure') && c.status === 'True')
        .map((c) => c.type);
      return {
        key: `${cluster}/${item.name}`,
        label: `node ${item.name} of cluster ${cluster}`,
        entities: [
          { kind: 'Node', name: item.name, cluster },
          { kind: 'Cluster', name: cluster },
        ],
        binding: {
          name: item.name,
          cluster,
          ready: node.ready,
          unschedulable: node.unschedulable,
          labels: node.labels,
          conditions: conditionMap(node.conditions, now),
          pressure,
          capacity: node.capacity,
          allocatable: node.allocatable,
          taints: node.taints.map((t) => ({ key: t.key, value: t.value ?? '', effect: t.effect })),
          kubeletVersion: node.kubeletVersion ?? '',
        },
      };
    });
  }

  async function workloads(team: string): Promise<InspectionSubjectItem[]> {
    const ids = await clusterIds(team);
    const budgets = await listInventory<PodDisruptionBudgetData>('PodDisruptionBudget', ids);
    const budgetsByCluster = new Map<string, PodDisruptionBudgetData[]>();
    const budgetsByNamespace = new Map<string, PodDisruptionBudgetData[]>();
    for (const budget of budgets) {
      // The fleet's own rows (with `selector`) come with the workloads' coverage already judged.
      if ('selector' in budget.data) continue;
      budgetsByCluster.set(budget.cluster, [...(budgetsByCluster.get(budget.cluster) ?? []), budget.data]);
      const key = `${budget.cluster}\u0000${budget.namespace}`;
      budgetsByNamespace.set(key, [...(budgetsByNamespace.get(key) ?? []), budget.data]);
    }
    const out: InspectionSubjectItem[] = [];
    for (const kind of WORKLOAD_KINDS) {
      for (const item of await listInventory<WorkloadSummary>(kind, ids)) {
        const cluster = clusterName(item.cluster);
        const workload = item.data;
        const refs = workload.images.map(parseImage);
        const inNamespace = budgetsByNamespace.get(`${item.cluster}\u0000${item.namespace}`) ?? [];
        const covered = inNamespace.some((budget) => selects(budget.matchLabels, workload.labels));
        out.push({
          key: `${cluster}/${item.namespace}/${kind}/${item.name}`,
          label: `${kind} ${item.namespace}/${item.name} in cluster ${cluster}`,
          entities: [
            { kind: 'Workload', name: item.name, cluster, namespace: item.namespace },
            { kind: 'Cluster', name: cluster },
          ],
          binding: {
            kind,
            name: item.name,
            namespace: item.namespace,
            cluster,
            desired: workload.desired,
            ready: workload.ready,
            available: workload.available,
            healthy: workload.healthy,
            labels: workload.labels,
            images: workload.images,
            imageRefs: refs,
            unpinnedImages: refs.filter((ref) => !ref.pinned).map((ref) => ref.image),
            // The fleet judges coverage as it collects (the pods' labels against each budget's selector);
            // rows written without that judgement are matched here by `matchLabels`. A cluster whose
            // inventory holds no PodDisruptionBudget at all cannot tell "none" from "not collected":
            // unknown, never a false "uncovered".
            podDisruptionBudget:
              workload.podDisruptionBudget ??
              (covered ? 'covered' : budgetsByCluster.has(item.cluster) ? 'uncovered' : 'unknown'),
          },
        });
      }
    }
    return out;
  }

  async function clusters(team: string, now: number): Promise<InspectionSubjectItem[]> {
    const items = await listKind<Resource<ClusterSpec, ClusterStatus>>('Cluster', team);
    const nodeItems = await listInventory<NodeSummary>(
      'Node',
      items.map((cluster) => `${team}/${cluster.metadata.name}`),
    );
    const notReady = new Map<string, string[]>();
    const total = new Map<string, number>();
    for (const node of nodeItems) {
      total.set(node.cluster, (total.get(node.cluster) ?? 0) + 1);
      if (!node.data.ready) notReady.set(node.cluster, [...(notReady.get(node.cluster) ?? []), node.name]);
    }
    const out: InspectionSubjectItem[] = [];
    for (const cluster of items) {
      const name = cluster.metadata.name;
      const conditions = cluster.status?.conditions ?? [];
      const names = notReady.get(`${team}/${name}`) ?? [];
      let notAfter: string | undefined;
      try {
        notAfter = await deps.certificates?.clientCertificateNotAfter(team, cluster);
      } catch {
        notAfter = undefined; // unreadable: the certificate is not visible, which is not a risk by itself
      }
      out.push({
        key: name,
        label: `cluster ${name}`,
        entities: [{ kind: 'Cluster', name }],
        binding: {
          name,
          labels: cluster.metadata.labels ?? {},
          paused: cluster.spec.paused,
          connected: conditions.some((c) => c.type === 'Connected' && c.status === 'True'),
          ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
          conditions: conditionMap(conditions, now),
          serverVersion: cluster.status?.serverVersion ?? '',
          // Counted from the inventory the checks read, so the numbers agree with the nodes' own bindings.
          nodes: total.get(`${team}/${name}`) ?? 0,
          readyNodes: (total.get(`${team}/${name}`) ?? 0) - names.length,
          notReadyNodes: names.length,
          notReadyNodeNames: names.slice(0, 50),
          clientCertificate: notAfter
            ? { notAfter, daysLeft: Math.floor((Date.parse(notAfter) - now) / DAY_MS) }
            : null,
        },
      });
    }
    return out;
  }

  /** The TLS Secrets of the team's clusters, where the fleet collects them (`GANTRY_FLEET_TLS_CERTIFICATES`). */
  async function certificates(team: string, now: number): Promise<InspectionSubjectItem[]> {
    const items = await listInventory<TlsCertificateSummary>('TLSCertificate', await clusterIds(team));
    return items.map((item) => {
      const cluster = clusterName(item.cluster);
      const notAfter = item.data.notAfter ?? null;
      return {
        key: `${cluster}/${item.namespace}/${item.name}`,
        label: `TLS secret ${item.namespace}/${item.name} in cluster ${cluster}`,
        entities: [
          { kind: 'Namespace', name: item.namespace, cluster },
          { kind: 'Cluster', name: cluster },
        ],
        binding: {
          name: item.name,
          namespace: item.namespace,
          cluster,
          notAfter,
          daysLeft: notAfter === null ? null : Math.floor((Date.parse(notAfter) - now) / DAY_MS),
          readable: notAfter !== null,
        },
      };
    });
  }

  async function applications(team: string, now: number): Promise<InspectionSubjectItem[]> {
    const items = await listKind<Resource<ApplicationSpec, ApplicationStatus>>('Application', team);
    return items.map((app) => ({
      key: app.metadata.name,
      label: `application ${app.metadata.name}`,
      entities: [{ kind: 'Application', name: app.metadata.name }],
      binding: {
        name: app.metadata.name,
        labels: app.metadata.labels ?? {},
        health: app.status?.health ?? 'Unknown',
        ready: app.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        revision: app.status?.revision ?? 0,
        conditions: conditionMap(app.status?.conditions ?? [], now),
        targets: (app.status?.targets ?? []).map((t) => ({
          cluster: t.cluster,
          namespace: t.namespace,
          phase: t.phase,
        })),
      },
    }));
  }

  return {
    subjects(over, team, now) {
      switch (over) {
        case 'nodes':
          return nodes(team, now);
        case 'workloads':
          return workloads(team);
        case 'clusters':
          return clusters(team, now);
        case 'applications':
          return applications(team, now);
        case 'certificates':
          return certificates(team, now);
      }
    },
  };
}

/**
 * A PodDisruptionBudget row of kind `PodDisruptionBudget` written by hand or by an older fleet: a selector
 * of `matchLabels` alone. The fleet's rows are `PodDisruptionBudgetSummary` (with `selector`).
 */
export interface PodDisruptionBudgetData {
  matchLabels?: Record<string, string>;
  selector?: unknown;
}

function selects(matchLabels: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!matchLabels || Object.keys(matchLabels).length === 0) return true; // an empty selector selects all
  return Object.entries(matchLabels).every(([key, value]) => labels[key] === value);
}

export interface ImageRef {
  image: string;
  repository: string;
  tag: string;
  digest: string;
  /** Pinned: a digest, or a tag other than `latest`. */
  pinned: boolean;
}

/** Splits `registry:port/repo:tag@sha256:...`; the tag is after the last `:` of the last path segment. */
export function parseImage(image: string): ImageRef {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : '';
  const named = at >= 0 ? image.slice(0, at) : image;
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const hasTag = colon > slash;
  const tag = hasTag ? named.slice(colon + 1) : '';
  const repository = hasTag ? named.slice(0, colon) : named;
  return { image, repository, tag, digest, pinned: digest !== '' || (tag !== '' && tag !== 'latest') };
}

interface LooseCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

function conditionMap(conditions: readonly LooseCondition[], now: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const condition of conditions) {
    const since = condition.lastTransitionTime ? Date.parse(condition.lastTransitionTime) : NaN;
    out[condition.type] = {
      status: condition.status,
      reason: condition.reason ?? '',
      message: condition.message ?? '',
      forSeconds: Number.isFinite(since) ? Math.max(0, Math.floor((now - since) / 1000)) : 0,
    };
  }
  return out;
}

/** The expiry of the kubeconfig's first `client-certificate-data`, if it has one that parses. */
export function kubeconfigClientCertificateNotAfter(kubeconfig: string): string | undefined {
  const match = /client-certificate-data:\s*["']?([A-Za-z0-9+/=]+)/.exec(kubeconfig);
  if (!match?.[1]) return undefined;
  try {
    const certificate = new X509Certificate(Buffer.from(match[1], 'base64'));
    return new Date(certificate.validTo).toISOString();
  } catch {
    return undefined;
  }
}
