/** JSON pointers (RFC 6901) over plain JSON values, as `podTemplatePath` names the pod template. */

export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The value at `pointer`, or undefined when the path does not exist. */
export function getAtPointer(document: unknown, pointer: string): unknown {
  let node = document;
  for (const segment of pointerSegments(pointer)) {
    if (Array.isArray(node)) node = /^(0|[1-9][0-9]*)$/.test(segment) ? node[Number(segment)] : undefined;
    else if (typeof node === 'object' && node !== null)
      node = Object.hasOwn(node, segment) ? (node as Record<string, unknown>)[segment] : undefined;
    else return undefined;
  }
  return node;
}

/**
 * Replaces the value at an existing `pointer` in place; returns false (and changes nothing) when its
 * parent does not exist. The root cannot be replaced.
 */
export function setAtPointer(document: unknown, pointer: string, value: unknown): boolean {
  const segments = pointerSegments(pointer);
  const last = segments.pop();
  if (last === undefined) return false;
  const parent = getAtPointer(
    document,
    segments.length === 0 ? '' : `/${segments.map(escapeSegment).join('/')}`,
  );
  if (Array.isArray(parent)) {
    if (!/^(0|[1-9][0-9]*)$/.test(last) || Number(last) >= parent.length) return false;
    parent[Number(last)] = value;
    return true;
  }
  if (typeof parent !== 'object' || parent === null) return false;
  (parent as Record<string, unknown>)[last] = value;
  return true;
}

export function escapeSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}
