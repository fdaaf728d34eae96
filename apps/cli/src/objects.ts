/** Small helpers for the untyped JSON that flows between files, the server and the terminal. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]))
    );
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
  return keysA.length === keysB.length && keysA.every((k) => deepEqual(a[k], b[k]));
}

/** Reads a kubectl-style simple JSONPath such as `.spec.members[0].user` (no filters). */
export function readPath(value: unknown, path: string): unknown {
  // Segments: names, `[N]` indexes and `[?(@.field=="value")]` filters (the first matching element).
  const segments = path
    .replace(/^\{?\$?\.?/, '')
    .replace(/\}$/, '')
    .split(/\.(?![^[]*\])|(\[[^\]]*\])/)
    .filter((s): s is string => s !== undefined && s !== '');
  let current = value;
  for (const segment of segments) {
    const index = /^\[(\d+)\]$/.exec(segment);
    const filter = /^\[\?\(@\.([\w-]+)\s*==\s*["']([^"']*)["']\)\]$/.exec(segment);
    if (index && Array.isArray(current)) current = current[Number(index[1])];
    else if (filter && Array.isArray(current))
      current = current.find((item) => isRecord(item) && String(item[filter[1]!]) === filter[2]);
    else if (!index && !filter && isRecord(current)) current = current[segment];
    else return undefined;
  }
  return current;
}

/** `/spec/members/0/role` (a JSON Pointer, as in the server's error details) → `spec.members[0].role`. */
export function pointerToFieldPath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '';
  if (!pointer.startsWith('/')) return pointer; // already a field path
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (path, segment) =>
        /^\d+$/.test(segment) ? `${path}[${segment}]` : path === '' ? segment : `${path}.${segment}`,
      '',
    );
}
