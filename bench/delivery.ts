// Delivery targets (issue 4): N applications × 3 components onto the test-bed clusters. Times Gantry from the
// first create until every application is Ready, against `kubectl apply --server-side` of the same rendered
// manifests in the same run (goal: within 1.5× of kubectl); reconcile p99 without API-server time (< 50 ms);
// server RSS with the applications delivered (< 300 MB). Gantry is observed through its watch API, as the
// console and the CLI do; the clusters' Deployments and Services are followed with Kubernetes watches.
// Usage: node --import tsx bench/delivery.ts [--apps 300] [--clusters 3] [--nodes 12]
//        [--server-diagnostics DIR] [--testbed-nice 12]
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { stringify } from 'yaml';
import { isApiError, readApiError, readSse, toWatchEvent, type WatchEvent } from '@gantry/client';
import { Composer, catalogDefinitionSet, createCelEngine, type RenderedObject } from '@gantry/delivery';
import { KubeApiError, kubeClientFromKubeconfig, type KubeClient } from '@gantry/fleet';
import type { ComponentSpec } from '@gantry/model';
import { DEFAULT_TESTBED_NICE, startTestbed, testbedStatus, type Testbed } from '@gantry/testbed';
import { BASE, percentiles, request, startServer, team, type BenchServer } from './lib.mjs';

/* eslint-disable @typescript-eslint/no-explicit-any */

const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: '300' },
    clusters: { type: 'string', default: '3' },
    // kwok nodes take 110 pods each (testbed/src/fake-nodes.ts): 12 × 110 = 1,320 places for 900 pods.
    nodes: { type: 'string', default: '12' },
    // A directory: the server writes a CPU profile of the whole run (gantry-server.cpuprofile) and a heap
    // snapshot taken once everything is settled (gantry-server.heapsnapshot) there.
    'server-diagnostics': { type: 'string' },
    // The nice level of the test bed's scheduling groups (the test bed's default: 12; 0 gives each of its
    // 15 processes a full share against the server's one, see testbed/src/options.ts).
    'testbed-nice': { type: 'string', default: String(DEFAULT_TESTBED_NICE) },
  },
});
const appCount = Number(values.apps);
const clusterCount = Number(values.clusters);
const nodesPer = Number(values.nodes);
const COMPONENTS_PER_APP = 3;
const PHASE_TIMEOUT_MS = 15 * 60_000;
const CLEANUP_TIMEOUT_MS = 10 * 60_000;
const CREATES_IN_FLIGHT = 8;
for (const [name, value] of Object.entries({
  apps: appCount,
  clusters: clusterCount,
  nodes: nodesPer,
})) {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`--${name} must be a whole number above 0, got ${String(value)}`);
}
const testbedNice = Number(values['testbed-nice']);
if (!Number.isInteger(testbedNice) || testbedNice < 0 || testbedNice > 19)
  throw new RangeError(`--testbed-nice must be a whole number from 0 to 19, got ${values['testbed-nice']}`);
const SETTLE_MS = 10_000;
const TEAM = 'bench';
const GANTRY_NAMESPACE = 'gantry-bench';
const KUBECTL_NAMESPACE = 'kubectl-bench';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => Math.round(ms / 10) / 100;
const log = (line: string) => process.stderr.write(`[bench:delivery] ${line}\n`);

class Timeout extends Error {}

/**
 * Seconds the main thread of `pid` has run on a CPU and waited for one while runnable
 * (/proc/PID/task/PID/schedstat: nanoseconds on the CPU, nanoseconds on a run queue, time slices).
 */
function mainThreadSchedule(pid: number): { ran: number; waited: number } {
  try {
    const [ran, waited] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')
      .trim()
      .split(' ')
      .map(Number);
    return { ran: (ran ?? 0) / 1e9, waited: (waited ?? 0) / 1e9 };
  } catch {
    return { ran: 0, waited: 0 }; // gone, or a kernel without schedstat
  }
}

/** CPU seconds a process has used (user + system; with `children`, also its waited-for children's), from /proc. */
function cpuSeconds(pid: number | 'self', children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    // Fields 14-17 of proc(5) (utime, stime, cutime, cstime) in clock ticks of 1/100 s; `fields` starts at field 3.
    const ticks = fields[11]! + fields[12]! + (children ? fields[13]! + fields[14]! : 0);
    return ticks / 100;
  } catch {
    return 0; // the process is gone
  }
}

/** CPU seconds used so far by every process of the test bed (API servers, etcd, controllers, kwok). */
function testbedCpuSeconds(bed: Testbed): number {
  const status = testbedStatus(bed.stateDir);
  return (status?.clusters ?? []).flatMap((c) => c.processes).reduce((sum, p) => sum + cpuSeconds(p.pid), 0);
}

