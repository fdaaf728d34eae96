import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRun, JoinTokenCreated, JoinTokenList } from '@gantry/model';
import { resolveConfig, startServer, type RunningServer } from '../../apps/server/src/index.ts';
import { GANTRY_BIN } from '../support/cli.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';
import { ensureConsoleBuilt, openBrowser, screenshot, signIn, type ConsoleBrowser } from './support.ts';

const base = '/apis/gantry.dev/v1alpha1';
const TEAM = 'ops';
/** Three real agents: two web servers and a database, joined with one token that adds `site=fra1`. */
const AGENTS = [
  { name: 'web-1', labels: 'role=web' },
  { name: 'web-2', labels: 'role=web' },
  { name: 'db-1', labels: 'role=db' },
];

/**
 * The Hosts pages against a real server and real `gantry agent` processes: the list with status and facts,
 * the label and HostGroup filters, a killed agent going Offline, a host's page with its job runs, and join
 * tokens created and revoked from the page.
 */
describe('console hosts: the host list, filters, offline hosts, a host page and join tokens', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-console-hosts-'));
  const dirs: string[] = [dataDir];
  const agents = new Map<string, ChildProcess>();
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
  const hostRow = (name: string) => ui.page.getByTestId('hosts').locator('tbody tr', { hasText: name });
  const shownHosts = async (): Promise<string[]> =>
    (await ui.page.getByTestId('hosts').locator('tbody tr td:first-child a').allTextContents()).sort();

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
          agentHeartbeatSeconds: 1,
          // Heartbeats reach the database every 5 s: a host is Offline only after more than that.
          hostOfflineAfterSeconds: 8,
        },
      ),
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
    await post(`${base}/teams/${TEAM}/hostgroups`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'HostGroup',
      metadata: { name: 'databases', team: TEAM },
      spec: { selector: 'role=db', description: 'The database servers' },
    });
    await post(`${base}/teams/${TEAM}/jobtemplates`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'JobTemplate',
      metadata: { name: 'hello', team: TEAM },
      spec: { script: { interpreter: 'sh', source: 'echo "hello from $GANTRY_TARGET"' } },
    });
    const joined = await post<JoinTokenCreated>(`/api/teams/${TEAM}/join-tokens`, {
      uses: AGENTS.length,
      labels: { site: 'fra1' },
      description: 'test agents',
    });
    for (const agent of AGENTS) {
      const dir = mkdtempSync(join(tmpdir(), `gantry-console-agent-${agent.name}-`));
      dirs.push(dir);
      const child = spawn(
        process.execPath,
        [
          GANTRY_BIN,
          'agent',
          ...['--server', server.url, '--join-token', joined.token, '--work-dir', dir],
          ...['--name', agent.name, '--labels', agent.labels],
        ],
        { stdio: 'ignore' },
      );
      agents.set(agent.name, child);
    }
    ui = await openBrowser(server.url);
    await signIn(ui.page, 'admin', TEST_ADMIN_PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await ui?.close();
    for (const child of agents.values())
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the joined agents Online with their facts and labels', async () => {
    const { page } = ui;
    await page.goto(`/hosts?team=${TEAM}`);
    await page.getByTestId('page-title').filter({ hasText: 'Hosts' }).waitFor();
    for (const { name } of AGENTS)
      await hostRow(name)
        .getByTestId('host-status')
        .filter({ hasText: 'Online' })
        .waitFor({ timeout: 30_000 });
    expect(await shownHosts()).toEqual(['db-1', 'web-1', 'web-2']);
    const db = hostRow('db-1');
    // The facts the agent reported about this very machine.
    await db.getByTestId('host-os').filter({ hasText: release() }).waitFor();
    expect(await db.locator('td').nth(3).textContent()).toBe(String(cpus().length));
    await db.getByText('role=db').waitFor();
    await db.getByText('site=fra1').waitFor();
    await screenshot(page, 'hosts-list');
  });

  it('filters by label selector and by HostGroup', async () => {
    const { page } = ui;
    const selector = page.getByLabel('Label selector');
    await selector.fill('role=web');
    await selector.press('Enter');
    await page.waitForURL(/labelSelector=role%3Dweb/);
    await expect.poll(shownHosts).toEqual(['web-1', 'web-2']);
    await selector.fill('role=web,site notin (fra1)');
    await selector.press('Enter');
    await page.getByTestId('hosts').getByText('No hosts.').waitFor();
    await page.goto(`/hosts?team=${TEAM}`);
    await hostRow('web-1').waitFor();

    await page.getByTestId('group-filter').click();
    await page.locator('.ant-select-item-option', { hasText: 'databases' }).click();
    await page.waitForURL(/group=databases/);
    await expect.poll(shownHosts).toEqual(['db-1']);
  });

  it('shows a killed agent Offline, and filters by status', async () => {
    const { page } = ui;
    await page.goto(`/hosts?team=${TEAM}`);
    await hostRow('web-2').getByTestId('host-status').filter({ hasText: 'Online' }).waitFor();
    agents.get('web-2')!.kill('SIGKILL');
    await hostRow('web-2')
      .getByTestId('host-status')
      .filter({ hasText: /^Offline for \d+s$/ })
      .waitFor({ timeout: 45_000 });
    await hostRow('web-1').getByTestId('host-status').filter({ hasText: 'Online' }).waitFor();
    await page.getByTestId('status-filter').click();
    await page.locator('.ant-select-item-option', { hasText: 'Offline' }).click();
    await expect.poll(shownHosts).toEqual(['web-2']);
    await screenshot(page, 'hosts-offline');
  }, 60_000);

  it("opens a host's page with its facts, labels and the job runs that targeted it", async () => {
    const { page } = ui;
    const run = await post<JobRun>('/api/jobs/runs', {
      team: TEAM,
      template: 'hello',
      targets: { hosts: ['db-1'] },
    });
    // A run elsewhere, which the page must leave out.
    const other = await post<JobRun>('/api/jobs/runs', {
      team: TEAM,
      template: 'hello',
      targets: { hosts: ['web-1'] },
    });
    await page.goto(`/hosts?team=${TEAM}`);
    await hostRow('db-1').getByRole('link', { name: 'db-1' }).click();
    await page.waitForURL(new RegExp(`/hosts/teams/${TEAM}/db-1$`));
    await page.getByTestId('page-title').filter({ hasText: 'db-1' }).waitFor();
    await page.getByTestId('host-facts').getByText(release()).waitFor();
    await page.getByTestId('host-labels').getByText('role=db').waitFor();
    await page.getByTestId('host-agent').getByText('None in the team’s clusters').waitFor();
    const runs = page.getByTestId('host-runs');
    await runs.getByTestId('host-target-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    expect(await runs.getByTestId('host-run-link').allTextContents()).toEqual([run.id]);
    expect(await runs.getByText(other.id).count()).toBe(0);
    await screenshot(page, 'host-page');
    await runs.getByTestId('host-run-link').click();
    await page.waitForURL(
      (url) => url.pathname === `/jobs/runs/${run.id}` && url.searchParams.get('target') === 'db-1',
    );

    await page.goBack();
    await page.getByRole('link', { name: 'Run a job' }).click();
    await page.waitForURL(new RegExp(`/jobs/templates\\?team=${TEAM}$`));
  }, 60_000);

  it('creates a join token, shows it once with the agent command line, and revokes it', async () => {
    const { page } = ui;
    await page.goto(`/hosts?team=${TEAM}`);
    const card = page.getByTestId('join-tokens-card');
    await card.getByRole('button', { name: 'Create join token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a join token' });
    await dialog.getByLabel('Description').fill('rack 7');
    await dialog.getByLabel('Labels').fill('rack=r7, site=fra2');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const command = page.getByTestId('join-token-command');
    await command.waitFor();
    const text = (await command.textContent()) ?? '';
    expect(text).toMatch(
      new RegExp(`^gantry agent --server ${server.url.replace(/\./g, '\\.')} --join-token \\S+\\.\\S+$`),
    );
    await page.getByRole('button', { name: 'I have copied it' }).click();

    const tokens = (await (await api(`/api/teams/${TEAM}/join-tokens`)).json()) as JoinTokenList;
    const created = tokens.items.find((token) => token.description === 'rack 7');
    expect(created).toMatchObject({ state: 'Active', labels: { rack: 'r7', site: 'fra2' }, maxUses: 1 });
    expect(text).toContain(`--join-token ${created!.id}.`);
    const row = card.locator('tbody tr', { hasText: 'rack 7' });
    await row.getByTestId('join-token-state').filter({ hasText: 'Active' }).waitFor();
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Revoke' }).click();
    await row.getByTestId('join-token-state').filter({ hasText: 'Revoked' }).waitFor();
    const after = (await (await api(`/api/teams/${TEAM}/join-tokens`)).json()) as JoinTokenList;
    expect(after.items.find((token) => token.id === created!.id)?.state).toBe('Revoked');
    expect(ui.pageErrors).toEqual([]);
  });

  it("shows a viewer the team's hosts but not its join tokens", async () => {
    const { page } = ui;
    await ui.context.clearCookies();
    await signIn(page, 'vera', 'vera-password-1');
    await page.goto(`/hosts?team=${TEAM}`);
    await hostRow('db-1').getByTestId('host-status').filter({ hasText: 'Online' }).waitFor();
    // The role comes from GET /api/me, as the user menu does: once it shows vera, the page knows her role.
    await page.getByTestId('current-user').filter({ hasText: 'vera' }).waitFor();
    expect(await page.getByTestId('join-tokens-card').count()).toBe(0);
    expect(ui.pageErrors).toEqual([]);
  });
});
