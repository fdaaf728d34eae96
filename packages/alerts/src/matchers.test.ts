import { describe, expect, it } from 'vitest';
import { compileMatcher, formatMatcher, matchesAll, parseMatchers } from './matchers.ts';

function parsed(text: string) {
  const result = parseMatchers(text);
  if (!result.ok) throw new Error(result.error);
  return result.matchers;
}

describe('parseMatchers', () => {
  it('reads the four operators, quoted and bare values, with or without braces', () => {
    expect(parsed('{alertname="Down", severity=~"critical|page", env!=dev, team!~"a.*"}')).toEqual([
      { name: 'alertname', value: 'Down', isRegex: false, isEqual: true },
      { name: 'severity', value: 'critical|page', isRegex: true, isEqual: true },
      { name: 'env', value: 'dev', isRegex: false, isEqual: false },
      { name: 'team', value: 'a.*', isRegex: true, isEqual: false },
    ]);
    expect(parsed('job="a\\"b\\\\c"')).toEqual([
      { name: 'job', value: 'a"b\\c', isRegex: false, isEqual: true },
    ]);
    expect(parsed('')).toEqual([]);
  });

  it('refuses what it cannot read, saying where', () => {
    expect(parseMatchers('9lives="x"')).toMatchObject({ ok: false });
    expect(parseMatchers('a~"x"')).toMatchObject({ ok: false, error: expect.stringContaining('expected') });
    expect(parseMatchers('a="x')).toMatchObject({
      ok: false,
      error: expect.stringContaining('unterminated'),
    });
    expect(parseMatchers('a=~"("')).toMatchObject({ ok: false, error: expect.stringContaining('regular') });
    expect(parseMatchers('{a="x"')).toMatchObject({ ok: false });
    expect(parseMatchers('a="x" b="y"')).toMatchObject({ ok: false });
  });

  it('formats what it parses back to the same matchers', () => {
    const matchers = parsed('a="1",b!="2",c=~"3|4",d!~"5"');
    expect(parsed(matchers.map(formatMatcher).join(','))).toEqual(matchers);
  });
});

describe('compiled matchers', () => {
  it('anchors regular expressions at both ends and treats a missing label as empty', () => {
    const [severity] = parsed('severity=~"crit"').map(compileMatcher);
    expect(severity?.matches({ severity: 'crit' })).toBe(true);
    expect(severity?.matches({ severity: 'critical' })).toBe(false);
    expect(parsed('zone=""').map(compileMatcher)[0]?.matches({})).toBe(true);
    expect(parsed('zone!=""').map(compileMatcher)[0]?.matches({})).toBe(false);
  });

  it('matches a label set only when every matcher does', () => {
    const matchers = parsed('a="1",b!~"x|y"').map(compileMatcher);
    expect(matchesAll(matchers, { a: '1', b: 'z' })).toBe(true);
    expect(matchesAll(matchers, { a: '1', b: 'x' })).toBe(false);
    expect(matchesAll([], { anything: 'at all' })).toBe(true);
  });
});
