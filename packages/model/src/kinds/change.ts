import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { Condition, NAME_PATTERN } from '../resource.ts';
import { ALERT_DURATION_PATTERN } from './alert-rule.ts';
import { ChangeKubernetesJob } from './kubernetes-job.ts';
import { ChangeWorkloadOperation } from './workload-operation.ts';

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
    approval: Type.Optional(
      Type.Boolean({
        description:
          'The batch waits, before it starts, until someone approves it (`gantry change approve`); a rejection is a failed gate.',
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
    rollbackTemplate: Type.Optional(
      Type.String({
        pattern: NAME_PATTERN,
        maxLength: 63,
        description:
          'The JobTemplate that undoes `template` on a host (same parameters); without it the change cannot roll back.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ChangeJobRun = Static<typeof ChangeJobRun>;

export const ChangeApplicationRevision = Type.Object(
  {
    application: Type.String({
      pattern: NAME_PATTERN,
      maxLength: 63,
      description: 'An Application of the team.',
    }),
    revision: Type.Integer({
      minimum: 1,
      description:
        'The ApplicationRevision each target cluster gets (a newer one rolls forward, an older one rolls back).',
    }),
    partitionStep: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        description:
          'StatefulSets: roll each cluster by partition, lowering `spec.updateStrategy.rollingUpdate.partition` by this many pods at a time, each step observed (updated and ready) before the next. Absent: pods roll as the StatefulSet says.',
      }),
    ),
    onlyIfLatest: Type.Optional(
      Type.Boolean({
        description:
          'Fail at the start (Superseded) when a newer revision has been recorded meanwhile: the rollout policy’s changes set it, so an older rollout never follows a newer one.',
      }),
    ),
    progressDeadlineSeconds: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 600,
      description:
        'How long a cluster may take to become healthy at the revision; past it, or once the controller reads it Unhealthy, the cluster has failed.',
    }),
  },
  {
    additionalProperties: false,
    description:
      'An application revision rolled out across the application’s clusters (entities `cluster/application`; targets name clusters).',
  },
);
export type ChangeApplicationRevision = Static<typeof ChangeApplicationRevision>;

export const ChangeDefinitionUpgrade = Type.Object(
  {
    kind: Type.Union([Type.Literal('ComponentDefinition'), Type.Literal('TraitDefinition')], {
      description: 'The kind of the definition upgraded.',
    }),
    name: Type.String({ pattern: NAME_PATTERN, maxLength: 63, description: 'The definition’s name.' }),
    generation: Type.Integer({
      minimum: 1,
      description:
        'The generation of the definition (its `metadata.generation`) each application instance moves to: the current one, or an older one some revision of the application still records.',
    }),
    partitionStep: ChangeApplicationRevision.properties.partitionStep,
    progressDeadlineSeconds: ChangeApplicationRevision.properties.progressDeadlineSeconds,
  },
  {
    additionalProperties: false,
    description:
      'A definition upgrade across the applications that use it (ADR 0039): entities `cluster/application`; targets name applications (`web`: all its clusters) or instances (`east/web`), or select them by the labels of the cluster and the application; an empty selector takes every instance that uses the definition.',
  },
);
export type ChangeDefinitionUpgrade = Static<typeof ChangeDefinitionUpgrade>;

export const ChangeTargets = Type.Object(
  {
    names: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 317 }), {
        minItems: 1,
        maxItems: 10_000,
        description:
          'Entities by name: `cluster/node` for nodes, the host name for hosts, the cluster for application revisions.',
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

export const CHANGE_FAILURE_POLICIES = ['Pause', 'Abort', 'Alert', 'Rollback'] as const;

/** What a metric or canary gate does when its query returns fewer samples than it needs. Never a silent pass. */
export const GATE_NO_DATA_POLICIES = ['Fail', 'Pause', 'Ignore', 'PassIfZeroTraffic'] as const;

export const GateNoData = Type.Object(
  {
    policy: Type.Union(
      GATE_NO_DATA_POLICIES.map((policy) => Type.Literal(policy)),
      {
        default: 'Fail',
        description:
          'Fail: the gate fails; Pause: the change pauses (resume evaluates the gate again); Ignore: recorded as NoData and passed over; PassIfZeroTraffic: passes only when `trafficQuery` shows no traffic at all.',
      },
    ),
    trafficQuery: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description:
          'PassIfZeroTraffic: PromQL of the traffic (same placeholders); every value 0 (or none) passes.',
      }),
    ),
  },
  { additionalProperties: false, default: { policy: 'Fail' } },
);
export type GateNoData = Static<typeof GateNoData>;

const GateQuery = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description });
const GateSource = Type.String({
  pattern: NAME_PATTERN,
  maxLength: 63,
  description: 'A MetricsSource of the team (Prometheus).',
});
const GateStep = Type.Integer({
  minimum: 1,
  maximum: 3600,
  default: 30,
  description: 'Seconds between the samples read over the batch’s observation.',
});
const GateMinSamples = Type.Integer({
  minimum: 1,
  maximum: 100_000,
  default: 1,
  description: 'Fewer samples than this is no data (the no-data policy decides).',
});

