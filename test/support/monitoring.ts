import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for the process that takes it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Started {
  url: string;
  dir: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Prometheus and Alertmanager from Debian's packages, started by tests on 127.0.0.1 with their own
 * directories and free ports, and stopped by their PID.
 */

/** Waits until `url` answers 200, or throws with what the process said. */
async function ready(
  url: string,
  started: Started,
  headers: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { headers });
      if (response.ok) return;
    } catch {
      // not yet listening
    }
    if (started.process.exitCode !== null || Date.now() > until)
      throw new Error(`${url} did not become ready:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function start(binary: string, args: (dir: string, port: number) => string[], files: Record<string, string>) {
  return async (readyPath: string, headers: Record<string, string> = {}): Promise<Started> => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-alerting-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
    const port = await freePort();
    const child = spawn(binary, args(dir, port), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    const started: Started = {
      url: `http://127.0.0.1:${port}`,
      dir,
      process: child,
      output: () => output,
      stop: async () => {
        if (child.exitCode === null && child.pid !== undefined) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          process.kill(child.pid, 'SIGTERM');
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
    try {
      await ready(`${started.url}${readyPath}`, started, headers);
    } catch (error) {
      await started.stop();
      throw error;
    }
    return started;
  };
}

/** Alertmanager 0.25 with `config` (by default, everything to a receiver that sends nowhere). */
export function startAlertmanager(
  config = 'route:\n  receiver: none\nreceivers:\n  - name: none\n',
): Promise<Started> {
  return start(
    '/usr/bin/prometheus-alertmanager',
    (dir, port) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { 'alertmanager.yml': config },
  )('/-/ready');
}

export interface PrometheusOptions {
  /** Flags besides the config, storage, address and log level ones; `dir` is Prometheus's own directory. */
  args?: (dir: string) => string[];
  /** Headers its readiness probe sends (an `authorization` when `web.yml` asks for basic auth). */
  headers?: Record<string, string>;
}

/**
 * Prometheus with the given files written into its own directory (`prometheus.yml` at least, rule files,
 * a `web.yml`). Alerts are resent every second unless `args` say otherwise.
 */
export function startPrometheus(
  files: Record<string, string>,
  options: PrometheusOptions = {},
): Promise<Started> {
  return start(
    '/usr/bin/prometheus',
    (dir, port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--rules.alert.resend-delay=1s',
      '--log.level=warn',
      ...(options.args?.(dir) ?? []),
    ],
    files,
  )('/-/ready', options.headers);
}

/** A `prometheus.yml` scraping `targets` every second under `job` (with `honor_labels` if asked). */
export function scrapeConfig(job: string, targets: string[], extra: string[] = []): string {
  return [
    'global:',
    '  scrape_interval: 1s',
    'scrape_configs:',
    `  - job_name: ${job}`,
    ...extra.map((line) => `    ${line}`),
    '    static_configs:',
    `      - targets: [${targets.map((target) => `'${target}'`).join(', ')}]`,
    '',
  ].join('\n');
}
