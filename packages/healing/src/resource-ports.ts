import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import {
  API_VERSION,
  deliveryAnnotations,
  ErrorCodes,
  isGantryError,
  type ApplicationStatus,
  type ChangeStatus,
  type ClusterRevisionPins,
  type CreateJobRunRequest,
  type JobOutputPage,
  type JobRun,
  type JobRunWithTargets,
  type Resource,
} from '@gantry/model';
import type { EvidenceResult } from './diagnosis.ts';
import type { DiagnosticJobRunner } from './evidence.ts';
import type { ResourceService } from '@gantry/resources';
import type { ResourceRepository } from '@gantry/store';
import type { ApplicationRevisions, ChangeSubmitter, HealingOutcomePort, SilenceCreator } from './ports.ts';

/** Who healing writes as: the system, named after the controller (audit entries say `controller/healing`). */
export const HEALING_CALLER: Caller = { principal: SYSTEM_PRINCIPAL, source: 'controller/healing' };

type Writes = Pick<ResourceService, 'create' | 'get'>;

const failure = (error: unknown) => {
  if (isGantryError(error)) return { ok: false as const, reason: error.code, message: error.message };
  throw error;
};

/**
 * Changes submitted through the generic resource API, so a healing Change passes the same admission as a
 * person's (plan, windows) and the change engine picks it up like any other. Idempotent by name: a Change
 * that exists already answers `created: false`.
 */
export function createResourceChangeSubmitter(
  resources: Writes,
  caller: Caller = HEALING_CALLER,
): ChangeSubmitter {
  return {
    async submit(team, name, spec, labels, fence) {
      try {
        await resources.create(
          caller,
          'Change',
          team,
          { apiVersion: API_VERSION, kind: 'Change', metadata: { name, team, labels }, spec },
          fence ? { fence } : {},
        );
        return { ok: true, created: true };
      } catch (error) {
        if (isGantryError(error) && error.code === ErrorCodes.alreadyExists)
          return { ok: true, created: false };
        return failure(error);
      }
    },
    async phase(team, name) {
      try {
        const change = (await resources.get(caller, 'Change', team, name)) as Resource<unknown, ChangeStatus>;
        const phase = change.status?.phase ?? 'Pending';
        // What holds it: the engine's Blocked condition (stop-the-line, windows, the budget), or a pause.
        const blocked = change.status?.conditions?.find((c) => c.type === 'Blocked' && c.status === 'True');
        const held = blocked
          ? { reason: blocked.reason, message: blocked.message }
          : phase === 'Paused'
            ? { reason: 'Paused', message: change.status?.message ?? 'paused' }
            : undefined;
        return {
          phase,
          ...(change.status?.message ? { message: change.status.message } : {}),
          ...(held ? { held } : {}),
        };
      } catch (error) {
        if (isGantryError(error) && error.code === ErrorCodes.notFound) return undefined;
        throw error;
      }
    },
  };
}

/** Silences as Silence resources of the team (the alert pipeline applies them). Idempotent by name. */
export function createResourceSilenceCreator(
  resources: Writes,
  caller: Caller = HEALING_CALLER,
): SilenceCreator {
  return {
    async create(team, name, silence, fence) {
      try {
        await resources.create(
          caller,
          'Silence',
          team,
          {
            apiVersion: API_VERSION,
            kind: 'Silence',
            metadata: { name, team },
            spec: {
              matchers: silence.matchers.map((m) => ({
                name: m.name,
                value: m.value,
                isRegex: false,
                isEqual: true,
              })),
              startsAt: silence.startsAt,
              endsAt: silence.endsAt,
              createdBy: caller.source,
              comment: silence.comment,
            },
          },
          fence ? { fence } : {},
        );
        return { ok: true };
      } catch (error) {
        if (isGantryError(error) && error.code === ErrorCodes.alreadyExists) return { ok: true };
        return failure(error);
      }
    },
  };
}

/**
 * Marks a healed exception mitigated through the exception service (its lifecycle rules and audit). An
 * exception that resolved by itself meanwhile cannot be mitigated: that is not an error for healing.
 */
