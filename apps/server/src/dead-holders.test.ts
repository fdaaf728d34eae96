import { describe, expect, it } from 'vitest';
import type { Lease } from '@gantry/store';
import { processIsAlive, releaseDeadLocalHolders } from './dead-holders.ts';

function leases(rows: Pick<Lease, 'name' | 'holder'>[]) {
  const released: string[] = [];
  return {
    released,
    repository: {
      list: () =>
        Promise.resolve(rows.map((row) => ({ ...row, expiresAt: 1, renewedAt: 1, transitions: 0 }))),
      release: (name: string, holder: string) => {
        released.push(`${name}@${holder}`);
        return Promise.resolve();
      },
    },
  };
}

describe('releaseDeadLocalHolders', () => {
  it("frees only the leases of this host's dead server processes", async () => {
    const { repository, released } = leases([
      { name: 'controller/team', holder: 'box-4100' }, // dead, this host
      { name: 'controller/change', holder: 'box-4100' },
      { name: 'alert-dispatch', holder: 'box-4200' }, // alive
      { name: 'jobs', holder: 'box-777' }, // this very process
      { name: 'health', holder: 'other-4100' }, // another host
      { name: 'notify', holder: 'gantry-a' }, // a configured instance id
      { name: 'inspections', holder: 'box-12ab' },
    ]);
    const freed = await releaseDeadLocalHolders(repository, {
      host: 'box',
      self: 777,
      alive: (pid) => pid === 4200,
    });
    expect(freed).toEqual(['controller/team', 'controller/change']);
    expect(released).toEqual(['controller/team@box-4100', 'controller/change@box-4100']);
  });

  it('tells a running process from a gone one', () => {
    expect(processIsAlive(process.pid)).toBe(true);
    expect(processIsAlive(2 ** 22 + 12345)).toBe(false);
  });
});
