import { isPlainObject } from '@gantry/model';
import type { DefinitionNames } from './components.ts';
import { pointer, type ConversionProblems } from './problems.ts';
import {
  convertFields,
  dropped,
  list,
  noEquivalent,
  object,
  onlyValue,
  quantity,
  refused,
  renamed,
  same,
  type FieldRule,
  type FieldRules,
  type PropertyContext,
  type PropertyMode,
} from './properties.ts';

/**
 * KubeVela's built-in traits (vela-templates/definitions/internal/trait) and the Gantry trait each
 * becomes (packages/delivery/catalog/traits).
 */
export interface TraitTypeMapping {
  readonly gantryType: string;
  readonly convert: (
    properties: unknown,
    path: string,
    context: PropertyContext,
  ) => Record<string, unknown> | undefined;
}

/**
 * Converts by rules; `defaults` are KubeVela's where Gantry's differ, written out for a whole trait (a
 * patch leaves them to the trait it patches).
 */
function byRules(
  rules: FieldRules,
  defaults?: (out: Record<string, unknown>, context: PropertyContext) => void,
): TraitTypeMapping['convert'] {
  return (properties, path, context) => {
    const out = convertFields(properties ?? {}, path, rules, context);
    if (out !== undefined && context.mode === 'full') defaults?.(out, context);
    return out;
  };
}

/** KubeVela's labels and annotations traits take the map itself; Gantry's put it under one key. */
function keyedMap(key: 'labels' | 'annotations'): TraitTypeMapping['convert'] {
  return (properties, path, context) => {
    if (!isPlainObject(properties)) {
      context.problems.error(path, `${context.subject} properties must be a map of ${key}`);
      return undefined;
    }
    const map: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(properties)) {
      if (value === null)
        noEquivalent(
          { path: pointer(path, name), name: `${name}: null` },
          context,
          `Gantry's ${key} trait only adds ${key}`,
        );
      else map[name] = value;
    }
    return { [key]: map };
  };
}

const INGRESS_RULES: FieldRules = {
  domain: same,
  http: same,
  class: same,
  // Whether the class goes in the annotation or in spec.ingressClassName: Gantry always uses the field.
  classInSpec: () => {},
  secretName: same,
  pathType: same,
  annotations: same,
  labels: refused(),
  existingServiceName: renamed('serviceName'),
  name: dropped('Gantry has one ingress per component, named after it'),
  gatewayHost: dropped('it only fills the endpoints KubeVela reports'),
};

/** The old `port: [80, 443]`, which KubeVela ignores next to `ports`. */
const deprecatedPorts: FieldRule = (field, out, context) => {
  if (field.input['ports'] !== undefined) dropped('KubeVela ignores it next to ports')(field, out, context);
  else if (!Array.isArray(field.value))
    context.problems.error(field.path, `${context.subject} property port must be a list of port numbers`);
  else out['ports'] = field.value.map((port: unknown) => ({ port }));
};

const EXPOSE_RULES: FieldRules = {
  port: deprecatedPorts,
  ports: list({ port: same, name: same, protocol: same, nodePort: same }),
  type: (field, out, context) => {
    if (field.value === 'ExternalName')
      noEquivalent({ ...field, name: 'type ExternalName' }, context, 'Gantry exposes pods only');
    else out['type'] = field.value;
  },
  annotations: same,
  matchLabels: refused("the Service selects the component's pods"),
};

const SIDECAR_RULES: FieldRules = {
  name: same,
  image: same,
  cmd: same,
  args: same,
  env: list({ name: same, value: same, valueFrom: refused("Gantry's sidecar takes literal values") }),
  volumes: list({ name: same, path: same }),
  livenessProbe: refused(),
  readinessProbe: refused(),
};

