import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { Condition, NAME_PATTERN, StringEnum } from '../resource.ts';

/** What an inventory check is evaluated over, one object at a time (and what a `cel` check sees as lists). */
export const INSPECTION_SUBJECTS = [
  'nodes',
  'workloads',
  'clusters',
  'applications',
  'certificates',
] as const;
export type InspectionSubject = (typeof INSPECTION_SUBJECTS)[number];

const Cel = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description });

export const InspectionCheck = Type.Object(
  {
    name: Type.String({ pattern: NAME_PATTERN, maxLength: 63, description: 'Unique within the inspection.' }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    promql: Type.Optional(
      Type.Object(
        {
          source: Type.String({
            pattern: NAME_PATTERN,
            maxLength: 63,
            description: 'A MetricsSource of the team.',
          }),
          query: Type.String({
            minLength: 1,
            maxLength: 10_000,
            description: 'A PromQL instant query; each series it returns is judged by `condition`.',
          }),
          condition: Cel('CEL over `value` (a double) and `labels` (a map); true makes the series a risk.'),
          whenEmpty: StringEnum(['noData', 'noRisk'] as const, {
            default: 'noData',
            description:
              'An empty answer: `noData` (default; nothing is recorded or closed, the run says so) or `noRisk` (the query only returns series at risk, so empty means none: open risks of the check close).',
          }),
        },
        { additionalProperties: false, description: 'A PromQL query against a MetricsSource.' },
      ),
    ),
    inventory: Type.Optional(
      Type.Object(
        {
          over: StringEnum(INSPECTION_SUBJECTS, {
            description:
              'The objects of the team the condition is evaluated over, one at a time, bound to `node`, `workload`, `cluster`, `application` or `certificate` (TLS Secrets, when the fleet collects them).',
          }),
          condition: Cel('CEL; one risk per object for which it is true.'),
        },
        { additionalProperties: false, description: "Objects of the team's inventory and resources." },
      ),
    ),
    cel: Type.Optional(
      Type.Object(
        {
          condition: Cel(
            'CEL over the lists `nodes`, `workloads`, `clusters`, `applications` and `certificates` of the team; one risk when true.',
          ),
        },
        { additionalProperties: false, description: 'One condition over the whole of the team.' },
      ),
    ),
    score: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 50,
      description: 'The score of each risk found.',
    }),
    scoreExpression: Type.Optional(
      Cel(
        'CEL giving a number (clamped to 0..100) instead of `score`, over the same variables as the condition.',
      ),
    ),
    title: Type.Optional(
      Type.String({
        maxLength: 1000,
        description:
          'The title of each risk; `${...}` CEL templates over the same variables. Default: the check and the object.',
      }),
    ),
    maxRisks: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 500,
      description: 'Most risks one run of the check records; the rest are counted as dropped.',
    }),
  },
  { additionalProperties: false },
);
export type InspectionCheck = Static<typeof InspectionCheck>;

export const InspectionSpec = Type.Object(
  {
    schedule: Type.Object(
      {
        cron: Type.String({
          minLength: 9,
          maxLength: 200,
          description: 'Five fields (or six, with seconds first).',
        }),
        timeZone: Type.String({
          default: 'UTC',
          maxLength: 64,
          description: 'An IANA time zone, e.g. Europe/Berlin.',
        }),
      },
      { additionalProperties: false },
    ),
    suspend: Type.Boolean({
      default: false,
      description: 'No scheduled runs while true; manual runs still work.',
    }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    checks: Type.Array(InspectionCheck, { minItems: 1, maxItems: 200 }),
  },
  { additionalProperties: false },
);
export type InspectionSpec = Static<typeof InspectionSpec>;

export const InspectionStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    lastScheduleTime: Type.Optional(
      Type.String({ format: 'date-time', description: 'The last cron slot run.' }),
    ),
    nextRunTime: Type.Optional(Type.String({ format: 'date-time' })),
    lastRun: Type.Optional(
      Type.Object(
        {
          id: Type.String(),
          state: Type.String(),
          startedAt: Type.String({ format: 'date-time' }),
          findings: Type.Integer({ minimum: 0 }),
          failed: Type.Integer({ minimum: 0, description: 'Checks that failed.' }),
        },
        { additionalProperties: false },
      ),
    ),
    conditions: Type.Optional(Type.Array(Condition)),
  },
  { additionalProperties: false },
);
export type InspectionStatus = Static<typeof InspectionStatus>;

export const inspectionKind: KindDefinition = {
  kind: 'Inspection',
  plural: 'inspections',
  shortNames: ['insp'],
  scope: 'Team',
  description:
    'Checks a team runs on a cron (PromQL, inventory CEL, aggregate CEL); each run is kept and records risks.',
  spec: InspectionSpec,
  status: InspectionStatus,
  printerColumns: [
    { name: 'Cron', jsonPath: '.spec.schedule.cron' },
    { name: 'Last', jsonPath: '.status.lastRun.startedAt' },
    { name: 'Findings', jsonPath: '.status.lastRun.findings' },
    { name: 'Next', jsonPath: '.status.nextRunTime' },
  ],
};
