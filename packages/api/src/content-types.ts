import type { FastifyInstance } from 'fastify';
import { parseDocument } from 'yaml';
import { ErrorCodes, InputError } from '@gantry/model';
import { jsonTooDeepAt, MAX_BODY_DEPTH, MAX_YAML_ALIASES, valueTooDeepAt } from './nesting.ts';

function tooDeep(where: string): InputError {
  return new InputError(
    `the body nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels (at ${where})`,
    [{ path: where.startsWith('/') ? where : '', message: `nested deeper than ${MAX_BODY_DEPTH} levels` }],
    ErrorCodes.tooDeep,
  );
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
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = body as string;
      if (text.trim() === '') return done(null, undefined);
      const deep = jsonTooDeepAt(text, MAX_BODY_DEPTH);
      if (deep !== undefined) return done(tooDeep(deep), undefined);
      try {
        done(null, JSON.parse(text));
      } catch (error) {
        done(
          new InputError(
            `malformed JSON: ${(error as Error).message}`,
            [{ path: '', message: (error as Error).message }],
            ErrorCodes.malformed,
          ),
          undefined,
        );
      }
    },
  );
  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml'],
    { parseAs: 'string' },
    (_request, body, done) => {
      let value: unknown;
      try {
        const document = parseDocument(body as string, { prettyErrors: false });
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
      const deep = valueTooDeepAt(value, MAX_BODY_DEPTH);
      if (deep !== undefined) return done(tooDeep(deep), undefined);
      done(null, value);
    },
  );
}
