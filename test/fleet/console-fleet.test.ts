import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import {
  ensureConsoleBuilt,
  openBrowser,
  screenshot,
  signIn,
  type ConsoleBrowser,
} from '../browser/support.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** The console's fleet pages against a real cluster from the test bed: add it, watch it, work its nodes. */
describe('console fleet pages', () => {
  let bed: Testbed;
  let cluster: TestbedCluster;
  let server: TestServer;
  let ui: ConsoleBrowser;
  let api: ReturnType<typeof client>;

  const nodeUnschedulable = async (node: string): Promise<boolean> =>
    JSON.parse(await cluster.kubectl(['get', 'node', node, '-o', 'json'])).spec?.unschedulable === true;

  beforeAll(async () => {
    ensureConsoleBuilt();
    [bed, server] = await Promise.all([startTestbed({ clusters: 1, nodes: 3 }), startTestServer()]);
    cluster = bed.clusters[0]!;
    api = client(server.url, server.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team('sre', [{ user: 'admin', role: 'team-admin' }]))).status,
    ).toBe(201);
    ui = await openBrowser(server.url);
    await signIn(ui.page, server.adminUsername, server.adminPassword);
  }, 600_000);

  afterAll(async () => {
    await ui?.close();
    await server?.close();
    await bed?.stop();
  });

  it('adds a cluster through the form and shows it Ready on the overview', async () => {
    const { page } = ui;
    await page.getByTestId('nav-clusters').click();
    await page.getByTestId('page-title').filter({ hasText: 'Clusters' }).waitFor();
    await page.getByRole('button', { name: 'Add cluster' }).first().click();

    const form = page.getByTestId('add-cluster-form');
    await form.getByLabel('Team').click();
    await page.locator('.ant-select-item-option[title="sre"]').click();
    await form.getByLabel('Label region').fill(cluster.region);
    await form.getByLabel('Label env').fill('prod');
    await form.getByLabel('Kubeconfig').fill(cluster.kubeconfig);
    await form.getByLabel('Context').click();
    await page.locator(`.ant-select-item-option[title="${cluster.name}"]`).click();

    // A name the schema refuses: the server's error lands on the field, with its path, and nothing is stored.
    await form.getByLabel('Name').fill('East_1');
    await page.getByTestId('add-cluster-submit').click();
    await form.locator('.ant-form-item-explain-error', { hasText: '/metadata/name' }).waitFor();
    await page.getByTestId('error-alert').getByText('The cluster was not created').waitFor();
    const secrets = (await api.get('/api/secrets?team=sre')).body.items as { name: string }[];
    expect(secrets.map((secret) => secret.name)).toEqual([]);

    await form.getByLabel('Name').fill('east');
    await page.getByTestId('add-cluster-submit').click();
    await page.waitForURL((url) => url.pathname === '/fleet');

    const row = page.locator('tr[data-cluster="sre/east"]');
    await row.locator('[data-condition="Ready"][data-status="True"]').waitFor({ timeout: 90_000 });
    await row.locator('[data-condition="Connected"]', { hasText: 'Connected' }).waitFor();
    await row.getByTestId('cluster-nodes').filter({ hasText: '3/3' }).waitFor();
    expect(await row.innerText()).toContain('v1.36.3');
    await page.getByTestId(`fleet-group-${cluster.region}`).waitFor();
    expect(await page.getByTestId('fleet-stat-nodes').innerText()).toContain('3');
    expect(await page.getByTestId('watch-state').innerText()).toBe('Live');

    const stored = await api.get(`${BASE}/teams/sre/clusters/east`);
    expect(stored.body.spec).toMatchObject({
      kubeconfigSecret: { name: 'east-kubeconfig' },
      context: cluster.name,
    });
    expect(stored.body.metadata.labels).toEqual({ region: cluster.region, env: 'prod' });
    await screenshot(page, 'fleet-overview');
  });

  it('opens the cluster and lists its three nodes', async () => {
    const { page } = ui;
    await page.locator('tr[data-cluster="sre/east"]').getByRole('link', { name: 'east' }).click();
    await page.waitForURL((url) => url.pathname === '/fleet/clusters/sre/east');
    await page
      .getByTestId('cluster-conditions')
      .locator('[data-condition="Ready"][data-status="True"]')
      .waitFor();

    const table = page.getByTestId('nodes-table');
    for (let index = 1; index <= 3; index++) {
      await table.getByRole('link', { name: `${cluster.name}-node-${index}`, exact: true }).waitFor();
    }
    expect(await table.locator('tbody tr').count()).toBe(3);
    expect(await table.getByText('Ready', { exact: true }).count()).toBe(3);
    expect(await table.innerText()).toContain(`${cluster.region}a`);
    await page.getByTestId('nodes-count').filter({ hasText: '3 shown' }).waitFor();
    await screenshot(page, 'fleet-cluster-detail');
  });

  it('cordons, uncordons and drains a node from its page', async () => {
    const { page } = ui;
    const pods = JSON.parse(await cluster.kubectl(['get', 'pods', '-A', '-o', 'json'])).items as {
      spec: { nodeName?: string };
    }[];
    const node = [1, 2, 3]
      .map((index) => `${cluster.name}-node-${index}`)
      .find((name) => !pods.some((pod) => pod.spec.nodeName === name));
    expect(node).toBeDefined();

    await page.getByTestId('nodes-table').getByRole('link', { name: node!, exact: true }).click();
    await page.getByTestId('page-title').filter({ hasText: node! }).waitFor();
    const status = page.getByTestId('page-title').getByTestId('node-status');
    await status.getByText('Ready', { exact: true }).waitFor();
    expect(await page.getByTestId('node-resources').innerText()).toContain('256 GiB');

    await page.getByRole('button', { name: /\bCordon$/ }).click();
    await status.getByText('SchedulingDisabled').waitFor({ timeout: 30_000 });
    expect(await nodeUnschedulable(node!)).toBe(true);

    await page.getByRole('button', { name: /\bUncordon$/ }).click();
    await status.getByText('SchedulingDisabled').waitFor({ state: 'detached', timeout: 30_000 });
    expect(await nodeUnschedulable(node!)).toBe(false);

    await page.getByRole('button', { name: /\bDrain$/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Timeout (seconds)').fill('30');
    await dialog.getByRole('button', { name: 'Drain' }).click();
    const report = page.getByTestId('drain-report');
    await report.getByText(`${node} drained`).waitFor({ timeout: 45_000 });
    const text = await report.innerText();
    expect(text).toMatch(/Cordoned\s*Yes/);
    expect(text).toMatch(/Evicted\s*0/);
    expect(text).toMatch(/Timed out\s*No/);
    expect(text).toContain('The node had no pods to evict.');
    await status.getByText('SchedulingDisabled').waitFor({ timeout: 30_000 });
    expect(await nodeUnschedulable(node!)).toBe(true);

    const audit = (await api.get('/api/audit?kind=Node')).body.items as { action: string; name: string }[];
    expect(audit.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['cordon', 'uncordon', 'drain']),
    );
    expect(audit.every((entry) => entry.name === `east/${node}`)).toBe(true);
    await screenshot(page, 'fleet-node-drained');
    expect(ui.pageErrors).toEqual([]);
  });
});
