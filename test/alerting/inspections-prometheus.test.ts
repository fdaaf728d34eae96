import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusQuerier } from '@gantry/alerts';
import type { EventRecord, InspectionRunWithResults, InspectionStatus, Risk } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { scrapeConfig, startPrometheus, type Started } from '../support/monitoring.ts';

// A real Prometheus (Debian's) scrapes a target this test serves; a Gantry server (SQLite) runs an
// Inspection's PromQL checks against it through a MetricsSource: a series over its threshold is a risk,
// an empty answer is `noData`, a query Prometheus refuses fails the check with its error, and once
// Prometheus is stopped the run says why (SourceUnreachable, a condition, a Warning event) and records
// no false risk and closes none.

let prometheus: Started | undefined;
let prometheusUrl: string;
let target: Server;
let gantry: TestServer;
let api: ReturnType<typeof client>;
const disk: Record<string, number> = { n1: 0.93, n2: 0.41 };

async function run(): Promise<InspectionRunWithResults> {
  const reply = await api.post('/api/teams/ops/inspections/disks/run');
  expect(reply.status).toBe(201);
  return reply.body as InspectionRunWithResults;
}

beforeAll(async () => {
  target = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      '# TYPE gantry_inspection_test_disk_used_ratio gauge\n' +
        Object.entries(disk)
          .map(
            ([node, value]) =>
              `gantry_inspection_test_disk_used_ratio{cluster="c1",node="${node}"} ${value}\n`,
          )
          .join(''),
    );
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetPort = (target.address() as AddressInfo).port;
  prometheus = await startPrometheus({
    // The target answers from this test's process, which the in-process server keeps busy: a scrape that
    // misses a 1 s timeout marks the series stale, and a check then sees no data. 5 s leaves room.
    'prometheus.yml': scrapeConfig(
      'inspections-test',
      [`127.0.0.1:${targetPort}`],
      ['scrape_interval: 5s', 'scrape_timeout: 5s'],
    ),
  });
  prometheusUrl = prometheus.url;
  const querier = createPrometheusQuerier();
  await eventually(
    () =>
      querier.query(
        { url: prometheusUrl, timeoutMs: 1000 },
        'gantry_inspection_test_disk_used_ratio',
        Date.now(),
      ),
    (outcome) => outcome.ok && outcome.samples.length === 2,
    60_000,
    250,
  );

  gantry = await startTestServer();
  api = client(gantry.url, gantry.adminToken);
  expect((await api.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
  const source = await api.post(`${BASE}/teams/ops/metricssources`, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'MetricsSource',
    metadata: { name: 'prometheus' },
    spec: { url: prometheusUrl, timeoutSeconds: 2 },
  });
  expect(source.status).toBe(201);
  const inspection = await api.post(`${BASE}/teams/ops/inspections`, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Inspection',
    metadata: { name: 'disks' },
    spec: {
      schedule: { cron: '0 0 1 1 *' },
      suspend: true,
      checks: [
        {
          name: 'disk-full',
          promql: {
            source: 'prometheus',
            query: 'max by (cluster, node) (gantry_inspection_test_disk_used_ratio)',
            condition: 'value > 0.8',
          },
          scoreExpression: 'value > 0.9 ? 85 : 60',
          title: '${labels.node} disk ${string(int(value * 100.0))}% used',
        },
        {
          name: 'absent',
          promql: { source: 'prometheus', query: 'gantry_inspection_test_no_such_metric', condition: 'true' },
        },
        {
          // Well-shaped, but Prometheus refuses it: rate() needs a range vector.
          name: 'refused',
          promql: {
            source: 'prometheus',
            query: 'rate(gantry_inspection_test_disk_used_ratio)',
            condition: 'true',
          },
        },
      ],
    },
  });
  expect(inspection.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await gantry?.close();
  await prometheus?.stop();
  await new Promise<void>((resolve) => target?.close(() => resolve()));
});

describe('inspections against a real Prometheus', () => {
  it('a PromQL check over its threshold records a risk; nothing is noData; a refused query fails with why', async () => {
    const result = await run();
    const byCheck = Object.fromEntries(result.results.map((r) => [r.check, r]));
    expect(byCheck['disk-full']).toMatchObject({
      outcome: 'risks',
      findings: [{ title: 'n1 disk 93% used', score: 85 }],
    });
    expect(byCheck['absent']).toMatchObject({ outcome: 'noData', reason: 'NoData' });
    expect(byCheck['refused']).toMatchObject({ outcome: 'failed', reason: 'QueryFailed' });
    expect(byCheck['refused']!.message).toContain('range vector');
    expect(result.state).toBe('failed');
    const risks = (await api.get('/api/teams/ops/risks?source=Inspection/disks')).body.items as Risk[];
    expect(risks).toMatchObject([
      {
        key: '{cluster="c1",node="n1"}',
        state: 'open',
        entities: [
          { kind: 'Node', name: 'n1', cluster: 'c1' },
          { kind: 'Cluster', name: 'c1' },
        ],
      },
    ]);
  });

  it('a series that drops below its threshold closes its risk; a new one opens', async () => {
    disk.n1 = 0.5;
    disk.n2 = 0.88;
    await eventually(
      () =>
        createPrometheusQuerier().query(
          { url: prometheusUrl, timeoutMs: 1000 },
          'gantry_inspection_test_disk_used_ratio > 0.8',
          Date.now(),
        ),
      (outcome) => outcome.ok && outcome.samples.length === 1 && outcome.samples[0]!.labels.node === 'n2',
      30_000,
      250,
    );
    await run();
    const all = (await api.get('/api/teams/ops/risks?state=all&source=Inspection/disks/disk-full')).body
      .items as Risk[];
    expect(all.map((r) => [r.key, r.state, r.score]).sort()).toEqual([
      ['{cluster="c1",node="n1"}', 'gone', 85],
      ['{cluster="c1",node="n2"}', 'open', 60],
    ]);
  });

  it('with Prometheus stopped the run says why, warns, and records no false risk', async () => {
    await prometheus!.stop();
    const result = await run();
    expect(result.state).toBe('failed');
    for (const check of result.results) {
      expect(check).toMatchObject({ outcome: 'failed', reason: 'SourceUnreachable', findings: [] });
      expect(check.message).toContain(prometheusUrl);
    }
    // The open risk stays as the last verdict left it: neither closed nor duplicated.
    const open = (await api.get('/api/teams/ops/risks?source=Inspection/disks')).body.items as Risk[];
    expect(open.map((r) => r.key)).toEqual(['{cluster="c1",node="n2"}']);
    const status = (await api.get(`${BASE}/teams/ops/inspections/disks`)).body.status as InspectionStatus;
    expect(status.conditions?.find((c) => c.type === 'ChecksSucceeded')).toMatchObject({
      status: 'False',
      reason: 'ChecksFailed',
    });
    const events = await eventually(
      async () =>
        (await api.get('/api/events?team=ops&kind=Inspection&name=disks&type=Warning')).body
          .items as EventRecord[],
      (items) =>
        items.some(
          (event) => event.reason === 'InspectionCheckFailed' && event.message.includes('SourceUnreachable'),
        ),
    );
    expect(events.length).toBeGreaterThan(0);
    const diff = (await api.get(`/api/teams/ops/inspection-runs/${result.id}/diff`)).body;
    expect(diff).toMatchObject({
      new: [],
      gone: [],
      changed: [],
      unknown: ['disk-full', 'absent', 'refused'],
    });
  });
});
