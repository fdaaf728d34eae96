import type { ExceptionSeverity, HealthStreamItem, HealthStreamKind, HealthStreamPage } from '@gantry/client';
import type { HealthStreamFilter } from '../api/health';
import { exceptionSeverities, failureLevels } from './health';

/** The kinds in the order the filter offers them, most severe first. */
export const streamKinds: readonly HealthStreamKind[] = ['failure', 'exception', 'alert', 'risk', 'event'];

/** Most items the page keeps; the oldest go first. */
export const STREAM_KEEP = 500;

/** The stream's filters from the page's address (`?kinds=alert,event&severity=major&…`). */
export function streamFilterFromParams(params: URLSearchParams): HealthStreamFilter {
  const kinds = (params.get('kinds') ?? '')
    .split(',')
    .filter((kind): kind is HealthStreamKind => (streamKinds as readonly string[]).includes(kind));
  const levels = (params.get('level') ?? '')
    .split(',')
    .filter((level) => (failureLevels as readonly string[]).includes(level));
  const severity = params.get('severity');
  const text = (name: string) => params.get(name)?.trim() || undefined;
  const entity = text('entity');
  const cluster = text('cluster');
  const q = text('q');
  return {
    ...(kinds.length > 0 ? { kinds: kinds.join(',') } : {}),
    ...(severity && (exceptionSeverities as readonly string[]).includes(severity)
      ? { severity: severity as ExceptionSeverity }
      : {}),
    ...(levels.length > 0 ? { level: levels.join(',') } : {}),
    ...(entity ? { entity } : {}),
    ...(cluster ? { cluster } : {}),
    ...(q ? { q } : {}),
  };
}

/** The address's parameters for a filter: every one of them, empty ones to be removed. */
export function streamFilterParams(filter: HealthStreamFilter): Record<string, string | undefined> {
  return {
    kinds: filter.kinds,
    severity: filter.severity,
    level: filter.level,
    entity: filter.entity,
    cluster: filter.cluster,
    q: filter.q,
  };
}

/**
 * The items held after an answer: one per key, the newest write of each (a later answer may carry an
 * older copy: an older page read after a poll); an alert whose end has passed by the answer's clock is
 * shown resolved though its record was not written again. Keeps the newest `keep` by `at`.
 */
export function applyStreamPage(
  held: ReadonlyMap<string, HealthStreamItem>,
  page: Pick<HealthStreamPage, 'items' | 'now'>,
  keep = STREAM_KEEP,
): Map<string, HealthStreamItem> {
  const next = new Map(held);
  for (const item of page.items) {
    const known = next.get(item.key);
    if (!known || item.changedAt >= known.changedAt) next.set(item.key, item);
  }
  for (const [key, item] of next)
    if (item.kind === 'alert' && item.alert.state === 'firing' && item.alert.endsAt <= page.now)
      next.set(key, { ...item, at: item.alert.endsAt, alert: { ...item.alert, state: 'resolved' } });
  if (next.size <= keep) return next;
  return new Map(
    orderedStream(next)
      .slice(0, keep)
      .map((item) => [item.key, item]),
  );
}

/** Newest first by when it happened; ties by key, so that the order is stable between polls. */
export function orderedStream(held: ReadonlyMap<string, HealthStreamItem>): HealthStreamItem[] {
  return [...held.values()].sort((a, b) =>
    a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
}

/** What a row says about an item: its title, its state and what it concerns. */
export interface StreamRowText {
  title: string;
  state: string;
  concerns: string;
}

export function streamRowText(item: HealthStreamItem): StreamRowText {
  switch (item.kind) {
    case 'event': {
      const { event } = item;
      return {
        title: `${event.reason}: ${event.message}`,
        state: event.type,
        concerns: `${event.objectKind}/${event.objectName}`,
      };
    }
    case 'alert': {
      const { alert } = item;
      const entities = Object.entries(alert.entities).map(([kind, name]) => `${kind}=${name}`);
      return {
        title: `${alert.labels.alertname ?? alert.fingerprint}${alert.annotations.summary ? `: ${alert.annotations.summary}` : ''}`,
        state: alert.state,
        concerns: entities.join(', '),
      };
    }
    case 'exception':
    case 'failure': {
      const { exception } = item;
      return {
        title: exception.title,
        state: exception.state,
        concerns: exception.entities.map((entity) => `${entity.kind}/${entity.name}`).join(', '),
      };
    }
    case 'risk': {
      const { risk } = item;
      return {
        title: risk.title,
        state: risk.state,
        concerns: risk.entities.map((entity) => `${entity.kind}/${entity.name}`).join(', '),
      };
    }
  }
}

/** The Baselines tab, with a Baseline's series chart open when `baseline` and `series` are given. */
export function baselinesPath(team: string, baseline?: string, series?: string): string {
  const params = new URLSearchParams({ team, tab: 'baselines' });
  if (baseline) params.set('baseline', baseline);
  if (baseline && series) params.set('series', series);
  return `/health?${params.toString()}`;
}

/** Open Baseline risks by Baseline: the series of each that deviate now (a risk's `source.check`). */
export function deviatingSeries(
  risks: readonly { source: { kind: string; name: string; check: string }; state: string }[],
): Map<string, string[]> {
  const byBaseline = new Map<string, string[]>();
  for (const risk of risks) {
    if (risk.source.kind !== 'Baseline' || risk.state !== 'open') continue;
    const list = byBaseline.get(risk.source.name) ?? [];
    if (!list.includes(risk.source.check)) list.push(risk.source.check);
    byBaseline.set(risk.source.name, list);
  }
  for (const list of byBaseline.values()) list.sort();
  return byBaseline;
}
