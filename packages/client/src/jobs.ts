/**
 * Jobs on the wire (docs/adr/0017-jobs.md): the JobTemplate and Schedule specs and the job run records
 * and bodies, as the model declares them (packages/model/src/kinds/job-template.ts, schedule.ts,
 * api/jobs.ts), imported as types only.
 */
export type {
  CreateJobRunRequest,
  JobOutputChunk,
  JobOutputPage,
  JobParameter,
  JobParameterSchema,
  JobParameterValue,
  JobRun,
  JobRunPage,
  JobRunState,
  JobRunWithTargets,
  JobTarget,
  JobTargets,
  JobTargetState,
  JobTemplateSpec,
  ScheduleSpec,
} from '@gantry/model';
