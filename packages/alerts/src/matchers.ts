import type { AlertMatcher } from '@gantry/model';

/** A label set: what an alert is, and what every matcher, route and silence looks at. */
export type LabelSet = Readonly<Record<string, string>>;

/** A matcher ready to test label sets: its regular expression compiled once. */
export interface CompiledMatcher {
  readonly source: AlertMatcher;
  matches(labels: LabelSet): boolean;
}

export type MatcherParse = { ok: true; matchers: AlertMatcher[] } | { ok: false; error: string };

const OPERATORS = ['=~', '!~', '!=', '='] as const;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Compiles a matcher. As in Alertmanager, a regular expression must match the whole value, and a label
 * that is absent counts as the empty string (so `foo=""` matches alerts without `foo`).
 */
export function compileMatcher(matcher: AlertMatcher): CompiledMatcher {
  const test = matcher.isRegex
    ? (
        (pattern) => (value: string) =>
          pattern.test(value)
      )(new RegExp(`^(?:${matcher.value})$`, 'u'))
    : (value: string) => value === matcher.value;
  return {
    source: matcher,
    matches: (labels) => test(labels[matcher.name] ?? '') === matcher.isEqual,
  };
}

/** True when every matcher matches (an empty list matches everything). */
export function matchesAll(matchers: readonly CompiledMatcher[], labels: LabelSet): boolean {
  return matchers.every((matcher) => matcher.matches(labels));
}

/** Whether a matcher's regular expression compiles; `undefined` when it does, the reason otherwise. */
export function matcherError(matcher: AlertMatcher): string | undefined {
  if (!matcher.isRegex) return undefined;
  try {
    new RegExp(`^(?:${matcher.value})$`, 'u');
    return undefined;
  } catch (error) {
    return `invalid regular expression: ${(error as Error).message}`;
  }
}

/**
 * Parses matchers as operators write them in routes, inhibit rules and `amtool`:
 * `alertname="Down"`, `severity=~"critical|page"`, `env!=dev`, optionally wrapped in braces and
 * separated by commas, values quoted (with `\"` and `\\` escapes) or bare.
 */
export function parseMatchers(text: string): MatcherParse {
  let rest = text.trim();
  if (rest.startsWith('{')) {
    if (!rest.endsWith('}')) return { ok: false, error: 'missing closing "}"' };
    rest = rest.slice(1, -1).trim();
  }
  const matchers: AlertMatcher[] = [];
  while (rest !== '') {
    const name = /^[^=!~,\s"]+/.exec(rest)?.[0];
    if (!name || !LABEL_NAME.test(name)) return { ok: false, error: `invalid label name at "${rest}"` };
    rest = rest.slice(name.length).trimStart();
    const operator = OPERATORS.find((candidate) => rest.startsWith(candidate));
    if (!operator) return { ok: false, error: `expected one of = != =~ !~ after "${name}"` };
    rest = rest.slice(operator.length).trimStart();
    let value: string;
    if (rest.startsWith('"')) {
      const quoted = readQuoted(rest);
      if (!quoted) return { ok: false, error: `unterminated quoted value for "${name}"` };
      value = quoted.value;
      rest = rest.slice(quoted.length).trimStart();
    } else {
      value = /^[^,]*/.exec(rest)?.[0]?.trim() ?? '';
      rest = rest.slice(/^[^,]*/.exec(rest)?.[0]?.length ?? 0);
    }
    const matcher: AlertMatcher = {
      name,
      value,
      isRegex: operator === '=~' || operator === '!~',
      isEqual: operator === '=' || operator === '=~',
    };
    const error = matcherError(matcher);
    if (error) return { ok: false, error: `${name}: ${error}` };
    matchers.push(matcher);
    if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
    else if (rest !== '') return { ok: false, error: `expected "," before "${rest}"` };
  }
  return { ok: true, matchers };
}

/** Writes a matcher back as it is parsed: `name=~"value"`. */
export function formatMatcher(matcher: AlertMatcher): string {
  const operator = matcher.isRegex ? (matcher.isEqual ? '=~' : '!~') : matcher.isEqual ? '=' : '!=';
  return `${matcher.name}${operator}${JSON.stringify(matcher.value)}`;
}

function readQuoted(text: string): { value: string; length: number } | undefined {
  let value = '';
  for (let index = 1; index < text.length; index++) {
    const char = text[index];
    if (char === '\\') {
      const next = text[index + 1];
      if (next === undefined) return undefined;
      value += next === 'n' ? '\n' : next;
      index++;
    } else if (char === '"') {
      return { value, length: index + 1 };
    } else {
      value += char;
    }
  }
  return undefined;
}
