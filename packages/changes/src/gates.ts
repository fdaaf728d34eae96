import {
  healingLabels,
  type ChangeSpec,
  type ChangeStatus,
  type ChangeWindowSpec,
  type Resource,
} from '@gantry/model';
import type { ChangeRepository, ResourceRepository, StoredLineStop } from '@gantry/store';
import { ChangeReason } from './change-reasons.ts';
import { JournalKeys } from './journal.ts';
import { compileWindow, evaluateWindows, type CompiledPeriod } from './windows.ts';

export type ChangeObject = Resource<ChangeSpec, ChangeStatus>;

/** What holds a change that could otherwise act, and until when if known. */
export interface Block {
  reason: ChangeReason;
  message: string;
  until?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The gates stage's first look: a stopped line (the team's or the fleet's), with who and why. */
export function lineStopBlock(stops: readonly StoredLineStop[]): Block | undefined {
  if (stops.length === 0) return undefined;
  return {
    reason: ChangeReason.LineStopped,
    message: `the line is stopped: ${stops
      .map(
        (stop) =>
          `${stop.team === '' ? 'fleet-wide' : `team ${stop.team}`} by ${stop.stoppedBy} at ${stop.stoppedAt}: ${stop.reason}`,
      )
      .join('; ')}`,
  };
}

/**
 * The gates stage's second look: the ChangeWindows the change honours (named, and those that apply to
 * every change of the team), taken together at `now`. A named window that does not exist holds it.
 */
export async function windowBlock(
  repository: Pick<ResourceRepository, 'list'>,
  change: ChangeObject,
  now: number,
): Promise<Block | undefined> {
  const team = change.metadata.team ?? '';
  const page = await repository.list({
    kind: 'ChangeWindow',
    teams: [team],
    limit: 10_000,
  });
  const windows = new Map(
    page.items.map((item) => [item.name, (JSON.parse(item.json) as Resource<ChangeWindowSpec>).spec]),
  );
  const missing = change.spec.windows.filter((name) => !windows.has(name));
  if (missing.length > 0)
    return {
      reason: ChangeReason.WindowMissing,
      message: `no such ChangeWindow: ${missing.join(', ')}; the change waits until it exists or is no longer named`,
    };
  const periods: CompiledPeriod[] = [];
  // A Change self-healing made also honours the windows that govern healing (ADR 0033's `appliesTo`).
  const byHealing = change.metadata.labels?.[healingLabels.run] !== undefined;
  for (const [name, spec] of windows) {
    const governs =
      spec.appliesToAllChanges ||
      change.spec.windows.includes(name) ||
      (byHealing && (spec.appliesTo ?? []).includes('healing'));
    if (!governs) continue;
    const compiled = compileWindow(name, spec);
    if (!compiled.ok)
      return {
        reason: ChangeReason.WindowInvalid,
        message: `ChangeWindow ${name}: ${compiled.errors.map((error) => `${error.path} ${error.message}`).join('; ')}`,
      };
    periods.push(...compiled.periods);
  }
  if (periods.length === 0) return undefined;
  const verdict = evaluateWindows(periods, now);
  if (verdict.open) return undefined;
  const when =
    verdict.nextOpen !== undefined
      ? `until ${iso(verdict.nextOpen)}`
      : 'and its windows do not open within a year';
  if (verdict.reason === 'Frozen' && verdict.by)
    return {
      reason: ChangeReason.Frozen,
      message: `frozen by ChangeWindow ${verdict.by.window} (freeze ${verdict.by.index}${verdict.by.reason ? `: ${verdict.by.reason}` : ''}) ${when}`,
      ...(verdict.nextOpen !== undefined ? { until: verdict.nextOpen } : {}),
    };
  return {
    reason: ChangeReason.OutsideWindow,
    message: `outside its allowed windows ${when}`,
    ...(verdict.nextOpen !== undefined ? { until: verdict.nextOpen } : {}),
  };
}

/**
 * Entities another change of the team holds: it started (its targets are frozen in its journal) and has
 * not ended. Such a change waits for it (`EntitiesHeld`) rather than changing them too.
 */
export async function heldByOthers(
  repository: Pick<ResourceRepository, 'list'>,
  journal: Pick<ChangeRepository, 'entry'>,
  change: ChangeObject,
  entities: readonly string[],
): Promise<Block | undefined> {
  const team = change.metadata.team ?? '';
  const mine = new Set(entities);
  const page = await repository.list({ kind: 'Change', teams: [team], limit: 100_000 });
  for (const item of page.items) {
    const other = JSON.parse(item.json) as ChangeObject;
    if (other.metadata.uid === change.metadata.uid) continue;
    if (other.status?.phase && ['Succeeded', 'Aborted', 'Failed', 'RolledBack'].includes(other.status.phase))
      continue;
    const started = await journal.entry(other.metadata.uid, JournalKeys.start());
    if (!started || (await journal.entry(other.metadata.uid, JournalKeys.end()))) continue;
    const shared = ((started.data.targets as string[] | undefined) ?? []).filter((entity) =>
      mine.has(entity),
    );
    if (shared.length > 0)
      return {
        reason: ChangeReason.EntitiesHeld,
        message: `change ${other.metadata.name} holds ${shared.length} of its targets (${shared
          .slice(0, 3)
          .join(', ')}${shared.length > 3 ? ', ...' : ''}); waiting until it ends`,
      };
  }
  return undefined;
}
