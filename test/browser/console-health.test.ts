import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExceptionRecord, ExceptionTimeline, NodeSummary } from '@gantry/model';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createLatencyBaseline, startJumpingSeries } from './baseline-fixture.ts';
import { ensureConsoleBuilt, openBrowser, screenshot, signIn, type ConsoleBrowser } from './support.ts';

/**
 * The health center against a real server: exceptions opened through the API, acted on from the
 * exception page (acknowledge, comment, assign, merge) with the timeline showing each with who and why and
 * the events before opening; a failure raised to P4 by the failure controller on a shifted clock, its
 * review edited from the failures tab; an inventory Inspection run from the page, its risks, results and
 * run-to-run diff; a Baseline's risk (a stand-in for Prometheus's range API whose series jumps) drawn
 * with its band; a viewer's disabled actions.
 */

const MIN = 60_000;
const CERT = readFileSync(join(import.meta.dirname, '../fixtures/inspections/client-cert.pem'));
const KUBECONFIG = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{name: c1, cluster: {server: "https://127.0.0.1:1"}}]',
  'contexts: [{name: c1, context: {cluster: c1, user: u}}]',
  'current-context: c1',
  'users:',
  '- name: u',
  '  user:',
  `    client-certificate-data: ${CERT.toString('base64')}`,
  '    client-key-data: eA==',
].join('\n');

const node = (ready: boolean): NodeSummary => ({
  ready,
  unschedulable: false,
  conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  labels: {},
  taints: [],
  capacity: { memory: '8Gi' },
  allocatable: { memory: '7Gi' },
});