/** Calls `check` every `everyMs` until it returns true; throws Timeout after `timeoutMs`. */
async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) throw new Timeout(`${what}: not done after ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}

/** Logs at most every 10 s, so long phases show progress without flooding; a function is called only when due. */
function throttled(): (line: string | (() => string)) => void {
  let last = 0;
  return (line) => {
    if (performance.now() - last < 10_000) return;
    last = performance.now();
    log(typeof line === 'string' ? line : line());
  };
}

// ---- the applications -------------------------------------------------------------------------------

const tolerations = { type: 'tolerations', properties: { tolerations: [{ operator: 'Exists' }] } };

/**
 * The components of application `app`. The catalog names every object after its component, so the
 * component names carry the application's (`app-7-web`): with plain `web`, 300 applications sharing one
 * namespace would all write the same three Deployments.
 */
function components(app: string): ComponentSpec[] {
  const service = (port: number) => ({
    type: 'webservice',
    properties: { image: 'nginx:1.27', ports: [{ port }] },
    traits: [{ type: 'scaler', properties: { replicas: 1 } }, tolerations],
  });
  return [
    { name: `${app}-web`, ...service(80) },
    { name: `${app}-api`, ...service(8080) },
    {
      name: `${app}-worker`,
      type: 'worker',
      properties: { image: 'busybox:1.36', cmd: ['sleep', 'infinity'] },
      traits: [tolerations],
    },
  ];
}

const appName = (i: number) => `app-${i}`;
const appNames = Array.from({ length: appCount }, (_, i) => appName(i + 1));

function application(app: string) {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: app },
    spec: {
      components: components(app),
      topology: { clusterSelector: { matchLabels: { bench: 'true' } }, namespace: GANTRY_NAMESPACE },
    },
  };
}

// ---- kubectl ----------------------------------------------------------------------------------------

const STAGE_ORDER = { pre: 0, main: 1, post: 2 } as const;

/** Every application rendered for `cluster` by Gantry's own composer, as one multi-document YAML file. */
async function renderForKubectl(cluster: string, dir: string): Promise<{ file: string; objects: number }> {
  const composer = new Composer({ engine: createCelEngine() });
  const definitions = catalogDefinitionSet();
  const documents: unknown[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KUBECTL_NAMESPACE } },
  ];
  for (const app of appNames) {
    for (const component of components(app)) {
      const result = await composer.compose(definitions, component, {
        app,
        team: TEAM,
        component: component.name,
        revision: 1,
        cluster,
        namespace: KUBECTL_NAMESPACE,
        environment: '',
      });
      if (!result.ok) throw new Error(`rendering ${app}/${component.name}: ${JSON.stringify(result.errors)}`);
      const ordered = [...result.objects].sort(
        (a: RenderedObject, b: RenderedObject) => STAGE_ORDER[a.stage] - STAGE_ORDER[b.stage],
      );
      documents.push(...ordered.map((rendered) => rendered.object));
    }
  }
  const file = join(dir, `${cluster}.yaml`);
  writeFileSync(file, documents.map((d) => stringify(d)).join('---\n'));
  return { file, objects: documents.length };
}

interface Named {
  metadata: { name: string; resourceVersion?: string };
}

interface Deployment {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  spec: { replicas?: number };
  status?: { replicas?: number; availableReplicas?: number; updatedReplicas?: number };
}

function isAvailable(d: Deployment | undefined): boolean {
  if (d === undefined) return false;
  const want = d.spec.replicas ?? 1;
  return (d.status?.availableReplicas ?? 0) === want && (d.status?.updatedReplicas ?? 0) === want;
}

const WATCH_RETRY_MS = 1000;

/**
 * Keeps the latest of every object of the collection at `path` on one cluster, list-then-watch: lists once,
 * watches from the list's resourceVersion, watches again from the last version seen when a watch ends, and
 * lists again when that version is too old (410 Gone, or an ERROR event). Calls `onChange` for every object
 * that changes and `onSettled` after the list and after every event, until `signal` aborts.
 */
async function followCollection<T extends Named>(
  client: KubeClient,
  path: string,
  what: string,
  signal: AbortSignal,
  onChange: (before: T | undefined, after: T | undefined) => void,
  onSettled: () => void,
): Promise<void> {
  const objects = new Map<string, T>();
  const put = (name: string, after: T | undefined) => {
    const before = objects.get(name);
    if (after === undefined) objects.delete(name);
    else objects.set(name, after);
    onChange(before, after);
  };
  let resourceVersion = '';
  const state = { relist: true };
  while (!signal.aborted) {
    const opened = performance.now();
    try {
      if (state.relist) {
        // resourceVersion=0: served from the API server's watch cache; the watch catches up from there.
        const list = await client.request<{ metadata: { resourceVersion: string }; items: T[] }>(
          'GET',
          `${path}?resourceVersion=0`,
        );
        if (signal.aborted) return;
        const names = new Set(list.items.map((item) => item.metadata.name));
        for (const name of [...objects.keys()]) if (!names.has(name)) put(name, undefined);
        for (const item of list.items) put(item.metadata.name, item);
        resourceVersion = list.metadata.resourceVersion;
        state.relist = false;
        onSettled();
      }
      await client.watch(
        path,
        { resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: '300' },
        (event) => {
          if (state.relist) return; // after an ERROR: the server ends the watch
          if (event.type === 'ERROR') {
            log(`following ${what}: ${JSON.stringify(event.object).slice(0, 300)}; listing again`);
            state.relist = true;
            return;
          }
          resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
          if (event.type === 'BOOKMARK') return;
          put(
            event.object.metadata.name,
            event.type === 'DELETED' ? undefined : (event.object as unknown as T),
          );
          onSettled();
        },
        signal,
      );
      // A watch the server ends at once: do not spin.
      if (performance.now() - opened < WATCH_RETRY_MS) await sleep(WATCH_RETRY_MS);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof KubeApiError && error.status === 410) {
        log(`following ${what}: ${error.message}; listing again`);
        state.relist = true;
        continue;
      }
      log(`following ${what}: ${(error as Error).message} (retrying)`);
      await sleep(WATCH_RETRY_MS);
    }
  }
}

/** One client per cluster, from its admin kubeconfig; the test bed's own client cannot watch. */
function clusterClients(bed: Testbed): Promise<KubeClient[]> {
  return Promise.all(bed.clusters.map((cluster) => kubeClientFromKubeconfig(cluster.kubeconfig)));
}

/**
 * What the clusters hold in `namespace`, followed with watches (Deployments, and with `services` Services
 * too): per cluster how many Deployments, available Deployments and Services there are, and per application
 * how many of its Deployments are available over all clusters. `onAppAvailable` runs when an application's
 * count changes, `onSettled` after every list and event. `close` ends every watch.
 */
class ClusterView {
  readonly deployments: number[];
  readonly available: number[];
  readonly services: number[];
  readonly availableByApp = new Map<string, number>();
  readonly #abort = new AbortController();
  readonly #done: Promise<unknown>;

  constructor(
    bed: Testbed,
    clients: KubeClient[],
    namespace: string,
    options: {
      services: boolean;
      onSettled: () => void;
      onAppAvailable?: (app: string, count: number) => void;
    },
  ) {
    this.deployments = bed.clusters.map(() => 0);
    this.available = bed.clusters.map(() => 0);
    this.services = bed.clusters.map(() => 0);
    const signal = this.#abort.signal;
    const follows = bed.clusters.flatMap((cluster, index) => {
      const client = clients[index]!;
      const deployments = followCollection<Deployment>(
        client,
        `/apis/apps/v1/namespaces/${namespace}/deployments`,
        `${cluster.name}'s Deployments`,
        signal,
        (before, after) => {
          this.deployments[index]! += (after ? 1 : 0) - (before ? 1 : 0);
          const delta = (isAvailable(after) ? 1 : 0) - (isAvailable(before) ? 1 : 0);
          if (delta === 0) return;
          this.available[index]! += delta;
          const app = (after ?? before)!.metadata.labels?.['app.gantry.dev/name'] ?? '';
          const count = (this.availableByApp.get(app) ?? 0) + delta;
          this.availableByApp.set(app, count);
          options.onAppAvailable?.(app, count);
        },
        options.onSettled,
      );
      if (!options.services) return [deployments];
      const services = followCollection<Named>(
        client,
        `/api/v1/namespaces/${namespace}/services`,
        `${cluster.name}'s Services`,
        signal,
        (before, after) => {
          this.services[index]! += (after ? 1 : 0) - (before ? 1 : 0);
        },
        options.onSettled,
      );
      return [deployments, services];
    });
    this.#done = Promise.allSettled(follows);
  }

  /** Ends every watch; resolves when they have ended. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#done;
  }
}

async function kubectlPhase(bed: Testbed): Promise<{
  applyMs: number;
  availableMs: number;
  objects: number;
  kubectlCpu: number;
  testbedCpu: number;
}> {
  const clients = await clusterClients(bed);
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-kubectl-'));
  let view: ClusterView | undefined;
  try {
    const files: { file: string; objects: number }[] = [];
    for (const cluster of bed.clusters) files.push(await renderForKubectl(cluster.name, dir));
    log(`kubectl: rendered ${files[0]!.objects} objects per cluster; applying`);
    const wanted = appCount * COMPONENTS_PER_APP;
    const kubectlCpuBefore = cpuSeconds('self', true) - cpuSeconds('self');
    const testbedCpuBefore = testbedCpuSeconds(bed);
    const start = performance.now();
    let applyMs = 0;
    await Promise.all(
      bed.clusters.map(async (cluster, index) => {
        await run(
          bed.binaries.kubectl,
          [
            '--kubeconfig',
            cluster.kubeconfigPath,
            'apply',
            '--server-side',
            '--field-manager=bench',
            '-f',
            files[index]!.file,
          ],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        applyMs = Math.max(applyMs, performance.now() - start);
      }),
    );
    log(
      `kubectl: apply done after ${seconds(applyMs)} s; waiting for ${wanted} Deployments per cluster to be available`,
    );
    const progress = throttled();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let availableMs = 0;
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = PHASE_TIMEOUT_MS - (performance.now() - start);
      timer = setTimeout(
        () => reject(new Timeout(`kubectl: Deployments available: not done after ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      view = new ClusterView(bed, clients, KUBECTL_NAMESPACE, {
        services: false,
        onSettled: () => {
          const counts = view?.available ?? [];
          progress(
            () =>
              `kubectl: available ${counts.join(' / ')} of ${wanted} per cluster after ${seconds(performance.now() - start)} s`,
          );
          if (availableMs === 0 && counts.length > 0 && counts.every((count) => count === wanted)) {
            availableMs = performance.now() - start;
            resolve();
          }
        },
      });
    }).finally(() => clearTimeout(timer));
    return {
      applyMs,
      availableMs,
      objects: files[0]!.objects,
      kubectlCpu: cpuSeconds('self', true) - cpuSeconds('self') - kubectlCpuBefore,
      testbedCpu: testbedCpuSeconds(bed) - testbedCpuBefore,
    };
  } finally {
    await view?.close();
    for (const client of clients) client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Deletes kubectl's namespace and waits until it is gone, so Gantry starts from the same clusters kubectl did. */
