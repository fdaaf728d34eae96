import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { ensureConsoleBuilt, openBrowser, screenshot, signIn, type ConsoleBrowser } from './support.ts';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

describe('console shell', () => {
  let server: TestServer;
  let ui: ConsoleBrowser;

  beforeAll(async () => {
    ensureConsoleBuilt();
    server = await startTestServer();
    ui = await openBrowser(server.url);
  });

  afterAll(async () => {
    await ui?.close();
    await server?.close();
  });

  it('sends a signed-out visitor to the login page', async () => {
    await ui.page.goto('/resources');
    await ui.page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(new URL(ui.page.url()).pathname).toBe('/login');
  });

  it('shows the server error for a wrong password', async () => {
    await ui.page.goto('/login');
    await ui.page.getByLabel('Username').fill(server.adminUsername);
    await ui.page.getByLabel('Password').fill('definitely-not-the-password');
    await ui.page.getByRole('button', { name: 'Sign in' }).click();
    const error = ui.page.getByTestId('login-error');
    await error.waitFor();
    expect((await error.innerText()).trim().length).toBeGreaterThan(0);
    expect(await ui.page.evaluate('document.cookie')).not.toContain('gantry_csrf=');
  });

  it('signs in and shows the platform map in the navigation', async () => {
    await signIn(ui.page, server.adminUsername, server.adminPassword);
    const nav = ui.page.locator('.ant-layout-sider');
    for (const section of [
      'Delivery',
      'Monitoring',
      'Management',
      'Control',
      'Operations',
      'Service',
      'Administration',
    ]) {
      await nav.getByText(section, { exact: true }).waitFor();
    }
    for (const entry of [
      'teams',
      'clusters',
      'applications',
      'events',
      'alerts',
      'health',
      'changes',
      'healing',
      'scaling',
      'search',
      'users',
      'tokens',
      'audit',
      'resources',
    ]) {
      await nav.getByTestId(`nav-${entry}`).waitFor();
    }
    await screenshot(ui.page, 'overview');
  });

  it('says plainly when a section is not available on this server', async () => {
    const kinds = (await (
      await fetch(`${server.url}/api/kinds`, { headers: { authorization: `Bearer ${server.adminToken}` } })
    ).json()) as {
      items: { kind: string }[];
    };
    // Elastic scaling arrives with its own capability; until then the section says so instead of faking data.
    expect(kinds.items.some((kind) => kind.kind === 'ScalingPolicy')).toBe(false);
    await ui.page.getByTestId('nav-scaling').click();
    await ui.page.getByTestId('not-available').getByText('Not available in this version').waitFor();
    expect(new URL(ui.page.url()).pathname).toBe('/platform/scaling');
    // A section whose kind the server has leads to its page: self-healing's runs, approvals and policies.
    expect(kinds.items.some((kind) => kind.kind === 'HealingPolicy')).toBe(true);
    await ui.page.getByTestId('nav-healing').click();
    await expect.poll(() => new URL(ui.page.url()).pathname).toBe('/healing');
  });

  it('lists the server kinds in the resource browser', async () => {
    await ui.page.getByTestId('nav-resources').click();
    const table = ui.page.getByTestId('kinds-table');
    await table.getByRole('link', { name: 'Team', exact: true }).waitFor();
  });

  it('goes back to the login page when the server rejects the session', async () => {
    await ui.context.addCookies([
      { name: 'gantry_session', value: 'gns_revoked', url: server.url, httpOnly: true, sameSite: 'Strict' },
      { name: 'gantry_csrf', value: 'stale', url: server.url, sameSite: 'Strict' },
    ]);
    await ui.page.goto('/resources');
    await ui.page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await ui.page.evaluate('document.cookie')).not.toContain('gantry_csrf=');
  });

  it('signs out from the user menu', async () => {
    await signIn(ui.page, server.adminUsername, server.adminPassword);
    await ui.page.getByTestId('user-menu').click();
    await ui.page.getByText('Sign out').click();
    await ui.page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(ui.pageErrors).toEqual([]);
  });
});
