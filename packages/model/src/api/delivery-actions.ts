import { Type, type Static } from '@sinclair/typebox';
import { ApplicationSpec } from '../kinds/delivery.ts';
import { StringEnum } from '../resource.ts';

/** The bodies of the application actions (docs/reference/api.md, "Delivery"): rollback and diff. */

/** `POST /api/teams/{team}/applications/{name}/rollback`; the answer is the updated Application. */
export const RollbackRequest = Type.Object(
  { revision: Type.Integer({ minimum: 1, description: 'The revision to return to.' }) },
  { additionalProperties: false },
);
export type RollbackRequest = Static<typeof RollbackRequest>;

export const DiffRequest = Type.Object(
  { spec: Type.Optional(ApplicationSpec) },
  {
    additionalProperties: false,
    description:
      'Without a spec: the application as stored against the clusters; with one: that spec instead (a dry run of an edit).',
  },
);
export type DiffRequest = Static<typeof DiffRequest>;

export const ObjectAction = StringEnum(['create', 'update', 'unchanged', 'prune']);
export type ObjectAction = Static<typeof ObjectAction>;

/** One changed field of an object, by JSON pointer. */
export const FieldChange = Type.Object(
  {
    path: Type.String(),
    op: StringEnum(['add', 'remove', 'replace']),
    before: Type.Optional(Type.Unknown()),
    after: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type FieldChange = Static<typeof FieldChange>;

export const ObjectDiff = Type.Object(
  {
    apiVersion: Type.String(),
    kind: Type.String(),
    namespace: Type.Optional(Type.String()),
    name: Type.String(),
    component: Type.Optional(Type.String({ description: 'The component that renders the object.' })),
    action: ObjectAction,
    diff: Type.Optional(Type.Array(FieldChange)),
  },
  { additionalProperties: false },
);
export type ObjectDiff = Static<typeof ObjectDiff>;

export const TargetDiff = Type.Object(
  {
    cluster: Type.String(),
    namespace: Type.String(),
    environment: Type.Optional(Type.String()),
    error: Type.Optional(
      Type.String({
        description:
          'Set when the target could not be rendered or read; its objects are then empty or partial.',
      }),
    ),
    objects: Type.Array(ObjectDiff),
  },
  { additionalProperties: false },
);
export type TargetDiff = Static<typeof TargetDiff>;

/** `POST /api/teams/{team}/applications/{name}/diff`: what applying the application now would do. */
export const ApplicationDiff = Type.Object(
  {
    targets: Type.Array(TargetDiff),
    problems: Type.Array(Type.String(), {
      description:
        'What kept the topology from resolving fully (an unknown environment, a cluster not found).',
    }),
  },
  { additionalProperties: false },
);
export type ApplicationDiff = Static<typeof ApplicationDiff>;
