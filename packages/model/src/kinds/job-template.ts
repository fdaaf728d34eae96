import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { NAME_PATTERN } from '../resource.ts';

/** A parameter's name: also its environment variable (`GANTRY_PARAM_<NAME>`) and its CLI flag (`--name`). */
export const PARAMETER_NAME_PATTERN = '^[a-z][a-z0-9_]{0,62}$';

/** One parameter: the JSON Schema subset that CLI flags and console forms can render. */
export const JobParameter = Type.Object(
  {
    type: Type.Union([
      Type.Literal('string'),
      Type.Literal('integer'),
      Type.Literal('number'),
      Type.Literal('boolean'),
    ]),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    default: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    enum: Type.Optional(
      Type.Array(Type.Union([Type.String(), Type.Number()]), { minItems: 1, maxItems: 100 }),
    ),
    pattern: Type.Optional(Type.String({ maxLength: 500 })),
    minLength: Type.Optional(Type.Integer({ minimum: 0 })),
    maxLength: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_536 })),
    minimum: Type.Optional(Type.Number()),
    maximum: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type JobParameter = Static<typeof JobParameter>;

export const JobParameterSchema = Type.Object(
  {
    type: Type.Literal('object', { default: 'object' }),
    properties: Type.Record(Type.String({ pattern: PARAMETER_NAME_PATTERN }), JobParameter, {
      default: {},
      maxProperties: 64,
    }),
    required: Type.Optional(Type.Array(Type.String({ pattern: PARAMETER_NAME_PATTERN }), { maxItems: 64 })),
  },
  {
    additionalProperties: false,
    description: 'A JSON Schema subset: an object of flat string, integer, number and boolean properties.',
  },
);
export type JobParameterSchema = Static<typeof JobParameterSchema>;

export const JobScript = Type.Object(
  {
    interpreter: Type.Union([Type.Literal('sh'), Type.Literal('bash'), Type.Literal('python3')], {
      default: 'sh',
    }),
    source: Type.String({ minLength: 1, maxLength: 262_144, description: 'The script text.' }),
  },
  { additionalProperties: false },
);
export type JobScript = Static<typeof JobScript>;

/** Actions every agent knows without a script. */
export const BUILTIN_JOB_ACTIONS = ['noop', 'echo-parameters'] as const;
export type BuiltinJobAction = (typeof BUILTIN_JOB_ACTIONS)[number];

export const JobSecretReference = Type.Object(
  {
    env: Type.String({ pattern: '^[A-Z_][A-Z0-9_]{0,127}$', description: 'The environment variable.' }),
    secret: Type.String({
      pattern: NAME_PATTERN,
      maxLength: 63,
      description: "A secret of the template's team.",
    }),
    key: Type.String({ minLength: 1, maxLength: 253 }),
  },
  { additionalProperties: false },
);
export type JobSecretReference = Static<typeof JobSecretReference>;

export const JobRunAs = Type.Object(
  {
    user: Type.String({
      default: '',
      maxLength: 32,
      description: "A user on the host; '' is the agent's configured unprivileged job user.",
    }),
    allowRoot: Type.Boolean({
      default: false,
      description: 'Run as root when `user` is root; the agent must also allow it in its own configuration.',
    }),
  },
  { additionalProperties: false },
);
export type JobRunAs = Static<typeof JobRunAs>;

export const JobClusterSpec = Type.Object(
  {
    image: Type.String({ minLength: 1, maxLength: 500 }),
    command: Type.Array(Type.String({ maxLength: 10_000 }), { minItems: 1, maxItems: 100 }),
    namespace: Type.String({ pattern: NAME_PATTERN, maxLength: 63, default: 'gantry-jobs' }),
    ttlSecondsAfterFinished: Type.Integer({ minimum: 0, maximum: 604_800, default: 600 }),
  },
  { additionalProperties: false, description: 'On a cluster target the job runs as a Kubernetes Job.' },
);
export type JobClusterSpec = Static<typeof JobClusterSpec>;

