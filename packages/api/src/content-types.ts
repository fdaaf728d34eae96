import type { FastifyInstance } from 'fastify';
import { parseDocument } from 'yaml';
import { ErrorCodes, InputError } from '@gantry/model';
import { bodyProblem, jsonTooDeepAt, MAX_BODY_DEPTH, MAX_YAML_ALIASES } from './nesting.ts';

function tooDeep(where: string): InputError {
  return new InputError(
    `the body nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels (at ${where})`,
    [{ path: where.startsWith('/') ? where : '', message: `nested deeper than ${MAX_BODY_DEPTH} levels` }],
    ErrorCodes.tooDeep,
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, or the error for bytes that are not UTF-8. */
function decode(body: Buffer): string | InputError {
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
function checked(value: unknown, text?: string): { value: unknown } | InputError {
  // Nesting was checked on the text already when there is one (jsonTooDeepAt).
  if (text !== undefined && !SUSPECT_ESCAPE.test(text)) return { value };
  const problem = bodyProblem(value, MAX_BODY_DEPTH);
  if (!problem) return { value };
  if (problem.kind === 'depth') return tooDeep(problem.path);
  return new InputError(`invalid string at ${problem.path}: ${problem.message}`, [
    { path: problem.path, message: problem.message },
  ]);
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError || /call stack size/i.test((error as Error | undefined)?.message ?? '');
}

/**
 * JSON (with the merge-patch flavour) and YAML bodies; anything malformed is a 400 naming the spot.
 * Nesting depth and YAML aliases are limited here, while parsing, so that no later step (copy, merge,
 * validation, authorization) ever sees such a body.
 */
export function registerContentTypes(app: FastifyInstance): void {
  // Only JSON and YAML: Fastify's text/plain parser would hand a string to routes that expect an object.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    ['application/json', 'application/merge-patch+json'],
    { parseAs: 'buffer' },
    (_request, body, done) => {
      const text = decode(body as Buffer);
      if (text instanceof InputError) return done(text, undefined);
      if (text.trim() === '') return done(null, undefined);
      const deep = jsonTooDeepAt(text, MAX_BODY_DEPTH);
      if (deep !== undefined) return done(tooDeep(deep), undefined);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        return done(
          new InputError(
            `malformed JSON: ${(error as Error).message}`,
            [{ path: '', message: (error as Error).message }],
            ErrorCodes.malformed,
          ),
          undefined,
        );
      }
      const result = checked(value, text);
      return result instanceof InputError ? done(result, undefined) : done(null, result.value);
    },
  );
  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml'],
    { parseAs: 'buffer' },
    (_request, body, done) => {
      const text = decode(body as Buffer);
      if (text instanceof InputError) return done(text, undefined);
      let value: unknown;
      try {
        const document = parseDocument(text, { prettyErrors: false });
        const [first] = document.errors;
        if (first) {
          // The parser is recursive: nesting deep enough runs it out of stack, which it reports as an error.
          if (document.errors.some(isStackOverflow)) return done(tooDeep('the YAML text'), undefined);
          const where = first.linePos?.[0];
          const message = where ? `line ${where.line}, column ${where.col}: ${first.message}` : first.message;
          return done(
            new InputError(`malformed YAML: ${message}`, [{ path: '', message }], ErrorCodes.malformed),
            undefined,
          );
        }
        value = document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
      } catch (error) {
        if (isStackOverflow(error)) return done(tooDeep('the YAML text'), undefined);
        if (error instanceof ReferenceError && /alias/i.test(error.message)) {
          return done(
            new InputError(
              `the YAML expands too many aliases (an alias bomb?); at most ${MAX_YAML_ALIASES} alias expansions`,
              [{ path: '', message: error.message }],
              ErrorCodes.yamlAliases,
            ),
            undefined,
          );
        }
        return done(
          new InputError(
            `malformed YAML: ${(error as Error).message}`,
            [{ path: '', message: (error as Error).message }],
            ErrorCodes.malformed,
          ),
          undefined,
        );
      }
      const result = checked(value);
      return result instanceof InputError ? done(result, undefined) : done(null, result.value);
    },
  );
}