const ENV_PATCH_RULES: FieldRules = {
  containerName: (field, out) => {
    // `''` is KubeVela's "the component's container", which is Gantry's default.
    if (field.value !== '') out['containerName'] = field.value;
  },
  env: same,
  replace: onlyValue(false, "Gantry's env trait sets the variables it names and keeps the others"),
  unset: onlyValue([], "Gantry's env trait cannot remove variables"),
};

const ENV_RULES: FieldRules = {
  ...ENV_PATCH_RULES,
  containers: (field, out, context) => {
    if (!Array.isArray(field.value) || field.value.length !== 1) {
      noEquivalent(field, context, "Gantry's env trait sets one container");
      return;
    }
    Object.assign(
      out,
      convertFields(field.value[0], pointer(field.path, 0), ENV_PATCH_RULES, context, 'containers[].'),
    );
  },
};

const PVC_RULES: FieldRules = {
  name: same,
  mountPath: same,
  mountOnly: same,
  accessModes: same,
  storageClassName: same,
  volumeMode: onlyValue('Filesystem'),
  resources: (field, out, context) => {
    const converted = convertFields(
      field.value,
      field.path,
      { requests: object({ storage: same }), limits: refused() },
      context,
      'resources.',
    );
    const size = (converted?.['requests'] as { storage?: unknown } | undefined)?.storage;
    if (size !== undefined) out['size'] = size;
  },
  subPath: refused(),
  volumeName: refused(),
  dataSource: refused(),
  dataSourceRef: refused(),
  selector: refused(),
};

/** KubeVela requests 8Gi for a claim it creates without a size; Gantry's default is smaller. */
const claimSize = (out: Record<string, unknown>): void => {
  if (out['size'] === undefined && out['mountOnly'] !== true) out['size'] = '8Gi';
};

/**
 * KubeVela creates the ConfigMap or Secret unless `mountOnly` (with `data` when given); Gantry's storage
 * trait mounts existing ones, and its config-files trait writes them.
 */
function mountedSource(
  kind: 'ConfigMap' | 'Secret',
  keyField: 'configMapKey' | 'secretKey',
): {
  rules: FieldRules;
  fill: (
    out: Record<string, unknown>,
    input: Readonly<Record<string, unknown>>,
    path: string,
    context: PropertyContext,
  ) => void;
} {
  const written: FieldRule = (field, out, context) => {
    if (field.input['mountOnly'] === true) dropped(`KubeVela ignores it with mountOnly`)(field, out, context);
    else noEquivalent(field, context, 'use the config-files trait, which writes the files');
  };
  const envHint = `use the component's env[].valueFrom.${kind === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef'} (${keyField})`;
  return {
    rules: {
      name: same,
      mountPath: same,
      defaultMode: same,
      mountOnly: () => {},
      // ConfigMap and Secret volumes are read-only whatever the mount says.
      readOnly: () => {},
      data: written,
      ...(kind === 'Secret' ? { stringData: written } : {}),
      mountToEnv: refused(envHint),
      mountToEnvs: refused(envHint),
      subPath: refused(),
      items: refused(),
    },
    fill: (_out, input, path, context) => {
      if (input['mountOnly'] !== true && input['data'] === undefined && input['stringData'] === undefined) {
        context.problems.note(
          `${context.subject} ${path}: KubeVela creates an empty ${kind} ${String(input['name'])}; Gantry mounts the existing one (create it, or use the config-files trait)`,
        );
      }
    },
  };
}

const configMapSource = mountedSource('ConfigMap', 'configMapKey');
const secretSource = mountedSource('Secret', 'secretKey');

const STORAGE_RULES: FieldRules = {
  pvc: list(PVC_RULES, claimSize),
  configMap: list(configMapSource.rules, configMapSource.fill),
  secret: list(secretSource.rules, secretSource.fill),
  emptyDir: list({ name: same, mountPath: same, medium: same, subPath: refused() }),
  hostPath: refused(),
};

