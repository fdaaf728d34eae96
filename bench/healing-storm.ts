// Self-healing under a storm (issue 14): 500 nodes fail within a minute across many failure domains.
// Target: every decision within 1 s of its trigger, and never more remediations in flight than the
// guardrails allow (per policy and per domain).
//
// In process, on the real store (SQLite file, or PostgreSQL with --db URL) and the server's own ports:
// the fleet inventory (2,500 nodes in 5 clusters, racks of 20), the Cluster resources (Connected), the
// health center's ExceptionService opening one exception per failed node, the HealingPolicy as a resource
// compiled by the policy source, the built-in `node-not-ready` tree over the inventory and the host
// table (no agent answers: the tree concludes HostDown → cordon-drain), and the healing controller in its
// loop, woken by each new exception as the server wakes it. Only the actuator is a stand-in: a started
// action "drains" for --action-seconds, then the node turns Ready and its exception is resolved, as the
// real drain and recovery would, so verification passes and the run's in-flight slot frees up.
//
// A decision is the first thing the controller records for a run after matching it: a conclusion and
// the action it takes, a wait on a guardrail (in flight, rate), or a freeze. Its latency is from the
// exception's opening (wall clock) to that record.
// Usage: node --import tsx bench/healing-storm.ts [--nodes 2500] [--fail 500] [--seconds 60]
//        [--max-in-flight 50] [--action-seconds 3] [--db postgres://...]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryEventRecorder, systemClock } from '@gantry/controllers';
import { createCelEngine } from '@gantry/delivery';
import {
  createExceptionTriggerSource,
  createHealingLoop,
  createInventoryDomainHealth,
  createInventoryEntityReader,
  createInventoryEntityResolver,
  createResourcePolicySource,
  createStoreEvidenceProviders,
  createStoreSignalHealth,
  InventoryPassSnapshots,
  HealingController,
  registerHealingAdmission,
  type ActionProgress,
  type HealingActionRequest,
  type HealingActuator,
} from '@gantry/healing';
import { nodePolicyInput } from '@gantry/healing/testing';
import { createPrometheusQuerier } from '@gantry/alerts';
import { createMetricsSourceResolver, ExceptionService, resourcePolicySource } from '@gantry/health';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import { KindRegistry, builtinKinds, type NodeSummary } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '2500' },
    fail: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '60' },
    clusters: { type: 'string', default: '5' },
    'rack-size': { type: 'string', default: '20' },
    'max-in-flight': { type: 'string', default: '50' },
    'action-seconds': { type: 'string', default: '3' },
    db: { type: 'string' },
    'no-pass-snapshots': { type: 'boolean', default: false },
  },
});
const nodeCount = Number(values.nodes);
const failCount = Number(values.fail);
const stormMs = Number(values.seconds) * 1000;
const clusterCount = Number(values.clusters);
const rackSize = Number(values['rack-size']);
const maxInFlight = Number(values['max-in-flight']);
const actionMs = Number(values['action-seconds']) * 1000;
const TEAM = 'bigdata';
const RACK = 'topology.gantry.dev/rack';
const caller = { principal: SYSTEM_PRINCIPAL, source: 'bench' };

const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-healing-'));
const store = await Store.open({ url: values.db ?? join(dir, 'gantry.db') });
const kinds = new KindRegistry();
for (const kind of builtinKinds) kinds.register(kind);
const resources = new ResourceService(kinds, store.resources, Date.now);
const engine = createCelEngine();
registerHealingAdmission({ resources, repository: store.resources, engine });
const recorder = new MemoryEventRecorder();

// --- the fleet: clusters Connected, nodes Ready, racks of `rackSize` ---------------------------------
await resources.create(caller, 'Team', undefined, {
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'Team',
  metadata: { name: TEAM },
  spec: { members: [] },
});
const clusters = Array.from({ length: clusterCount }, (_, i) => `c${i}`);
const nowIso = () => new Date().toISOString();
for (const name of clusters) {
  const created = await resources.create(caller, 'Cluster', TEAM, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: { kubeconfigSecret: { name: `${name}-kubeconfig` } },
  });
  await resources.replaceStatus(caller, 'Cluster', TEAM, name, {
    metadata: { name, resourceVersion: created.metadata.resourceVersion },
    status: {
      conditions: [
        {
          type: 'Connected',
          status: 'True',
          reason: 'Connected',
          message: 'bench',
          lastTransitionTime: nowIso(),
        },
      ],
    },
  });
}
interface BenchNode {
  cluster: string;
  name: string;
  rack: string;
}
const nodes: BenchNode[] = Array.from({ length: nodeCount }, (_, i) => {
  const cluster = clusters[i % clusterCount]!;
  const index = Math.floor(i / clusterCount);
  return {
    cluster,
    name: `n${String(index).padStart(5, '0')}`,
    rack: `${cluster}-r${Math.floor(index / rackSize)}`,
  };
});
const summary = (node: BenchNode, ready: boolean): NodeSummary => ({
  ready,
  unschedulable: false,
  conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: nowIso() }],
  labels: { [RACK]: node.rack, 'kubernetes.io/hostname': node.name },
  taints: [],
  capacity: { cpu: '32' },
  allocatable: { cpu: '32' },
});
const upsert = (node: BenchNode, ready: boolean) => ({
  op: 'upsert' as const,
  item: {
    cluster: `${TEAM}/${node.cluster}`,
    kind: 'Node',
    namespace: '',
    name: node.name,
    uid: `uid-${node.cluster}-${node.name}`,
    data: summary(node, ready),
  },
});
await store.inventory.apply(
  nodes.map((node) => upsert(node, true)),
  nowIso(),
);

