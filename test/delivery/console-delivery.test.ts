import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import {
  ensureConsoleBuilt,
  openBrowser,
  screenshot,
  signIn,
  type ConsoleBrowser,
} from '../browser/support.ts';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

// The console's delivery pages against two real clusters of the test bed: an application delivered through
// the API is shown healthy in the list and in its components × clusters matrix, its dry run finds nothing
// to change, a second revision is compared with the first, and a rollback from the dialog becomes
// revision 3 and healthy again.

const TEAM = 'shop';
const NAME = 'storefront';
const NAMESPACE = 'storefront';
const APP = `${BASE}/teams/${TEAM}/applications`;
const CLUSTERS = ['east', 'west'] as const;
const COMPONENTS = ['api', 'worker'] as const;
/** kwok schedules only pods that tolerate its nodes' taints. */
const tolerate = { type: 'tolerations', properties: { tolerations: [{ operator: 'Exists' }] } };

function storefront(image = 'nginx:1.27'): any {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: NAME },
    spec: {
      components: [
        { name: 'api', type: 'webservice', properties: { image, ports: [{ port: 80 }] }, traits: [tolerate] },
        {
          name: 'worker',
          type: 'worker',
          properties: { image: 'busybox:1.36', cmd: ['sleep', 'infinity'] },
          traits: [tolerate],
        },
      ],
      topology: { clusters: [...CLUSTERS], namespace: NAMESPACE },
    },
  };
}

const openDropdown = '.ant-select-dropdown:not(.ant-select-dropdown-hidden)';

/** Clicks an option of the open antd Select and waits until its dropdown is gone. */
async function pick(page: Page, title: string): Promise<void> {
  await page.locator(`${openDropdown} .ant-select-item-option[title="${title}"]`).click();
  await expect.poll(() => page.locator(openDropdown).count()).toBe(0);
}

