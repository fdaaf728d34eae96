import type { CelBindings } from '@gantry/delivery';
import type { InspectionSubject } from '@gantry/model';
import type { InspectionData, InspectionSubjectItem } from './inspection-data.ts';

/** The CEL variable an inventory check binds each object to. */
export const SUBJECT_VARIABLE: Readonly<Record<InspectionSubject, string>> = {
  nodes: 'node',
  workloads: 'workload',
  clusters: 'cluster',
  applications: 'application',
  certificates: 'certificate',
};

/**
 * One team's objects as the inspection runs sharing this snapshot see them, at one time `now` (ADR 0024):
 * each list is read from the store at most once, and the bindings CEL evaluates over are built once and
 * kept, so the CEL engine converts each object once (it keeps the converted form with the bindings
 * object) however many checks and runs judge it. The scheduler gives the runs due in one tick one snapshot
 * per team; a manual run has its own.
 */
export class TeamSnapshot {
  readonly nowIso: string;
  readonly #subjects = new Map<InspectionSubject, Promise<InspectionSubjectItem[]>>();
  readonly #bindings = new WeakMap<InspectionSubjectItem, CelBindings>();
  readonly #aggregates = new Map<string, Promise<CelBindings>>();

  constructor(
    private readonly data: InspectionData,
    readonly team: string,
    readonly now: number,
  ) {
    this.nowIso = new Date(now).toISOString();
  }

  /** The team's objects of one list; a failed read fails every check that shares it, as it would alone. */
  subjects(over: InspectionSubject): Promise<InspectionSubjectItem[]> {
    let read = this.#subjects.get(over);
    if (!read) {
      read = this.data.subjects(over, this.team, this.now);
      this.#subjects.set(over, read);
    }
    return read;
  }

  /** What an inventory check's CEL sees for one object: `{node: ..., now}` (one object per subject). */
  bindings(over: InspectionSubject, subject: InspectionSubjectItem): CelBindings {
    let bindings = this.#bindings.get(subject);
    if (!bindings) {
      bindings = { [SUBJECT_VARIABLE[over]]: subject.binding, now: this.nowIso };
      this.#bindings.set(subject, bindings);
    }
    return bindings;
  }

  /** What an aggregate check sees: `now` and the named lists (`nodes`, ...), one object per set of names. */
  aggregate(lists: readonly InspectionSubject[]): Promise<CelBindings> {
    const key = [...lists].sort().join(',');
    let bindings = this.#aggregates.get(key);
    if (!bindings) {
      bindings = (async () => {
        const out: Record<string, unknown> = { now: this.nowIso };
        for (const over of lists) out[over] = (await this.subjects(over)).map((subject) => subject.binding);
        return out;
      })();
      this.#aggregates.set(key, bindings);
    }
    return bindings;
  }
}