// --- the policy: node NotReady → builtin tree → cordon-drain, under the guardrails -------------------
await resources.create(caller, 'HealingPolicy', TEAM, {
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'HealingPolicy',
  metadata: { name: 'node-not-ready' },
  spec: nodePolicyInput({
    guardrails: {
      mode: 'Act',
      maxInFlight,
      maxInFlightPerDomain: 1,
      minHealthyShare: 0.5,
      rateLimit: { actions: 3, window: '1h' },
    },
    verification: { bake: '10s' },
  }),
});

// --- the health center's exceptions, and the stand-in actuator ---------------------------------------
const exceptions = new ExceptionService({
  repository: store.exceptions,
  policies: resourcePolicySource(resources),
  recorder,
  clock: { now: Date.now },
  // As the server wires it: an opened exception wakes the healing loop.
  onActivated: () => loop.wake(),
});
const exceptionOf = new Map<string, string>();
const timers = new Set<NodeJS.Timeout>();
const started: { at: number; entity: string }[] = [];
class DrainingActuator implements HealingActuator {
  readonly #done = new Map<string, number>();
  start(request: HealingActionRequest) {
    const entity = request.entity;
    started.push({ at: Date.now(), entity: `${entity.cluster}/${entity.name}` });
    const handle = `${request.key}/${request.action.name}`;
    this.#done.set(handle, Date.now() + actionMs);
    const node = nodes.find((n) => n.cluster === entity.cluster && n.name === entity.name)!;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void (async () => {
        await store.inventory.apply([upsert(node, true)], nowIso());
        const id = exceptionOf.get(`${node.cluster}/${node.name}`);
        if (id) await exceptions.resolve(caller, TEAM, id, 'drained and back');
      })();
    }, actionMs);
    timers.add(timer);
    return Promise.resolve({ ok: true as const, handle, done: false });
  }
  progress(_team: string, handle: string): Promise<ActionProgress> {
    return Promise.resolve(
      Date.now() >= (this.#done.get(handle) ?? 0) ? { state: 'succeeded' } : { state: 'running' },
    );
  }
}

/** The bench's team has no MetricsSource, so no secret is ever read. */
const noSecrets = { reveal: () => Promise.reject(new Error('no secrets in this bench')) };
// As the server wires it: the team's nodes and hosts read once per pass (`--no-pass-snapshots`: per port).
const snapshots = new InventoryPassSnapshots();
const inventory = {
  inventory: store.inventory,
  hosts: store.hosts,
  resources: store.resources,
  ...(values['no-pass-snapshots'] ? {} : { snapshots }),
};
const entities = createInventoryEntityResolver(inventory);
const controller = new HealingController({
  runs: store.healing,
  policies: createResourcePolicySource({ repository: store.resources, engine }),
  triggers: createExceptionTriggerSource({ exceptions: store.exceptions, entities }),
  evidence: createStoreEvidenceProviders({
    inventory: store.inventory,
    events: store.events,
    hosts: store.hosts,
    // The built-in tree asks no PromQL; a job (check-kubelet) is asked only when an agent answers.
    prometheus: createPrometheusQuerier(),
    sources: createMetricsSourceResolver({ resources: store.resources, secrets: noSecrets }),
  }),
  actuator: new DrainingActuator(),
  signals: createStoreSignalHealth({ ...inventory, resourcesGet: store.resources, now: Date.now }),
  domains: createInventoryDomainHealth(inventory),
  entities: createInventoryEntityReader(inventory),
  recorder,
  now: Date.now,
  pollMs: 1000,
  passScope: snapshots,
});
let passErrors = 0;
/** Each pass's wall time and what it did. */
const passes: { ms: number; created: number; advanced: number }[] = [];
const loop = createHealingLoop({
  controller: {
    async reconcile(term, woken) {
      const started = performance.now();
      const outcome = await controller.reconcile(term, woken);
      passes.push({ ms: performance.now() - started, created: outcome.created, advanced: outcome.advanced });
      return outcome;
    },
  },
  clock: systemClock(),
  intervalMs: 1000,
  onError: (error) => {
    passErrors += 1;
    if (passErrors <= 3) console.error('healing pass failed:', error);
  },
});

