import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { MemoryAgentPort, MemoryHostDirectory } from '@gantry/jobs';
import { createAgentJobHandler, type AgentJobHandler } from '@gantry/jobs/agent';
import { JOBS_CHANNEL, type JobRun } from '@gantry/model';
import { resolveConfig, startServer, type RunningServer } from '../../apps/server/src/index.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';
import { ensureConsoleBuilt, openBrowser, screenshot, signIn, type ConsoleBrowser } from './support.ts';

const base = '/apis/gantry.dev/v1alpha1';
const TEAM = 'ops';
const HOSTS = ['host-01', 'host-02', 'host-03', 'host-04', 'host-05', 'host-06'];
/** The hosts where the probe fails until the test "fixes" them. */
const BROKEN = ['host-02', 'host-05'];

/**
 * The probe prints a line, then waits for the test to open its gate (a file), so that the test can watch
 * the rest of its output arrive live; it writes to stderr, and fails on the broken hosts until the
 * test writes the `fixed` file.
 */
const probeSource = [
  'echo "$GANTRY_PARAM_GREETING from $GANTRY_TARGET, round $GANTRY_PARAM_ROUNDS"',
  'while [ ! -e "$GANTRY_PARAM_GATE/open" ]; do sleep 0.05; done',
  'echo "gate passed on $GANTRY_TARGET"',
  'echo "a warning from $GANTRY_TARGET" >&2',
  `case "$GANTRY_TARGET" in ${BROKEN.join('|')}) [ -e "$GANTRY_PARAM_GATE/fixed" ] || { echo "broken" >&2; exit 3; } ;; esac`,
  'echo done',
].join('\n');

const template = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'JobTemplate',
  metadata: { name, team: TEAM },
  spec,
});

/**
 * The jobs pages against a real server whose jobs run for real: six agents in this process (each a real
 * agent-side executor with its own work directory, running real processes) joined to the server by the
 * in-memory agent transport, as test/integration/jobs-suite.ts does.
 */
