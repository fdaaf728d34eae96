import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { Condition, NAME_PATTERN } from '../resource.ts';
import { ALERT_DURATION_PATTERN } from './alert-rule.ts';

/** A batch size: a count of entities (`1`, `25`) or a share of all targets (`10%`, rounded up, at least 1). */
export const BATCH_SIZE_PATTERN = '^([1-9][0-9]{0,5}|([1-9][0-9]?|100)%)$';

const Duration = (description: string) =>
  Type.String({ pattern: ALERT_DURATION_PATTERN, maxLength: 32, description });

export const ChangeBatch = Type.Object(
  {
    size: Type.String({
      pattern: BATCH_SIZE_PATTERN,
      maxLength: 8,
      description: 'Entities in the batch: a count (`1`) or a share of all targets (`10%`, rounded up).',
    }),
    bake: Duration('How long to observe the batch after its last entity was changed (`30m`, `0s`).'),
    repeat: Type.Optional(
      Type.Boolean({
        description: 'Only on the last batch: repeat it until every target is covered.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ChangeBatch = Static<typeof ChangeBatch>;

/** The seed's plan: 1 entity then 30 minutes; 10% then 10 minutes; the rest 10% at a time, 5 minutes each. */
export const DEFAULT_CHANGE_BATCHES: ChangeBatch[] = [
  { size: '1', bake: '30m' },
  { size: '10%', bake: '10m' },
  { size: '10%', bake: '5m', repeat: true },
];

export const ChangePlan = Type.Object(
  {
    batches: Type.Array(ChangeBatch, {
      minItems: 1,
      maxItems: 100,
      default: DEFAULT_CHANGE_BATCHES,
      description: 'Batches in order; each is applied, then observed for its bake time.',
    }),
    maxConcurrent: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 1,
      description: 'Entities of a batch changed at once.',
    }),
  },
  { additionalProperties: false },
);
export type ChangePlan = Static<typeof ChangePlan>;

export const NODE_OPERATIONS = ['cordon', 'drain', 'uncordon'] as const;

export const ChangeNodeOperation = Type.Object(
  {
    operation: Type.Union(
      NODE_OPERATIONS.map((op) => Type.Literal(op)),
      { description: 'What to do to each node.' },
    ),
    drainTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
    force: Type.Boolean({
      default: false,
      description: 'Drain: also evict pods no controller owns (they do not come back).',
    }),
  },
  { additionalProperties: false },
);
export type ChangeNodeOperation = Static<typeof ChangeNodeOperation>;

export const ChangeJobRun = Type.Object(
  {
    template: Type.String({
      pattern: NAME_PATTERN,
      maxLength: 63,
      description: 'A JobTemplate of the team.',
    }),
    parameters: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
      default: {},
    }),
  },
  { additionalProperties: false },
);
export type ChangeJobRun = Static<typeof ChangeJobRun>;

export const ChangeTargets = Type.Object(
  {
    names: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 317 }), {
        minItems: 1,
        maxItems: 10_000,
        description: 'Entities by name: `cluster/node` for nodes, the host name for hosts.',
      }),
    ),
    selector: Type.Optional(
      Type.String({
        maxLength: 4096,
        description: 'A label selector over the entities’ labels; empty selects every entity.',
      }),
    ),
    clusters: Type.Optional(
      Type.Array(Type.String({ pattern: NAME_PATTERN, maxLength: 63 }), {
        minItems: 1,
        maxItems: 1000,
        description: 'Nodes only: the clusters to look in (default every cluster of the team).',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Exactly one of names or selector. Resolved once, when the change starts.',
  },
);
export type ChangeTargets = Static<typeof ChangeTargets>;

export const CHANGE_FAILURE_POLICIES = ['Pause', 'Abort'] as const;

export const ChangeSpec = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    nodeOperation: Type.Optional(ChangeNodeOperation),
    jobRun: Type.Optional(ChangeJobRun),
    targets: ChangeTargets,
    plan: Type.Object(
      {
        batches: ChangePlan.properties.batches,
        maxConcurrent: ChangePlan.properties.maxConcurrent,
      },
      { additionalProperties: false, default: {} },
    ),
    failurePolicy: Type.Union(
      CHANGE_FAILURE_POLICIES.map((policy) => Type.Literal(policy)),
      {
        default: 'Pause',
        description: 'When an entity fails: Pause (resume retries it) or Abort (nothing more is changed).',
      },
    ),
    windows: Type.Array(Type.String({ pattern: NAME_PATTERN, maxLength: 63 }), {
      default: [],
      maxItems: 20,
      description:
        'ChangeWindows of the team to honour, beside those that apply to every change. None: any time.',
    }),
  },
  { additionalProperties: false, description: 'Exactly one of nodeOperation or jobRun.' },
);
export type ChangeSpec = Static<typeof ChangeSpec>;