async function removeKubectlObjects(bed: Testbed): Promise<number> {
  const start = performance.now();
  for (const cluster of bed.clusters)
    await cluster.client.request('DELETE', `/api/v1/namespaces/${KUBECTL_NAMESPACE}`);
  await until(
    'kubectl namespace deletion',
    async () => {
      const answers = await Promise.all(
        bed.clusters.map((cluster) =>
          cluster.client.request('GET', `/api/v1/namespaces/${KUBECTL_NAMESPACE}`),
        ),
      );
      return answers.every((answer) => answer.status === 404);
    },
    CLEANUP_TIMEOUT_MS,
    1000,
  );
  return performance.now() - start;
}

/**
 * Follows what reached the clusters, independently of what Gantry reports, with watches: when every
 * Deployment and Service of the applications exists in `namespace` on every cluster, and when every
 * Deployment is available. Also when each application's Deployments were first all available everywhere
 * (`appAvailableMs`), to tell how long Gantry took to notice. Times are taken as the events arrive. `stop`
 * keeps looking for up to 30 s more until every Deployment is seen available (0 if it never is), then ends
 * the watches; `close` only ends them (for a phase that fails).
 */
function followClusters(
  bed: Testbed,
  clients: KubeClient[],
  namespace: string,
  start: number,
): {
  stop(): Promise<{ presentMs: number; availableMs: number; appAvailableMs: Map<string, number> }>;
  close(): Promise<void>;
} {
  const appAvailableMs = new Map<string, number>();
  const perApp = COMPONENTS_PER_APP * bed.clusters.length;
  let presentMs = 0;
  let availableMs = 0;
  const deployments = appCount * COMPONENTS_PER_APP;
  const services = appCount * 2;
  let allAvailable: () => void = () => {};
  const seenAllAvailable = new Promise<void>((resolve) => (allAvailable = resolve));
  const view: ClusterView = new ClusterView(bed, clients, namespace, {
    services: true,
    onAppAvailable: (app, count) => {
      if (count === perApp && !appAvailableMs.has(app)) appAvailableMs.set(app, performance.now() - start);
    },
    onSettled: () => {
      const now = performance.now() - start;
      if (
        presentMs === 0 &&
        view.deployments.every((count) => count === deployments) &&
        view.services.every((count) => count === services)
      )
        presentMs = now;
      if (availableMs === 0 && view.available.every((count) => count === deployments)) {
        availableMs = now;
        allAvailable();
      }
    },
  });
  return {
    async stop() {
      if (availableMs === 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          seenAllAvailable,
          new Promise((resolve) => (timer = setTimeout(resolve, 30_000))),
        ]);
        clearTimeout(timer);
      }
      await view.close();
      return { presentMs, availableMs, appAvailableMs };
    },
    close: () => view.close(),
  };
}

