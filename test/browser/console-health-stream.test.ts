import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExceptionRecord } from '@gantry/model';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createLatencyBaseline, startJumpingSeries } from './baseline-fixture.ts';
import { ensureConsoleBuilt, openBrowser, screenshot, signIn, type ConsoleBrowser } from './support.ts';

/**
 * The health center's live stream and Baselines tab against a real server (ADR 0027): items posted after
 * the page opened appear by themselves (an alert, an exception), an exception acknowledged through the
 * API changes state in place, the filters narrow the stream and stay in the address; the Baselines tab
 * lists a Baseline (a stand-in for Prometheus's range API whose series jumps) with its deviating series,
 * which opens its chart.
 */
describe('console: health stream and Baselines', () => {
  let server: TestServer;
  let ui: ConsoleBrowser;
  let admin: ReturnType<typeof client>;
  let prometheus: Awaited<ReturnType<typeof startJumpingSeries>>;

  const postAlert = async (alertname: string, node: string) => {
    const reply = await admin.post('/api/teams/ops/alertmanager/api/v2/alerts', [
      {
        labels: { alertname, severity: 'critical', cluster: 'c1', node },
        annotations: { summary: `${alertname} on ${node}` },
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: new Date(Date.now() + 30 * 60_000).toISOString(),
      },
    ]);
    expect(reply.status).toBe(200);
  };

  beforeAll(async () => {
    ensureConsoleBuilt();
    prometheus = await startJumpingSeries();
    server = await startTestServer();
    admin = client(server.url, server.adminToken);
    expect((await admin.post(`${BASE}/teams`, team('ops', []))).status).toBe(201);
    await createLatencyBaseline(admin, 'ops', prometheus.url);
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
        firstSeen: new Date(Date.now() - 5 * 60_000).toISOString(),
        lastSeen: new Date(Date.now() - 5 * 60_000).toISOString(),
      },
    ]);
    ui = await openBrowser(server.url);
    await signIn(ui.page, server.adminUsername, server.adminPassword);
  }, 120_000);

  afterAll(async () => {
    await ui?.close();
    await server?.close();
    await prometheus?.close();
  });

  it('shows items posted after the page opened, and an acknowledged exception in its new state', async () => {
    const { page } = ui;
    await page.goto('/health?team=ops&tab=stream');
    await page.getByTestId('stream-status').filter({ hasText: 'Live · updated' }).waitFor();
    await page.getByTestId('stream-row').filter({ hasText: 'cordoned for the PDU swap' }).waitFor();

    await postAlert('DiskFull', 'n7');
    const alertRow = page
      .locator('[data-testid="stream-row"][data-kind="alert"]')
      .filter({ hasText: 'DiskFull' });
    await alertRow.waitFor();
    expect(await alertRow.getByTestId('stream-state').innerText()).toBe('firing');

    const created = await admin.post('/api/teams/ops/exceptions', {
      title: 'checkout slow',
      severity: 'major',
      entities: [{ kind: 'Application', name: 'checkout' }],
    });
    expect(created.status).toBe(201);
    const id = (created.body as ExceptionRecord).id;
    const row = page.locator(`[data-testid="stream-row"][data-key="exception/${id}"]`);
    await row.getByTestId('stream-state').filter({ hasText: 'open' }).waitFor();
    expect(
      (await admin.post(`/api/teams/ops/exceptions/${id}/acknowledge`, { reason: 'on it' })).status,
    ).toBe(200);
    await row.getByTestId('stream-state').filter({ hasText: 'acknowledged' }).waitFor();
    // One row per item: the acknowledged exception replaced its open copy.
    expect(await page.locator(`[data-testid="stream-row"][data-key="exception/${id}"]`).count()).toBe(1);
    await screenshot(page, 'health-stream');
    expect(ui.pageErrors).toEqual([]);
  });

  it('narrows the stream with its filters, kept in the address', async () => {
    const { page } = ui;
    await page.goto('/health?team=ops&tab=stream');
    await page
      .locator('[data-testid="stream-row"][data-kind="exception"]')
      .filter({ hasText: 'checkout slow' })
      .waitFor();
    await page.getByTestId('stream-filter-text').fill('pdu swap');
    await page.getByTestId('stream-apply').click();
    await page.waitForURL(/q=pdu/);
    await page.getByTestId('stream-status').filter({ hasText: 'Live · updated' }).waitFor();
    await page.getByTestId('stream-row').filter({ hasText: 'cordoned for the PDU swap' }).waitFor();
    await expectOnly(page, 'event');

    // The filter is in the address: a reload (or a shared link) shows the same narrowed stream.
    await page.goto('/health?team=ops&tab=stream&kinds=alert');
    await page.getByTestId('stream-row').filter({ hasText: 'DiskFull' }).waitFor();
    await expectOnly(page, 'alert');
    // A new alert that passes the filter still comes live.
    await postAlert('MemoryHigh', 'n8');
    await page.getByTestId('stream-row').filter({ hasText: 'MemoryHigh' }).waitFor();
    await expectOnly(page, 'alert');
    expect(ui.pageErrors).toEqual([]);
  });

  it('lists a Baseline with its source, query, state and deviating series, which opens its chart', async () => {
    const { page } = ui;
    await page.goto('/health?team=ops&tab=baselines');
    const row = page.locator('[data-testid="baseline-row"][data-name="latency"]');
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain('prometheus');
    expect(text).toContain('sum by (job, instance)');
    // The server's evaluator checks the Baseline from its start: the jump is a deviating series.
    await row.getByTestId('baseline-deviating-count').filter({ hasText: '1' }).waitFor({ timeout: 40_000 });
    await row.getByTestId('baseline-series-count').filter({ hasText: '1' }).waitFor();
    await row.locator('.ant-table-row-expand-icon').click();
    await page.getByTestId('baseline-deviating-series').first().click();
    await page.waitForURL(/baseline=latency&series=/);
    await page.getByTestId('baseline-chart').locator('canvas').waitFor();
    await screenshot(page, 'health-baselines');
    expect(ui.pageErrors).toEqual([]);
  });
});

/** Waits until the stream shows rows of `kind` and no other (a poll under the new filter replaces the view). */
async function expectOnly(page: ConsoleBrowser['page'], kind: string): Promise<void> {
  await expect
    .poll(
      async () => [
        ...new Set(
          await page
            .getByTestId('stream-row')
            .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-kind'))),
        ),
      ],
      { timeout: 10_000 },
    )
    .toEqual([kind]);
}