/** A pod affinity term becomes Gantry's flat `{matchLabels, topologyKey}`. */
const podAffinityTerm = (
  field: { value: unknown; path: string; name: string },
  out: Record<string, unknown>,
  context: PropertyContext,
): void => {
  const converted = convertFields(
    field.value,
    field.path,
    {
      labelSelector: object({
        matchLabels: same,
        matchExpressions: refused('Gantry matches pods by labels'),
      }),
      topologyKey: same,
      namespace: refused(),
      namespaces: refused(),
      namespaceSelector: refused(),
    },
    context,
    `${field.name}.`,
  );
  if (converted === undefined) return;
  const selector = converted['labelSelector'] as { matchLabels?: unknown } | undefined;
  if (selector === undefined) {
    noEquivalent(
      field,
      context,
      "a term without labelSelector selects no pods in Kubernetes, while Gantry's selects the component's own: add labelSelector.matchLabels",
    );
    return;
  }
  if (selector.matchLabels !== undefined) out['matchLabels'] = selector.matchLabels;
  if (converted['topologyKey'] !== undefined) out['topologyKey'] = converted['topologyKey'];
};

/** Terms are lists of objects whose fields move: converted item by item rather than by a rules table. */
const podAffinity: FieldRule = (field, out, context) => {
  const converted = convertFields(
    field.value,
    field.path,
    {
      required: (terms, termsOut) => {
        termsOut['required'] = itemsOf(terms, context).map(({ value, path, name }) => {
          const term: Record<string, unknown> = {};
          podAffinityTerm({ value, path, name }, term, context);
          return term;
        });
      },
      preferred: (terms, termsOut) => {
        termsOut['preferred'] = itemsOf(terms, context).map(({ value, path, name }) => {
          const term: Record<string, unknown> = {};
          const converted = convertFields(
            value,
            path,
            { weight: same, podAffinityTerm: (inner) => podAffinityTerm(inner, term, context) },
            context,
            `${name}.`,
          );
          return converted?.['weight'] === undefined ? term : { weight: converted['weight'], ...term };
        });
      },
    },
    context,
    `${field.name}.`,
  );
  if (converted !== undefined) out[field.key] = converted;
};

function itemsOf(
  field: { value: unknown; path: string; name: string },
  context: PropertyContext,
): { value: unknown; path: string; name: string }[] {
  if (!Array.isArray(field.value)) {
    context.problems.error(field.path, `${context.subject} property ${field.name} must be a list`);
    return [];
  }
  return field.value.map((value: unknown, index) => ({
    value,
    path: pointer(field.path, index),
    name: `${field.name}[]`,
  }));
}

/** A node selector term's requirements; `matchFields` has no Gantry equivalent. */
function nodeRequirements(
  field: { value: unknown; path: string; name: string },
  context: PropertyContext,
): unknown {
  const term = convertFields(
    field.value,
    field.path,
    { matchExpressions: same, matchFields: refused() },
    context,
    `${field.name}.`,
  );
  return term?.['matchExpressions'] ?? [];
}

const nodeAffinity: FieldRule = (field, out, context) => {
  const converted = convertFields(
    field.value,
    field.path,
    {
      required: (required, requiredOut) => {
        const terms = convertFields(
          required.value,
          required.path,
          { nodeSelectorTerms: same },
          context,
          `${required.name}.`,
        )?.['nodeSelectorTerms'];
        if (terms === undefined) return;
        if (!Array.isArray(terms) || terms.length !== 1) {
          noEquivalent(
            { path: pointer(required.path, 'nodeSelectorTerms'), name: `${required.name}.nodeSelectorTerms` },
            context,
            "Gantry's required node affinity is one term (KubeVela's terms are alternatives)",
          );
          return;
        }
        requiredOut['required'] = nodeRequirements(
          {
            value: terms[0],
            path: pointer(required.path, 'nodeSelectorTerms', 0),
            name: `${required.name}.nodeSelectorTerms[]`,
          },
          context,
        );
      },
      preferred: (preferred, preferredOut) => {
        preferredOut['preferred'] = itemsOf(preferred, context).map(({ value, path, name }) => {
          const term: Record<string, unknown> = {};
          convertFields(
            value,
            path,
            {
              weight: (weight) => {
                term['weight'] = weight.value;
              },
              preference: (preference) => {
                term['matchExpressions'] = nodeRequirements(preference, context);
              },
            },
            context,
            `${name}.`,
          );
          return term;
        });
      },
    },
    context,
    `${field.name}.`,
  );
  if (converted !== undefined) out[field.key] = converted;
};

