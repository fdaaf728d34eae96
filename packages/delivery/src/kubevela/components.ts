import { isPlainObject } from '@gantry/model';
import { pointer, type ConversionProblems } from './problems.ts';
import {
  ENV_RULES,
  convertFields,
  dropped,
  list,
  noEquivalent,
  onlyValue,
  quantity,
  refused,
  renamed,
  same,
  type FieldRule,
  type FieldRules,
  type PropertyContext,
} from './properties.ts';

/**
 * KubeVela's built-in component types (vela-templates/definitions/internal/component) and the fluxcd
 * addon's `helm`, with the Gantry type each becomes and how its properties carry over. Gantry's catalog
 * (packages/delivery/catalog/components) keeps KubeVela's names where the meaning is the same.
 */
export interface ComponentTypeMapping {
  readonly gantryType: string;
  readonly rules: FieldRules;
  /** What depends on several fields at once, after each was converted. */
  readonly finish?: (
    input: Readonly<Record<string, unknown>>,
    out: Record<string, unknown>,
    path: string,
    context: PropertyContext,
  ) => void;
}

const STORAGE_HINT = 'use the storage trait';
const PROBE_HINT = 'use the health-probes trait';

/** One container, as every Gantry container component (webservice, worker, job, cron-job) takes it. */
const CONTAINER_RULES: FieldRules = {
  image: same,
  imagePullPolicy: same,
  imagePullSecrets: same,
  cmd: same,
  args: same,
  env: list(ENV_RULES),
  cpu: quantity,
  memory: quantity,
  labels: same,
  annotations: same,
  limit: refused('use the resources trait, which sets requests and limits apart'),
  volumeMounts: refused(STORAGE_HINT),
  volumes: refused(STORAGE_HINT),
  livenessProbe: refused(PROBE_HINT),
  readinessProbe: refused(PROBE_HINT),
  hostAliases: refused(),
};

/** KubeVela's port is the Service's and `containerPort` the pod's; Gantry's one `port` is both. */
const containerPort: FieldRule = (field, _out, context) => {
  if (field.value !== field.input['port'])
    noEquivalent(
      field,
      context,
      "a Gantry port is both the container's and the Service's: use the expose trait's targetPort",
    );
};

const PORT_RULES: FieldRules = {
  port: same,
  name: same,
  protocol: same,
  expose: same,
  containerPort,
  nodePort: refused('use the expose trait with type NodePort'),
};

/** KubeVela exposes a port only when asked (`expose: false` by default); Gantry exposes it unless told not to. */
const exposedOnlyWhenAsked = (out: Record<string, unknown>): void => {
  if (out['expose'] === undefined) out['expose'] = false;
};

/** The deprecated single `port`, which KubeVela ignores next to `ports`. */
const deprecatedPort: FieldRule = (field, out, context) => {
  if (field.input['ports'] !== undefined) dropped('KubeVela ignores it next to ports')(field, out, context);
  else out['ports'] = [{ port: field.value, expose: false }];
};

const exposeType: FieldRule = (field, _out, context) => {
  if (field.value !== 'ClusterIP')
    noEquivalent(
      field,
      context,
      `the Service of Gantry's webservice is a ClusterIP one: use the expose trait with type ${String(field.value)}`,
    );
};

const WEBSERVICE_RULES: FieldRules = {
  ...CONTAINER_RULES,
  port: deprecatedPort,
  ports: list(PORT_RULES, exposedOnlyWhenAsked),
  exposeType,
  addRevisionLabel: onlyValue(false),
};

const TASK_RULES: FieldRules = {
  ...CONTAINER_RULES,
  count: same,
  restart: renamed('restartPolicy'),
  backoffLimit: same,
  activeDeadlineSeconds: same,
  ttlSecondsAfterFinished: refused(),
};

const CRON_TASK_RULES: FieldRules = {
  ...TASK_RULES,
  schedule: same,
  timeZone: same,
  startingDeadlineSeconds: same,
  suspend: same,
  concurrencyPolicy: same,
  successfulJobsHistoryLimit: same,
  failedJobsHistoryLimit: same,
};

const FLUX_ONLY = 'Gantry renders the chart itself on every revision (no Flux HelmRelease to reconcile)';

/** The fluxcd addon's helm: a chart from a Helm repository or an OCI registry (git and oss sources have no Gantry equivalent). */
const HELM_RULES: FieldRules = {
  // repoType, url and chart together make the chart reference; see helmSource.
  repoType: () => {},
  url: () => {},
  chart: () => {},
  version: (field, out) => {
    // `*` is KubeVela's default, "the latest", which is Gantry's when version is unset.
    if (field.value !== '*') out['version'] = field.value;
  },
  values: same,
  releaseName: same,
  targetNamespace: refused("the chart renders into the application's namespace"),
  pullInterval: dropped(FLUX_ONLY),
  interval: dropped(FLUX_ONLY),
  timeout: dropped(FLUX_ONLY),
  installTimeout: dropped(FLUX_ONLY),
  retries: dropped(FLUX_ONLY),
  secretRef: refused(),
  sourceName: refused(),
  git: refused(),
  oss: refused(),
  helmrepository: (field, out, context) => {
    const provider = (field.value as { provider?: unknown } | null)?.provider;
    if (provider !== undefined && provider !== 'generic') noEquivalent(field, context);
  },
  valuesFiles: refused(),
  valuesFrom: refused(),
  upgradeCRD: onlyValue(false),
};

