import { ErrorCodes, InputError } from './errors.ts';

export type Requirement =
  { key: string; op: 'exists' | 'notExists' } | { key: string; op: 'in' | 'notIn'; values: string[] };

export type LabelSelector = readonly Requirement[];

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function fail(selector: string, why: string): never {
  throw new InputError(
    `invalid label selector ${JSON.stringify(selector)}: ${why}`,
    [{ path: 'labelSelector', message: why }],
    ErrorCodes.badSelector,
  );
}

/** Splits on commas that are not inside a parenthesised value set. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((term) => term.trim());
}

/**
 * Parses Kubernetes label-selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
 * joined by commas (all must hold).
 */
export function parseLabelSelector(selector: string): LabelSelector {
  if (selector.trim() === '') return [];
  return splitTerms(selector).map((term) => parseTerm(selector, term));
}

function checkKey(selector: string, key: string): string {
  if (!KEY.test(key) || key.length > 253) fail(selector, `invalid label key ${JSON.stringify(key)}`);
  return key;
}

function checkValue(selector: string, value: string): string {
  if (!VALUE.test(value) || value.length > 63) fail(selector, `invalid label value ${JSON.stringify(value)}`);
  return value;
}

function parseTerm(selector: string, term: string): Requirement {
  if (term === '') fail(selector, 'empty requirement');
  const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(term);
  if (set) {
    const values = set[3]!.split(',').map((value) => checkValue(selector, value.trim()));
    return { key: checkKey(selector, set[1]!), op: set[2] === 'in' ? 'in' : 'notIn', values };
  }
  const comparison = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (comparison) {
    const key = checkKey(selector, comparison[1]!);
    const value = checkValue(selector, comparison[3]!);
    return { key, op: comparison[2] === '!=' ? 'notIn' : 'in', values: [value] };
  }
  if (term.startsWith('!')) return { key: checkKey(selector, term.slice(1).trim()), op: 'notExists' };
  if (/^\S+$/.test(term)) return { key: checkKey(selector, term), op: 'exists' };
  return fail(selector, `cannot parse ${JSON.stringify(term)}`);
}

export function matchesSelector(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> = {},
): boolean {
  return selector.every((requirement) => {
    const value = Object.hasOwn(labels, requirement.key) ? labels[requirement.key] : undefined;
    switch (requirement.op) {
      case 'exists':
        return value !== undefined;
      case 'notExists':
        return value === undefined;
      case 'in':
        return value !== undefined && requirement.values.includes(value);
      case 'notIn':
        return value === undefined || !requirement.values.includes(value);
    }
  });
}
