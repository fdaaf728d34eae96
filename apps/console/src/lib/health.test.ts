import { describe, expect, it } from 'vitest';
import type { ExceptionRecord, ExceptionTimeline, InspectionRunDiff } from '@gantry/client';
import {
  allowedActions,
  describeCorrelation,
  diffRows,
  entityLabel,
  exceptionEntityFilter,
  riskEntityFilter,
  formatFollowUps,
  parseFollowUps,
  stateChange,
  timelineItems,
} from './health';

const record: ExceptionRecord = {
  id: 'x1',
  team: 'ops',
  title: 'rack r1 down',
  severity: 'major',
  state: 'open',
  entities: [],
  origin: 'manual',
  openedAt: '2026-12-03T10:00:00.000Z',
  episodeOpenedAt: '2026-12-03T10:00:00.000Z',
  levelRaisedAt: {},
  followUps: [],
  alertCount: 0,
  firingAlertCount: 0,
  reopenCount: 0,
  createdBy: 'alice',
  changedAt: '2026-12-03T10:00:00.000Z',
  updatedAt: '2026-12-03T10:00:00.000Z',
};

describe('allowedActions', () => {
  it('follows the lifecycle table', () => {
    expect([...allowedActions('open')].sort()).toEqual(
      ['acknowledge', 'assign', 'comment', 'merge', 'mitigate', 'resolve', 'review'].sort(),
    );
    expect(allowedActions('acknowledged').has('acknowledge')).toBe(false);
    expect(allowedActions('acknowledged').has('mitigate')).toBe(true);
    expect(allowedActions('mitigated').has('mitigate')).toBe(false);
    expect(allowedActions('mitigated').has('resolve')).toBe(true);
    expect([...allowedActions('resolved')].sort()).toEqual(['assign', 'comment', 'reopen', 'review']);
    expect(allowedActions('resolved').has('merge')).toBe(false);
    expect(allowedActions('merged').size).toBe(0);
  });
});

describe('describeCorrelation', () => {
  it('names the rule and the shared values, sorted', () => {
    expect(
      describeCorrelation({
        rule: 'racks',
        ruleKind: 'CorrelationRule',
        shared: { rack: 'r1', cluster: 'prod' },
      }),
    ).toBe('grouped by CorrelationRule racks, sharing cluster=prod, rack=r1');
    expect(describeCorrelation({ rule: 'topology', ruleKind: 'Topology', shared: {} })).toBe(
      'grouped by topology',
    );
    expect(describeCorrelation(undefined)).toBeUndefined();
  });
});

describe('entityLabel', () => {
  it('scopes by cluster, application and namespace', () => {
    expect(entityLabel({ kind: 'Node', name: 'w-3', cluster: 'prod' })).toBe('Node prod/w-3');
    expect(entityLabel({ kind: 'Component', name: 'api', application: 'web' })).toBe('Component web/api');
    expect(entityLabel({ kind: 'Workload', name: 'db', cluster: 'prod', namespace: 'data' })).toBe(
      'Workload prod/data/db',
    );
    expect(entityLabel({ kind: 'Application', name: 'web' })).toBe('Application web');
  });
});

describe('timelineItems', () => {
  it('sorts by time, keeps the order of equal times and marks what came before the opening', () => {
    const timeline: ExceptionTimeline = {
      exception: record,
      from: '2026-12-03T09:30:00.000Z',
      to: '2026-12-03T11:00:00.000Z',
      truncated: false,
      entries: [
        { type: 'comment', at: '2026-12-03T10:05:00.000Z', actor: 'bob', message: 'looking' },
        { type: 'opened', at: '2026-12-03T10:00:00.000Z', actor: 'alice', message: 'opened' },
        { type: 'event', at: '2026-12-03T09:50:00.000Z', actor: 'controller/x', message: 'NodeNotReady' },
        {
          type: 'state-changed',
          at: '2026-12-03T10:05:00.000Z',
          actor: 'bob',
          message: 'acknowledged',
          fromState: 'open',
          toState: 'acknowledged',
        },
      ],
    };
    const items = timelineItems(timeline);
    expect(items.map((item) => item.entry.type)).toEqual(['event', 'opened', 'comment', 'state-changed']);
    expect(items.map((item) => item.beforeOpening)).toEqual([true, false, false, false]);
    expect(new Set(items.map((item) => item.key)).size).toBe(4);
    expect(stateChange(items[3]!.entry)).toBe('open → acknowledged');
    expect(stateChange(items[2]!.entry)).toBeUndefined();
  });
});

describe('diffRows', () => {
  it('lists new, changed, then gone, each by check and key', () => {
    const finding = (check: string, key: string, score: number) => ({
      check,
      key,
      title: key,
      score,
      entities: [],
      details: {},
    });
    const diff: InspectionRunDiff = {
      run: 'b',
      against: 'a',
      new: [finding('disk', 'n2', 50), finding('disk', 'n1', 40)],
      gone: [finding('cpu', 'n3', 10)],
      changed: [{ ...finding('disk', 'n4', 90), previousScore: 60 }],
      unchanged: 3,
      unknown: [],
    };
    expect(diffRows(diff).map((row) => `${row.change}:${row.key}:${row.previousScore ?? ''}`)).toEqual([
      'new:n1:',
      'new:n2:',
      'changed:n4:60',
      'gone:n3:',
    ]);
  });
});

describe('follow-ups as text', () => {
  it('round-trips title, owner and done', () => {
    const text = '[x] add a rack alarm @alice\nwrite the runbook\n\n  [ ] fix PDU   @bob ';
    const items = parseFollowUps(text);
    expect(items).toEqual([
      { title: 'add a rack alarm', owner: 'alice', done: true },
      { title: 'write the runbook', done: false },
      { title: 'fix PDU', owner: 'bob', done: false },
    ]);
    expect(parseFollowUps(formatFollowUps(items))).toEqual(items);
  });
});

describe('entity filters', () => {
  it('scope a node by its cluster, the others by name', () => {
    expect(exceptionEntityFilter({ kind: 'Node', name: 'n2', cluster: 'c1' })).toEqual({
      entity: 'Node/n2',
      cluster: 'c1',
    });
    expect(exceptionEntityFilter({ kind: 'Application', name: 'web' })).toEqual({
      entity: 'Application/web',
    });
    expect(riskEntityFilter({ kind: 'Node', name: 'n2', cluster: 'c1' })).toBe('Node/c1/n2');
    expect(riskEntityFilter({ kind: 'Cluster', name: 'c1' })).toBe('Cluster/c1');
  });
});
