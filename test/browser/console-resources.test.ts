import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import {
  ensureConsoleBuilt,
  openBrowser,
  replaceEditorText,
  screenshot,
  signIn,
  type ConsoleBrowser,
} from './support.ts';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

const teamYaml = (name: string, role: string) => `apiVersion: gantry.dev/v1alpha1
kind: Team
metadata:
  name: ${name}
  labels:
    tier: platform
spec:
  displayName: Platform SRE
  members:
    - user: alice
      role: ${role}
`;

describe('console resources, identity and audit', () => {
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

  beforeAll(async () => {
    ensureConsoleBuilt();
    server = await startTestServer();
    ui = await openBrowser(server.url);
    await signIn(ui.page, server.adminUsername, server.adminPassword);
  });

  afterAll(async () => {
    await ui?.close();
    await server?.close();
  });

  it('creates a user and an API token whose secret is shown once', async () => {
    const { page } = ui;
    await page.goto('/admin/users');
    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Username').fill('alice');
    await dialog.getByLabel('Password').fill('correct-horse-battery-staple');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('users-table').locator('tr', { hasText: 'alice' }).waitFor();

    await page.goto('/tokens');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('ci-deploy');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    const secretBox = page.getByTestId('token-secret');
    await secretBox.waitFor();
    const secret = (await secretBox.innerText()).trim();
    expect(secret).toMatch(/^gnt_[A-Za-z0-9_-]{20,}$/);
    await screenshot(page, 'token-created');

    const me = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${secret}` } });
    expect(me.status).toBe(200);

    await page.getByRole('button', { name: 'I have copied it' }).click();
    await secretBox.waitFor({ state: 'detached' });
    await page.getByTestId('tokens-table').locator('tr', { hasText: 'ci-deploy' }).waitFor();
    expect((await page.content()).includes(secret)).toBe(false);
    await page.reload();
    await page.getByTestId('tokens-table').locator('tr', { hasText: 'ci-deploy' }).waitFor();
    expect((await page.content()).includes(secret)).toBe(false);
  });

  it('creates a Team from the YAML editor and lists it', async () => {
    const { page } = ui;
    await page.goto('/resources/teams/new');
    await page.locator('.cm-content').waitFor();
    await replaceEditorText(page, teamYaml('platform-sre', 'operator'));

    await page.getByTestId('editor-dry-run').click();
    await page.getByTestId('dry-run-result').waitFor();
    expect((await api('/apis/gantry.dev/v1alpha1/teams/platform-sre')).status).toBe(404);

    await page.getByTestId('editor-submit').click();
    await page.waitForURL('**/resources/teams/platform-sre');
    await page.getByTestId('page-title').getByText('platform-sre').waitFor();

    const stored = (await (await api('/apis/gantry.dev/v1alpha1/teams/platform-sre')).json()) as {
      spec: { members: { user: string; role: string }[] };
    };
    expect(stored.spec.members).toEqual([{ user: 'alice', role: 'operator' }]);

    await page.goto('/resources/teams');
    const row = page.getByTestId('resource-table').locator('tr', { hasText: 'platform-sre' });
    await row.waitFor();
    expect(await row.innerText()).toContain('tier=platform');
    await screenshot(page, 'team-list');
  });

  it('shows a server validation error on the line of its path', async () => {
    const { page } = ui;
    await page.goto('/resources/teams/platform-sre?tab=yaml');
    await page.locator('.cm-content').waitFor();
    const current = await page.locator('.cm-content').innerText();
    await replaceEditorText(page, current.replace('role: operator', 'role: superuser'));
    await page.getByTestId('editor-submit').click();

    const problems = page.getByTestId('validation-problems');
    await problems.getByText('/spec/members/0/role').first().waitFor();
    const flagged = page.locator('.cm-line', { has: page.locator('.cm-lintRange-error') });
    await flagged.first().waitFor();
    expect(await flagged.allInnerTexts()).toContainEqual(expect.stringContaining('role: superuser'));
    await screenshot(page, 'validation-error');

    const stored = (await (await api('/apis/gantry.dev/v1alpha1/teams/platform-sre')).json()) as {
      spec: { members: { role: string }[] };
    };
    expect(stored.spec.members[0]?.role).toBe('operator');
  });

  it('saves an edit and shows the new resource version', async () => {
    const { page } = ui;
    await page.goto('/resources/teams/platform-sre?tab=yaml');
    await page.locator('.cm-content').waitFor();
    const before = (await (await api('/apis/gantry.dev/v1alpha1/teams/platform-sre')).json()) as {
      metadata: { resourceVersion: string };
    };
    const current = await page.locator('.cm-content').innerText();
    await replaceEditorText(page, current.replace('role: operator', 'role: viewer'));
    await page.getByTestId('editor-submit').click();
    await page.locator('.ant-message').getByText('Saved', { exact: true }).waitFor();
    await expect
      .poll(async () => {
        const team = (await (await api('/apis/gantry.dev/v1alpha1/teams/platform-sre')).json()) as {
          metadata: { resourceVersion: string };
          spec: { members: { role: string }[] };
        };
        return `${team.spec.members[0]?.role} ${team.metadata.resourceVersion !== before.metadata.resourceVersion}`;
      })
      .toBe('viewer true');
  });

  it('shows a rejected label selector under the selector box', async () => {
    const { page } = ui;
    await page.goto('/resources/teams');
    await page.getByLabel('Label selector').fill('tier in (');
    await page.getByRole('button', { name: 'Apply' }).click();
    const error = page.getByTestId('selector-error');
    await error.waitFor();
    expect(await error.innerText()).toContain('label selector');
  });

  it('follows the watch stream: a team created elsewhere appears without a reload', async () => {
    const { page } = ui;
    await page.goto('/resources/teams');
    await page.getByTestId('resource-table').locator('tr', { hasText: 'platform-sre' }).waitFor();
    await page.getByTestId('watch-state').getByText('Live').waitFor();
    const created = await api('/apis/gantry.dev/v1alpha1/teams', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Team',
        metadata: { name: 'data-infra' },
        spec: { members: [] },
      }),
    });
    expect(created.status).toBe(201);
    await page.getByTestId('resource-table').locator('tr', { hasText: 'data-infra' }).waitFor();
  });

  it('shows the mutations in the audit log with a readable diff', async () => {
    const { page } = ui;
    await page.goto('/admin/audit');
    const table = page.getByTestId('audit-table');
    await table.locator('tr', { hasText: 'platform-sre' }).first().waitFor();
    await table.locator('tr', { hasText: 'alice' }).first().waitFor();
    await table.locator('tr', { hasText: 'ci-deploy' }).first().waitFor();

    await page.getByLabel('Name').fill('platform-sre');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(async () =>
        (await table.locator('tbody tr.ant-table-row').allInnerTexts()).every((row) =>
          row.includes('platform-sre'),
        ),
      )
      .toBe(true);

    const update = table.locator('tr.ant-table-row', { hasText: 'update' }).first();
    await update.locator('.ant-table-row-expand-icon').click();
    const diff = page.getByTestId('audit-diff').first();
    await diff.waitFor();
    const text = await diff.innerText();
    expect(text).toContain('/spec/members/0/role');
    expect(text).toContain('"operator"');
    expect(text).toContain('"viewer"');
    await screenshot(page, 'audit-log');
    expect(ui.pageErrors).toEqual([]);
  });

  it('pages lists with limit and continue behind "Load more"', async () => {
    const { page } = ui;
    for (let index = 0; index < 55; index += 1) {
      const name = `load-${String(index).padStart(2, '0')}`;
      const created = await api('/apis/gantry.dev/v1alpha1/teams', {
        method: 'POST',
        body: JSON.stringify({
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Team',
          metadata: { name },
          spec: { members: [] },
        }),
      });
      expect(created.status).toBe(201);
    }
    // 55 + platform-sre + data-infra; the console asks for 50 at a time.
    await page.goto('/resources/teams');
    const count = page.getByTestId('list-count');
    await count.getByText('50 shown').waitFor();
    await page.getByRole('button', { name: 'Load more' }).click();
    await count.getByText('57 shown').waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    await page.goto('/admin/audit');
    const entries = page.getByTestId('audit-count');
    await entries.getByText('50 entries shown').waitFor();
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(async () => Number((await entries.innerText()).split(' ')[0])).toBeGreaterThan(50);
  });
});
