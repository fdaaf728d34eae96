import { Type } from '@sinclair/typebox';
import { Condition, StringEnum, type KindDefinition } from '@gantry/model';

/**
 * A team-scoped kind that exists only in tests: it shows that a kind is added by its schema alone, and
 * exercises the generic API on team paths before the product's own team-scoped kinds arrive.
 */
export const widgetKind: KindDefinition = {
  kind: 'Widget',
  plural: 'widgets',
  shortNames: ['wd'],
  scope: 'Team',
  description: 'Test-only kind.',
  spec: Type.Object(
    {
      replicas: Type.Integer({ minimum: 0, maximum: 100, default: 1 }),
      size: StringEnum(['small', 'large'] as const, { default: 'small' }),
      ports: Type.Optional(
        Type.Array(
          Type.Object(
            { name: Type.String(), port: Type.Integer({ minimum: 1, maximum: 65535 }) },
            { additionalProperties: false },
          ),
        ),
      ),
      note: Type.Optional(Type.String({ maxLength: 2_000_000 })),
    },
    { additionalProperties: false },
  ),
  status: Type.Object(
    {
      observedGeneration: Type.Optional(Type.Integer()),
      readyReplicas: Type.Optional(Type.Integer()),
      conditions: Type.Optional(Type.Array(Condition)),
    },
    { additionalProperties: false },
  ),
};

export function widget(
  team: string,
  name: string,
  spec: Record<string, unknown> = {},
  labels?: Record<string, string>,
) {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Widget',
    metadata: { name, team, ...(labels ? { labels } : {}) },
    spec,
  };
}
