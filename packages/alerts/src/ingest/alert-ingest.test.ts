import { describe, expect, it } from 'vitest';
import type { Caller, Principal } from '@gantry/identity';
import type { AlertsIngested, AlertWrite } from '@gantry/store';
import { AlertIngest, type IngestMetrics } from './alert-ingest.ts';
import { normalizeAlert, parseDurationMs } from './normalize.ts';

const NOW = Date.parse('2026-03-01T10:00:00.000Z');
const caller = (teams: [string, 'viewer' | 'operator'][], admin = false): Caller => ({
  principal: { username: 'u', admin, teams: new Map(teams) } as Principal,
  source: 'test',
});

function harness(
  options: {
    failWith?: (alerts: readonly AlertWrite[]) => Error | undefined;
    writesOffThread?: boolean;
  } = {},
) {
  const writes: AlertWrite[][] = [];
  const counted: string[] = [];
  let seq = 0;
  let release: (() => void) | undefined;
  let hold = false;
  let writing: (() => void) | undefined;
  const metrics: IngestMetrics = {
    received: (source, n) => counted.push(`received:${source}:${n}`),
    rejected: (reason, n) => counted.push(`rejected:${reason}:${n}`),
    normalized: (reason, n) => counted.push(`normalized:${reason}:${n}`),
  };
  const ingest = new AlertIngest({
    repository: {
      writesOffThread: options.writesOffThread ?? false,
      upsert: async (alerts): Promise<AlertsIngested> => {
        writing?.();
        if (hold) await new Promise<void>((resolve) => (release = resolve));
        const error = options.failWith?.(alerts);
        if (error) throw error;
        writes.push([...alerts]);
        seq += alerts.length;
        return { fromSeq: seq - alerts.length + 1, toSeq: seq, teams: [], count: alerts.length };
      },
    },
    teamExists: (team) => Promise.resolve(team !== 'ghost'),
    metrics,
    now: () => NOW,
    resolveTimeoutMs: 300_000,
    teamLabel: 'team',
  });
  return {
    ingest,
    writes,
    counted,
    holdWrites: () => (hold = true),
    /** Resolves when the next write starts. */
    nextWrite: () => new Promise<void>((resolve) => (writing = resolve)),
    releaseWrites: () => {
      hold = false;
      release?.();
    },
  };
}

describe('normalizeAlert', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  const ok = (outcome: ReturnType<typeof normalizeAlert>) => {
    if (!outcome.ok) throw new Error(outcome.detail.message);
    return outcome;
  };

  it('fills missing times as Alertmanager does', () => {
    const filled = ok(normalizeAlert({ labels: { alertname: 'A' } }, '/0', NOW, 300_000));
    expect(filled.alert).toMatchObject({ startsAt: iso(NOW), endsAt: iso(NOW + 300_000) });
    expect(filled.normalized).toEqual(['starts_missing', 'ends_missing']);
    const ended = ok(normalizeAlert({ labels: { alertname: 'A' }, endsAt: iso(NOW - 5000) }, '/0', NOW, 1));
    expect(ended.alert).toMatchObject({ startsAt: iso(NOW - 5000), endsAt: iso(NOW - 5000) });
  });

  it('keeps small clock skew, moves a far-future start to now, refuses an end before the start', () => {
    const skew = ok(normalizeAlert({ labels: { alertname: 'A' }, startsAt: iso(NOW + 30_000) }, '', NOW, 1));
    expect(skew.alert.startsAt).toBe(iso(NOW + 30_000));
    const future = ok(
      normalizeAlert({ labels: { alertname: 'A' }, startsAt: iso(NOW + 3_600_000) }, '', NOW, 1),
    );
    expect(future.alert.startsAt).toBe(iso(NOW));
    expect(future.normalized).toContain('starts_in_future');
    const backwards = normalizeAlert(
      { labels: { alertname: 'A' }, startsAt: iso(NOW), endsAt: iso(NOW - 1) },
      '/2',
      NOW,
      1,
    );
    expect(backwards).toEqual({
      ok: false,
      reason: 'ends_before_starts',
      detail: { path: '/2/endsAt', message: 'is before startsAt' },
    });
  });

  it('drops empty label values and refuses what has no alertname left', () => {
    expect(ok(normalizeAlert({ labels: { alertname: 'A', z: '' } }, '', NOW, 1)).alert.labels).toEqual({
      alertname: 'A',
    });
    expect(normalizeAlert({ labels: { alertname: '', x: 'y' } }, '', NOW, 1)).toMatchObject({
      ok: false,
      reason: 'missing_alertname',
    });
  });

  it('reads resolve timeouts', () => {
    expect(parseDurationMs('5m')).toBe(300_000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(() => parseDurationMs('5 minutes')).toThrow(/invalid duration/);
  });
});

