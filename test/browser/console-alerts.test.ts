import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GettableSilence, WebhookMessage } from '@gantry/model';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { ensureConsoleBuilt, openBrowser, screenshot, signIn, type ConsoleBrowser } from './support.ts';

/**
 * The Alerts page against a real server whose dispatcher runs: a team with a webhook channel and a routing
 * tree, alerts posted through the Alertmanager API, grouped as the dispatcher grouped them, silenced from
 * the page, the routing tree with its channels, and the delivery log of what the receiver got.
 */
describe('console: alerts', () => {
  let server: TestServer;
  let ui: ConsoleBrowser;
  let receiver: Server;
  const received: WebhookMessage[] = [];
  let admin: ReturnType<typeof client>;

  beforeAll(async () => {
    ensureConsoleBuilt();
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(JSON.parse(body) as WebhookMessage);
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    const receiverPort = typeof address === 'object' && address ? address.port : 0;

    server = await startTestServer();
    admin = client(server.url, server.adminToken);
    expect((await admin.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    expect(
      (
        await admin.post(`${BASE}/teams/ops/notificationchannels`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'NotificationChannel',
          metadata: { name: 'oncall', team: 'ops' },
          spec: { type: 'webhook', webhook: { url: `http://127.0.0.1:${receiverPort}/alerts` } },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await admin.post(`${BASE}/teams/ops/alertroutings`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'AlertRouting',
          metadata: { name: 'main', team: 'ops' },
          spec: {
            receivers: ['oncall'],
            groupBy: ['alertname', 'cluster'],
            groupWait: '1s',
            groupInterval: '1s',
            // No alert of the test matches it: it is here to be drawn, with its missing channel.
            routes: [{ matchers: ['severity="critical"'], receivers: ['pager'], continue: true }],
          },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await admin.post(`${BASE}/teams/ops/inhibitrules`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'InhibitRule',
          metadata: { name: 'node-down-mutes-pods', team: 'ops' },
          spec: {
            sourceMatchers: ['alertname="NodeDown"'],
            targetMatchers: ['alertname="PodCrash"'],
            equal: ['node'],
          },
        })
      ).status,
    ).toBe(201);
    const posted = await admin.post('/api/teams/ops/alertmanager/api/v2/alerts', [
      { labels: { alertname: 'PodCrash', cluster: 'prod-1', node: 'worker-3', pod: 'web-1' } },
      { labels: { alertname: 'NodeDown', cluster: 'prod-1', node: 'worker-3', severity: 'page' } },
      { labels: { alertname: 'NodeDown', cluster: 'prod-1', node: 'worker-4', severity: 'page' } },
      {
        labels: { alertname: 'AppDown', cluster: 'prod-1', namespace: 'shop', application: 'shop-web' },
        annotations: { summary: 'shop-web answers 503' },
      },
    ]);
    expect(posted.status).toBe(200);

    ui = await openBrowser(server.url);
    await signIn(ui.page, server.adminUsername, server.adminPassword);
  });

  afterAll(async () => {
    await ui?.close();
    await server?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('shows the alerts grouped as the dispatcher grouped them, with links to what they concern', async () => {
    const { page } = ui;
    await page.getByRole('link', { name: 'Alerts', exact: true }).click();
    await page.waitForURL('**/alerts');
    await page.getByTestId('alerts-team').click();
    await page.locator('.ant-select-item-option[title="ops"]').click();

    const nodeGroup = page.getByTestId('alert-group').filter({ hasText: 'alertname=NodeDown' });
    const appGroup = page.getByTestId('alert-group').filter({ hasText: 'alertname=AppDown' });
    // The page reads the dispatcher's groups every 5 s; the dispatcher takes the alerts as they are stored.
    await nodeGroup.getByText('routing main').waitFor({ timeout: 30_000 });
    await appGroup.getByText('routing main').waitFor({ timeout: 30_000 });
    const podGroup = page.getByTestId('alert-group').filter({ hasText: 'alertname=PodCrash' });
    await podGroup.getByText('routing main').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('alert-group').count()).resolves.toBe(3);
    // Muted by the firing NodeDown on its node, as the dispatcher decides.
    await podGroup.getByTestId('alert-muted').getByText('inhibited by NodeDown').waitFor();
    await expect(nodeGroup.getByTestId('alert-muted').count()).resolves.toBe(0);
    await expect(nodeGroup.getByText('cluster=prod-1').first().isVisible()).resolves.toBe(true);
    await expect(nodeGroup.getByTestId('alert-NodeDown').count()).resolves.toBe(2);

    const nodeLinks = await nodeGroup
      .getByTestId('alert-entity-node')
      .evaluateAll((links) => links.map((link) => link.getAttribute('href')).sort());
    expect(nodeLinks).toEqual([
      '/fleet/clusters/ops/prod-1/nodes/worker-3',
      '/fleet/clusters/ops/prod-1/nodes/worker-4',
    ]);
    await expect(appGroup.getByTestId('alert-entity-application').getAttribute('href')).resolves.toBe(
      '/delivery/teams/ops/applications/shop-web',
    );
    await expect(appGroup.getByText('shop-web answers 503').isVisible()).resolves.toBe(true);
    await screenshot(page, 'alerts-groups');

    // Matchers as amtool writes them go to the server's filter; the groups keep only what passed.
    await page.getByPlaceholder(/^matchers/).fill('node="worker-3"');
    await page.getByRole('button', { name: 'Apply' }).click();
    await appGroup.waitFor({ state: 'detached' });
    await expect(nodeGroup.getByTestId('alert-NodeDown').count()).resolves.toBe(1);
    await page.getByPlaceholder(/^matchers/).fill('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await appGroup.waitFor();
    await expect(nodeGroup.getByTestId('alert-NodeDown').count()).resolves.toBe(2);
  });

  it("shows a group's notification history from the delivery log", async () => {
    const { page } = ui;
    const nodeGroup = page.getByTestId('alert-group').filter({ hasText: 'alertname=NodeDown' });
    await nodeGroup.getByText('Notification history').click();
    // The group's first notification goes after its groupWait (1 s); the table reads the log every 10 s.
    await nodeGroup.getByTestId('notification-state').filter({ hasText: 'delivered' }).first().waitFor({
      timeout: 30_000,
    });
    const message = received.find((m) => m.groupLabels['alertname'] === 'NodeDown');
    expect(message?.alerts).toHaveLength(2);
  });

  it('silences an alert in one click and shows it muted', async () => {
    const { page } = ui;
    const appRow = page.getByTestId('alert-AppDown');
    await appRow.getByTestId('alert-silence').click();
    const form = page.getByTestId('silence-form');
    await form.waitFor();
    // Prefilled from the alert's labels, alertname first.
    await expect(form.locator('input[id="matchers_0_name"]').inputValue()).resolves.toBe('alertname');
    await expect(form.locator('input[id="matchers_0_value"]').inputValue()).resolves.toBe('AppDown');
    await page.getByTestId('silence-comment').fill('shop-web is being redeployed');
    await page.getByTestId('silence-submit').click();
    await form.waitFor({ state: 'detached' });

    await appRow
      .getByTestId('alert-muted')
      .getByText(/^silenced until/)
      .waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('alert-NodeDown').getByTestId('alert-muted').count()).resolves.toBe(0);

    const silences = (await admin.get('/api/teams/ops/alertmanager/api/v2/silences'))
      .body as GettableSilence[];
    expect(silences).toHaveLength(1);
    expect(silences[0]).toMatchObject({
      status: { state: 'active' },
      comment: 'shop-web is being redeployed',
    });
    expect(silences[0]!.matchers).toContainEqual({
      name: 'alertname',
      value: 'AppDown',
      isRegex: false,
      isEqual: true,
    });
    await screenshot(page, 'alerts-silenced');
  });

  it('lists the silence and expires it', async () => {
    const { page } = ui;
    await page.getByRole('tab', { name: 'Silences' }).click();
    const row = page.getByTestId('silences-table').locator('tr', { hasText: 'shop-web is being redeployed' });
    await row.getByText('active', { exact: true }).waitFor();
    await expect(row.getByText('alertname="AppDown"').isVisible()).resolves.toBe(true);
    await row.getByRole('button', { name: 'Expire' }).click();
    await page.getByRole('button', { name: 'OK' }).click();
    await row.getByText('expired', { exact: true }).waitFor();
    const silences = (await admin.get('/api/teams/ops/alertmanager/api/v2/silences'))
      .body as GettableSilence[];
    expect(silences[0]!.status.state).toBe('expired');
  });

  it('draws the routing tree with the channels it reaches, a missing one flagged', async () => {
    const { page } = ui;
    await page.getByRole('tab', { name: 'Routing' }).click();
    const tree = page.getByTestId('routing-tree').filter({ hasText: 'main' });
    await tree.getByTestId('route-channel').filter({ hasText: 'oncall (webhook)' }).waitFor();
    await expect(tree.getByTestId('route-node').count()).resolves.toBe(2);
    await expect(tree.getByText('severity="critical"').isVisible()).resolves.toBe(true);
    await expect(tree.getByTestId('route-channel-missing').textContent()).resolves.toBe('pager (missing)');
    await expect(tree.getByText('group by alertname, cluster · wait 1s').isVisible()).resolves.toBe(true);
    await screenshot(page, 'alerts-routing');
  });

  it('shows the delivery log, a notification expanding to its attempts', async () => {
    const { page } = ui;
    await page.getByRole('tab', { name: 'Notifications' }).click();
    const table = page.getByTestId('notifications-table');
    const row = table.locator('tr', { hasText: 'alertname="NodeDown"' }).first();
    await row.getByText('delivered').waitFor();
    await row.getByRole('button', { name: /expand/i }).click();
    const attempts = page.getByTestId('notification-attempts');
    await attempts.getByText('delivered').waitFor();
    await expect(attempts.getByText('200', { exact: true }).isVisible()).resolves.toBe(true);
  });

  it("lists every team's alerts for an admin, without groups", async () => {
    const { page } = ui;
    await page.getByRole('tab', { name: 'Alerts' }).click();
    await page.getByTestId('alerts-team').click();
    await page.locator('.ant-select-item-option[title="All teams"]').click();
    const rest = page.getByTestId('alert-group').filter({ hasText: "Every team's alerts" });
    await rest.getByTestId('alert-AppDown').waitFor();
    await expect(rest.getByTestId('alert-NodeDown').count()).resolves.toBe(2);
    await expect(rest.getByRole('columnheader', { name: 'Team' }).isVisible()).resolves.toBe(true);
    await page.getByRole('tab', { name: 'Silences' }).click();
    await page.getByText('Pick a team').waitFor();
    expect(ui.pageErrors).toEqual([]);
  });
});
