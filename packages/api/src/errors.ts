import type { FastifyError, FastifyInstance } from 'fastify';
import { ErrorCodes, GantryError, RateLimitedError, toDetails, type ErrorDetail } from '@gantry/model';
import { isDatabaseTimeout, isDatabaseUnavailable } from '@gantry/store';

/** `Retry-After` of a 503: long enough for a pool to drain or a database to come back, short enough to retry. */
const DATABASE_RETRY_AFTER_SECONDS = '2';

interface ErrorBody {
  code: string;
  message: string;
  details: readonly ErrorDetail[];
}

function body(code: string, message: string, details: readonly ErrorDetail[] = []): ErrorBody {
  return { code, message, details };
}

/** The one place where errors become HTTP responses. Anything unexpected is a logged 500 without internals. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | GantryError | Error, request, reply) => {
    if (error instanceof GantryError) {
      if (error instanceof RateLimitedError)
        void reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.status(error.status).send(body(error.code, error.message, error.details));
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const where = fastifyError.validationContext ?? 'body';
      const details = toDetails(fastifyError.validation as never).map((detail) => ({
        ...detail,
        path: where === 'body' ? detail.path : `${where}${detail.path}`,
      }));
      return reply
        .status(400)
        .send(
          body(
            ErrorCodes.invalid,
            `invalid ${where}: ${details.map((d) => `${d.path || '(root)'} ${d.message}`).join('; ')}`,
            details,
          ),
        );
    }
    switch (fastifyError.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply
          .status(413)
          .send(
            body(
              ErrorCodes.payloadTooLarge,
              `the body is larger than the limit of ${app.initialConfig.bodyLimit ?? 0} bytes`,
            ),
          );
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply
          .status(415)
          .send(
            body(
              ErrorCodes.unsupportedMediaType,
              `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? '')}; send application/json or application/yaml`,
            ),
          );
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return reply.status(400).send(body(ErrorCodes.malformed, fastifyError.message));
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return reply.status(400).send(body(ErrorCodes.malformed, fastifyError.message));
    }
    if (
      fastifyError.statusCode !== undefined &&
      fastifyError.statusCode >= 400 &&
      fastifyError.statusCode < 500
    ) {
      return reply.status(fastifyError.statusCode).send(body(ErrorCodes.badRequest, fastifyError.message));
    }
    if (isDatabaseTimeout(error)) {
      request.log.warn({ err: error }, 'database timeout');
      return reply
        .status(503)
        .header('retry-after', DATABASE_RETRY_AFTER_SECONDS)
        .send(
          body(
            ErrorCodes.databaseTimeout,
            'the database did not answer in time; retry shortly (a write may have been committed)',
          ),
        );
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return reply
        .status(503)
        .header('retry-after', DATABASE_RETRY_AFTER_SECONDS)
        .send(body(ErrorCodes.unavailable, 'the database is unavailable; retry shortly'));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .status(500)
      .send(body(ErrorCodes.internal, 'internal error; the server log has the details'));
  });
}

export function notFoundBody(method: string, url: string): ErrorBody {
  return body(ErrorCodes.notFound, `no route for ${method} ${url.split('?')[0] ?? url}`);
}

export function methodNotAllowedBody(method: string, url: string, allowed: readonly string[]): ErrorBody {
  return body(
    ErrorCodes.methodNotAllowed,
    `${url.split('?')[0] ?? url} does not take ${method}; it takes ${allowed.join(', ')}`,
  );
}
