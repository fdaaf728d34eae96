import { describe, expect, it } from 'vitest';
import { leaseName, parseQueueKey, queueKey } from './controller.ts';

describe('queue keys', () => {
  it('round-trip team-scoped and global objects', () => {
    expect(queueKey({ team: '', name: 'platform' })).toBe('platform');
    expect(queueKey({ team: 'payments', name: 'api' })).toBe('payments/api');
    expect(parseQueueKey('platform')).toEqual({ team: '', name: 'platform' });
    expect(parseQueueKey('payments/api')).toEqual({ team: 'payments', name: 'api' });
  });

  it('name the lease after the controller', () => {
    expect(leaseName({ name: 'team' })).toBe('controller/team');
  });
});