describe('console jobs: templates, the run form, the run grid, live output, cancel and re-run', () => {
  const port = new MemoryAgentPort();
  const hosts = new MemoryHostDirectory();
  const handlers: AgentJobHandler[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-console-jobs-'));
  const workDirs: string[] = [];
  // Jobs run as `nobody` when the agent is root: the gate must be readable by anyone.
  const gate = mkdtempSync(join(tmpdir(), 'gantry-console-jobs-gate-'));
  chmodSync(gate, 0o755);
  let server: RunningServer;
  let adminToken: string;
  let ui: ConsoleBrowser;

  const api = async (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...init.headers },
    });
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const response = await api(path, { method: 'POST', body: JSON.stringify(body) });
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    ensureConsoleBuilt();
    server = await startServer(
      resolveConfig(
        {},
        {
          port: 0,
          host: '127.0.0.1',
          dataDir,
          adminPassword: TEST_ADMIN_PASSWORD,
          logLevel: 'silent',
        },
      ),
      { jobs: { port, hosts } },
    );
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
    });
    adminToken = ((await login.json()) as { token: string }).token;
    await post('/api/users', { username: 'vera', password: 'vera-password-1' });
    await post(`${base}/teams`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: TEAM },
      spec: { members: [{ user: 'vera', role: 'viewer' }] },
    });
    HOSTS.forEach((host, i) => {
      hosts.add(TEAM, host, { role: i % 2 === 0 ? 'web' : 'db' });
      const workDir = mkdtempSync(join(tmpdir(), `gantry-console-agent-${host}-`));
      workDirs.push(workDir);
      const link: { report?: (channel: string, body: unknown) => void } = {};
      const handler = createAgentJobHandler({
        workDir,
        killGraceMs: 200,
        report: (channel, body) => link.report?.(channel, body),
      });
      handlers.push(handler);
      const connection = port.connect(TEAM, host, { [JOBS_CHANNEL]: (body) => handler.handle(body) });
      link.report = (channel, body) => connection.report(channel, body);
    });
    await post(
      `${base}/teams/${TEAM}/jobtemplates`,
      template('probe', {
        description: 'Greets, waits at a gate, and fails on broken hosts',
        script: { interpreter: 'sh', source: probeSource },
        parameters: {
          type: 'object',
          properties: {
            greeting: { type: 'string', minLength: 1, description: 'What to say first', default: 'hello' },
            rounds: { type: 'integer', minimum: 1, maximum: 5, default: 1 },
            gate: { type: 'string', minLength: 1, description: 'Directory of the gate file' },
          },
          required: ['gate'],
        },
        timeoutSeconds: 120,
      }),
    );
    await post(
      `${base}/teams/${TEAM}/jobtemplates`,
      template('slow', { script: { interpreter: 'sh', source: 'echo started; exec sleep 1000' } }),
    );
    await post(
      `${base}/teams/${TEAM}/jobtemplates`,
      template('chatty', {
        script: {
          interpreter: 'sh',
          source: 'i=0; while [ $i -lt 200 ]; do echo "line $i of chatter"; i=$((i+1)); done',
        },
        maxOutputBytes: 1024,
      }),
    );
    ui = await openBrowser(server.url);
    await signIn(ui.page, 'admin', TEST_ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await ui?.close();
    for (const handler of handlers) await handler.stop();
    await server?.close();
    for (const dir of [...workDirs, dataDir, gate]) rmSync(dir, { recursive: true, force: true });
  });

  const cell = (page: Page, host: string) =>
    page.locator(`[data-testid="target-cell"][data-target="${host}"]`);
  const waitForState = async (page: Page, host: string, state: string) =>
    page.locator(`[data-testid="target-cell"][data-target="${host}"][data-state="${state}"]`).waitFor();
  const runIdOf = (page: Page): string => decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1)!);

  it('lists the team templates and opens one with a form from its parameter schema', async () => {
    const { page } = ui;
    await page.getByTestId('nav-job-templates').click();
    await page.waitForURL((url) => url.pathname === '/jobs/templates');
    const table = page.getByTestId('job-templates');
    const probe = table.locator(`tr[data-row-key="${TEAM}/probe"]`);
    await probe.waitFor();
    const text = await probe.innerText();
    for (const fact of ['sh script', 'Greets, waits at a gate', 'greeting, rounds, gate', '120s'])
      expect(text).toContain(fact);
    await table.locator(`tr[data-row-key="${TEAM}/slow"]`).waitFor();

    await probe.getByRole('link', { name: 'probe' }).click();
    await page.waitForURL(`**/jobs/teams/${TEAM}/templates/probe`);
    const form = page.getByTestId('run-form');
    // Fields from the schema, filled with its defaults.
    await expect.poll(() => form.getByLabel(/^greeting/).inputValue()).toBe('hello');
    expect(await form.getByLabel(/^rounds/).inputValue()).toBe('1');
    expect(await page.getByTestId('template-script').innerText()).toContain('gate passed');
    await screenshot(page, 'jobs-template');
  });

  it('checks the form in the browser and shows the server refusal at its field path', async () => {
    const { page } = ui;
    const form = page.getByTestId('run-form');
    // Nothing filled in: the required parameter and the hosts are asked for before anything is sent.
    await page.getByTestId('run-submit').click();
    await form.getByText('Name at least one host').waitFor();
    await form.locator('.ant-form-item-has-error').filter({ hasText: 'gate' }).waitFor();

    await form.getByLabel(/^gate/).fill(gate);
    const hostsInput = form.getByTestId('target-hosts').locator('input');
    for (const host of ['host-01', 'nope-9']) {
      await hostsInput.fill(host);
      await hostsInput.press('Enter');
    }
    await page.getByTestId('run-submit').click();
    // 422 GANTRY_E_JOB_NO_TARGETS at /targets/hosts/1: on the hosts field; nothing ran.
    const hostsItem = form
      .locator('.ant-form-item-has-error')
      .filter({ has: page.getByTestId('target-hosts') });
    await hostsItem.locator('.ant-form-item-explain-error').filter({ hasText: 'nope-9' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/jobs/teams/${TEAM}/templates/probe`);
    const runs = (await (await api(`/api/jobs/runs?team=${TEAM}`)).json()) as { items: JobRun[] };
    expect(runs.items).toEqual([]);
  });

  it('runs the template from the form and follows a target live until the grid has ended', async () => {
    const { page } = ui;
    const form = page.getByTestId('run-form');
    await form.getByLabel(/^greeting/).fill('howdy');
    await form.getByLabel(/^rounds/).fill('3');
    await form.getByTestId('target-kind').getByText('Hosts by selector').click();
    await form.getByTestId('target-selector').fill('role');
    await form.getByLabel('Batch size').fill('3');
    await page.getByTestId('run-submit').click();
    await page.waitForURL(/\/jobs\/runs\/[^/]+$/);
    const id = runIdOf(page);

    // Every host of the team is a target; the first batch of three starts and waits at the gate.
    await expect.poll(() => page.getByTestId('target-cell').count()).toBe(HOSTS.length);
    for (const host of HOSTS.slice(0, 3)) await waitForState(page, host, 'running');
    for (const host of HOSTS.slice(3)) await waitForState(page, host, 'queued');
    await screenshot(page, 'jobs-run-running');

    await cell(page, 'host-02').click();
    const screen = page.getByTestId('log-screen');
    await screen.getByText('howdy from host-02, round 3').waitFor();
    await page.getByTestId('log-live').waitFor();
    expect(await screen.innerText()).not.toContain('gate passed');

    // Open the gate: the rest of the output arrives in the open viewer without reloading.
    writeFileSync(join(gate, 'open'), '');
    await screen.getByText('gate passed on host-02').waitFor();
    const stderr = screen.locator('[data-stream="stderr"]').filter({ hasText: 'a warning from host-02' });
    await stderr.waitFor();
    // stderr is told apart from stdout by its colour.
    expect(await stderr.getAttribute('style')).toContain('rgb(255, 123, 114)');
    expect(await screen.locator('[data-stream="stdout"]').first().getAttribute('style')).not.toContain(
      'rgb(255, 123, 114)',
    );

    for (const host of HOSTS) await waitForState(page, host, BROKEN.includes(host) ? 'failed' : 'succeeded');
    expect(await cell(page, 'host-02').innerText()).toContain('exit 3');
    expect(await cell(page, 'host-01').innerText()).toContain('exit 0');
    await page.getByTestId('run-state').filter({ hasText: 'Failed' }).waitFor();
    await page.locator('[data-testid="log-viewer"][data-status="ended"]').waitFor();
    expect(await screen.innerText()).toContain('broken');
    await expect.poll(() => page.getByTestId('target-facts').innerText()).toContain('NonZeroExit');
    await screenshot(page, 'jobs-run-failed');

    // The run is listed with its counts by state.
    await page.getByTestId('nav-job-runs').click();
    const row = page.getByTestId('job-runs').locator(`tr[data-row-key="${id}"]`);
    await row.waitFor();
    const rowText = await row.innerText();
    for (const fact of ['Failed', 'probe', 'admin', '4 succeeded', '2 failed'])
      expect(rowText).toContain(fact);
    await row.getByRole('link', { name: id }).click();
    await page.waitForURL(`**/jobs/runs/${id}`);
  });

  it('re-runs the failed targets after a confirm', async () => {
    const { page } = ui;
    const first = runIdOf(page);
    // The broken hosts are fixed before the re-run: the same frozen job now succeeds there.
    writeFileSync(join(gate, 'fixed'), '');
    expect(await page.getByTestId('run-cancel').isDisabled()).toBe(true);
    await page.getByTestId('run-rerun').click();
    await page.locator('.ant-popover').getByText('Re-run 2 failed target(s)?').waitFor();
    await page.locator('.ant-popover').getByRole('button', { name: 'Re-run' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/jobs/runs/') && !url.pathname.endsWith(first));
    await expect.poll(() => page.getByTestId('target-cell').count()).toBe(BROKEN.length);
    for (const host of BROKEN) await waitForState(page, host, 'succeeded');
    await page.getByTestId('run-state').filter({ hasText: 'Succeeded' }).waitFor();
    await page.getByRole('link', { name: first }).waitFor();
    expect(await page.getByTestId('run-rerun').isDisabled()).toBe(true);
  });

  it('cancels a long-running run after a confirm', async () => {
    const { page } = ui;
    const run = await post<JobRun>('/api/jobs/runs', {
      team: TEAM,
      template: 'slow',
      targets: { hosts: ['host-01', 'host-03'] },
    });
    await page.goto(`/jobs/runs/${run.id}?target=host-03`);
    for (const host of ['host-01', 'host-03']) await waitForState(page, host, 'running');
    await page.getByTestId('log-screen').getByText('started').waitFor();
    expect(await page.getByTestId('run-rerun').isDisabled()).toBe(true);
    await page.getByTestId('run-cancel').click();
    await page.locator('.ant-popover').getByRole('button', { name: 'Cancel run' }).click();
    for (const host of ['host-01', 'host-03']) await waitForState(page, host, 'cancelled');
    await page.getByTestId('run-state').filter({ hasText: 'Cancelled' }).waitFor();
    await page.locator('[data-testid="log-viewer"][data-status="ended"]').waitFor();
    expect(await page.getByTestId('run-cancel').isDisabled()).toBe(true);
  });

  it('shows the truncation marker of output over the cap', async () => {
    const { page } = ui;
    const run = await post<JobRun>('/api/jobs/runs', {
      team: TEAM,
      template: 'chatty',
      targets: { hosts: ['host-04'] },
    });
    await page.goto(`/jobs/runs/${run.id}?target=host-04`);
    const marker = page.getByTestId('log-screen').locator('[data-stream="system"]');
    await marker.filter({ hasText: '[gantry: output truncated at 1024 bytes]' }).waitFor();
    await waitForState(page, 'host-04', 'succeeded');
    expect(await cell(page, 'host-04').innerText()).toContain('truncated');
    const screen = page.getByTestId('log-screen');
    expect(await screen.innerText()).not.toContain('line 199 of chatter');

    // Following keeps the newest line in view; scrolling up stops following, the toggle brings it back.
    const follow = page.getByTestId('log-follow');
    const atBottom = () =>
      screen.evaluate((node) => node.scrollHeight - node.scrollTop - node.clientHeight < 8);
    expect(await screen.evaluate((node) => node.scrollHeight > node.clientHeight)).toBe(true);
    await expect.poll(atBottom).toBe(true);
    expect(await follow.getAttribute('aria-checked')).toBe('true');
    await screen.evaluate((node) => node.scrollTo({ top: 0 }));
    await expect.poll(() => follow.getAttribute('aria-checked')).toBe('false');
    expect(await atBottom()).toBe(false);
    await follow.click();
    await expect.poll(atBottom).toBe(true);
    expect(await follow.getAttribute('aria-checked')).toBe('true');
  });

  it('keeps cancel and re-run disabled for a viewer', async () => {
    const { page } = ui;
    const runs = (await (await api(`/api/jobs/runs?team=${TEAM}&template=probe`)).json()) as {
      items: JobRun[];
    };
    const failed = runs.items.find((run) => run.state === 'Failed')!;
    await ui.context.clearCookies();
    await signIn(page, 'vera', 'vera-password-1');
    await page.goto(`/jobs/runs/${failed.id}`);
    await page.getByTestId('target-grid').waitFor();
    expect(await page.getByTestId('run-rerun').isDisabled()).toBe(true);
    expect(await page.getByTestId('run-cancel').isDisabled()).toBe(true);
    await page.goto(`/jobs/teams/${TEAM}/templates/probe`);
    await page.getByText(`Running a template takes the operator role in team ${TEAM}.`).waitFor();
    expect(await page.getByTestId('run-submit').isDisabled()).toBe(true);
    expect(ui.pageErrors).toEqual([]);
  });
});
