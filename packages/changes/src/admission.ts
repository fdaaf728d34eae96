import {
  actuationOf,
  type ChangeSpec,
  type ChangeStatus,
  type ChangeWindowSpec,
  ConflictError,
  type DisruptionBudgetSpec,
  ErrorCodes,
  type ErrorDetail,
  InputError,
  parseLabelSelector,
  type Resource,
  UnprocessableError,
} from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { ResourceRepository } from '@gantry/store';
import { checkDefinitionUpgrade } from './definition-actuator.ts';
import { checkKubernetesJob } from './kubernetes-job-actuator.ts';
import { checkGates } from './gate-eval.ts';
import { checkPlan } from './plan.ts';
import { compileWindow, nextOpen, type CompiledPeriod } from './windows.ts';

/** What a Change's spec must be, beyond its schema: one action, one way of naming targets, a plan that fits. */
export function checkChangeSpec(spec: ChangeSpec): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  if (!actuationOf(spec))
    errors.push({
      path: '/spec',
      message:
        'give exactly one of nodeOperation, jobRun, applicationRevision, workloadOperation, definitionUpgrade or kubernetesJob',
    });
  if (spec.kubernetesJob) errors.push(...checkKubernetesJob(spec));
  const { names, selector, clusters } = spec.targets;
  if ((names === undefined) === (selector === undefined))
    errors.push({ path: '/spec/targets', message: 'give exactly one of names or selector' });
  if (clusters !== undefined && !spec.nodeOperation)
    errors.push({ path: '/spec/targets/clusters', message: 'only for nodeOperation changes' });
  const seen = new Map<string, number>();
  names?.forEach((name, index) => {
    const first = seen.get(name);
    if (first !== undefined)
      errors.push({
        path: `/spec/targets/names/${index}`,
        message: `names ${name} again (first at ${first})`,
      });
    else seen.set(name, index);
    if (spec.nodeOperation && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[^/]+$/.test(name))
      errors.push({ path: `/spec/targets/names/${index}`, message: 'a node is named cluster/node' });
    if (spec.applicationRevision && name.includes('/'))
      errors.push({
        path: `/spec/targets/names/${index}`,
        message: 'an application revision targets clusters of the application, by cluster name',
      });
    if (
      spec.definitionUpgrade &&
      !/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)
    )
      errors.push({
        path: `/spec/targets/names/${index}`,
        message: 'a definition upgrade targets applications (`web`) or application instances (`east/web`)',
      });
  });
  if (selector !== undefined) {
    try {
      parseLabelSelector(selector);
    } catch (error) {
      errors.push({
        path: '/spec/targets/selector',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  // A definition upgrade that names an application means all its instances: how many is known at start.
  const counted = spec.definitionUpgrade && names?.some((name) => !name.includes('/')) ? undefined : names;
  if (errors.length === 0) errors.push(...checkPlan(spec.plan.batches, counted));
  return errors;
}

/** A failure policy of Rollback needs an action with an inverse: nodes always, job runs a rollback template. */
export function checkRollback(spec: ChangeSpec): ErrorDetail[] {
  if (spec.failurePolicy === 'Rollback' && spec.jobRun && !spec.jobRun.rollbackTemplate)
    return [
      {
        path: '/spec/failurePolicy',
        message:
          'Rollback needs an inverse: give jobRun.rollbackTemplate (the JobTemplate that undoes the run)',
      },
    ];
  return [];
}

export interface ChangeAdmissionDeps {
  resources: Pick<ResourceService, 'admit'>;
  repository: Pick<ResourceRepository, 'list' | 'get'>;
  now: () => number;
}

/**
 * Refuses, at apply time and with field paths: a Change whose plan does not fit its targets
 * (GANTRY_E_CHANGE_PLAN), that names ChangeWindows the team does not have (GANTRY_E_UNKNOWN_WINDOW) or
 * windows that never open together (GANTRY_E_WINDOW_NEVER_OPENS), a spec edit of a started Change
 * (GANTRY_E_CHANGE_STARTED); a ChangeWindow whose crons or zones do not parse (GANTRY_E_INVALID) or that
 * never opens (GANTRY_E_WINDOW_NEVER_OPENS).
 */
export function registerChangeAdmission(deps: ChangeAdmissionDeps): void {
  const windowsOf = async (team: string) => {
    const page = await deps.repository.list({ kind: 'ChangeWindow', teams: [team], limit: 10_000 });
    return new Map(
      page.items.map((item) => [item.name, (JSON.parse(item.json) as Resource<ChangeWindowSpec>).spec]),
    );
  };

  deps.resources.admit('Change', async (request) => {
    if (request.operation === 'delete' || !request.object) return;
    const spec = request.object.spec as ChangeSpec;
    const current = request.current as Resource<ChangeSpec, ChangeStatus> | undefined;
    const since = current?.status?.startedAt ?? current?.status?.completedAt;
    if (
      request.operation === 'update' &&
      since !== undefined &&
      JSON.stringify(current?.spec) !== JSON.stringify(spec)
    )
      throw new ConflictError(
        `change ${request.name} started (or ended) at ${since}: its spec is frozen`,
        ErrorCodes.changeStarted,
        [{ path: '/spec', message: 'create a new Change instead (abort this one first if need be)' }],
      );
    const problems = checkChangeSpec(spec);
    if (problems.length > 0)
      throw new UnprocessableError(
        'the change’s plan does not fit its targets',
        problems,
        ErrorCodes.changePlan,
      );
    const gateProblems = checkGates(spec.gates ?? { metrics: [] });
    if (gateProblems.length > 0)
      throw new UnprocessableError(
        'a gate of the change does not parse',
        gateProblems,
        ErrorCodes.changeGate,
      );
    const noInverse = checkRollback(spec);
    if (noInverse.length > 0)
      throw new UnprocessableError(
        'the change’s action has no inverse',
        noInverse,
        ErrorCodes.changeNoInverse,
      );
    // Definitions and applications move on while a change runs: only a new or edited spec is checked.
    const specChanged = JSON.stringify(current?.spec) !== JSON.stringify(spec);
    const upgrade = specChanged ? await checkDefinitionUpgrade(deps.repository, request.team, spec) : [];
    if (upgrade.length > 0)
      throw new UnprocessableError(
        'the definition upgrade does not fit its definition or targets',
        upgrade,
        ErrorCodes.definitionUpgrade,
      );
    const windows = await windowsOf(request.team);
    const unknown: ErrorDetail[] = spec.windows.flatMap((name, index) =>
      windows.has(name)
        ? []
        : [{ path: `/spec/windows/${index}`, message: `no ChangeWindow ${name} in team ${request.team}` }],
    );
    if (unknown.length > 0)
      throw new UnprocessableError('unknown ChangeWindow', unknown, ErrorCodes.unknownWindow);
    const periods: CompiledPeriod[] = [];
    for (const [name, window] of windows) {
      if (!window.appliesToAllChanges && !spec.windows.includes(name)) continue;
      const compiled = compileWindow(name, window);
      if (compiled.ok) periods.push(...compiled.periods);
    }
    if (periods.length > 0 && nextOpen(periods, deps.now()) === undefined)
      throw new UnprocessableError(
        'the change’s windows never open together',
        [
          {
            path: '/spec/windows',
            message:
              'together, these windows (and those that apply to every change) do not open within a year',
          },
        ],
        ErrorCodes.windowNeverOpens,
      );
  });

  deps.resources.admit('DisruptionBudget', (request) => {
    if (request.operation === 'delete' || !request.object) return Promise.resolve();
    const spec = request.object.spec as DisruptionBudgetSpec;
    if (spec.selector !== undefined) {
      try {
        parseLabelSelector(spec.selector);
      } catch (error) {
        throw new InputError('invalid disruption budget', [
          { path: '/spec/selector', message: error instanceof Error ? error.message : String(error) },
        ]);
      }
    }
    return Promise.resolve();
  });

  deps.resources.admit('ChangeWindow', (request) => {
    if (request.operation === 'delete' || !request.object) return Promise.resolve();
    const spec = request.object.spec as ChangeWindowSpec;
    const compiled = compileWindow(request.name, spec);
    if (!compiled.ok) throw new InputError('invalid change window', compiled.errors);
    if (nextOpen(compiled.periods, deps.now()) === undefined)
      throw new UnprocessableError(
        `change window ${request.name} never opens`,
        [
          {
            path: spec.freeze.length > 0 ? '/spec/freeze' : '/spec/allow',
            message:
              spec.freeze.length > 0
                ? 'the freezes cover every allowed period for a year'
                : 'no allowed period starts within a year',
          },
        ],
        ErrorCodes.windowNeverOpens,
      );
    return Promise.resolve();
  });
}