const AFFINITY_RULES: FieldRules = {
  podAffinity,
  podAntiAffinity: podAffinity,
  nodeAffinity,
  tolerations: refused('use the tolerations trait'),
};

/** KubeVela's `{type, value}` metric target; Gantry targets utilization only. */
function utilization(to: string): FieldRule {
  return (field, out, context) => {
    const converted = convertFields(
      field.value,
      field.path,
      { type: same, value: same },
      context,
      `${field.name}.`,
    );
    if (converted === undefined) return;
    if ((converted['type'] ?? 'Utilization') !== 'Utilization') {
      noEquivalent(
        { path: pointer(field.path, 'type'), name: `${field.name}.type ${String(converted['type'])}` },
        context,
        'Gantry targets a utilization percentage',
      );
      return;
    }
    if (converted['value'] !== undefined) out[to] = converted['value'];
  };
}

const HPA_RULES: FieldRules = {
  min: same,
  max: same,
  targetAPIVersion: same,
  targetKind: same,
  cpu: utilization('cpuUtilization'),
  mem: utilization('memoryUtilization'),
  podCustomMetrics: refused(),
};

const CPUSCALER_RULES: FieldRules = {
  min: same,
  max: same,
  cpuUtil: renamed('cpuUtilization'),
  targetAPIVersion: same,
  targetKind: same,
};

const QUANTITIES: FieldRules = { cpu: quantity, memory: quantity };

const RESOURCE_RULES: FieldRules = {
  ...QUANTITIES,
  requests: object(QUANTITIES),
  limits: object(QUANTITIES),
};

/** Inside requests or limits, KubeVela fills the one left out: one CPU, 2048Mi. */
function resourceDefaults(out: Record<string, unknown>): void {
  for (const key of ['requests', 'limits']) {
    const given = out[key];
    if (isPlainObject(given)) out[key] = { cpu: '1', memory: '2048Mi', ...given };
  }
}

export const TRAIT_TYPES: Readonly<Record<string, TraitTypeMapping>> = {
  scaler: { gantryType: 'scaler', convert: byRules({ replicas: same }) },
  gateway: {
    gantryType: 'ingress',
    convert: byRules(INGRESS_RULES, (out) => {
      out['class'] ??= 'nginx';
      out['pathType'] ??= 'ImplementationSpecific';
    }),
  },
  expose: {
    gantryType: 'expose',
    // KubeVela names the Service after the component (so a gateway reaches it); Gantry's default adds
    // -expose, which is kept when the component has a Service of that name already.
    convert: byRules(EXPOSE_RULES, (out, context) => {
      if (context.ownService !== true) out['name'] ??= context.component;
    }),
  },
  sidecar: { gantryType: 'sidecar', convert: byRules(SIDECAR_RULES) },
  labels: { gantryType: 'labels', convert: keyedMap('labels') },
  annotations: { gantryType: 'annotations', convert: keyedMap('annotations') },
  env: { gantryType: 'env', convert: byRules(ENV_RULES) },
  storage: { gantryType: 'storage', convert: byRules(STORAGE_RULES) },
  affinity: { gantryType: 'affinity', convert: byRules(AFFINITY_RULES) },
  hpa: { gantryType: 'hpa', convert: byRules(HPA_RULES) },
  cpuscaler: { gantryType: 'hpa', convert: byRules(CPUSCALER_RULES) },
  resource: { gantryType: 'resources', convert: byRules(RESOURCE_RULES, resourceDefaults) },
};

