// Application rollouts (issue 13, ADR 0036): one application on N test-bed clusters; a new revision rolled
// out as fleet waves (one cluster per wave, no bake, through the change engine) against a plain apply of a
// revision to all N at once (no rollout policy), in the same run. Reports the time until every cluster runs
// the new revision healthy for both, each wave's duration, and the engine's own time per wave: the gap from
// one wave's completion to the next wave's start (resolving nothing, journaling, the budget and windows),
// which is what waves cost beyond the clusters' own work.
// Usage: node --import tsx bench/app-rollout.ts [--clusters 10] [--nodes 1] [--testbed-nice 12]
import { parseArgs } from 'node:util';
import { DEFAULT_TESTBED_NICE, startTestbed, type Testbed } from '@gantry/testbed';
import type { ChangeStatus } from '@gantry/model';
import { BASE, percentiles, report, request, startServer, team, type BenchServer } from './lib.mjs';

/* eslint-disable @typescript-eslint/no-explicit-any */

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '10' },
    nodes: { type: 'string', default: '1' },
    'testbed-nice': { type: 'string', default: String(DEFAULT_TESTBED_NICE) },
  },
});
const clusterCount = Number(values.clusters);
const nodesPer = Number(values.nodes);
const testbedNice = Number(values['testbed-nice']);
for (const [name, value] of Object.entries({ clusters: clusterCount, nodes: nodesPer }))
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`--${name} must be a whole number above 0, got ${String(value)}`);
const TEAM = 'bench';
const PHASE_TIMEOUT_MS = 20 * 60_000;
const log = (line: string) => process.stderr.write(`[bench:app-rollout] ${line}\n`);
const seconds = (ms: number) => Math.round(ms / 10) / 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tolerate = { type: 'tolerations', properties: { tolerations: [{ operator: 'Exists' }] } };

function application(name: string, image: string, rollout: boolean) {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Application',
    metadata: { name },
    spec: {
      components: [
        {
          name: 'web',
          type: 'webservice',
          properties: { image, ports: [{ port: 80 }] },
          traits: [{ type: 'scaler', properties: { replicas: 2 } }, tolerate],
        },
      ],
      topology: {
        clusters: Array.from({ length: clusterCount }, (_, i) => `c${i}`),
        namespace: name,
      },
      ...(rollout
        ? {
            rollout: {
              plan: { batches: [{ size: '1', bake: '0s', repeat: true }], maxConcurrent: 1 },
              gates: { health: false, metrics: [] },
              onFailure: 'Pause',
            },
          }
        : {}),
    },
  };
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + PHASE_TIMEOUT_MS;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${PHASE_TIMEOUT_MS} ms`);
    await sleep(100);
  }
}

async function main(): Promise<void> {
  let bed: Testbed | undefined;
  let server: BenchServer | undefined;
  try {
    log(`starting ${clusterCount} test-bed clusters of ${nodesPer} node(s)`);
    bed = await startTestbed({ clusters: clusterCount, nodes: nodesPer, nice: testbedNice, progress: true });
    server = await startServer({ env: { GANTRY_CHANGE_POLL_MS: '250' } });
    const s = server;
    const call = (method: string, path: string, body?: unknown) =>
      request(method, `${s.url}${path}`, body, s.token);
    if ((await call('POST', `${BASE}/teams`, team(TEAM))).status !== 201) throw new Error('team refused');
    for (const [index, cluster] of bed.clusters.entries()) {
      await call('PUT', `/api/teams/${TEAM}/secrets/c${index}-kubeconfig`, {
        data: { kubeconfig: cluster.kubeconfig },
      });
      const created = await call('POST', `${BASE}/teams/${TEAM}/clusters`, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Cluster',
        metadata: { name: `c${index}` },
        spec: { kubeconfigSecret: { name: `c${index}-kubeconfig` } },
      });
      if (created.status !== 201) throw new Error(`cluster c${index}: ${JSON.stringify(created.body)}`);
    }
    const appPath = (name: string) => `${BASE}/teams/${TEAM}/applications/${name}`;
    const everywhere = (name: string, revision: number) =>
      until(
        `${name} at revision ${revision} on every cluster`,
        async () => (await call('GET', appPath(name))).body,
        (app: any) =>
          app?.status?.observedGeneration === app?.metadata?.generation &&
          app.status.health === 'Healthy' &&
          app.status.targets?.length === clusterCount &&
          app.status.targets.every(
            (target: any) => target.revision === revision && target.phase === 'Applied',
          ),
      );
    const edit = async (name: string, image: string) => {
      const app = (await call('GET', appPath(name))).body;
      const spec = {
        ...app.spec,
        components: [{ ...app.spec.components[0], properties: { image, ports: [{ port: 80 }] } }],
      };
      const replaced = await call('PUT', appPath(name), { ...app, spec });
      if (replaced.status !== 200) throw new Error(`${name}: ${JSON.stringify(replaced.body)}`);
    };

    // Both applications at revision 1 everywhere first (the first revision is never held).
    for (const [name, rollout] of [
      ['plain', false],
      ['waves', true],
    ] as const) {
      const created = await call(
        'POST',
        `${BASE}/teams/${TEAM}/applications`,
        application(name, 'nginx:1.27', rollout),
      );
      if (created.status !== 201) throw new Error(`${name}: ${JSON.stringify(created.body)}`);
    }
    await everywhere('plain', 1);
    await everywhere('waves', 1);

    log('plain apply of revision 2 to every cluster');
    let t0 = performance.now();
    await edit('plain', 'nginx:1.28');
    await everywhere('plain', 2);
    const plainMs = performance.now() - t0;

    log(`revision 2 in ${clusterCount} waves of one cluster`);
    t0 = performance.now();
    await edit('waves', 'nginx:1.28');
    const change = await until(
      'the rollout change succeeded',
      async () => (await call('GET', `${BASE}/teams/${TEAM}/changes/waves-rollout-v2`)).body,
      (body: any) => body?.status?.phase === 'Succeeded',
    );
    await everywhere('waves', 2);
    const wavesMs = performance.now() - t0;

    const batches = (change.status as ChangeStatus).batches ?? [];
    const waveMs = batches.map((batch) => Date.parse(batch.completedAt!) - Date.parse(batch.startedAt!));
    const gapMs = batches
      .slice(1)
      .map((batch, index) => Date.parse(batch.startedAt!) - Date.parse(batches[index]!.completedAt!));
    const waves = percentiles(waveMs);
    const gaps = percentiles(gapMs);
    console.log(`clusters ${clusterCount}, waves ${batches.length}`);
    report([
      ['plain apply: all clusters at the revision (s)', String(seconds(plainMs)), '-', true],
      ['fleet waves: all clusters at the revision (s)', String(seconds(wavesMs)), '-', true],
      ['wave duration p50 / max (s)', `${seconds(waves.p50)} / ${seconds(waves.max)}`, '-', true],
      [
        'engine time between waves p50 / max (ms)',
        `${Math.round(gaps.p50)} / ${Math.round(gaps.max)}`,
        '< 100',
        gaps.p50 < 100,
      ],
      ['server RSS (MB)', String(Math.round(s.rssMb())), '-', true],
    ]);
  } finally {
    await server?.stop();
    await bed?.stop();
  }
}

await main();
