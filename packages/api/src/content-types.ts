import type { FastifyInstance } from 'fastify';
import { parseDocument } from 'yaml';
import { ErrorCodes, InputError } from '@gantry/model';

/** JSON (with the merge-patch flavour) and YAML bodies; anything malformed is a 400 naming the spot. */
export function registerContentTypes(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['application/json', 'application/merge-patch+json'],
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = body as string;
      if (text.trim() === '') return done(null, undefined);
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
      const document = parseDocument(body as string, { prettyErrors: false });
      const [first] = document.errors;
      if (first) {
        const where = first.linePos?.[0];
        const message = where ? `line ${where.line}, column ${where.col}: ${first.message}` : first.message;
        return done(
          new InputError(`malformed YAML: ${message}`, [{ path: '', message }], ErrorCodes.malformed),
          undefined,
        );
      }
      done(null, document.toJS());
    },
  );
}
