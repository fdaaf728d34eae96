import { createHash } from 'node:crypto';
import type {
  BuiltinJobAction,
  JobClusterSpec,
  JobLimits,
  JobRunAs,
  JobScript,
  JobSecretReference,
  JobTemplateSpec,
  JobTouches,
} from '@gantry/model';

/** What every target of a run executes, frozen when the run is created (so it is what was audited). */
export interface JobExecution {
  script?: JobScript;
  action?: BuiltinJobAction;
  cluster?: JobClusterSpec;
  runAs: JobRunAs;
  timeoutSeconds: number;
  retries: number;
  maxOutputBytes: number;
  secrets: JobSecretReference[];
  /** The template's `touches.limits`, applied to the script's processes by the agent. */
  limits?: JobLimits;
}

export const DEFAULT_RUN_AS: JobRunAs = { user: '', allowRoot: false };

export function executionFromTemplate(spec: JobTemplateSpec): JobExecution {
  return {
    ...(spec.script ? { script: spec.script } : {}),
    ...(spec.action ? { action: spec.action } : {}),
    ...(spec.cluster ? { cluster: spec.cluster } : {}),
    runAs: spec.runAs ?? DEFAULT_RUN_AS,
    timeoutSeconds: spec.timeoutSeconds,
    retries: spec.retries,
    maxOutputBytes: spec.maxOutputBytes,
    secrets: spec.secrets ?? [],
    ...(touchesOf(spec)?.limits ? { limits: touchesOf(spec)!.limits! } : {}),
  };
}

/** The object form of a template's `touches` (the list form declares only, and bounds nothing). */
export function touchesOf(spec: Pick<JobTemplateSpec, 'touches'>): JobTouches | undefined {
  return spec.touches && !Array.isArray(spec.touches) ? spec.touches : undefined;
}

/**
 * The SHA-256 recorded with a run: of the script's text (so `sha256sum` of the script file matches), of
 * `action:<name>` for a built-in action, and of the image and command for a cluster job.
 */
export function scriptSha256(execution: JobExecution, targetKind: 'host' | 'cluster'): string {
  const hash = createHash('sha256');
  if (targetKind === 'cluster' && execution.cluster)
    hash.update(JSON.stringify([execution.cluster.image, execution.cluster.command]));
  else if (execution.script) hash.update(execution.script.source);
  else hash.update(`action:${execution.action ?? 'noop'}`);
  return hash.digest('hex');
}