describe('console: health center', () => {
  let server: TestServer;
  let ui: ConsoleBrowser;
  let admin: ReturnType<typeof client>;
  let offset = 0;
  let rack: ExceptionRecord;
  let web: ExceptionRecord;
  let prometheus: Awaited<ReturnType<typeof startJumpingSeries>>;

  async function nodes(ready: Record<string, boolean>) {
    await server.server.store.inventory.apply(
      Object.entries(ready).map(([name, isReady]) => ({
        op: 'upsert' as const,
        item: {
          cluster: 'ops/c1',
          kind: 'Node',
          namespace: '',
          name,
          uid: `uid-${name}`,
          data: node(isReady),
        },
      })),
      new Date().toISOString(),
    );
  }

  async function open(title: string, severity: string, entities: unknown[]): Promise<ExceptionRecord> {
    const reply = await admin.post('/api/teams/ops/exceptions', { title, severity, entities });
    expect(reply.status).toBe(201);
    return reply.body as ExceptionRecord;
  }

  beforeAll(async () => {
    ensureConsoleBuilt();
    prometheus = await startJumpingSeries();
    server = await startTestServer({
      now: () => Date.now() + offset,
      config: { failureCheckSeconds: 1 },
    });
    admin = client(server.url, server.adminToken);
    expect((await admin.post('/api/users', { username: 'vera', password: 'vera-password-1' })).status).toBe(
      201,
    );
    expect((await admin.post(`${BASE}/teams`, team('ops', [{ user: 'vera', role: 'viewer' }]))).status).toBe(
      201,
    );
    expect(
      (await admin.put('/api/teams/ops/secrets/c1-kubeconfig', { data: { kubeconfig: KUBECONFIG } })).status,
    ).toBeLessThan(300);
    expect(
      (
        await admin.post(`${BASE}/teams/ops/clusters`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Cluster',
          metadata: { name: 'c1' },
          spec: { kubeconfigSecret: { name: 'c1-kubeconfig' }, paused: true },
        })
      ).status,
    ).toBe(201);
    await nodes({ n1: true, n2: false, n3: true });
    expect(
      (
        await admin.post(`${BASE}/teams/ops/inspections`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Inspection',
          metadata: { name: 'nodes-down' },
          spec: {
            schedule: { cron: '0 3 * * *' },
            suspend: true,
            checks: [
              {
                name: 'not-ready',
                inventory: { over: 'nodes', condition: '!node.ready' },
                score: 70,
                title: '${node.name} is not ready',
              },
            ],
          },
        })
      ).status,
    ).toBe(201);
    await createLatencyBaseline(admin, 'ops', prometheus.url);
    // An event on the rack's node five minutes before its exception opens: context on the timeline.
    await server.server.store.events.fold([
      {
        team: 'ops',
        cluster: 'ops/c1',
        namespace: '',
        objectKind: 'Node',
        objectName: 'n2',
        type: 'Normal',
        reason: 'NodeCordoned',
        message: 'cordoned for the PDU swap',
        actor: 'admin',
        count: 1,
        firstSeen: new Date(Date.now() - 5 * MIN).toISOString(),
        lastSeen: new Date(Date.now() - 5 * MIN).toISOString(),
      },
    ]);
    rack = await open('rack r1 down', 'major', [{ kind: 'Node', name: 'n2', cluster: 'c1' }]);
    web = await open('web answers slowly', 'minor', [{ kind: 'Application', name: 'web' }]);

    ui = await openBrowser(server.url);
    await signIn(ui.page, 'admin', server.adminPassword);
  }, 240_000);

  afterAll(async () => {
    await ui?.close();
    await server?.close();
    await prometheus?.close();
  });

  it('lists the exceptions with their filters and acts on one from its page', async () => {
    const { page } = ui;
    await page.goto('/health?team=ops');
    await page.getByTestId(`exception-row-${rack.id}`).waitFor();
    await page.getByTestId(`exception-row-${web.id}`).waitFor();
    // The entity filter leaves the rack's exception alone.
    await page.getByPlaceholder('Kind/name, e.g. Node/w-3').fill('Node/n2');
    await page.getByTestId('exception-filters').getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.getByTestId(`exception-row-${web.id}`).count()).toBe(0);
    await page.getByTestId(`exception-row-${rack.id}`).getByTestId('exception-link').click();

    await page.getByTestId('exception-header').waitFor();
    expect(await page.getByTestId('exception-state').first().innerText()).toBe('open');
    // The event on the node before opening is shown apart, as such.
    const before = page.getByTestId('timeline-before-opening');
    await before.getByText('cordoned for the PDU swap').waitFor();
    expect(await before.innerText()).toContain('Before opening');

    await page.getByTestId('exception-action-acknowledge').click();
    await page.getByTestId('exception-reason').fill('looking at the PDU');
    await page.getByTestId('exception-action-submit').click();
    await page.getByTestId('exception-state').filter({ hasText: 'acknowledged' }).first().waitFor();
    const after = page.getByTestId('timeline-after-opening');
    const ack = after.getByTestId('timeline-state-changed');
    await ack.getByText('why: looking at the PDU').waitFor();
    expect(await ack.innerText()).toContain('open → acknowledged');
    expect(await ack.innerText()).toContain('admin');
    expect(await page.getByTestId('exception-action-acknowledge').isDisabled()).toBe(true);

    await page.getByTestId('exception-action-comment').click();
    await page.getByTestId('exception-comment').fill('swapping the PDU now');
    await page.getByTestId('exception-action-submit').click();
    await after.getByTestId('timeline-comment').getByText('swapping the PDU now').waitFor();

    await page.getByTestId('exception-action-assign').click();
    await page.getByTestId('exception-assignee').fill('vera');
    await page.getByTestId('exception-action-submit').click();
    await page.getByTestId('exception-assignee-value').filter({ hasText: 'vera' }).waitFor();
    await after.getByTestId('timeline-assigned').waitFor();

    await page.getByTestId('exception-action-merge').click();
    await page.getByTestId('exception-merge-from').click();
    await page
      .locator('.ant-select-dropdown')
      .getByText(/web answers slowly/)
      .click();
    await page.getByTestId('exception-reason').fill('same outage');
    await page.getByTestId('exception-action-submit').click();
    await after.getByTestId('timeline-merged').first().waitFor();
    const merged = (await admin.get(`/api/teams/ops/exceptions/${web.id}`)).body as ExceptionRecord;
    expect(merged).toMatchObject({ state: 'merged', mergedInto: rack.id });
    await screenshot(page, 'health-exception');

    // What the page showed is what the server keeps.
    const timeline = (await admin.get(`/api/teams/ops/exceptions/${rack.id}/timeline`))
      .body as ExceptionTimeline;
    expect(timeline.entries.map((entry) => entry.type)).toEqual(
      expect.arrayContaining(['event', 'opened', 'state-changed', 'comment', 'assigned', 'merged']),
    );
    expect(ui.pageErrors).toEqual([]);
  });

  it('lists a failure by level and edits its review', async () => {
    const { page } = ui;
    // Eleven minutes later on the server's clock: the failure controller raises the rack to P4.
    offset += 11 * MIN;
    await expect
      .poll(
        async () => ((await admin.get(`/api/teams/ops/exceptions/${rack.id}`)).body as ExceptionRecord).level,
        {
          timeout: 15_000,
        },
      )
      .toBe('P4');
    await page.goto('/health?team=ops&tab=failures');
    const row = page.getByTestId(`exception-row-${rack.id}`);
    await row.getByTestId('exception-level').filter({ hasText: 'P4' }).waitFor();
    await row.locator('.ant-table-row-expand-icon').click();
    await page.getByTestId('review-edit').click();
    await page.getByTestId('review-impact').fill('rack r1 offline for 12 minutes');
    await page.getByTestId('review-root-cause').fill('a failed PDU');
    await page.getByTestId('review-follow-ups').fill('add a PDU alarm @vera\n[x] swap the PDU');
    await page.getByTestId('review-save').click();
    await page
      .getByTestId('review-impact-text')
      .filter({ hasText: 'rack r1 offline for 12 minutes' })
      .waitFor();
    const stored = (await admin.get(`/api/teams/ops/exceptions/${rack.id}`)).body as ExceptionRecord;
    expect(stored).toMatchObject({
      impact: 'rack r1 offline for 12 minutes',
      rootCause: 'a failed PDU',
      followUps: [
        { title: 'add a PDU alarm', owner: 'vera', done: false },
        { title: 'swap the PDU', done: true },
      ],
    });
    expect(ui.pageErrors).toEqual([]);
  });

  it('counts the failure in the statistics, by class', async () => {
    const { page } = ui;
    await page.goto('/health?team=ops&tab=statistics&by=class&days=7');
    const row = page.getByTestId('stats-row').filter({ hasText: 'P4' });
    await row.waitFor();
    // One failure: the merged exception is counted under the one it was merged into.
    expect((await row.locator('td').nth(1).innerText()).trim()).toBe('1');
    await page.getByTestId('stats-chart').locator('canvas').waitFor();
    await screenshot(page, 'health-statistics');
    expect(ui.pageErrors).toEqual([]);
  });

  it('runs an inventory Inspection from the page: its risks, results and the diff of two runs', async () => {
    const { page } = ui;
    await page.goto('/health?team=ops&tab=inspections');
    await page.getByTestId('inspection-link').filter({ hasText: 'nodes-down' }).click();
    await page.getByTestId('inspection-run-now').click();
    const results = page.getByTestId('inspection-run-results');
    await results.getByRole('cell', { name: 'not-ready', exact: true }).waitFor();
    await results
      .locator('.ant-tag')
      .filter({ hasText: /^risks$/ })
      .waitFor();
    // The first run has nothing to compare with.
    await page.getByTestId('inspection-diff-summary').filter({ hasText: 'no earlier run' }).waitFor();

    await page.goto('/health?team=ops&tab=risks');
    await page.getByTestId('risk-row').filter({ hasText: 'n2 is not ready' }).waitFor();
    expect(await page.getByTestId('risk-row').filter({ hasText: 'Inspection nodes-down' }).count()).toBe(1);

    // n2 comes back, n3 goes down: the second run's diff says so.
    await nodes({ n2: true, n3: false });
    await page.goto('/health/teams/ops/inspections/nodes-down');
    await page.getByTestId('inspection-run-now').click();
    await page.getByTestId('inspection-diff-summary').filter({ hasText: '1 new, 1 gone' }).waitFor();
    const diff = page.getByTestId('inspection-diff');
    expect(await diff.getByTestId('diff-new').innerText()).toContain('n3 is not ready');
    expect(await diff.getByTestId('diff-gone').innerText()).toContain('n2 is not ready');
    expect(await page.locator('tr[data-testid^="inspection-run-"]').count()).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'health-inspection');
    expect(ui.pageErrors).toEqual([]);
  });

  it("shows a node's active exceptions and open risks on the node's page, linked to the health center", async () => {
    const { page } = ui;
    await page.goto('/fleet/clusters/ops/c1/nodes/n2');
    const n2 = page.getByTestId('entity-health');
    await n2.getByText('rack r1 down').waitFor();
    expect(await n2.innerText()).not.toContain('is not ready');
    await page.goto('/fleet/clusters/ops/c1/nodes/n3');
    const n3 = page.getByTestId('entity-health');
    await n3.getByText('n3 is not ready').waitFor();
    expect(await n3.innerText()).not.toContain('rack r1 down');
    // The inspection's risk names the node's cluster too; the rack's exception names only the node.
    await page.goto('/fleet/clusters/ops/c1');
    const c1 = page.getByTestId('entity-health');
    await c1.getByText('n3 is not ready').waitFor();
    expect(await c1.innerText()).not.toContain('rack r1 down');
    await page.goto('/fleet/clusters/ops/c1/nodes/n2');
    await page.getByTestId('entity-health').getByText('rack r1 down').click();
    await page.getByTestId('exception-header').waitFor();
    expect(new URL(page.url()).pathname).toContain(`/exceptions/${rack.id}`);
    expect(ui.pageErrors).toEqual([]);
  });

  it("draws a Baseline's risk with its series and band", async () => {
    const { page } = ui;
    await page.goto('/health?team=ops&tab=risks');
    // The server's evaluator checks the Baseline every minute from its start: the jump is a risk.
    const row = page.getByTestId('risk-row').filter({ hasText: 'Baseline latency' });
    await row.waitFor({ timeout: 30_000 });
    await row.locator('.ant-table-row-expand-icon').click();
    await page.getByTestId('baseline-chart').locator('canvas').waitFor();
    await page.getByText('deviating now').waitFor();
    await screenshot(page, 'health-baseline');
    expect(ui.pageErrors).toEqual([]);
  });

  it("keeps a viewer's actions disabled", async () => {
    const { page } = ui;
    await ui.context.clearCookies();
    await signIn(page, 'vera', 'vera-password-1');
    await page.goto(`/health/teams/ops/exceptions/${rack.id}`);
    await page.getByTestId('exception-header').waitFor();
    for (const action of ['acknowledge', 'assign', 'comment', 'mitigate', 'resolve', 'reopen', 'merge'])
      expect(await page.getByTestId(`exception-action-${action}`).isDisabled(), action).toBe(true);
    expect(await page.getByTestId('review-edit').isDisabled()).toBe(true);
    await page.goto('/health/teams/ops/inspections/nodes-down');
    await page.getByTestId('inspection-run-results').waitFor();
    expect(await page.getByTestId('inspection-run-now').isDisabled()).toBe(true);
    expect(ui.pageErrors).toEqual([]);
  });
});
