import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectionHarness, TEAM } from './test-support.ts';
import { diffRuns } from './diff.ts';

type Harness = Awaited<ReturnType<typeof inspectionHarness>>;
let h: Harness;

const DISK = {
  schedule: { cron: '*/5 * * * *' },
  checks: [
    {
      name: 'disk',
      promql: { source: 'prometheus', query: 'disk_used_ratio', condition: 'value > 0.8' },
      scoreExpression: 'value > 0.9 ? 90 : 60',
      title: '${labels.node} is ${string(int(value * 100.0))}% full',
    },
  ],
};

const sample = (node: string, value: number) => ({ labels: { cluster: 'c1', node }, value });

beforeEach(async () => {
  h = await inspectionHarness();
});
afterEach(async () => {
  await h.store.close();
});

describe('InspectionRunner', () => {
  it('records one risk per series whose condition holds, with score, title and entities', async () => {
    const inspection = await h.apply('disk', DISK);
    h.prometheus.answer = { ok: true, samples: [sample('n1', 0.95), sample('n2', 0.5), sample('n3', 0.85)] };
    const run = (await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' }))!;
    expect(run.state).toBe('succeeded');
    expect(run.results[0]).toMatchObject({ outcome: 'risks', reason: 'RisksFound' });
    expect(run.counts).toMatchObject({ checks: 1, risks: 1, findings: 2 });
    const risks = (await h.store.risks.list({ team: TEAM, state: 'open', limit: 10 })).items;
    expect(risks.map((r) => [r.title, r.score]).sort()).toEqual([
      ['n1 is 95% full', 90],
      ['n3 is 85% full', 60],
    ]);
    expect(risks[0]!.entities).toContainEqual({ kind: 'Cluster', name: 'c1' });
    expect(risks[0]!.source).toMatchObject({
      kind: 'Inspection',
      name: 'disk',
      check: 'disk',
      runId: run.id,
    });
    const status = (await h.get('disk')).status!;
    expect(status.lastRun).toMatchObject({ id: run.id, findings: 2, failed: 0 });
    expect(status.conditions?.[0]).toMatchObject({
      type: 'ChecksSucceeded',
      status: 'True',
      reason: 'AllChecksRan',
    });
  });

  it('updates risks seen again and closes those no longer seen; a risk that returns is a new record', async () => {
    const inspection = await h.apply('disk', DISK);
    h.prometheus.answer = { ok: true, samples: [sample('n1', 0.95), sample('n3', 0.85)] };
    await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' });
    h.clock.set(h.clock.now() + 60_000);
    h.prometheus.answer = { ok: true, samples: [sample('n1', 0.85), sample('n3', 0.5)] };
    await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' });
    const all = (await h.store.risks.list({ team: TEAM, limit: 10 })).items;
    const n1 = all.find((r) => r.title.startsWith('n1'))!;
    expect(n1).toMatchObject({
      state: 'open',
      score: 60,
      firstSeenAt: '2026-03-02T10:00:00.000Z',
      lastSeenAt: '2026-03-02T10:01:00.000Z',
    });
    expect(all.find((r) => r.title.startsWith('n3'))).toMatchObject({
      state: 'gone',
      goneAt: '2026-03-02T10:01:00.000Z',
    });
    h.prometheus.answer = { ok: true, samples: [sample('n1', 0.85), sample('n3', 0.9)] };
    await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' });
    const n3 = (await h.store.risks.list({ team: TEAM, limit: 10 })).items.filter((r) =>
      r.key.includes('n3'),
    );
    expect(n3.map((r) => r.state).sort()).toEqual(['gone', 'open']);
  });

  it('a Prometheus that is down fails the check with why, records no risk and closes none, and warns', async () => {
    const inspection = await h.apply('disk', DISK);
    h.prometheus.answer = { ok: true, samples: [sample('n1', 0.95)] };
    await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' });
    h.prometheus.answer = {
      ok: false,
      reason: 'SourceUnreachable',
      message: 'cannot reach http://p:9090: ECONNREFUSED',
    };
    const run = (await h.runner.run(await h.get('disk'), { trigger: 'manual', createdBy: 'alice' }))!;
    expect(run.state).toBe('failed');
    expect(run.results[0]).toMatchObject({ outcome: 'failed', reason: 'SourceUnreachable', findings: [] });
    expect(run.results[0]!.message).toContain('ECONNREFUSED');
    const open = (await h.store.risks.list({ team: TEAM, state: 'open', limit: 10 })).items;
    expect(open).toHaveLength(1); // the earlier risk is neither closed nor duplicated
    expect(h.recorder.events.map((e) => [e.type, e.reason])).toContainEqual([
      'Warning',
      'InspectionCheckFailed',
    ]);
    const condition = (await h.get('disk')).status!.conditions!.find((c) => c.type === 'ChecksSucceeded')!;
    expect(condition).toMatchObject({ status: 'False', reason: 'ChecksFailed' });
    expect(condition.message).toContain('SourceUnreachable');
  });

  it('an empty answer is noData by default (nothing recorded or closed), and no risk with whenEmpty noRisk', async () => {
    const inspection = await h.apply('disk', DISK);
    h.prometheus.answer = { ok: true, samples: [sample('n1', 0.95)] };
    await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' });
    h.prometheus.answer = { ok: true, samples: [] };
    const run = (await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' }))!;
    expect(run.state).toBe('succeeded');
    expect(run.results[0]).toMatchObject({ outcome: 'noData', reason: 'NoData' });
    expect((await h.store.risks.list({ team: TEAM, state: 'open', limit: 10 })).items).toHaveLength(1);
    expect((await h.get('disk')).status!.conditions![0]).toMatchObject({ reason: 'SomeChecksHadNoData' });

    const noRisk = await h.apply('disk-strict', {
      ...DISK,
      checks: [{ ...DISK.checks[0], promql: { ...DISK.checks[0]!.promql, whenEmpty: 'noRisk' } }],
    });
    h.prometheus.answer = { ok: true, samples: [sample('n1', 0.95)] };
    await h.runner.run(noRisk, { trigger: 'manual', createdBy: 'alice' });
    h.prometheus.answer = { ok: true, samples: [] };
    const second = (await h.runner.run(noRisk, { trigger: 'manual', createdBy: 'alice' }))!;
    expect(second.results[0]).toMatchObject({ outcome: 'ok' });
    const strict = await h.store.risks.list({ team: TEAM, sourceName: 'disk-strict', limit: 10 });
    expect(strict.items.map((r) => r.state)).toEqual(['gone']);
  });

  it('a condition that does not give a bool fails the check on the object, naming it', async () => {
    h.data.items.nodes = [
      {
        key: 'c1/n1',
        label: 'node n1',
        entities: [{ kind: 'Node', name: 'n1', cluster: 'c1' }],
        binding: { name: 'n1', ready: true },
      },
    ];
    const inspection = await h.apply('odd', {
      schedule: { cron: '0 * * * *' },
      checks: [{ name: 'names', inventory: { over: 'nodes', condition: 'node.name' } }],
    });
    const run = (await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' }))!;
    expect(run.results[0]).toMatchObject({ outcome: 'failed', reason: 'ConditionFailed' });
    expect(run.results[0]!.message).toContain('c1/n1');
  });

  it('inventory and aggregate checks read the team’s objects once per run; maxRisks caps by score', async () => {
    h.data.items.nodes = ['n1', 'n2', 'n3'].map((name, i) => ({
      key: `c1/${name}`,
      label: `node ${name}`,
      entities: [{ kind: 'Node', name, cluster: 'c1' }],
      binding: { name, ready: i !== 0, pressure: i === 2 ? ['DiskPressure'] : [] },
    }));
    const inspection = await h.apply('fleet', {
      schedule: { cron: '0 * * * *' },
      checks: [
        { name: 'not-ready', inventory: { over: 'nodes', condition: '!node.ready' }, score: 80 },
        { name: 'pressure', inventory: { over: 'nodes', condition: 'node.pressure.size() > 0' } },
        {
          name: 'any',
          inventory: { over: 'nodes', condition: 'true' },
          scoreExpression: "node.name == 'n2' ? 70 : 10",
          maxRisks: 1,
        },
        { name: 'many-down', cel: { condition: 'nodes.filter(n, !n.ready).size() >= 1' }, score: 65 },
      ],
    });
    const run = (await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' }))!;
    expect(h.data.reads).toBe(1);
    expect(run.results.map((r) => [r.check, r.findings.map((f) => f.key), r.dropped])).toEqual([
      ['not-ready', ['c1/n1'], 0],
      ['pressure', ['c1/n3'], 0],
      ['any', ['c1/n2'], 2],
      ['many-down', ['many-down'], 0],
    ]);
    expect(run.results[3]!.findings[0]!.entities).toEqual([{ kind: 'Team', name: TEAM }]);
  });

  it('a check removed from the spec closes its open risks at the next run', async () => {
    h.data.items.nodes = [
      { key: 'c1/n1', label: 'node n1', entities: [], binding: { name: 'n1', ready: false } },
    ];
    const inspection = await h.apply('two', {
      schedule: { cron: '0 * * * *' },
      checks: [
        { name: 'a', inventory: { over: 'nodes', condition: '!node.ready' } },
        { name: 'b', inventory: { over: 'nodes', condition: '!node.ready' } },
      ],
    });
    await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' });
    const edited = { ...inspection, spec: { ...inspection.spec, checks: [inspection.spec.checks[0]!] } };
    await h.runner.run(edited, { trigger: 'manual', createdBy: 'alice' });
    const risks = (await h.store.risks.list({ team: TEAM, limit: 10 })).items;
    expect(risks.map((r) => [r.source.check, r.state]).sort()).toEqual([
      ['a', 'open'],
      ['b', 'gone'],
    ]);
  });

  it('diffs two runs: new, gone, changed; checks without a verdict in either run are unknown', async () => {
    const inspection = await h.apply('disk', {
      ...DISK,
      checks: [
        ...DISK.checks,
        { name: 'other', promql: { source: 'missing', query: 'up', condition: 'true' } },
      ],
    });
    h.prometheus.answer = { ok: true, samples: [sample('n1', 0.95), sample('n2', 0.85), sample('n3', 0.85)] };
    const first = (await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' }))!;
    h.prometheus.answer = { ok: true, samples: [sample('n1', 0.85), sample('n3', 0.85), sample('n4', 0.99)] };
    const second = (await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' }))!;
    const diff = diffRuns(second, first);
    expect(diff.new.map((e) => e.key)).toEqual(['{cluster="c1",node="n4"}']);
    expect(diff.gone.map((e) => e.key)).toEqual(['{cluster="c1",node="n2"}']);
    expect(diff.changed.map((e) => [e.key, e.previousScore, e.score])).toEqual([
      ['{cluster="c1",node="n1"}', 90, 60],
    ]);
    expect(diff.unchanged).toBe(1);
    expect(diff.unknown).toEqual(['other']);
    expect(second.results[1]).toMatchObject({ outcome: 'failed', reason: 'SourceNotFound' });

    h.prometheus.answer = { ok: false, reason: 'SourceUnreachable', message: 'down' };
    const third = (await h.runner.run(inspection, { trigger: 'manual', createdBy: 'alice' }))!;
    const blind = diffRuns(third, second);
    expect(blind).toMatchObject({ new: [], gone: [], changed: [], unknown: ['disk', 'other'] });
  });

  it('a scheduled slot is claimed once: the same slot again does not run', async () => {
    const inspection = await h.apply('disk', DISK);
    const slot = Date.parse('2026-03-02T10:05:00Z');
    expect(
      await h.runner.run(inspection, { trigger: 'schedule', slot, createdBy: 'controller' }),
    ).toBeDefined();
    expect(
      await h.runner.run(inspection, { trigger: 'schedule', slot, createdBy: 'controller' }),
    ).toBeUndefined();
    expect((await h.store.risks.listRuns(TEAM, 'disk', 10)).items).toHaveLength(1);
  });
});