export const ChangeMetricGate = Type.Object(
  {
    name: Type.String({ pattern: NAME_PATTERN, maxLength: 63 }),
    source: GateSource,
    query: GateQuery(
      'PromQL read over the batch’s observation; `$entities` is a regex of the batch’s entities, `$names` of their names after the last `/`, `$window` the bake (`30m`).',
    ),
    successCondition: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description:
          'CEL over `values` (list of double), `last`, `min`, `max`, `avg` (double) and `count` (int): true passes, false fails.',
      }),
    ),
    failureCondition: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description: 'CEL over the same variables: true fails the gate (checked before successCondition).',
      }),
    ),
    minSamples: GateMinSamples,
    stepSeconds: GateStep,
    noData: GateNoData,
  },
  { additionalProperties: false, description: 'At least one of successCondition or failureCondition.' },
);
export type ChangeMetricGate = Static<typeof ChangeMetricGate>;

export const ChangeCanaryGate = Type.Object(
  {
    source: GateSource,
    query: GateQuery(
      'PromQL of a ratio that is worse when higher (errors / requests), with `$entities`/`$names`: read once for the batch (the canary) and once for the targets not yet changed (the baseline).',
    ),
    maxIncrease: Type.Number({
      minimum: 0,
      default: 0.01,
      description: 'Absolute: the canary fails when its mean exceeds the baseline’s by more than this...',
    }),
    maxRatio: Type.Number({
      minimum: 1,
      default: 1.5,
      description:
        '...and is more than this many times the baseline’s (a zero baseline: the absolute test alone decides).',
    }),
    minSamples: GateMinSamples,
    stepSeconds: GateStep,
    noData: GateNoData,
  },
  { additionalProperties: false },
);
export type ChangeCanaryGate = Static<typeof ChangeCanaryGate>;

export const ChangeGates = Type.Object(
  {
    health: Type.Boolean({
      default: true,
      description:
        'No alert starts firing and no exception opens on the batch’s entities during its observation.',
    }),
    metrics: Type.Array(ChangeMetricGate, { default: [], maxItems: 20 }),
    canary: Type.Optional(ChangeCanaryGate),
  },
  {
    additionalProperties: false,
    default: {},
    description:
      'Checked during and at the end of each batch’s observation; a failure applies failurePolicy.',
  },
);
export type ChangeGates = Static<typeof ChangeGates>;

export const ChangeSpec = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    nodeOperation: Type.Optional(ChangeNodeOperation),
    jobRun: Type.Optional(ChangeJobRun),
    applicationRevision: Type.Optional(ChangeApplicationRevision),
    workloadOperation: Type.Optional(ChangeWorkloadOperation),
    definitionUpgrade: Type.Optional(ChangeDefinitionUpgrade),
    kubernetesJob: Type.Optional(ChangeKubernetesJob),
    targets: ChangeTargets,
    plan: Type.Object(
      {
        batches: ChangePlan.properties.batches,
        maxConcurrent: ChangePlan.properties.maxConcurrent,
      },
      { additionalProperties: false, default: {} },
    ),
    gates: ChangeGates,
    failurePolicy: Type.Union(
      CHANGE_FAILURE_POLICIES.map((policy) => Type.Literal(policy)),
      {
        default: 'Pause',
        description:
          'When an entity or a gate fails: Pause (resume retries it), Abort (nothing more is changed), Alert (an exception in the health center, linked to the change, and Pause) or Rollback (the batches done so far undone in reverse order, each observed again).',
      },
    ),
    windows: Type.Array(Type.String({ pattern: NAME_PATTERN, maxLength: 63 }), {
      default: [],
      maxItems: 20,
      description:
        'ChangeWindows of the team to honour, beside those that apply to every change. None: any time.',
    }),
  },
  {
    additionalProperties: false,
    description:
      'Exactly one of nodeOperation, jobRun, applicationRevision, workloadOperation, definitionUpgrade or kubernetesJob (kubernetesJob targets: cluster names).',
  },
);
export type ChangeSpec = Static<typeof ChangeSpec>;

export const CHANGE_PHASES = [
  'Pending',
  'Waiting',
  'Progressing',
  'Observing',
  'Paused',
  'RollingBack',
  'Succeeded',
  'Aborted',
  'Failed',
  'RolledBack',
] as const;
export const ChangePhase = Type.Union(CHANGE_PHASES.map((phase) => Type.Literal(phase)));
export type ChangePhase = Static<typeof ChangePhase>;

export const CHANGE_BATCH_PHASES = [
  'Pending',
  'AwaitingApproval',
  'Applying',
  'Observing',
  'Completed',
  'Skipped',
] as const;

