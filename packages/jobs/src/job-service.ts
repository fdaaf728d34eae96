import { randomBytes } from 'node:crypto';
import {
  ConflictError,
  decodeContinueToken,
  encodeContinueToken,
  ErrorCodes,
  InputError,
  NotFoundError,
  UnprocessableError,
  type CreateJobRunRequest,
  type ErrorDetail,
  type JobOutputPage,
  type JobRun,
  type JobRunPage,
  type JobRunState,
  type JobRunWithTargets,
  type JobTargets,
  type JobTemplateSpec,
  type JobTouches,
  type Resource,
} from '@gantry/model';
import { authorize, readableTeams, type Caller } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';
import type { IdempotencyClaim, JobRepository, NewJobTarget, WriteFence } from '@gantry/store';
import { executionFromTemplate, scriptSha256, touchesOf, type JobExecution } from './execution.ts';
import { clusterOf } from './run/run-context.ts';
import type { HostDirectory } from './host-directory.ts';
import { validateParameters } from './parameters.ts';
import type { OutputNotifier } from './output-notifier.ts';
import { JobEventReasons } from './run/reasons.ts';
import type { EventRecorder } from '@gantry/controllers';

export interface JobServiceDeps {
  jobs: JobRepository;
  resources: ResourceService;
  hosts: HostDirectory;
  recorder: EventRecorder;
  notifier: OutputNotifier;
  now: () => number;
  /** Told of a new run, to look at it at once (the run controller's `wake`). */
  wake: () => void;
  /**
   * Told of a cancel request: the run controller marks the run's cached facts cancelled (so a report that
   * arrives before its next read does not queue a retry) and looks at it at once (`cancelled`).
   */
  cancelled: (runId: string) => void;
  /** How long a create's `Idempotency-Key` is kept (default 24 h, ADR 0029). */
  idempotencyKeyTtlMs?: number;
}

export interface CreateOptions {
  /** The Schedule that made the run. */
  schedule?: string;
  /**
   * An `Idempotency-Key` (ADR 0029): a retry with the same key and request by the same user answers the
   * run the first one created (as it is now) instead of creating another.
   */
  idempotency?: { key: string; fingerprint: string };
  /** Told when the answer is the run an earlier request with the same key created. */
  onReplay?: () => void;
  /** The schedule controller's term (ADR 0028): the run is created only while it is current. */
  fence?: WriteFence;
}

const RERUNNABLE = new Set(['failed', 'timed-out', 'lost']);

/**
 * Job runs as the API offers them: create (checked and audited before anything runs), list, get,
 * follow output, cancel, and re-run the failed targets as a new run linked to the old.
 */
export class JobService {
  constructor(private readonly deps: JobServiceDeps) {}

