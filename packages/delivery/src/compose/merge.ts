/**
 * How trait patches meet the workload (ADR 0007, "Merging"): JSON objects merge recursively, `null`
 * deletes a field, lists replace, except the keyed lists of the pod and Service APIs, which merge element
 * by element on their key as Kubernetes' strategic merge patch does. A patch element whose key is not in
 * the target list is appended, in the patch's order.
 */

type JsonObject = Record<string, unknown>;

/** List fields merged by `name`; any other list is replaced, apart from `volumeMounts` and `ports`. */
const LISTS_KEYED_BY_NAME: ReadonlySet<string> = new Set([
  'containers',
  'initContainers',
  'ephemeralContainers',
  'env',
  'volumes',
  'imagePullSecrets',
]);

/**
 * Merges `patch` into `target` and returns a new value; neither input is changed and the result shares
 * no objects with them. `path` is the JSON pointer of `target` in its document; its last segment names
 * the field, which decides whether a list at the root is keyed (`mergePatch(a, b, '/spec/containers')`).
 */
export function mergePatch(target: unknown, patch: unknown, path = ''): unknown {
  if (Array.isArray(patch)) {
    // A keyed list the target lacks merges into an empty one, so its elements lose their nulls too.
    const base = Array.isArray(target) ? target : target === undefined ? [] : undefined;
    const key = base === undefined ? undefined : listKey(lastSegment(path), base, patch);
    return base === undefined || key === undefined ? clone(patch) : mergeKeyedList(base, patch, key, path);
  }
  if (!isObject(patch)) return clone(patch);
  // Target fields keep their order and new ones follow; a field the patch leaves alone is copied.
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete result[field];
    else result[field] = mergePatch(result[field], value, `${path}/${escapePointer(field)}`);
  }
  for (const [field, value] of Object.entries(result)) {
    if (!Object.hasOwn(patch, field) || patch[field] === undefined) result[field] = clone(value);
  }
  return result;
}

/** The key a list field merges on, or undefined when the list is replaced. */
function listKey(
  field: string | undefined,
  target: readonly unknown[],
  patch: readonly unknown[],
): string | undefined {
  if (field === undefined) return undefined;
  if (LISTS_KEYED_BY_NAME.has(field)) return everyHas([...target, ...patch], 'name') ? 'name' : undefined;
  if (field === 'volumeMounts') return everyHas([...target, ...patch], 'mountPath') ? 'mountPath' : undefined;
  if (field === 'ports') {
    // Container ports carry `containerPort`; Service ports carry `port`.
    const all = [...target, ...patch];
    if (everyHas(all, 'containerPort')) return 'containerPort';
    if (everyHas(all, 'port')) return 'port';
  }
  return undefined;
}

function mergeKeyedList(
  target: readonly unknown[],
  patch: readonly unknown[],
  key: string,
  path: string,
): unknown[] {
  const result: unknown[] = [...target];
  const merged = new Set<number>();
  for (const element of patch) {
    const value = (element as JsonObject)[key];
    let at = result.findIndex((existing) => (existing as JsonObject)[key] === value);
    if (at === -1) at = result.push(undefined) - 1;
    result[at] = mergePatch(result[at], element, `${path}/${at}`);
    merged.add(at);
  }
  return result.map((element, index) => (merged.has(index) ? element : clone(element)));
}

function everyHas(elements: readonly unknown[], key: string): boolean {
  return elements.every((element) => {
    if (!isObject(element)) return false;
    const value = element[key];
    return typeof value === 'string' || typeof value === 'number';
  });
}

function lastSegment(path: string): string | undefined {
  if (path === '') return undefined;
  const segment = path.slice(path.lastIndexOf('/') + 1);
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
