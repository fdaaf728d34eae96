/** A template string split into literal text and `${...}` CEL expressions. */
export type TemplateSegment = { kind: 'text'; text: string } | { kind: 'expression'; source: string };

export type TemplateStringParse = { ok: true; segments: TemplateSegment[] } | { ok: false; message: string };

/**
 * Splits `text` at `${...}`; `$${` is a literal `${`. The closing brace is found by counting braces outside
 * CEL string literals, so map literals (`${ {'a': 1}.a }`) and quoted braces (`${ '}' }`) work.
 */
export function parseTemplateString(text: string): TemplateStringParse {
  const segments: TemplateSegment[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      literal += text[i];
      i += 1;
      continue;
    }
    const end = findClosingBrace(text, i + 2);
    if (end === undefined) return { ok: false, message: `unterminated \${ at offset ${i}` };
    if (literal !== '') segments.push({ kind: 'text', text: literal });
    literal = '';
    segments.push({ kind: 'expression', source: text.slice(i + 2, end).trim() });
    i = end + 1;
  }
  if (literal !== '') segments.push({ kind: 'text', text: literal });
  return { ok: true, segments };
}

function findClosingBrace(text: string, start: number): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === '\\') i += 2;
      else if (text.startsWith(quote, i)) {
        i += quote.length;
        quote = undefined;
      } else i += 1;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = text.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += quote.length;
      continue;
    }
    if (c === '{') depth += 1;
    else if (c === '}') {
      if (depth === 0) return i;
      depth -= 1;
    }
    i += 1;
  }
  return undefined;
}
