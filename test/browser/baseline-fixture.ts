import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { BASE, type client } from '../support/http.ts';

/**
 * A stand-in for Prometheus's range API that answers any range query with one series (`job="api",
 * instance="a"`) at 100 ± 1 that jumps to 200 for its last five steps: a Baseline over it deviates.
 */
export async function startJumpingSeries(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const form = new URLSearchParams(text);
      const [start, end, step] = ['start', 'end', 'step'].map((key) => Number(form.get(key)));
      const values: [number, string][] = [];
      for (let t = start!; t <= end!; t += step!)
        values.push([t, String(t > end! - 5 * step! ? 200 : 100 + (Math.round(t / step!) % 2 ? 1 : -1))]);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'matrix', result: [{ metric: { job: 'api', instance: 'a' }, values }] },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The team's MetricsSource `prometheus` at `url`, and a Baseline `latency` over it. */
export async function createLatencyBaseline(
  admin: ReturnType<typeof client>,
  team: string,
  url: string,
): Promise<void> {
  const source = await admin.post(`${BASE}/teams/${team}/metricssources`, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'MetricsSource',
    metadata: { name: 'prometheus' },
    spec: { url, timeoutSeconds: 2 },
  });
  expect(source.status).toBe(201);
  const baseline = await admin.post(`${BASE}/teams/${team}/baselines`, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Baseline',
    metadata: { name: 'latency' },
    spec: {
      source: { name: 'prometheus' },
      query: 'sum by (job, instance) (rate(requests[5m]))',
      lookback: '2h',
    },
  });
  expect(baseline.status).toBe(201);
}
