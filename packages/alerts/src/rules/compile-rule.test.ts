import { describe, expect, it } from 'vitest';
import { createCelEngine } from '@gantry/delivery';
import type { AlertRuleSpec } from '@gantry/model';
import { compileRule } from './compile-rule.ts';

const engine = createCelEngine();
const base: AlertRuleSpec = {
  interval: '30s',
  for: '5m',
  keepFiringFor: '0s',
  severity: 'warning',
  maxSeries: 500,
};
const team = { kind: 'AlertRule', team: 'shop' } as const;

describe('compileRule', () => {
  it('compiles a CEL rule and renders its templates over labels and value', () => {
    const compiled = compileRule(
      engine,
      {
        ...base,
        cel: { over: 'nodes', condition: '!node.ready', value: 'node.conditions.Ready.forSeconds' },
        labels: { area: 'fleet-${labels.cluster}' },
        annotations: { summary: 'node ${labels.node} not ready for ${value}s', literal: 'costs $${5}' },
      },
      team,
    );
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    expect(compiled.rule).toMatchObject({ intervalMs: 30_000, forMs: 300_000, keepFiringForMs: 0 });
    expect(compiled.rule.labels.render({ labels: { cluster: 'east' }, value: 1 })).toEqual({
      area: 'fleet-east',
    });
    expect(compiled.rule.annotations.render({ labels: { node: 'n1' }, value: 42 })).toEqual({
      summary: 'node n1 not ready for 42s',
      literal: 'costs ${5}',
    });
  });

  it('leaves an <error: ...> where a template fails at run time, as Prometheus does', () => {
    const compiled = compileRule(
      engine,
      { ...base, cel: { over: 'clusters', condition: 'true' }, annotations: { s: 'x ${labels.missing} y' } },
      team,
    );
    if (!compiled.ok) throw new Error('expected to compile');
    expect(compiled.rule.annotations.render({ labels: {}, value: 1 }).s).toMatch(
      /^x <error: .*missing.*> y$/,
    );
  });

  it('reports every problem with its field path', () => {
    const compiled = compileRule(
      engine,
      {
        ...base,
        interval: '500ms',
        cel: { over: 'nodes', condition: 'node.ready &&', value: '(' },
        labels: { alertname: 'x', team: 'other', bad: '${labels.' },
        annotations: { summary: '${1 +}' },
      },
      team,
    );
    expect(compiled.ok).toBe(false);
    if (compiled.ok) return;
    expect(compiled.errors.map((e) => e.path).sort()).toEqual([
      '/spec/annotations/summary',
      '/spec/cel/condition',
      '/spec/cel/value',
      '/spec/interval',
      '/spec/labels/alertname',
      '/spec/labels/bad',
      '/spec/labels/team',
    ]);
  });

  it('needs exactly one of promql and cel', () => {
    const neither = compileRule(engine, base, team);
    const both = compileRule(
      engine,
      {
        ...base,
        promql: { expr: 'up == 0', source: { name: 'prom' } },
        cel: { over: 'nodes', condition: 'true' },
      },
      team,
    );
    for (const compiled of [neither, both]) {
      expect(compiled.ok).toBe(false);
      if (!compiled.ok)
        expect(compiled.errors).toEqual([{ path: '/spec', message: 'set exactly one of promql and cel' }]);
    }
  });

  it("binds a team's PromQL rule to its own team's source, and a global rule to the one it names", () => {
    const promql = { expr: 'up == 0', source: { name: 'prom' } };
    const own = compileRule(engine, { ...base, promql }, team);
    expect(own.ok && own.rule.query).toEqual({
      kind: 'promql',
      expr: 'up == 0',
      source: { team: 'shop', name: 'prom' },
    });
    const foreign = compileRule(
      engine,
      { ...base, promql: { ...promql, source: { name: 'prom', team: 'ops' } } },
      team,
    );
    expect(!foreign.ok && foreign.errors.map((e) => e.path)).toEqual(['/spec/promql/source/team']);
    const global = compileRule(engine, { ...base, promql }, { kind: 'GlobalAlertRule' });
    expect(!global.ok && global.errors.map((e) => e.path)).toEqual(['/spec/promql/source/team']);
    const named = compileRule(
      engine,
      { ...base, promql: { ...promql, source: { name: 'prom', team: 'ops' } } },
      { kind: 'GlobalAlertRule' },
    );
    expect(named.ok && named.rule.query).toMatchObject({ source: { team: 'ops', name: 'prom' } });
  });
});
