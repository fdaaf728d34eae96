import { describe, expect, it } from 'vitest';
import type { JobOutputChunk, Me } from '@gantry/client';
import {
  appendOutput,
  countsInOrder,
  formatDuration,
  isRerunnable,
  mayOperate,
  runFieldOf,
  runRequestOf,
  touchesText,
} from './jobs';
import { describeSchema, formValuesOf } from './schema-form';

const schema = {
  type: 'object',
  properties: {
    service: { type: 'string', pattern: '^[a-z-]+$' },
    max_age_days: { type: 'integer', minimum: 1, maximum: 90, default: 7 },
    dry_run: { type: 'boolean', default: false },
  },
  required: ['service'],
};
const fields = describeSchema(schema);

const me = (teams: Me['teams'], admin = false): Me => ({ user: { username: 'u', admin }, teams });

describe('mayOperate', () => {
  it('lets operators run templates and only team-admins run ad-hoc scripts', () => {
    expect(mayOperate(me([{ team: 'ops', role: 'operator' }]), 'ops', false)).toBe(true);
    expect(mayOperate(me([{ team: 'ops', role: 'operator' }]), 'ops', true)).toBe(false);
    expect(mayOperate(me([{ team: 'ops', role: 'team-admin' }]), 'ops', true)).toBe(true);
    expect(mayOperate(me([{ team: 'ops', role: 'viewer' }]), 'ops', false)).toBe(false);
    expect(mayOperate(me([{ team: 'web', role: 'team-admin' }]), 'ops', false)).toBe(false);
    expect(mayOperate(me([], true), 'ops', true)).toBe(true);
    expect(mayOperate(undefined, 'ops', false)).toBe(false);
  });
});

describe('runRequestOf', () => {
  it('sends the parameters the user set and one kind of target', () => {
    const values = formValuesOf(fields, {});
    expect(
      runRequestOf('ops', 'rotate', fields, {
        targetKind: 'hosts',
        hosts: [' web-1 ', 'web-2', ''],
        selector: 'role=db',
        concurrency: 5,
        batchSize: null,
        parameters: { ...values, service: 'api' },
      }),
    ).toEqual({
      team: 'ops',
      template: 'rotate',
      parameters: { service: 'api', max_age_days: 7, dry_run: false },
      targets: { hosts: ['web-1', 'web-2'] },
      concurrency: 5,
    });
    expect(
      runRequestOf('ops', 'rotate', fields, {
        targetKind: 'selector',
        selector: ' role=db ',
        batchSize: 2,
        stopAfterFailures: 1,
        parameters: { service: 'api' },
      }),
    ).toMatchObject({
      targets: { selector: 'role=db' },
      concurrency: 50,
      batchSize: 2,
      stopAfterFailures: 1,
    });
    expect(
      runRequestOf('ops', 'rotate', fields, { targetKind: 'cluster', cluster: 'east', parameters: {} })
        .targets,
    ).toEqual({ cluster: 'east' });
  });
});

describe('runFieldOf', () => {
  it('puts a refusal on the field its path names', () => {
    expect(runFieldOf('/parameters/max_age_days', fields, 'hosts')).toEqual(['parameters', 'max_age_days']);
    expect(runFieldOf('/parameters/unknown', fields, 'hosts')).toBeUndefined();
    expect(runFieldOf('/targets/hosts/1', fields, 'hosts')).toEqual(['hosts']);
    expect(runFieldOf('/targets/selector', fields, 'selector')).toEqual(['selector']);
    expect(runFieldOf('/targets', fields, 'cluster')).toEqual(['cluster']);
    expect(runFieldOf('/batchSize', fields, 'hosts')).toEqual(['batchSize']);
    expect(runFieldOf('/template', fields, 'hosts')).toBeUndefined();
    expect(runFieldOf('', fields, 'hosts')).toBeUndefined();
  });
});

const chunk = (id: number, data: string, extra: Partial<JobOutputChunk> = {}): JobOutputChunk => ({
  id,
  target: 'web-1',
  attempt: 1,
  seq: id,
  stream: 'stdout',
  data,
  at: '2026-01-01T00:00:00Z',
  ...extra,
});

describe('appendOutput', () => {
  it('keeps the server order, drops chunks read twice, and marks a new attempt', () => {
    let log = appendOutput([], [chunk(2, 'b\n', { stream: 'stderr' }), chunk(1, 'a\n')]);
    expect(log.map((segment) => [segment.stream, segment.text])).toEqual([
      ['stdout', 'a\n'],
      ['stderr', 'b\n'],
    ]);
    log = appendOutput(log, [chunk(2, 'b\n'), chunk(3, 'again\n', { attempt: 2, seq: 1 })]);
    expect(log.map((segment) => segment.text)).toEqual(['a\n', 'b\n', '--- attempt 2 ---\n', 'again\n']);
    expect(log[2]!.stream).toBe('system');
  });
});

describe('run and target views', () => {
  it('orders the counts as the grid does and leaves out empty states', () => {
    expect(countsInOrder({ failed: 2, succeeded: 4, queued: 0, running: 1 })).toEqual([
      ['running', 1],
      ['succeeded', 4],
      ['failed', 2],
    ]);
  });

  it('re-runs what the server re-runs', () => {
    expect(isRerunnable({ state: 'failed', reason: 'NonZeroExit' })).toBe(true);
    expect(isRerunnable({ state: 'timed-out', reason: 'TimedOut' })).toBe(true);
    expect(isRerunnable({ state: 'lost', reason: 'AgentGone' })).toBe(true);
    expect(isRerunnable({ state: 'cancelled', reason: 'StoppedAfterFailures' })).toBe(true);
    expect(isRerunnable({ state: 'cancelled', reason: 'Cancelled' })).toBe(false);
    expect(isRerunnable({ state: 'succeeded', reason: 'Exited' })).toBe(false);
  });

  it('formats durations', () => {
    expect(formatDuration(null, null)).toBe('—');
    expect(formatDuration('2026-01-01T00:00:00Z', '2026-01-01T00:00:01.250Z')).toBe('1.3s');
    expect(formatDuration('2026-01-01T00:00:00Z', '2026-01-01T00:02:05Z')).toBe('2m 5s');
    expect(formatDuration('2026-01-01T00:00:00Z', null, Date.parse('2026-01-01T03:10:00Z'))).toBe('3h 10m');
  });
});

describe('touchesText', () => {
  it('shows the list form as is and the object form bound by bound', () => {
    expect(touchesText(undefined)).toBe('—');
    expect(touchesText(['/var/log', 'nginx'])).toBe('/var/log, nginx');
    expect(
      touchesText({ hosts: 'role=db', clusters: ['east'], paths: ['/srv'], limits: { openFiles: 64 } }),
    ).toBe('hosts role=db; clusters east; paths /srv; limits openFiles=64');
  });
});
