import { Type, type Static } from '@sinclair/typebox';
import { NAME_PATTERN } from '../resource.ts';
import { JobScript } from '../kinds/job-template.ts';

/** Where a run goes: hosts by name, hosts by label selector, or one cluster (as a Kubernetes Job). */
export const JobTargets = Type.Object(
  {
    hosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { minItems: 1, maxItems: 10_000 }),
    ),
    selector: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2000, description: 'A label selector over hosts.' }),
    ),
    cluster: Type.Optional(
      Type.String({ pattern: NAME_PATTERN, maxLength: 63, description: 'A Cluster of the team.' }),
    ),
  },
  { additionalProperties: false, description: 'Exactly one of hosts, selector or cluster.' },
);
export type JobTargets = Static<typeof JobTargets>;

export const JobParameterValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
export type JobParameterValue = Static<typeof JobParameterValue>;

export const CreateJobRunRequest = Type.Object(
  {
    team: Type.String({ pattern: NAME_PATTERN, maxLength: 63 }),
    template: Type.Optional(Type.String({ pattern: NAME_PATTERN, maxLength: 63 })),
    /** An ad-hoc script instead of a template: team-admins only, recorded in full. */
    script: Type.Optional(JobScript),
    parameters: Type.Record(Type.String(), JobParameterValue, { default: {} }),
    targets: JobTargets,
    concurrency: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 50,
      description: 'Targets running at once.',
    }),
    batchSize: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        description: 'Targets per batch; a batch starts when the previous one ended.',
      }),
    ),
    stopAfterFailures: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Stop dispatching after this many failed targets.' }),
    ),
    timeoutSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 86_400, description: 'Ad-hoc scripts only.' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateJobRunRequest = Static<typeof CreateJobRunRequest>;

export const JOB_RUN_STATES = ['Running', 'Succeeded', 'Failed', 'Cancelled'] as const;
export const JobRunState = Type.Union(JOB_RUN_STATES.map((state) => Type.Literal(state)));
export type JobRunState = Static<typeof JobRunState>;

export const JOB_TARGET_STATES = [
  'queued',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'lost',
  'timed-out',
] as const;
export const JobTargetState = Type.Union(JOB_TARGET_STATES.map((state) => Type.Literal(state)));
export type JobTargetState = Static<typeof JobTargetState>;
/** A target in one of these states is done for good. */
export const FINAL_TARGET_STATES: readonly JobTargetState[] = [
  'succeeded',
  'failed',
  'cancelled',
  'lost',
  'timed-out',
];

export const JobTarget = Type.Object(
  {
    runId: Type.String(),
    target: Type.String({ description: 'A host name, or `cluster/<name>`.' }),
    kind: Type.Union([Type.Literal('host'), Type.Literal('cluster')]),
    ordinal: Type.Integer(),
    state: JobTargetState,
    attempt: Type.Integer({ description: 'The attempt number, from 1; 0 before the first dispatch.' }),
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    signal: Type.Union([Type.String(), Type.Null()]),
    reason: Type.String({
      description: 'A reason constant for the state, e.g. Exited, TimedOut, AgentGone.',
    }),
    message: Type.String(),
    outputBytes: Type.Integer(),
    truncated: Type.Boolean(),
    dispatchedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type JobTarget = Static<typeof JobTarget>;

export const JobRun = Type.Object(
  {
    id: Type.String(),
    team: Type.String(),
    template: Type.String({ description: "The template's name; '' for an ad-hoc script." }),
    templateVersion: Type.String({ description: "The template's resourceVersion when the run was created." }),
    scriptSha256: Type.String({
      description: 'SHA-256 of the script (or action, or image and command) that ran.',
    }),
    parameters: Type.Record(Type.String(), JobParameterValue),
    targets: JobTargets,
    concurrency: Type.Integer(),
    batchSize: Type.Union([Type.Integer(), Type.Null()]),
    stopAfterFailures: Type.Union([Type.Integer(), Type.Null()]),
    createdBy: Type.String(),
    schedule: Type.Union([Type.String(), Type.Null()]),
    rerunOf: Type.Union([Type.String(), Type.Null()]),
    state: JobRunState,
    reason: Type.String(),
    cancelRequested: Type.Boolean(),
    counts: Type.Record(Type.String(), Type.Integer(), { description: 'Targets by state.' }),
    createdAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type JobRun = Static<typeof JobRun>;

export const JobRunWithTargets = Type.Composite(
  [JobRun, Type.Object({ targetList: Type.Array(JobTarget) })],
  {
    additionalProperties: false,
  },
);
export type JobRunWithTargets = Static<typeof JobRunWithTargets>;

export const JobRunPage = Type.Object(
  { items: Type.Array(JobRun), continue: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type JobRunPage = Static<typeof JobRunPage>;

export const JobRunQuery = Type.Object(
  {
    team: Type.Optional(Type.String()),
    template: Type.Optional(Type.String()),
    state: Type.Optional(JobRunState),
    host: Type.Optional(
      Type.String({ minLength: 1, maxLength: 253, description: 'Runs with this host among their targets.' }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type JobRunQuery = Static<typeof JobRunQuery>;

export const JobOutputChunk = Type.Object(
  {
    id: Type.Integer({ description: 'Position in the run’s output; the cursor for following.' }),
    target: Type.String(),
    attempt: Type.Integer(),
    seq: Type.Integer(),
    stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr'), Type.Literal('system')]),
    data: Type.String(),
    at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type JobOutputChunk = Static<typeof JobOutputChunk>;

export const JobOutputPage = Type.Object(
  {
    chunks: Type.Array(JobOutputChunk),
    cursor: Type.Integer({ description: 'Pass as `after` to read on.' }),
    done: Type.Boolean({ description: 'The run has ended and every chunk up to `cursor` has been read.' }),
  },
  { additionalProperties: false },
);
export type JobOutputPage = Static<typeof JobOutputPage>;

export const JobOutputQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
    target: Type.Optional(Type.String()),
    waitSeconds: Type.Optional(
      Type.String({ pattern: '^[0-9]+$', description: 'Long-poll up to this long (max 30).' }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  },
  { additionalProperties: false },
);
export type JobOutputQuery = Static<typeof JobOutputQuery>;
