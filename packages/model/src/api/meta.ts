import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../resource.ts';

/** `GET /api/version`. */
export const ServerVersion = Type.Object(
  {
    version: Type.String(),
    commit: Type.String(),
    database: Type.String({ description: 'sqlite or postgresql.' }),
  },
  { additionalProperties: false },
);
export type ServerVersion = Static<typeof ServerVersion>;

/** Objects of a `Team` kind live in a team (`metadata.team`); `Global` ones do not. */
export const KindScope = StringEnum(['Team', 'Global']);
export type KindScope = Static<typeof KindScope>;

export const PrinterColumn = Type.Object(
  {
    name: Type.String(),
    jsonPath: Type.String({
      description: 'kubectl JSONPath such as `.status.conditions[?(@.type=="Ready")].status`.',
    }),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type PrinterColumn = Static<typeof PrinterColumn>;

/** One entry of `GET /api/kinds`. Clients build their own view of it (the CLI's short names, the console's forms). */
export const ServedKind = Type.Object(
  {
    kind: Type.String(),
    apiVersion: Type.String({ description: '`group/version`, e.g. `gantry.dev/v1alpha1`.' }),
    plural: Type.String(),
    singular: Type.String(),
    shortNames: Type.Array(Type.String()),
    scope: KindScope,
    description: Type.String(),
    schema: Type.Optional(
      Type.Unknown({
        description: 'JSON Schema of the whole object as a client writes it (left out with `schemas=false`).',
      }),
    ),
    statusSchema: Type.Optional(
      Type.Unknown({ description: 'JSON Schema of `status` (left out with `schemas=false`).' }),
    ),
    printerColumns: Type.Array(PrinterColumn, { description: 'Extra table columns.' }),
  },
  { additionalProperties: false },
);
export type ServedKind = Static<typeof ServedKind>;

export const KindList = Type.Object({ items: Type.Array(ServedKind) }, { additionalProperties: false });
export type KindList = Static<typeof KindList>;

/** `GET /api/kinds?schemas=false`: names, scopes and columns only (what a CLI call needs; a fraction of the size). */
export const KindListQuery = Type.Object(
  { schemas: Type.Optional(StringEnum(['true', 'false'], { description: 'Default true.' })) },
  { additionalProperties: false },
);
export type KindListQuery = Static<typeof KindListQuery>;

/** `GET /healthz` and `GET /readyz`. */
export const ProbeStatus = Type.Object(
  { status: StringEnum(['ok', 'ready']) },
  { additionalProperties: false },
);
