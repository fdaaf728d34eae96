import type { FastifyInstance } from 'fastify';
import { parseDocument } from 'yaml';
import {
  bodyTooDeepError as tooDeep,
  checkedBody as checked,
  decodeBody as decode,
  ErrorCodes,
  InputError,
  MAX_YAML_ALIASES,
  parseJsonBody,
} from '@gantry/model';

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
    (request, body, done) => {
      // A route that takes its body as it came (POST /api/v2/alerts: the alert ingest's thread parses
      // it, ADR 0042) gets the bytes; it checks them with parseJsonBody as below.
      if ((request.routeOptions.config as { rawJsonBody?: boolean } | undefined)?.rawJsonBody)
        return done(null, body);
      const result = parseJsonBody(body as Buffer);
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
