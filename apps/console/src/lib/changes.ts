import type {
  CalendarInterval,
  ChangeBatchStatus,
  ChangeJournalEntry,
  ChangePhase,
  ChangeSpec,
  ChangeStatus,
  ChangeWindowCalendar,
  EventRecord,
} from '@gantry/client';

/** Where the change pages live in the console. */
export const changesPath = '/changes';
export const changeCalendarPath = '/changes/calendar';

export function changePath(team: string, name: string): string {
  return `/changes/teams/${encodeURIComponent(team)}/${encodeURIComponent(name)}`;
}

export const CHANGE_PHASE_LIST: readonly ChangePhase[] = [
  'Pending',
  'Waiting',
  'Progressing',
  'Observing',
  'Paused',
  'Succeeded',
  'Aborted',
  'Failed',
];

export const phaseColors: Record<ChangePhase, string> = {
  Pending: 'default',
  Waiting: 'warning',
  Progressing: 'processing',
  Observing: 'cyan',
  Paused: 'orange',
  Succeeded: 'success',
  Aborted: 'default',
  Failed: 'error',
};

export const batchPhaseColors: Record<ChangeBatchStatus['phase'], string> = {
  Pending: 'gray',
  Applying: 'blue',
  Observing: 'cyan',
  Completed: 'green',
  Skipped: 'gray',
};

export const ENDED_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Aborted', 'Failed']);

/** Entities changed of all targets, and the share done (0-100). */
export function changeProgress(status: ChangeStatus | undefined): {
  applied: number;
  total: number;
  percent: number;
} {
  const batches = status?.batches ?? [];
  const total = status?.targetCount ?? batches.reduce((sum, batch) => sum + batch.entities.length, 0);
  const applied = batches.reduce((sum, batch) => sum + batch.applied, 0);
  return { applied, total, percent: total === 0 ? 0 : Math.round((applied / total) * 100) };
}

/** The window state a list shows: waiting until when, or why. */
export function windowState(status: ChangeStatus | undefined): { label: string; waiting: boolean } {
  const blocked = status?.conditions?.find((c) => c.type === 'Blocked' && c.status === 'True');
  if (status?.phase === 'Waiting' || blocked)
    return {
      label: status?.waitingUntil ? `waits until ${status.waitingUntil}` : (blocked?.reason ?? 'waiting'),
      waiting: true,
    };
  return { label: ENDED_PHASES.has(status?.phase ?? '') ? '—' : 'open', waiting: false };
}

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `1h30m` in milliseconds (the model's duration pattern); undefined when it does not parse. */
export function durationToMs(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) return undefined;
  return parts.reduce((sum, part) => sum + Number(part[1]) * UNITS[part[2]!]!, 0);
}

/**
 * How far a batch's observation ("bake") has got at `now`, from the stored `observeUntil` and the bake
 * time: its start is `observeUntil - bake`. Done when completed or past `observeUntil`.
 */
export function bakeProgress(
  batch: Pick<ChangeBatchStatus, 'bake' | 'observeUntil' | 'completedAt' | 'phase'>,
  now: number,
): { percent: number; remainingMs: number; start?: number; until?: number } | undefined {
  if (batch.observeUntil === undefined) return undefined;
  const until = Date.parse(batch.observeUntil);
  const bake = durationToMs(batch.bake) ?? 0;
  const start = until - bake;
  if (batch.phase === 'Completed' || now >= until) return { percent: 100, remainingMs: 0, start, until };
  const percent = bake <= 0 ? 100 : Math.max(0, Math.min(100, Math.floor(((now - start) / bake) * 100)));
  return { percent, remainingMs: until - now, start, until };
}

