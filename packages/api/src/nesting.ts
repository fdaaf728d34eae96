/**
 * How deeply a request body may nest objects and arrays. Resources, definitions with their parameter
 * schemas and Helm values stay far below it; a body past it is refused before it is parsed further, copied,
 * validated or authorized (recursive code downstream would otherwise run out of stack: a 500).
 */
export const MAX_BODY_DEPTH = 100;

/** Most YAML aliases one body may expand (the `yaml` package's own guard against alias bombs). */
export const MAX_YAML_ALIASES = 100;

/**
 * The JSON pointer of the first place in `text` (JSON) nested deeper than `max`, without parsing it;
 * undefined when it is not. Strings are skipped, so brackets inside them do not count.
 */
export function jsonTooDeepAt(text: string, max: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return `character ${i}`;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

/** The JSON pointer of the first value in `value` nested deeper than `max`; walks without recursion. */
export function valueTooDeepAt(value: unknown, max: number): string | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: '' }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth >= max) return next.path || '/';
    const entries = Array.isArray(next.value)
      ? next.value.map((item, index) => [String(index), item] as const)
      : Object.entries(next.value);
    for (const [key, item] of entries)
      stack.push({
        value: item,
        depth: next.depth + 1,
        path: `${next.path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      });
  }
  return undefined;
}
