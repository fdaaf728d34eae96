import {
  InputError,
  NotFoundError,
  decodeContinueToken,
  encodeContinueToken,
  type InspectionRunDiff,
  type InspectionRunPage,
  type InspectionRunWithResults,
} from '@gantry/model';
import { authorize, type Caller } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';
import type { RiskRepository } from '@gantry/store';
import { INSPECTION_TEMPLATES, type InspectionTemplate } from './builtin.ts';
import { diffRuns } from './diff.ts';
import type { InspectionResource, InspectionRunner } from './inspection-runner.ts';

function isPosition(value: unknown): value is { seq: number } {
  return typeof value === 'object' && value !== null && Number.isSafeInteger((value as { seq: unknown }).seq);
}

/** Inspection runs as the API serves them: history, one run, a diff, a manual run, the templates. */
export class InspectionService {
  constructor(
    private readonly deps: {
      resources: Pick<ResourceService, 'get'>;
      runs: Pick<RiskRepository, 'listRuns' | 'getRun' | 'previousRunId'>;
      runner: Pick<InspectionRunner, 'run'>;
    },
  ) {}

  async listRuns(
    caller: Caller,
    team: string,
    name: string,
    query: { limit: number; continue?: string },
  ): Promise<InspectionRunPage> {
    authorize(caller.principal, 'read', team, 'inspection runs');
    const page = await this.deps.runs.listRuns(
      team,
      name,
      query.limit,
      query.continue ? decodeContinueToken(query.continue, isPosition).seq : undefined,
    );
    return {
      items: page.items,
      ...(page.nextBeforeSeq !== undefined
        ? { continue: encodeContinueToken({ seq: page.nextBeforeSeq }) }
        : {}),
    };
  }

  async getRun(caller: Caller, team: string, id: string): Promise<InspectionRunWithResults> {
    authorize(caller.principal, 'read', team, 'inspection runs');
    const run = await this.deps.runs.getRun(team, id);
    if (!run) throw new NotFoundError(`no inspection run ${id} in team ${team}`);
    return run;
  }

  /** `run` against `against` (default: the finished run of the same inspection just before it). */
  async diff(caller: Caller, team: string, id: string, against?: string): Promise<InspectionRunDiff> {
    const run = await this.getRun(caller, team, id);
    const otherId = against ?? (await this.deps.runs.previousRunId(team, id));
    if (otherId === undefined) return diffRuns(run, undefined);
    const other = await this.deps.runs.getRun(team, otherId);
    if (!other) throw new NotFoundError(`no inspection run ${otherId} in team ${team}`);
    if (other.inspection !== run.inspection)
      throw new InputError(`run ${otherId} is of Inspection ${other.inspection}, not ${run.inspection}`, [
        { path: 'querystring/against', message: 'must be a run of the same Inspection' },
      ]);
    return diffRuns(run, other);
  }

  /** Runs the inspection now, on this server, and answers with the finished run. */
  async runNow(caller: Caller, team: string, name: string): Promise<InspectionRunWithResults> {
    authorize(caller.principal, 'write', team, `Inspection ${name}`);
    const inspection = (await this.deps.resources.get(
      caller,
      'Inspection',
      team,
      name,
    )) as InspectionResource;
    const run = await this.deps.runner.run(inspection, {
      trigger: 'manual',
      createdBy: caller.principal.username,
    });
    // A manual run claims no slot, so it always starts.
    return run!;
  }

  templates(): readonly InspectionTemplate[] {
    return INSPECTION_TEMPLATES;
  }
}
