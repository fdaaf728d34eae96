import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const consoleDir = join(repoRoot, 'apps/console');
const consoleIndex = join(consoleDir, 'dist/index.html');
const chromiumPath = process.env['GANTRY_CHROMIUM'] ?? '/usr/bin/chromium';

function newestSourceTime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestSourceTime(join(path, entry)));
  return newest;
}

/**
 * Builds the console with Vite when apps/console/dist is missing or older than its sources (its own and
 * those of the workspace packages it bundles), so that the test server serves what the tests were written
 * against.
 */
export function ensureConsoleBuilt(): void {
  const sources = [
    ...['src', 'index.html', 'vite.config.ts', 'package.json'].map((path) => join(consoleDir, path)),
    // Workspace packages the console bundles from source.
    join(repoRoot, 'packages/client/src'),
  ];
  const newest = Math.max(...sources.filter(existsSync).map(newestSourceTime));
  if (existsSync(consoleIndex) && statSync(consoleIndex).mtimeMs >= newest) return;
  // Vitest sets NODE_ENV=test, which would give React's development build.
  execFileSync('npm', ['run', 'build', '-w', '@gantry/console'], {
    cwd: repoRoot,
    stdio: 'pipe',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

export interface ConsoleBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Errors the page threw: a console that throws should fail the test that caused it. */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

/**
 * Debian's Chromium, headless, with a fresh throwaway profile. Playwright takes the profile directory
 * through launchPersistentContext (it refuses `--user-data-dir` among the args).
 */
export async function openBrowser(baseURL: string): Promise<ConsoleBrowser> {
  if (!existsSync(chromiumPath))
    throw new Error(`Chromium not found at ${chromiumPath}: apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'gantry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    baseURL,
    viewport: { width: 1440, height: 900 },
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return {
    context,
    page,
    pageErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the login form and waits for the shell. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('current-user').filter({ hasText: username }).waitFor();
}

/** Replaces the whole text of the CodeMirror editor on the page. */
export async function replaceEditorText(page: Page, text: string): Promise<void> {
  const content = page.locator('.cm-content');
  await content.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** Saves a screenshot of the viewport for a human to look at (GANTRY_SCREENSHOT_DIR, else a temp folder). */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = process.env['GANTRY_SCREENSHOT_DIR'] ?? join(tmpdir(), 'gantry-console-screenshots');
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/**
 * Submits the open reason modal (components/reason-modal.tsx) once its opening animation has ended: with
 * `reason`, typed in first; without, to see that a reason is required. A click that lands while the dialog
 * still zooms in can miss its button (seen once in CI), so the empty submit is repeated until
 * the required-reason message shows — it sends nothing either way.
 */
export async function submitReason(page: Page, reason?: string): Promise<void> {
  const input = page.getByTestId('reason-input');
  const submit = page.getByTestId('reason-submit');
  await input.waitFor();
  await page.evaluate(`Promise.allSettled(
    document.getAnimations()
      .filter((animation) => animation.effect?.target?.closest?.('.ant-modal-root'))
      .map((animation) => animation.finished),
  )`);
  if (reason !== undefined) {
    await input.fill(reason);
    await submit.click();
    return;
  }
  const required = page.getByText('Say why: it is recorded with your name.');
  for (let attempt = 1; ; attempt++) {
    await submit.click();
    try {
      await required.waitFor({ timeout: 3_000 });
      return;
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}
