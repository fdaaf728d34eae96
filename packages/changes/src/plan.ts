import type { ChangeBatch, ErrorDetail } from '@gantry/model';
import { durationMs } from './duration.ts';

/** One batch of a plan, over the frozen targets. */
export interface PlannedBatch {
  index: number;
  /** The batch's size as written (`1`, `10%`). */
  size: string;
  bake: string;
  bakeMs: number;
  entities: string[];
  /** Waits for an approval before it starts. */
  approval?: boolean;
}

export interface Partition {
  batches: PlannedBatch[];
  /** Targets no batch takes: the plan does not cover them. */
  uncovered: string[];
  /** Indices of written batches left with nothing to take. */
  empty: number[];
}

/** A batch size against `total` targets: a count, or a share rounded up and at least 1. */
export function batchSize(size: string, total: number): number {
  if (size.endsWith('%')) return Math.max(1, Math.ceil((Number(size.slice(0, -1)) * total) / 100));
  return Number(size);
}

/**
 * Cuts the ordered targets into the plan's batches: each written batch takes its size from what is left;
 * a last batch with `repeat` is taken again until nothing is left. Every target lands in exactly one
 * batch or in `uncovered`.
 */
export function partition(targets: readonly string[], plan: readonly ChangeBatch[]): Partition {
  const batches: PlannedBatch[] = [];
  const empty: number[] = [];
  let at = 0;
  plan.forEach((written, index) => {
    const size = batchSize(written.size, targets.length);
    const bakeMs = durationMs(written.bake) ?? 0;
    const take = () => {
      batches.push({
        index: batches.length,
        size: written.size,
        bake: written.bake,
        bakeMs,
        entities: targets.slice(at, at + size),
        ...(written.approval ? { approval: true } : {}),
      });
      at = Math.min(targets.length, at + size);
    };
    if (at >= targets.length) {
      empty.push(index);
      return;
    }
    take();
    if (written.repeat && index === plan.length - 1) while (at < targets.length) take();
  });
  return { batches, uncovered: targets.slice(at), empty };
}

/**
 * What can be said of a plan before its targets are known (a selector), or with them (names):
 * `repeat` only last; with names, every target covered and no batch empty; with a selector, a plan that
 * covers any number of targets (a repeating last batch, or shares reaching 100%).
 */
export function checkPlan(plan: readonly ChangeBatch[], names: readonly string[] | undefined): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  plan.forEach((batch, index) => {
    if (batch.repeat && index !== plan.length - 1)
      errors.push({
        path: `/spec/plan/batches/${index}/repeat`,
        message: 'only the last batch may repeat',
      });
  });
  if (errors.length > 0) return errors;
  if (names) {
    const result = partition(names, plan);
    if (result.uncovered.length > 0)
      errors.push({
        path: '/spec/plan/batches',
        message: `covers ${names.length - result.uncovered.length} of ${names.length} targets (${result.uncovered
          .slice(0, 3)
          .join(
            ', ',
          )}${result.uncovered.length > 3 ? ', ...' : ''} left): add batches, or set repeat on the last`,
      });
    for (const index of result.empty)
      errors.push({
        path: `/spec/plan/batches/${index}`,
        message: `every target is covered before this batch (${names.length} targets)`,
      });
    return errors;
  }
  const last = plan[plan.length - 1];
  const share = plan.reduce(
    (sum, batch) => sum + (batch.size.endsWith('%') ? Number(batch.size.slice(0, -1)) : 0),
    0,
  );
  if (!last?.repeat && share < 100)
    errors.push({
      path: '/spec/plan/batches',
      message:
        'targets chosen by a selector may be any number: end the plan with a repeating batch, or let the shares reach 100%',
    });
  return errors;
}
