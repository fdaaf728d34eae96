import type { Clock, TermScope, Timer } from '@gantry/controllers';
import type { Resource } from '@gantry/model';
import { nextCronTime } from '@gantry/jobs';
import { isFencedWriteRefused, type ResourceRepository, type RiskRepository } from '@gantry/store';
import type { RiskSink } from '../ports.ts';
import type { InspectionData } from './inspection-data.ts';
import type { InspectionResource, InspectionRunner } from './inspection-runner.ts';
import { TeamSnapshot } from './team-snapshot.ts';
import { WorkSlots } from './work-slots.ts';

export interface InspectionSchedulerOptions {
  /** How often every Inspection is read again (besides the change feed's pokes). */
  resyncMs: number;
  /**
   * Runs doing their checks at once, all inspections together. A run starts (is claimed) on its slot
   * whatever this is; beyond it, started runs wait their turn for their checks (ADR 0024).
   */
  concurrency: number;
  /** A scheduled run still `running` this long after it started belongs to a dead server: failed. */
  interruptedAfterMs: number;
}

export const DEFAULT_INSPECTION_SCHEDULER_OPTIONS: InspectionSchedulerOptions = {
  resyncMs: 30_000,
  concurrency: 8,
  interruptedAfterMs: 15 * 60_000,
};

/** What one due inspection came to in a tick. */
export type SlotOutcome =
  | { inspection: string; slot: string; action: 'Started' }
  | { inspection: string; slot: string; action: 'Skipped'; why: 'PreviousRunGoing' | 'AlreadyRun' };

interface Entry {
  inspection: InspectionResource;
  /** The last slot this scheduler started or found claimed, ms. */
  lastSlot?: number;
  /** The next cron slot to run, ms; undefined when suspended or the cron never fires again. */
  due?: number;
  /**
   * The slot after `due`, worked out ahead (after a tick's runs have started), so that a tick that
   * starts many runs does no cron arithmetic before their claims.
   */
  following?: number;
}

/** Whether two versions of an Inspection have the same slots (so held due times stay right). */
function sameSchedule(a: InspectionResource, b: InspectionResource): boolean {
  return (
    a.metadata.uid === b.metadata.uid &&
    a.spec.suspend === b.spec.suspend &&
    a.spec.schedule.cron === b.spec.schedule.cron &&
    a.spec.schedule.timeZone === b.spec.schedule.timeZone
  );
}

/**
 * Runs Inspections on their crons, on the server holding the `health-inspections` lease (the caller
 * starts and stops it with the lease). Level-triggered: each tick reads the due inspections from what
 * it holds (re-read on every change and every `resyncMs`), and each slot is claimed in the database
 * before it runs (`inspection_runs` unique per slot), so a restart or a new leader resumes from the last
 * claimed slot and no slot ever runs twice. Slots missed while no server led fold into the latest one.
 * A slot that comes while the inspection's previous run still goes is skipped.
 *
 * Every due run starts on its slot (ADR 0024): the tick claims them all at once and gives the runs of
 * one team one snapshot of the team's objects, taken at the tick; the expensive part, judging and
 * recording, is bounded by `concurrency` work slots that started runs take in turn.
 */
export class InspectionScheduler {
  readonly #entries = new Map<string, Entry>();
  /** The term being led (ADR 0028). */
  #term: TermScope | undefined;
  readonly #running = new Map<string, Promise<void>>();
  readonly #work: WorkSlots;
  #timer: Timer | undefined;
  #stopped = true;
  #lastResync = 0;
  #ticking: Promise<SlotOutcome[]> | undefined;

  constructor(
    private readonly deps: {
      resources: Pick<ResourceRepository, 'list'>;
      runs: Pick<RiskRepository, 'lastSlot' | 'failInterrupted' | 'openSources'>;
      /** Where the open risks of deleted Inspections are closed. */
      sink: RiskSink;
      runner: Pick<InspectionRunner, 'run'>;
      /** The team's objects that the runs of one tick share. */
      data: InspectionData;
      clock: Clock;
      onError?: (error: unknown, what: string) => void;
      /** Called when a scheduled run starts, with how late it is after its slot (ms). */
      onDrift?: (ms: number) => void;
    },
    private readonly options: InspectionSchedulerOptions = DEFAULT_INSPECTION_SCHEDULER_OPTIONS,
  ) {
    this.#work = new WorkSlots(options.concurrency);
  }

