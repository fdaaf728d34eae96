import { parseDuration } from '@gantry/alerts';
import {
  DEFAULT_FAILURE_THRESHOLDS,
  DEFAULT_REOPEN_WINDOW,
  FAILURE_LEVELS,
  InputError,
  type ErrorDetail,
  type ExceptionHealthPolicySpec,
  type Resource,
} from '@gantry/model';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';
import type { EntityRef, FailureLevel } from '../ports.ts';

/** A HealthPolicy as the exceptions code needs it: a name and its spec. */
export interface HealthPolicyObject {
  name: string;
  spec: ExceptionHealthPolicySpec;
}

/** Where the team's HealthPolicies come from (the resource service in the server; a list in tests). */
export interface HealthPolicySource {
  policies(team: string): Promise<readonly HealthPolicyObject[]>;
}

/** A policy resolved for one exception: every value present, durations in milliseconds. */
export interface ResolvedHealthPolicy {
  /** The HealthPolicy that applied; absent when the defaults did. */
  name?: string;
  /** Threshold per level, least severe (P4) first. */
  thresholds: ReadonlyArray<{ level: FailureLevel; ms: number }>;
  reopenWindowMs: number;
  escalationPolicy?: string;
}

function durationMs(text: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(`invalid duration ${text}: ${parsed.error}`);
  return parsed.ms;
}

export const DEFAULT_HEALTH_POLICY: ResolvedHealthPolicy = {
  thresholds: FAILURE_LEVELS.map((level) => ({ level, ms: durationMs(DEFAULT_FAILURE_THRESHOLDS[level]) })),
  reopenWindowMs: durationMs(DEFAULT_REOPEN_WINDOW),
};

/** The Application an exception concerns, when it names one (a Component names it too). */
export function applicationOf(entities: readonly EntityRef[]): string | undefined {
  for (const entity of entities) if (entity.kind === 'Application') return entity.name;
  for (const entity of entities)
    if (entity.kind === 'Component' && entity.application) return entity.application;
  return undefined;
}

/**
 * The policy for an exception: the one selecting its application first, then the team's own (no
 * application in its selector), then the defaults. Among several that fit equally, the first by name.
 */
export function resolveHealthPolicy(
  policies: readonly HealthPolicyObject[],
  entities: readonly EntityRef[],
): ResolvedHealthPolicy {
  const application = applicationOf(entities);
  const sorted = [...policies].sort((a, b) => a.name.localeCompare(b.name));
  const chosen =
    (application !== undefined
      ? sorted.find((policy) => policy.spec.selector.application === application)
      : undefined) ?? sorted.find((policy) => policy.spec.selector.application === undefined);
  if (!chosen) return DEFAULT_HEALTH_POLICY;
  const thresholds = chosen.spec.failureThresholds;
  return {
    name: chosen.name,
    thresholds: FAILURE_LEVELS.map((level) => ({
      level,
      ms: durationMs(thresholds[level] ?? DEFAULT_FAILURE_THRESHOLDS[level]),
    })),
    reopenWindowMs: durationMs(chosen.spec.reopenWindow ?? DEFAULT_REOPEN_WINDOW),
    ...(chosen.spec.escalationPolicy ? { escalationPolicy: chosen.spec.escalationPolicy } : {}),
  };
}

const SYSTEM: Caller = { principal: SYSTEM_PRINCIPAL, source: 'controller/exceptions' };

/** HealthPolicies read through the resource service, as Gantry itself. */
export function resourcePolicySource(resources: ResourceService): HealthPolicySource {
  return {
    async policies(team) {
      const found: HealthPolicyObject[] = [];
      let token: string | undefined;
      do {
        const page = await resources.list(SYSTEM, 'HealthPolicy', {
          team,
          limit: 500,
          ...(token ? { continue: token } : {}),
        });
        for (const item of page.items as Resource<ExceptionHealthPolicySpec>[])
          found.push({ name: item.metadata.name, spec: item.spec });
        token = page.metadata.continue;
      } while (token);
      return found;
    },
  };
}

/** Checks what the schema cannot: every duration parses, and the thresholds grow from P4 to P0. */
export function checkHealthPolicy(spec: ExceptionHealthPolicySpec): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  let previous: { level: string; ms: number } | undefined;
  for (const level of FAILURE_LEVELS) {
    const text = spec.failureThresholds[level];
    const parsed = parseDuration(text);
    const path = `/spec/failureThresholds/${level}`;
    if (!parsed.ok) {
      errors.push({ path, message: parsed.error });
      continue;
    }
    if (parsed.ms <= 0) errors.push({ path, message: 'must be longer than 0' });
    else if (previous && parsed.ms <= previous.ms)
      errors.push({
        path,
        message: `must be longer than ${previous.level} (${spec.failureThresholds[previous.level as FailureLevel]})`,
      });
    previous = { level, ms: parsed.ms };
  }
  const reopen = parseDuration(spec.reopenWindow);
  if (!reopen.ok) errors.push({ path: '/spec/reopenWindow', message: reopen.error });
  return errors;
}

/** Refuses HealthPolicies whose durations do not parse or whose thresholds do not grow. */
export function registerHealthPolicyAdmission(resources: ResourceService): void {
  resources.admit('HealthPolicy', (request) => {
    if (!request.object) return Promise.resolve();
    const errors = checkHealthPolicy(request.object.spec as ExceptionHealthPolicySpec);
    if (errors.length > 0) throw new InputError('invalid HealthPolicy', errors);
    return Promise.resolve();
  });
}