export function formatMs(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** A gate result as the console shows it; gates come later in the engine, so any fields are read loosely. */
export interface GateView {
  name: string;
  verdict: string;
  message?: string;
  values?: string;
}

/**
 * A batch's gate results, when the engine reports them (`gates` beside the batch's fields): each with a
 * name, a verdict and whatever values it saw. Nothing when the batch has none.
 */
export function batchGates(batch: ChangeBatchStatus): GateView[] {
  const gates = (batch as { gates?: unknown }).gates;
  if (!Array.isArray(gates)) return [];
  return gates.map((gate, index) => {
    const record = (typeof gate === 'object' && gate !== null ? gate : {}) as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const values = record.values ?? record.value;
    const message = text(record.message);
    return {
      name: text(record.name) ?? text(record.type) ?? `gate ${index + 1}`,
      verdict: text(record.verdict) ?? text(record.phase) ?? text(record.status) ?? 'unknown',
      ...(message !== undefined ? { message } : {}),
      ...(values !== undefined ? { values: JSON.stringify(values) } : {}),
    };
  });
}

/** The people's acts in a change's journal — pause, resume, abort — with who, why and when. */
export interface ChangeRequestView {
  seq: number;
  action: string;
  actor: string;
  reason: string;
  at: string;
}

const REQUEST_STEPS: Record<string, string> = { Paused: 'pause', Resumed: 'resume', Aborted: 'abort' };

export function journalRequests(entries: readonly ChangeJournalEntry[]): ChangeRequestView[] {
  return entries
    .filter((entry) => entry.type in REQUEST_STEPS)
    .map((entry) => ({
      seq: entry.seq,
      action: REQUEST_STEPS[entry.type]!,
      actor: typeof entry.data.actor === 'string' ? entry.data.actor : 'unknown',
      reason: typeof entry.data.reason === 'string' ? entry.data.reason : '',
      at: typeof entry.data.at === 'string' ? entry.data.at : entry.at,
    }));
}

/** One column of a week view: a day, with the blocks that fall in it. */
export interface CalendarBlock {
  kind: 'allow' | 'freeze' | 'open';
  window: string;
  label: string;
  /** Minutes from the day's start, and the block's length in minutes. */
  top: number;
  height: number;
  start: string;
  end: string;
}

export interface CalendarDay {
  date: string;
  /** The day's first instant in the calendar's zone (epoch ms). */
  start: number;
  blocks: CalendarBlock[];
}

const DAY_MS = 86_400_000;

/** The zone's offset from UTC at `at`, in ms (Berlin in winter: +3,600,000). */
export function zoneOffset(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const local = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return local - Math.floor(at / 1000) * 1000;
}

/** The first instant of the calendar day `date` (YYYY-MM-DD) in `timeZone`. */
export function zonedDayStart(date: string, timeZone: string): number {
  const midnight = Date.parse(`${date}T00:00:00Z`);
  let start = midnight - zoneOffset(midnight, timeZone);
  // Across a change of offset the first guess is an hour off: correct it with the offset at that instant.
  start = midnight - zoneOffset(start, timeZone);
  return start;
}

/** The calendar date (YYYY-MM-DD) of `at` in `timeZone`. */
export function zonedDate(at: number, timeZone: string): string {
  return new Date(at + zoneOffset(at, timeZone)).toISOString().slice(0, 10);
}

/** The Monday (YYYY-MM-DD) of the week holding `at`, in `timeZone`. */
export function weekStart(at: number, timeZone = 'UTC'): string {
  const date = zonedDate(at, timeZone);
  const day = new Date(`${date}T00:00:00Z`);
  return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY_MS).toISOString().slice(0, 10);
}

/** The seven days from Monday `monday` in `timeZone`, and the instant the week after starts. */
export function weekRange(
  monday: string,
  timeZone = 'UTC',
): { days: { date: string; start: number }[]; end: number } {
  const base = Date.parse(`${monday}T00:00:00Z`);
  const dates = Array.from({ length: 8 }, (_, i) => new Date(base + i * DAY_MS).toISOString().slice(0, 10));
  const starts = dates.map((date) => zonedDayStart(date, timeZone));
  return { days: dates.slice(0, 7).map((date, i) => ({ date, start: starts[i]! })), end: starts[7]! };
}

/** Cuts intervals into per-day blocks of a week (`weekRange`): minutes from each day's start in its zone. */
export function weekDays(
  week: { days: readonly { date: string; start: number }[]; end: number },
  windows: readonly ChangeWindowCalendar[],
  open: readonly CalendarInterval[],
): CalendarDay[] {
  const days: CalendarDay[] = week.days.map((day) => ({ ...day, blocks: [] }));
  const place = (kind: CalendarBlock['kind'], window: string, label: string, interval: CalendarInterval) => {
    const from = Date.parse(interval.start);
    const to = Date.parse(interval.end);
    days.forEach((day, i) => {
      const dayEnd = days[i + 1]?.start ?? week.end;
      const a = Math.max(from, day.start);
      const b = Math.min(to, dayEnd);
      if (b <= a) return;
      day.blocks.push({
        kind,
        window,
        label,
        top: (a - day.start) / 60_000,
        height: (b - a) / 60_000,
        start: interval.start,
        end: interval.end,
      });
    });
  };
  for (const window of windows)
    for (const occurrence of window.occurrences)
      place(
        occurrence.type,
        window.window,
        occurrence.reason ?? `${occurrence.type} ${occurrence.cron}`,
        occurrence,
      );
  for (const interval of open) place('open', '', 'changes may act', interval);
  return days;
}