  /** A term starts; `term` (from `termElector`, ADR 0028): its fence goes with the risk writes. */
  async start(term?: TermScope): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#term = term;
    // A new term reads every slot from the database: another server may have led meanwhile.
    this.#entries.clear();
    const now = this.deps.clock.now();
    try {
      await this.deps.runs.failInterrupted(
        new Date(now - this.options.interruptedAfterMs).toISOString(),
        new Date(now).toISOString(),
        term?.fence,
      );
    } catch (error) {
      // The lease moved before this term did anything: nothing starts (the term counts, logs and ends).
      if (isFencedWriteRefused(error) && term) return term.refused(error);
      throw error;
    }
    await this.resync();
    this.#arm();
  }

  /** Stops scheduling and waits for the runs in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#ticking?.catch(() => undefined);
    await Promise.all(this.#running.values());
  }

  /**
   * An Inspection was written. A status write (the runner's own, after every run) changes no schedule:
   * only a new generation, a creation or a deletion makes the scheduler read the Inspections again.
   */
  changed(change: {
    type: string;
    team: string;
    name: string;
    object: { metadata: { generation?: number } };
  }): void {
    const held = this.#entries.get(`${change.team}/${change.name}`);
    if (
      change.type === 'MODIFIED' &&
      held &&
      held.inspection.metadata.generation === change.object.metadata.generation
    )
      return;
    this.poke();
  }

  /** Something about Inspections changed: read them again soon. */
  poke(): void {
    this.#lastResync = 0;
    if (!this.#stopped) this.#arm(0);
  }

  /**
   * Reads every Inspection; the last claimed slot of each comes from the database the first time this
   * scheduler sees it (the durable state to schedule from), from memory after that.
   */
  async resync(): Promise<void> {
    const seen = new Set<string>();
    let after: { team: string; name: string } | undefined;
    do {
      const page = await this.deps.resources.list({
        kind: 'Inspection',
        limit: 1000,
        ...(after ? { after } : {}),
      });
      for (const item of page.items) {
        const inspection = JSON.parse(item.json) as Resource as InspectionResource;
        const key = `${inspection.metadata.team}/${inspection.metadata.name}`;
        seen.add(key);
        const held = this.#entries.get(key);
        if (held && sameSchedule(held.inspection, inspection)) {
          // Nothing about its slots changed: the due times held stay (no cron arithmetic per resync).
          held.inspection = inspection;
          continue;
        }
        let lastSlot = held?.lastSlot;
        if (!held) {
          const claimed = await this.deps.runs.lastSlot(
            inspection.metadata.team ?? '',
            inspection.metadata.name,
          );
          if (claimed) lastSlot = Date.parse(claimed);
        }
        // After the last slot claimed; a new inspection from its creation (a slot at that very millisecond
        // counts).
        const base = lastSlot ?? Date.parse(inspection.metadata.creationTimestamp) - 1;
        this.#entries.set(key, {
          inspection,
          ...(lastSlot !== undefined ? { lastSlot } : {}),
          ...this.#dueAfter(inspection, base),
        });
      }
      after = page.next;
    } while (after);
    for (const key of [...this.#entries.keys()]) if (!seen.has(key)) this.#entries.delete(key);
    // Level-triggered clean-up: the open risks of an Inspection that no longer exists are gone.
    const at = new Date(this.deps.clock.now());
    for (const source of await this.deps.runs.openSources('Inspection'))
      if (!seen.has(`${source.team}/${source.name}`))
        await this.deps.sink.observe(
          { team: source.team, kind: 'Inspection', name: source.name, check: source.check },
          [],
          at,
          this.#term?.fence,
        );
    this.#lastResync = this.deps.clock.now();
  }

  /** When the next slot of each inspection is (for status and tests). */
  dueTimes(): Map<string, number | undefined> {
    return new Map([...this.#entries].map(([key, entry]) => [key, entry.due]));
  }

  /** Starts the runs that are due now; resolves once they have started (not finished). */
  async tick(): Promise<SlotOutcome[]> {
    const now = this.deps.clock.now();
    if (now - this.#lastResync >= this.options.resyncMs) await this.resync();
    const outcomes: SlotOutcome[] = [];
    const snapshots = new Map<string, TeamSnapshot>();
    const snapshotOf = (team: string) => {
      let snapshot = snapshots.get(team);
      if (!snapshot) snapshots.set(team, (snapshot = new TeamSnapshot(this.deps.data, team, now)));
      return snapshot;
    };
    const advanced: Entry[] = [];
    for (const [key, entry] of this.#entries) {
      if (entry.due === undefined || entry.due > now) continue;
      // Missed slots fold into the latest one that has come.
      let slot = entry.due;
      let following = entry.following ?? this.#next(entry.inspection, slot);
      for (let guard = 0; following !== undefined && following <= now && guard < 100_000; guard += 1) {
        slot = following;
        following = this.#next(entry.inspection, slot);
      }
      entry.due = following;
      delete entry.following;
      entry.lastSlot = slot;
      advanced.push(entry);
      const slotIso = new Date(slot).toISOString();
      if (this.#running.has(key)) {
        outcomes.push({ inspection: key, slot: slotIso, action: 'Skipped', why: 'PreviousRunGoing' });
        continue;
      }
      this.deps.onDrift?.(this.deps.clock.now() - slot);
      const started = this.deps.runner
        .run(entry.inspection, {
          trigger: 'schedule',
          slot,
          createdBy: 'controller/health-inspections',
          schedule: {
            lastScheduleTime: slotIso,
            ...(following !== undefined ? { nextRunTime: new Date(following).toISOString() } : {}),
          },
          snapshot: snapshotOf(entry.inspection.metadata.team ?? ''),
          admit: () => this.#work.acquire(),
          ...(this.#term?.fence ? { fence: this.#term.fence, term: this.#term } : {}),
        })
        .then(
          (run) => {
            if (!run) outcomes.push({ inspection: key, slot: slotIso, action: 'Skipped', why: 'AlreadyRun' });
          },
          (error: unknown) => this.#failed(error, `inspection ${key}`),
        )
        .finally(() => this.#running.delete(key));
      this.#running.set(key, started);
      outcomes.push({ inspection: key, slot: slotIso, action: 'Started' });
    }
    // The runs are started (their start times taken); now the slots after the new due ones.
    for (const entry of advanced)
      if (entry.due !== undefined) {
        const next = this.#next(entry.inspection, entry.due);
        if (next !== undefined) entry.following = next;
      }
    return outcomes;
  }

  /** A refused write ends the term (`term.refused`: counted, logged once); anything else is reported. */
  #failed(error: unknown, what: string): void {
    if (isFencedWriteRefused(error) && this.#term) this.#term.refused(error);
    else this.deps.onError?.(error, what);
  }

  /** Waits for every run in flight (tests). */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running.values());
  }

  #dueAfter(inspection: InspectionResource, after: number): { due?: number } {
    if (inspection.spec.suspend) return {};
    const due = this.#next(inspection, after);
    return due === undefined ? {} : { due };
  }

  #next(inspection: InspectionResource, after: number): number | undefined {
    if (inspection.spec.suspend) return undefined;
    const next = nextCronTime(inspection.spec.schedule, after);
    return next.ok ? next.at : undefined;
  }

  /** Sleeps until the earliest due slot (at most until the next resync), then ticks. */
  #arm(delayMs?: number): void {
    if (this.#stopped) return;
    this.#timer?.cancel();
    const now = this.deps.clock.now();
    let wake = this.#lastResync + this.options.resyncMs;
    for (const entry of this.#entries.values())
      if (entry.due !== undefined && entry.due < wake) wake = entry.due;
    this.#timer = this.deps.clock.setTimeout(
      () => {
        this.#timer = undefined;
        const ticking = this.tick();
        this.#ticking = ticking;
        void ticking
          .catch((error: unknown) => this.#failed(error, 'inspection scheduler tick'))
          .finally(() => this.#arm());
      },
      delayMs ?? Math.max(0, wake - now),
    );
  }
}
