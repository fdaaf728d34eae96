import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { ALERT_DURATION_PATTERN } from './alert-rule.ts';

export const ChangeWindowPeriod = Type.Object(
  {
    cron: Type.String({
      minLength: 9,
      maxLength: 200,
      description: 'When the period starts: five cron fields (or six, with seconds first).',
    }),
    duration: Type.String({
      pattern: ALERT_DURATION_PATTERN,
      maxLength: 32,
      description: 'How long it lasts from each start, in elapsed time (`6h`, `2d`).',
    }),
    timeZone: Type.Optional(
      Type.String({ maxLength: 64, description: 'An IANA time zone; default the window’s.' }),
    ),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type ChangeWindowPeriod = Static<typeof ChangeWindowPeriod>;

/** The actuators outside Changes that change the fleet, each of which may honour a ChangeWindow. */
export const FleetActuator = Type.Union(
  [
    Type.Literal('applications'),
    Type.Literal('nodeOperations'),
    Type.Literal('jobs'),
    Type.Literal('healing'),
  ],
  {
    description:
      '`applications`: an application deploying a new revision; `nodeOperations`: cordon, drain, uncordon by hand; `jobs`: job runs made by hand or by a Schedule; `healing`: automatic repairs.',
  },
);
export type FleetActuator = Static<typeof FleetActuator>;

export const ChangeWindowSpec = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    timeZone: Type.String({
      default: 'UTC',
      maxLength: 64,
      description: 'An IANA time zone for the crons, e.g. Europe/Berlin.',
    }),
    allow: Type.Array(ChangeWindowPeriod, {
      default: [],
      maxItems: 50,
      description: 'Changes may act only inside one of these; none: at any time (but freezes).',
    }),
    freeze: Type.Array(ChangeWindowPeriod, {
      default: [],
      maxItems: 50,
      description: 'Changes never act inside one of these: a freeze overrides an allow.',
    }),
    appliesToAllChanges: Type.Boolean({
      default: false,
      description: 'Honoured by every Change of the team, whether it names this window or not.',
    }),
    appliesTo: Type.Optional(
      Type.Array(FleetActuator, {
        uniqueItems: true,
        maxItems: 4,
        description:
          'The actuators besides Changes that honour this window for the whole team (ADR 0033); none (the default): Changes only.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ChangeWindowSpec = Static<typeof ChangeWindowSpec>;

export const changeWindowKind: KindDefinition = {
  kind: 'ChangeWindow',
  plural: 'changewindows',
  shortNames: ['cw'],
  scope: 'Team',
  description:
    'When changes may act: allowed periods and freezes (cron, duration, time zone); a freeze overrides an allow.',
  spec: ChangeWindowSpec,
  printerColumns: [
    { name: 'Zone', jsonPath: '.spec.timeZone' },
    { name: 'All', jsonPath: '.spec.appliesToAllChanges' },
    { name: 'Applies-To', jsonPath: '.spec.appliesTo' },
  ],
};

/** What a fleet gate answers: open, or closed with why (a stable reason) and when it opens next if known. */
export type FleetGateVerdict =
  | { open: true }
  | {
      open: false;
      /** `WindowClosed` (a freeze or outside the allowed periods) or `LineStopped`. */
      reason: 'WindowClosed' | 'LineStopped';
      message: string;
      /** Epoch ms of the next opening, when known (never for a stopped line: a person releases it). */
      until?: number;
    };

/**
 * The port through which every actuator outside Changes asks whether it may change the fleet now (ADR
 * 0033): the team's and the fleet's stopped lines, and the team's ChangeWindows that list the actuator in
 * `appliesTo`. Implemented by `@gantry/changes`; delivery, jobs and fleet take it injected.
 */
export interface FleetChangeGate {
  check(team: string, actuator: FleetActuator, now: number): Promise<FleetGateVerdict>;
}
