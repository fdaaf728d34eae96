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
  ],
};
