import {
  leaseTimings,
  RefusalReporter,
  untilLeaseExpiry,
  type Clock,
  type ControllerMetrics,
  type EventRecorder,
  type EventTerm,
  type LeaseStore,
  type Timer,
} from '@gantry/controllers';
import { FAILURE_LEVELS, type ExceptionRecord } from '@gantry/model';
import {
  isFencedWriteRefused,
  type ExceptionRepository,
  type FencedWriteRefused,
  type LeaseRepository,
  type WriteFence,
} from '@gantry/store';
import type { FailureLevel } from '../ports.ts';
import { resolveHealthPolicy, type HealthPolicyObject, type ResolvedHealthPolicy } from './health-policy.ts';
import { ExceptionActors, ExceptionEventReasons, FailureReasons } from './reasons.ts';

export interface FailureControllerOptions {
  /** This server's name in the lease. */
  holder: string;
  leaseName: string;
  leaseDurationMs: number;
  /** How often unresolved exceptions are looked at; a level is raised at most this late. */
  intervalMs: number;
  /** Exceptions read per page. */
  pageSize: number;
}

export const DEFAULT_FAILURE_CONTROLLER_OPTIONS: Omit<FailureControllerOptions, 'holder'> = {
  leaseName: 'controller/failures',
  leaseDurationMs: 15_000,
  intervalMs: 15_000,
  pageSize: 500,
};

export interface FailureControllerDeps {
  repository: ExceptionRepository;
  /** The team's HealthPolicies (the ExceptionService's cached `policiesOf`, or a source of its own). */
  policies: (team: string) => Promise<readonly HealthPolicyObject[]>;
  /** With `get`, the raises of a term carry its fence (ADR 0028). */
  leases: LeaseStore & Partial<Pick<LeaseRepository, 'get'>>;
  clock: Clock;
  recorder: EventRecorder;
  /** Where refused writes are counted (`controller="failures"`). */
  metrics?: Pick<ControllerMetrics, 'fencedWrites'>;
  logger?: { warn(object: object, message: string): void };
}

/** What one exception's reconcile did, by reason constant. */
export type FailureOutcome =
  | { exceptionId: string; team: string; reason: typeof FailureReasons.belowThreshold }
  | { exceptionId: string; team: string; reason: typeof FailureReasons.unchanged; level: FailureLevel }
  | {
      exceptionId: string;
      team: string;
      reason: typeof FailureReasons.raised;
      from?: FailureLevel;
      to: FailureLevel;
      /** Every level reached in this reconcile, with the instant its threshold passed. */
      raised: { level: FailureLevel; at: string }[];
    }
  | { exceptionId: string; team: string; reason: typeof FailureReasons.superseded };

const RANK = new Map<FailureLevel, number>(FAILURE_LEVELS.map((level, index) => [level, index]));

/**
 * Stage 1, `due`: the levels an exception has reached by `now` and not yet been given — every threshold
 * its current episode has lasted past, above its current level, each at the instant it was passed.
 * Derived from stored times only, so a controller that was stopped raises what it missed, once, with the
 * true times.
 */
export function dueFailureLevels(
  exception: Pick<ExceptionRecord, 'episodeOpenedAt' | 'level'>,
  policy: ResolvedHealthPolicy,
  now: number,
): { level: FailureLevel; at: number }[] {
  const opened = Date.parse(exception.episodeOpenedAt);
  const current = exception.level ? RANK.get(exception.level)! : -1;
  return policy.thresholds
    .filter(({ level, ms }) => RANK.get(level)! > current && now - opened >= ms)
    .map(({ level, ms }) => ({ level, at: opened + ms }));
}

/**
 * Failures (ADR 0018): level-triggered, on the server holding `controller/failures`. Every `intervalMs`
 * it reads the exceptions not yet resolved and, per exception, in named stages: `policy` (the HealthPolicy
 * for its application, else its team's, else the defaults) → `due` (levels passed, from stored times) →
 * `raise` (one conditional write of the level, its times, the timeline entries and the episode; an event
 * per level). A write that finds the exception changed since it was read does nothing (`Superseded`).
 */
