import { Type, type Static } from '@sinclair/typebox';

/** One entry of the audit log: who did what to which object, when, from where, and what changed. */
export const AuditEntry = Type.Object(
  {
    id: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    actor: Type.String(),
    source: Type.String(),
    action: Type.String(),
    kind: Type.String(),
    team: Type.String(),
    name: Type.String(),
    resourceVersion: Type.Union([Type.String(), Type.Null()]),
    before: Type.Unknown(),
    after: Type.Unknown(),
    diff: Type.Unknown({ description: 'Field changes as JSON pointers.' }),
  },
  { additionalProperties: false },
);
export type AuditEntry = Static<typeof AuditEntry>;

/** `GET /api/audit`: newest first; `continue` asks for the next page. */
export const AuditPage = Type.Object(
  { items: Type.Array(AuditEntry), continue: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type AuditPage = Static<typeof AuditPage>;
