import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { NAME_PATTERN } from '../resource.ts';
import { JobTargets } from '../api/jobs.ts';

export const ScheduleSpec = Type.Object(
  {
    template: Type.String({
      pattern: NAME_PATTERN,
      maxLength: 63,
      description: 'A JobTemplate of the team.',
    }),
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
    concurrencyPolicy: Type.Union([Type.Literal('Skip'), Type.Literal('Queue')], {
      default: 'Skip',
      description:
        'When the previous run is still going: Skip this time, or Queue it to start when that one ends.',
    }),
    suspend: Type.Boolean({ default: false }),
    parameters: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
      default: {},
    }),
    targets: JobTargets,
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    stopAfterFailures: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type ScheduleSpec = Static<typeof ScheduleSpec>;

export const ScheduleStatus = Type.Object(
  {
    lastScheduleTime: Type.Optional(Type.String({ format: 'date-time' })),
    lastRunId: Type.Optional(Type.String()),
    nextScheduleTime: Type.Optional(Type.String({ format: 'date-time' })),
    queued: Type.Optional(Type.Integer({ description: 'Runs waiting for the previous one (Queue).' })),
    lastError: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ScheduleStatus = Static<typeof ScheduleStatus>;

export const scheduleKind: KindDefinition = {
  kind: 'Schedule',
  plural: 'schedules',
  shortNames: ['sched'],
  scope: 'Team',
  description:
    'Runs a JobTemplate on a cron in a time zone, skipping or queueing while the previous run is going.',
  spec: ScheduleSpec,
  status: ScheduleStatus,
  printerColumns: [
    { name: 'Template', jsonPath: '.spec.template' },
    { name: 'Cron', jsonPath: '.spec.cron' },
    { name: 'Zone', jsonPath: '.spec.timeZone' },
    { name: 'Last', jsonPath: '.status.lastScheduleTime' },
    { name: 'Next', jsonPath: '.status.nextScheduleTime' },
  ],
};
