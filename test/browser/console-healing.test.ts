import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healingApprovalLink } from '@gantry/healing';
import { nodePolicyInput, nodeTreeInput } from '@gantry/healing/testing';
import { eventually } from '../support/eventually.ts';
import { seedHealingRun } from '../support/healing-runs.ts';
import { BASE, client } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  ensureConsoleBuilt,
  openBrowser,
  screenshot,
  signIn,
  submitReason,
  type ConsoleBrowser,
} from './support.ts';

const TEAM = 'bigdata';

const object = (kind: string, name: string, spec: unknown) => ({
  apiVersion: 'gantry.dev/v1alpha1',
  kind,
  metadata: { name },
  spec,
});

/**
 * The Healing section against a real server: runs stored as the controller stores them, the run page
 * drawing the team's DiagnosisTree with the path taken highlighted and the values seen, a dry run of the
 * run's (suspended) policy on its live exception, the approvals inbox approving with a reason, the
 * policies with the shadow scorecard, and the statistics.
 */
describe('console healing: runs, the tree and its path, approvals, policies and scorecard, statistics', () => {
  let gantry: TestServer;
  let ui: ConsoleBrowser;
  const t0 = Date.now();
  let exceptionId = '';

  beforeAll(async () => {
    ensureConsoleBuilt();
    gantry = await startTestServer();
    const root = client(gantry.url, gantry.adminToken);
    expect((await root.post(`${BASE}/teams`, object('Team', TEAM, { members: [] }))).status).toBe(201);
    expect(
      (
        await root.post(
          `${BASE}/teams/${TEAM}/diagnosistrees`,
          object('DiagnosisTree', 'node-down', nodeTreeInput()),
        )
      ).status,
    ).toBe(201);
    // Suspended: the server's controller leaves the exception alone; a dry run tries it all the same.
    expect(
      (
        await root.post(
          `${BASE}/teams/${TEAM}/healingpolicies`,
          object(
            'HealingPolicy',
            'node-down',
            nodePolicyInput({ suspend: true, diagnosis: { tree: 'node-down' } }),
          ),
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await root.post(
          `${BASE}/teams/${TEAM}/healingpolicies`,
          object(
            'HealingPolicy',
            'disk-watch',
            nodePolicyInput({ guardrails: { mode: 'Shadow' }, suspend: true }),
          ),
        )
      ).status,
    ).toBe(201);
    const exception = await root.post(`/api/teams/${TEAM}/exceptions`, {
      title: 'NodeNotReady on n1',
      severity: 'major',
      entities: [{ kind: 'Node', name: 'n1', cluster: 'east' }],
    });
    expect(exception.status).toBe(201);
    exceptionId = exception.body.id as string;
    const runs = gantry.server.store.healing;
    await seedHealingRun(runs, TEAM, t0, 'healed', {
      policy: 'node-down',
      node: 'n1',
      phase: 'Healed',
      createdMinAgo: 30,
      triggerSinceMinAgo: 32,
      endedMinAgo: 20,
      rootCause: 'HostDown',
      triggerId: exception.body.id as string,
      actions: [{ action: 'cordon-drain', state: 'succeeded' }],
    });
    await seedHealingRun(runs, TEAM, t0, 'escalated', {
      policy: 'node-down',
      node: 'n3',
      phase: 'Escalated',
      reason: 'DomainUnhealthy',
      createdMinAgo: 25,
      endedMinAgo: 25,
    });
    await seedHealingRun(runs, TEAM, t0, 'waiting', {
      policy: 'node-down',
      node: 'n2',
      phase: 'AwaitingApproval',
      reason: 'ApprovalRequested',
      createdMinAgo: 3,
      rootCause: 'HostDown',
      approval: { action: 'cordon-drain', expiresInMin: 60 },
    });
    await seedHealingRun(runs, TEAM, t0, 'shadow', {
      policy: 'disk-watch',
      mode: 'Shadow',
      node: 'n4',
      phase: 'Shadowed',
      reason: 'WouldAct',
      createdMinAgo: 10,
      endedMinAgo: 10,
      rootCause: 'HostDown',
    });
    ui = await openBrowser(gantry.url);
    await signIn(ui.page, gantry.adminUsername, gantry.adminPassword);
  });
  afterAll(async () => {
    await ui?.close();
    await gantry?.close();
  });

  it('lists the runs and shows one with its tree, the path taken highlighted, and the values seen', async () => {
    const { page } = ui;
    await page.getByTestId('nav-healing').click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/healing');
    const table = page.getByTestId('healing-runs');
    await table.getByText('Node/east/n2').waitFor();
    expect(await table.locator('tbody tr').count()).toBe(4);
    await table.locator('tbody tr', { hasText: 'Node/east/n1' }).getByRole('link').click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/healing/teams/${TEAM}/runs/run-healed`);
    await page.getByTestId('diagnosis-graph').waitFor();
    const taken = async (testId: string) => page.getByTestId(testId).getAttribute('data-taken');
    expect(await taken('tree-node-a')).toBe('true');
    expect(await taken('tree-node-b')).toBe('true');
    expect(await taken('tree-node-b#otherwise')).toBe('true');
    expect(await taken('tree-node-a#0')).toBe('false');
    expect(await taken('tree-edge-a-b')).toBe('true');
    expect(await taken('tree-edge-a-a#0')).toBe('false');
    await expect.poll(() => page.getByTestId('tree-node-b#otherwise').textContent()).toContain('HostDown');
    expect(await page.getByTestId('healing-root-cause').textContent()).toBe('HostDown → cordon-drain');
    expect(await page.getByTestId('healing-evidence').textContent()).toContain('{"ready":false}');
    expect(await page.getByTestId('healing-path').textContent()).toContain('evidence.node.ready = false');
    expect(await page.getByTestId('healing-actions').textContent()).toContain('cordon-drain');

    // The run's policy walked again on its live exception: matched, the same path, it would act.
    await page.getByTestId('healing-dry-run').click();
    await page.getByTestId('healing-dry-run-result').waitFor();
    const result = await page.getByTestId('healing-dry-run-result').textContent();
    expect(result).toContain('act: HostDown: would run cordon-drain');
    expect(result).toContain('a:otherwise → b:otherwise');
    await screenshot(page, 'console-healing-run');
  });

  it('approves from the inbox with a reason, recorded with who', async () => {
    const { page } = ui;
    await page.goto(`/healing?team=${TEAM}&tab=approvals`);
    const inbox = page.getByTestId('healing-approvals');
    await inbox.getByText('Node/east/n2').waitFor();
    expect(await inbox.locator('tbody tr').count()).toBe(1);
    await page.getByTestId('approve-run-waiting').click();
    await submitReason(page);
    await submitReason(page, 'host is gone, drain it');
    const root = client(gantry.url, gantry.adminToken);
    const approval = await eventually(
      async () => (await root.get(`/api/teams/${TEAM}/healing/runs/run-waiting`)).body.approvals.at(-1),
      (value: { decision?: string }) => value.decision !== undefined,
    );
    expect(approval).toMatchObject({
      decision: 'approved',
      decidedBy: 'admin',
      reason: 'host is gone, drain it',
    });
  });

  it('shows the policies with the shadow scorecard, and the statistics', async () => {
    const { page } = ui;
    await page.goto(`/healing?team=${TEAM}&tab=policies`);
    const policies = page.getByTestId('healing-policies');
    const shadow = policies.locator('tbody tr', { hasText: 'disk-watch' });
    await shadow.waitFor();
    expect(await shadow.textContent()).toContain('cordon-drain × 1');
    expect(await policies.locator('tbody tr', { hasText: 'node-down' }).textContent()).toContain('Suspended');
    // "Try it on this exception": the suspended policy walked on the live exception, its path drawn.
    await page.getByTestId('dry-run-node-down').click();
    await page.getByTestId('dry-run-id').fill(exceptionId);
    await page.getByTestId('dry-run-submit').click();
    const result = page.getByTestId('dry-run-result');
    await result.waitFor();
    expect(await result.getByTestId('dry-run-message').textContent()).toBe(
      'HostDown: would run cordon-drain',
    );
    expect(await result.getByTestId('tree-node-b#otherwise').getAttribute('data-taken')).toBe('true');
    expect(await result.getByTestId('tree-node-a#0').getAttribute('data-taken')).toBe('false');
    await page.keyboard.press('Escape');
    await result.waitFor({ state: 'detached' });
    await policies.getByRole('link', { name: 'disk-watch' }).click();
    await expect
      .poll(() => new URL(page.url()).pathname)
      .toBe(`/resources/healingpolicies/${TEAM}/disk-watch`);

    await page.goto(`/healing?team=${TEAM}&tab=stats`);
    const stats = page.getByTestId('healing-stats');
    await stats.waitFor();
    const text = (await stats.textContent()) ?? '';
    expect(text).toContain('Healed without a person');
    // One healed, one escalated (the approved run may have moved on since: it is not counted as ended yet).
    expect(text).toMatch(/Healed without a person(50\.0|33\.3)%/);
    expect(text).toContain('Recovery p50');
    expect(text).toContain('12 min');
    // MTTR with and without healing (ADR 0041): the chart and its numbers.
    const mttr = page.getByTestId('healing-mttr');
    await mttr.waitFor();
    expect(await mttr.textContent()).toContain('Healed automatically');
    expect(await page.getByTestId('healing-mttr-chart').locator('canvas').count()).toBeGreaterThan(0);
    expect(ui.pageErrors).toEqual([]);
  });

  it('opens the link of an approval request’s notification and approves there', async () => {
    const { page } = ui;
    const run = await seedHealingRun(gantry.server.store.healing, TEAM, t0, 'from-link', {
      policy: 'node-not-ready',
      node: 'n5',
      phase: 'AwaitingApproval',
      reason: 'ApprovalRequested',
      createdMinAgo: 2,
      rootCause: 'HostDown',
      approval: { action: 'cordon-drain', expiresInMin: 60 },
    });
    // The link the notification carries (the server's external URL is the test server's own).
    const link = new URL(healingApprovalLink(gantry.url, TEAM, run.id));
    await page.goto(`${link.pathname}${link.search}`);
    const ask = page.getByTestId('approval-from-link');
    await ask.waitFor();
    expect(await ask.textContent()).toContain('cordon-drain on Node/east/n5 waits for your decision');
    await page.getByTestId('link-approve').click();
    await submitReason(page, 'approved from the page');
    const root = client(gantry.url, gantry.adminToken);
    const approval = await eventually(
      async () => (await root.get(`/api/teams/${TEAM}/healing/runs/${run.id}`)).body.approvals.at(-1),
      (value: { decision?: string }) => value.decision !== undefined,
    );
    expect(approval).toMatchObject({
      decision: 'approved',
      decidedBy: 'admin',
      reason: 'approved from the page',
    });
    // Opened again, the link says the request is decided instead of offering it again.
    await page.goto(`${link.pathname}${link.search}`);
    await page.getByTestId('approval-closed').waitFor();
    expect(await page.getByTestId('approval-closed').textContent()).toContain(
      'cordon-drain approved by admin',
    );
    expect(ui.pageErrors).toEqual([]);
  });
});
