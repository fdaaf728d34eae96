import { Type, type Static, type TUnsafe } from '@sinclair/typebox';

export { API_GROUP, API_VERSION } from './wire-constants.ts';

/** DNS-1123 label, as Kubernetes names are. */
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/**
 * A Kubernetes label (and annotation) key: an optional DNS-1123 subdomain prefix of at most 253
 * characters and `/`, then a name of at most 63 letters, digits, `-`, `_` and `.`, alphanumeric at both ends.
 */
const LABEL_KEY_PATTERN =
  '^(?:(?=[^/]{1,253}/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(?=[^/]{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
const LABEL_KEY_MAX_LENGTH = 253 + 1 + 63;
/** Most labels on one object: each is a row to store and match, and selectors need only a few. */
export const MAX_LABELS = 64;
const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

/** A string from a fixed set, as one `enum` (a union of literals gives one error per literal). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const ResourceName = Type.String({ minLength: 1, maxLength: 63, pattern: NAME_PATTERN });

// propertyNames rather than a pattern-keyed record: a bad key must be refused, not silently ignored.
export const Labels = Type.Unsafe<Record<string, string>>({
  type: 'object',
  maxProperties: MAX_LABELS,
  propertyNames: { type: 'string', pattern: LABEL_KEY_PATTERN, maxLength: LABEL_KEY_MAX_LENGTH },
  additionalProperties: { type: 'string', pattern: LABEL_VALUE_PATTERN, maxLength: 63 },
});
export const Annotations = Type.Unsafe<Record<string, string>>({
  type: 'object',
  propertyNames: { type: 'string', pattern: LABEL_KEY_PATTERN, maxLength: LABEL_KEY_MAX_LENGTH },
  additionalProperties: { type: 'string', maxLength: 262144 },
});

/** Metadata as the server returns it. */
export const ObjectMeta = Type.Object(
  {
    name: ResourceName,
    team: Type.Optional(ResourceName),
    uid: Type.String(),
    resourceVersion: Type.String(),
    generation: Type.Integer({ minimum: 1 }),
    creationTimestamp: Type.String({ format: 'date-time' }),
    updatedTimestamp: Type.String({ format: 'date-time' }),
    labels: Type.Optional(Labels),
    annotations: Type.Optional(Annotations),
  },
  { additionalProperties: false },
);
export type ObjectMeta = Static<typeof ObjectMeta>;

/**
 * Metadata as a client writes it: the server-owned fields may be echoed back (a GET-edit-PUT round trip),
 * and `resourceVersion` is the precondition for optimistic concurrency.
 */
export const ObjectMetaInput = Type.Object(
  {
    name: ResourceName,
    team: Type.Optional(ResourceName),
    uid: Type.Optional(Type.String()),
    resourceVersion: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
    generation: Type.Optional(Type.Integer()),
    creationTimestamp: Type.Optional(Type.String()),
    updatedTimestamp: Type.Optional(Type.String()),
    labels: Type.Optional(Labels),
    annotations: Type.Optional(Annotations),
  },
  { additionalProperties: false },
);

export const ConditionStatus = StringEnum(['True', 'False', 'Unknown']);

export const Condition = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 128 }),
    status: ConditionStatus,
    reason: Type.String({ maxLength: 128 }),
    message: Type.String({ maxLength: 32768 }),
    lastTransitionTime: Type.String({ format: 'date-time' }),
    observedGeneration: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type Condition = Static<typeof Condition>;

export interface Resource<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

/** What a caller writes: metadata without the server-owned fields. */
export interface ResourceInput {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    team?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: unknown;
  status?: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: Resource;
}

export interface ResourceList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string; continue?: string };
  items: Resource[];
}
