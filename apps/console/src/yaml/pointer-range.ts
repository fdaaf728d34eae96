import { isMap, isScalar, isSeq, type Document, type Node } from 'yaml';

export interface TextRange {
  readonly from: number;
  readonly to: number;
}

/** `/spec/members/0/role` → ['spec', 'members', '0', 'role'] (RFC 6901, with `~1` and `~0` unescaped). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  if (!pointer.startsWith('/')) return pointer.split('.').filter(Boolean);
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Where a JSON pointer from a server error sits in the YAML text. A property resolves to its key (and its
 * value when that is a scalar); a missing property resolves to its nearest existing parent, so that
 * "required" errors land on the object that lacks the field. Ranges never cross a line end.
 */
export function pointerRange(doc: Document, text: string, pointer: string): TextRange {
  let node: unknown = doc.contents;
  let anchor: Node | undefined;
  let anchorValue: unknown;

  for (const segment of pointerSegments(pointer)) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
      if (!pair) break;
      anchor = isScalar(pair.key) ? pair.key : undefined;
      anchorValue = pair.value;
      node = pair.value;
    } else if (isSeq(node)) {
      const item: unknown = node.items[Number(segment)];
      if (!isNodeWithRange(item)) break;
      anchor = item;
      anchorValue = undefined;
      node = item;
    } else {
      break;
    }
  }

  if (!anchor?.range) return lineRange(text, firstContentOffset(doc));
  const from = anchor.range[0];
  const to = isScalar(anchorValue) && anchorValue.range ? anchorValue.range[1] : anchor.range[1];
  return clampToLine(text, from, to);
}

function isNodeWithRange(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value;
}

function firstContentOffset(doc: Document): number {
  const contents = doc.contents;
  return contents && contents.range ? contents.range[0] : 0;
}

function lineRange(text: string, offset: number): TextRange {
  const from = Math.min(offset, text.length);
  const end = text.indexOf('\n', from);
  return { from, to: end === -1 ? text.length : end };
}

function clampToLine(text: string, from: number, to: number): TextRange {
  const start = Math.min(from, text.length);
  const lineEnd = text.indexOf('\n', start);
  const limit = lineEnd === -1 ? text.length : lineEnd;
  return { from: start, to: Math.max(start, Math.min(to, limit)) };
}