  async create(caller: Caller, input: CreateJobRunRequest, options: CreateOptions = {}): Promise<JobRun> {
    const { principal } = caller;
    const team = input.team;
    const problems: ErrorDetail[] = [];
    if ((input.template === undefined) === (input.script === undefined))
      problems.push({ path: '/template', message: 'give either a template or an ad-hoc script' });
    const targetForms = (['hosts', 'selector', 'cluster'] as const).filter(
      (key) => input.targets[key] !== undefined,
    );
    if (targetForms.length !== 1)
      problems.push({ path: '/targets', message: 'give exactly one of hosts, selector or cluster' });
    if (problems.length > 0) throw new InputError('invalid job run', problems);
    const idempotent = options.idempotency ? this.#idempotent(caller, options.idempotency) : undefined;
    if (idempotent) {
      // A retry of a create that was committed is answered before the checks, which the hosts may now fail.
      const earlier = await this.deps.jobs.idempotentRun(idempotent.claim);
      if (earlier?.type === 'reused') throw idempotent.reused();
      if (earlier?.type === 'replay')
        return this.#replay(team, (JSON.parse(earlier.answer.body) as { id: string }).id, options);
    }

    let execution: JobExecution;
    let templateName = '';
    let templateVersion = '';
    let parameterSchema: JobTemplateSpec['parameters'];
    let touches: JobTouches | undefined;
    if (input.script) {
      // An ad-hoc script is a team-admin's, and recorded in full in the audit entry.
      authorize(principal, 'manage', team, `ad-hoc scripts in team ${team}`);
      if (input.targets.cluster !== undefined)
        throw new InputError('an ad-hoc script runs on hosts, not clusters', [
          { path: '/targets/cluster', message: 'use a template with spec.cluster' },
        ]);
      execution = {
        script: input.script,
        runAs: { user: '', allowRoot: false },
        timeoutSeconds: input.timeoutSeconds ?? 300,
        retries: 0,
        maxOutputBytes: 1024 * 1024,
        secrets: [],
      };
    } else {
      authorize(principal, 'write', team, `job runs in team ${team}`);
      const template = (await this.deps.resources.get(
        caller,
        'JobTemplate',
        team,
        input.template!,
      )) as Resource<JobTemplateSpec>;
      templateName = template.metadata.name;
      templateVersion = template.metadata.resourceVersion;
      execution = executionFromTemplate(template.spec);
      parameterSchema = template.spec.parameters;
      touches = touchesOf(template.spec);
      if (input.timeoutSeconds !== undefined)
        throw new InputError('timeoutSeconds is the template’s', [
          {
            path: '/timeoutSeconds',
            message: 'only for ad-hoc scripts; a template sets spec.timeoutSeconds',
          },
        ]);
      if (input.targets.cluster !== undefined && !execution.cluster)
        throw new InputError(`template ${templateName} has no spec.cluster`, [
          { path: '/targets/cluster', message: 'the template runs on hosts only' },
        ]);
      if (input.targets.cluster === undefined && !execution.script && !execution.action)
        throw new InputError(`template ${templateName} has no script or action for hosts`, [
          { path: '/targets', message: 'the template runs on clusters only' },
        ]);
    }

    const parameters = validateParameters(parameterSchema, input.parameters);
    if (!parameters.ok)
      throw new InputError('parameters do not match the template’s schema', parameters.errors);

    const targets = await this.#resolveTargets(caller, team, input.targets);
    if (touches) await this.#withinTouches(team, templateName, touches, targets);
    const kind = input.targets.cluster !== undefined ? 'cluster' : 'host';
    const run = await this.#insert(caller, {
      team,
      template: templateName,
      templateVersion,
      execution,
      kind,
      parameters: parameters.value,
      targetSpec: input.targets,
      targets,
      concurrency: input.concurrency,
      batchSize: input.batchSize ?? null,
      stopAfterFailures: input.stopAfterFailures ?? null,
      schedule: options.schedule ?? null,
      rerunOf: null,
      adHoc: input.script !== undefined,
      ...(idempotent ? { idempotent } : {}),
      ...(options.fence ? { fence: options.fence } : {}),
    });
    if (typeof run === 'string') return this.#replay(team, run, options);
    return run;
  }

  #idempotent(
    caller: Caller,
    idempotency: NonNullable<CreateOptions['idempotency']>,
  ): { claim: IdempotencyClaim; reused: () => Error } {
    return {
      claim: {
        principal: caller.principal.username,
        key: idempotency.key,
        fingerprint: idempotency.fingerprint,
        now: this.deps.now(),
        ttlMs: this.deps.idempotencyKeyTtlMs ?? 24 * 3_600_000,
      },
      reused: () =>
        new UnprocessableError(
          'this Idempotency-Key was used for another request; use a new key for a new request',
          [{ path: 'headers/idempotency-key', message: 'already used for a different request' }],
          ErrorCodes.idempotencyKeyReused,
        ),
    };
  }

  async #replay(team: string, id: string, options: CreateOptions): Promise<JobRun> {
    const run = await this.deps.jobs.get(id);
    // The key is the caller's own, so the run is in a team it could create runs in; it may since be pruned.
    if (!run || run.team !== team) throw new NotFoundError(`job run ${id} not found`);
    options.onReplay?.();
    return run;
  }

  async list(
    caller: Caller,
    query: {
      team?: string;
      template?: string;
      schedule?: string;
      state?: JobRunState;
      /** Runs with this host among their targets. */
      host?: string;
      limit: number;
      continue?: string;
    },
  ): Promise<JobRunPage> {
    if (query.team !== undefined)
      authorize(caller.principal, 'read', query.team, `job runs in team ${query.team}`);
    const teams = readableTeams(caller.principal);
    const page = await this.deps.jobs.list({
      ...(teams ? { teams } : {}),
      ...(query.team !== undefined ? { team: query.team } : {}),
      ...(query.template ? { template: query.template } : {}),
      ...(query.schedule ? { schedule: query.schedule } : {}),
      ...(query.state ? { state: query.state } : {}),
      ...(query.host ? { host: query.host } : {}),
      ...(query.continue
        ? { beforeSeq: decodeContinueToken(query.continue, (v): v is number => Number.isSafeInteger(v)) }
        : {}),
      limit: query.limit,
    });
    return { items: page.items, ...(page.nextSeq ? { continue: encodeContinueToken(page.nextSeq) } : {}) };
  }

  async get(caller: Caller, id: string): Promise<JobRunWithTargets> {
    const run = await this.#readable(caller, id);
    const targets = await this.deps.jobs.targets(id);
    return { ...run, targetList: targets.map(({ deadline: _deadline, ...target }) => target) };
  }

  /** Output after `after`; waits up to `waitMs` for some when there is none yet and the run goes on. */
  async output(
    caller: Caller,
    id: string,
    options: { after: number; target?: string; limit: number; waitMs: number },
  ): Promise<JobOutputPage> {
    await this.#readable(caller, id);
    const deadline = this.deps.now() + options.waitMs;
    for (;;) {
      // Read the state first: output stored before the run ended is then certainly in the read below.
      const run = await this.deps.jobs.get(id);
      const chunks = await this.deps.jobs.output(id, options);
      const ended = run?.state !== 'Running';
      const cursor = chunks.at(-1)?.id ?? options.after;
      if (chunks.length > 0 || ended || this.deps.now() >= deadline) {
        return { chunks, cursor, done: ended && chunks.length < options.limit };
      }
      await this.deps.notifier.wait(id, Math.min(1_000, deadline - this.deps.now()));
    }
  }

  async cancel(caller: Caller, id: string): Promise<JobRun> {
    const run = await this.#readable(caller, id);
    authorize(caller.principal, run.template === '' ? 'manage' : 'write', run.team, `job run ${id}`);
    if (!(await this.deps.jobs.requestCancel(id)))
      throw new ConflictError(`job run ${id} has already ended (${run.state})`, ErrorCodes.jobEnded);
    this.deps.cancelled(id);
    return (await this.deps.jobs.get(id))!;
  }

  /** A new run, linked to `id`, over the targets that failed, timed out or were lost; the same frozen job. */
  async rerunFailed(caller: Caller, id: string): Promise<JobRun> {
    const run = await this.#readable(caller, id);
    authorize(caller.principal, run.template === '' ? 'manage' : 'write', run.team, `job run ${id}`);
    if (run.state === 'Running')
      throw new ConflictError(
        `job run ${id} is still running; cancel it or wait for it to end`,
        ErrorCodes.jobEnded,
      );
    const failed = (await this.deps.jobs.targets(id)).filter(
      (t) => RERUNNABLE.has(t.state) || t.reason === 'StoppedAfterFailures',
    );
    if (failed.length === 0)
      throw new ConflictError(`job run ${id} has no failed targets to run again`, ErrorCodes.jobEnded);
    const execution = (await this.deps.jobs.execution(id)) as JobExecution;
    const kind = failed[0]!.kind;
    const rerun = await this.#insert(caller, {
      team: run.team,
      template: run.template,
      templateVersion: run.templateVersion,
      execution,
      kind,
      parameters: run.parameters,
      targetSpec: kind === 'cluster' ? run.targets : { hosts: failed.map((t) => t.target) },
      targets: failed.map((t) => ({ target: t.target, kind: t.kind })),
      concurrency: run.concurrency,
      batchSize: run.batchSize,
      stopAfterFailures: run.stopAfterFailures,
      schedule: null,
      rerunOf: run.id,
      adHoc: run.template === '',
    });
    // Without an idempotency key the insert always creates.
    return typeof rerun === 'string' ? this.#replay(run.team, rerun, {}) : rerun;
  }

  async #readable(caller: Caller, id: string): Promise<JobRun> {
    const run = await this.deps.jobs.get(id);
    const teams = readableTeams(caller.principal);
    if (!run || (teams && !teams.includes(run.team))) throw new NotFoundError(`job run ${id} not found`);
    return run;
  }

  /**
   * Refuses a run with a host target outside the template's `touches.hosts` selector, or a cluster not
   * in `touches.clusters`, before anything is stored. A bound the template does not declare bounds nothing.
   */
  async #withinTouches(
    team: string,
    template: string,
    touches: JobTouches,
    targets: readonly NewJobTarget[],
  ): Promise<void> {
    const outside: ErrorDetail[] = [];
    const hosts = targets.filter((target) => target.kind === 'host').map((target) => target.target);
    if (touches.hosts !== undefined && hosts.length > 0) {
      const allowed = new Set(await this.deps.hosts.select(team, touches.hosts));
      for (const host of hosts)
        if (!allowed.has(host))
          outside.push({
            path: '/targets',
            message: `host ${host} does not match the template's touches.hosts (${touches.hosts})`,
          });
    }
    if (touches.clusters !== undefined)
      for (const target of targets)
        if (target.kind === 'cluster' && !touches.clusters.includes(clusterOf(target.target)))
          outside.push({
            path: '/targets/cluster',
            message: `cluster ${clusterOf(target.target)} is not in the template's touches.clusters`,
          });
    if (outside.length > 0)
      throw new UnprocessableError(
        `${outside.length} target(s) outside what template ${template} declares it touches`,
        outside.slice(0, 100),
        ErrorCodes.jobOutsideTouches,
      );
  }

  async #resolveTargets(caller: Caller, team: string, targets: JobTargets): Promise<NewJobTarget[]> {
    if (targets.cluster !== undefined) {
      await this.deps.resources.get(caller, 'Cluster', team, targets.cluster);
      return [{ target: `cluster/${targets.cluster}`, kind: 'cluster' }];
    }
    if (targets.hosts) {
      const unique = [...new Set(targets.hosts)];
      const known = new Set(await this.deps.hosts.known(team, unique));
      const unknown = targets.hosts
        .map((name, index) => ({ name, index }))
        .filter(({ name }) => !known.has(name));
      if (unknown.length > 0)
        throw new UnprocessableError(
          `${unknown.length} of the named hosts are not hosts of team ${team}`,
          unknown
            .slice(0, 100)
            .map(({ name, index }) => ({ path: `/targets/hosts/${index}`, message: `no host ${name}` })),
          ErrorCodes.jobNoTargets,
        );
      return unique.map((target) => ({ target, kind: 'host' }));
    }
    const selected = await this.deps.hosts.select(team, targets.selector!);
    if (selected.length === 0)
      throw new UnprocessableError(
        `no host of team ${team} matches ${targets.selector}`,
        [{ path: '/targets/selector', message: 'matches no host' }],
        ErrorCodes.jobNoTargets,
      );
    return selected.map((target) => ({ target, kind: 'host' }));
  }

  async #insert(
    caller: Caller,
    run: {
      team: string;
      template: string;
      templateVersion: string;
      execution: JobExecution;
      kind: 'host' | 'cluster';
      parameters: JobRun['parameters'];
      targetSpec: JobTargets;
      targets: NewJobTarget[];
      concurrency: number;
      batchSize: number | null;
      stopAfterFailures: number | null;
      schedule: string | null;
      rerunOf: string | null;
      adHoc: boolean;
      idempotent?: { claim: IdempotencyClaim; reused: () => Error };
      fence?: WriteFence;
    },
  ): Promise<JobRun | string> {
    const now = this.deps.now();
    const id = `${now.toString(36)}-${randomBytes(4).toString('hex')}`;
    const sha = scriptSha256(run.execution, run.kind);
    const createdBy = caller.principal.username;
    const { replayedRunId } = await this.deps.jobs.create(
      {
        id,
        team: run.team,
        template: run.template,
        templateVersion: run.templateVersion,
        scriptSha256: sha,
        parameters: run.parameters,
        targets: run.targetSpec,
        execution: run.execution,
        concurrency: run.concurrency,
        batchSize: run.batchSize,
        stopAfterFailures: run.stopAfterFailures,
        createdBy,
        schedule: run.schedule,
        rerunOf: run.rerunOf,
        createdAt: new Date(now).toISOString(),
      },
      run.targets,
      {
        actor: createdBy,
        source: caller.source,
        action: run.rerunOf ? 'rerun' : 'run',
        kind: 'JobRun',
        team: run.team,
        name: id,
        after: {
          template: run.template,
          templateVersion: run.templateVersion,
          scriptSha256: sha,
          parameters: run.parameters,
          targets: run.targetSpec,
          targetCount: run.targets.length,
          ...(run.adHoc ? { script: run.execution.script } : {}),
          ...(run.schedule ? { schedule: run.schedule } : {}),
          ...(run.rerunOf ? { rerunOf: run.rerunOf } : {}),
        },
      },
      run.idempotent,
      run.fence,
    );
    // Another request with the same key created the run first (they raced): its id is the answer.
    if (replayedRunId !== undefined) return replayedRunId;
    this.deps.recorder.record({
      type: 'Normal',
      reason: JobEventReasons.runCreated,
      message: `job run ${id} of ${run.template || 'an ad-hoc script'} over ${run.targets.length} target(s)${run.rerunOf ? `, re-running ${run.rerunOf}` : ''}`,
      regarding: { kind: 'JobRun', name: id, team: run.team },
      actor: createdBy,
    });
    this.deps.wake();
    return (await this.deps.jobs.get(id))!;
  }
}
