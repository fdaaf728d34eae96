import { describe, expect, it } from 'vitest';
import type { Resource } from '@gantry/client';
import type { KindInfo } from './kinds.ts';
import { formatAge, formatCell, formatLabels, formatTable, resourceColumns, resourceName } from './output.ts';
import { toYaml } from './output-yaml.ts';

const now = new Date('2025-06-01T12:00:00Z');
const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString();

const kind = (overrides: Partial<KindInfo> = {}): KindInfo => ({
  kind: 'Pipeline',
  group: 'gantry.dev',
  version: 'v1alpha1',
  plural: 'pipelines',
  singular: 'pipeline',
  shortNames: [],
  scope: 'Team',
  printerColumns: [],
  ...overrides,
});

describe('formatAge', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [60, '1m'],
    [5 * 60 + 59, '5m'],
    [59 * 60, '59m'],
    [3 * 3600, '3h'],
    [23 * 3600 + 3599, '23h'],
    [2 * 86400, '2d'],
    [364 * 86400, '364d'],
    [2 * 365 * 86400, '2y'],
  ])('%i seconds old is %s', (seconds, expected) => {
    expect(formatAge(ago(seconds), now)).toBe(expected);
  });

  it('treats a second of clock skew as 0s, more as invalid, and unparseable as unknown', () => {
    expect(formatAge(new Date(now.getTime() + 500).toISOString(), now)).toBe('0s');
    expect(formatAge(new Date(now.getTime() + 60_000).toISOString(), now)).toBe('<invalid>');
    expect(formatAge('yesterday-ish', now)).toBe('<unknown>');
    expect(formatAge(undefined, now)).toBe('<unknown>');
  });
});

describe('formatTable', () => {
  it('upper-cases headers and aligns columns like kubectl (min width 10, padding 3)', () => {
    const table = formatTable(
      ['name', 'display name', 'age'],
      [
        ['platform', 'Platform team', '5m'],
        ['a-much-longer-name', 'X', '3h'],
      ],
    );
    expect(table).toBe(
      [
        'NAME                 DISPLAY NAME    AGE',
        'platform             Platform team   5m',
        'a-much-longer-name   X               3h',
        '',
      ].join('\n'),
    );
  });

  it('pads short columns to 10 and trims trailing blanks', () => {
    expect(formatTable(['a', 'b', 'c'], [['1', '', '']])).toBe('A         B         C\n1\n');
  });

  it('omits the header on request, and prints nothing for nothing', () => {
    expect(formatTable(['name'], [['x']], { noHeaders: true })).toBe('x\n');
    expect(formatTable(['name'], [], { noHeaders: true })).toBe('');
  });
});

describe('resource columns', () => {
  const pipeline: Resource = {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: 'build', team: 'payments', creationTimestamp: ago(7200) },
    spec: { stages: ['a', 'b'] },
    status: { phase: 'Running' },
  };

  it('shows NAME and AGE, TEAM only across teams, and the server-declared printer columns', () => {
    const k = kind({
      printerColumns: [
        { name: 'Phase', jsonPath: '.status.phase' },
        { name: 'Stages', jsonPath: '.spec.stages' },
      ],
    });
    const columns = resourceColumns(k, { showTeam: true });
    expect(columns.map((c) => c.header)).toEqual(['NAME', 'TEAM', 'PHASE', 'STAGES', 'AGE']);
    expect(columns.map((c) => c.value(pipeline, now))).toEqual(['build', 'payments', 'Running', 'a,b', '2h']);
    expect(resourceColumns(k, { showTeam: false }).map((c) => c.header)).not.toContain('TEAM');
    expect(resourceColumns(kind({ scope: 'Global' }), { showTeam: true }).map((c) => c.header)).toEqual([
      'NAME',
      'AGE',
    ]);
  });

  it('renders missing and structured cells readably', () => {
    expect(formatCell(undefined)).toBe('<none>');
    expect(formatCell([])).toBe('<none>');
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
    expect(formatCell(3)).toBe('3');
    expect(formatLabels({ env: 'prod', tier: 'web' })).toBe('env=prod,tier=web');
    expect(formatLabels(undefined)).toBe('<none>');
  });

  it('names resources as lower-case kind/name', () => {
    expect(resourceName(kind(), 'build')).toBe('pipeline/build');
    expect(resourceName('Team', 'platform')).toBe('team/platform');
  });
});

describe('toYaml', () => {
  it('never folds long strings or emits anchors for repeated objects', () => {
    const shared = { user: 'alice', role: 'viewer' };
    const long = 'x'.repeat(200);
    const text = toYaml({ a: shared, b: shared, long });
    expect(text).not.toContain('&');
    expect(text).toContain(`long: ${long}\n`);
  });
});
