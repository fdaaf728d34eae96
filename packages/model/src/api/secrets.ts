import { Type, type Static } from '@sinclair/typebox';

/** What a secret looks like from outside: key names and sizes, never values. */
export const SecretSummary = Type.Object(
  {
    team: Type.String(),
    name: Type.String(),
    keys: Type.Array(
      Type.Object({ key: Type.String(), bytes: Type.Integer() }, { additionalProperties: false }),
    ),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type SecretSummary = Static<typeof SecretSummary>;

export const SecretList = Type.Object({ items: Type.Array(SecretSummary) }, { additionalProperties: false });

export const PutSecretRequest = Type.Object(
  { data: Type.Record(Type.String(), Type.String()) },
  { additionalProperties: false },
);
export type PutSecretRequest = Static<typeof PutSecretRequest>;
