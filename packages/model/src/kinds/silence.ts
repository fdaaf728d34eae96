import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { AlertMatcher } from '../api/alert-matcher.ts';
import { SilenceState } from '../api/alerts.ts';

export const SilenceSpec = Type.Object(
  {
    matchers: Type.Array(AlertMatcher, {
      minItems: 1,
      maxItems: 64,
      description: "The alerts muted: all matchers match the alert's labels.",
    }),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.String({ format: 'date-time', description: 'Expiring a silence sets endsAt to now.' }),
    createdBy: Type.String({ minLength: 1, maxLength: 253 }),
    comment: Type.String({ maxLength: 4096, default: '' }),
  },
  { additionalProperties: false },
);
export type SilenceSpec = Static<typeof SilenceSpec>;

export const SilenceStatus = Type.Object(
  { state: Type.Optional(SilenceState) },
  { additionalProperties: false },
);
export type SilenceStatus = Static<typeof SilenceStatus>;

export const silenceKind: KindDefinition = {
  kind: 'Silence',
  plural: 'silences',
  shortNames: ['sil'],
  scope: 'Team',
  description:
    "Mutes a team's alerts whose labels match, from startsAt to endsAt; the Alertmanager API's silences (amtool silence) are these objects.",
  spec: SilenceSpec,
  status: SilenceStatus,
  printerColumns: [
    { name: 'State', jsonPath: '.status.state' },
    { name: 'Ends', jsonPath: '.spec.endsAt' },
    { name: 'Created-By', jsonPath: '.spec.createdBy' },
    { name: 'Comment', jsonPath: '.spec.comment' },
  ],
};
