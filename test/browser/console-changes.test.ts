import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeStatus, ChangeWindowCalendar, JoinTokenCreated } from '@gantry/model';
import { resolveConfig, startServer, type RunningServer } from '../../apps/server/src/index.ts';
import { GANTRY_BIN } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';
import {
  ensureConsoleBuilt,
  openBrowser,
  screenshot,
  signIn,
  submitReason,
  type ConsoleBrowser,
} from './support.ts';

const base = '/apis/gantry.dev/v1alpha1';
const TEAM = 'ops';
const HOSTS = ['web-1', 'web-2'];

const resource = (kind: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'gantry.dev/v1alpha1',
  kind,
  metadata: { name, team: TEAM },
  spec,
});

/**
 * The change pages against a real server and two real `gantry agent` processes: a jobRun change over the
 * hosts (1 host observed for 45 s, then the other), paused, resumed and watched to its end from the
 * change's page; a change waiting for its window in the list and its filters; stop-the-line with a
 * required reason; the windows as a week calendar; and a host's change timeline.
 */
describe('console changes: the list, a change as batches, actions, stop-the-line, the calendar, timelines', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-console-changes-'));
  const dirs: string[] = [dataDir];
  const agents: ChildProcess[] = [];
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
  const status = async (name: string) =>
    ((await (await api(`${base}/teams/${TEAM}/changes/${name}`)).json()) as { status?: ChangeStatus }).status;

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
          changePollMs: 200,
        },
      ),
    );
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
    });
    adminToken = ((await login.json()) as { token: string }).token;
    await post(`${base}/teams`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: TEAM },
      spec: { members: [] },
    });
    await post(
      `${base}/teams/${TEAM}/jobtemplates`,
      resource('JobTemplate', 'patch', {
        script: { interpreter: 'sh', source: 'echo "patched $GANTRY_TARGET"' },
      }),
    );
    // Weeknights in Berlin, frozen on Wednesdays; and a window that opens only on New Year's night.
    await post(
      `${base}/teams/${TEAM}/changewindows`,
      resource('ChangeWindow', 'nights', {
        timeZone: 'Europe/Berlin',
        allow: [{ cron: '0 22 * * 1-5', duration: '8h' }],
        freeze: [{ cron: '0 0 * * 3', duration: '24h', reason: 'release day' }],
      }),
    );
    await post(
      `${base}/teams/${TEAM}/changewindows`,
      resource('ChangeWindow', 'new-year', { allow: [{ cron: '0 3 1 1 *', duration: '1h' }] }),
    );
    const joined = await post<JoinTokenCreated>(`/api/teams/${TEAM}/join-tokens`, {
      uses: HOSTS.length,
      description: 'test agents',
    });
    for (const name of HOSTS) {
      const dir = mkdtempSync(join(tmpdir(), `gantry-console-changes-agent-${name}-`));
      dirs.push(dir);
      agents.push(
        spawn(
          process.execPath,
          [
            GANTRY_BIN,
            'agent',
            ...['--server', server.url, '--join-token', joined.token, '--work-dir', dir, '--name', name],
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    await eventually(
      async () =>
        (
          (await (await api(`/api/teams/${TEAM}/hosts`)).json()) as {
            items: { name: string; connected?: boolean }[];
          }
        ).items,
      (items) => items.filter((host) => host.connected).length === HOSTS.length,
      60_000,
      250,
    );
    ui = await openBrowser(server.url);
    await signIn(ui.page, 'admin', TEST_ADMIN_PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await ui?.close();
    for (const child of agents)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('lists changes with phase, action, progress and window state, and filters them', async () => {
    await post(
      `${base}/teams/${TEAM}/changes`,
      resource('Change', 'patch-web', {
        description: 'Patch the web hosts',
        jobRun: { template: 'patch' },
        targets: { names: HOSTS },
        plan: {
          batches: [
            { size: '1', bake: '45s' },
            { size: '1', bake: '0s' },
          ],
        },
      }),
    );
    await post(
      `${base}/teams/${TEAM}/changes`,
      resource('Change', 'at-new-year', {
        jobRun: { template: 'patch' },
        targets: { names: ['web-1'] },
        plan: { batches: [{ size: '1', bake: '0s' }] },
        windows: ['new-year'],
      }),
    );
    const { page } = ui;
    await page.getByTestId('nav-changes').click();
    await page.waitForURL((url) => url.pathname === '/changes');
    const table = page.getByTestId('changes');
    const waiting = table.locator(`tr[data-row-key="${TEAM}/at-new-year"]`);
    await waiting.getByTestId('change-phase').filter({ hasText: 'Waiting' }).waitFor({ timeout: 20_000 });
    await waiting
      .getByTestId('change-window')
      .filter({ hasText: /waits until \d{4}-01-01T03:00:00/ })
      .waitFor();
    const patching = table.locator(`tr[data-row-key="${TEAM}/patch-web"]`);
    await patching.getByTestId('change-phase').filter({ hasText: 'Observing' }).waitFor({ timeout: 20_000 });
    expect(await patching.innerText()).toContain('job patch on hosts');
    expect(await patching.getByTestId('change-progress').innerText()).toContain('50%');

    // The phase filter keeps the waiting change only.
    await page.getByTestId('filter-phase').click();
    await page.locator('.ant-select-item-option', { hasText: 'Waiting' }).click();
    await page.waitForURL(/phase=Waiting/);
    await expect.poll(() => table.locator('tbody tr[data-row-key]').count()).toBe(1);
    await waiting.waitFor();
    await screenshot(page, 'changes-list');
  });

  it(
    'shows a change as batches with its bake, and pauses and resumes it with a reason',
    { timeout: 120_000 },
    async () => {
      const { page } = ui;
      await page.goto(`/changes/teams/${TEAM}/patch-web`);
      const first = page.locator('[data-testid="change-batch"][data-batch="0"]');
      await first.and(page.locator('[data-phase="Observing"]')).waitFor({ timeout: 20_000 });
      const applied = (await status('patch-web'))!.batches![0]!.entities[0]!;
      await first
        .locator(`[data-testid="batch-entity"][data-entity="${applied}"][data-state="Succeeded"]`)
        .waitFor();
      expect(await first.getByTestId('batch-bake').innerText()).toMatch(/observed until .*left/);
      await page.locator('[data-testid="change-batch"][data-batch="1"][data-phase="Pending"]').waitFor();
      await screenshot(page, 'change-observing');

      // Pause: the reason is required before anything is sent.
      await page.getByTestId('change-pause').click();
      await submitReason(page);
      await submitReason(page, 'checking the error rate first');
      await page.getByTestId('change-phase').filter({ hasText: 'Paused' }).waitFor({ timeout: 20_000 });
      const requests = page.getByTestId('change-requests');
      await requests.getByText('checking the error rate first').waitFor();
      expect(await requests.innerText()).toContain('admin');
      expect((await status('patch-web'))!.paused).toMatchObject({
        actor: 'admin',
        reason: 'checking the error rate first',
      });

      await page.getByTestId('change-resume').click();
      await submitReason(page, 'error rate is fine');
      await requests.getByText('error rate is fine').waitFor({ timeout: 20_000 });
      // After its 45 s bake the second batch runs on the other host and the change succeeds.
      await page.getByTestId('change-phase').filter({ hasText: 'Succeeded' }).waitFor({ timeout: 60_000 });
      await page.locator('[data-testid="change-batch"][data-batch="1"][data-phase="Completed"]').waitFor();
      expect(await page.getByTestId('change-progress-text').innerText()).toBe('2 of 2 entities');
      await expect.poll(() => page.getByTestId('change-pause').count()).toBe(0);
      await screenshot(page, 'change-succeeded');
    },
  );

  it('aborts a waiting change with a reason', async () => {
    const { page } = ui;
    await page.goto(`/changes/teams/${TEAM}/at-new-year`);
    await page.getByTestId('change-waiting-until').waitFor();
    await page.getByTestId('change-abort').click();
    await submitReason(page, 'not needed after all');
    await page.getByTestId('change-phase').filter({ hasText: 'Aborted' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('change-requests').getByText('not needed after all').waitFor();
  });

  it('stops and releases the line of a team, each with a reason', async () => {
    const { page } = ui;
    await page.goto(`/changes?team=${TEAM}`);
    const card = page.getByTestId('line-card');
    await card.getByTestId('line-running').waitFor();
    await card.getByTestId('line-stop').click();
    await submitReason(page);
    await submitReason(page, 'incident 42 under way');
    await card
      .getByTestId('line-stopped')
      .filter({ hasText: 'by admin' })
      .filter({ hasText: 'incident 42 under way' })
      .waitFor();
    const stops = (await (await api(`/api/teams/${TEAM}/stop-the-line`)).json()) as {
      items: { releasedAt?: string }[];
    };
    expect(stops.items.filter((stop) => !stop.releasedAt)).toHaveLength(1);

    await card.getByTestId('line-release').click();
    await submitReason(page, 'incident 42 resolved');
    await card.getByTestId('line-running').waitFor();
    await card.getByText('incident 42 resolved').waitFor();
  });

  it('shows the windows as a week calendar computed by the engine’s window code', async () => {
    // The route first: the week of Monday 2026-03-02 (Berlin on CET, UTC+1).
    const response = await api(
      `/api/teams/${TEAM}/changewindows/nights/occurrences?from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z`,
    );
    expect(response.status).toBe(200);
    const nights = (await response.json()) as ChangeWindowCalendar;
    expect(nights.occurrences.filter((o) => o.type === 'allow')).toHaveLength(5);
    expect(nights.open[1]).toEqual({ start: '2026-03-03T21:00:00.000Z', end: '2026-03-03T23:00:00.000Z' });
    const bad = await api(
      `/api/teams/${TEAM}/changewindows/nights/occurrences?from=2026-03-02T00:00:00Z&to=2026-01-01T00:00:00Z`,
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('GANTRY_E_INVALID');
    expect((await api(`/api/teams/${TEAM}/changewindows/nope/occurrences`)).status).toBe(404);

    const { page } = ui;
    await page.goto(`/changes?team=${TEAM}`);
    await page.getByTestId('open-calendar').click();
    await page.waitForURL(/\/changes\/calendar\?team=ops/);
    await page.goto(`/changes/calendar?team=${TEAM}&week=2026-03-02&window=nights`);
    const day = (date: string) => page.locator(`[data-testid="calendar-day"][data-date="${date}"]`);
    const blocks = (date: string, kind: string) =>
      day(date).locator(`[data-testid="calendar-block"][data-kind="${kind}"]`);
    await blocks('2026-03-02', 'allow').first().waitFor();
    // Monday: 21:00 UTC onwards; Tuesday: until 05:00, then from 21:00; Wednesday's freeze from 23:00 Tuesday.
    expect(await blocks('2026-03-02', 'allow').count()).toBe(1);
    expect(await blocks('2026-03-03', 'allow').count()).toBe(2);
    expect(await blocks('2026-03-04', 'freeze').getAttribute('data-start')).toBe('2026-03-03T23:00:00.000Z');
    expect(await blocks('2026-03-08', 'allow').count()).toBe(0);
    // May act: Tuesday night only until the freeze starts.
    expect(await blocks('2026-03-03', 'open').last().getAttribute('data-end')).toBe(
      '2026-03-03T23:00:00.000Z',
    );
    expect(await blocks('2026-03-03', 'freeze').count()).toBe(1);
    await screenshot(page, 'changes-calendar');

    // In the windows' own zone the Wednesday freeze is Wednesday's alone, from midnight.
    await page.getByTestId('calendar-zone').click();
    await page.locator('.ant-select-item-option', { hasText: 'Europe/Berlin' }).click();
    await page.waitForURL(/zone=Europe%2FBerlin/);
    // The week is fetched again for the new zone (no block is drawn while it loads): wait for its answer.
    await page
      .locator('[data-testid="calendar-grid"][data-zone="Europe/Berlin"][data-loaded="true"]')
      .waitFor();
    expect(await blocks('2026-03-03', 'freeze').count()).toBe(0);
    expect(await blocks('2026-03-04', 'freeze').count()).toBe(1);
    expect(await blocks('2026-03-02', 'allow').count()).toBe(1);
    await page.goto(`/changes/calendar?team=${TEAM}&week=2026-03-02&window=nights`);
    await blocks('2026-03-03', 'freeze').first().waitFor();
    await page.getByTestId('calendar-next').click();
    await page.getByTestId('calendar-week').filter({ hasText: '2026-03-09' }).waitFor();
    await blocks('2026-03-09', 'allow').first().waitFor();
  });

  it('shows a host’s change timeline: the change that touched it and the events about it', async () => {
    const { page } = ui;
    await page.goto(`/hosts/teams/${TEAM}/web-2`);
    const timeline = page.getByTestId('change-timeline-entity');
    await timeline
      .locator('[data-testid="timeline-change"][data-change="patch-web"]')
      .waitFor({ timeout: 20_000 });
    // The timeline refetches the team's changes every 5 s: the list it first read may predate the end.
    await expect
      .poll(() => timeline.locator('[data-testid="timeline-change"][data-change="patch-web"]').innerText(), {
        timeout: 20_000,
      })
      .toContain('Succeeded');
    await timeline
      .locator('[data-testid="timeline-event"][data-reason="EntityChanged"]')
      .first()
      .waitFor({ timeout: 20_000 });
    await timeline.getByRole('link', { name: 'patch-web' }).click();
    await page.waitForURL(`**/changes/teams/${TEAM}/patch-web`);
    await screenshot(page, 'host-change-timeline');
  });
});