export const GATE_KINDS = ['Health', 'Metric', 'Canary', 'Approval'] as const;
/** Passed; Failed; NoData (fewer samples than needed, the policy said Fail or Pause); Ignored (NoData, policy Ignore). */
export const GATE_VERDICTS = ['Passed', 'Failed', 'NoData', 'Ignored'] as const;

export const ChangeGateValues = Type.Object(
  {
    query: Type.String({ description: 'The query as sent: placeholders replaced.' }),
    samples: Type.Integer({ minimum: 0 }),
    values: Type.Array(Type.Number(), { description: 'The values seen (at most the first 100).' }),
    mean: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type ChangeGateValues = Static<typeof ChangeGateValues>;

/** One evaluation of one gate for one batch, as journaled: what it read, what it decided, why. */
export const ChangeGateResult = Type.Object(
  {
    gate: Type.String({ description: '`health`, `canary`, `approval` or the metric gate’s name.' }),
    kind: Type.Union(GATE_KINDS.map((kind) => Type.Literal(kind))),
    verdict: Type.Union(GATE_VERDICTS.map((verdict) => Type.Literal(verdict))),
    message: Type.String(),
    at: Type.String({ format: 'date-time' }),
    round: Type.Integer({ minimum: 0, description: 'Evaluations after a resume are a new round.' }),
    observed: Type.Optional(ChangeGateValues),
    baseline: Type.Optional(ChangeGateValues),
    traffic: Type.Optional(ChangeGateValues),
    noDataPolicy: Type.Optional(Type.String()),
    alerts: Type.Optional(Type.Array(Type.String(), { description: 'Health: the alerts’ fingerprints.' })),
    exceptions: Type.Optional(Type.Array(Type.String(), { description: 'Health: the exceptions’ ids.' })),
  },
  { additionalProperties: false },
);
export type ChangeGateResult = Static<typeof ChangeGateResult>;

export const ChangeApproval = Type.Object(
  {
    state: Type.Union([Type.Literal('Waiting'), Type.Literal('Approved'), Type.Literal('Rejected')]),
    actor: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type ChangeApproval = Static<typeof ChangeApproval>;

export const ChangeRollbackBatch = Type.Object(
  {
    index: Type.Integer({ minimum: 0, description: 'The batch undone.' }),
    phase: Type.Union([
      Type.Literal('Pending'),
      Type.Literal('Undoing'),
      Type.Literal('Observing'),
      Type.Literal('Completed'),
    ]),
    entities: Type.Array(Type.String(), { description: 'The entities undone, in this batch.' }),
    undone: Type.Integer({ minimum: 0 }),
    failed: Type.Array(
      Type.Object({ entity: Type.String(), message: Type.String() }, { additionalProperties: false }),
    ),
    observeUntil: Type.Optional(Type.String({ format: 'date-time' })),
    completedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

export const ChangeRollback = Type.Object(
  {
    phase: Type.Union([Type.Literal('RollingBack'), Type.Literal('RolledBack')]),
    cause: Type.String({ description: 'A reason: GateFailed, EntityFailed, Requested.' }),
    actor: Type.String(),
    reason: Type.String(),
    startedAt: Type.String({ format: 'date-time' }),
    completedAt: Type.Optional(Type.String({ format: 'date-time' })),
    batches: Type.Array(ChangeRollbackBatch, { description: 'In the order undone: the last batch first.' }),
  },
  { additionalProperties: false },
);
export type ChangeRollback = Static<typeof ChangeRollback>;

export const ChangeLinkedException = Type.Object(
  {
    id: Type.String(),
    link: Type.Union([Type.Literal('PausedBy'), Type.Literal('OpenedBy')], {
      description:
        'PausedBy: it opened on the change’s entities and paused it; OpenedBy: the Alert policy opened it.',
    }),
    at: Type.String({ format: 'date-time' }),
    batch: Type.Optional(Type.Integer({ minimum: 0 })),
    title: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ChangeLinkedException = Static<typeof ChangeLinkedException>;

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
    gates: Type.Optional(
      Type.Array(ChangeGateResult, { description: 'Every gate evaluation of the batch, oldest first.' }),
    ),
    approval: Type.Optional(ChangeApproval),
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
    rollback: Type.Optional(ChangeRollback),
    exceptions: Type.Optional(
      Type.Array(ChangeLinkedException, {
        description: 'Exceptions of the health center linked to the change.',
      }),
    ),
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
    'A change to many entities (node operations, job runs on hosts, an application revision across its clusters) in batches, each observed for a bake time, inside the team’s ChangeWindows; a journal makes it resume where it was.',
  spec: ChangeSpec,
  status: ChangeStatus,
  printerColumns: [
    { name: 'Phase', jsonPath: '.status.phase' },
    { name: 'Batch', jsonPath: '.status.currentBatch' },
    { name: 'Targets', jsonPath: '.status.targetCount' },
    { name: 'Until', jsonPath: '.status.waitingUntil' },
  ],
};
