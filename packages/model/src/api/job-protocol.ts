import { Type, type Static } from '@sinclair/typebox';
import { JobParameterValue } from './jobs.ts';
import { JobLimits, JobRunAs, JobScript, BUILTIN_JOB_ACTIONS } from '../kinds/job-template.ts';

/** The channel jobs use on the agent transport. */
export { JOBS_CHANNEL } from './agent-wire.ts';

/** One attempt of one run on one host: what the agent de-duplicates on. */
const AttemptKey = {
  runId: Type.String({ minLength: 1, maxLength: 64 }),
  target: Type.String({ minLength: 1, maxLength: 253 }),
  attempt: Type.Integer({ minimum: 1 }),
};

/** Server → agent: run this. */
export const JobStartMessage = Type.Object(
  {
    type: Type.Literal('start'),
    ...AttemptKey,
    script: Type.Optional(JobScript),
    action: Type.Optional(Type.Union(BUILTIN_JOB_ACTIONS.map((name) => Type.Literal(name)))),
    parameters: Type.Record(Type.String(), JobParameterValue),
    /** Secret values by environment variable; the agent masks them in the output. */
    secrets: Type.Record(Type.String(), Type.String()),
    runAs: JobRunAs,
    timeoutSeconds: Type.Integer({ minimum: 1 }),
    maxOutputBytes: Type.Integer({ minimum: 1 }),
    /** The template's `touches.limits`: the agent runs the script under them, or refuses it. */
    limits: Type.Optional(JobLimits),
  },
  { additionalProperties: false },
);
export type JobStartMessage = Static<typeof JobStartMessage>;

/** Server → agent: stop this attempt (its process group gets SIGTERM, then SIGKILL). */
export const JobCancelMessage = Type.Object(
  { type: Type.Literal('cancel'), ...AttemptKey },
  { additionalProperties: false },
);
export type JobCancelMessage = Static<typeof JobCancelMessage>;

export const JobServerMessage = Type.Union([JobStartMessage, JobCancelMessage]);
export type JobServerMessage = Static<typeof JobServerMessage>;

/** Agent → server: the attempt started (or was already known: `duplicate`). */
export const JobAcceptedMessage = Type.Object(
  {
    type: Type.Literal('accepted'),
    ...AttemptKey,
    at: Type.String(),
    duplicate: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type JobAcceptedMessage = Static<typeof JobAcceptedMessage>;

/** Agent → server: a piece of output, numbered from 1 per attempt. */
export const JobOutputMessage = Type.Object(
  {
    type: Type.Literal('output'),
    ...AttemptKey,
    seq: Type.Integer({ minimum: 1 }),
    stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr'), Type.Literal('system')]),
    data: Type.String(),
  },
  { additionalProperties: false },
);
export type JobOutputMessage = Static<typeof JobOutputMessage>;

export const JOB_FINISH_REASONS = [
  'Exited',
  'Signalled',
  'TimedOut',
  'Cancelled',
  'Refused',
  'SpawnFailed',
] as const;
export const JobFinishReason = Type.Union(JOB_FINISH_REASONS.map((reason) => Type.Literal(reason)));
export type JobFinishReason = Static<typeof JobFinishReason>;

/** Agent → server: the attempt ended. */
export const JobFinishedMessage = Type.Object(
  {
    type: Type.Literal('finished'),
    ...AttemptKey,
    reason: JobFinishReason,
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    signal: Type.Union([Type.String(), Type.Null()]),
    message: Type.String(),
    outputBytes: Type.Integer({ minimum: 0 }),
    truncated: Type.Boolean(),
    /** The last output seq sent, so the server knows when it has every chunk. */
    lastSeq: Type.Integer({ minimum: 0 }),
    at: Type.String(),
  },
  { additionalProperties: false },
);
export type JobFinishedMessage = Static<typeof JobFinishedMessage>;

export const JobAgentMessage = Type.Union([JobAcceptedMessage, JobOutputMessage, JobFinishedMessage]);
export type JobAgentMessage = Static<typeof JobAgentMessage>;
