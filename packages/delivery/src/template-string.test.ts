import { describe, expect, it } from 'vitest';
import { parseTemplateString } from './template-string.ts';

describe('parseTemplateString', () => {
  it('splits text and expressions, honouring $${ escapes and quoted braces', () => {
    expect(parseTemplateString('a-${x}-$${y}-${ "}" + \'{\' }')).toEqual({
      ok: true,
      segments: [
        { kind: 'text', text: 'a-' },
        { kind: 'expression', source: 'x' },
        { kind: 'text', text: '-${y}-' },
        { kind: 'expression', source: '"}" + \'{\'' },
      ],
    });
  });

  it('reports an unterminated expression', () => {
    expect(parseTemplateString('ok ${x')).toEqual({ ok: false, message: 'unterminated ${ at offset 3' });
  });
});