describe('console delivery pages on the test bed', () => {
  let bed: Testbed;
  let server: TestServer;
  let ui: ConsoleBrowser;
  let api: ReturnType<typeof client>;
  let kube: Record<(typeof CLUSTERS)[number], TestbedCluster>;

  const app = async () => (await api.get(`${APP}/${NAME}`)).body;
  const condition = (object: any, type: string) =>
    object?.status?.conditions?.find((c: any) => c.type === type);
  /** Waits until the application is Ready at `revision` (it may pass through other states on the way). */
  const readyAt = (revision: number) =>
    eventually(
      app,
      (a) =>
        condition(a, 'Ready')?.status === 'True' &&
        a.status.revision === revision &&
        a.metadata.generation === a.status.observedGeneration,
      90_000,
      250,
    );
  const deployment = async (cluster: TestbedCluster, name: string): Promise<any> => {
    const response = await cluster.client.request<any>(
      'GET',
      `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${name}`,
    );
    return response.status === 200 ? response.body : undefined;
  };
  /**
   * Waits until both clusters finished rolling `api` out with `image` (and `worker` is settled): every
   * replica updated and available, no old one left. The application's Ready can be True for a moment before
   * a rollout starts, so a test that wants "healthy again" waits for the clusters themselves.
   */
  const rolledOut = (image: string) =>
    eventually(
      () =>
        Promise.all(CLUSTERS.flatMap((cluster) => COMPONENTS.map((name) => deployment(kube[cluster], name)))),
      (deployments) =>
        deployments.every((d) => {
          const want = d?.spec.replicas ?? 1;
          return (
            d !== undefined &&
            d.status?.observedGeneration === d.metadata.generation &&
            d.status?.updatedReplicas === want &&
            d.status?.replicas === want &&
            d.status?.availableReplicas === want &&
            (d.metadata.name !== 'api' || d.spec.template.spec.containers[0].image === image)
          );
        }),
      60_000,
      250,
    );

  beforeAll(async () => {
    ensureConsoleBuilt();
    [bed, server] = await Promise.all([startTestbed({ clusters: 2, nodes: 2 }), startTestServer()]);
    kube = { east: bed.clusters[0]!, west: bed.clusters[1]! };
    api = client(server.url, server.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team(TEAM, [{ user: 'admin', role: 'team-admin' }]))).status,
    ).toBe(201);
    for (const name of CLUSTERS) {
      const secret = await api.put(`/api/teams/${TEAM}/secrets/${name}-kubeconfig`, {
        data: { kubeconfig: kube[name].kubeconfig },
      });
      expect(secret.status).toBe(200);
      const created = await api.post(`${BASE}/teams/${TEAM}/clusters`, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Cluster',
        metadata: { name, labels: { env: 'prod' } },
        spec: { kubeconfigSecret: { name: `${name}-kubeconfig` } },
      });
      expect(created.status).toBe(201);
    }
    for (const name of CLUSTERS) {
      await eventually(
        async () => (await api.get(`${BASE}/teams/${TEAM}/clusters/${name}`)).body,
        (c) => condition(c, 'Connected')?.status === 'True',
        60_000,
        250,
      );
    }
    ui = await openBrowser(server.url);
    await signIn(ui.page, server.adminUsername, server.adminPassword);
  }, 600_000);

  afterAll(async () => {
    await ui?.close();
    await server?.close();
    await bed?.stop();
  });

  it('delivers the application through the API and lists it Healthy', async () => {
    expect((await api.post(APP, storefront())).status).toBe(201);
    await rolledOut('nginx:1.27');
    const ready = await readyAt(1);
    expect(ready.status.health).toBe('Healthy');

    const { page } = ui;
    await page.getByTestId('nav-applications').click();
    await page.waitForURL((url) => url.pathname === '/delivery/applications');
    const row = page.locator(`tr[data-application="${TEAM}/${NAME}"]`);
    await row.locator('[data-health="Healthy"]').waitFor();
    await row.locator('[data-condition="Ready"][data-status="True"]').waitFor();
    // Two targets, none failing.
    expect(await row.getByTestId('application-targets').innerText()).toBe('2');
    expect(await row.innerText()).toMatch(/\bv1\b/);
    await screenshot(page, 'testbed-delivery-applications');
  });

  it('shows the components × clusters matrix healthy, with the workloads of the real clusters', async () => {
    const { page } = ui;
    await page
      .locator(`tr[data-application="${TEAM}/${NAME}"]`)
      .getByRole('link', { name: NAME, exact: true })
      .click();
    await page.waitForURL((url) => url.pathname === `/delivery/teams/${TEAM}/applications/${NAME}`);
    await page.getByTestId('application-health').locator('[data-health="Healthy"]').waitFor();
    expect(await page.getByTestId('application-revision').innerText()).toBe('applied v1');

    const matrix = page.getByTestId('health-matrix');
    await matrix.waitFor();
    expect(await matrix.locator('tr.ant-table-row').count()).toBe(COMPONENTS.length);
    const headers = (await matrix.locator('thead th').allInnerTexts()).map((text) => text.trim());
    expect(headers).toEqual(['Component', ...CLUSTERS]);
    for (const component of COMPONENTS) {
      for (const cluster of CLUSTERS) {
        const cell = matrix.locator(`[data-cell="${component}/${cluster}"]`);
        await cell.locator('[data-health="Healthy"]').waitFor();
        const live = await deployment(kube[cluster], component);
        expect(live, `${component} on ${cluster}`).toBeDefined();
        const workload = `${live.kind}/${live.metadata.namespace}/${live.metadata.name}`;
        expect(workload).toBe(`Deployment/${NAMESPACE}/${component}`);
        expect((await cell.innerText()).split('\n').map((line) => line.trim())).toEqual([
          'Healthy',
          workload,
        ]);
      }
    }
    for (const cluster of CLUSTERS) {
      const target = page.getByTestId('targets-table').locator('tr.ant-table-row', { hasText: cluster });
      expect(await target.innerText()).toMatch(new RegExp(`${NAMESPACE}[\\s\\S]*Applied[\\s\\S]*v1`));
    }
    await screenshot(page, 'testbed-delivery-matrix');
  });

  it('runs the dry run: every object on each cluster is unchanged', async () => {
    const { page } = ui;
    await page.getByRole('tab', { name: 'Diff / dry run' }).click();
    await page.getByTestId('run-diff').click();
    const expected = [
      `unchanged Deployment ${NAMESPACE}/api api`,
      `unchanged Service ${NAMESPACE}/api api`,
      `unchanged Deployment ${NAMESPACE}/worker worker`,
    ].sort();
    const cards = CLUSTERS.map((cluster) => page.locator(`[data-target="${cluster}/${NAMESPACE}"]`));
    for (const card of cards) {
      await card.waitFor({ timeout: 30_000 });
      expect(await card.locator('.ant-alert').count()).toBe(0);
      expect((await card.locator('.ant-card-extra').innerText()).trim()).toBe(`${expected.length} unchanged`);
      // Unchanged objects are hidden until asked for.
      await card.getByText('Every object is up to date').waitFor();
    }
    await page.getByLabel('Hide unchanged objects').click();
    for (const card of cards) {
      const rows = card.locator('tr.ant-table-row');
      await expect.poll(() => rows.count()).toBe(expected.length);
      const texts = (await rows.allInnerTexts()).map((text) =>
        text
          .replace(/apps\/v1|\bv1\b|—/g, '')
          .replace(/\s+/g, ' ')
          .trim(),
      );
      expect(texts.sort()).toEqual(expected);
    }
    await screenshot(page, 'testbed-delivery-diff');
  });

  it('compares revision 1 with revision 2 after the image changes', async () => {
    const current = await app();
    const next = storefront('nginx:1.28');
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    expect((await api.put(`${APP}/${NAME}`, next)).status).toBe(200);
    await rolledOut('nginx:1.28');
    await readyAt(2);

    const { page } = ui;
    await page.getByRole('tab', { name: 'Revisions' }).click();
    const revisions = page.getByTestId('revisions-table');
    const second = revisions.locator('tr[data-revision="2"]');
    await second.waitFor();
    expect(await revisions.locator('tr.ant-table-row').count()).toBe(2);
    expect(await revisions.locator('tr[data-revision="1"]').innerText()).toContain('created');
    const secondText = await second.innerText();
    expect(secondText).toContain('updated');
    expect(secondText).toContain('current');
    await second.getByText('applied', { exact: true }).waitFor({ timeout: 30_000 });
    expect(await revisions.getByTestId('rollback-2').isDisabled()).toBe(true);

    // By default the one before the newest against the newest: v1 → v2, and only the image differs.
    const specDiff = page.getByTestId('revision-spec-diff');
    await specDiff.waitFor();
    expect(await page.getByTestId('diff-from').innerText()).toBe('v1');
    expect(await page.getByTestId('diff-to').innerText()).toBe('v2');
    expect(await specDiff.locator(':scope > div').count()).toBe(1);
    expect(await specDiff.innerText()).toMatch(
      /\/components\/0\/properties\/image: "nginx:1\.27" → "nginx:1\.28"/,
    );
    // The definitions did not change between the two.
    await page.getByTestId('revision-diff').getByText('No difference between before and after.').waitFor();
    await screenshot(page, 'testbed-delivery-revisions');

    // The other way round: v2 → v1.
    await page.getByTestId('diff-from').click();
    await pick(page, 'v2');
    await page.getByTestId('diff-to').click();
    await pick(page, 'v1');
    await expect
      .poll(() => specDiff.innerText())
      .toMatch(/\/components\/0\/properties\/image: "nginx:1\.28" → "nginx:1\.27"/);
  });

  it('rolls back to v1 from the dialog: revision 3 appears and the application is Healthy again', async () => {
    const { page } = ui;
    const revisions = page.getByTestId('revisions-table');
    await revisions.getByTestId('rollback-1').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(`Roll back ${NAME} to v1?`).waitFor();
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await page.locator('.ant-message').getByText(`${NAME} rolled back to v1`).waitFor();
    await dialog.waitFor({ state: 'hidden' });

    const third = revisions.locator('tr[data-revision="3"]');
    await third.waitFor({ timeout: 30_000 });
    expect(await third.innerText()).toContain('rollback to revision 1');
    // The rollback recorded v1 again: the same hash.
    expect(await third.locator('code').innerText()).toBe(
      await revisions.locator('tr[data-revision="1"] code').innerText(),
    );
    await page
      .getByTestId('application-revision')
      .filter({ hasText: 'applied v3' })
      .waitFor({ timeout: 60_000 });
    await third.getByText('applied', { exact: true }).waitFor();
    // v1's image is back on both clusters; once they have rolled it out, the page shows the application
    // healthy (it may pass through Unhealthy while the old replicas go away).
    await rolledOut('nginx:1.27');
    await page
      .getByTestId('application-health')
      .locator('[data-health="Healthy"]')
      .waitFor({ timeout: 30_000 });
    await page
      .getByTestId('application-conditions')
      .locator('[data-condition="Ready"][data-status="True"]')
      .waitFor();
    const ready = await readyAt(3);
    expect(ready.status.health).toBe('Healthy');
    expect(ready.spec.components[0].properties.image).toBe('nginx:1.27');

    await page.getByRole('tab', { name: 'Overview' }).click();
    const matrix = page.getByTestId('health-matrix');
    for (const component of COMPONENTS) {
      for (const cluster of CLUSTERS) {
        await matrix.locator(`[data-cell="${component}/${cluster}"] [data-health="Healthy"]`).waitFor();
      }
    }
    for (const cluster of CLUSTERS) {
      await page
        .getByTestId('targets-table')
        .locator('tr.ant-table-row', { hasText: cluster })
        .getByText('v3', { exact: true })
        .waitFor();
    }
    await screenshot(page, 'testbed-delivery-rolled-back');
    expect(ui.pageErrors).toEqual([]);
  });
});