// --- the storm: `failCount` nodes spread over the racks, one every stormMs / failCount ---------------
const racks = [...new Set(nodes.map((n) => n.rack))];
const byRack = new Map(racks.map((rack) => [rack, nodes.filter((n) => n.rack === rack)]));
const failing: BenchNode[] = [];
for (let round = 0; failing.length < failCount; round++)
  for (const rack of racks) {
    const member = byRack.get(rack)![round];
    if (member && failing.length < failCount) failing.push(member);
  }
const openedAt = new Map<string, number>();
loop.start();
const t0 = Date.now();
let inFlightMax = 0;
let inFlightPerDomainMax = 0;
const sampler = setInterval(() => {
  void (async () => {
    const page = await store.healing.list({ team: TEAM, active: true, limit: 1000 });
    const acting = page.items.filter((run) => run.phase === 'Acting' || run.phase === 'Verifying');
    inFlightMax = Math.max(inFlightMax, acting.length);
    const perDomain = new Map<string, number>();
    for (const run of acting) perDomain.set(run.domain, (perDomain.get(run.domain) ?? 0) + 1);
    inFlightPerDomainMax = Math.max(inFlightPerDomainMax, ...perDomain.values(), 0);
  })();
}, 200);
for (const [i, node] of failing.entries()) {
  const due = t0 + (i * stormMs) / failCount;
  if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
  await store.inventory.apply([upsert(node, false)], nowIso());
  const record = await exceptions.create(caller, TEAM, {
    title: `NodeNotReady on ${node.name}`,
    severity: 'major',
    entities: [{ kind: 'Node', name: node.name, cluster: node.cluster }],
  });
  exceptionOf.set(`${node.cluster}/${node.name}`, record.id);
  openedAt.set(record.id, Date.parse(record.openedAt));
}
const stormEnd = Date.now();
// Let the last decisions be made (and a few slots turn over).
await new Promise((resolve) => setTimeout(resolve, 5000));
clearInterval(sampler);
await loop.stop();
for (const timer of timers) clearTimeout(timer);

// --- the figures -----------------------------------------------------------------------------------
const runs = [];
let after: { createdAt: string; id: string } | undefined;
do {
  const page = await store.healing.list({ team: TEAM, limit: 1000, ...(after ? { after } : {}) });
  runs.push(...page.items);
  after = page.next;
} while (after);
const latencies: number[] = [];
const decisionsByReason = new Map<string, number>();
let undecided = 0;
for (const run of runs) {
  const data = run.data as {
    trigger: { id: string };
    decisions: { at: string; stage: string; reason: string }[];
  };
  const opened = openedAt.get(data.trigger.id);
  const decision = data.decisions.find((d) => d.stage !== 'match');
  if (opened === undefined) continue;
  if (!decision) {
    undecided += 1;
    continue;
  }
  latencies.push(Date.parse(decision.at) - opened);
  decisionsByReason.set(decision.reason, (decisionsByReason.get(decision.reason) ?? 0) + 1);
}
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
console.log(
  JSON.stringify({
    bench: 'healing-storm',
    db: values.db ? 'postgresql' : 'sqlite',
    nodes: nodeCount,
    racks: racks.length,
    failed: failing.length,
    stormSeconds: Math.round((stormEnd - t0) / 100) / 10,
    runs: runs.length,
    decided: latencies.length,
    undecided,
    decisionMs: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: latencies.at(-1) },
    withinOneSecond: latencies.filter((ms) => ms <= 1000).length,
    firstDecisions: Object.fromEntries(decisionsByReason),
    actionsStarted: started.length,
    inFlight: {
      max: inFlightMax,
      allowed: maxInFlight,
      perDomainMax: inFlightPerDomainMax,
      perDomainAllowed: 1,
    },
    passes: {
      count: passes.length,
      p50Ms: Math.round(passes.map((p) => p.ms).sort((a, b) => a - b)[Math.floor(passes.length / 2)] ?? 0),
      maxMs: Math.round(Math.max(0, ...passes.map((p) => p.ms))),
    },
    passErrors,
  }),
);
const met = latencies.length === failing.length && (latencies.at(-1) ?? Infinity) <= 1000;
const held = inFlightMax <= maxInFlight && inFlightPerDomainMax <= 1;
console.log(`every decision within 1 s of its trigger: ${met ? 'met' : 'MISSED'}`);
console.log(`in flight within the guardrails: ${held ? 'held' : 'EXCEEDED'}`);
await store.close();
rmSync(dir, { recursive: true, force: true });
