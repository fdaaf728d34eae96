import type {
  ApplicationSpec,
  ApplicationStatus,
  ComponentHealth,
  HealthState,
  Resource,
  TargetPhase,
} from '@gantry/client';
import { isRecord } from '../api/normalize';
import type { Condition } from '../api/types';
import { conditionsOf } from './conditions';

/** The tag colour of a health state. */
export const healthColors: Record<HealthState, string> = {
  Healthy: 'success',
  Progressing: 'processing',
  Unhealthy: 'error',
  Unknown: 'default',
};

export const phaseColors: Record<TargetPhase, string> = {
  Applied: 'success',
  Waiting: 'processing',
  Failed: 'error',
  Unreachable: 'warning',
};

export function healthColor(health: string | undefined): string {
  return health && health in healthColors ? healthColors[health as HealthState] : 'default';
}

export function phaseColor(phase: string | undefined): string {
  return phase && phase in phaseColors ? phaseColors[phase as TargetPhase] : 'default';
}

/** `status` of an Application as the console reads it: every list present, possibly empty. */
export interface ApplicationView {
  readonly spec: ApplicationSpec | undefined;
  readonly status: ApplicationStatus;
  readonly conditions: Condition[];
  readonly ready: Condition | undefined;
}

export function applicationView(application: Resource): ApplicationView {
  const status = isRecord(application.status) ? (application.status as ApplicationStatus) : {};
  const conditions = conditionsOf(status);
  return {
    spec: isRecord(application.spec) ? (application.spec as unknown as ApplicationSpec) : undefined,
    status: {
      ...status,
      targets: Array.isArray(status.targets) ? status.targets : [],
      components: Array.isArray(status.components) ? status.components : [],
    },
    conditions,
    ready: conditions.find((condition) => condition.type === 'Ready'),
  };
}

/** The components × clusters health matrix: rows and columns in a stable order, one cell per pair. */
export interface HealthMatrix {
  readonly components: readonly string[];
  readonly clusters: readonly string[];
  cell(component: string, cluster: string): ComponentHealth | undefined;
}

/**
 * Rows follow the spec's components, columns the status' targets; a component or cluster that only the
 * matrix names (a component just removed, a cluster no longer selected) comes after them.
 */
export function healthMatrix(view: ApplicationView): HealthMatrix {
  const cells = view.status.components ?? [];
  const components = unique([
    ...(view.spec?.components ?? []).map((component) => component.name),
    ...cells.map((cell) => cell.name),
  ]);
  const clusters = unique([
    ...(view.status.targets ?? []).map((target) => target.cluster),
    ...cells.map((cell) => cell.cluster),
  ]);
  const byKey = new Map(cells.map((cell) => [`${cell.name}\u0000${cell.cluster}`, cell]));
  return {
    components,
    clusters,
    cell: (component, cluster) => byKey.get(`${component}\u0000${cluster}`),
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.filter((value) => value !== ''))];
}

/** Targets counted by phase, for the list's "targets" column. */
export function targetCounts(view: ApplicationView): { total: number; applied: number; failing: number } {
  const targets = view.status.targets ?? [];
  return {
    total: targets.length,
    applied: targets.filter((target) => target.phase === 'Applied').length,
    failing: targets.filter((target) => target.phase === 'Failed' || target.phase === 'Unreachable').length,
  };
}