export function createExceptionOutcomePort(
  exceptions: { mitigate(caller: Caller, team: string, id: string, reason?: string): Promise<unknown> },
  caller: Caller = HEALING_CALLER,
): HealingOutcomePort {
  return {
    async markHealed(team, exceptionId, message) {
      try {
        await exceptions.mitigate(caller, team, exceptionId, message.slice(0, 2000));
      } catch (error) {
        if (isGantryError(error) && error.code === ErrorCodes.exceptionState) return;
        throw error;
      }
    },
  };
}

/** The job service as a diagnostic runner needs it (`JobService` of `@gantry/jobs`). */
export interface DiagnosticJobs {
  create(caller: Caller, input: CreateJobRunRequest): Promise<JobRun>;
  get(caller: Caller, id: string): Promise<JobRunWithTargets>;
  output(
    caller: Caller,
    id: string,
    options: { after: number; target?: string; limit: number; waitMs: number },
  ): Promise<JobOutputPage>;
}

/**
 * Diagnostic jobs through the job service: a run of the template on the one host (audited, parameters
 * checked as any run), followed by long-polling its output until it ends or `timeoutMs` passes. The
 * evidence is `{state, exitCode, output}` (the last 4 KiB of stdout); a run that does not end in time is
 * `JobTimedOut` (the diagnosis stops; the job's own timeout ends it on the host).
 */
export function createJobDiagnosticRunner(
  jobs: DiagnosticJobs,
  now: () => number,
  caller: Caller = HEALING_CALLER,
): DiagnosticJobRunner {
  return {
    async run(team, host, template, parameters, timeoutMs): Promise<EvidenceResult> {
      let run: JobRun;
      try {
        run = await jobs.create(caller, {
          team,
          template,
          parameters,
          targets: { hosts: [host] },
          concurrency: 1,
        });
      } catch (error) {
        if (isGantryError(error)) return { ok: false, reason: error.code, message: error.message };
        throw error;
      }
      const deadline = now() + timeoutMs;
      let output = '';
      let after = 0;
      for (;;) {
        const page = await jobs.output(caller, run.id, {
          after,
          limit: 500,
          waitMs: Math.max(0, Math.min(5_000, deadline - now())),
        });
        for (const chunk of page.chunks)
          if (chunk.stream === 'stdout') output = (output + chunk.data).slice(-4096);
        after = page.cursor;
        if (page.done) break;
        if (now() >= deadline)
          return {
            ok: false,
            reason: 'JobTimedOut',
            message: `job run ${run.id} did not end within ${timeoutMs} ms`,
          };
      }
      const ended = await jobs.get(caller, run.id);
      const target = ended.targetList[0];
      // No exit code (lost, cancelled, timed out on the host): nothing is known, so nothing is concluded.
      if (!target || target.exitCode === null)
        return {
          ok: false,
          reason: 'JobNoExitCode',
          message: `job run ${run.id} ended ${target?.state ?? 'without a target'}${target?.message ? `: ${target.message}` : ''}`,
        };
      return {
        ok: true,
        value: {
          runId: run.id,
          state: ended.state,
          exitCode: target.exitCode,
          targetState: target.state,
          output,
        },
      };
    },
  };
}

/**
 * The revision an application's cluster ran before its current one, from the Application itself: the
 * cluster's entry in a rollout's pins (`app.gantry.dev/cluster-revisions` `previous`, ADR 0036), else the
 * revision before the one the cluster (or the application) reports applied. Gantry keeps no health verdict
 * per revision: a rollback to a revision that is no better fails its verification, and the ladder goes on.
 */
export function createApplicationRevisionReader(
  repository: Pick<ResourceRepository, 'get'>,
): ApplicationRevisions {
  return {
    async previous(team, application, cluster) {
      const app = (await repository.get({ kind: 'Application', team, name: application })) as
        Resource<unknown, ApplicationStatus> | undefined;
      if (!app) return undefined;
      const raw = app.metadata.annotations?.[deliveryAnnotations.clusterRevisions];
      if (raw !== undefined && cluster !== undefined) {
        try {
          const pinned = (JSON.parse(raw) as ClusterRevisionPins).previous?.[cluster];
          if (typeof pinned === 'number') return pinned;
        } catch {
          // A malformed annotation is the controller's to report; fall back to the status.
        }
      }
      const current =
        (cluster !== undefined
          ? app.status?.targets?.find((target) => target.cluster === cluster)?.revision
          : undefined) ?? app.status?.revision;
      return current !== undefined && current > 1 ? current - 1 : undefined;
    },
  };
}