export const CHANGE_PHASES = [
  'Pending',
  'Waiting',
  'Progressing',
  'Observing',
  'Paused',
  'Succeeded',
  'Aborted',
  'Failed',
] as const;
export const ChangePhase = Type.Union(CHANGE_PHASES.map((phase) => Type.Literal(phase)));
export type ChangePhase = Static<typeof ChangePhase>;

export const CHANGE_BATCH_PHASES = ['Pending', 'Applying', 'Observing', 'Completed', 'Skipped'] as const;

export const ChangeActorNote = Type.Object(
  {
    actor: Type.String(),
    reason: Type.String(),
    at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type ChangeActorNote = Static<typeof ChangeActorNote>;

export const ChangeBatchStatus = Type.Object(
  {
    index: Type.Integer({ minimum: 0 }),
    phase: Type.Union(CHANGE_BATCH_PHASES.map((phase) => Type.Literal(phase))),
    entities: Type.Array(Type.String(), { description: 'The entities of the batch, frozen at start.' }),
    applied: Type.Integer({ minimum: 0 }),
    failed: Type.Array(
      Type.Object({ entity: Type.String(), message: Type.String() }, { additionalProperties: false }),
    ),
    bake: Type.String(),
    startedAt: Type.Optional(Type.String({ format: 'date-time' })),
    observeUntil: Type.Optional(Type.String({ format: 'date-time' })),
    completedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type ChangeBatchStatus = Static<typeof ChangeBatchStatus>;

export const ChangeStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    phase: Type.Optional(ChangePhase),
    message: Type.Optional(Type.String()),
    startedAt: Type.Optional(Type.String({ format: 'date-time' })),
    completedAt: Type.Optional(Type.String({ format: 'date-time' })),
    targetCount: Type.Optional(Type.Integer({ minimum: 0 })),
    currentBatch: Type.Optional(Type.Integer({ minimum: 0 })),
    batches: Type.Optional(Type.Array(ChangeBatchStatus)),
    waitingUntil: Type.Optional(
      Type.String({ format: 'date-time', description: 'Outside its windows: when they open next.' }),
    ),
    paused: Type.Optional(ChangeActorNote),
    aborted: Type.Optional(ChangeActorNote),
    journalEntries: Type.Optional(Type.Integer({ minimum: 0 })),
    conditions: Type.Optional(Type.Array(Condition)),
  },
  { additionalProperties: false },
);
export type ChangeStatus = Static<typeof ChangeStatus>;

export const changeKind: KindDefinition = {
  kind: 'Change',
  plural: 'changes',
  shortNames: ['chg'],
  scope: 'Team',
  description:
    'A change to many entities (node operations, job runs on hosts) in batches, each observed for a bake time, inside the team’s ChangeWindows; a journal makes it resume where it was.',
  spec: ChangeSpec,
  status: ChangeStatus,
  printerColumns: [
    { name: 'Phase', jsonPath: '.status.phase' },
    { name: 'Batch', jsonPath: '.status.currentBatch' },
    { name: 'Targets', jsonPath: '.status.targetCount' },
    { name: 'Until', jsonPath: '.status.waitingUntil' },
  ],
};
