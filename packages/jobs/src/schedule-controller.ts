import {
  RefusalReporter,
  type Clock,
  type ControllerMetrics,
  type EventRecorder,
  type EventTerm,
  type LeaseStore,
  type Timer,
} from '@gantry/controllers';
import { isGantryError, type Resource, type ScheduleSpec, type ScheduleStatus } from '@gantry/model';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';
import {
  isFencedWriteRefused,
  type JobRepository,
  type FencedWriteRefused,
  type LeaseRepository,
  type WriteFence,
} from '@gantry/store';
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
  /** The current term's fence (ADR 0028), read from the lease row when a term starts. */
  #fence: WriteFence | undefined;
  /** The current term for the events it records: written with its fence, a refusal ends it (ADR 0028). */
  #term: EventTerm | undefined;
  /** When the last successful acquire or renewal was sent. */
  #renewedAt = Number.NEGATIVE_INFINITY;
  readonly #refusals: RefusalReporter;

  constructor(
    private readonly deps: {
      resources: ResourceService;
      jobs: JobRepository;
      service: JobService;
      /** With `get`, runs and status writes carry the term's fence (ADR 0028). */
      leases: LeaseStore & Partial<Pick<LeaseRepository, 'get'>>;
      clock: Clock;
      recorder: EventRecorder;
      /** Where refused writes are counted (`controller="schedules"`). */
      metrics?: Pick<ControllerMetrics, 'fencedWrites'>;
      logger?: { warn(object: object, message: string): void };
    },
    private readonly options: ScheduleControllerOptions,
  ) {
    this.#refusals = new RefusalReporter('schedules', deps);
  }

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
    const leading = await this.deps.leases.tryAcquire(
      this.options.leaseName,
      this.options.holder,
      this.options.leaseDurationMs,
      now,
    );
    // A term ends when the lease was lost, or could have expired since the last renewal (a pause).
    if (!leading || now > this.#renewedAt + this.options.leaseDurationMs) {
      this.#fence = undefined;
      this.#term = undefined;
      this.#refusals.reset();
    }
    if (!leading) return undefined;
    this.#renewedAt = now;
    if (!this.#fence && this.deps.leases.get) {
      const row = await this.deps.leases.get(this.options.leaseName);
      if (row?.holder !== this.options.holder) return undefined;
      const fence: WriteFence = {
        lease: this.options.leaseName,
        holder: this.options.holder,
        transitions: row.transitions,
      };
      this.#fence = fence;
      this.#term = {
        fence,
        // An event refused after the tick that recorded it: the term ends unless it has already.
        refused: (error) => {
          if (this.#fence === fence) this.#refused(error);
        },
      };
    }
    const fence = this.#fence;
    const outcomes: ScheduleOutcome[] = [];
    let continueToken: string | undefined;
    try {
      do {
        const page = await this.deps.resources.list(SYSTEM, 'Schedule', {
          limit: 500,
          ...(continueToken ? { continue: continueToken } : {}),
        });
        for (const item of page.items)
          outcomes.push(await this.reconcile(item as Resource<ScheduleSpec, ScheduleStatus>, now, fence));
        continueToken = page.metadata.continue;
      } while (continueToken);
    } catch (error) {
      if (!isFencedWriteRefused(error)) throw error;
      this.#refused(error);
      return undefined;
    }
    return outcomes;
  }

  /**
   * Another server has led since this term began: the term ends here (counted, logged once); the next
   * tick starts a new one only if the lease is this server's again.
   */
  #refused(error: FencedWriteRefused): void {
    this.#refusals.report(error);
    this.#renewedAt = Number.NEGATIVE_INFINITY;
    this.#fence = undefined;
    this.#term = undefined;
  }

  /** `fence`: the term's (ADR 0028), carried by the run it creates and its status write. */
  async reconcile(
    schedule: Resource<ScheduleSpec, ScheduleStatus>,
    now: number,
    fence?: WriteFence,
  ): Promise<ScheduleOutcome> {
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
            { schedule: name, ...(fence ? { fence } : {}) },
          );
          status.lastRunId = run.id;
          status.queued = left;
          delete status.lastError;
          outcome = { schedule: name, action: 'Started', runId: run.id, queuedLeft: left };
          this.#event(schedule, 'Normal', JobEventReasons.scheduleFired, `started job run ${run.id}`);
        } catch (error) {
          // Refusals (a template deleted, parameters no longer valid, no host matches) are kept in status.
          if (!isGantryError(error) || isFencedWriteRefused(error)) throw error;
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
      await this.deps.resources.replaceStatus(
        SYSTEM,
        'Schedule',
        team,
        name,
        {
          metadata: { name, resourceVersion: schedule.metadata.resourceVersion },
          status,
        },
        fence ? { fence } : {},
      );
    }
    return outcome;
  }

  #event(schedule: Resource, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.deps.recorder.record(
      {
        type,
        reason,
        message,
        regarding: { kind: 'Schedule', name: schedule.metadata.name, team: schedule.metadata.team ?? '' },
        actor: 'controller/schedules',
      },
      this.#term,
    );
  }
}
