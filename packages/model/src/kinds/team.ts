import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { Condition, StringEnum } from '../resource.ts';
import { TeamRoles } from '../wire-constants.ts';

export const TeamRoleSchema = StringEnum(TeamRoles, {
  description: 'team-admin: everything in the team; operator: change resources; viewer: read.',
});

export const TeamSpec = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 200, description: 'Human-readable name.' })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    members: Type.Array(
      Type.Object(
        {
          user: Type.String({ minLength: 1, maxLength: 64, description: 'A user name.' }),
          role: TeamRoleSchema,
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'Who belongs to the team, and with which role.' },
    ),
  },
  { additionalProperties: false },
);
export type TeamSpec = Static<typeof TeamSpec>;

export const TeamStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(Condition)),
  },
  { additionalProperties: false },
);

export const teamKind: KindDefinition = {
  kind: 'Team',
  plural: 'teams',
  shortNames: ['tm'],
  scope: 'Global',
  description: 'A group of users that owns resources; every team-scoped resource belongs to one team.',
  spec: TeamSpec,
  status: TeamStatus,
};
