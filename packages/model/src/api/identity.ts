import { Type, type Static } from '@sinclair/typebox';
import { TeamRoleSchema } from '../kinds/team.ts';

/** A user as the API shows it (never the password hash). */
export const PublicUser = Type.Object(
  {
    username: Type.String(),
    admin: Type.Boolean(),
    disabled: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type PublicUser = Static<typeof PublicUser>;

export const UserList = Type.Object({ items: Type.Array(PublicUser) }, { additionalProperties: false });

export const LoginRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    session: Type.Optional(
      Type.Union([Type.Literal('token'), Type.Literal('cookie')], {
        description:
          '`cookie` (the console): the session goes into an HttpOnly cookie, the answer carries `csrfToken` instead of `token`.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

/** `POST /api/auth/login`. */
export const LoginResult = Type.Object(
  { token: Type.String(), expiresAt: Type.String({ format: 'date-time' }), user: PublicUser },
  { additionalProperties: false },
);
export type LoginResult = Static<typeof LoginResult>;

/** `POST /api/auth/login` with `session: "cookie"`: the token is in an HttpOnly cookie, never in the body. */
export const CookieLoginResult = Type.Object(
  { csrfToken: Type.String(), expiresAt: Type.String({ format: 'date-time' }), user: PublicUser },
  { additionalProperties: false },
);
export type CookieLoginResult = Static<typeof CookieLoginResult>;

/** `GET /api/me`. */
export const Me = Type.Object(
  {
    user: Type.Object({ username: Type.String(), admin: Type.Boolean() }, { additionalProperties: false }),
    teams: Type.Array(
      Type.Object({ team: Type.String(), role: TeamRoleSchema }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type Me = Static<typeof Me>;

export const CreateUserRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    admin: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CreateUserRequest = Static<typeof CreateUserRequest>;

export const UpdateUserRequest = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    currentPassword: Type.Optional(Type.String({ maxLength: 1024 })),
    admin: Type.Optional(Type.Boolean()),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UpdateUserRequest = Static<typeof UpdateUserRequest>;

/** An API token as listed; the secret itself is shown once, in `CreatedToken`. */
export const ApiToken = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    name: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type ApiToken = Static<typeof ApiToken>;

export const CreatedToken = Type.Object(
  { ...ApiToken.properties, token: Type.String({ description: 'The secret; returned only here.' }) },
  { additionalProperties: false },
);
export type CreatedToken = Static<typeof CreatedToken>;

export const TokenList = Type.Object({ items: Type.Array(ApiToken) }, { additionalProperties: false });

export const CreateTokenRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
  },
  { additionalProperties: false },
);
export type CreateTokenRequest = Static<typeof CreateTokenRequest>;
