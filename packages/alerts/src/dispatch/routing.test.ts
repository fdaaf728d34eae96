import { describe, expect, it } from 'vitest';
import { compileRouting, groupKeyOf, matchRoutes } from './routing.ts';

describe('routing trees', () => {
  const { root, problems } = compileRouting('main', {
    receivers: ['default'],
    groupBy: ['alertname'],
    groupWait: '10s',
    routes: [
      {
        matchers: ['team="db"'],
        receivers: ['db'],
        continue: true,
        routes: [
          { matchers: ['severity="page"'], receivers: ['db-pager'], groupBy: ['...'], repeatInterval: '1h' },
        ],
      },
      { matchers: ['team=~"db|web"'], receivers: ['ops'], muteTimeIntervals: ['night'] },
      { matchers: ['team="web"'], receivers: ['web'] },
    ],
  });

  it('compiles with inherited options and Alertmanager defaults', () => {
    expect(problems).toEqual([]);
    const pager = root.routes[0]!.routes[0]!;
    expect(pager).toMatchObject({
      id: 'main/0/0',
      key: '{}/{team="db"}/{severity="page"}',
      receivers: ['db-pager'],
      groupByAll: true,
      groupWaitMs: 10_000,
      groupIntervalMs: 300_000,
      repeatIntervalMs: 3_600_000,
    });
    expect(root.routes[1]).toMatchObject({ groupBy: ['alertname'], repeatIntervalMs: 14_400_000 });
    // Time intervals are not inherited.
    expect(root.routes[1]!.muteTimeIntervals).toEqual(['night']);
  });

  it('matches depth first, continues only past routes with continue, falls back to the parent', () => {
    const ids = (labels: Record<string, string>) => matchRoutes(root, labels).map((route) => route.id);
    expect(ids({ team: 'db', severity: 'page' })).toEqual(['main/0/0', 'main/1']);
    expect(ids({ team: 'db' })).toEqual(['main/0', 'main/1']);
    expect(ids({ team: 'web' })).toEqual(['main/1']);
    expect(ids({ team: 'other' })).toEqual(['main']);
  });

  it('keys groups by route and group labels', () => {
    expect(groupKeyOf(root, { alertname: 'Down' })).toBe('main:{}:{alertname="Down"}');
  });

  it('names every problem with its field path', () => {
    const bad = compileRouting('bad', {
      matchers: ['a="b"'],
      groupBy: ['...', 'x'],
      groupWait: '5 minutes',
      muteTimeIntervals: ['night'],
      routes: [{ matchers: ['ok="1"', 'broken=~"("'], groupBy: ['not-a-label'], repeatInterval: '0s' }],
    });
    expect(bad.problems.map((problem) => problem.path).sort()).toEqual([
      '',
      '/groupBy',
      '/groupWait',
      '/matchers',
      '/receivers',
      '/routes/0/groupBy/0',
      '/routes/0/matchers/1',
      '/routes/0/repeatInterval',
    ]);
  });
});
