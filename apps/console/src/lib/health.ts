import type {
  CorrelationReason,
  EntityRefRecord,
  ExceptionRecordState,
  ExceptionSeverity,
  ExceptionTimeline,
  ExceptionTimelineEntry,
  FailureLevelName,
  InspectionDiffEntry,
  InspectionRunDiff,
  RiskEntity,
} from '@gantry/client';

/*
 * The health center's pure helpers (docs/reference/exceptions.md, risks.md): which actions an exception's
 * state allows, its timeline as the page shows it, why it was grouped, and an inspection diff as rows.
 */

export const exceptionStates: readonly ExceptionRecordState[] = [
  'open',
  'acknowledged',
  'mitigated',
  'resolved',
  'merged',
];
export const exceptionSeverities: readonly ExceptionSeverity[] = ['critical', 'major', 'minor', 'warning'];
export const failureLevels: readonly FailureLevelName[] = ['P0', 'P1', 'P2', 'P3', 'P4'];

export const stateColors: Record<ExceptionRecordState, string> = {
  open: 'red',
  acknowledged: 'orange',
  mitigated: 'gold',
  resolved: 'green',
  merged: 'default',
};

export const severityColors: Record<ExceptionSeverity, string> = {
  critical: 'magenta',
  major: 'red',
  minor: 'orange',
  warning: 'gold',
};

export const levelColors: Record<FailureLevelName, string> = {
  P0: 'magenta',
  P1: 'red',
  P2: 'volcano',
  P3: 'orange',
  P4: 'gold',
};

export type ExceptionAction =
  'acknowledge' | 'assign' | 'comment' | 'mitigate' | 'resolve' | 'reopen' | 'merge' | 'review';

/**
 * The actions the server accepts in a state (the lifecycle table of docs/reference/exceptions.md): the
 * page offers these and no others, so that a click never ends in GANTRY_E_EXCEPTION_STATE.
 */
export function allowedActions(state: ExceptionRecordState): ReadonlySet<ExceptionAction> {
  switch (state) {
    case 'open':
      return new Set(['acknowledge', 'mitigate', 'resolve', 'assign', 'comment', 'merge', 'review']);
    case 'acknowledged':
      return new Set(['mitigate', 'resolve', 'assign', 'comment', 'merge', 'review']);
    case 'mitigated':
      return new Set(['resolve', 'assign', 'comment', 'merge', 'review']);
    case 'resolved':
      return new Set(['reopen', 'assign', 'comment', 'review']);
    case 'merged':
      return new Set();
  }
}

/** `Node prod/w-3`, `Application web`, `Component web/api`: an entity as one short label. */
export function entityLabel(entity: EntityRefRecord | RiskEntity): string {
  const scope = entity.application ?? entity.cluster;
  const namespaced = entity.namespace ? `${entity.namespace}/${entity.name}` : entity.name;
  return `${entity.kind} ${scope ? `${scope}/` : ''}${namespaced}`;
}

/** Why an exception's alerts were grouped: the rule and the values they share, in one line. */
export function describeCorrelation(reason: CorrelationReason | undefined): string | undefined {
  if (!reason) return undefined;
  const shared = Object.entries(reason.shared)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value}`);
  const rule = reason.ruleKind === 'Topology' ? 'topology' : `CorrelationRule ${reason.rule}`;
  return shared.length === 0 ? `grouped by ${rule}` : `grouped by ${rule}, sharing ${shared.join(', ')}`;
}

export interface TimelineItem {
  readonly entry: ExceptionTimelineEntry;
  /** A Gantry or Kubernetes event from before the exception first opened: context, not a consequence. */
  readonly beforeOpening: boolean;
  readonly key: string;
}

/**
 * The timeline in time order (stable for equal times), each entry marked when it happened before the
 * exception first opened: the events of the 30 minutes before are shown apart as "before opening".
 */
export function timelineItems(timeline: ExceptionTimeline): TimelineItem[] {
  const opened = Date.parse(timeline.exception.openedAt);
  return timeline.entries
    .map((entry, index) => ({ entry, index, at: Date.parse(entry.at) }))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map(({ entry, index, at }) => ({
      entry,
      beforeOpening: at < opened,
      key: `${index}-${entry.type}-${entry.at}`,
    }));
}

/** What an entry says about a change of state: `open → acknowledged`. */
export function stateChange(entry: ExceptionTimelineEntry): string | undefined {
  if (!entry.fromState && !entry.toState) return undefined;
  return `${entry.fromState ?? '—'} → ${entry.toState ?? '—'}`;
}

export type DiffChange = 'new' | 'gone' | 'changed';

export interface DiffRow extends InspectionDiffEntry {
  readonly change: DiffChange;
  readonly previousScore?: number;
}

/** An inspection diff as one table: new, then changed, then gone, each by check and key. */
export function diffRows(diff: InspectionRunDiff): DiffRow[] {
  const byCheckAndKey = (a: InspectionDiffEntry, b: InspectionDiffEntry) =>
    a.check.localeCompare(b.check) || a.key.localeCompare(b.key);
  return [
    ...[...diff.new].sort(byCheckAndKey).map((entry): DiffRow => ({ ...entry, change: 'new' })),
    ...[...diff.changed].sort(byCheckAndKey).map((entry): DiffRow => ({ ...entry, change: 'changed' })),
    ...[...diff.gone].sort(byCheckAndKey).map((entry): DiffRow => ({ ...entry, change: 'gone' })),
  ];
}

/** Follow-up lines as the review form edits them: one per line, `title @owner`, `[x]` when done. */
export function parseFollowUps(text: string): { title: string; owner?: string; done: boolean }[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const done = /^\[x\]\s*/i.test(line);
      const rest = line.replace(/^\[[ x]?\]\s*/i, '');
      const match = /^(.*?)\s+@(\S+)$/.exec(rest);
      const title = (match ? match[1]! : rest).trim();
      return match ? { title, owner: match[2]!, done } : { title, done };
    })
    .filter((item) => item.title.length > 0);
}

export function formatFollowUps(items: readonly { title: string; owner?: string; done: boolean }[]): string {
  return items
    .map((item) => `${item.done ? '[x] ' : ''}${item.title}${item.owner ? ` @${item.owner}` : ''}`)
    .join('\n');
}

/** A console path of the health center. */
export const healthPaths = {
  exception: (team: string, id: string) =>
    `/health/teams/${encodeURIComponent(team)}/exceptions/${encodeURIComponent(id)}`,
  inspection: (team: string, name: string) =>
    `/health/teams/${encodeURIComponent(team)}/inspections/${encodeURIComponent(name)}`,
};

/** What an application, cluster or node page asks the health center about. */
export interface HealthEntity {
  readonly kind: 'Application' | 'Cluster' | 'Node';
  readonly name: string;
  /** A node's cluster (its name within the team). */
  readonly cluster?: string;
}

/** The exception list's entity filter: `entity=Kind/name`, and `cluster` for a node. */
export function exceptionEntityFilter(entity: HealthEntity): { entity: string; cluster?: string } {
  return {
    entity: `${entity.kind}/${entity.name}`,
    ...(entity.kind === 'Node' && entity.cluster ? { cluster: entity.cluster } : {}),
  };
}

/** The risk list's entity filter: `Kind/name`, or `Kind/cluster/name` for a node. */
export function riskEntityFilter(entity: HealthEntity): string {
  return entity.kind === 'Node' && entity.cluster
    ? `Node/${entity.cluster}/${entity.name}`
    : `${entity.kind}/${entity.name}`;
}
