import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { ensureConsoleBuilt, openBrowser, signIn, type ConsoleBrowser } from './support.ts';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** The console keeps its session in an HttpOnly cookie that no script can read, with a CSRF header. */
describe('console session', () => {
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

  it('keeps the session in an HttpOnly, SameSite=Strict cookie, not in storage a script can read', async () => {
    await signIn(ui.page, server.adminUsername, server.adminPassword);
    const cookies = await ui.context.cookies(server.url);
    const session = cookies.find((cookie) => cookie.name === 'gantry_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(session!.value).toMatch(/^gns_/);
    const seen = (await ui.page.evaluate(
      '({ cookie: document.cookie, local: JSON.stringify(localStorage), session: JSON.stringify(sessionStorage) })',
    )) as { cookie: string; local: string; session: string };
    for (const place of Object.values(seen)) expect(place).not.toContain(session!.value);
    expect(seen.cookie).toContain('gantry_csrf=');
  });

  it('refuses a script-made write without the CSRF header, and the console sends it', async () => {
    const status = (headers: Record<string, string>) =>
      ui.page.evaluate(
        async ([h]) =>
          (
            await fetch('/api/tokens', {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...h },
              body: JSON.stringify({ name: 'from-the-page' }),
            })
          ).status,
        [headers] as const,
      );
    expect(await status({})).toBe(403);
    const csrf = (await ui.page.evaluate(
      "document.cookie.split('; ').find((c) => c.startsWith('gantry_csrf=')).slice('gantry_csrf='.length)",
    )) as string;
    expect(await status({ 'x-gantry-csrf': csrf })).toBe(201);
    // The console's own write (through the tokens page) goes through.
    await ui.page.goto('/tokens');
    await ui.page.getByText('from-the-page').waitFor();
  });

  it('signs out: the session is revoked and its cookies are gone', async () => {
    const before = (await ui.context.cookies(server.url)).find((c) => c.name === 'gantry_session')!.value;
    await ui.page.getByTestId('user-menu').click();
    await ui.page.getByText('Sign out').click();
    await ui.page.getByRole('button', { name: 'Sign in' }).waitFor();
    const names = (await ui.context.cookies(server.url)).map((cookie) => cookie.name);
    expect(names).not.toContain('gantry_session');
    expect(names).not.toContain('gantry_csrf');
    const reused = await fetch(`${server.url}/api/me`, { headers: { cookie: `gantry_session=${before}` } });
    expect(reused.status).toBe(401);
    expect(ui.pageErrors).toEqual([]);
  });
});
