import type { Clock } from '@gantry/controllers';
import type { Principal } from '@gantry/identity';
import type { Caller } from '@gantry/identity';
import type { TeamRole } from '@gantry/model';
import type { CorrelatedAlert, CorrelationGroup } from '../ports.ts';
import type { HealthPolicyObject, HealthPolicySource } from './health-policy.ts';

/** A clock that moves only when a test says so; its timers never fire by themselves. */
export class ManualClock implements Clock {
  constructor(private current = Date.parse('2026-06-01T10:00:00Z')) {}
  now(): number {
    return this.current;
  }
  setTimeout(): { cancel(): void } {
    return { cancel: () => undefined };
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

/** HealthPolicies held in memory, per team. */
export class MemoryPolicySource implements HealthPolicySource {
  readonly byTeam = new Map<string, HealthPolicyObject[]>();
  policies(team: string): Promise<readonly HealthPolicyObject[]> {
    return Promise.resolve(this.byTeam.get(team) ?? []);
  }
}

export function callerWith(username: string, teams: Record<string, TeamRole>, admin = false): Caller {
  const principal: Principal = { username, admin, teams: new Map(Object.entries(teams)) };
  return { principal, source: 'test' };
}

export function alert(
  fingerprint: string,
  state: 'firing' | 'resolved',
  extra: Partial<CorrelatedAlert> = {},
) {
  return {
    fingerprint,
    labels: { alertname: 'NodeDown', node: fingerprint },
    state,
    startsAt: '2026-06-01T09:59:00.000Z',
    endsAt: state === 'firing' ? '2026-06-01T11:00:00.000Z' : '2026-06-01T10:00:00.000Z',
    ...extra,
  } satisfies CorrelatedAlert;
}

export function group(
  alerts: CorrelatedAlert[],
  overrides: Partial<CorrelationGroup> = {},
): CorrelationGroup {
  return {
    team: 'ops',
    key: 'topology/rack=r1',
    reason: { rule: 'topology', ruleKind: 'Topology', shared: { rack: 'r1' } },
    title: 'rack r1 down',
    severity: 'major',
    entities: [{ kind: 'Cluster', name: 'east' }],
    alerts,
    ...overrides,
  };
}
