import type { Logger } from 'pino';
import {
  isFencedWriteRefused,
  type EventRepository,
  type FencedWriteRefused,
  type InventoryChange,
  type InventoryRepository,
  type ObservedEvent,
  type WriteFence,
} from '@gantry/store';
import {
  eventRecord,
  podPhase,
  summarizeNamespace,
  summarizeNode,
  summarizeWorkload,
  WATCHED,
  type WatchedKind,
} from './inventory/summaries.ts';
import {
  WORKLOAD_KINDS,
  type LabelSelectorSummary,
  type PodDisruptionBudgetSummary,
  type WorkloadKind,
  type WorkloadSummary,
} from '@gantry/model';
import {
  DisruptionBudgetIndex,
  podTemplateLabels,
  summarizePodDisruptionBudget,
} from './inventory/disruption-budgets.ts';
import { summarizeTlsSecret, TLS_SECRETS } from './inventory/tls-certificates.ts';
import type { KubeClient, KubeObject } from './kube/kube-client.ts';
import { abortableSleep, Reflector } from './kube/reflector.ts';

export interface KindState {
  synced: boolean;
  /** The last failure, until the next successful sync. */
  error?: string;
  /** HTTP status of the last failure (403 for RBAC, 0 when unreachable). */
  errorStatus?: number;
}

export interface ConnectionState {
  /** Every kind this connection watches (`TLSCertificate` only when opted in). */
  kinds: Partial<Record<WatchedKind, KindState>>;
  nodes: number;
  readyNodes: number;
  namespaces: number;
  workloads: number;
  pods: Record<string, number>;
}

export interface ConnectionOptions {
  /** `team/name` of the Cluster. */
  cluster: string;
  team: string;
  client: KubeClient;
  inventory: InventoryRepository;
  events: EventRepository;
  logger: Logger;
  now: () => number;
  /** How long inventory changes are gathered before one write. */
  flushIntervalMs?: number;
  /** Told whenever the connection's state changes in a way status should show (sync, failure). */
  onStateChange?: () => void;
  /**
   * Also list and watch the `kubernetes.io/tls` Secrets and keep each certificate's expiry
   * (`GANTRY_FLEET_TLS_CERTIFICATES`, off by default): their data crosses the wire, only `notAfter` is kept.
   */
  tlsCertificates?: boolean;
  /**
   * The term of the `controller/cluster` lease these watches run in (ADR 0028): every inventory and event
   * write carries its fence, so that once another server leads the store refuses them. Absent only where
   * nothing is fenced (tests of a connection alone).
   */
  term?: ConnectionTerm;
}

/** What a connection needs of the term it runs in: the fence, and where to report a refused write. */
export interface ConnectionTerm {
  fence: WriteFence | undefined;
  /** A write was refused: the term is over (the controller runtime counts, logs once and ends it). */
  refused(error: FencedWriteRefused): void;
}

const WORKLOADS = new Set<string>(WORKLOAD_KINDS);

type InventoryRow = Extract<InventoryChange, { op: 'upsert' }>['item'];
const POD_SUMMARY = 'PodSummary';
const BUDGET = 'PodDisruptionBudget';

/**
 * A workload as last stored, with the labels of its pods: stored again when a PodDisruptionBudget's
 * change turns its coverage.
 */
interface HeldWorkload {
  row: InventoryRow;
  podLabels: Record<string, string>;
}

/**
 * Everything Gantry watches in one cluster: a reflector per resource kind feeding the inventory and the
 * event records. Writes are gathered for `flushIntervalMs` and committed in one transaction, so a fleet of
 * thousands of nodes costs a few writes a second, not one per object.
 */
export class ClusterConnection {
  readonly #abort = new AbortController();
  readonly #watches: { kind: WatchedKind; path: string; params?: Record<string, string> }[];
  readonly #kinds: Partial<Record<WatchedKind, KindState>>;
  readonly #nodes = new Map<string, boolean>();
  readonly #namespaces = new Set<string>();
  readonly #workloads = new Set<string>();
  /** pod uid → namespace and phase */
  readonly #pods = new Map<string, { namespace: string; phase: string }>();
  readonly #podCounts = new Map<string, Map<string, number>>();
  readonly #dirtyPodNamespaces = new Set<string>();
  readonly #budgets = new DisruptionBudgetIndex();
  /** The budgets of a list in progress: they replace the index once the list is complete. */
  #budgetListing: { namespace: string; name: string; selector: LabelSelectorSummary | null }[] = [];
  /** namespace → `kind/name` → the workload as stored. */
  readonly #held = new Map<string, Map<string, HeldWorkload>>();
  #pending: InventoryChange[] = [];
  #pendingEvents: ObservedEvent[] = [];
  #writes: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  /** A write was refused: the term is over, nothing more is written (the term's end stops the watches). */
  #fenced = false;

