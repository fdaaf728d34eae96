import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestServer } from '../support/server.ts';
import type { Page } from 'playwright-core';
import { ensureConsoleBuilt, openBrowser, screenshot, signIn, type ConsoleBrowser } from './support.ts';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

const base = '/apis/gantry.dev/v1alpha1';
const team = 'shop';
const app = 'shop-web';

/**
 * Definitions of the test's own, so that the forms and the trait check are known to the test whatever
 * the built-in catalog holds. `replicas` comes in pairs (`multipleOf`), a rule the generated form does
 * not check: only the server's trait check catches an odd count.
 */
const webDefinition = {
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'ComponentDefinition',
  metadata: { name: 'console-web' },
  spec: {
    version: '1.2.0',
    description: 'A web server for the console test',
    category: 'test',
    workload: { apiVersion: 'apps/v1', kind: 'Deployment', podTemplatePath: '/spec/template' },
    schema: {
      type: 'object',
      required: ['image'],
      properties: {
        image: { type: 'string', description: 'Container image to run' },
        port: { type: 'integer', default: 8080, minimum: 1, maximum: 65535 },
        env: {
          type: 'object',
          description: 'Environment variables',
          additionalProperties: { type: 'string' },
        },
        debug: { type: 'boolean', default: false },
        tier: { type: 'string', enum: ['frontend', 'backend'], default: 'frontend' },
        // Optional, with a required field: left alone, it is neither sent nor required.
        probe: {
          type: 'object',
          description: 'HTTP readiness probe',
          required: ['path'],
          properties: { path: { type: 'string' }, periodSeconds: { type: 'integer', default: 10 } },
        },
      },
    },
    templates: [
      {
        name: 'deployment',
        template: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: '${context.component}' },
          spec: {
            selector: { matchLabels: { app: '${context.component}' } },
            template: {
              metadata: { labels: { app: '${context.component}' } },
              spec: { containers: [{ name: '${context.component}', image: '${parameter.image}' }] },
            },
          },
        },
      },
    ],
  },
};

const scaleDefinition = {
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'TraitDefinition',
  metadata: { name: 'console-scale' },
  spec: {
    version: '1.0.0',
    description: 'Runs the workload in pairs of replicas',
    appliesToWorkloads: ['deployments.apps'],
    conflictsWith: [],
    podDisruptive: false,
    stage: 'post',
    schema: {
      type: 'object',
      required: ['replicas'],
      properties: { replicas: { type: 'integer', minimum: 2, maximum: 20, multipleOf: 2, default: 2 } },
    },
    patch: { spec: { replicas: '${parameter.replicas}' } },
    outputs: [],
  },
};

const autoscaleDefinition = {
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'TraitDefinition',
  metadata: { name: 'console-autoscale' },
  spec: {
    version: '1.0.0',
    description: 'Scales on load; replaces a fixed replica count',
    appliesToWorkloads: ['*'],
    conflictsWith: ['console-scale'],
    podDisruptive: false,
    stage: 'post',
    schema: { type: 'object', properties: { max: { type: 'integer', default: 5 } } },
    patch: { metadata: { annotations: { 'autoscale.gantry.dev/max': '${string(parameter.max)}' } } },
    outputs: [],
  },
};

const openDropdown = '.ant-select-dropdown:not(.ant-select-dropdown-hidden)';

/**
 * Clicks an option of the open antd Select and, unless it is a multiple select (which stays open), waits
 * until its dropdown is gone: closed dropdowns stay in the DOM, and a closing one still shows its options.
 */
async function pick(page: Page, title: string, options: { multiple?: boolean } = {}): Promise<void> {
  await page.locator(`${openDropdown} .ant-select-item-option[title="${title}"]`).click();
  if (options.multiple) await page.keyboard.press('Escape');
  await expect.poll(() => page.locator(openDropdown).count()).toBe(0);
}