/** One item of an entity's change timeline: a change that touched it, or a Gantry event about it. */
export type TimelineItem =
  | { type: 'change'; at: string; team: string; name: string; phase: string; batch?: number; outcome: string }
  | { type: 'event'; at: string; event: EventRecord };

/** The reasons of drift events (ADR 0031): shown as warnings on a timeline. */
export const DRIFT_REASONS: ReadonlySet<string> = new Set([
  'DriftDetected',
  'DriftRestored',
  'DriftRestoreFailed',
]);

/**
 * Whether a change's entity is `entity`: a host is its name; a cluster holds `cluster/node` entities; an
 * application is its name.
 */
export function entityMatches(
  kind: 'Application' | 'Cluster' | 'Host',
  name: string,
  entity: string,
  change?: { spec?: Pick<ChangeSpec, 'applicationRevision' | 'definitionUpgrade'> },
): boolean {
  if (kind === 'Cluster') return entity.startsWith(`${name}/`);
  // An application's rollout names its entities `cluster/application` (ADR 0036), as a definition upgrade
  // across applications does (ADR 0039).
  if (kind === 'Application' && change?.spec?.applicationRevision)
    return change.spec.applicationRevision.application === name && entity.endsWith(`/${name}`);
  if (kind === 'Application' && change?.spec?.definitionUpgrade) return entity.endsWith(`/${name}`);
  return entity === name;
}

/** The changes that touched an entity and the events about it, newest first. */
export function entityTimeline(
  kind: 'Application' | 'Cluster' | 'Host',
  name: string,
  changes: readonly {
    metadata: { team?: string; name: string; creationTimestamp?: string };
    spec?: Pick<ChangeSpec, 'applicationRevision' | 'definitionUpgrade'>;
    status?: ChangeStatus;
  }[],
  events: readonly EventRecord[],
): TimelineItem[] {
  const items: TimelineItem[] = [];
  for (const change of changes) {
    const batches = change.status?.batches ?? [];
    const batch = batches.find((candidate) =>
      candidate.entities.some((e) => entityMatches(kind, name, e, change)),
    );
    if (!batch) continue;
    const failed = batch.failed.filter((f) => entityMatches(kind, name, f.entity, change));
    items.push({
      type: 'change',
      at: batch.startedAt ?? change.status?.startedAt ?? change.metadata.creationTimestamp ?? '',
      team: change.metadata.team ?? '',
      name: change.metadata.name,
      phase: change.status?.phase ?? 'Pending',
      batch: batch.index,
      outcome:
        failed.length > 0
          ? `failed: ${failed.map((f) => f.message).join('; ')}`
          : `batch ${batch.index + 1} ${batch.phase.toLowerCase()}`,
    });
  }
  for (const event of events) items.push({ type: 'event', at: event.lastSeen, event });
  return items.sort((a, b) => b.at.localeCompare(a.at));
}

/** An entity's last outcome in a change's journal: Succeeded, Failed, or Started (in flight or in doubt). */
export function entityOutcomes(
  entries: readonly ChangeJournalEntry[],
): Map<string, { state: string; message?: string }> {
  const outcomes = new Map<string, { state: string; message?: string }>();
  for (const entry of entries) {
    if (entry.entity === undefined) continue;
    if (entry.type === 'EntityStarted' || entry.type === 'EntityRunning')
      outcomes.set(entry.entity, { state: entry.type === 'EntityRunning' ? 'Running' : 'Started' });
    else if (entry.type === 'EntityDone') {
      const message = typeof entry.data.message === 'string' ? entry.data.message : undefined;
      outcomes.set(entry.entity, {
        state: entry.data.status === 'Succeeded' ? 'Succeeded' : 'Failed',
        ...(message !== undefined ? { message } : {}),
      });
    }
  }
  return outcomes;
}
