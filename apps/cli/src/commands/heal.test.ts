import { describe, expect, it } from 'vitest';
import type { CommandEnv } from '../io.ts';
import { describeDryRun, dryRunRequest, parseEntity, sinceTime } from './heal.ts';

const env: CommandEnv = {
  io: {
    out: () => undefined,
    err: () => undefined,
    readStdin: () => Promise.resolve(''),
    now: () => new Date('2026-12-03T12:00:00Z'),
  },
  configPath: '/nonexistent',
  contextName: undefined,
};

describe('gantry heal helpers', () => {
  it('reads entities as the API names them, and refuses others', () => {
    expect(parseEntity('Node/east/n1')).toEqual({ kind: 'Node', cluster: 'east', name: 'n1' });
    expect(parseEntity('Host/h1')).toEqual({ kind: 'Host', name: 'h1' });
    expect(parseEntity('Workload/east/ns/web')).toEqual({
      kind: 'Workload',
      cluster: 'east',
      namespace: 'ns',
      name: 'web',
    });
    expect(() => parseEntity('Node/n1')).toThrow(/invalid --entity "Node\/n1"/);
    expect(() => parseEntity('Rack/r1')).toThrow(/invalid --entity/);
  });

  it('takes --since as a duration back from now or an RFC 3339 time', () => {
    const now = new Date('2026-12-03T12:00:00Z');
    expect(sinceTime('2h', now)).toBe('2026-12-03T10:00:00.000Z');
    expect(sinceTime('7d', now)).toBe('2026-11-26T12:00:00.000Z');
    expect(sinceTime('2026-12-01T00:00:00Z', now)).toBe('2026-12-01T00:00:00.000Z');
    expect(sinceTime(undefined, now)).toBeUndefined();
    expect(() => sinceTime('2026-13-45T00:00:00Z', now)).toThrow(/invalid time/);
  });

  it('builds the dry run from a live trigger or an inline one, never both', async () => {
    expect(await dryRunRequest(env, { exception: 'e1', policy: 'p' })).toEqual({
      policy: 'p',
      trigger: { kind: 'exception', id: 'e1' },
    });
    expect(await dryRunRequest(env, { title: 'NodeNotReady', entity: ['Node/east/n1'] })).toEqual({
      trigger: {
        kind: 'exception',
        binding: { title: 'NodeNotReady', severity: 'major', state: 'open' },
        entities: [{ kind: 'Node', cluster: 'east', name: 'n1' }],
      },
    });
    await expect(dryRunRequest(env, { exception: 'e1', alert: 'a1' })).rejects.toThrow(/one of --exception/);
    await expect(dryRunRequest(env, { risk: 'r1', title: 'x' })).rejects.toThrow(/inline trigger/);
    await expect(dryRunRequest(env, { title: 'x' })).rejects.toThrow(/name a trigger/);
  });

  it('says when nothing matches', () => {
    expect(describeDryRun({ considered: ['a', 'b'], matches: [], guardrailsChecked: false })).toBe(
      'No policy matches (tried: a, b).\n',
    );
  });
});