describe('console delivery: catalog, new application, application detail', () => {
  let server: TestServer;
  let ui: ConsoleBrowser;

  const api = async (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${server.adminToken}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
  const post = async (path: string, body: unknown): Promise<void> => {
    const response = await api(path, { method: 'POST', body: JSON.stringify(body) });
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  };
  const getJson = async <T>(path: string): Promise<T> => (await (await api(path)).json()) as T;

  beforeAll(async () => {
    ensureConsoleBuilt();
    server = await startTestServer();
    ui = await openBrowser(server.url);
    await ui.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await post(`${base}/teams`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: team },
      spec: { members: [] },
    });
    // A cluster the application can name; it has no kubeconfig, so every delivery to it fails.
    await post(`${base}/teams/${team}/clusters`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'hz-1', team },
      spec: { kubeconfigSecret: { name: 'hz-1-kubeconfig', key: 'kubeconfig' } },
    });
    await post(`${base}/componentdefinitions`, webDefinition);
    await post(`${base}/traitdefinitions`, scaleDefinition);
    await post(`${base}/traitdefinitions`, autoscaleDefinition);
    await signIn(ui.page, server.adminUsername, server.adminPassword);
  });

  afterAll(async () => {
    await ui?.close();
    await server?.close();
  });

  it('lists component types and traits in the catalog', async () => {
    const { page } = ui;
    await page.getByTestId('nav-catalog').click();
    await page.waitForURL((url) => url.pathname === '/delivery/catalog');

    const components = page.getByTestId('component-definitions');
    const web = components.locator('tr[data-row-key="console-web"]');
    await web.waitFor();
    const webText = await web.innerText();
    for (const fact of ['1.2.0', 'test', 'Deployment', 'apps/v1', 'A web server for the console test'])
      expect(webText).toContain(fact);
    // Whatever the server seeded is listed as well.
    const stored = await getJson<{ items: { metadata: { name: string } }[] }>(`${base}/componentdefinitions`);
    for (const { metadata } of stored.items)
      await components.getByRole('link', { name: metadata.name, exact: true }).waitFor();

    await page.getByRole('tab', { name: /Traits/ }).click();
    const traits = page.getByTestId('trait-definitions');
    const scale = traits.locator('tr[data-row-key="console-scale"]');
    await scale.waitFor();
    expect(await scale.innerText()).toContain('deployments.apps');
    const autoscale = traits.locator('tr[data-row-key="console-autoscale"]');
    expect(await autoscale.innerText()).toMatch(/\*[\s\S]*console-scale/);
    expect(new URL(page.url()).searchParams.get('tab')).toBe('traits');
    await screenshot(page, 'delivery-catalog');
  });

  it('generates a form from a definition schema and previews and copies the YAML', async () => {
    const { page } = ui;
    await page.goto('/delivery/catalog');
    await page.getByTestId('component-definitions').getByRole('link', { name: 'console-web' }).click();
    await page.waitForURL('**/delivery/catalog/components/console-web');
    const form = page.getByTestId('definition-form');
    const preview = page.getByTestId('yaml-preview');

    // The defaults come first, so the preview starts with them.
    await expect
      .poll(async () => parse(await preview.innerText()) as unknown)
      .toEqual({
        components: [
          {
            name: 'my-component',
            type: 'console-web',
            properties: { port: 8080, debug: false, tier: 'frontend' },
          },
        ],
      });
    await form.getByText('Container image to run').waitFor();

    await page.getByLabel('Component name').fill('api');
    await form.getByLabel('image').fill('nginx:1.27');
    await form.getByLabel('port').fill('9090');
    await form.getByRole('button', { name: 'Add entry' }).click();
    await form.getByLabel('env key').fill('MODE');
    await form.locator('[data-schema-field="env"] input').nth(1).fill('prod');
    await form.getByLabel('debug').click();
    await form.getByLabel('tier').click();
    await pick(page, 'backend');
    await form.getByLabel('path').fill('/ready');

    const expected = {
      components: [
        {
          name: 'api',
          type: 'console-web',
          properties: {
            image: 'nginx:1.27',
            port: 9090,
            env: { MODE: 'prod' },
            debug: true,
            tier: 'backend',
            probe: { path: '/ready', periodSeconds: 10 },
          },
        },
      ],
    };
    await expect.poll(async () => parse(await preview.innerText()) as unknown).toEqual(expected);
    await screenshot(page, 'delivery-definition-form');

    await page.getByTestId('copy-yaml').click();
    await page.getByTestId('copy-yaml').getByText('Copied').waitFor();
    const copied = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(parse(copied)).toEqual(expected);

    // A required field emptied is flagged on the spot, and leaves the snippet.
    await form.getByLabel('image').fill('');
    await form.locator('.ant-form-item-explain-error', { hasText: 'image is required' }).waitFor();
    await expect
      .poll(async () => (parse(await preview.innerText()) as typeof expected).components[0]?.properties)
      .not.toHaveProperty('image');
  });

  it('creates an application through the form, with every trait-check finding on its field', async () => {
    const { page } = ui;
    await page.getByTestId('nav-applications').click();
    await page.waitForURL((url) => url.pathname === '/delivery/applications');
    await page.getByRole('button', { name: 'New application' }).click();
    await page.waitForURL('**/delivery/applications/new');

    const form = page.getByTestId('new-application-form');
    await form.getByLabel('Team').click();
    await pick(page, team);
    await form.getByLabel('Name', { exact: true }).fill(app);
    await form.getByLabel('Namespace').fill('shop');
    await form.getByLabel('Clusters').click();
    await pick(page, 'hz-1', { multiple: true });

    const component = page.getByTestId('component-0');
    await component.getByLabel('Component 1 name').fill('web');
    await component.getByLabel('Component 1 type').click();
    await pick(page, 'console-web');
    await component.getByTestId('component-0-properties').getByLabel('image').fill('nginx:1.27');

    await page.getByTestId('component-0-add-trait').click();
    const scale = page.getByTestId('component-0-trait-0');
    await scale.getByLabel('Component 1 trait 1 type').click();
    await pick(page, 'console-scale');
    // Odd: the form lets it through, the definition's schema does not.
    await scale.getByLabel('replicas').fill('3');
    await page.getByTestId('component-0-add-trait').click();
    const autoscale = page.getByTestId('component-0-trait-1');
    await autoscale.getByLabel('Component 1 trait 2 type').click();
    await pick(page, 'console-autoscale');

    const yaml = page.getByTestId('application-yaml');
    await expect
      .poll(async () => (parse(await yaml.innerText()) as { spec: unknown }).spec)
      .toEqual({
        components: [
          {
            name: 'web',
            type: 'console-web',
            properties: { image: 'nginx:1.27', port: 8080, debug: false, tier: 'frontend' },
            traits: [
              { type: 'console-scale', properties: { replicas: 3 } },
              { type: 'console-autoscale', properties: { max: 5 } },
            ],
          },
        ],
        topology: { clusters: ['hz-1'], namespace: 'shop' },
      });

    await page.getByTestId('create-application').click();
    const errors = page.getByTestId('application-errors');
    await errors.getByText('GANTRY_E_TRAIT_CHECK').waitFor();
    const listed = await errors.innerText();
    expect(listed).toContain('/spec/components/0/traits/0/properties/replicas');
    expect(listed).toContain('/spec/components/0/traits/1/type');
    expect(listed).toMatch(/conflicts with/);
    // Each finding also sits under the field it is about.
    await scale.locator('.ant-form-item-explain-error', { hasText: /multiple of 2/ }).waitFor();
    await autoscale.locator('.ant-form-item-explain-error', { hasText: /conflicts with/ }).waitFor();
    await screenshot(page, 'delivery-new-application-errors');
    expect((await api(`${base}/teams/${team}/applications/${app}`)).status).toBe(404);

    await scale.getByLabel('replicas').fill('4');
    await autoscale.getByRole('button', { name: 'Remove trait' }).click();
    await page.getByTestId('check-application').click();
    await page.getByTestId('dry-run-result').waitFor();
    expect((await api(`${base}/teams/${team}/applications/${app}`)).status).toBe(404);

    await page.getByTestId('create-application').click();
    await page.waitForURL(`**/delivery/teams/${team}/applications/${app}`);
    const stored = await getJson<{ spec: { components: { traits: unknown[] }[] } }>(
      `${base}/teams/${team}/applications/${app}`,
    );
    expect(stored.spec.components[0]?.traits).toEqual([
      { type: 'console-scale', properties: { replicas: 4 } },
    ]);
  });

  it('shows the application: conditions, targets and spec, live', async () => {
    const { page } = ui;
    await page.getByTestId('page-title').getByText(app).waitFor();
    // The cluster has no kubeconfig: the controller reports the target unreachable.
    const target = page.getByTestId('targets-table').locator('tr', { hasText: 'hz-1' });
    await target.getByText('Unreachable').waitFor({ timeout: 45_000 });
    expect(await target.innerText()).toContain('shop');
    await page
      .getByTestId('application-conditions')
      .locator('[data-condition="Applied"][data-status="False"]')
      .waitFor();
    const status = (
      await getJson<{
        status: { health?: string; components?: { name: string; cluster: string; health: string }[] };
      }>(`${base}/teams/${team}/applications/${app}`)
    ).status;
    await page
      .getByTestId('application-health')
      .locator(`[data-health="${status.health ?? 'Unknown'}"]`)
      .waitFor();
    // The matrix shows what the controller reported, cell by cell (nothing at all while none is reported).
    const cells = status.components ?? [];
    if (cells.length === 0) await page.getByTestId('health-matrix-empty').waitFor();
    for (const cell of cells) {
      await page
        .getByTestId('health-matrix')
        .locator(`[data-cell="${cell.name}/${cell.cluster}"] [data-health="${cell.health}"]`)
        .waitFor();
    }
    await screenshot(page, 'delivery-application');

    await page.getByRole('tab', { name: 'Spec' }).click();
    const spec = parse(await page.getByTestId('application-spec').innerText()) as {
      components: { traits: unknown[] }[];
    };
    expect(spec.components[0]?.traits).toEqual([{ type: 'console-scale', properties: { replicas: 4 } }]);

    await page.goto('/delivery/applications?team=shop');
    const row = page.locator(`tr[data-application="${team}/${app}"]`);
    // One target, and it is failing.
    await row.getByTestId('application-targets').getByText('1 failing').waitFor();
    expect(await row.innerText()).toContain(team);
    await page.getByTestId('watch-state').getByText('Live').waitFor();
  });

  it('compares any two revisions and rolls back to one', async () => {
    const { page } = ui;
    const path = `${base}/teams/${team}/applications/${app}`;
    await expect
      .poll(
        async () => (await getJson<{ status?: { latestRevision?: number } }>(path)).status?.latestRevision,
        {
          timeout: 30_000,
        },
      )
      .toBe(1);
    // A second revision: the replica count changes.
    const current = await getJson<{
      spec: { components: { traits: { properties: { replicas: number } }[] }[] };
    }>(path);
    const trait = current.spec.components[0]?.traits[0];
    if (!trait) throw new Error('no trait');
    trait.properties.replicas = 6;
    expect((await api(path, { method: 'PUT', body: JSON.stringify(current) })).status).toBe(200);
    await expect
      .poll(
        async () => (await getJson<{ status?: { latestRevision?: number } }>(path)).status?.latestRevision,
        {
          timeout: 30_000,
        },
      )
      .toBe(2);

    await page.goto(`/delivery/teams/${team}/applications/${app}?tab=revisions`);
    const revisions = page.getByTestId('revisions-table');
    await revisions.locator('tr[data-revision="2"]').waitFor();
    expect(await revisions.locator('tr[data-revision="1"]').innerText()).toContain('created');
    const diff = page.getByTestId('revision-spec-diff');
    await diff.getByText('/components/0/traits/0/properties/replicas').waitFor();
    expect(await diff.innerText()).toMatch(/4[\s\S]*→[\s\S]*6/);

    // Any pair: v2 against v1 shows the change the other way round.
    await page.getByTestId('diff-from').click();
    await pick(page, 'v2');
    await page.getByTestId('diff-to').click();
    await pick(page, 'v1');
    await expect.poll(async () => diff.innerText()).toMatch(/6[\s\S]*→[\s\S]*4/);
    await screenshot(page, 'delivery-revisions');

    await revisions.getByTestId('rollback-1').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Roll back shop-web to v1?').waitFor();
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await page.locator('.ant-message').getByText('rolled back to v1').waitFor();
    const rolledBack = await getJson<{
      spec: { components: { traits: { properties: { replicas: number } }[] }[] };
    }>(path);
    expect(rolledBack.spec.components[0]?.traits[0]?.properties.replicas).toBe(4);
    // The controller records the rollback as revision 3; the page follows the application and lists it.
    await revisions.locator('tr[data-revision="3"]').waitFor({ timeout: 30_000 });
    expect(await revisions.locator('tr[data-revision="3"]').innerText()).toMatch(/rollback/i);
  });

  it('shows a refused rollback in the dialog, with the server error', async () => {
    const { page } = ui;
    await page.goto(`/delivery/teams/${team}/applications/${app}?tab=revisions`);
    const revisions = page.getByTestId('revisions-table');
    await revisions.locator('tr[data-revision="2"]').waitFor();
    // Revision 2 goes away after the page listed it: the server refuses, and says which ones it kept.
    const removed = await api(`${base}/teams/${team}/applicationrevisions/${app}-v2`, { method: 'DELETE' });
    expect(removed.status).toBeLessThan(300);
    await revisions.getByTestId('rollback-2').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    const error = dialog.getByTestId('rollback-error');
    await error.getByText('The rollback was refused').waitFor();
    const text = await error.innerText();
    expect(text).toContain('has no revision 2');
    expect(text).toContain('GANTRY_E_NOT_FOUND');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const stored = await getJson<{
      spec: { components: { traits: { properties: { replicas: number } }[] }[] };
    }>(`${base}/teams/${team}/applications/${app}`);
    expect(stored.spec.components[0]?.traits[0]?.properties.replicas).toBe(4);
  });

  it('runs the server-side diff per cluster', async () => {
    const { page } = ui;
    await page.goto(`/delivery/teams/${team}/applications/${app}?tab=diff`);
    await page.getByTestId('run-diff').click();
    const card = page.locator('[data-target="hz-1/shop"]');
    await card.waitFor();
    // hz-1 cannot be read: its card says why instead of listing objects.
    await card.locator('.ant-alert-error').waitFor();
    await screenshot(page, 'delivery-diff');
  });

  it('lists each object of a diff with its action, and expands a change to its fields', async () => {
    const { page } = ui;
    // The clusters here cannot be reached, so the objects come from a diff answered as the API promises it
    // (test/delivery covers the server side against real clusters).
    const diffPath = `**/api/teams/${team}/applications/${app}/diff`;
    await page.route(diffPath, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          targets: [
            {
              cluster: 'hz-1',
              namespace: 'shop',
              objects: [
                {
                  apiVersion: 'apps/v1',
                  kind: 'Deployment',
                  namespace: 'shop',
                  name: 'web',
                  component: 'web',
                  action: 'update',
                  diff: [
                    { path: '/spec/replicas', op: 'replace', before: 2, after: 4 },
                    { path: '/metadata/labels/tier', op: 'add', after: 'frontend' },
                  ],
                },
                {
                  apiVersion: 'v1',
                  kind: 'Service',
                  namespace: 'shop',
                  name: 'web',
                  component: 'web',
                  action: 'create',
                },
                { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'old', action: 'prune' },
                {
                  apiVersion: 'v1',
                  kind: 'ServiceAccount',
                  namespace: 'shop',
                  name: 'web',
                  action: 'unchanged',
                },
              ],
            },
          ],
          problems: ['environment staging does not exist'],
        }),
      }),
    );
    await page.goto(`/delivery/teams/${team}/applications/${app}?tab=diff`);
    await page.getByTestId('run-diff').click();
    const card = page.locator('[data-target="hz-1/shop"]');
    const rows = card.locator('tr.ant-table-row');
    await rows.first().waitFor();
    await page.getByText('environment staging does not exist').waitFor();
    const summary = await card.locator('.ant-card-extra').innerText();
    for (const count of ['1 create', '1 update', '1 prune', '1 unchanged']) expect(summary).toContain(count);
    // Unchanged objects are hidden until asked for.
    expect(await rows.allInnerTexts()).toEqual([
      expect.stringMatching(/update\s+Deployment\s+shop\/web/),
      expect.stringMatching(/create\s+Service\s+shop\/web/),
      expect.stringMatching(/prune\s+ConfigMap\s+shop\/old/),
    ]);
    await page.getByLabel('Hide unchanged objects').click();
    await expect.poll(() => rows.count()).toBe(4);

    await rows.first().locator('.ant-table-row-expand-icon').click();
    const fields = card.getByTestId('object-diff');
    await fields.waitFor();
    const text = await fields.innerText();
    expect(text).toMatch(/\/spec\/replicas: 2 → 4/);
    expect(text).toContain('/metadata/labels/tier: "frontend"');
    await page.unroute(diffPath);
    expect(ui.pageErrors).toEqual([]);
  });

  it("shows the application's timeline and the cluster's, Gantry's events beside the cluster's own", async () => {
    const { page } = ui;
    // An event regarding the application, as the application controller records them.
    await server.server.store.events.fold([
      {
        team,
        cluster: `${team}/hz-1`,
        namespace: '',
        objectKind: 'Application',
        objectName: app,
        type: 'Normal',
        reason: 'TimelineProbe',
        message: 'recorded by the browser test',
        actor: 'controller/application',
        count: 3,
        firstSeen: new Date(Date.now() - 60_000).toISOString(),
        lastSeen: new Date().toISOString(),
      },
    ]);
    await page.goto(`/delivery/teams/${team}/applications/${app}?tab=timeline`);
    const timeline = page.getByTestId('application-timeline');
    const probe = timeline.locator('tr[data-reason="TimelineProbe"]');
    await probe.waitFor();
    const row = await probe.innerText();
    for (const text of [
      'Gantry',
      'controller/application',
      `${team}/hz-1`,
      'recorded by the browser test',
      '3',
    ])
      expect(row).toContain(text);

    // The cluster has no kubeconfig secret: its controller recorded the failure, and its creator the creation.
    await page.goto(`/fleet/clusters/${team}/hz-1?tab=events`);
    const events = page.getByTestId('events-table');
    const failed = events.locator('tr[data-reason="ClusterConnectionFailed"][data-type="Warning"]');
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.innerText()).toContain('SecretMissing');
    expect(await events.locator('tr[data-reason="ClusterCreated"]').innerText()).toContain('admin');
    expect(ui.pageErrors).toEqual([]);
  });
});
