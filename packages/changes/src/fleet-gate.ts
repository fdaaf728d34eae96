import type {
  ChangeWindowSpec,
  FleetActuator,
  FleetChangeGate,
  FleetGateVerdict,
  Resource,
} from '@gantry/model';
import type { ChangeRepository, ResourceRepository } from '@gantry/store';
import { lineStopBlock } from './gates.ts';
import { compileWindow, evaluateWindows, type CompiledPeriod } from './windows.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The fleet gate (ADR 0033) over the stores: the team's and the fleet's stopped lines close every
 * actuator; then the team's ChangeWindows whose `appliesTo` lists the actuator, taken together as a
 * Change takes its windows (a freeze overrides an allow). A window that does not compile closes the
 * actuator too, as it holds a change: no window is read as "always open" by mistake.
 */
export class StoreFleetChangeGate implements FleetChangeGate {
  constructor(
    private readonly deps: {
      repository: Pick<ResourceRepository, 'list'>;
      journal: Pick<ChangeRepository, 'activeStops'>;
    },
  ) {}

  async check(team: string, actuator: FleetActuator, now: number): Promise<FleetGateVerdict> {
    const stopped = lineStopBlock(await this.deps.journal.activeStops([team, '']));
    if (stopped) return { open: false, reason: 'LineStopped', message: stopped.message };
    const page = await this.deps.repository.list({ kind: 'ChangeWindow', teams: [team], limit: 10_000 });
    const periods: CompiledPeriod[] = [];
    for (const item of page.items) {
      const spec = (JSON.parse(item.json) as Resource<ChangeWindowSpec>).spec;
      if (!(spec.appliesTo ?? []).includes(actuator)) continue;
      const compiled = compileWindow(item.name, spec);
      if (!compiled.ok)
        return {
          open: false,
          reason: 'WindowClosed',
          message: `ChangeWindow ${item.name} is invalid: ${compiled.errors.map((error) => `${error.path} ${error.message}`).join('; ')}`,
        };
      periods.push(...compiled.periods);
    }
    if (periods.length === 0) return { open: true };
    const verdict = evaluateWindows(periods, now);
    if (verdict.open) return { open: true };
    const when =
      verdict.nextOpen !== undefined
        ? `until ${iso(verdict.nextOpen)}`
        : 'and its windows do not open within a year';
    const message =
      verdict.reason === 'Frozen' && verdict.by
        ? `${actuator} frozen by ChangeWindow ${verdict.by.window} (freeze ${verdict.by.index}${verdict.by.reason ? `: ${verdict.by.reason}` : ''}) ${when}`
        : `${actuator} outside the allowed periods of ChangeWindow ${[...new Set(periods.map((period) => period.window))].join(', ')} ${when}`;
    return {
      open: false,
      reason: 'WindowClosed',
      message,
      ...(verdict.nextOpen !== undefined ? { until: verdict.nextOpen } : {}),
    };
  }
}