// ---- Gantry -----------------------------------------------------------------------------------------

const condition = (object: any, type: string) =>
  object?.status?.conditions?.find((c: any) => c.type === type);

async function addClusters(server: BenchServer, bed: Testbed): Promise<void> {
  const { url, token } = server;
  const created = await request('POST', `${url}${BASE}/teams`, team(TEAM), token);
  if (created.status !== 201)
    throw new Error(`creating team ${TEAM}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
  for (const cluster of bed.clusters) {
    const secret = await request(
      'PUT',
      `${url}/api/teams/${TEAM}/secrets/${cluster.name}-kubeconfig`,
      { data: { kubeconfig: cluster.kubeconfig } },
      token,
    );
    if (secret.status !== 200)
      throw new Error(
        `storing ${cluster.name}'s kubeconfig: HTTP ${secret.status} ${JSON.stringify(secret.body)}`,
      );
    const added = await request(
      'POST',
      `${url}${BASE}/teams/${TEAM}/clusters`,
      {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Cluster',
        metadata: { name: cluster.name, labels: { bench: 'true' } },
        spec: { kubeconfigSecret: { name: `${cluster.name}-kubeconfig` } },
      },
      token,
    );
    if (added.status !== 201)
      throw new Error(`adding cluster ${cluster.name}: HTTP ${added.status} ${JSON.stringify(added.body)}`);
  }
  await until(
    'clusters Connected',
    async () => {
      for (const cluster of bed.clusters) {
        const live = await request(
          'GET',
          `${url}${BASE}/teams/${TEAM}/clusters/${cluster.name}`,
          undefined,
          token,
        );
        if (condition(live.body, 'Connected')?.status !== 'True') return false;
      }
      return true;
    },
    120_000,
    250,
  );
}

