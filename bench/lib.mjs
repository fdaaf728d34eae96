// Shared helpers for the bench scripts: start the bundled server, measure, report.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBundle } from '../scripts/bundle-freshness.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BASE = '/apis/gantry.dev/v1alpha1';
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * Starts the server as users do, `gantry server` (the bin, running the bundle in dist/, rebuilt first if it
 * is stale), on a fresh data dir (or `dataDir`, kept afterwards); resolves once /readyz answers. `checkout`:
 * another checkout of the repository to run instead of this one (a change measured against it).
 */
export async function startServer({ env = {}, port = 17420, dataDir: given, checkout = root } = {}) {
  await ensureBundle(checkout);
  const dataDir = given ?? mkdtempSync(join(tmpdir(), 'gantry-bench-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(checkout, 'apps/cli/bin/gantry.mjs'), 'server'], {
    env: {
      ...process.env,
      GANTRY_DATA_DIR: dataDir,
      GANTRY_PORT: String(port),
      GANTRY_ADMIN_PASSWORD: 'bench-password',
      GANTRY_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const response = await request('GET', `${url}/readyz`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const readyMs = performance.now() - t0;
  const login = await request('POST', `${url}/api/auth/login`, {
    username: 'admin',
    password: 'bench-password',
  });
  return {
    url,
    pid: child.pid,
    readyMs,
    token: login.body.token,
    rssMb: () => rssMb(child.pid),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve)));
      if (!given) rmSync(dataDir, { recursive: true, force: true });
    },
    /** SIGKILL, as a crash would; the data dir stays (a given one is never removed). */
    kill: async () => {
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve)));
    },
  };
}

/** `read(pid)` summed over `pid` and the processes it started, and theirs (those gone meanwhile count 0). */
function overTree(pid, read) {
  let total = read(pid);
  let children = '';
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    // gone, or a kernel without the children list
  }
  for (const child of children.split(' ').filter((id) => id !== '')) {
    try {
      total += overTree(Number(child), read);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/**
 * RSS of `pid` and of the processes it started, in MB: `gantry server` with GANTRY_MAX_HEAP_MB is the bin
 * and the capped Node it starts (ADR 0025), and both count.
 */
export function rssMb(pid) {
  return overTree(pid, (id) => {
    const status = readFileSync(`/proc/${id}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
  });
}

/**
 * CPU seconds (user + system, every thread) `pid` and the processes it started have used so far, from
 * /proc (clock ticks of 1/100 s).
 */
export function cpuSeconds(pid) {
  return overTree(pid, (id) => {
    const stat = readFileSync(`/proc/${id}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start at the last ')': utime and stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  });
}

/** One HTTP request over a keep-alive agent; resolves with status, parsed body and latency in ms. */
export function request(method, url, body, token) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = {
      ...(payload
        ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
        : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
    const t0 = performance.now();
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const ms = performance.now() - t0;
        const text = Buffer.concat(chunks).toString();
        let parsed;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = text;
        }
        resolve({ status: res.statusCode, body: parsed, ms, bytes: text.length });
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/**
 * Open-loop load: starts `make(i)` every 1000/rate ms for `seconds`, whatever the latency (so slow
 * responses cannot slow the offered rate down), and returns latency percentiles in ms.
 */
export async function fixedRate({ rate, seconds, make }) {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies = [];
  const failures = [];
  const inflight = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inflight.push(
      make(i).then((response) => {
        if (response.status >= 400) failures.push(response.status);
        latencies.push(response.ms);
      }),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  return { ...percentiles(latencies), achievedRate: total / elapsed, failures: failures.length };
}

export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) };
}

export function team(name, labels) {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { displayName: `Team ${name}`, members: [{ user: 'admin', role: 'team-admin' }] },
  };
}

export function report(rows) {
  const width = Math.max(...rows.map((row) => row[0].length));
  for (const [name, value, target, ok] of rows) {
    console.log(
      `${name.padEnd(width)}  ${String(value).padStart(12)}  target ${target.padEnd(10)} ${ok ? 'ok' : 'MISSED'}`,
    );
  }
}
