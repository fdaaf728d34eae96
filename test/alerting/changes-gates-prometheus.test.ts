import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChangeMetrics } from '@gantry/changes';
import { ChangeHarness, FakeActuator, TEAM } from '@gantry/changes/testing';
import type { ChangeStatus } from '@gantry/model';
import { Store } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { scrapeConfig, startPrometheus, type Started } from '../support/monitoring.ts';

// A real Prometheus (Debian's) scrapes a target this test serves: the error ratio and the request rate of
// three nodes, n001 being bad. The change engine's metric and canary gates read it through a team's
// MetricsSource and the `@gantry/alerts` client: a gate fails on n001's real values (query and values kept
// in the status), and a query with no data is handled by each no-data policy. The engine's clock is a fake
// one set in the recent past, so the batches' observation windows are ranges Prometheus has scraped.

let prometheus: Started | undefined;
let target: Server;
let store: Store;
let h: ChangeHarness;
let actuator: FakeActuator;

const errors: Record<string, number> = { n000: 0, n001: 0.9, n002: 0 };
const requests: Record<string, number> = { n000: 0, n001: 12, n002: 7 };

beforeAll(async () => {
  target = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      [
        '# TYPE gantry_gate_test_error_ratio gauge',
        ...Object.entries(errors).map(
          ([node, value]) => `gantry_gate_test_error_ratio{node="${node}"} ${value}`,
        ),
        '# TYPE gantry_gate_test_request_rate gauge',
        ...Object.entries(requests).map(
          ([node, value]) => `gantry_gate_test_request_rate{node="${node}"} ${value}`,
        ),
        '',
      ].join('\n'),
    );
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const port = (target.address() as AddressInfo).port;
  prometheus = await startPrometheus({ 'prometheus.yml': scrapeConfig('gates-test', [`127.0.0.1:${port}`]) });

  store = await Store.open({ url: ':memory:' });
  actuator = new FakeActuator(['east/n000', 'east/n001', 'east/n002']);
  const metrics = createChangeMetrics({
    resources: store.resources,
    secrets: { reveal: () => Promise.reject(new Error('no credentials in this test')) },
  });
  h = new ChangeHarness(store, actuator, Date.now(), 60_000, metrics);
  await h.createTeam();
  await h.apply('MetricsSource', 'prometheus', { url: prometheus.url });
  // Twenty seconds of samples (one a second) before the first change looks at them.
  const client = createChangeMetrics({
    resources: store.resources,
    secrets: { reveal: () => Promise.resolve({}) },
  });
  await eventually(
    () =>
      client.queryRange(
        TEAM,
        'prometheus',
        'count_over_time(gantry_gate_test_error_ratio{node="n001"}[1m])',
        Date.now(),
        Date.now(),
        1000,
      ),
    (read) => read.ok && (read.series[0]?.values[0] ?? 0) >= 20,
    90_000,
    500,
  );
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await new Promise((resolve) => target?.close(resolve));
  await store?.close();
});

const settled = (status: ChangeStatus) =>
  ['Paused', 'Succeeded', 'Aborted', 'Failed', 'RolledBack'].includes(status.phase ?? '');

/**
 * A change over the three nodes, one at a time, each observed 4 s, starting 15 s ago (the clock goes back
 * for each change; the one server keeps renewing its lease).
 */
async function runChange(name: string, gates: Record<string, unknown>, failurePolicy = 'Pause') {
  h.now = Date.now() - 15_000;
  await h.apply('Change', name, {
    nodeOperation: { operation: 'cordon' },
    targets: { names: ['east/n000', 'east/n001', 'east/n002'] },
    plan: { batches: [{ size: '1', bake: '4s', repeat: true }] },
    gates,
    failurePolicy,
  });
  const term = (await h.lead('a'))!;
  await h.run(term, name, settled);
  term.term.abort();
  const status = await h.status(name);
  if (status.phase === 'Paused') {
    await h.service.act(
      { principal: { username: 'test', admin: true, teams: new Map() }, source: 'test' },
      TEAM,
      name,
      'abort',
      'next case',
    );
    const next = (await h.lead('a'))!;
    await h.run(next, name);
    next.term.abort();
  }
  return status;
}

