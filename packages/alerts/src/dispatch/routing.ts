import type { AlertRoute, AlertRoutingSpec, InhibitRuleSpec } from '@gantry/model';
import {
  compileMatcher,
  formatMatcher,
  matchesAll,
  parseMatchers,
  type CompiledMatcher,
  type LabelSet,
} from '../matchers.ts';
import { parseDuration } from './duration.ts';
import { formatLabels } from './labels.ts';

/** Alertmanager's defaults for a root route that does not set them. */
export const ROUTE_DEFAULTS = {
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 4 * 3_600_000,
};

/** A route ready to match: inherited options resolved, matchers compiled. */
export interface CompiledRoute {
  /** The AlertRouting it belongs to. */
  readonly routing: string;
  /** Unique within the team: routing name and child indices (`default/0/2`). */
  readonly id: string;
  /** As Alertmanager keys routes: the matchers of every level, `{}/{severity="page"}`. */
  readonly key: string;
  readonly matchers: readonly CompiledMatcher[];
  readonly receivers: readonly string[];
  readonly groupBy: readonly string[];
  /** `groupBy: ['...']`: every label groups. */
  readonly groupByAll: boolean;
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly continue: boolean;
  readonly muteTimeIntervals: readonly string[];
  readonly activeTimeIntervals: readonly string[];
  readonly routes: readonly CompiledRoute[];
}

export interface SpecProblem {
  /** JSON pointer below `spec`, e.g. `/routes/0/matchers/1`. */
  path: string;
  message: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/u;

function compileMatcherList(
  texts: readonly string[] | undefined,
  path: string,
  problems: SpecProblem[],
): CompiledMatcher[] {
  return (texts ?? []).flatMap((text, index) => {
    const parsed = parseMatchers(text);
    if (!parsed.ok) {
      problems.push({ path: `${path}/${index}`, message: parsed.error });
      return [];
    }
    return parsed.matchers.map(compileMatcher);
  });
}

function duration(
  text: string | undefined,
  inherited: number,
  path: string,
  problems: SpecProblem[],
): number {
  if (text === undefined) return inherited;
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    problems.push({ path, message: parsed.error });
    return inherited;
  }
  return parsed.ms;
}

function compileRoute(
  route: AlertRoute,
  parent: CompiledRoute | undefined,
  routing: string,
  id: string,
  path: string,
  problems: SpecProblem[],
): CompiledRoute {
  const matchers = compileMatcherList(route.matchers, `${path}/matchers`, problems);
  const groupBy = route.groupBy ?? parent?.groupBy ?? [];
  const groupByAll = groupBy.includes('...');
  if (groupByAll && groupBy.length > 1) {
    problems.push({
      path: `${path}/groupBy`,
      message: "'...' groups by all labels and must be the only entry",
    });
  }
  groupBy.forEach((name, index) => {
    if (name !== '...' && !LABEL_NAME.test(name)) {
      problems.push({ path: `${path}/groupBy/${index}`, message: `"${name}" is not a label name` });
    }
  });
  const receivers = route.receivers ?? parent?.receivers ?? [];
  if (!parent && receivers.length === 0) {
    problems.push({ path: `${path}/receivers`, message: 'the root route needs at least one receiver' });
  }
  const matcherText = `{${matchers.map((matcher) => formatMatcher(matcher.source)).join(',')}}`;
  const compiled: Omit<CompiledRoute, 'routes'> & { routes: CompiledRoute[] } = {
    routing,
    id,
    key: parent ? `${parent.key}/${matcherText}` : matcherText,
    matchers,
    receivers,
    groupBy: groupByAll ? [] : groupBy,
    groupByAll,
    groupWaitMs: duration(
      route.groupWait,
      parent?.groupWaitMs ?? ROUTE_DEFAULTS.groupWaitMs,
      `${path}/groupWait`,
      problems,
    ),
    groupIntervalMs: duration(
      route.groupInterval,
      parent?.groupIntervalMs ?? ROUTE_DEFAULTS.groupIntervalMs,
      `${path}/groupInterval`,
      problems,
    ),
    repeatIntervalMs: duration(
      route.repeatInterval,
      parent?.repeatIntervalMs ?? ROUTE_DEFAULTS.repeatIntervalMs,
      `${path}/repeatInterval`,
      problems,
    ),
    continue: route.continue ?? false,
    // As in Alertmanager, time intervals are not inherited by child routes.
    muteTimeIntervals: route.muteTimeIntervals ?? [],
    activeTimeIntervals: route.activeTimeIntervals ?? [],
    routes: [],
  };
  if (compiled.groupIntervalMs <= 0) {
    problems.push({ path: `${path}/groupInterval`, message: 'must be longer than 0' });
  }
  if (compiled.repeatIntervalMs <= 0) {
    problems.push({ path: `${path}/repeatInterval`, message: 'must be longer than 0' });
  }
  if (!parent && (route.matchers?.length ?? 0) > 0) {
    problems.push({
      path: `${path}/matchers`,
      message: 'the root route matches every alert; it takes no matchers',
    });
  }
  if (!parent && (compiled.muteTimeIntervals.length > 0 || compiled.activeTimeIntervals.length > 0)) {
    problems.push({ path, message: 'the root route cannot have mute or active time intervals' });
  }
  compiled.routes = (route.routes ?? []).map((child, index) =>
    compileRoute(child, compiled, routing, `${id}/${index}`, `${path}/routes/${index}`, problems),
  );
  return compiled;
}

/** Compiles an AlertRouting; `problems` lists what is wrong with the field path (empty when valid). */
export function compileRouting(
  name: string,
  spec: AlertRoutingSpec,
): { root: CompiledRoute; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const root = compileRoute(spec, undefined, name, name, '', problems);
  return { root, problems };
}

/**
 * The routes an alert goes to, as Alertmanager matches: depth first; the first matching child wins
 * unless it has `continue`; a route none of whose children match takes the alert itself.
 */
export function matchRoutes(route: CompiledRoute, labels: LabelSet): CompiledRoute[] {
  if (!matchesAll(route.matchers, labels)) return [];
  const found: CompiledRoute[] = [];
  for (const child of route.routes) {
    const matched = matchRoutes(child, labels);
    found.push(...matched);
    if (matched.length > 0 && !child.continue) break;
  }
  return found.length > 0 ? found : [route];
}

/** The group key a notification carries: `<routing>:<route key>:<group labels>`. */
export function groupKeyOf(route: CompiledRoute, groupLabels: LabelSet): string {
  return `${route.routing}:${route.key}:${formatLabels(groupLabels)}`;
}

/** An inhibit rule ready to evaluate. */
export interface CompiledInhibitRule {
  readonly name: string;
  readonly source: readonly CompiledMatcher[];
  readonly target: readonly CompiledMatcher[];
  readonly equal: readonly string[];
}

export function compileInhibitRule(
  name: string,
  spec: InhibitRuleSpec,
): { rule: CompiledInhibitRule; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const rule = {
    name,
    source: compileMatcherList(spec.sourceMatchers, '/sourceMatchers', problems),
    target: compileMatcherList(spec.targetMatchers, '/targetMatchers', problems),
    equal: spec.equal ?? [],
  };
  return { rule, problems };
}
