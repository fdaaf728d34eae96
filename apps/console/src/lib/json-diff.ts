import { isRecord } from '../api/normalize';

export type DiffLine =
  | { readonly op: 'add'; readonly path: string; readonly after: unknown }
  | { readonly op: 'remove'; readonly path: string; readonly before: unknown }
  | { readonly op: 'change'; readonly path: string; readonly before: unknown; readonly after: unknown };

/** Leaf-level differences between two JSON values, addressed by JSON pointers, in document order. */
export function jsonDiff(before: unknown, after: unknown): DiffLine[] {
  const left = flatten(before);
  const right = flatten(after);
  const lines: DiffLine[] = [];
  const paths = [...new Set([...left.keys(), ...right.keys()])];
  for (const path of paths) {
    const hasBefore = left.has(path);
    const hasAfter = right.has(path);
    const was = left.get(path);
    const now = right.get(path);
    if (hasBefore && !hasAfter) lines.push({ op: 'remove', path, before: was });
    else if (!hasBefore && hasAfter) lines.push({ op: 'add', path, after: now });
    else if (JSON.stringify(was) !== JSON.stringify(now))
      lines.push({ op: 'change', path, before: was, after: now });
  }
  return lines;
}

function flatten(value: unknown, path = '', into = new Map<string, unknown>()): Map<string, unknown> {
  if (value === undefined) return into;
  if (Array.isArray(value) && value.length > 0) {
    value.forEach((item, index) => flatten(item, `${path}/${index}`, into));
  } else if (isRecord(value) && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value))
      flatten(item, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, into);
  } else {
    into.set(path || '/', value);
  }
  return into;
}
