export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7396 JSON merge patch: objects merge, `null` deletes, everything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]))
    );
  }
  return false;
}

export interface Change {
  op: 'add' | 'remove' | 'replace';
  path: string;
  from?: unknown;
  to?: unknown;
}

/** The field-level changes between two JSON values, as JSON pointers (arrays compare whole). */
export function diffJson(before: unknown, after: unknown, path = ''): Change[] {
  if (deepEqual(before, after)) return [];
  if (isPlainObject(before) && isPlainObject(after)) {
    const changes: Change[] = [];
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const child = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!Object.hasOwn(after, key)) changes.push({ op: 'remove', path: child, from: before[key] });
      else if (!Object.hasOwn(before, key)) changes.push({ op: 'add', path: child, to: after[key] });
      else changes.push(...diffJson(before[key], after[key], child));
    }
    return changes;
  }
  if (before === undefined) return [{ op: 'add', path, to: after }];
  if (after === undefined) return [{ op: 'remove', path, from: before }];
  return [{ op: 'replace', path, from: before, to: after }];
}