describe('change gates on real Prometheus data', () => {
  it('a metric gate fails on the bad node’s scraped values, with the query as sent and the values seen', async () => {
    const status = await runChange('errors', {
      metrics: [
        {
          name: 'error-ratio',
          source: 'prometheus',
          query: 'max(gantry_gate_test_error_ratio{node=~"$names"})',
          successCondition: 'max < 0.1',
          minSamples: 3,
          stepSeconds: 1,
        },
      ],
    });
    expect(status.phase).toBe('Paused');
    const [first, second] = status.batches!;
    expect(first!.gates?.find((g) => g.gate === 'error-ratio')).toMatchObject({
      verdict: 'Passed',
      observed: { query: 'max(gantry_gate_test_error_ratio{node=~"n000"})' },
    });
    const failed = second!.gates!.find((g) => g.gate === 'error-ratio')!;
    expect(failed.verdict).toBe('Failed');
    expect(failed.observed!.query).toBe('max(gantry_gate_test_error_ratio{node=~"n001"})');
    expect(failed.observed!.samples).toBeGreaterThanOrEqual(3);
    expect(new Set(failed.observed!.values)).toEqual(new Set([0.9]));
    expect(failed.message).toContain('successCondition max < 0.1 did not hold');
    expect(actuator.calls.map((call) => call.entity)).toEqual(['east/n000', 'east/n001']);
  });

  it('a canary worse than the nodes not yet changed fails; a zero baseline is compared, not divided by', async () => {
    const status = await runChange('canary', {
      health: false,
      canary: {
        source: 'prometheus',
        query: 'avg(gantry_gate_test_error_ratio{node=~"$names"})',
        minSamples: 3,
        stepSeconds: 1,
      },
    });
    // Batch 0 (n000: 0) against n001 and n002 (0.45 on average) passes; batch 1 (n001: 0.9) against n002 (0) fails.
    const gates = status.batches!.map((batch) => batch.gates?.find((g) => g.gate === 'canary'));
    expect(gates[0]).toMatchObject({ verdict: 'Passed', baseline: { mean: 0.45 } });
    expect(gates[1]).toMatchObject({ verdict: 'Failed', observed: { mean: 0.9 }, baseline: { mean: 0 } });
    expect(gates[1]!.message).toContain('baseline zero');
  });

  it('no data under each policy: Fail, Pause, Ignore, and PassIfZeroTraffic with and without traffic', async () => {
    const missing = (noData: Record<string, unknown>) => ({
      health: false,
      metrics: [
        {
          name: 'latency',
          source: 'prometheus',
          query: 'gantry_gate_test_no_such_metric{node=~"$names"}',
          failureCondition: 'max > 1',
          minSamples: 3,
          stepSeconds: 1,
          noData,
        },
      ],
    });
    const traffic = 'gantry_gate_test_request_rate{node=~"$names"}';
    const verdicts: Record<string, unknown> = {};
    for (const [name, noData] of Object.entries({
      fail: { policy: 'Fail' },
      pause: { policy: 'Pause' },
      ignore: { policy: 'Ignore' },
      'zero-traffic': { policy: 'PassIfZeroTraffic', trafficQuery: traffic },
    })) {
      const status = await runChange(`nodata-${name}`, missing(noData), 'Abort');
      const gate = status.batches![0]!.gates!.find((g) => g.gate === 'latency')!;
      verdicts[name] = [status.phase, gate.verdict, gate.observed?.samples];
      if (name === 'zero-traffic') {
        // n000 has no traffic (passes); n001 has (fails: no data while there was traffic).
        expect(gate.traffic?.values.every((value) => value === 0)).toBe(true);
        const busy = status.batches![1]!.gates!.find((g) => g.gate === 'latency')!;
        expect(busy.verdict).toBe('Failed');
        expect(busy.traffic!.values.every((value) => value === 12)).toBe(true);
        expect(busy.message).toContain('while there was traffic');
      }
    }
    expect(verdicts).toEqual({
      fail: ['Aborted', 'Failed', 0],
      pause: ['Paused', 'NoData', 0],
      ignore: ['Succeeded', 'Ignored', 0],
      'zero-traffic': ['Aborted', 'Passed', 0],
    });
  });
});
