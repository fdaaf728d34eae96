import { createHash } from 'node:crypto';
import type { Caller, Principal } from '@gantry/identity';
import type { HostDirectory, JobService } from '@gantry/jobs';
import { isGantryError, type ChangeSpec, type ChangeTargets, type JobRun } from '@gantry/model';
import type { ActuatorOutcome, ApplyRequest, ChangeActuator, TargetResolution } from './actuator.ts';

export const JobActuatorReason = {
  HostNotFound: 'HostNotFound',
  RunRefused: 'RunRefused',
  RunFailed: 'RunFailed',
  RunCancelled: 'RunCancelled',
  RunMissing: 'RunMissing',
} as const;

export interface JobRunActuatorDeps {
  jobs: Pick<JobService, 'create' | 'list' | 'get'>;
  hosts: HostDirectory;
}

/**
 * Runs a change's JobTemplate on each host, one job run per entity, and follows it to its end. The run
 * is created by a principal named after the step's key (`change/<name>#<hash>`), which is what makes a
 * repeated apply idempotent: before creating a run, the actuator looks for the host's runs of the
 * template created under that name, and follows the one it finds.
 */
export class JobRunActuator implements ChangeActuator {
  readonly entityKind = 'Host';

  constructor(private readonly deps: JobRunActuatorDeps) {}

  async resolve(team: string, _spec: ChangeSpec, targets: ChangeTargets): Promise<TargetResolution> {
    if (targets.names) {
      const known = new Set(await this.deps.hosts.known(team, targets.names));
      const unknown = targets.names.filter((name) => !known.has(name));
      if (unknown.length > 0)
        return {
          ok: false,
          reason: JobActuatorReason.HostNotFound,
          message: `not hosts of the team: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`,
        };
      return { ok: true, entities: [...targets.names] };
    }
    return { ok: true, entities: await this.deps.hosts.select(team, targets.selector ?? '') };
  }

  apply(request: ApplyRequest): Promise<ActuatorOutcome> {
    return this.#run(request, request.spec.jobRun?.template);
  }

  /** The change's declared rollback template, run on the host with the same parameters. */
  canUndo(spec: ChangeSpec): boolean {
    return spec.jobRun?.rollbackTemplate !== undefined;
  }

  undo(request: ApplyRequest): Promise<ActuatorOutcome> {
    return this.#run(request, request.spec.jobRun?.rollbackTemplate);
  }

  async #run(request: ApplyRequest, template: string | undefined): Promise<ActuatorOutcome> {
    const jobRun = request.spec.jobRun;
    if (!jobRun || !template)
      return { status: 'Failed', reason: JobActuatorReason.RunRefused, message: 'no job template to run' };
    const caller = stepCaller(request);
    const existing = await this.#findRun(caller, request, template);
    if (existing) return outcomeOf(existing);
    try {
      const run = await this.deps.jobs.create(caller, {
        team: request.team,
        template,
        parameters: jobRun.parameters,
        targets: { hosts: [request.entity] },
        concurrency: 1,
      });
      return outcomeOf(run);
    } catch (error) {
      if (isGantryError(error))
        return { status: 'Failed', reason: JobActuatorReason.RunRefused, message: error.message };
      throw error;
    }
  }

  async progress(request: ApplyRequest & { handle: string }): Promise<ActuatorOutcome> {
    try {
      return outcomeOf(await this.deps.jobs.get(stepCaller(request), request.handle));
    } catch (error) {
      if (isGantryError(error) && error.status === 404)
        return {
          status: 'Failed',
          reason: JobActuatorReason.RunMissing,
          message: `job run ${request.handle} is gone`,
        };
      throw error;
    }
  }

  async #findRun(caller: Caller, request: ApplyRequest, template: string): Promise<JobRun | undefined> {
    const page = await this.deps.jobs.list(caller, {
      team: request.team,
      template,
      host: request.entity,
      limit: 100,
    });
    return page.items.find((run) => run.createdBy === caller.principal.username);
  }

  subject(team: string, entity: string) {
    return { kind: 'Host', team, name: entity };
  }
}

/** The principal a step's job run is created by: the change, and a hash of the step's key. */
export function stepCaller(request: Pick<ApplyRequest, 'change' | 'key' | 'actor' | 'team'>): Caller {
  const hash = createHash('sha256').update(request.key).digest('hex').slice(0, 16);
  const principal: Principal = {
    username: `change/${request.change}#${hash}`,
    admin: true,
    teams: new Map(),
  };
  return { principal, source: `${request.actor} ${request.team}/${request.change}` };
}

/** A run's state as an entity's outcome. */
export function outcomeOf(run: Pick<JobRun, 'id' | 'state' | 'reason' | 'counts'>): ActuatorOutcome {
  switch (run.state) {
    case 'Succeeded':
      return { status: 'Succeeded', message: `job run ${run.id} succeeded` };
    case 'Failed':
      return {
        status: 'Failed',
        reason: JobActuatorReason.RunFailed,
        message: `job run ${run.id} failed${run.reason ? `: ${run.reason}` : ''}`,
      };
    case 'Cancelled':
      return {
        status: 'Failed',
        reason: JobActuatorReason.RunCancelled,
        message: `job run ${run.id} was cancelled`,
      };
    default:
      return { status: 'Running', handle: run.id, message: `job run ${run.id} running` };
  }
}
