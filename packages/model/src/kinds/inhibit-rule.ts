import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';

/**
 * Alertmanager's inhibit rule as a team resource: while a firing alert matches `sourceMatchers`, the
 * team's alerts that match `targetMatchers` and carry the same values of every label in `equal` are
 * muted. Decisions: docs/adr/0013-alert-dispatch.md.
 */
export const InhibitRuleSpec = Type.Object(
  {
    sourceMatchers: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      minItems: 1,
      maxItems: 64,
      description:
        'Matchers an alert must match to inhibit (as operators write them: `severity="critical"`).',
    }),
    targetMatchers: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      minItems: 1,
      maxItems: 64,
      description: 'Matchers of the alerts it mutes.',
    }),
    equal: Type.Array(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$', maxLength: 256 }), {
      default: [],
      maxItems: 64,
      description: 'Labels whose values must be equal in source and target (absent counts as empty).',
    }),
  },
  { additionalProperties: false },
);
export type InhibitRuleSpec = Static<typeof InhibitRuleSpec>;

export const inhibitRuleKind: KindDefinition = {
  kind: 'InhibitRule',
  plural: 'inhibitrules',
  shortNames: ['ir'],
  scope: 'Team',
  description:
    "Mutes the team's alerts that match targetMatchers while a firing alert matches sourceMatchers.",
  spec: InhibitRuleSpec,
};
