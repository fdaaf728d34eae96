import { describe, expect, it } from 'vitest';
import type { ChangeWindowSpec } from '@gantry/model';
import type { StoredLineStop } from '@gantry/store';
import { StoreFleetChangeGate } from './fleet-gate.ts';

const at = (iso: string) => Date.parse(iso);

function gate(windows: Record<string, Partial<ChangeWindowSpec>>, stops: StoredLineStop[] = []) {
  const items = Object.entries(windows).map(([name, spec]) => ({
    name,
    json: JSON.stringify({
      metadata: { name, team: 'ops' },
      spec: { timeZone: 'UTC', allow: [], freeze: [], appliesToAllChanges: false, ...spec },
    }),
  }));
  return new StoreFleetChangeGate({
    repository: { list: async () => ({ items }) as never },
    journal: { activeStops: async (teams) => stops.filter((stop) => teams.includes(stop.team)) },
  });
}

describe('fleet change gate', () => {
  const freeze = { freeze: [{ cron: '0 0 24 12 *', duration: '3d', reason: 'holidays' }] };

  it('closes only the actuators a window lists, and says until when', async () => {
    const fleet = gate({ holidays: { ...freeze, appliesTo: ['nodeOperations', 'jobs'] } });
    const inside = at('2026-12-25T10:00:00Z');
    expect(await fleet.check('ops', 'nodeOperations', inside)).toEqual({
      open: false,
      reason: 'WindowClosed',
      message:
        'nodeOperations frozen by ChangeWindow holidays (freeze 0: holidays) until 2026-12-27T00:00:00.000Z',
      until: at('2026-12-27T00:00:00Z'),
    });
    expect((await fleet.check('ops', 'jobs', inside)).open).toBe(false);
    expect(await fleet.check('ops', 'applications', inside)).toEqual({ open: true });
    // The fake clock moves past the freeze: open again.
    expect(await fleet.check('ops', 'nodeOperations', at('2026-12-27T00:00:00Z'))).toEqual({ open: true });
  });

  it('keeps today’s meaning for a window without appliesTo: Changes only', async () => {
    const fleet = gate({ holidays: { ...freeze, appliesToAllChanges: true } });
    for (const actuator of ['applications', 'nodeOperations', 'jobs', 'healing'] as const)
      expect(await fleet.check('ops', actuator, at('2026-12-25T10:00:00Z'))).toEqual({ open: true });
  });

  it('closes outside the allowed periods with the next opening', async () => {
    const fleet = gate({ nights: { allow: [{ cron: '0 22 * * *', duration: '6h' }], appliesTo: ['jobs'] } });
    expect(await fleet.check('ops', 'jobs', at('2026-01-14T12:00:00Z'))).toMatchObject({
      open: false,
      reason: 'WindowClosed',
      until: at('2026-01-14T22:00:00Z'),
    });
    expect((await fleet.check('ops', 'jobs', at('2026-01-14T23:00:00Z'))).open).toBe(true);
  });

  it('closes every actuator while the team’s or the fleet’s line is stopped, naming who and why', async () => {
    const stop: StoredLineStop = {
      id: '1',
      team: '',
      stoppedBy: 'alice',
      reason: 'incident 42',
      stoppedAt: '2026-01-14T11:00:00.000Z',
    };
    const fleet = gate({}, [stop]);
    const verdict = await fleet.check('ops', 'applications', at('2026-01-14T12:00:00Z'));
    expect(verdict).toEqual({
      open: false,
      reason: 'LineStopped',
      message: 'the line is stopped: fleet-wide by alice at 2026-01-14T11:00:00.000Z: incident 42',
    });
    expect((await gate({}, [{ ...stop, team: 'other' }]).check('ops', 'jobs', 0)).open).toBe(true);
  });

  it('closes the actuator when a window that governs it does not compile', async () => {
    const fleet = gate({ broken: { allow: [{ cron: 'nope', duration: '1h' }], appliesTo: ['healing'] } });
    expect(await fleet.check('ops', 'healing', 0)).toMatchObject({ open: false, reason: 'WindowClosed' });
  });
});
