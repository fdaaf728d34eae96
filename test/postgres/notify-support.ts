import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { WebhookMessage } from '@gantry/model';

/** A webhook receiver that counts what arrives per notification id (`X-Gantry-Notification-Id`). */
export interface CountingReceiver {
  url: string;
  /** id → times received. */
  counts: Map<string, number>;
  /** id → when it first arrived (performance.timeOrigin-based ms). */
  firstAt: Map<string, number>;
  total(): number;
  close(): Promise<void>;
}

/** `onReceived` runs as each request arrives, with the number of distinct ids so far (a kill trigger). */
export async function countingReceiver(
  delayMs = 0,
  onReceived?: (distinct: number) => void,
): Promise<CountingReceiver> {
  const counts = new Map<string, number>();
  const firstAt = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const id = String(request.headers['x-gantry-notification-id'] ?? '');
    request.resume();
    request.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      counts.set(id, (counts.get(id) ?? 0) + 1);
      if (!firstAt.has(id)) firstAt.set(id, at);
      onReceived?.(counts.size);
      const reply = () => response.writeHead(200).end('ok');
      if (delayMs > 0) setTimeout(reply, delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    counts,
    firstAt,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Starts `notify-worker.child.ts` and resolves once it prints `ready`. */
export async function startWorkerProcess(
  database: string,
  receiver: string,
  name: string,
  env: Record<string, string> = {},
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'notify-worker.child.ts'), database, receiver, name],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code} before it was ready`)));
  });
  return child;
}

export function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export function burstMessage(group: number): WebhookMessage {
  return {
    version: '4',
    groupKey: `{}:{group="${group}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'burst',
    groupLabels: { group: String(group) },
    commonLabels: { alertname: 'Burst', group: String(group) },
    commonAnnotations: {},
    externalURL: '',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'Burst', group: String(group) },
        annotations: {},
        startsAt: '2026-12-02T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: group.toString(16).padStart(16, '0'),
      },
    ],
  };
}
