import { describe, expect, it } from 'vitest';
import type { NotificationRecord } from '@gantry/model';
import { formatTable } from '../output.ts';
import { notificationTable } from './notifications.ts';

const record = (fields: Partial<NotificationRecord>): NotificationRecord => ({
  id: '4f1c2a9e-0000-4000-8000-000000000000',
  team: 'ops',
  channel: 'oncall',
  groupKey: '{}:{alertname="Down"}',
  dedupKey: 'k',
  state: 'delivered',
  status: 'firing',
  alerts: 2,
  attempts: 1,
  createdAt: '2026-12-02T11:55:00Z',
  updatedAt: '2026-12-02T11:55:01Z',
  ...fields,
});

describe('notificationTable', () => {
  it('prints one line per notification with its state, attempts and last error', () => {
    const table = notificationTable(
      [record({}), record({ id: 'aa', state: 'failed', attempts: 6, lastError: 'HTTP 503\nbusy' })],
      new Date('2026-12-02T12:00:00Z'),
    );
    expect(formatTable(table.headers, table.rows).split('\n')).toEqual([
      'ID         CHANNEL   STATE       STATUS    ALERTS    ATTEMPTS   AGE       GROUP                   ERROR',
      '4f1c2a9e   oncall    delivered   firing    2         1          5m        {}:{alertname="Down"}',
      'aa         oncall    failed      firing    2         6          5m        {}:{alertname="Down"}   HTTP 503 busy',
      '',
    ]);
  });
});