export class FailureController {
  #timer: Timer | undefined;
  #stopped = true;
  /** When this server's last pass ran while it held the lease; undefined while it does not. */
  #lastPassAt: number | undefined;
  #nextDelayMs = 0;
  /** The current term's fence (ADR 0028), read from the lease row when a term starts. */
  #fence: WriteFence | undefined;
  /** The current term for the events it records: written with its fence, a refusal ends it (ADR 0028). */
  #term: EventTerm | undefined;
  /** When the last successful acquire or renewal was sent. */
  #renewedAt = Number.NEGATIVE_INFINITY;
  readonly #refusals: RefusalReporter;

  constructor(
    private readonly deps: FailureControllerDeps,
    private readonly options: FailureControllerOptions,
  ) {
    this.#refusals = new RefusalReporter('failures', deps);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const loop = () => {
      void this.#step()
        .catch(() => undefined)
        .finally(() => {
          if (!this.#stopped) this.#timer = this.deps.clock.setTimeout(loop, this.#nextDelayMs);
        });
    };
    loop();
  }

  /**
   * One turn of the loop (lease timing of ADR 0029): a pass every `intervalMs` while holding the lease, and
   * a renewal every T/4 between passes so that the lease never lapses between them; a server refused the
   * lease tries again when the lease it reads expires, so a dead holder's work moves at the expiry.
   */
  async #step(): Promise<void> {
    const { clock, leases } = this.deps;
    const { intervalMs, leaseDurationMs, leaseName } = this.options;
    const timings = leaseTimings(leaseDurationMs);
    const now = clock.now();
    this.#nextDelayMs = Math.min(intervalMs, timings.renewIntervalMs);
    const passDue = this.#lastPassAt === undefined || now - this.#lastPassAt >= intervalMs;
    const leading = passDue ? (await this.tick()) !== undefined : await this.#renew(now);
    if (leading) {
      if (passDue) this.#lastPassAt = now;
      this.#nextDelayMs = Math.max(
        0,
        Math.min(timings.renewIntervalMs, this.#lastPassAt! + intervalMs - now),
      );
      return;
    }
    this.#lastPassAt = undefined;
    this.#nextDelayMs = Math.min(intervalMs, await untilLeaseExpiry(leases, leaseName, clock, timings));
  }

  /**
   * A renewal between passes. It keeps the term's fence only when it follows the last renewal within the
   * lease (after a longer pause another server may have led: the next pass starts a new term).
   */
  async #renew(now: number): Promise<boolean> {
    const { holder, leaseDurationMs, leaseName } = this.options;
    const leading = await this.deps.leases.tryAcquire(leaseName, holder, leaseDurationMs, now);
    if (!leading) this.#fence = undefined;
    else if (now <= this.#renewedAt + leaseDurationMs) this.#renewedAt = now;
    return leading;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    await this.deps.leases.release(this.options.leaseName, this.options.holder).catch(() => undefined);
  }

  /** One pass over every unresolved exception; undefined when another server holds the lease. */
  async tick(): Promise<FailureOutcome[] | undefined> {
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
        // An event refused after the pass that recorded it: the term ends unless it has already.
        refused: (error) => {
          if (this.#fence === fence) this.#refused(error);
        },
      };
    }
    try {
      return await this.#pass(now, this.#fence);
    } catch (error) {
      if (!isFencedWriteRefused(error)) throw error;
      this.#refused(error);
      return undefined;
    }
  }

  /**
   * Another server has led since this term began: the term ends here (counted, logged once); the next
   * tick starts a new one only if the lease is this server's again.
   */
  #refused(error: FencedWriteRefused): void {
    this.#refusals.report(error);
    this.#renewedAt = Number.NEGATIVE_INFINITY;
    this.#fence = undefined;
  }

  async #pass(now: number, fence: WriteFence | undefined): Promise<FailureOutcome[]> {
    const outcomes: FailureOutcome[] = [];
    const policies = new Map<string, readonly HealthPolicyObject[]>();
    let after = 0;
    for (;;) {
      const page = await this.deps.repository.unresolved(after, this.options.pageSize);
      for (const exception of page.items) {
        let teamPolicies = policies.get(exception.team);
        if (!teamPolicies) {
          teamPolicies = await this.deps.policies(exception.team);
          policies.set(exception.team, teamPolicies);
        }
        outcomes.push(
          await this.reconcile(exception, resolveHealthPolicy(teamPolicies, exception.entities), now, fence),
        );
      }
      if (page.items.length < this.options.pageSize) break;
      after = page.lastSeq;
    }
    return outcomes;
  }

  /**
   * Raises one exception to the level its duration calls for, if it is not there yet. With `fence` (the
   * term's, ADR 0028) the raise's transaction checks it first: refused, nothing is written.
   */
  async reconcile(
    exception: ExceptionRecord,
    policy: ResolvedHealthPolicy,
    now: number,
    fence?: WriteFence,
  ): Promise<FailureOutcome> {
    const base = { exceptionId: exception.id, team: exception.team };
    const due = dueFailureLevels(exception, policy, now);
    if (due.length === 0)
      return exception.level
        ? { ...base, reason: FailureReasons.unchanged, level: exception.level }
        : { ...base, reason: FailureReasons.belowThreshold };
    const raised = due.map(({ level, at }) => ({ level, at: new Date(at).toISOString() }));
    const to = raised.at(-1)!.level;
    const written = await this.deps.repository.transaction(async (repo) => {
      if (fence) await repo.assertTerm(fence);
      const current = await repo.get(exception.team, exception.id);
      // Resolved, merged, reopened or raised by someone else since it was read: the next pass decides.
      if (
        !current ||
        current.state !== exception.state ||
        current.level !== exception.level ||
        current.episodeOpenedAt !== exception.episodeOpenedAt
      )
        return undefined;
      const nowIso = new Date(now).toISOString();
      const record: ExceptionRecord = {
        ...current,
        level: to,
        levelRaisedAt: {
          ...current.levelRaisedAt,
          ...Object.fromEntries(raised.map((r) => [r.level, r.at])),
        },
        changedAt: nowIso,
        updatedAt: nowIso,
      };
      await repo.update(record);
      await repo.syncEpisode(record);
      const threshold = new Map(policy.thresholds.map((t) => [t.level, t.ms]));
      await repo.appendTimeline(
        raised.map((step) => ({
          exceptionId: record.id,
          team: record.team,
          type: 'level-raised' as const,
          at: step.at,
          actor: ExceptionActors.failures,
          message: `a failure at ${step.level}: unresolved for ${formatMinutes(threshold.get(step.level)!)}`,
          level: step.level,
          reason: FailureReasons.raised,
          details: {
            thresholdMs: threshold.get(step.level),
            observedAt: nowIso,
            ...(policy.name ? { policy: policy.name } : {}),
          },
        })),
      );
      return record;
    });
    if (!written) return { ...base, reason: FailureReasons.superseded };
    const term = fence && this.#term?.fence === fence ? this.#term : fence ? { fence } : undefined;
    for (const step of raised)
      this.deps.recorder.record(
        {
          type: 'Warning',
          reason: ExceptionEventReasons.failureRaised,
          message: `became a failure at ${step.level}`,
          regarding: { kind: 'Exception', name: exception.id, team: exception.team },
          actor: ExceptionActors.failures,
        },
        term,
      );
    return {
      ...base,
      reason: FailureReasons.raised,
      ...(exception.level ? { from: exception.level } : {}),
      to,
      raised: raised.map((r) => ({ level: r.level, at: r.at })),
    };
  }
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60_000;
  return Number.isInteger(minutes) ? `${minutes}m` : `${ms / 1000}s`;
}
