import {
  LABEL_VALUE_PATTERN,
  NODE_NAME_PATTERN,
  type ChangeKubernetesJob,
  type ErrorDetail,
  type HealingAction,
} from '@gantry/model';
import { PLACEHOLDERS, placeholderValues } from './template.ts';
import type { HealingEntity } from './ports.ts';

/** A policy's Job template (placeholders not filled yet). */
export type HealingKubernetesJob = NonNullable<HealingAction['kubernetesJob']>;

/** The placeholders a Job template may use: the entity's and trigger's, and the diagnosis's root cause. */
export const KUBERNETES_JOB_PLACEHOLDERS = [...PLACEHOLDERS, 'diagnosis.rootCause'] as const;

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Every string of the template that may carry placeholders, with its field path under `base`. */
function templated(job: HealingKubernetesJob, base: string): [string, string][] {
  return [
    ...(job.command ?? []).map((text, i): [string, string] => [`${base}/command/${i}`, text]),
    ...(job.args ?? []).map((text, i): [string, string] => [`${base}/args/${i}`, text]),
    ...Object.entries(job.env).map(([name, text]): [string, string] => [`${base}/env/${name}`, text]),
    ...Object.entries(job.labels).map(([name, text]): [string, string] => [`${base}/labels/${name}`, text]),
    ...(job.nodeName !== undefined ? [[`${base}/nodeName`, job.nodeName] as [string, string]] : []),
  ];
}

/** Admission: unknown placeholders, placeholders where none may be, Gantry's own labels; with paths. */
export function checkKubernetesJobTemplate(job: HealingKubernetesJob, base: string): ErrorDetail[] {
  const known = new Set<string>(KUBERNETES_JOB_PLACEHOLDERS);
  const errors: ErrorDetail[] = [];
  for (const [path, text] of templated(job, base))
    for (const match of text.matchAll(PLACEHOLDER)) {
      const name = match[1]!.trim();
      if (!known.has(name))
        errors.push({
          path,
          message: `unknown placeholder \${${name}} (known: ${KUBERNETES_JOB_PLACEHOLDERS.join(', ')})`,
        });
    }
  for (const [path, text] of [
    [`${base}/image`, job.image],
    [`${base}/namespace`, job.namespace],
  ] as const)
    if (PLACEHOLDER.test(text)) errors.push({ path, message: 'takes no placeholders' });
  PLACEHOLDER.lastIndex = 0;
  for (const key of Object.keys(job.labels))
    if (key.startsWith('gantry.dev/'))
      errors.push({ path: `${base}/labels/${key}`, message: 'gantry.dev/ labels are Gantry’s own' });
  const node = job.nodeName?.replace(PLACEHOLDER, 'x');
  if (node !== undefined && !new RegExp(NODE_NAME_PATTERN).test(node))
    errors.push({ path: `${base}/nodeName`, message: 'not a node name (a DNS subdomain)' });
  return errors;
}

/**
 * The template with its placeholders replaced by plain text — one pass, so a value that itself contains
 * `${...}` stays as it is, and nothing is evaluated; command and args stay an argv (no shell). A filled
 * node name or label value that Kubernetes would refuse is an error, not a Job.
 */
export function fillKubernetesJob(
  job: HealingKubernetesJob,
  entity: HealingEntity,
  triggerId: string,
  rootCause: string | undefined,
): { ok: true; job: ChangeKubernetesJob } | { ok: false; reason: string; message: string } {
  const values: Record<string, string> = {
    ...placeholderValues(entity, triggerId),
    'diagnosis.rootCause': rootCause ?? '',
  };
  const fill = (text: string) => text.replace(PLACEHOLDER, (_, name: string) => values[name.trim()] ?? '');
  const labels = Object.fromEntries(Object.entries(job.labels).map(([key, value]) => [key, fill(value)]));
  const bad = Object.entries(labels).find(
    ([, value]) => value.length > 63 || !new RegExp(LABEL_VALUE_PATTERN).test(value),
  );
  if (bad)
    return { ok: false, reason: 'BadParameter', message: `label ${bad[0]}=${bad[1]} is not a label value` };
  const nodeName = job.nodeName !== undefined ? fill(job.nodeName) : undefined;
  if (nodeName !== undefined && (nodeName === '' || !new RegExp(NODE_NAME_PATTERN).test(nodeName)))
    return {
      ok: false,
      reason: 'BadParameter',
      message: `nodeName ${JSON.stringify(nodeName)} is not a node name (the entity names no node?)`,
    };
  return {
    ok: true,
    job: {
      ...job,
      ...(job.command ? { command: job.command.map(fill) } : {}),
      ...(job.args ? { args: job.args.map(fill) } : {}),
      env: Object.fromEntries(Object.entries(job.env).map(([key, value]) => [key, fill(value)])),
      labels,
      ...(nodeName !== undefined ? { nodeName } : {}),
    },
  };
}
