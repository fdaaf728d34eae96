import { describe, expect, it } from 'vitest';
import { createCelEngine } from '@gantry/delivery';
import type { CorrelationRuleSpec } from '@gantry/model';
import { compileCorrelationRule } from './compile-rule.ts';

const cel = createCelEngine();
const base: CorrelationRuleSpec = {
  match: 'labels.alertname == "NodeDown"',
  groupBy: [],
  window: '5m',
  threshold: 1,
  title: 'x',
  severity: 'major',
  resolveOn: 'last_resolved',
  enabled: true,
};

describe('compiling a CorrelationRule', () => {
  it('names the path and the expression of every problem', () => {
    const result = compileCorrelationRule(cel, 'bad', {
      ...base,
      match: 'labels.alertname ==',
      groupBy: [{ label: 'dc', cel: 'labels.dc' }, { cel: 'labels.row' }, { name: 'row', cel: 'labels.(' }],
      title: 'Power in ${shared.dc +}',
      window: '30s1m',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual([
      '/spec/match',
      '/spec/groupBy/0',
      '/spec/groupBy/1/name',
      '/spec/groupBy/2/cel',
      '/spec/title',
      '/spec/window',
    ]);
    expect(result.errors[0]!.message).toContain('labels.alertname ==');
    expect(result.errors[3]!.message).toContain('labels.(');
    expect(result.errors[4]!.message).toContain('shared.dc +');
  });

  it('matches, groups and titles over the alert', () => {
    const result = compileCorrelationRule(cel, 'power', {
      ...base,
      match: 'labels.alertname == "NodeDown" && entities.cluster == "c1"',
      groupBy: [{ label: 'dc' }, { name: 'row', cel: 'labels.node.substring(0, 1)' }, { label: 'missing' }],
      title: 'Power in ${shared.dc} (${rule}), first ${labels.node}',
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const alert = {
      labels: { alertname: 'NodeDown', node: 'a7', dc: 'fra' },
      annotations: {},
      entities: { cluster: 'c1' },
    };
    expect(result.rule.matches(alert)).toBe(true);
    expect(result.rule.matches({ ...alert, entities: {} })).toBe(false);
    const shared = result.rule.groupValues(alert);
    expect(shared).toEqual({ dc: 'fra', row: 'a', missing: '' });
    expect(result.rule.title({ shared, labels: alert.labels })).toBe('Power in fra (power), first a7');
  });
});
