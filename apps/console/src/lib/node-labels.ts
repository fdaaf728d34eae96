/** What a node's well-known labels say about it. */

const rolePrefix = 'node-role.kubernetes.io/';

/** `control-plane`, `worker`...: from `node-role.kubernetes.io/<role>` and the older `kubernetes.io/role`. */
export function nodeRoles(labels: Readonly<Record<string, string>>): string[] {
  const roles = Object.keys(labels)
    .filter((key) => key.startsWith(rolePrefix))
    .map((key) => key.slice(rolePrefix.length))
    .filter(Boolean);
  const legacy = labels['kubernetes.io/role'];
  if (legacy && !roles.includes(legacy)) roles.push(legacy);
  return roles.sort();
}

export function nodeZone(labels: Readonly<Record<string, string>>): string | undefined {
  return labels['topology.kubernetes.io/zone'] ?? labels['failure-domain.beta.kubernetes.io/zone'];
}

export function nodeRegion(labels: Readonly<Record<string, string>>): string | undefined {
  return labels['topology.kubernetes.io/region'] ?? labels['failure-domain.beta.kubernetes.io/region'];
}
