import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { ALERT_DURATION_PATTERN } from './alert-rule.ts';
import { NAME_PATTERN } from '../resource.ts';

const Duration = (description: string, defaultValue: string) =>
  Type.String({ pattern: ALERT_DURATION_PATTERN, maxLength: 32, default: defaultValue, description });

export const EscalationStep = Type.Object(
  {
    delay: Duration(
      'How long after the previous step (after the exception opened, for the first) this step is taken, while the exception is still not acknowledged.',
      '0s',
    ),
    channels: Type.Array(
      Type.String({
        pattern: NAME_PATTERN,
        maxLength: 63,
        description: 'A NotificationChannel of the team.',
      }),
      { minItems: 1, maxItems: 16, uniqueItems: true },
    ),
  },
  { additionalProperties: false },
);
export type EscalationStep = Static<typeof EscalationStep>;

export const EscalationPolicySpec = Type.Object(
  {
    steps: Type.Array(EscalationStep, { minItems: 1, maxItems: 20 }),
    repeat: Type.Optional(
      Type.Object(
        {
          times: Type.Integer({
            minimum: 1,
            maximum: 10,
            description: 'How many more times the steps run from the first, after the last.',
          }),
          after: Duration('How long after the last step the first runs again.', '30m'),
        },
        { additionalProperties: false },
      ),
    ),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type EscalationPolicySpec = Static<typeof EscalationPolicySpec>;

export const escalationPolicyKind: KindDefinition = {
  kind: 'EscalationPolicy',
  plural: 'escalationpolicies',
  shortNames: ['ep'],
  scope: 'Team',
  description:
    "Who is told about a team's exception, and when: steps of NotificationChannels, each taken when the exception is still not acknowledged after its delay.",
  spec: EscalationPolicySpec,
};