const SOURCE_FIELDS = ['repoType', 'url', 'chart'] as const;

/**
 * Gantry's chart reference: `chart` from `repo` (a Helm repository), or one `oci://` reference. An
 * override that changes any of the three is read together with the component's own values.
 */
function helmSource(
  input: Readonly<Record<string, unknown>>,
  out: Record<string, unknown>,
  path: string,
  context: PropertyContext,
): void {
  if (context.mode === 'patch' && !SOURCE_FIELDS.some((key) => input[key] !== undefined)) return;
  const read = (key: (typeof SOURCE_FIELDS)[number]): unknown => input[key] ?? context.base?.[key];
  const repoType = read('repoType') ?? 'helm';
  const url = read('url');
  const chart = read('chart');
  if (repoType !== 'helm' && repoType !== 'oci') {
    noEquivalent(
      { path: pointer(path, 'repoType'), name: `repoType ${String(repoType)}` },
      context,
      'Gantry takes charts from Helm repositories and OCI registries',
    );
    return;
  }
  if (typeof url !== 'string' || typeof chart !== 'string') {
    context.problems.error(
      pointer(path, typeof url === 'string' ? 'chart' : 'url'),
      `${context.subject} needs url and chart`,
    );
    return;
  }
  const source =
    repoType === 'oci' || url.startsWith('oci://')
      ? { chart: `${url.replace(/\/+$/, '')}/${chart}`, ...(context.mode === 'patch' ? { repo: null } : {}) }
      : { chart, repo: url };
  // The chart first, as Gantry's schema lists it.
  const rest = { ...out };
  for (const key of Object.keys(out)) delete out[key];
  Object.assign(out, source, rest);
}

export const COMPONENT_TYPES: Readonly<Record<string, ComponentTypeMapping>> = {
  webservice: { gantryType: 'webservice', rules: WEBSERVICE_RULES },
  worker: { gantryType: 'worker', rules: CONTAINER_RULES },
  task: { gantryType: 'job', rules: TASK_RULES },
  'cron-task': { gantryType: 'cron-job', rules: CRON_TASK_RULES },
  'k8s-objects': { gantryType: 'k8s-objects', rules: { objects: same } },
  helm: { gantryType: 'helm', rules: HELM_RULES, finish: helmSource },
};

/** What to use instead, for KubeVela component types Gantry does not convert. */
export const COMPONENT_TYPE_HINTS: Readonly<Record<string, string>> = {
  statefulset: "rewrite it as Gantry's stateful-service",
  'ref-objects': 'list the objects in a k8s-objects component',
  raw: 'use k8s-objects',
  kustomize: 'render it and use k8s-objects',
};

/** The names of the definitions a Gantry server has, when the caller knows them. */
export interface DefinitionNames {
  readonly components: ReadonlySet<string>;
  readonly traits: ReadonlySet<string>;
}

export type ComponentTypeResolution = { gantryType: string; mapping: ComponentTypeMapping | undefined };

/**
 * The Gantry type a KubeVela component type becomes. A type KubeVela's built-ins do not have but the
 * catalog does (an operator's own definition of the same name) passes through unchanged.
 */
export function resolveComponentType(
  type: unknown,
  path: string,
  problems: ConversionProblems,
  catalog: DefinitionNames | undefined,
): ComponentTypeResolution | undefined {
  if (typeof type !== 'string' || type === '') {
    problems.error(pointer(path, 'type'), 'a KubeVela component needs a type');
    return undefined;
  }
  const mapping = Object.hasOwn(COMPONENT_TYPES, type) ? COMPONENT_TYPES[type] : undefined;
  if (mapping !== undefined) {
    if (catalog !== undefined && !catalog.components.has(mapping.gantryType)) {
      problems.error(
        path,
        `KubeVela component type ${type} converts to Gantry's ${mapping.gantryType}, which this server does not have`,
      );
      return undefined;
    }
    return { gantryType: mapping.gantryType, mapping };
  }
  if (catalog?.components.has(type)) {
    problems.note(
      `component type ${type} (${path}) is not a KubeVela built-in: passed to Gantry's ${type} unchanged`,
    );
    return { gantryType: type, mapping: undefined };
  }
  const hint = Object.hasOwn(COMPONENT_TYPE_HINTS, type) ? `: ${COMPONENT_TYPE_HINTS[type]}` : '';
  problems.error(path, `KubeVela component type ${type} has no Gantry equivalent${hint}`);
  return undefined;
}

/** A component's properties (mode full) or an override's (mode patch) in Gantry's form. */
export function convertComponentProperties(
  resolved: ComponentTypeResolution,
  properties: unknown,
  path: string,
  context: PropertyContext,
): Record<string, unknown> | undefined {
  if (resolved.mapping === undefined)
    return isPlainObject(properties) ? structuredClone(properties) : undefined;
  const input = properties ?? {};
  const out = convertFields(input, path, resolved.mapping.rules, context);
  if (out !== undefined && isPlainObject(input)) resolved.mapping.finish?.(input, out, path, context);
  return out;
}