/** Creates every application with CREATES_IN_FLIGHT requests at a time; resolves with the time the last answered. */
async function createApplications(
  server: BenchServer,
  start: number,
): Promise<{ doneMs: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < appNames.length) {
      const app = appNames[next++]!;
      const created = await request(
        'POST',
        `${server.url}${BASE}/teams/${TEAM}/applications`,
        application(app),
        server.token,
      );
      if (created.status !== 201)
        throw new Error(
          `creating application ${app}: HTTP ${created.status} ${JSON.stringify(created.body)}`,
        );
      latencies.push(created.ms);
    }
  };
  await Promise.all(Array.from({ length: CREATES_IN_FLIGHT }, worker));
  return { doneMs: performance.now() - start, latencies };
}

interface GantryTimes {
  /** Every Deployment and Service on every cluster (seen from the clusters). */
  onClustersMs: number;
  /** Every Deployment available on every cluster (seen from the clusters). */
  clusterAvailableMs: number;
  /** Per application: first seen Ready in Gantry minus first seen available on every cluster. */
  readyLagMs: number[];
  /** Everything the bench's watch of the applications received, over every connection. */
  watchKb: number;
  createdMs: number;
  createP99Ms: number;
  appliedMs: number;
  readyMs: number;
  /** When half of the applications were first seen Ready. */
  readyHalfMs: number;
}

const RESUME_DELAY_MS = 1000;

/**
 * Follows the team's applications with Gantry's watch (`?watch=true`, Server-Sent Events), as the console
 * and the CLI do: the first connection sends every application (ADDED) and then a BOOKMARK, later ones
 * resume after the last event seen; a stream that ends or fails is resumed (from scratch if its version is
 * too old to resume from). `onEvent` gets every ADDED, MODIFIED and DELETED as it arrives; the watch ends
 * when it returns true, and fails with `signal`'s reason when that aborts. Resolves with the bytes received.
 */