/** Resource limits the agent applies to a script's processes (kernel rlimits, through `prlimit`). */
export const JobLimits = Type.Object(
  {
    cpuSeconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 604_800,
        description: 'CPU time of each process (RLIMIT_CPU): SIGXCPU, then SIGKILL.',
      }),
    ),
    memoryBytes: Type.Optional(
      Type.Integer({
        minimum: 16 * 1024 * 1024,
        maximum: 2 ** 50,
        description: 'Address space of each process (RLIMIT_AS): allocations beyond it fail.',
      }),
    ),
    fileSizeBytes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 2 ** 50,
        description: 'Largest file a process may write (RLIMIT_FSIZE): SIGXFSZ beyond it.',
      }),
    ),
    openFiles: Type.Optional(
      Type.Integer({
        minimum: 16,
        maximum: 1_048_576,
        description: 'Open files per process (RLIMIT_NOFILE).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type JobLimits = Static<typeof JobLimits>;

/** What a template declares it touches, and the part of it Gantry enforces (ADR 0017). */
export const JobTouches = Type.Object(
  {
    hosts: Type.Optional(
      Type.String({
        maxLength: 1000,
        description: 'A label selector every host target must match: a run outside it is refused.',
      }),
    ),
    clusters: Type.Optional(
      Type.Array(Type.String({ pattern: NAME_PATTERN, maxLength: 63 }), {
        maxItems: 100,
        description: 'The clusters a cluster target may name: a run on another is refused.',
      }),
    ),
    paths: Type.Optional(
      Type.Array(Type.String({ maxLength: 500 }), {
        maxItems: 100,
        description: 'Paths the job says it touches: recorded and shown; not enforced.',
      }),
    ),
    limits: Type.Optional(JobLimits),
  },
  { additionalProperties: false },
);
export type JobTouches = Static<typeof JobTouches>;

export const JobTemplateSpec = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    script: Type.Optional(JobScript),
    action: Type.Optional(
      Type.Union(
        BUILTIN_JOB_ACTIONS.map((name) => Type.Literal(name)),
        { description: 'A built-in action instead of a script.' },
      ),
    ),
    cluster: Type.Optional(JobClusterSpec),
    parameters: Type.Optional(JobParameterSchema),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
    retries: Type.Integer({
      minimum: 0,
      maximum: 10,
      default: 0,
      description: 'Further attempts on a target whose attempt failed (not on timeout, cancel or loss).',
    }),
    runAs: Type.Optional(JobRunAs),
    touches: Type.Optional(
      Type.Union(
        [
          Type.Array(Type.String({ maxLength: 500 }), {
            maxItems: 100,
            description: 'The first form: what the job says it touches (paths, services); not enforced.',
          }),
          JobTouches,
        ],
        {
          description:
            'What the job touches: `hosts` and `clusters` bound its targets, `limits` bind its processes; `paths` (and the list form) are declared only.',
        },
      ),
    ),
    secrets: Type.Optional(Type.Array(JobSecretReference, { maxItems: 32 })),
    maxOutputBytes: Type.Integer({
      minimum: 1024,
      maximum: 16 * 1024 * 1024,
      default: 1024 * 1024,
      description: 'Stdout and stderr kept per target; beyond it the output is cut with a marker.',
    }),
  },
  { additionalProperties: false },
);
export type JobTemplateSpec = Static<typeof JobTemplateSpec>;

export const jobTemplateKind: KindDefinition = {
  kind: 'JobTemplate',
  plural: 'jobtemplates',
  shortNames: ['jt'],
  scope: 'Team',
  description:
    'A job that operators of the team may run on hosts (a script or a built-in action) or on clusters (a Kubernetes Job), with its parameter schema, timeout, retries, user and secrets.',
  spec: JobTemplateSpec,
  printerColumns: [
    { name: 'Interpreter', jsonPath: '.spec.script.interpreter' },
    { name: 'Action', jsonPath: '.spec.action' },
    { name: 'Image', jsonPath: '.spec.cluster.image' },
    { name: 'Timeout', jsonPath: '.spec.timeoutSeconds' },
  ],
};
