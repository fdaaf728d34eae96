/** A workload as traits name it in appliesToWorkloads: `<plural>.<group>` (`deployments.apps`), or the plural for the core group. */
export function workloadName(workload: { apiVersion: string; kind: string }): string {
  const slash = workload.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : workload.apiVersion.slice(0, slash);
  const plural = pluralOf(workload.kind);
  return group ? `${plural}.${group}` : plural;
}

/** The lower-case plural Kubernetes uses for a kind (the API server's discovery is the authority when applying). */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}
