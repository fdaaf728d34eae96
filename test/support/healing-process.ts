import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { healingLabels, type HealingRun, type HealingRunSummary, type JobRun } from '@gantry/model';
import { GANTRY_BIN } from './cli.ts';
import { startClockedServer, type ClockedServer } from './clocked-server.ts';
import { eventually } from './eventually.ts';
import { BASE, client, team } from './http.ts';
import { freePort } from './monitoring.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

export const TEAM = 'ops';
const PASSWORD = 'healing-process-admin-pw';
export const MIN = 60_000;

type Api = ReturnType<typeof client>;

/**
 * Self-healing against real processes: `gantry server` as a child (its clock moved by the test, see
 * `clocked-server.ts`), real `gantry agent`s named after hosts, a webhook receiver standing for the
 * on-call channel. `restart()` SIGKILLs the server and starts it again on the same data with the clock
 * where it was; `api` is always a session of the current process.
 */
export class HealingProcessFixture {
  server!: ClockedServer;
  api!: Api;
  hook!: WebhookReceiver;
  readonly children: ChildProcess[] = [];
  readonly dirs: string[] = [];
  #env: Record<string, string> = {};

  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** Starts a server on `env` (a data dir of its own unless `GANTRY_DATABASE_URL` says otherwise). */
  async start(env: Record<string, string> = {}): Promise<void> {
    this.hook = await startWebhookReceiver();
    this.#env = {
      GANTRY_PORT: String(await freePort()),
      GANTRY_DATA_DIR: this.tempDir('gantry-healing-process-'),
      GANTRY_ADMIN_PASSWORD: PASSWORD,
      GANTRY_CHANGE_POLL_MS: '100',
      GANTRY_HEALING_INTERVAL_SECONDS: '1',
      ...env,
    };
    await this.#boot(0);
  }

  /** Another server process on the same database (PostgreSQL), its own port, the same clock offset. */
  async another(): Promise<{ server: ClockedServer; api: Api }> {
    const server = await startClockedServer(
      { ...this.#env, GANTRY_PORT: String(await freePort()), GANTRY_DATA_DIR: this.tempDir('gantry-b-') },
      this.server.offsetMs,
    );
    return { server, api: await login(server.url) };
  }

  async #boot(offsetMs: number): Promise<void> {
    this.server = await startClockedServer(this.#env, offsetMs);
    this.api = await login(this.server.url);
  }

  /** SIGKILL, then the same server again on the same data, its clock where it was. */
  async restart(): Promise<void> {
    const offset = this.server.offsetMs;
    await this.server.kill();
    await this.#boot(offset);
  }

  async advance(ms: number): Promise<void> {
    await this.server.advance(ms);
  }

  /** The team, its `oncall` webhook channel, agents for `hosts`, and JobTemplates by name → script. */
  async seed(hosts: readonly string[], templates: Record<string, string>): Promise<void> {
    expect((await this.api.post(`${BASE}/teams`, team(TEAM))).status).toBe(201);
    await this.apply('NotificationChannel', 'oncall', {
      type: 'webhook',
      webhook: { url: `${this.hook.url}/oncall` },
    });
    for (const [name, source] of Object.entries(templates))
      await this.apply('JobTemplate', name, {
        script: { interpreter: 'sh', source },
        timeoutSeconds: 86_400,
      });
    await this.apply('DiagnosisTree', 'host-down', hostTree());
    if (hosts.length === 0) return;
    const token = await this.api.post(`/api/teams/${TEAM}/join-tokens`, { uses: hosts.length });
    expect(token.status).toBe(201);
    for (const host of hosts) {
      const agent = spawn(
        process.execPath,
        [
          GANTRY_BIN,
          'agent',
          '--server',
          this.server.url,
          '--join-token',
          token.body.token,
          '--work-dir',
          this.tempDir('gantry-agent-'),
          '--name',
          host,
        ],
        { stdio: ['ignore', 'ignore', 'ignore'] },
      );
      this.children.push(agent);
    }
    await eventually(
      async () => (await this.api.get(`/api/teams/${TEAM}/hosts`)).body.items as { status: string }[],
      (items) => items.filter((host) => host.status === 'Online').length === hosts.length,
      30_000,
    );
  }

  async apply(kind: string, name: string, spec: unknown): Promise<void> {
    const plural = kind === 'HealingPolicy' ? 'healingpolicies' : `${kind.toLowerCase()}s`;
    const created = await this.api.post(`${BASE}/teams/${TEAM}/${plural}`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind,
      metadata: { name },
      spec,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }

  /** Opens an exception on a host, as a person or correlation would. */
  async openException(title: string, host: string): Promise<string> {
    const opened = await this.api.post(`/api/teams/${TEAM}/exceptions`, {
      title,
      severity: 'major',
      entities: [{ kind: 'Host', name: host }],
    });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    return opened.body.id as string;
  }

  async runs(policy: string): Promise<HealingRunSummary[]> {
    const list = await this.api.get(`/api/teams/${TEAM}/healing/runs?policy=${policy}&limit=100`);
    expect(list.status).toBe(200);
    return list.body.items as HealingRunSummary[];
  }

  async run(id: string): Promise<HealingRun> {
    const got = await this.api.get(`/api/teams/${TEAM}/healing/runs/${id}`);
    expect(got.status).toBe(200);
    return got.body as HealingRun;
  }

  /** Waits until the run of `policy` on `entity` satisfies `done`. */
  async waitRun(
    policy: string,
    entity: string,
    done: (run: HealingRun) => boolean,
    deadlineMs = 30_000,
  ): Promise<HealingRun> {
    return eventually(
      async () => {
        const summary = (await this.runs(policy)).find((run) => run.entity === entity);
        return summary ? this.run(summary.id) : undefined;
      },
      (run) => run !== undefined && done(run),
      deadlineMs,
      100,
    ) as Promise<HealingRun>;
  }

  /** The Changes healing made for a run (labelled with it). */
  async changesOf(runId: string): Promise<{ metadata: { name: string }; status?: { phase?: string } }[]> {
    const list = await this.api.get(`${BASE}/teams/${TEAM}/changes`);
    expect(list.status).toBe(200);
    return (list.body.items as { metadata: { name: string; labels?: Record<string, string> } }[]).filter(
      (change) => change.metadata.labels?.[healingLabels.run] === runId,
    );
  }

  async silences(): Promise<{ metadata: { name: string } }[]> {
    return (await this.api.get(`${BASE}/teams/${TEAM}/silences`)).body.items as {
      metadata: { name: string };
    }[];
  }

  async jobRuns(): Promise<JobRun[]> {
    return (await this.api.get(`/api/jobs/runs?team=${TEAM}&limit=100`)).body.items as JobRun[];
  }

  /** The pages (escalations) the on-call channel received about a run. */
  pagesOf(runId: string): unknown[] {
    return this.messagesOf(runId, 'GantryHealingEscalated');
  }

  /** The approval requests the channel received for a run (ADR 0041). */
  approvalRequestsOf(runId: string): unknown[] {
    return this.messagesOf(runId, 'GantryHealingApproval');
  }

  messagesOf(runId: string, alertname: string): unknown[] {
    return this.hook.received.filter(
      (hit) =>
        hit.message.groupLabels['healing_run'] === runId &&
        hit.message.commonLabels['alertname'] === alertname,
    );
  }

  async close(): Promise<void> {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    await this.server?.kill();
    await this.hook?.close();
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}

async function login(url: string): Promise<Api> {
  const session = await client(url).post('/api/auth/login', { username: 'admin', password: PASSWORD });
  expect(session.status).toBe(200);
  return client(url, session.body.token);
}

/** A host whose agent answers has a service down (the policy says what restarting it is); else a person. */
export function hostTree(): Record<string, unknown> {
  return {
    subject: 'Host',
    evidence: [{ name: 'agent', heartbeat: {} }],
    root: 'a',
    steps: [
      {
        name: 'a',
        branches: [
          {
            when: 'evidence.agent.online',
            conclude: { rootCause: 'ServiceDown', supporting: ['agent'], action: 'restart-service' },
          },
        ],
        otherwise: { conclude: { rootCause: 'HostDown', supporting: ['agent'], action: 'escalate' } },
      },
    ],
  };
}

/** A Host policy in Act mode on exceptions whose title starts with `prefix`, its ladder ending in a page. */
export function hostPolicy(prefix: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    trigger: { exceptions: { match: `exception.title.startsWith("${prefix}")` } },
    scope: { subject: 'Host' },
    diagnosis: { tree: 'host-down' },
    verification: { bake: '5m' },
    ...spec,
    guardrails: { mode: 'Act', ...(spec['guardrails'] as object | undefined) },
  };
}
