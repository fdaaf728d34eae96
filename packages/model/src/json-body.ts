import { ErrorCodes, InputError } from './errors.ts';

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
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: straight to its closing quote (`indexOf` rather than a step per character: a body is
      // mostly strings, and every JSON request is scanned; ADR 0038). A quote after an odd number of
      // backslashes is escaped. Unterminated: JSON.parse refuses the text anyway.
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && escaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return undefined;
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return `character ${i}`;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

/** Whether the character at `at` follows an odd number of backslashes. */
function escaped(text: string, at: number): boolean {
  let backslashes = 0;
  for (let j = at - 1; j >= 0 && text.charCodeAt(j) === 0x5c; j--) backslashes++;
  return backslashes % 2 === 1;
}

export type BodyProblem = { kind: 'depth' | 'string'; path: string; message: string };

/** NUL (PostgreSQL cannot store it in text) or a lone UTF-16 surrogate (not Unicode). */
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const BAD_CHARACTER = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

function badString(text: string): string | undefined {
  const match = BAD_CHARACTER.exec(text);
  if (!match) return undefined;
  return match[0] === '\u0000'
    ? 'must not contain NUL (\\u0000)'
    : 'must be valid Unicode (a lone surrogate)';
}

function escapeKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The first problem in a parsed body, walking it without recursion: nesting deeper than `max`, or a
 * string or key with NUL or a lone surrogate. The path is a JSON pointer.
 */
export function bodyProblem(value: unknown, max: number): BodyProblem | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: '' }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    if (typeof next.value === 'string') {
      const message = badString(next.value);
      if (message) return { kind: 'string', path: next.path, message };
      continue;
    }
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth >= max)
      return { kind: 'depth', path: next.path || '/', message: `nested deeper than ${max} levels` };
    const entries = Array.isArray(next.value)
      ? next.value.map((item, index) => [String(index), item] as const)
      : Object.entries(next.value);
    for (const [key, item] of entries) {
      const path = `${next.path}/${escapeKey(key)}`;
      const message = Array.isArray(next.value) ? undefined : badString(key);
      if (message) return { kind: 'string', path, message: `key ${message}` };
      stack.push({ value: item, depth: next.depth + 1, path });
    }
  }
  return undefined;
}

function tooDeep(where: string): InputError {
  return new InputError(
    `the body nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels (at ${where})`,
    [{ path: where.startsWith('/') ? where : '', message: `nested deeper than ${MAX_BODY_DEPTH} levels` }],
    ErrorCodes.tooDeep,
  );
}

export { tooDeep as bodyTooDeepError };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, or the error for bytes that are not UTF-8. */
export function decodeBody(body: Uint8Array): string | InputError {
  try {
    return utf8.decode(body);
  } catch {
    return new InputError(
      'the body is not valid UTF-8',
      [{ path: '', message: 'not valid UTF-8' }],
      ErrorCodes.malformed,
    );
  }
}

/**
 * Where NUL or a lone surrogate can come from in JSON text that decoded as UTF-8 and parsed: only from a
 * `\u` escape (raw control characters are not JSON, and UTF-8 cannot encode surrogates). Text without
 * such an escape needs no walk of the parsed value (a post of 64 alerts: most of the parser's time).
 */
const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

/** The parsed body, or the error for its first string with NUL or a lone surrogate, or for nesting. */
export function checkedBody(value: unknown, text?: string): { value: unknown } | InputError {
  // Nesting was checked on the text already when there is one (jsonTooDeepAt).
  // A plain search first: it costs a fraction of the pattern's, and nearly no body has a `\u`.
  if (text !== undefined && (!text.includes('\\u') || !SUSPECT_ESCAPE.test(text))) return { value };
  const problem = bodyProblem(value, MAX_BODY_DEPTH);
  if (!problem) return { value };
  if (problem.kind === 'depth') return tooDeep(problem.path);
  return new InputError(`invalid string at ${problem.path}: ${problem.message}`, [
    { path: problem.path, message: problem.message },
  ]);
}

/**
 * A JSON request body, checked as every JSON body of the API is: UTF-8, nesting at most `MAX_BODY_DEPTH`
 * (on the text, before parsing), well-formed, no NUL and no lone surrogate in any string or key. An
 * empty body is `undefined`. Shared by the API's content-type parser and the alert ingest's thread, which
 * takes the bytes of `POST /api/v2/alerts` as they came (ADR 0042).
 */
export function parseJsonBody(
  body: Uint8Array,
  options: { depth?: boolean } = {},
): { value: unknown } | InputError {
  const text = decodeBody(body);
  if (text instanceof InputError) return text;
  if (text.trim() === '') return { value: undefined };
  // `depth: false`: a caller whose checks read fixed depths and never walk the rest (the alert ingest:
  // V8's JSON.parse itself takes any depth without recursion) skips the scan.
  const deep = options.depth === false ? undefined : jsonTooDeepAt(text, MAX_BODY_DEPTH);
  if (deep !== undefined) return tooDeep(deep);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return new InputError(
      `malformed JSON: ${(error as Error).message}`,
      [{ path: '', message: (error as Error).message }],
      ErrorCodes.malformed,
    );
  }
  return checkedBody(value, text);
}