/** What to use instead, for KubeVela traits Gantry does not convert. */
export const TRAIT_TYPE_HINTS: Readonly<Record<string, string>> = {
  'startup-probe': "use Gantry's health-probes trait (startup)",
  'pure-ingress': 'use the gateway trait',
  'container-image': "set the component's image",
  command: "set the component's cmd and args",
  'container-ports': "set the component's ports",
};

export interface ConvertedTrait {
  type: string;
  properties?: Record<string, unknown>;
  disable?: boolean;
}

export interface TraitConversionOptions {
  readonly problems: ConversionProblems;
  readonly component: string;
  /** patch: an override's change to a trait the component has; full: a trait in its own right. */
  readonly mode: PropertyMode;
  readonly catalog: DefinitionNames | undefined;
  /** Overrides may remove a trait (`disable: true`). */
  readonly allowDisable: boolean;
  readonly ownService: boolean;
}

/** A KubeVela trait entry (`{type, properties}`, and `disable` in an override) in Gantry's form. */
export function convertTrait(
  trait: unknown,
  path: string,
  options: TraitConversionOptions,
): ConvertedTrait | undefined {
  const { problems } = options;
  if (!isPlainObject(trait)) {
    problems.error(path, 'a KubeVela trait must be an object with type and properties');
    return undefined;
  }
  const allowed = options.allowDisable ? ['type', 'properties', 'disable'] : ['type', 'properties'];
  for (const key of Object.keys(trait).filter((k) => !allowed.includes(k)))
    problems.error(pointer(path, key), `KubeVela trait field ${key} has no Gantry equivalent`);
  const type = trait['type'];
  if (typeof type !== 'string' || type === '') {
    problems.error(pointer(path, 'type'), 'a KubeVela trait needs a type');
    return undefined;
  }
  const mapping = Object.hasOwn(TRAIT_TYPES, type) ? TRAIT_TYPES[type] : undefined;
  let gantryType: string;
  if (mapping !== undefined) {
    gantryType = mapping.gantryType;
    if (options.catalog !== undefined && !options.catalog.traits.has(gantryType)) {
      problems.error(
        path,
        `KubeVela trait ${type} converts to Gantry's ${gantryType}, which this server does not have`,
      );
      return undefined;
    }
  } else if (options.catalog?.traits.has(type)) {
    problems.note(`trait ${type} (${path}) is not a KubeVela built-in: passed to Gantry's ${type} unchanged`);
    gantryType = type;
  } else {
    const hint = Object.hasOwn(TRAIT_TYPE_HINTS, type) ? `: ${TRAIT_TYPE_HINTS[type]}` : '';
    problems.error(path, `KubeVela trait ${type} has no Gantry equivalent${hint}`);
    return undefined;
  }
  if (trait['disable'] === true) return { type: gantryType, disable: true };
  if (trait['disable'] !== undefined && trait['disable'] !== false)
    problems.error(pointer(path, 'disable'), 'must be true or false');
  const propertiesPath = pointer(path, 'properties');
  const context: PropertyContext = {
    problems,
    mode: options.mode,
    subject: `KubeVela ${type} trait`,
    component: options.component,
    ownService: options.ownService,
  };
  const properties =
    mapping !== undefined
      ? mapping.convert(trait['properties'], propertiesPath, context)
      : passThrough(trait['properties']);
  return properties === undefined || (options.mode === 'patch' && Object.keys(properties).length === 0)
    ? { type: gantryType }
    : { type: gantryType, properties };
}

function passThrough(properties: unknown): Record<string, unknown> | undefined {
  return isPlainObject(properties) ? structuredClone(properties) : undefined;
}
