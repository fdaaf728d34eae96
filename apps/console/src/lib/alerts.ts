import type { AlertMatcher, AlertRecord, AlertRoute, DispatchGroup, GettableSilence } from '@gantry/client';

/** Where the alert pages live in the console. */
export const alertsPath = '/alerts';

export type MatcherOperator = '=' | '!=' | '=~' | '!~';

export function operatorOf(matcher: AlertMatcher): MatcherOperator {
  if (matcher.isRegex) return matcher.isEqual ? '=~' : '!~';
  return matcher.isEqual ? '=' : '!=';
}

export function matcherOf(name: string, operator: MatcherOperator, value: string): AlertMatcher {
  return {
    name,
    value,
    isRegex: operator === '=~' || operator === '!~',
    isEqual: operator === '=' || operator === '=~',
  };
}

/** A matcher as amtool writes it: `name="value"`, `name=~"a|b"`. */
export function formatMatcher(matcher: AlertMatcher): string {
  return `${matcher.name}${operatorOf(matcher)}${JSON.stringify(matcher.value)}`;
}

/** The matchers a silence of one alert starts from: every label, equal (as Alertmanager's UI does). */
export function silenceMatchersFor(labels: Readonly<Record<string, string>>): AlertMatcher[] {
  return Object.keys(labels)
    .sort((a, b) => (a === 'alertname' ? -1 : b === 'alertname' ? 1 : a.localeCompare(b)))
    .map((name) => matcherOf(name, '=', labels[name] ?? ''));
}

/** A silence's state as the page shows it, active first. */
export const silenceStateOrder: Record<GettableSilence['status']['state'], number> = {
  active: 0,
  pending: 1,
  expired: 2,
};

/** A group as the Alerts page shows it: the dispatcher's, or the alerts no group holds. */
export interface AlertGroupView {
  readonly key: string;
  readonly group: DispatchGroup | undefined;
  readonly alerts: AlertRecord[];
}

/**
 * The alerts in the dispatcher's groups (an alert several routes match is in each of its groups), then
 * the alerts the dispatcher holds in none (resolved and flushed, or not dispatched on this server).
 * Groups none of whose alerts passed the page's filters are left out.
 */
export function groupAlerts(
  alerts: readonly AlertRecord[],
  groups: readonly DispatchGroup[],
): AlertGroupView[] {
  const byFingerprint = new Map(alerts.map((alert) => [alert.fingerprint, alert]));
  const grouped = new Set<string>();
  const views: AlertGroupView[] = [];
  for (const group of groups) {
    const members = group.alerts
      .map((member) => byFingerprint.get(member.fingerprint))
      .filter((alert): alert is AlertRecord => alert !== undefined);
    if (members.length === 0) continue;
    for (const alert of members) grouped.add(alert.fingerprint);
    views.push({ key: group.groupKey, group, alerts: members });
  }
  views.sort((a, b) => a.key.localeCompare(b.key));
  const rest = alerts.filter((alert) => !grouped.has(alert.fingerprint));
  if (rest.length > 0) views.push({ key: '', group: undefined, alerts: rest });
  return views;
}

/** One route of a routing tree with what it inherits from its parents resolved. */
export interface RouteView {
  readonly id: string;
  readonly route: AlertRoute;
  readonly receivers: readonly string[];
  readonly receiversInherited: boolean;
  readonly groupBy: readonly string[];
  readonly groupByInherited: boolean;
  readonly groupWait: string;
  readonly groupInterval: string;
  readonly repeatInterval: string;
  readonly children: readonly RouteView[];
}

interface Inherited {
  receivers: readonly string[];
  groupBy: readonly string[];
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
}

const rootDefaults: Inherited = {
  receivers: [],
  groupBy: [],
  groupWait: '30s',
  groupInterval: '5m',
  repeatInterval: '4h',
};

/** The routing tree with every route's effective receivers, grouping and timers (ADR 0013's inheritance). */
export function routeTree(route: AlertRoute, id = 'root', parent: Inherited = rootDefaults): RouteView {
  const effective: Inherited = {
    receivers: route.receivers ?? parent.receivers,
    groupBy: route.groupBy ?? parent.groupBy,
    groupWait: route.groupWait ?? parent.groupWait,
    groupInterval: route.groupInterval ?? parent.groupInterval,
    repeatInterval: route.repeatInterval ?? parent.repeatInterval,
  };
  return {
    id,
    route,
    ...effective,
    receiversInherited: route.receivers === undefined && id !== 'root',
    groupByInherited: route.groupBy === undefined && id !== 'root',
    children: (route.routes ?? []).map((child, index) => routeTree(child, `${id}.${index}`, effective)),
  };
}