async function watchApplications(
  server: BenchServer,
  signal: AbortSignal,
  onEvent: (event: Exclude<WatchEvent, { type: 'BOOKMARK' | 'ERROR' }>) => boolean,
): Promise<number> {
  let bytes = 0;
  let resourceVersion: string | undefined;
  for (;;) {
    let why: string;
    try {
      const url = `${server.url}${BASE}/teams/${TEAM}/applications?watch=true${resourceVersion === undefined ? '' : `&resourceVersion=${resourceVersion}`}`;
      const response = await fetch(url, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${server.token}` },
        signal,
      });
      if (!response.ok) throw await readApiError(response);
      if (response.body === null) throw new Error('the watch answered without a body');
      const counted = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            bytes += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      );
      for await (const message of readSse(counted)) {
        const event = toWatchEvent(message);
        if (event === undefined) continue;
        if (event.type === 'ERROR') throw event.error;
        if (event.resourceVersion !== undefined) resourceVersion = event.resourceVersion;
        if (event.type !== 'BOOKMARK' && onEvent(event)) return bytes; // leaving the loop closes the stream
      }
      why = 'the watch ended';
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (isApiError(error) && error.status === 410) {
        log(`gantry: ${error.message}; watching again from scratch`);
        resourceVersion = undefined;
        continue;
      }
      if (isApiError(error) && error.status >= 400 && error.status < 500)
        throw new Error(`watching applications: HTTP ${error.status} ${error.code}: ${error.message}`);
      why = `the watch failed: ${(error as Error).message}`;
    }
    log(`gantry: ${why}; resuming after resourceVersion ${resourceVersion ?? '(none: from scratch)'}`);
    await sleep(RESUME_DELAY_MS);
    if (signal.aborted) throw signal.reason;
  }
}

async function gantryPhase(server: BenchServer, bed: Testbed): Promise<GantryTimes> {
  const clients = await clusterClients(bed);
  try {
    return await deliverWithGantry(server, bed, clients);
  } finally {
    for (const client of clients) client.close();
  }
}

async function deliverWithGantry(
  server: BenchServer,
  bed: Testbed,
  clients: KubeClient[],
): Promise<GantryTimes> {
  const start = performance.now();
  const clusters = followClusters(bed, clients, GANTRY_NAMESPACE, start);
  const creating = createApplications(server, start);
  const watching = new AbortController();
  const timeout = setTimeout(
    () =>
      watching.abort(new Timeout(`gantry: applications Ready: not done after ${PHASE_TIMEOUT_MS / 1000} s`)),
    PHASE_TIMEOUT_MS,
  );
  creating.catch((error: unknown) => watching.abort(error));
  // The latest of every application, and which are Applied and Ready at revision 1 in it.
  const latest = new Map<string, any>();
  const applied = new Set<string>();
  const ready = new Set<string>();
  const firstApplied = new Map<string, number>();
  const firstReady = new Map<string, number>();
  let appliedMs = 0;
  let readyMs = 0;
  const reasonsSeen = new Set<string>();
  const progress = throttled();
  /** Why the applications that are not Ready are not, with how many each: `NotReconciled 3, Progressing 12`. */
  const notReady = () => {
    const waiting = new Map<string, number>();
    for (const item of latest.values()) {
      const readyCondition = condition(item, 'Ready');
      if (readyCondition?.status === 'True') continue;
      const reason = readyCondition?.reason ?? 'NotReconciled';
      waiting.set(reason, (waiting.get(reason) ?? 0) + 1);
    }
    return [...waiting].map(([reason, count]) => `${reason} ${count}`).join(', ');
  };
  let watchBytes: number;
  try {
    watchBytes = await watchApplications(server, watching.signal, (event) => {
      const now = performance.now() - start;
      const item: any = event.object;
      const name = item.metadata.name as string;
      if (event.type === 'DELETED') {
        latest.delete(name);
        applied.delete(name);
        ready.delete(name);
      } else {
        latest.set(name, item);
        const readyCondition = condition(item, 'Ready');
        if (readyCondition && readyCondition.status !== 'True') {
          const reason = readyCondition.reason ?? 'NotReconciled';
          if (!reasonsSeen.has(reason)) {
            reasonsSeen.add(reason);
            log(
              `gantry: first application waiting for "${reason}" after ${seconds(now)} s: ${name}: ${String(readyCondition.message).slice(0, 400)}`,
            );
          }
        }
        if (condition(item, 'Applied')?.status === 'True') {
          applied.add(name);
          if (!firstApplied.has(name)) firstApplied.set(name, now);
        } else applied.delete(name);
        if (readyCondition?.status === 'True' && item.status?.revision === 1) {
          ready.add(name);
          if (!firstReady.has(name)) firstReady.set(name, now);
        } else ready.delete(name);
      }
      if (applied.size === appCount && appliedMs === 0) appliedMs = now;
      if (ready.size === appCount) readyMs = now;
      progress(() => {
        const why = notReady();
        return `gantry: ${latest.size} created, ${applied.size} applied, ${ready.size} ready of ${appCount} after ${seconds(now)} s${why ? ` (not ready: ${why})` : ''}; RSS ${server.rssMb().toFixed(0)} MB`;
      });
      return ready.size === appCount;
    });
    await creating;
  } catch (error) {
    await clusters.close();
    throw error;
  } finally {
    clearTimeout(timeout);
    watching.abort();
  }
  const created = await creating;
  const seen = await clusters.stop();
  const sortedCreates = [...created.latencies].sort((a, b) => a - b);
  const sortedReady = [...firstReady.values()].sort((a, b) => a - b);
  return {
    onClustersMs: seen.presentMs,
    readyLagMs: [...firstReady].flatMap(([app, at]) => {
      const available = seen.appAvailableMs.get(app);
      return available === undefined ? [] : [at - available];
    }),
    clusterAvailableMs: seen.availableMs,
    watchKb: Math.round(watchBytes / 1024),
    createdMs: created.doneMs,
    createP99Ms:
      sortedCreates[Math.min(sortedCreates.length - 1, Math.floor(0.99 * sortedCreates.length))] ?? 0,
    // Every application was seen Applied at least once by the time all were (one may flip back while a watch catches up).
    appliedMs: appliedMs || Math.max(...firstApplied.values()),
    readyMs,
    readyHalfMs: sortedReady[Math.floor(sortedReady.length / 2)] ?? 0,
  };
}

// ---- /metrics ---------------------------------------------------------------------------------------

interface Histogram {
  /** Upper bounds with cumulative counts, +Inf last. */
  buckets: { le: number; count: number }[];
  count: number;
  sum: number;
}

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[match[1]!] = match[2]!;
  return labels;
}

/** One histogram series from Prometheus' text format: `name` with every label in `select`. */
function histogram(metrics: string, name: string, select: Record<string, string>): Histogram {
  const result: Histogram = { buckets: [], count: 0, sum: 0 };
  const matches = (labels: Record<string, string>) =>
    Object.entries(select).every(([key, value]) => labels[key] === value);
  for (const line of metrics.split('\n')) {
    const parsed = /^(\w+)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!parsed || !parsed[1]!.startsWith(name)) continue;
    const labels = labelsOf(parsed[2] ?? '');
    if (!matches(labels)) continue;
    const value = Number(parsed[3]);
    if (parsed[1] === `${name}_bucket`)
      result.buckets.push({ le: labels.le === '+Inf' ? Infinity : Number(labels.le), count: value });
    else if (parsed[1] === `${name}_count`) result.count = value;
    else if (parsed[1] === `${name}_sum`) result.sum = value;
  }
  result.buckets.sort((a, b) => a.le - b.le);
  return result;
}

/** The q-quantile as Prometheus' histogram_quantile estimates it: linear within the bucket that holds it. */
function quantile(h: Histogram, q: number): number {
  if (h.count === 0) return NaN;
  const rank = q * h.count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of h.buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lowerBound; // beyond the last finite bound: the best we know
      const inBucket = bucket.count - lowerCount;
      return inBucket === 0
        ? bucket.le
        : lowerBound + ((bucket.le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}

function counterSum(metrics: string, name: string, select: Record<string, string>): Record<string, number> {
  const byResult: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    const parsed = /^(\w+)\{(.*)\}\s+(\S+)$/.exec(line);
    if (!parsed || parsed[1] !== name) continue;
    const labels = labelsOf(parsed[2]!);
    if (!Object.entries(select).every(([key, value]) => labels[key] === value)) continue;
    byResult[labels.result ?? ''] = (byResult[labels.result ?? ''] ?? 0) + Number(parsed[3]);
  }
  return byResult;
}

const ms = (secondsValue: number) => Math.round(secondsValue * 10_000) / 10;

const HEAP_SNAPSHOT = 'gantry-server.heapsnapshot';

/**
 * A module the server imports first: it profiles the server until it exits and writes a heap snapshot on
 * SIGUSR2 (`--cpu-prof` is not allowed in NODE_OPTIONS, which is all lib.mjs lets us set). A main-thread
 * inspector session answers synchronously, so the profile can be written from the exit handler.
 */
function diagnosticsPreload(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'diagnostics.mjs');
  writeFileSync(
    file,
    `import { Session } from 'node:inspector';
import { renameSync, writeFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
process.on('SIGUSR2', () => {
  const path = ${JSON.stringify(join(dir, HEAP_SNAPSHOT))};
  renameSync(writeHeapSnapshot(path + '.tmp'), path);
});
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(${JSON.stringify(join(dir, 'gantry-server.cpuprofile'))}, JSON.stringify(result.profile));
  });
});
`,
  );
  return pathToFileURL(file).href;
}

// ---- the run ----------------------------------------------------------------------------------------

const started = performance.now();
let bed: Testbed | undefined;
let server: BenchServer | undefined;
let sampler: ReturnType<typeof setInterval> | undefined;
try {
  const bedStart = performance.now();
  bed = await startTestbed({ clusters: clusterCount, nodes: nodesPer, nice: testbedNice, progress: true });
  log(
    `test bed up: ${clusterCount} clusters × ${nodesPer} nodes in ${seconds(performance.now() - bedStart)} s`,
  );
  const kubectl = await kubectlPhase(bed);
  log(`kubectl: all available after ${seconds(kubectl.availableMs)} s (apply ${seconds(kubectl.applyMs)} s)`);
  const cleanupMs = await removeKubectlObjects(bed);
  log(`kubectl's namespace deleted in ${seconds(cleanupMs)} s`);

  const diagnosticsDir = values['server-diagnostics'];
  const profiling: Record<string, string> = diagnosticsDir
    ? {
        NODE_OPTIONS:
          `${process.env.NODE_OPTIONS ?? ''} --import=${diagnosticsPreload(diagnosticsDir)}`.trim(),
      }
    : {};
  server = await startServer({ port: 17470, env: profiling });
  const rss: number[] = [];
  const live = server;
  sampler = setInterval(() => rss.push(live.rssMb()), 500);
  await addClusters(server, bed);
  log('gantry: clusters Connected; creating applications');
  const serverCpuBefore = cpuSeconds(server.pid);
  const scheduleBefore = mainThreadSchedule(server.pid);
  const testbedCpuBefore = testbedCpuSeconds(bed);
  const gantry = await gantryPhase(server, bed);
  const serverCpu = cpuSeconds(server.pid) - serverCpuBefore;
  const scheduleAfter = mainThreadSchedule(server.pid);
  const testbedCpu = testbedCpuSeconds(bed) - testbedCpuBefore;
  log(
    `gantry: all Ready after ${seconds(gantry.readyMs)} s (all Applied ${seconds(gantry.appliedMs)} s, creates done ${seconds(gantry.createdMs)} s)`,
  );
  await sleep(SETTLE_MS);
  const rssSettled = server.rssMb();
  clearInterval(sampler);
  sampler = undefined;

  const metrics = (await request('GET', `${server.url}/metrics`)).body as string;
  const own = histogram(metrics, 'gantry_application_reconcile_seconds', { part: 'own' });
  const api = histogram(metrics, 'gantry_application_reconcile_seconds', { part: 'api' });
  const controller = histogram(metrics, 'gantry_controller_reconcile_duration_seconds', {
    controller: 'application',
  });
  const results = counterSum(metrics, 'gantry_controller_reconciles_total', { controller: 'application' });
  const db = histogram(metrics, 'gantry_db_query_duration_seconds', {});
  const gauge = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
  const metricsFile = join(tmpdir(), 'gantry-bench-delivery.metrics.txt');
  writeFileSync(metricsFile, metrics);
  log(`the server's /metrics at the end: ${metricsFile}`);
  if (diagnosticsDir) {
    process.kill(server.pid, 'SIGUSR2');
    const snapshot = join(diagnosticsDir, HEAP_SNAPSHOT);
    await until('heap snapshot', async () => existsSync(snapshot), 120_000, 500);
    log(`heap snapshot: ${snapshot}`);
  }

  const lagPercentiles = percentiles(gantry.readyLagMs);
  const lag = {
    p50: seconds(lagPercentiles.p50),
    p90: seconds(lagPercentiles.p90),
    max: seconds(lagPercentiles.max),
    apps: lagPercentiles.count,
  };
  const summary = {
    apps: appCount,
    clusters: clusterCount,
    nodes_per_cluster: nodesPer,
    objects_per_cluster: kubectl.objects,
    kubectl_apply_seconds: seconds(kubectl.applyMs),
    kubectl_seconds: seconds(kubectl.availableMs),
    gantry_created_seconds: seconds(gantry.createdMs),
    gantry_on_clusters_seconds: seconds(gantry.onClustersMs),
    gantry_cluster_available_seconds: seconds(gantry.clusterAvailableMs),
    ready_lag_seconds: lag,
    gantry_create_p99_ms: Math.round(gantry.createP99Ms),
    gantry_applied_seconds: seconds(gantry.appliedMs),
    gantry_ready_half_seconds: seconds(gantry.readyHalfMs),
    gantry_ready_seconds: seconds(gantry.readyMs),
    ratio: Math.round((gantry.readyMs / kubectl.availableMs) * 100) / 100,
    reconcile_own_p50_ms: ms(quantile(own, 0.5)),
    reconcile_own_p99_ms: ms(quantile(own, 0.99)),
    reconcile_api_p50_ms: ms(quantile(api, 0.5)),
    reconcile_api_p99_ms: ms(quantile(api, 0.99)),
    reconcile_total_p50_ms: ms(quantile(controller, 0.5)),
    reconcile_total_p99_ms: ms(quantile(controller, 0.99)),
    reconciles: own.count,
    reconcile_own_seconds_total: Math.round(own.sum * 10) / 10,
    reconcile_api_seconds_total: Math.round(api.sum * 10) / 10,
    reconcile_results: results,
    db_queries: db.count,
    db_seconds_total: Math.round(db.sum * 10) / 10,
    server_cpu_seconds: Math.round(serverCpu * 10) / 10,
    // The server's event loop: time on a CPU, and time it had work but waited for a CPU.
    server_main_thread_ran_seconds: Math.round((scheduleAfter.ran - scheduleBefore.ran) * 10) / 10,
    server_main_thread_waited_seconds: Math.round((scheduleAfter.waited - scheduleBefore.waited) * 10) / 10,
    testbed_cpu_seconds_gantry: Math.round(testbedCpu),
    testbed_cpu_seconds_kubectl: Math.round(kubectl.testbedCpu),
    testbed_nice: testbedNice,
    kubectl_cpu_seconds: Math.round(kubectl.kubectlCpu * 10) / 10,
    heap_used_mb: Math.round(gauge('gantry_process_nodejs_heap_size_used_bytes') / 1048576),
    heap_total_mb: Math.round(gauge('gantry_process_nodejs_heap_size_total_bytes') / 1048576),
    external_mb: Math.round(gauge('gantry_process_nodejs_external_memory_bytes') / 1048576),
    watch_kb: gantry.watchKb,
    rss_max_mb: Math.round(Math.max(...rss)),
    rss_settled_mb: Math.round(rssSettled),
    kubectl_cleanup_seconds: seconds(cleanupMs),
    run_seconds: seconds(performance.now() - started),
  };
  console.log(JSON.stringify(summary, null, 2));
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log(
    `kubectl apply --server-side, ${appCount} apps × ${COMPONENTS_PER_APP} components on ${clusterCount} clusters: applied ${summary.kubectl_apply_seconds} s, all available ${summary.kubectl_seconds} s`,
  );
  console.log(
    `Gantry, same applications: all Applied ${summary.gantry_applied_seconds} s, all Ready ${summary.gantry_ready_seconds} s (half Ready ${summary.gantry_ready_half_seconds} s)`,
  );
  console.log(
    `seen from the clusters: every object of Gantry's there after ${summary.gantry_on_clusters_seconds} s (kubectl's apply: ${summary.kubectl_apply_seconds} s), ${gantry.clusterAvailableMs ? `every Deployment available after ${summary.gantry_cluster_available_seconds} s (Gantry reported all Ready ${seconds(gantry.readyMs - gantry.clusterAvailableMs)} s later)` : 'not every Deployment seen available within 30 s of Gantry reporting all Ready'}`,
  );
  console.log(
    `an application's Deployments all available on the clusters → Gantry reports it Ready: p50 ${lag.p50} s, p90 ${lag.p90} s, max ${lag.max} s`,
  );
  console.log(`Gantry / kubectl: ${summary.ratio}× (target ≤ 1.5×) ${verdict(summary.ratio <= 1.5)}`);
  console.log(
    `reconcile own time (without API-server waits): p50 ${summary.reconcile_own_p50_ms} ms, p99 ${summary.reconcile_own_p99_ms} ms (target < 50 ms) ${verdict(summary.reconcile_own_p99_ms < 50)}; API-server time p99 ${summary.reconcile_api_p99_ms} ms; ${summary.reconciles} reconciles`,
  );
  console.log(
    `CPU while delivering: Gantry server ${summary.server_cpu_seconds} s, test bed ${summary.testbed_cpu_seconds_gantry} s; kubectl ${summary.kubectl_cpu_seconds} s, test bed ${summary.testbed_cpu_seconds_kubectl} s (2 cores); the server's main thread ran ${summary.server_main_thread_ran_seconds} s and waited ${summary.server_main_thread_waited_seconds} s for a CPU`,
  );
  console.log(
    `server RSS: max ${summary.rss_max_mb} MB, ${SETTLE_MS / 1000} s after all Ready ${summary.rss_settled_mb} MB (target < 300 MB) ${verdict(summary.rss_max_mb < 300)}`,
  );
} catch (error) {
  process.exitCode = 1;
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  if (sampler) clearInterval(sampler);
  await server?.stop().catch((error: unknown) => log(`stopping the server: ${String(error)}`));
  await bed?.stop().catch((error: unknown) => log(`stopping the test bed: ${String(error)}`));
  log(`run took ${seconds(performance.now() - started)} s`);
}
