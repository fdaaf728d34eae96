import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  CreateJobRunRequest,
  ErrorCodes,
  InputError,
  JobOutputPage,
  JobOutputQuery,
  JobRun,
  JobRunPage,
  JobRunQuery,
  JobRunWithTargets,
} from '@gantry/model';
import type { JobService } from '@gantry/jobs';
import { IdempotencyHeaders, requestFingerprint } from '../idempotency.ts';
import { errorResponses } from '../responses.ts';

const RunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

function bounded(value: string | undefined, name: string, fallback: number, max: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new InputError(
      `${name} must be from ${min} to ${max}`,
      [{ path: `querystring/${name}`, message: `must be ${min}-${max}` }],
      ErrorCodes.invalid,
    );
  return n;
}

/** Job runs: create, list, get, follow output (long-poll with a cursor), cancel, re-run failed targets. */
export function jobRoutes(fastify: FastifyInstance, jobs: JobService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['jobs'];
  app.post(
    '/api/jobs/runs',
    {
      schema: {
        tags,
        summary: 'Run a JobTemplate (or, for team-admins, an ad-hoc script) on hosts or a cluster',
        body: CreateJobRunRequest,
        headers: IdempotencyHeaders,
        response: { 201: JobRun, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      let replayed = false;
      const run = await jobs.create(
        request.caller,
        request.body,
        typeof key === 'string'
          ? {
              idempotency: {
                key,
                fingerprint: requestFingerprint(request.method, request.url, request.body),
              },
              onReplay: () => (replayed = true),
            }
          : {},
      );
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(run);
    },
  );
  app.get(
    '/api/jobs/runs',
    {
      schema: {
        tags,
        summary: 'List job runs, newest first',
        querystring: JobRunQuery,
        response: { 200: JobRunPage },
      },
    },
    (request) => {
      const q = request.query;
      return jobs.list(request.caller, {
        ...(q.team !== undefined ? { team: q.team } : {}),
        ...(q.template ? { template: q.template } : {}),
        ...(q.state ? { state: q.state } : {}),
        ...(q.host ? { host: q.host } : {}),
        ...(q.continue ? { continue: q.continue } : {}),
        limit: bounded(q.limit, 'limit', 100, 1000),
      });
    },
  );
  app.get(
    '/api/jobs/runs/:id',
    {
      schema: {
        tags,
        summary: 'A job run with its targets',
        params: RunParams,
        response: { 200: JobRunWithTargets },
      },
    },
    (request) => jobs.get(request.caller, request.params.id),
  );
  app.get(
    '/api/jobs/runs/:id/output',
    {
      schema: {
        tags,
        summary: "A run's output after a cursor; waits up to waitSeconds for more while the run goes on",
        params: RunParams,
        querystring: JobOutputQuery,
        response: { 200: JobOutputPage },
      },
    },
    (request) => {
      const q = request.query;
      return jobs.output(request.caller, request.params.id, {
        after: bounded(q.after, 'after', 0, Number.MAX_SAFE_INTEGER, 0),
        ...(q.target ? { target: q.target } : {}),
        limit: bounded(q.limit, 'limit', 1000, 5000),
        waitMs: bounded(q.waitSeconds, 'waitSeconds', 0, 30, 0) * 1000,
      });
    },
  );
  app.post(
    '/api/jobs/runs/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a run: queued targets never start, running ones are stopped',
        params: RunParams,
        response: { 200: JobRun, ...errorResponses(409) },
      },
    },
    (request) => jobs.cancel(request.caller, request.params.id),
  );
  app.post(
    '/api/jobs/runs/:id/rerun-failed',
    {
      schema: {
        tags,
        summary: 'A new run, linked to this one, of its failed, timed-out and lost targets',
        params: RunParams,
        response: { 201: JobRun, ...errorResponses(409) },
      },
    },
    async (request, reply) => reply.code(201).send(await jobs.rerunFailed(request.caller, request.params.id)),
  );
}
