/**
 * The minimal shape every rendered object must have before it may go to a cluster: the API server checks
 * the rest, but an object without a kind or with an invalid name is a definition's mistake Gantry reports
 * at render time, naming the output.
 */

/** DNS-1123 subdomain: what Kubernetes accepts as most object names. */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** DNS-1123 label: namespace names. */
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** What is wrong with a rendered object, or undefined when it has the minimal shape of a manifest. */
export function checkManifest(value: unknown): string | undefined {
  if (!isObject(value)) return `renders ${describe(value)}, not an object`;
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '')
    return 'apiVersion must be a non-empty string';
  if (typeof value.kind !== 'string' || value.kind === '') return 'kind must be a non-empty string';
  const { metadata } = value;
  if (!isObject(metadata)) return `${value.kind} has no metadata`;
  const { name, namespace, labels, annotations } = metadata;
  if (typeof name !== 'string' || name === '') return `${value.kind} has no metadata.name`;
  if (name.length > 253 || !SUBDOMAIN.test(name)) {
    return `${value.kind} name ${JSON.stringify(name)} is not a valid name (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)`;
  }
  if (
    namespace !== undefined &&
    (typeof namespace !== 'string' || namespace.length > 63 || !LABEL.test(namespace))
  ) {
    return `${value.kind} ${name}: metadata.namespace ${JSON.stringify(namespace)} is not a valid namespace name`;
  }
  for (const [field, map] of [
    ['labels', labels],
    ['annotations', annotations],
  ] as const) {
    if (map === undefined) continue;
    if (!isObject(map) || Object.values(map).some((entry) => typeof entry !== 'string')) {
      return `${value.kind} ${name}: metadata.${field} must map strings to strings`;
    }
  }
  return undefined;
}

/** Which object a manifest is, for finding two outputs that render the same one. */
export function objectIdentity(manifest: {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}): {
  key: string;
  text: string;
} {
  // The version is not part of the identity: apps/v1 and apps/v1beta2 Deployments are the same object.
  const slash = manifest.apiVersion.indexOf('/');
  const group = slash === -1 ? '' : manifest.apiVersion.slice(0, slash);
  const { name, namespace } = manifest.metadata;
  const text = `${manifest.kind} ${namespace === undefined ? '' : `${namespace}/`}${name}`;
  return { key: JSON.stringify([group, manifest.kind, namespace ?? '', name]), text };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