describe('AlertIngest', () => {
  it('binds by the team label on global paths and by the path otherwise', async () => {
    const { ingest, writes } = harness();
    await ingest.ingest(caller([['ops', 'operator']]), {
      source: 'prometheus',
      alerts: [{ labels: { alertname: 'A', team: 'ops' } }],
    });
    await ingest.ingest(caller([['dev', 'operator']]), {
      team: 'dev',
      source: 'generic',
      alerts: [{ labels: { alertname: 'A', team: 'ops' } }],
    });
    expect(writes.map((batch) => batch.map((w) => [w.team, w.source]))).toEqual([
      [['ops', 'prometheus']],
      [['dev', 'generic']],
    ]);
  });

  it('refuses a batch with one bad alert whole, and writes nothing', async () => {
    const { ingest, writes, counted } = harness();
    await expect(
      ingest.ingest(caller([['ops', 'operator']]), {
        team: 'ops',
        source: 'prometheus',
        alerts: [{ labels: { alertname: 'A' } }, { labels: { job: 'x' } }],
      }),
    ).rejects.toMatchObject({
      status: 400,
      details: [{ path: '/1/labels/alertname', message: 'is required' }],
    });
    expect(writes).toEqual([]);
    expect(counted).toEqual(['rejected:missing_alertname:1']);
  });

  it('needs operator in every team the batch names, and teams that exist', async () => {
    const { ingest, writes } = harness();
    const alerts = [{ labels: { alertname: 'A', team: 'ops' } }, { labels: { alertname: 'B', team: 'dev' } }];
    await expect(
      ingest.ingest(
        caller([
          ['ops', 'operator'],
          ['dev', 'viewer'],
        ]),
        { source: 'prometheus', alerts },
      ),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      ingest.ingest(caller([], true), { team: 'ghost', source: 'prometheus', alerts }),
    ).rejects.toMatchObject({ status: 404 });
    expect(writes).toEqual([]);
  });

  it('commits batches that arrive during a write together, and each alone when that fails', async () => {
    const { ingest, writes, holdWrites, releaseWrites, nextWrite } = harness({
      failWith: (alerts) =>
        alerts.some((a) => a.labels.alertname === 'Poison') ? new Error('boom') : undefined,
    });
    const post = (name: string) =>
      ingest.ingest(caller([['ops', 'operator']]), {
        team: 'ops',
        source: 'prometheus',
        alerts: [{ labels: { alertname: name } }],
      });
    holdWrites();
    let started = nextWrite();
    const first = post('First');
    await started;
    const rest = [post('Second'), post('Third')];
    releaseWrites();
    await Promise.all([first, ...rest]);
    expect(writes.map((batch) => batch.map((w) => w.labels.alertname))).toEqual([
      ['First'],
      ['Second', 'Third'],
    ]);

    writes.length = 0;
    holdWrites();
    started = nextWrite();
    const blocker = post('Blocker');
    await started;
    const good = post('Good');
    const poison = post('Poison');
    releaseWrites();
    await blocker;
    await expect(good).resolves.toEqual({ accepted: 1 });
    await expect(poison).rejects.toThrow('boom');
    expect(writes.map((batch) => batch.map((w) => w.labels.alertname))).toEqual([['Blocker'], ['Good']]);
  });

  it('commits the batches posted in one turn of the event loop together', async () => {
    const { ingest, writes } = harness();
    const post = (name: string) =>
      ingest.ingest(caller([['ops', 'operator']]), {
        team: 'ops',
        source: 'prometheus',
        alerts: [{ labels: { alertname: name } }],
      });
    await Promise.all([post('A'), post('B'), post('C')]);
    await post('D');
    expect(writes.map((batch) => batch.map((w) => w.labels.alertname))).toEqual([['A', 'B', 'C'], ['D']]);
  });

  it('starts a write that leaves the event loop free at once; what arrives meanwhile is the next group', async () => {
    const { ingest, writes } = harness({ writesOffThread: true });
    const post = (name: string) =>
      ingest.ingest(caller([['ops', 'operator']]), {
        team: 'ops',
        source: 'prometheus',
        alerts: [{ labels: { alertname: name } }],
      });
    await Promise.all([post('A'), post('B'), post('C')]);
    expect(writes.map((batch) => batch.map((w) => w.labels.alertname))).toEqual([['A'], ['B', 'C']]);
  });
});
