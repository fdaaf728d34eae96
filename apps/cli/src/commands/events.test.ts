import { describe, expect, it } from 'vitest';
import type { EventRecord } from '@gantry/client';
import { eventSourceFilter, eventTable, eventTypeFilter } from './events.ts';

const now = new Date('2025-06-01T12:00:00Z');
const record = (fields: Partial<EventRecord>): EventRecord => ({
  id: 1,
  source: 'kubernetes',
  team: 'sre',
  cluster: 'sre/east',
  namespace: 'web',
  objectKind: 'Pod',
  objectName: 'web-0',
  type: 'Normal',
  reason: 'Scheduled',
  message: 'Successfully assigned web/web-0 to worker-1',
  actor: 'default-scheduler',
  count: 1,
  firstSeen: '2025-06-01T11:58:00Z',
  lastSeen: '2025-06-01T11:58:00Z',
  ...fields,
});

describe('eventTable', () => {
  it('prints kubectl events columns, oldest first, with repeats counted', () => {
    const table = eventTable(
      [
        record({
          id: 2,
          type: 'Warning',
          reason: 'BackOff',
          message: 'Back-off restarting\nfailed container',
          count: 5,
          firstSeen: '2025-06-01T11:50:00Z',
          lastSeen: '2025-06-01T11:59:00Z',
        }),
        record({ id: 1 }),
      ],
      { now, scope: { team: 'sre', cluster: 'east' }, namespace: 'web' },
    );
    expect(table).toEqual({
      headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'ACTOR', 'MESSAGE'],
      rows: [
        [
          '2m',
          'Normal',
          'Scheduled',
          'Pod/web-0',
          'default-scheduler',
          'Successfully assigned web/web-0 to worker-1',
        ],
        [
          '1m (x5 over 10m)',
          'Warning',
          'BackOff',
          'Pod/web-0',
          'default-scheduler',
          'Back-off restarting failed container',
        ],
      ],
    });
  });

  it('adds CLUSTER and NAMESPACE when the listing spans them', () => {
    const table = eventTable([record({ namespace: '', objectKind: 'Node', objectName: 'worker-1' })], {
      now,
      scope: {},
    });
    expect(table.headers).toEqual([
      'CLUSTER',
      'NAMESPACE',
      'LAST SEEN',
      'TYPE',
      'REASON',
      'OBJECT',
      'ACTOR',
      'MESSAGE',
    ]);
    expect(table.rows[0]?.slice(0, 2)).toEqual(['sre/east', '']);
    expect(table.rows[0]?.[5]).toBe('Node/worker-1');
  });

  it("shows Gantry's own events beside the clusters', with the user or controller that caused them", () => {
    const table = eventTable(
      [
        record({
          id: 3,
          source: 'gantry',
          team: '',
          cluster: '',
          namespace: '',
          objectKind: 'ComponentDefinition',
          objectName: 'webservice',
          reason: 'DefinitionUpdated',
          message: 'ComponentDefinition webservice updated: version 1.0.0 → 1.1.0',
          actor: 'alice',
          lastSeen: '2025-06-01T11:59:00Z',
        }),
        record({ id: 1 }),
      ],
      { now, scope: {} },
    );
    expect(table.rows.map((row) => [row[0], row[4], row[5], row[6]])).toEqual([
      ['sre/east', 'Scheduled', 'Pod/web-0', 'default-scheduler'],
      ['', 'DefinitionUpdated', 'ComponentDefinition/webservice', 'alice'],
    ]);
  });
});

describe('eventSourceFilter', () => {
  it('knows the two sources', () => {
    expect(eventSourceFilter('Gantry')).toBe('gantry');
    expect(eventSourceFilter(undefined)).toBeUndefined();
    expect(() => eventSourceFilter('helm')).toThrow('invalid --source "helm": one of gantry, kubernetes');
  });
});

describe('eventTypeFilter', () => {
  it('asks the server for one type, or for all when both are wanted', () => {
    expect(eventTypeFilter(undefined)).toBeUndefined();
    expect(eventTypeFilter('warning')).toBe('Warning');
    expect(eventTypeFilter('Normal')).toBe('Normal');
    expect(eventTypeFilter('Normal,Warning')).toBeUndefined();
  });

  it('refuses an unknown type', () => {
    expect(() => eventTypeFilter('Warning,Error')).toThrow('invalid --types "Error": one of Normal, Warning');
  });
});