  constructor(private readonly options: ConnectionOptions) {
    this.#watches = [
      ...(Object.entries(WATCHED) as [WatchedKind, string][]).map(([kind, path]) => ({ kind, path })),
      ...(options.tlsCertificates
        ? [{ kind: 'TLSCertificate' as const, path: TLS_SECRETS.path, params: { ...TLS_SECRETS.params } }]
        : []),
    ];
    this.#kinds = Object.fromEntries(this.#watches.map(({ kind }) => [kind, { synced: false }]));
  }

  get cluster(): string {
    return this.options.cluster;
  }

  start(): void {
    const { client, logger } = this.options;
    this.#timer = setInterval(() => this.#flush(), this.options.flushIntervalMs ?? 100);
    this.#running = Promise.all(
      this.#watches.map(({ kind, path, params }) => {
        const reflector = new Reflector(client, this.#handlers(kind), {
          path,
          ...(params ? { params } : {}),
          pageSize: 500,
          watchTimeoutSeconds: 300,
          backoff: { baseMs: 500, maxMs: 30_000 },
          sleep: abortableSleep,
        });
        return reflector
          .run(this.#abort.signal)
          .catch((error: unknown) => logger.error({ err: error, kind }, 'reflector stopped'));
      }),
    );
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
    this.#flush();
    await this.#writes;
  }

  state(): ConnectionState {
    const pods: Record<string, number> = {};
    for (const { phase } of this.#pods.values()) pods[phase] = (pods[phase] ?? 0) + 1;
    return {
      kinds: structuredClone(this.#kinds),
      nodes: this.#nodes.size,
      readyNodes: [...this.#nodes.values()].filter(Boolean).length,
      namespaces: this.#namespaces.size,
      workloads: this.#workloads.size,
      pods,
    };
  }

  #setState(kind: WatchedKind, next: KindState): void {
    const before = this.#kinds[kind] ?? { synced: false };
    this.#kinds[kind] = next;
    if (before.synced !== next.synced || before.error !== next.error) this.options.onStateChange?.();
  }

  #handlers(kind: WatchedKind) {
    return {
      page: (items: KubeObject[], first: boolean) => this.#listPage(kind, items, first),
      replaced: () => this.#replaced(kind),
      upsert: (object: KubeObject) => this.#upsert(kind, object),
      remove: (object: KubeObject) => this.#remove(kind, object),
      failed: (error: unknown) => {
        const status = (error as { status?: number }).status;
        this.options.logger.warn({ err: error, kind }, 'watch failed; retrying');
        this.#setState(kind, {
          synced: false,
          error: (error as Error).message,
          ...(status !== undefined ? { errorStatus: status } : {}),
        });
      },
      synced: () => this.#setState(kind, { synced: true }),
    };
  }

  #item(kind: string, object: KubeObject, data: unknown): InventoryRow {
    return {
      cluster: this.options.cluster,
      kind,
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name,
      uid: object.metadata.uid,
      data,
    };
  }

  /** The inventory row of an object; a workload's carries its PodDisruptionBudget coverage, and is held. */
  #row(kind: WatchedKind, object: KubeObject): InventoryRow {
    if (kind === 'Node') return this.#item(kind, object, summarizeNode(object));
    if (kind === 'Namespace') return this.#item(kind, object, summarizeNamespace(object));
    if (kind === BUDGET) return this.#item(kind, object, summarizePodDisruptionBudget(object));
    if (kind === 'TLSCertificate') return this.#item(kind, object, summarizeTlsSecret(object));
    const workloadKind = kind as WorkloadKind;
    const namespace = object.metadata.namespace ?? '';
    const podLabels = podTemplateLabels(workloadKind, object);
    const summary = summarizeWorkload(workloadKind, object);
    const coverage = this.#budgets.coverage(namespace, podLabels);
    const row = this.#item(kind, object, coverage ? { ...summary, podDisruptionBudget: coverage } : summary);
    let held = this.#held.get(namespace);
    if (!held) this.#held.set(namespace, (held = new Map()));
    held.set(`${kind}/${object.metadata.name}`, { row, podLabels });
    return row;
  }

  #release(kind: string, namespace: string, name: string): void {
    const held = this.#held.get(namespace);
    held?.delete(`${kind}/${name}`);
    if (held?.size === 0) this.#held.delete(namespace);
  }

  /**
   * The PodDisruptionBudgets of `namespace` (or of every namespace) changed: each held workload whose
   * coverage turned is stored again.
   */
  #recover(namespace?: string): void {
    const namespaces = namespace === undefined ? [...this.#held.values()] : [this.#held.get(namespace)];
    for (const held of namespaces) {
      for (const entry of held?.values() ?? []) {
        const data = entry.row.data as WorkloadSummary;
        const coverage = this.#budgets.coverage(entry.row.namespace, entry.podLabels);
        if (coverage === data.podDisruptionBudget) continue;
        const { podDisruptionBudget: _previous, ...rest } = data;
        entry.row = { ...entry.row, data: coverage ? { ...rest, podDisruptionBudget: coverage } : rest };
        this.#pending.push({ op: 'upsert', item: entry.row });
      }
    }
  }

  #track(kind: WatchedKind, object: KubeObject, present: boolean): void {
    const key = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    if (kind === 'Node') {
      if (present) this.#nodes.set(object.metadata.name, summarizeNode(object).ready);
      else this.#nodes.delete(object.metadata.name);
    } else if (kind === 'Namespace') {
      if (present) this.#namespaces.add(object.metadata.name);
      else this.#namespaces.delete(object.metadata.name);
    } else if (WORKLOADS.has(kind)) {
      if (present) this.#workloads.add(`${kind}/${key}`);
      else this.#workloads.delete(`${kind}/${key}`);
    }
  }

  /** Summaries of a list in progress, by kind: only these small objects are held until the list ends. */
  readonly #listing = new Map<WatchedKind, InventoryRow[]>();

  #listPage(kind: WatchedKind, items: KubeObject[], first: boolean): void {
    if (kind === 'Pod') {
      if (first) {
        for (const namespace of this.#podCounts.keys()) this.#dirtyPodNamespaces.add(namespace);
        this.#pods.clear();
        this.#podCounts.clear();
      }
      for (const pod of items) this.#upsertPod(pod);
      return;
    }
    if (kind === 'Event') {
      this.#pendingEvents.push(
        ...items.map((event) => eventRecord(this.options.team, this.options.cluster, event)),
      );
      return;
    }
    if (first) {
      this.#listing.set(kind, []);
      if (kind === 'Node') this.#nodes.clear();
      if (kind === 'Namespace') this.#namespaces.clear();
      if (kind === BUDGET) this.#budgetListing = [];
      if (WORKLOADS.has(kind)) {
        for (const key of [...this.#workloads]) if (key.startsWith(`${kind}/`)) this.#workloads.delete(key);
        for (const [namespace, held] of [...this.#held])
          for (const key of [...held.keys()])
            if (key.startsWith(`${kind}/`)) this.#release(kind, namespace, key.slice(kind.length + 1));
      }
    }
    const rows = this.#listing.get(kind)!;
    for (const object of items) {
      this.#track(kind, object, true);
      rows.push(this.#row(kind, object));
      if (kind === BUDGET)
        this.#budgetListing.push({
          namespace: object.metadata.namespace ?? '',
          name: object.metadata.name,
          selector: (rows.at(-1)!.data as PodDisruptionBudgetSummary).selector,
        });
    }
  }

  #replaced(kind: WatchedKind): void {
    let rows = this.#listing.get(kind);
    this.#listing.delete(kind);
    if (!rows) return;
    // A full list replaces what was stored, after whatever was queued before it.
    this.#pending = this.#pending.filter(
      (change) => (change.op === 'upsert' ? change.item.kind : change.kind) !== kind,
    );
    // Workloads as held now: a budget's change during the list has turned some rows' coverage since.
    if (WORKLOADS.has(kind))
      rows = rows.map((row) => this.#held.get(row.namespace)?.get(`${kind}/${row.name}`)?.row ?? row);
    const replaced = rows;
    this.#enqueueWrite(() =>
      this.options.inventory.replaceKind(this.options.cluster, kind, replaced, this.#nowIso(), this.#fence),
    );
    if (kind === BUDGET) {
      this.#budgets.replace(this.#budgetListing);
      this.#budgetListing = [];
      this.#recover();
    }
  }

  #upsert(kind: WatchedKind, object: KubeObject): void {
    if (kind === 'Pod') return this.#upsertPod(object);
    if (kind === 'Event') {
      this.#pendingEvents.push(eventRecord(this.options.team, this.options.cluster, object));
      return;
    }
    this.#track(kind, object, true);
    const row = this.#row(kind, object);
    this.#pending.push({ op: 'upsert', item: row });
    if (kind === BUDGET) {
      const { selector } = row.data as PodDisruptionBudgetSummary;
      this.#budgets.set(row.namespace, row.name, selector);
      this.#recover(row.namespace);
    }
  }

  #remove(kind: WatchedKind, object: KubeObject): void {
    if (kind === 'Pod') return this.#removePod(object);
    if (kind === 'Event') return;
    const namespace = object.metadata.namespace ?? '';
    this.#track(kind, object, false);
    if (WORKLOADS.has(kind)) this.#release(kind, namespace, object.metadata.name);
    this.#pending.push({
      op: 'delete',
      cluster: this.options.cluster,
      kind,
      namespace,
      name: object.metadata.name,
    });
    if (kind === BUDGET) {
      this.#budgets.delete(namespace, object.metadata.name);
      this.#recover(namespace);
    }
  }

  #count(namespace: string, phase: string, delta: number): void {
    let counts = this.#podCounts.get(namespace);
    if (!counts) this.#podCounts.set(namespace, (counts = new Map()));
    const next = (counts.get(phase) ?? 0) + delta;
    if (next <= 0) counts.delete(phase);
    else counts.set(phase, next);
    if (counts.size === 0) this.#podCounts.delete(namespace);
    this.#dirtyPodNamespaces.add(namespace);
  }

  #upsertPod(pod: KubeObject): void {
    const namespace = pod.metadata.namespace ?? '';
    const phase = podPhase(pod);
    const before = this.#pods.get(pod.metadata.uid);
    if (before?.phase === phase) return;
    if (before) this.#count(before.namespace, before.phase, -1);
    this.#pods.set(pod.metadata.uid, { namespace, phase });
    this.#count(namespace, phase, 1);
  }

  #removePod(pod: KubeObject): void {
    const before = this.#pods.get(pod.metadata.uid);
    if (!before) return;
    this.#pods.delete(pod.metadata.uid);
    this.#count(before.namespace, before.phase, -1);
  }

  #nowIso(): string {
    return new Date(this.options.now()).toISOString();
  }

  get #fence(): WriteFence | undefined {
    return this.options.term?.fence;
  }

  /**
   * Writes one after another. After a refused write nothing more is written: the term is over, and the
   * refusal goes to the term, which ends (stopping these watches); the next term lists everything again.
   */
  #enqueueWrite(write: () => Promise<void>): void {
    this.#writes = this.#writes
      .then(() => (this.#fenced ? undefined : write()))
      .catch((error: unknown) => {
        if (!isFencedWriteRefused(error)) {
          this.options.logger.error({ err: error }, 'inventory write failed');
          return;
        }
        this.#fenced = true;
        this.#pending = [];
        this.#pendingEvents = [];
        this.options.term?.refused(error);
      });
  }

  #flush(): void {
    for (const namespace of this.#dirtyPodNamespaces) {
      const counts = this.#podCounts.get(namespace);
      this.#pending.push(
        counts
          ? {
              op: 'upsert',
              item: {
                cluster: this.options.cluster,
                kind: POD_SUMMARY,
                namespace,
                name: 'pods',
                uid: namespace,
                data: Object.fromEntries(counts),
              },
            }
          : { op: 'delete', cluster: this.options.cluster, kind: POD_SUMMARY, namespace, name: 'pods' },
      );
    }
    this.#dirtyPodNamespaces.clear();
    if (this.#pending.length > 0) {
      const changes = this.#pending;
      this.#pending = [];
      this.#enqueueWrite(() => this.options.inventory.apply(changes, this.#nowIso(), this.#fence));
    }
    if (this.#pendingEvents.length > 0) {
      const events = this.#pendingEvents;
      this.#pendingEvents = [];
      this.#enqueueWrite(() => this.options.events.upsert(events, this.#fence));
    }
  }
}
