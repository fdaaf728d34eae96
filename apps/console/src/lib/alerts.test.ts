import { describe, expect, it } from 'vitest';
import type { AlertRecord, DispatchGroup } from '@gantry/client';
import { formatMatcher, groupAlerts, matcherOf, operatorOf, routeTree, silenceMatchersFor } from './alerts';

function alert(fingerprint: string, labels: Record<string, string>): AlertRecord {
  return {
    team: 'ops',
    fingerprint,
    labels,
    annotations: {},
    startsAt: '2026-12-02T10:00:00Z',
    endsAt: '2026-12-02T11:00:00Z',
    updatedAt: '2026-12-02T10:00:00Z',
    generatorURL: '',
    source: 'prometheus',
    state: 'firing',
    entities: {},
    seq: 1,
  };
}

function group(groupKey: string, fingerprints: string[]): DispatchGroup {
  return {
    groupKey,
    routing: 'main',
    routeId: 'root',
    receivers: ['hook'],
    groupLabels: {},
    alerts: fingerprints.map((fingerprint) => ({ fingerprint, silencedBy: [], inhibitedBy: [] })),
  };
}

describe('matchers', () => {
  it('round-trips the four operators and writes them as amtool does', () => {
    for (const operator of ['=', '!=', '=~', '!~'] as const)
      expect(operatorOf(matcherOf('a', operator, 'b'))).toBe(operator);
    expect(formatMatcher(matcherOf('instance', '=~', 'db-"1"'))).toBe('instance=~"db-\\"1\\""');
  });

  it('starts a silence from every label of the alert, alertname first', () => {
    expect(silenceMatchersFor({ zone: 'a', alertname: 'Down', cluster: 'c' }).map(formatMatcher)).toEqual([
      'alertname="Down"',
      'cluster="c"',
      'zone="a"',
    ]);
  });
});

describe('groupAlerts', () => {
  it("puts alerts in the dispatcher's groups (in each one holding them), the rest last", () => {
    const a = alert('a', { alertname: 'A' });
    const b = alert('b', { alertname: 'B' });
    const c = alert('c', { alertname: 'C' });
    const views = groupAlerts([a, b, c], [group('z', ['a', 'b']), group('y', ['a']), group('x', ['gone'])]);
    expect(views.map((view) => [view.key, view.alerts.map((item) => item.fingerprint)])).toEqual([
      ['y', ['a']],
      ['z', ['a', 'b']],
      ['', ['c']],
    ]);
  });
});

describe('routeTree', () => {
  it('resolves what each route inherits: receivers, groupBy and timers, with the defaults at the root', () => {
    const tree = routeTree({
      receivers: ['mail'],
      groupBy: ['alertname'],
      routes: [{ matchers: ['severity="page"'], receivers: ['pager'], groupWait: '10s', routes: [{}] }],
    });
    expect(tree).toMatchObject({
      receivers: ['mail'],
      groupWait: '30s',
      groupInterval: '5m',
      repeatInterval: '4h',
    });
    const page = tree.children[0]!;
    expect(page).toMatchObject({
      id: 'root.0',
      receivers: ['pager'],
      receiversInherited: false,
      groupBy: ['alertname'],
      groupByInherited: true,
      groupWait: '10s',
    });
    expect(page.children[0]).toMatchObject({
      id: 'root.0.0',
      receivers: ['pager'],
      receiversInherited: true,
      groupWait: '10s',
    });
  });
});
