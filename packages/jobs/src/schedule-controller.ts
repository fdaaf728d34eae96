import type { Clock, EventRecorder, LeaseStore, Timer } from '@gantry/controllers';
import { isGantryError, type Resource, type ScheduleSpec, type ScheduleStatus } from '@gantry/model';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';
import type { JobRepository } from '@gantry/store';
import { nextCronTime } from './admission.ts';
import type { JobService } from './job-service.ts';
import { JobEventReasons } from './run/reasons.ts';

export interface ScheduleControllerOptions {
  holder: string;
  leaseName: string;
  leaseDurationMs: number;
  /** How often schedules are looked at; a run starts at most this late. */
  intervalMs: number;
}

export const DEFAULT_SCHEDULE_CONTROLLER_OPTIONS: Omit<ScheduleControllerOptions, 'holder'> = {
  leaseName: 'controller/schedules',
  leaseDurationMs: 15_000,
  intervalMs: 1_000,
};

/** What one schedule's reconcile did. */
export type ScheduleOutcome =
  | { schedule: string; action: 'Started'; runId: string; queuedLeft: number }
  | { schedule: string; action: 'Skipped' | 'Queued' | 'Waiting' | 'Suspended' }
  | { schedule: string; action: 'Failed'; error: string };

const SYSTEM: Caller = { principal: SYSTEM_PRINCIPAL, source: 'controller/schedules' };

/**
 * Starts runs of `Schedule`s on the server holding `controller/schedules`: when the cron's next time
 * after the last one has come (missed times while no server led fire once, not once each), a run of the
 * template starts — unless the previous run of the schedule still goes, when it is skipped (`Skip`) or
 * counted in `status.queued` and started when that run ends (`Queue`).
 */
export class ScheduleController {
  #timer: Timer | undefined;
  #stopped = true;

  constructor(
    private readonly deps: {
      resources: ResourceService;
      jobs: JobRepository;
      service: JobService;
      leases: LeaseStore;
      clock: Clock;
      recorder: EventRecorder;
    },
    private readonly options: ScheduleControllerOptions,
  ) {}

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const loop = () => {
      void this.tick()
        .catch(() => undefined)
        .finally(() => {
          if (!this.#stopped) this.#timer = this.deps.clock.setTimeout(loop, this.options.intervalMs);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    await this.deps.leases.release(this.options.leaseName, this.options.holder).catch(() => undefined);
  }

  async tick(): Promise<ScheduleOutcome[] | undefined> {
    const now = this.deps.clock.now();
    if (
      !(await this.deps.leases.tryAcquire(
        this.options.leaseName,
        this.options.holder,
        this.options.leaseDurationMs,
        now,
      ))
    )
      return undefined;
    const outcomes: ScheduleOutcome[] = [];
    let continueToken: string | undefined;
    do {
      const page = await this.deps.resources.list(SYSTEM, 'Schedule', {
        limit: 500,
        ...(continueToken ? { continue: continueToken } : {}),
      });
      for (const item of page.items)
        outcomes.push(await this.reconcile(item as Resource<ScheduleSpec, ScheduleStatus>, now));
      continueToken = page.metadata.continue;
    } while (continueToken);
    return outcomes;
  }

  async reconcile(schedule: Resource<ScheduleSpec, ScheduleStatus>, now: number): Promise<ScheduleOutcome> {
    const { name, team } = schedule.metadata as { name: string; team: string };
    const spec = schedule.spec;
    const status: ScheduleStatus = { ...(schedule.status ?? {}) };
    const last = Date.parse(status.lastScheduleTime ?? schedule.metadata.creationTimestamp);
    let outcome: ScheduleOutcome;
    if (spec.suspend) {
      outcome = { schedule: name, action: 'Suspended' };
    } else {
      const running = await this.deps.jobs.list({ team, schedule: name, state: 'Running', limit: 1 });
      const busy = running.items.length > 0;
      // The latest cron time that has come: missed ones fold into it.
      let due: number | undefined;
      for (
        let next = nextCronTime(spec, last);
        next.ok && next.at <= now;
        next = nextCronTime(spec, next.at)
      ) {
        due = next.at;
      }
      const queued = status.queued ?? 0;
      if (due !== undefined) status.lastScheduleTime = new Date(due).toISOString();
      if (due === undefined && (queued === 0 || busy)) {
        outcome = { schedule: name, action: 'Waiting' };
      } else if (busy) {
        if (spec.concurrencyPolicy === 'Queue') {
          status.queued = queued + 1;
          outcome = { schedule: name, action: 'Queued' };
        } else {
          outcome = { schedule: name, action: 'Skipped' };
          this.#event(
            schedule,
            'Normal',
            JobEventReasons.scheduleSkipped,
            `skipped: run ${running.items[0]!.id} is still going`,
          );
        }
      } else {
        const left = due === undefined ? queued - 1 : queued;
        try {
          const run = await this.deps.service.create(
            {
              principal: { ...SYSTEM_PRINCIPAL, username: `schedule/${name}` },
              source: 'controller/schedules',
            },
            {
              team,
              template: spec.template,
              parameters: spec.parameters,
              targets: spec.targets,
              concurrency: spec.concurrency ?? 50,
              ...(spec.batchSize ? { batchSize: spec.batchSize } : {}),
              ...(spec.stopAfterFailures ? { stopAfterFailures: spec.stopAfterFailures } : {}),
            },
            { schedule: name },
          );
          status.lastRunId = run.id;
          status.queued = left;
          delete status.lastError;
          outcome = { schedule: name, action: 'Started', runId: run.id, queuedLeft: left };
          this.#event(schedule, 'Normal', JobEventReasons.scheduleFired, `started job run ${run.id}`);
        } catch (error) {
          // Refusals (a template deleted, parameters no longer valid, no host matches) are kept in status.
          if (!isGantryError(error)) throw error;
          status.lastError = `${error.code}: ${error.message}`;
          status.queued = left;
          outcome = { schedule: name, action: 'Failed', error: error.message };
          this.#event(schedule, 'Warning', JobEventReasons.scheduleFailed, error.message);
        }
      }
    }
    const next = nextCronTime(
      spec,
      Math.max(now, Date.parse(status.lastScheduleTime ?? schedule.metadata.creationTimestamp)),
    );
    if (next.ok) status.nextScheduleTime = new Date(next.at).toISOString();
    if (JSON.stringify(status) !== JSON.stringify(schedule.status ?? {})) {
      await this.deps.resources.replaceStatus(SYSTEM, 'Schedule', team, name, {
        metadata: { name, resourceVersion: schedule.metadata.resourceVersion },
        status,
      });
    }
    return outcome;
  }

  #event(schedule: Resource, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.deps.recorder.record({
      type,
      reason,
      message,
      regarding: { kind: 'Schedule', name: schedule.metadata.name, team: schedule.metadata.team ?? '' },
      actor: 'controller/schedules',
    });
  }
}
