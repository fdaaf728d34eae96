import { describe, expect, it } from 'vitest';
import { InputError } from '@gantry/model';
import { registerDispatchAdmission, type DispatchAdmissionRequest } from './admission.ts';

describe('dispatch admission', () => {
  const hooks = new Map<string, (request: DispatchAdmissionRequest) => Promise<void>>();
  registerDispatchAdmission({ admit: (kind, hook) => hooks.set(kind, hook) });
  const write = (kind: string, spec: unknown) =>
    hooks.get(kind)!({ operation: 'create', name: 'x', object: { spec } });

  it('registers for the three kinds', () => {
    expect([...hooks.keys()].sort()).toEqual(['AlertRouting', 'InhibitRule', 'TimeInterval']);
  });

  it('refuses bad matchers, durations and ranges with the field path', async () => {
    const refused = await write('AlertRouting', {
      receivers: ['pager'],
      routes: [{ matchers: ['severity=~"(crit"'], groupInterval: '5 minutes' }],
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as InputError).code).toBe('GANTRY_E_INVALID');
    expect((refused as InputError).details.map((d) => d.path)).toEqual([
      '/spec/routes/0/matchers/0',
      '/spec/routes/0/groupInterval',
    ]);
    const rule = await write('InhibitRule', {
      sourceMatchers: ['a'],
      targetMatchers: ['b="c"'],
      equal: [],
    }).catch((error: unknown) => error);
    expect((rule as InputError).details).toEqual([
      { path: '/spec/sourceMatchers/0', message: 'expected one of = != =~ !~ after "a"' },
    ]);
    const interval = await write('TimeInterval', { timeIntervals: [{ weekdays: ['someday'] }] }).catch(
      (error: unknown) => error,
    );
    expect((interval as InputError).details.map((d) => d.path)).toEqual(['/spec/timeIntervals/0/weekdays/0']);
  });

  it('admits valid specs and deletes', async () => {
    await expect(
      write('AlertRouting', {
        receivers: ['pager'],
        routes: [{ matchers: ['team="db"'], groupBy: ['...'] }],
      }),
    ).resolves.toBeUndefined();
    await expect(hooks.get('AlertRouting')!({ operation: 'delete', name: 'x' })).resolves.toBeUndefined();
  });
});
